// SPDX-License-Identifier: MIT
// io.cpp — fd watches (cqt/io.h): QSocketNotifiers owned by an object.
//
// Lifecycle of a cqt_io_watch:
//   created (any thread) --arm, in the owner's thread--> live --free--> freed
// The wanted state (events, enabled) lives in the handle under its mutex
// and may be changed from any thread; apply() makes the notifiers match it
// and runs only in the owner's thread (directly there, else queued through
// the owner's mailbox), so Qt never sees a notifier touched from another
// thread (P14). apply() reads the latest wanted state, so applies arriving
// in any order converge.
//
// The notifiers hang under a Host, a child of the owner's QObject, so
// cqt_object_move_to_thread carries them the way it carries timers (P7).
// On the move the Host disables them in the old thread (Qt would re-enable
// them through its own queued call, racing ours) and queues an apply to the
// owner: cqt's move carries that delivery to the new thread, where the
// notifiers are enabled again. Level-triggered, so whatever became ready in
// between is reported once there.
//
// Callbacks: dispatch checks, under the handle's mutex, that the watch is
// live, enabled and wants what happened, and counts itself in `in_cb`.
// free, disable and set_events from another thread wait for in_cb to drop
// to zero, so no callback runs after they return. A free from inside the
// callback leaves destroy to the dispatch that is running it.
//
// Closed fds: Qt's dispatchers notice POLLNVAL themselves, disable the
// notifier and tell nobody but the message handler ("QSocketNotifier:
// Invalid socket ..."), in the thread that polled, right then. cqt's bridge
// for Qt's messages calls io_qt_warning(), which asks every Host of that
// thread to check whether a notifier it enabled was switched off behind
// its back; the one that was reports CQT_IO_ERROR once. (The dispatcher
// emits no signal that would do: after disabling it polls on, blocked.)
#include "shim-private.h"

#include <QtCore/QSocketNotifier>

#include <cerrno>
#include <cstdio>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>

namespace {

constexpr uint32_t kIoMagic = 0x43515449u; // "CQTI"
constexpr unsigned kKnown = CQT_IO_READ | CQT_IO_WRITE | CQT_IO_ERROR;

class Host;

} // namespace

struct cqt_io_watch {
    uint32_t magic = kIoMagic;
    std::atomic<int> refs{1}; // the handle, the Host, each queued delivery
    cqt_object *owner = nullptr; // holds an object reference
    int fd = -1;
    cqt_io_fn fn = nullptr;
    void *user_data = nullptr;
    cqt_destroy_fn destroy = nullptr;

    std::mutex mu; // guards the fields below
    std::condition_variable idle; // in_cb dropped to zero
    unsigned events = 0;
    bool enabled = true;
    bool freed = false;        // by cqt_io_watch_free or with the owner
    bool finish_in_cb = false; // freed inside its callback: dispatch finishes
    bool finished = false;     // destroy ran
    bool handle_released = false; // the handle's reference was dropped
    bool reapply = false;      // an apply waited for a callback in another thread
    int in_cb = 0;
    pthread_t cb_thread{};     // where the running callback runs
    Host *host = nullptr;      // owner thread only (read under mu elsewhere)
};

