// SPDX-License-Identifier: MIT
// thread.cpp — cqt threads (a QThread running exec(), never subclassed),
// the main thread's context and adopted threads.
//
// Lifecycle of a cqt thread (LoopState, guarded by the mailbox lock mu):
//
//   New --start--> Running --quit: loop returns--> Stopping --drained--> Finished
//                     ^                                                     |
//                     +-------------------------start-----------------------+
//   any state --free--> Freed (the handle is released)
//
// New: objects may be created in it; non-blocking posts queue up and run
//   at start; blocking posts get CQT_ENOLOOP.
// Running: everything is accepted. Stopping: the loop returned; the finish
//   handler (in the thread) drains what was queued before, kills timers,
//   then moves to Finished, where posts get CQT_ENOLOOP.
// start: any thread; starts are serialised by start_mu, and mu is never
//   held across QThread::start (which waits for a finish under way, whose
//   handler takes mu). A second start while Running/Stopping: CQT_ESTATE.
//   From Finished, start first waits for QThread to finish and for the
//   last run's OS thread to leave. Refused while cqt_app_shutdown runs.
// quit: any thread, any state; a loop not running is left alone.
// wait: any thread but the thread itself (CQT_EDEADLK).
// free: any thread; quits, waits, drops what is still queued, waits until
//   the OS threads are gone (/proc/self/task), releases. From inside the
//   thread's own callback: marks free_on_finish and quits; when the loop
//   has returned, the main thread (its mailbox) or cqt_app_shutdown joins
//   and releases it, whichever comes first.
// shutdown: quits every cqt thread, waits within its timeout, waits for
//   their OS threads; handles not freed stay valid to free, other calls on
//   them return CQT_ESTATE (their generation is over).
// exit/quit: any thread; QThread::exit ends every loop of the thread (the
//   nested ones cqt_thread_exec runs, then its own) and records the code
//   for cqt_thread_exit_code while Running. exec: in the thread itself,
//   while Running; QThread::exec underneath (LoopThread only exposes it,
//   run is Qt's), so an exit asked before exec makes it return at once.
// started is emitted in the thread before its loop runs anything queued;
//   finished in the finish handler, once Finished (posts into the thread
//   are refused from then on, is_running is false), before the thread
//   forgets its context. start from inside the thread (a finished slot)
//   is refused: it would wait for its own finish.
// The main thread's context lives from cqt_app_init to cqt_app_shutdown;
// an adopted context lives as long as its OS thread (or the application).
#include "shim-private.h"

#include <QtCore/QDeadlineTimer>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <pthread.h>
#include <sys/syscall.h>
#include <unistd.h>

using cqt::tls_ctx;

