// SPDX-License-Identifier: MIT
// unixsignal.cpp — UNIX signals as queued callbacks (cqt/unix.h).
//
// The handler only bumps g_raised[signo] (a lock-free atomic) and writes a
// byte to the self-pipe: both async-signal-safe. A plain reader pthread
// (started with the first watch, stopped with the last) blocks on the
// pipe, takes the counts and adds them to every watch of that signal; a
// watch with a count and no call queued gets one call queued to its
// receiver. That call takes the whole count at once, so calls coalesce and
// no arrival is lost or counted twice.
//
// Lifecycle of a watch: live -> removed (unwatch or shutdown). A queued
// call checks `live` under the watch's mutex and counts itself in in_cb;
// unwatch from another thread waits for in_cb to drop, so no call runs
// after it returns; from inside the callback, the call finishes the watch.
// One lock (g_mu) guards the table, the saved dispositions and the reader.
#include "shim-private.h"

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <fcntl.h>
#include <pthread.h>
#include <unistd.h>

namespace {

constexpr int kMaxSig = 65; // signals 1..64 (NSIG on Linux)

std::atomic<uint64_t> g_raised[kMaxSig];
static_assert(std::atomic<uint64_t>::is_always_lock_free,
              "the handler needs a lock-free counter to be async-signal-safe");
std::atomic<int> g_wake_fd{-1}; // the pipe's write end, read by the handler

struct Watch {
    std::atomic<int> refs{1}; // the table, each queued call
    int id = 0;
    int signo = 0;
    cqt_object *receiver = nullptr; // holds an object reference
    cqt_unix_signal_fn fn = nullptr;
    void *user_data = nullptr;
    cqt_destroy_fn destroy = nullptr;
    std::atomic<uint64_t> count{0};   // arrivals not yet handed over
    std::atomic<bool> queued{false};  // a call is on its way
    std::mutex mu;                    // guards the fields below
    std::condition_variable idle;
    bool live = true;
    bool finish_in_cb = false;
    int in_cb = 0;
    pthread_t cb_thread{};
};

std::mutex g_mu;
std::vector<Watch *> g_watches;  // live watches
struct sigaction g_saved[kMaxSig]; // the disposition each handled signal had
bool g_handled[kMaxSig];
int g_pipe[2] = {-1, -1};
pthread_t g_reader;
bool g_reader_running = false;
bool g_hook_added = false;
int g_next_id = 0;
uint64_t g_hook_gen = 0;

void watch_unref(Watch *w)
{
    if (w->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) {
        cqt::object_unref(w->receiver);
        delete w;
    }
}

extern "C" void on_signal(int signo, siginfo_t *, void *)
{
    const int saved = errno;
    if (signo > 0 && signo < kMaxSig)
        g_raised[signo].fetch_add(1, std::memory_order_relaxed);
    int fd = g_wake_fd.load(std::memory_order_relaxed);
    if (fd >= 0) {
        const char b = 0;
        // EAGAIN: the pipe is full, so a wake-up is pending anyway.
        ssize_t r = write(fd, &b, 1);
        (void)r;
    }
    errno = saved;
}

void deliver_run(void *p);

void deliver_drop(void *p)
{
    auto *w = static_cast<Watch *>(p);
    w->queued.store(false);
    watch_unref(w);
}

// Hands the counts over to the watches (reader thread, g_mu held).
void distribute_locked()
{
    for (int s = 1; s < kMaxSig; s++) {
        uint64_t n = g_raised[s].exchange(0, std::memory_order_relaxed);
        if (!n)
            continue;
        for (Watch *w : g_watches) {
            if (w->signo != s)
                continue;
            w->count.fetch_add(n);
            if (w->queued.exchange(true))
                continue; // the queued call will take this count too
            cqt::Delivery d{};
            d.kind = cqt::kInternal;
            d.internal.run = deliver_run;
            d.internal.drop = deliver_drop;
            d.internal.arg = w;
            w->refs.fetch_add(1);
            if (cqt::post_to_object("cqt unix signal", w->receiver, d, false) != CQT_OK) {
                // Its loop stopped: nobody can be told; keep counting.
                w->queued.store(false);
                watch_unref(w);
            }
        }
    }
}

void *reader_main(void *arg)
{
    const int fd = int(intptr_t(arg));
    for (;;) {
        char buf[256];
        ssize_t n = read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return nullptr; // the write end was closed: stop
        bool stop = false;
        for (ssize_t i = 0; i < n; i++)
            stop |= buf[i] == 1; // the stop byte
        std::lock_guard<std::mutex> lk(g_mu);
        cqt::guard_void("cqt unix signal", [] { distribute_locked(); });
        if (stop)
            return nullptr;
    }
}

void finish(Watch *w)
{
    if (w->destroy)
        w->destroy(w->user_data);
}

void deliver_run(void *p)
{
    auto *w = static_cast<Watch *>(p);
    w->queued.store(false); // before taking the count: a later arrival queues again
    uint64_t n = w->count.exchange(0);
    {
        std::lock_guard lk(w->mu);
        if (!w->live || n == 0) {
            watch_unref(w);
            return;
        }
        w->in_cb++;
        w->cb_thread = pthread_self();
    }
    while (n) {
        unsigned part = n > UINT32_MAX ? UINT32_MAX : unsigned(n);
        w->fn(w->user_data, w->signo, part);
        n -= part;
    }
    bool fin = false;
    {
        std::lock_guard lk(w->mu);
        if (--w->in_cb == 0) {
            w->idle.notify_all();
            fin = w->finish_in_cb;
            w->finish_in_cb = false;
        }
    }
    if (fin)
        finish(w);
    watch_unref(w);
}

bool catchable(int signo)
{
    return signo > 0 && signo < kMaxSig && signo != SIGKILL && signo != SIGSTOP;
}

// Starts the reader (g_mu held). The pipe is made once and never closed:
// a handler running in another thread may hold its fd at any moment, and
// closing it could make that write land in a file opened since.
int start_reader_locked(const char *fn)
{
    if (g_reader_running)
        return CQT_OK;
    if (g_pipe[0] < 0) {
        if (pipe2(g_pipe, O_CLOEXEC) != 0)
            return cqt::fail(CQT_EINTERNAL, "%s: pipe2 failed (%s)", fn, strerror(errno));
        fcntl(g_pipe[1], F_SETFL, O_NONBLOCK); // the handler must never block
        g_wake_fd.store(g_pipe[1]);
    }
    // The reader takes no signal itself (it inherits this mask): a handler
    // interrupting it would only delay the counts it is there to hand on.
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int rc = pthread_create(&g_reader, nullptr, reader_main, (void *)intptr_t(g_pipe[0]));
    pthread_sigmask(SIG_SETMASK, &old, nullptr);
    if (rc != 0)
        return cqt::fail(CQT_EINTERNAL, "%s: could not start the signal reader thread", fn);
    g_reader_running = true;
    return CQT_OK;
}

// Stops the reader once no signal is handled (g_mu held; unlocks to join).
void stop_reader(std::unique_lock<std::mutex> &lk)
{
    if (!g_reader_running)
        return;
    for (int s = 1; s < kMaxSig; s++)
        if (g_handled[s])
            return;
    g_reader_running = false;
    const char stop = 1;
    ssize_t r;
    do // EAGAIN: full of wake-ups, which the reader is draining
        r = write(g_pipe[1], &stop, 1);
    while (r < 0 && (errno == EINTR || errno == EAGAIN));
    pthread_t t = g_reader;
    lk.unlock(); // the reader takes g_mu to distribute
    pthread_join(t, nullptr);
    lk.lock();
}

// Removes @w from the table; restores the disposition if it was the last
// watch of its signal (g_mu held).
void remove_locked(Watch *w)
{
    for (size_t i = 0; i < g_watches.size(); i++)
        if (g_watches[i] == w) {
            g_watches.erase(g_watches.begin() + long(i));
            break;
        }
    for (Watch *o : g_watches)
        if (o->signo == w->signo)
            return;
    if (g_handled[w->signo]) {
        sigaction(w->signo, &g_saved[w->signo], nullptr);
        g_handled[w->signo] = false;
        g_raised[w->signo].store(0);
    }
}

// Ends @w: no call runs after this (waits for a running one in another
// thread); destroy here, or after the running call when inside it.
void end_watch(Watch *w)
{
    bool fin;
    {
        std::unique_lock<std::mutex> lk(w->mu);
        w->live = false;
        const pthread_t self = pthread_self();
        w->idle.wait(lk, [&] { return w->in_cb == 0 || pthread_equal(w->cb_thread, self); });
        fin = w->in_cb == 0;
        if (!fin)
            w->finish_in_cb = true;
    }
    if (fin)
        finish(w);
    watch_unref(w); // the table's
}

int unwatch_all(void *, int)
{
    std::vector<Watch *> all;
    {
        std::unique_lock<std::mutex> lk(g_mu);
        all = g_watches;
        for (Watch *w : all)
            remove_locked(w);
        g_hook_added = false;
        stop_reader(lk);
    }
    for (Watch *w : all)
        end_watch(w);
    return CQT_OK;
}

} // namespace