namespace {

std::atomic<int> g_check_event{0};

// Every Host and the thread it lives in, for io_qt_warning(). @home is
// ours (Qt's QObject::thread() is not safe to read from other threads).
std::mutex g_hosts_mu;
std::vector<std::pair<Host *, QThread *>> g_hosts;

void hosts_set_home(Host *h, QThread *home)
{
    std::lock_guard<std::mutex> lk(g_hosts_mu);
    for (auto &e : g_hosts)
        if (e.first == h) {
            e.second = home;
            return;
        }
    g_hosts.emplace_back(h, home);
}

void hosts_remove(Host *h)
{
    std::lock_guard<std::mutex> lk(g_hosts_mu);
    for (size_t i = 0; i < g_hosts.size(); i++)
        if (g_hosts[i].first == h) {
            g_hosts[i] = g_hosts.back();
            g_hosts.pop_back();
            return;
        }
}

void watch_ref(cqt_io_watch *w)
{
    w->refs.fetch_add(1, std::memory_order_relaxed);
}

void watch_unref(cqt_io_watch *w)
{
    if (w->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) {
        cqt_object *o = w->owner;
        w->magic = 0;
        delete w;
        cqt::object_unref(o);
    }
}

// Runs destroy once; the caller set freed and no callback runs.
void finish(cqt_io_watch *w)
{
    {
        std::lock_guard lk(w->mu);
        if (w->finished)
            return;
        w->finished = true;
    }
    if (w->destroy)
        w->destroy(w->user_data);
}

bool fd_open(int fd)
{
    return fd >= 0 && fcntl(fd, F_GETFD) != -1;
}

void apply_run(void *p);

// The owner was destroyed: the watch is freed with it, handle included.
void owner_gone(cqt_io_watch *w)
{
    bool fin = false, drop_handle;
    {
        std::lock_guard lk(w->mu);
        if (!w->freed) {
            w->freed = true;
            fin = w->in_cb == 0;
            if (!fin)
                w->finish_in_cb = true;
        }
        drop_handle = !w->handle_released;
        w->handle_released = true;
    }
    if (fin)
        finish(w);
    if (drop_handle)
        watch_unref(w);
}

void apply_drop(void *p)
{
    watch_unref(static_cast<cqt_io_watch *>(p));
}

// A notifier that hands its activations to its Host.
class Notifier : public QSocketNotifier {
public:
    Notifier(int fd, Type type, QObject *parent) : QSocketNotifier(fd, type, parent) {}

protected:
    bool event(QEvent *e) override;
};

// The watch's presence in the owner's thread. Owner thread only.
class Host : public QObject {
public:
    Host(cqt_io_watch *watch, QObject *parent) : QObject(parent), w(watch)
    {
        watch_ref(w);
        hosts_set_home(this, QThread::currentThread());
    }
    ~Host() override;

    cqt_io_watch *w;
    Notifier *rd = nullptr, *wr = nullptr;
    bool rd_on = false, wr_on = false; // what we last set