namespace {

// QThread with its protected exec() reachable: a cqt thread's code runs a
// nested loop with QThread::exec's rules (quitNow reset, an exit asked
// before it returns at once). run() stays Qt's: exec() as the outer loop.
class LoopThread : public QThread {
public:
    int run_nested() { return exec(); }
};

struct TlsSlot {
    bool armed = false; // touched once per adopting thread: registers the destructor
    ~TlsSlot()
    {
        cqt_thread *ctx = tls_ctx;
        if (ctx && ctx->kind == ThreadKind::Adopted) {
            {
                std::lock_guard lk(ctx->mu);
                ctx->state = LoopState::Freed;
            }
            cqt::thread_unref(ctx);
        }
        tls_ctx = nullptr;
    }
};
thread_local TlsSlot tls_owner;

std::mutex g_reg_mu;
std::vector<cqt_thread *> g_registry;
std::atomic<uint64_t> g_thread_seq{0};

// Qt's threads are detached: QThread::wait() returns once run() has, and
// the OS thread then still runs its pthread key destructors. Qt's own drops
// the thread's reference to its QThreadData there, after ~QThread dropped
// the other; a process that exits in between loses the QThreadData (valgrind:
// 120 bytes "definitely lost" under QThread::QThread). So a cqt thread is
// released only after its OS threads got through their key destructors:
// each OS thread sets a key of ours, whose destructor re-arms itself once.
// glibc runs the destructors in rounds and starts another round while a
// value was set during one, so the second call comes after every
// destructor of the first round (Qt's included), whatever the key order.
// After that the thread still has the C library's exit ahead of it; the
// kernel lists it in /proc/self/task until it has reaped it. The joiner
// then waits for that too (see wait_reaped), so "freed" and "shut down"
// mean the OS thread is gone.
// Never freed: a thread may still be exiting during static destruction.
struct Exiting {
    const void *t; // the owner: a cqt_thread, or the pool
    pthread_t os;
    pid_t tid;
    bool keys_done; // its key destructors are over; the joiner erases it
};
struct ExitWatch {
    pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
    pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
    pthread_key_t key{};
    bool have_key = false;
    std::vector<Exiting> exiting; // one entry per OS thread, guarded by mu
};

void os_thread_exit(void *value);

ExitWatch &exit_watch()
{
    static ExitWatch *w = [] {
        auto *x = new ExitWatch;
        x->have_key = pthread_key_create(&x->key, os_thread_exit) == 0;
        return x;
    }();
    return *w;
}

// The key's value is the cqt_thread, its low bit set once re-armed. The
// pointer is only compared, never followed: once the entry is gone the
// thread may be released.
void os_thread_exit(void *value)
{
    ExitWatch &w = exit_watch();
    auto bits = reinterpret_cast<uintptr_t>(value);
    if (!(bits & 1) && pthread_setspecific(w.key, reinterpret_cast<void *>(bits | 1)) == 0)
        return;
    auto *t = reinterpret_cast<const void *>(bits & ~uintptr_t(1));
    pthread_t self = pthread_self();
    pthread_mutex_lock(&w.mu);
    auto it = std::find_if(w.exiting.begin(), w.exiting.end(), [&](const Exiting &e) {
        return e.t == t && pthread_equal(e.os, self) && !e.keys_done;
    });
    if (it != w.exiting.end())
        it->keys_done = true;
    pthread_cond_broadcast(&w.cv);
    pthread_mutex_unlock(&w.mu);
}

// Waits until the kernel has reaped thread @tid of this process. Its key
// destructors are over, so only the C library's exit is left: a few
// microseconds, rarely a few milliseconds. The kernel wakes no one when it
// unhashes a detached thread (the CLONE_CHILD_CLEARTID futex glibc's
// pthread_join waits on is cleared earlier, in glibc's own memory, which a
// detached thread may already have recycled), so this looks, backing off
// from 10 us to 1 ms; bounded at 2 s so that it can never hang.
void wait_reaped(pid_t tid)
{
    long pause_ns = 10000, waited_ns = 0;
    pid_t pid = getpid();
    while (syscall(SYS_tgkill, pid, tid, 0) == 0 || errno != ESRCH) {
        if (waited_ns >= 2000000000L)
            return;
        struct timespec ts = {0, pause_ns};
        nanosleep(&ts, nullptr);
        waited_ns += pause_ns;
        pause_ns = std::min(pause_ns * 2, 1000000L);
    }
}

} // namespace

namespace cqt {

// The calling thread's context: a plain pointer in the initial-exec TLS
// model, so reading it (every post does) is one load, not a call into the
// dynamic linker. Main and cqt threads only point here; an adopted context
// is owned by the thread and released by the slot's destructor at exit.
thread_local cqt_thread *tls_ctx __attribute__((tls_model("initial-exec"))) = nullptr;

} // namespace cqt