extern "C" {

int cqt_unix_signal_watch(int signo, cqt_object *receiver, cqt_unix_signal_fn fn, void *user_data,
                          cqt_destroy_fn destroy)
{
    static const char name[] = "cqt_unix_signal_watch";
    bool consumed = false;
    int rc = cqt::guard(name, int(CQT_EINTERNAL), [&]() -> int {
        if (!cqt::object_usable(name, receiver))
            return cqt::app_running() ? int(CQT_EINVAL) : int(CQT_ESTATE);
        if (!catchable(signo))
            return cqt::fail(CQT_EINVAL,
                             "%s: signal %d cannot be watched (%s); pass a catchable signal "
                             "such as SIGINT, SIGTERM, SIGHUP or SIGUSR1",
                             name, signo,
                             signo == SIGKILL || signo == SIGSTOP ? "SIGKILL and SIGSTOP cannot "
                                                                    "be caught"
                                                                  : "out of range 1..64");
        if (!fn)
            return cqt::fail(CQT_EINVAL, "%s: fn is NULL; pass the function to call when signal "
                                         "%d arrives", name, signo);
        cqt_thread *t = receiver->thread.load();
        {
            std::lock_guard lk(t->mu);
            if (!cqt::accepts(t, false)) {
                char what[128];
                snprintf(what, sizeof what, "the receiver, object '%s',", cqt::name_of(receiver).s);
                return cqt::loop_refusal(name, t, false, what);
            }
        }
        bool need_hook;
        {
            std::lock_guard<std::mutex> lk(g_mu);
            need_hook = !g_hook_added || g_hook_gen != cqt::g_app.gen.load();
        }
        if (need_hook) {
            // Registered outside g_mu: it takes the app's lock. Two racing
            // first watches may both register; the second hook finds nothing.
            int h = cqt_app_add_shutdown_hook(unwatch_all, nullptr, nullptr);
            if (h != CQT_OK)
                return h;
            std::lock_guard<std::mutex> lk(g_mu);
            g_hook_added = true;
            g_hook_gen = cqt::g_app.gen.load();
        }
        auto *w = new Watch;
        w->signo = signo;
        w->receiver = receiver;
        cqt::object_ref(receiver);
        w->fn = fn;
        w->user_data = user_data;
        w->destroy = destroy;
        consumed = true;
        std::unique_lock<std::mutex> lk(g_mu);
        int r = start_reader_locked(name);
        if (r == CQT_OK && !g_handled[signo]) {
            struct sigaction sa {};
            sa.sa_sigaction = on_signal;
            sa.sa_flags = SA_SIGINFO | SA_RESTART;
            sigemptyset(&sa.sa_mask);
            if (sigaction(signo, &sa, &g_saved[signo]) != 0)
                r = cqt::fail(CQT_EINVAL, "%s: sigaction(%d) failed (%s)", name, signo,
                              strerror(errno));
            else
                g_handled[signo] = true;
        }
        if (r != CQT_OK) {
            stop_reader(lk);
            lk.unlock();
            if (destroy)
                destroy(user_data);
            w->destroy = nullptr;
            watch_unref(w);
            return r;
        }
        w->id = ++g_next_id;
        if (w->id <= 0)
            w->id = g_next_id = 1;
        g_watches.push_back(w);
        return w->id;
    });
    if (rc < 0 && !consumed && destroy)
        destroy(user_data);
    return rc;
}

int cqt_unix_signal_unwatch(int id)
{
    return cqt::guard("cqt_unix_signal_unwatch", int(CQT_EINTERNAL), [&]() -> int {
        Watch *w = nullptr;
        {
            std::unique_lock<std::mutex> lk(g_mu);
            for (Watch *x : g_watches)
                if (x->id == id)
                    w = x;
            if (!w)
                return cqt::fail(CQT_EINVAL,
                                 "cqt_unix_signal_unwatch: %d is not a live watch id (removed "
                                 "already, or at shutdown); pass an id from "
                                 "cqt_unix_signal_watch",
                                 id);
            remove_locked(w);
            stop_reader(lk);
        }
        end_watch(w);
        return int(CQT_OK);
    });
}

} // extern "C"