    void set(unsigned want);
    void activated();
    void check_disabled();

protected:
    bool event(QEvent *e) override;
};

// Queues an apply to the owner (which cqt's move carries along).
void post_apply(cqt_io_watch *w)
{
    cqt::Delivery d{};
    d.kind = cqt::kInternal;
    d.internal.run = apply_run;
    d.internal.drop = apply_drop;
    d.internal.arg = w;
    watch_ref(w);
    if (cqt::post_to_object("cqt io watch", w->owner, d, false) != CQT_OK)
        watch_unref(w);
}

bool Notifier::event(QEvent *e)
{
    if (e->type() != QEvent::SockAct)
        return QSocketNotifier::event(e);
    // The Host moves with the owner's QObject through Qt's own
    // (uninstrumented) locks; pair with the release of the move.
    CQT_TSAN_ACQUIRE(parent()->parent());
    CQT_TSAN_ACQUIRE(this);
    cqt::guard_void("cqt io watch", [&] { static_cast<Host *>(parent())->activated(); });
    CQT_TSAN_RELEASE(this);
    return true;
}

void Host::set(unsigned want)
{
    const bool r = want & (CQT_IO_READ | CQT_IO_ERROR);
    const bool wt = want & CQT_IO_WRITE;
    if (r && !rd)
        rd = new Notifier(w->fd, QSocketNotifier::Read, this);
    if (wt && !wr)
        wr = new Notifier(w->fd, QSocketNotifier::Write, this);
    if (rd)
        rd->setEnabled(r);
    if (wr)
        wr->setEnabled(wt);
    rd_on = r;
    wr_on = wt;
}

bool Host::event(QEvent *e)
{
    if (e->type() == QEvent::ThreadChange) {
        // In the old thread, before Qt moves the notifiers: switch them off
        // here (so Qt's QSocketNotifier does not queue its own re-enable)
        // and queue an apply to the owner, which cqt's move carries along.
        if (rd)
            rd->setEnabled(false);
        if (wr)
            wr->setEnabled(false);
        rd_on = wr_on = false;
        hosts_set_home(this, nullptr); // until apply runs in the new thread
        post_apply(w);
        CQT_TSAN_RELEASE(this);
        return QObject::event(e);
    }
    if (e->type() == QEvent::Type(g_check_event.load())) {
        cqt::guard_void("cqt io watch", [&] { check_disabled(); });
        return true;
    }
    return QObject::event(e);
}

Host::~Host()
{
    // With the owner's QObject (the owner was destroyed) or after a free's
    // teardown. Notifiers are children: switched off before they go.
    hosts_remove(this);
    if (rd)
        rd->setEnabled(false);
    if (wr)
        wr->setEnabled(false);
    {
        std::lock_guard lk(w->mu);
        if (w->host == this)
            w->host = nullptr;
    }
    owner_gone(w);
    watch_unref(w); // the Host's
}

// Calls the user function for @revents unless the watch was freed, disabled
// or no longer wants them; @stop disables it first (a lasting condition).
void call_user(cqt_io_watch *w, unsigned revents, bool stop, Host *h)
{
    cqt_object *o = w->owner;
    {
        std::lock_guard lk(w->mu);
        if (w->freed || !w->enabled || o->dead.load(std::memory_order_acquire))
            return;
        revents &= w->events | CQT_IO_ERROR;
        if (!revents)
            return;
        if (stop)
            w->enabled = false;
        w->in_cb++;
        w->cb_thread = pthread_self();
    }
    if (stop)
        h->set(0);
    // An object freed from inside this callback must not delete the QObject
    // (and the Host under it) while we are in its event(): object_destroy
    // defers the delete while dispatch_depth is up, as for timers.
    cqt::ObjectExtra &x = o->ext();
    x.dispatch_depth++;
    w->fn(w->user_data, w, w->fd, revents);
    x.dispatch_depth--;
    bool fin = false, reapply = false;
    {
        std::lock_guard lk(w->mu);
        if (--w->in_cb == 0) {
            w->idle.notify_all();
            fin = w->finish_in_cb;
            w->finish_in_cb = false;
            reapply = w->reapply && !w->freed;
            w->reapply = false;
        }
    }
    if (reapply)
        post_apply(w); // to the thread the owner moved to during the callback
    if (fin)
        finish(w);
}

void Host::activated()
{
    cqt_io_watch *keep = w;
    watch_ref(keep); // a free inside the callback must not delete it under us
    unsigned want;
    {
        std::lock_guard lk(w->mu);
        want = (w->freed || !w->enabled) ? 0 : w->events;
    }
    if (!want || w->owner->dead.load(std::memory_order_acquire)) {
        set(0); // stale: nothing may fire, so nothing may keep the loop busy
        watch_unref(keep);
        return;
    }
    pollfd p{};
    p.fd = w->fd;
    p.events = short(((want & CQT_IO_READ) ? POLLIN : 0) | ((want & CQT_IO_WRITE) ? POLLOUT : 0));
    int n;
    do
        n = poll(&p, 1, 0);
    while (n < 0 && errno == EINTR);
    unsigned rev = 0;
    bool stop = false;
    if (n > 0) {
        if ((p.revents & POLLIN) && (want & CQT_IO_READ))
            rev |= CQT_IO_READ;
        if ((p.revents & POLLOUT) && (want & CQT_IO_WRITE))
            rev |= CQT_IO_WRITE;
        // A hang-up is reported once nothing is left to read; it lasts, so
        // the watch stops (else a level-triggered loop would spin on it).
        if ((p.revents & (POLLHUP | POLLERR | POLLNVAL)) && !(rev & CQT_IO_READ)) {
            rev |= CQT_IO_ERROR;
            stop = true;
        }
    }
    if (rev)
        call_user(w, rev, stop, this);
    watch_unref(keep);
}

// Qt warned about a socket notifier in this thread: if it switched one of
// ours off (POLLNVAL: the fd was closed), report that once.
void Host::check_disabled()
{
    if ((rd && rd_on && !rd->isEnabled()) || (wr && wr_on && !wr->isEnabled()))
        call_user(w, CQT_IO_ERROR, true, this);
}

void apply_run(void *p)
{
    auto *w = static_cast<cqt_io_watch *>(p);
    cqt_object *o = w->owner;
    unsigned want = 0;
    bool gone;
    {
        std::lock_guard lk(w->mu);
        gone = w->freed;
        if (!gone && w->enabled)
            want = w->events;
        // The owner was moved here from inside a callback still running in
        // the old thread: callbacks of one watch never overlap, so enabling
        // waits until that one returns (it queues the apply again).
        if (want && w->in_cb > 0 && !pthread_equal(w->cb_thread, pthread_self())) {
            w->reapply = true;
            want = 0;
        }
    }
    if (!gone && !o->dead.load(std::memory_order_acquire)) {
        Host *h;
        {
            std::lock_guard lk(w->mu);
            h = w->host;
        }
        if (!h) {
            h = new Host(w, cqt::ensure_qobject(o));
            std::lock_guard lk(w->mu);
            w->host = h;
        } else {
            hosts_set_home(h, QThread::currentThread()); // after a move
        }
        h->set(want);
    }
    watch_unref(w);
}

// The owner went away before the watch was armed.
void arm_drop(void *p)
{
    auto *w = static_cast<cqt_io_watch *>(p);
    owner_gone(w);
    watch_unref(w);
}

// After a free: the Host goes, in the owner's thread.
void teardown_run(void *p)
{
    auto *w = static_cast<cqt_io_watch *>(p);
    Host *h;
    {
        std::lock_guard lk(w->mu);
        h = w->host;
        w->host = nullptr;
    }
    if (h) {
        h->set(0);
        h->deleteLater(); // we may be inside its event()
    }
    watch_unref(w);
}

bool check_events(const char *fn, unsigned events)
{
    if (events & ~kKnown)
        return cqt::fail(CQT_EINVAL,
                         "%s: unknown event bits 0x%x; use CQT_IO_READ, CQT_IO_WRITE and "
                         "CQT_IO_ERROR",
                         fn, events & ~kKnown),
               false;
    if (!(events & (CQT_IO_READ | CQT_IO_WRITE)))
        return cqt::fail(CQT_EINVAL,
                         "%s: events 0x%x watch neither CQT_IO_READ nor CQT_IO_WRITE; add one "
                         "(hang-up and errors come with them), or disable the watch",
                         fn, events),
               false;
    return true;
}

bool check_fd(const char *fn, int fd)
{
    if (fd < 0)
        return cqt::fail(CQT_EINVAL, "%s: fd %d is negative; pass an open file descriptor", fn, fd),
               false;
    if (!fd_open(fd))
        return cqt::fail(CQT_EINVAL,
                         "%s: fd %d is not open (fcntl: EBADF); pass an open file descriptor, "
                         "and free a watch before closing its fd",
                         fn, fd),
               false;
    return true;
}

bool watch_usable(const char *fn, const cqt_io_watch *w)
{
    if (!cqt::require_app(fn))
        return false;
    if (!w)
        return cqt::fail(CQT_EINVAL, "%s: the watch is NULL; pass a handle from cqt_io_watch_new",
                         fn),
               false;
    if (w->magic != kIoMagic)
        return cqt::fail(CQT_EINVAL, "%s: %p is not a live cqt_io_watch (freed?)", fn,
                         (const void *)w),
               false;
    return true;
}

int watch_status()
{
    return cqt::app_running() ? CQT_EINVAL : CQT_ESTATE;
}

// Waits until no callback of @w runs in another thread. Caller holds lk.
void wait_idle(cqt_io_watch *w, std::unique_lock<std::mutex> &lk)
{
    const pthread_t self = pthread_self();
    w->idle.wait(lk, [&] { return w->in_cb == 0 || pthread_equal(w->cb_thread, self); });
}

// Changes the wanted state and marshals an apply to the owner's thread.
int change(const char *fn, cqt_io_watch *w, int events, int enable, bool wait)
{
    if (!watch_usable(fn, w))
        return watch_status();
    if (events >= 0 && !check_events(fn, unsigned(events)))
        return CQT_EINVAL;
    if ((events >= 0 || enable > 0) && !fd_open(w->fd))
        return cqt::fail(CQT_EINVAL,
                         "%s: fd %d of the watch was closed; free the watch (and create a new "
                         "one for a new fd)",
                         fn, w->fd);
    {
        std::unique_lock<std::mutex> lk(w->mu);
        if (w->freed)
            return cqt::fail(CQT_EINVAL, "%s: the watch on fd %d was freed (or its owner '%s' was)",
                             fn, w->fd, cqt::name_of(w->owner).s);
        if (events >= 0)
            w->events = unsigned(events);
        if (enable >= 0)
            w->enabled = enable > 0;
        if (wait)
            wait_idle(w, lk);
    }
    watch_ref(w);
    int rc = cqt::run_in_owner(fn, w->owner, apply_run, apply_drop, w);
    return rc;
}

} // namespace