namespace cqt {

// In the thread, as it starts: watch for the end of this OS thread.
void watch_os_thread(const void *t)
{
    ExitWatch &w = exit_watch();
    if (!w.have_key)
        return; // no key left: releases do not wait (the pre-fix behaviour)
    pthread_mutex_lock(&w.mu);
    try {
        w.exiting.push_back(Exiting{t, pthread_self(), pid_t(syscall(SYS_gettid)), false});
    } catch (...) {
        pthread_mutex_unlock(&w.mu);
        return;
    }
    if (pthread_setspecific(w.key, t) != 0)
        w.exiting.pop_back();
    pthread_mutex_unlock(&w.mu);
}

// Waits until no OS thread of @t is left in the process. Called once @t's
// QThread has finished (or the pool's threads were joined); what is left to
// wait for runs no cqt callback, only Qt's and the C library's per-thread
// cleanup. Never waits for the calling thread itself (a free from a
// destructor Qt runs as the thread finishes): that one cannot get further
// while we wait.
void join_os_threads(const void *t)
{
    ExitWatch &w = exit_watch();
    pthread_t self = pthread_self();
    auto busy = [&](const Exiting &e) {
        return e.t == t && !pthread_equal(e.os, self) && !e.keys_done;
    };
    std::vector<pid_t> gone;
    pthread_mutex_lock(&w.mu);
    while (std::find_if(w.exiting.begin(), w.exiting.end(), busy) != w.exiting.end())
        pthread_cond_wait(&w.cv, &w.mu);
    for (auto it = w.exiting.begin(); it != w.exiting.end();) {
        if (it->t == t && it->keys_done) {
            try {
                gone.push_back(it->tid);
            } catch (...) {
                // out of memory: not waiting for this one is the lesser harm
            }
            it = w.exiting.erase(it);
        } else {
            ++it;
        }
    }
    pthread_mutex_unlock(&w.mu);
    for (pid_t tid : gone)
        wait_reaped(tid);
}

} // namespace cqt

namespace {

// CQT_OK when @t is a live cqt thread of this application, else the status
// with the message set.
int check_cqt_thread(const char *fn, const cqt_thread *t)
{
    if (!cqt::require_app(fn))
        return CQT_ESTATE;
    if (!t)
        return cqt::fail(CQT_EINVAL, "%s: the thread is NULL; pass a handle from cqt_thread_new", fn);
    if (t->magic != cqt::kThreadMagic)
        return cqt::fail(CQT_EINVAL, "%s: %p is not a live cqt_thread (freed, or not a thread)", fn,
                         (const void *)t);
    if (t->kind != ThreadKind::Cqt)
        return cqt::fail(CQT_EINVAL,
                         "%s: thread '%s' is %s, not a cqt thread; only threads from "
                         "cqt_thread_new can be started, quit, waited for or interrupted and "
                         "have started/finished signals (the main loop: cqt_app_quit)",
                         fn, t->name, t->kind == ThreadKind::Main ? "the main thread" : "adopted");
    if (t->user_freed)
        return cqt::fail(CQT_EINVAL, "%s: thread '%s' was freed", fn, t->name);
    if (t->gen != cqt::g_app.gen.load())
        return cqt::fail(CQT_ESTATE,
                         "%s: thread '%s' belongs to an application that was shut down; create "
                         "a new thread",
                         fn, t->name);
    return CQT_OK;
}

// In the thread, when its loop has returned: run what was queued before the
// loop ended, stop the thread's timers, then refuse further posts.
void on_thread_finished(cqt_thread *t)
{
    {
        std::lock_guard lk(t->mu);
        t->state = LoopState::Stopping;
    }
    for (;;) {
        // To the end, not one budget's worth: a loop that is ending gets no
        // further wake-up, and a batch left half run would strand its
        // deliveries (deferred frees, connection references) for good.
        cqt::drain(t, true);
        cqt::kill_thread_timers(t);
        std::lock_guard lk(t->mu);
        if (t->pending.empty() && t->draining.empty()) {
            t->state = LoopState::Finished;
            t->wake_posted = false;
            t->last_exit_code.store(t->exit_code.load());
            break;
        }
    }
    // Qt's finished: in the thread, once it no longer counts as running.
    if (cqt_signal *s = t->sig_finished.load())
        cqt_emit(s, nullptr);
    tls_ctx = nullptr;
}

void release_thread(cqt_thread *t)
{
    // A thread freed from inside itself is released either by the main
    // loop (the queued release) or by cqt_app_shutdown, whichever comes
    // first; the other must not release it again.
    if (t->released.exchange(true))
        return;
    cqt::DeliveryQueue left;
    {
        std::lock_guard lk(t->mu);
        t->state = LoopState::Freed;
        left.take(t->pending);
        t->wake_posted = false;
    }
    left.for_each([t](cqt::Delivery &d) {
        if (d.kind == cqt::kNone)
            return; // moved away with its object
        // A deferred object free must still happen; everything else is
        // dropped with its payload released.
        cqt::drop_delivery(d, CQT_ECANCELED);
        std::lock_guard lk(t->mu);
        t->inflight--;
    });
    {
        std::lock_guard<std::mutex> lk(t->wake_mu);
        delete t->pump; // no loop runs it any more
        t->pump = nullptr;
    }
    cqt_object *owner;
    {
        std::lock_guard<std::mutex> lk(t->sig_mu);
        owner = t->sig_owner;
        t->sig_owner = nullptr;
        t->sig_started.store(nullptr);
        t->sig_finished.store(nullptr);
    }
    cqt_object_free(owner); // and its started / finished signals
    if (t->kind == ThreadKind::Cqt)
        cqt::join_os_threads(t);
    delete t->qthread;
    t->qthread = nullptr;
    cqt::registry_remove(t);
    cqt__live_add(CQT__LIVE_THREADS, -1);
    cqt::thread_unref(t);
}

} // namespace