namespace cqt {

// Called by the bridge for Qt's messages (error.cpp), in the thread that
// logged. Qt disables a notifier whose fd is invalid and says so only here.
void io_qt_warning(const char *msg)
{
    if (!msg || !strstr(msg, "QSocketNotifier") || !g_check_event.load())
        return;
    QThread *here = QThread::currentThread();
    std::lock_guard<std::mutex> lk(g_hosts_mu);
    for (auto &e : g_hosts)
        if (e.second == here)
            QCoreApplication::postEvent(e.first, new QEvent(QEvent::Type(g_check_event.load())));
}

} // namespace cqt

extern "C" {

cqt_io_watch *cqt_io_watch_new(cqt_object *owner, int fd, unsigned events, cqt_io_fn fn,
                               void *user_data, cqt_destroy_fn destroy)
{
    static const char name[] = "cqt_io_watch_new";
    bool consumed = false;
    cqt_io_watch *res = cqt::guard(name, (cqt_io_watch *)nullptr, [&]() -> cqt_io_watch * {
        if (!cqt::object_usable(name, owner))
            return nullptr;
        if (!check_fd(name, fd) || !check_events(name, events))
            return nullptr;
        if (!fn) {
            cqt::fail(CQT_EINVAL, "%s: fn is NULL; pass the function to call when fd %d is ready",
                      name, fd);
            return nullptr;
        }
        {
            // A thread cqt did not start has no loop to watch in (Qt:
            // "QSocketNotifier: Can only be used with threads started with QThread").
            cqt_thread *t = owner->thread.load();
            std::lock_guard lk(t->mu);
            if (!cqt::accepts(t, false)) {
                char what[128];
                snprintf(what, sizeof what, "the watch's owner, object '%s',", cqt::name_of(owner).s);
                cqt::loop_refusal(name, t, false, what);
                return nullptr;
            }
        }
        if (!g_check_event.load()) {
            int expect = 0;
            g_check_event.compare_exchange_strong(expect, QEvent::registerEventType());
        }
        auto *w = new cqt_io_watch;
        w->owner = owner;
        cqt::object_ref(owner);
        w->fd = fd;
        w->events = events;
        w->fn = fn;
        w->user_data = user_data;
        w->destroy = destroy;
        consumed = true;
        watch_ref(w); // the arming
        int rc = cqt::run_in_owner(name, owner, apply_run, arm_drop, w);
        if (rc != CQT_OK) {
            // arm_drop ran: destroy done, the arming's reference dropped.
            char buf[512];
            snprintf(buf, sizeof buf, "%s", cqt_last_error());
            watch_unref(w);
            cqt::fail(rc, "%s (watch on fd %d)", buf, fd);
            return nullptr;
        }
        return w;
    });
    if (!res && !consumed && destroy)
        destroy(user_data);
    return res;
}

int cqt_io_watch_set_events(cqt_io_watch *w, unsigned events)
{
    return cqt::guard("cqt_io_watch_set_events", int(CQT_EINTERNAL), [&] {
        if (events > unsigned(INT32_MAX))
            return cqt::fail(CQT_EINVAL,
                             "cqt_io_watch_set_events: unknown event bits 0x%x; use CQT_IO_READ, "
                             "CQT_IO_WRITE and CQT_IO_ERROR",
                             events);
        return change("cqt_io_watch_set_events", w, int(events), -1, true);
    });
}

int cqt_io_watch_enable(cqt_io_watch *w)
{
    return cqt::guard("cqt_io_watch_enable", int(CQT_EINTERNAL),
                      [&] { return change("cqt_io_watch_enable", w, -1, 1, false); });
}

int cqt_io_watch_disable(cqt_io_watch *w)
{
    return cqt::guard("cqt_io_watch_disable", int(CQT_EINTERNAL),
                      [&] { return change("cqt_io_watch_disable", w, -1, 0, true); });
}

bool cqt_io_watch_is_enabled(const cqt_io_watch *w)
{
    if (!w || w->magic != kIoMagic)
        return false;
    auto *mw = const_cast<cqt_io_watch *>(w);
    std::lock_guard lk(mw->mu);
    return !w->freed && w->enabled;
}

int cqt_io_watch_fd(const cqt_io_watch *w)
{
    if (!w || w->magic != kIoMagic)
        return -1;
    return w->fd;
}

void cqt_io_watch_free(cqt_io_watch *w)
{
    cqt::guard_void("cqt_io_watch_free", [&] {
        if (!w)
            return;
        if (w->magic != kIoMagic) {
            cqt::log_message(CQT_MSG_WARNING, "cqt",
                             "cqt_io_watch_free: not a live cqt_io_watch (double free?); ignored");
            return;
        }
        bool fin;
        {
            std::unique_lock<std::mutex> lk(w->mu);
            if (w->handle_released || w->freed) {
                lk.unlock();
                cqt::log_message(CQT_MSG_WARNING, "cqt",
                                 "cqt_io_watch_free: the watch was freed already (or with its "
                                 "owner); ignored");
                return;
            }
            w->handle_released = true;
            w->freed = true;
            wait_idle(w, lk);
            // Inside its own callback: that dispatch finishes it.
            fin = w->in_cb == 0;
            if (!fin)
                w->finish_in_cb = true;
        }
        if (fin)
            finish(w);
        // The Host goes in the owner's thread. If that cannot be reached
        // (its loop stopped), it goes with the owner's QObject.
        watch_ref(w);
        cqt::run_in_owner("cqt_io_watch_free", w->owner, teardown_run, apply_drop, w);
        watch_unref(w); // the handle
    });
}

} // extern "C"