namespace cqt {

// Ends every loop of a cqt thread with @code; the code counts only for a
// run under way (Qt: an exit before start does nothing).
void exit_loop(cqt_thread *t, int code)
{
    {
        std::lock_guard lk(t->mu);
        if (t->state == LoopState::Running)
            t->exit_code.store(code);
    }
    t->qthread->exit(code);
}

void thread_ref(cqt_thread *t)
{
    t->refs.fetch_add(1, std::memory_order_relaxed);
}

void thread_unref(cqt_thread *t)
{
    if (t->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) {
        t->magic = 0;
        delete t;
    }
}

void registry_add(cqt_thread *t)
{
    std::lock_guard<std::mutex> lk(g_reg_mu);
    thread_ref(t);
    g_registry.push_back(t);
}

void registry_remove(cqt_thread *t)
{
    std::unique_lock<std::mutex> lk(g_reg_mu);
    auto it = std::find(g_registry.begin(), g_registry.end(), t);
    if (it == g_registry.end())
        return;
    g_registry.erase(it);
    lk.unlock();
    thread_unref(t);
}

std::vector<cqt_thread *> registry_snapshot()
{
    std::lock_guard<std::mutex> lk(g_reg_mu);
    for (auto *t : g_registry)
        thread_ref(t);
    return g_registry;
}

int64_t registry_pending()
{
    std::lock_guard<std::mutex> lk(g_reg_mu);
    int64_t n = 0;
    for (auto *t : g_registry) {
        std::lock_guard tlk(t->mu);
        n += t->inflight;
    }
    return n;
}

cqt_thread *current_thread_if_any()
{
    cqt_thread *t = tls_ctx;
    if (t && t->kind == ThreadKind::Adopted && t->gen != g_app.gen.load())
        return nullptr;
    return t;
}

cqt_thread *current_thread()
{
    cqt_thread *t = current_thread_if_any();
    if (t)
        return t;
    if (!app_running())
        return nullptr;
    if (tls_ctx && tls_ctx->kind == ThreadKind::Adopted) {
        cqt_thread *stale = tls_ctx;
        tls_ctx = nullptr;
        thread_unref(stale);
    }
    t = new cqt_thread;
    t->kind = ThreadKind::Adopted;
    t->gen = g_app.gen.load();
    char os[32] = "";
    pthread_getname_np(pthread_self(), os, sizeof os);
    long tid = syscall(SYS_gettid);
    if (os[0])
        snprintf(t->name, kNameMax, "adopted-%ld (%s)", tid, os);
    else
        snprintf(t->name, kNameMax, "adopted-%ld", tid);
    tls_owner.armed = true;
    tls_ctx = t;
    return t;
}

void set_current_thread(cqt_thread *t)
{
    if (tls_ctx && tls_ctx->kind == ThreadKind::Adopted)
        thread_unref(tls_ctx);
    tls_ctx = t;
}

void kill_thread_timers(cqt_thread *t)
{
    std::vector<cqt_object *> objs;
    {
        std::lock_guard lk(t->mu);
        objs = t->timer_objects;
        for (auto *o : objs)
            object_ref(o);
    }
    for (auto *o : objs) {
        disarm_all_timers(o);
        object_unref(o);
    }
}

cqt_thread *make_main_thread(QThread *qt)
{
    auto *t = new cqt_thread;
    t->kind = ThreadKind::Main;
    snprintf(t->name, kNameMax, "main");
    t->gen = g_app.gen.load();
    t->qthread = qt;
    t->pump = new Pump(t);
    t->state = LoopState::Running;
    registry_add(t);
    set_current_thread(t);
    return t;
}

// Main thread at shutdown: run what is queued, stop timers, refuse posts.
void finish_main_thread(cqt_thread *t)
{
    on_thread_finished(t);
    {
        std::lock_guard lk(t->mu);
        t->state = LoopState::Freed;
    }
    {
        std::lock_guard<std::mutex> lk(t->wake_mu);
        delete t->pump;
        t->pump = nullptr;
    }
    registry_remove(t);
}

// Threads that asked to be freed from inside themselves, and threads left
// at shutdown, are released here.
void release_finished_thread(cqt_thread *t)
{
    if (t->released.load())
        return;
    if (t->qthread) {
        t->qthread->wait();
        CQT_TSAN_ACQUIRE(t);
    }
    release_thread(t);
}

} // namespace cqt

using namespace cqt;

extern "C" {

cqt_thread *cqt_thread_new(const char *name)
{
    return guard("cqt_thread_new", (cqt_thread *)nullptr, [&]() -> cqt_thread * {
        if (!require_app("cqt_thread_new"))
            return nullptr;
        auto *t = new cqt_thread;
        t->kind = ThreadKind::Cqt;
        t->gen = g_app.gen.load();
        copy_name(t->name, name, "cqt", g_thread_seq.fetch_add(1) + 1);
        try {
            t->qthread = new LoopThread;
            t->qthread->setObjectName(QString::fromUtf8(t->name).left(15));
            t->pump = new Pump(t);
            t->pump->moveToThread(t->qthread);
        } catch (...) {
            delete t->pump;
            delete t->qthread;
            delete t;
            throw;
        }
        QObject::connect(t->qthread, &QThread::started, [t] {
            cqt::watch_os_thread(t);
            set_current_thread(t);
            // Qt's started: in the thread, before its loop runs anything.
            if (cqt_signal *s = t->sig_started.load())
                guard_void("cqt thread started", [s] { cqt_emit(s, nullptr); });
        });
        QObject::connect(t->qthread, &QThread::finished, [t] {
            guard_void("cqt thread finish", [t] { on_thread_finished(t); });
            if (t->free_on_finish) {
                // Freed from inside itself: the main thread joins and releases it.
                cqt_thread *m = g_app.main;
                Delivery d{};
                d.kind = kInternal;
                d.internal.run = [](void *p) {
                    auto *self = static_cast<cqt_thread *>(p);
                    release_finished_thread(self);
                    thread_unref(self); // the queued item's reference
                };
                d.internal.drop = d.internal.run;
                d.internal.arg = t;
                thread_ref(t); // cqt_app_shutdown may release t before this runs
                bool wake = false;
                int rc = CQT_ENOLOOP;
                if (m) {
                    std::lock_guard lk(m->mu);
                    rc = enqueue_locked(m, d, false, wake);
                    if (wake)
                        post_wake(m);
                }
                if (rc != CQT_OK)
                    thread_unref(t); // refused: cqt_app_shutdown releases it
            }
            CQT_TSAN_RELEASE(t); // the last of our code this thread runs
        });
        registry_add(t);
        cqt__live_add(CQT__LIVE_THREADS, 1);
        return t;
    });
}

int cqt_thread_start(cqt_thread *t)
{
    return guard("cqt_thread_start", int(CQT_EINTERNAL), [&]() -> int {
        if (int rc = check_cqt_thread("cqt_thread_start", t))
            return rc;
        if (t->free_on_finish)
            return fail(CQT_ESTATE, "cqt_thread_start: thread '%s' is being freed", t->name);
        if (current_thread_if_any() == t)
            return fail(CQT_ESTATE,
                        "cqt_thread_start: thread '%s' cannot start itself (called from its own "
                        "code, a finished slot say: it would wait for its own finish); start it "
                        "from another thread, e.g. a finished slot whose receiver lives there",
                        t->name);
        // One start at a time; the mailbox lock is taken only briefly, never
        // across QThread::start: that waits for a finish under way, whose
        // handler (on_thread_finished) takes the mailbox lock.
        std::lock_guard<std::mutex> starting(t->start_mu);
        if (g_app.closing.load())
            return fail(CQT_ESTATE,
                        "cqt_thread_start: thread '%s': the application is shutting down "
                        "(cqt_app_shutdown runs); no thread starts until it returns",
                        t->name);
        bool was_finished;
        {
            std::lock_guard lk(t->mu);
            if (t->state == LoopState::Running || t->state == LoopState::Stopping)
                return fail(CQT_ESTATE,
                            "cqt_thread_start: thread '%s' is running already; quit and wait for "
                            "it before starting it again",
                            t->name);
            was_finished = t->state == LoopState::Finished;
        }
        if (was_finished) {
            t->qthread->wait(); // its finish handler ran; let QThread finish too
            CQT_TSAN_ACQUIRE(t);
            join_os_threads(t); // and the last run's OS thread leave
        }
        {
            std::lock_guard lk(t->mu);
            t->state = LoopState::Running;
            t->exit_code.store(0);
        }
        t->qthread->start();
        std::lock_guard lk(t->mu);
        if (!t->pending.empty() && !t->wake_posted) {
            t->wake_posted = true;
            post_wake(t);
        }
        return int(CQT_OK);
    });
}

int cqt_thread_quit(cqt_thread *t)
{
    return guard("cqt_thread_quit", int(CQT_EINTERNAL), [&]() -> int {
        if (int rc = check_cqt_thread("cqt_thread_quit", t))
            return rc;
        exit_loop(t, 0);
        return int(CQT_OK);
    });
}

int cqt_thread_wait(cqt_thread *t, int timeout_ms)
{
    return guard("cqt_thread_wait", int(CQT_EINTERNAL), [&]() -> int {
        if (int rc = check_cqt_thread("cqt_thread_wait", t))
            return rc;
        if (timeout_ms < 0 && timeout_ms != CQT_FOREVER)
            return fail(CQT_EINVAL,
                        "cqt_thread_wait: timeout %d ms is negative; pass milliseconds >= 0 or "
                        "CQT_FOREVER",
                        timeout_ms);
        if (current_thread_if_any() == t)
            return fail(CQT_EDEADLK,
                        "cqt_thread_wait: thread '%s' cannot wait for itself; call "
                        "cqt_thread_quit and wait from another thread",
                        t->name);
        bool ok = timeout_ms == CQT_FOREVER ? t->qthread->wait()
                                            : t->qthread->wait(QDeadlineTimer(timeout_ms));
        if (ok)
            CQT_TSAN_ACQUIRE(t);
        if (!ok)
            return fail(CQT_ETIMEDOUT,
                        "cqt_thread_wait: thread '%s' did not finish within %d ms; was "
                        "cqt_thread_quit called, and does a callback there block?",
                        t->name, timeout_ms);
        return int(CQT_OK);
    });
}

bool cqt_thread_is_running(const cqt_thread *t)
{
    if (!t || t->magic != kThreadMagic)
        return false;
    if (t->kind == ThreadKind::Adopted)
        return false;
    auto *mt = const_cast<cqt_thread *>(t);
    std::lock_guard lk(mt->mu);
    return t->state == LoopState::Running || t->state == LoopState::Stopping;
}

void cqt_thread_free(cqt_thread *t)
{
    guard_void("cqt_thread_free", [&] {
        if (!t)
            return;
        if (t->magic != kThreadMagic) {
            log_message(CQT_MSG_WARNING, "cqt",
                        "cqt_thread_free: not a live cqt_thread (double free?); ignored");
            return;
        }
        if (t->kind != ThreadKind::Cqt)
            return;
        if (t->user_freed || t->free_on_finish) {
            log_message(CQT_MSG_WARNING, "cqt", "cqt_thread_free: thread freed twice; ignored");
            return;
        }
        if (current_thread_if_any() == t) {
            t->free_on_finish = true;
            exit_loop(t, 0);
            return;
        }
        t->user_freed = true;
        exit_loop(t, 0);
        t->qthread->wait();
        CQT_TSAN_ACQUIRE(t);
        release_thread(t);
    });
}

cqt_thread *cqt_thread_current(void)
{
    return guard("cqt_thread_current", (cqt_thread *)nullptr, [] {
        cqt_thread *t = current_thread();
        if (!t)
            fail(CQT_ESTATE, "cqt_thread_current: no application; call cqt_app_init first");
        return t;
    });
}

cqt_thread *cqt_thread_main(void)
{
    if (!app_running()) {
        fail(CQT_ESTATE, "cqt_thread_main: no application; call cqt_app_init first");
        return nullptr;
    }
    return g_app.main;
}

const char *cqt_thread_name(const cqt_thread *t)
{
    if (!t || t->magic != kThreadMagic)
        return "(null)";
    return t->name;
}

bool cqt_thread_has_loop(const cqt_thread *t)
{
    return t && t->magic == kThreadMagic && t->kind != ThreadKind::Adopted;
}

int cqt_thread_exit(cqt_thread *t, int exit_code)
{
    return guard("cqt_thread_exit", int(CQT_EINTERNAL), [&]() -> int {
        if (int rc = check_cqt_thread("cqt_thread_exit", t))
            return rc;
        exit_loop(t, exit_code);
        return int(CQT_OK);
    });
}

int cqt_thread_exit_code(const cqt_thread *t)
{
    if (!t || t->magic != kThreadMagic || t->kind != ThreadKind::Cqt)
        return 0;
    return t->last_exit_code.load();
}

int cqt_thread_exec(void)
{
    return guard("cqt_thread_exec", int(CQT_EINTERNAL), [&]() -> int {
        if (!require_app("cqt_thread_exec"))
            return CQT_ESTATE;
        cqt_thread *t = current_thread();
        if (t->kind == ThreadKind::Adopted)
            return fail(CQT_ENOLOOP,
                        "cqt_thread_exec: thread '%s' runs no event loop (a pool thread or a "
                        "plain pthread); run the code in a cqt_thread (cqt_thread_post) or a "
                        "CQT_WORKER_DEDICATED_THREAD worker",
                        t->name);
        if (t->kind == ThreadKind::Main)
            return fail(CQT_EWRONGTHREAD,
                        "cqt_thread_exec: called in the main thread; run its loop with "
                        "cqt_app_exec and end it with cqt_app_quit");
        if (t->state != LoopState::Running)
            return fail(CQT_ESTATE,
                        "cqt_thread_exec: thread '%s' is finishing (called from a finished slot "
                        "or the last drain): its loop has returned; start it again from another "
                        "thread instead",
                        t->name);
        wake_nested_loop(t);
        return static_cast<LoopThread *>(t->qthread)->run_nested();
    });
}

int cqt_thread_post(cqt_thread *t, cqt_fn fn, void *user_data, cqt_destroy_fn destroy)
{
    int rc = guard("cqt_thread_post", int(CQT_EINTERNAL), [&]() -> int {
        static const char name[] = "cqt_thread_post";
        if (!require_app(name))
            return CQT_ESTATE;
        if (!t)
            return fail(CQT_EINVAL, "%s: the thread is NULL; pass a handle from cqt_thread_new, "
                                    "cqt_thread_main or cqt_thread_current", name);
        if (t->magic != kThreadMagic)
            return fail(CQT_EINVAL, "%s: %p is not a live cqt_thread (freed, or not a thread)",
                        name, (const void *)t);
        if (!fn)
            return fail(CQT_EINVAL, "%s: fn is NULL; pass the function to run", name);
        if (t->user_freed || t->free_on_finish || t->state == LoopState::Freed)
            return fail(CQT_EINVAL, "%s: thread '%s' was freed", name, t->name);
        if (t->gen != g_app.gen.load())
            return fail(CQT_ESTATE, "%s: thread '%s' belongs to an application that was shut "
                                    "down; create a new thread", name, t->name);
        Delivery d{};
        d.kind = kCall;
        d.call.fn = fn;
        d.call.user_data = user_data;
        d.call.destroy = destroy;
        d.target = nullptr;
        bool wake = false;
        int r;
        {
            std::lock_guard lk(t->mu);
            r = enqueue_locked(t, d, false, wake);
        }
        if (r != CQT_OK)
            return loop_refusal(name, t, false, "the posted function");
        destroy = nullptr; // the delivery owns it now
        if (wake)
            post_wake(t);
        return int(CQT_OK);
    });
    if (rc != CQT_OK && destroy)
        destroy(user_data);
    return rc;
}

// started / finished of @t, created on first ask.
static cqt_signal *thread_signal(const char *fn, cqt_thread *t, bool finished)
{
    return guard(fn, (cqt_signal *)nullptr, [&]() -> cqt_signal * {
        if (check_cqt_thread(fn, t))
            return nullptr;
        std::lock_guard<std::mutex> lk(t->sig_mu);
        if (!t->sig_owner) {
            cqt_object *o = cqt_object_new(t);
            if (!o)
                return nullptr;
            cqt_signal *st = cqt_signal_new(o, "started");
            cqt_signal *fi = st ? cqt_signal_new(o, "finished") : nullptr;
            if (!fi) {
                cqt_object_free(o);
                fail(CQT_ENOMEM, "%s: thread '%s': cannot create its signals", fn, t->name);
                return nullptr;
            }
            t->sig_owner = o;
            t->sig_started.store(st);
            t->sig_finished.store(fi);
        }
        return finished ? t->sig_finished.load() : t->sig_started.load();
    });
}

cqt_signal *cqt_thread_started(cqt_thread *t)
{
    return thread_signal("cqt_thread_started", t, false);
}

cqt_signal *cqt_thread_finished(cqt_thread *t)
{
    return thread_signal("cqt_thread_finished", t, true);
}

int cqt_thread_request_interruption(cqt_thread *t)
{
    return guard("cqt_thread_request_interruption", int(CQT_EINTERNAL), [&]() -> int {
        if (int rc = check_cqt_thread("cqt_thread_request_interruption", t))
            return rc;
        t->qthread->requestInterruption();
        return int(CQT_OK);
    });
}

bool cqt_thread_is_interruption_requested(const cqt_thread *t)
{
    if (!t || t->magic != kThreadMagic || t->kind != ThreadKind::Cqt || !t->qthread)
        return false;
    return t->qthread->isInterruptionRequested();
}

} // extern "C"
