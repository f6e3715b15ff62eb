// SPDX-License-Identifier: MIT
// timer.cpp — object timers (QObject::startTimer on the owner's QObject, so
// Qt moves them with the object) and cqt_timer handles built on them.
//
// A start or kill from a foreign thread is marshalled to the owner's thread
// through its mailbox; ids are ours (global, never reused) so they can be
// returned before the owner thread has armed the Qt timer.
//
// Periodic CQT_TIMER_PRECISE timers do not use Qt's timer: Qt re-arms a
// periodic timer from the moment it fired (and the glib dispatcher rounds
// its wait up to whole milliseconds), so a 1 ms timer drifts by ~10%
// (bench/bench-timers.c). They are a timerfd on the absolute schedule
// start + k * interval, watched by a QSocketNotifier that is a child of
// the owner's QObject, so it follows the object to another thread the way
// Qt's timers do (P7). Coarse and very coarse timers keep Qt's semantics,
// except that a very coarse interval is rounded up to whole seconds.
//
// Lifecycle. An object timer (TimerRec) is live from its start to its kill
// (any thread, by id; the live table under o->mu) and armed in the owner's
// thread only (the armed table, touched there): arm and disarm travel
// through the owner's mailbox. It ends when killed, when a single shot
// fired, or with its object; its destroy runs with its last reference.
// A cqt_timer handle is
//   stopped  (rec null): set_single_shot/set_type/start from any thread;
//   active   (rec = the current arming): start restarts, stop stops, from
//            any thread; a fire of a single-shot arming makes it stopped;
//            set_single_shot/set_type only apply at the next start (the
//            arming keeps its own mode: rec->single);
//   freed    cqt_timer_free (any thread, not concurrently with other calls
//            on it): stopped, off its owner's list, its timeout signal
//            retired; the memory goes with the last reference (armings hold
//            one). Its owner's release frees it too.
// From inside its own timeout (in the owner's thread): stop - no further
// emit; start - a new arming, the old one is not emitted again; free - the
// emit under way finishes on the retired, empty signal.
// Its id (cqt_timer_id) is the current arming's: a fresh one per start,
// -1 while stopped (a single shot's arming is killed before it fires).
// A receiver-less cqt_single_shot owns a private anchor object in the
// calling thread: created with the shot, freed by the shot's destroy
// (after the fire, or when its thread's timers are released).
#include "shim-private.h"

#include <QAbstractEventDispatcher>

#include <QtCore/QPointer>
#include <QtCore/QSocketNotifier>

#include <climits>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <sys/timerfd.h>
#include <unistd.h>

namespace cqt {
void dispatch_timer(cqt_object *o, int qt_id); // below; the ticker and timerEvent call it
} // namespace cqt

struct cqt_timer {
    uint32_t magic = cqt::kTimerMagic;
    std::atomic<int> refs{1};
    cqt_object *owner = nullptr;
    // Set at creation, never changed: the name given (an exact copy), or
    // nullptr for the default "timer-<seq>", rendered when a message needs it.
    char *name = nullptr;
    uint64_t seq = 0;
    // Created on first cqt_timer_timeout; retired by cqt_timer_free and
    // deleted with the last reference (a fire under way may still hold it).
    std::atomic<cqt_signal *> timeout{nullptr};
    std::mutex mu; // guards the fields below
    int interval = 0;
    int8_t type = CQT_TIMER_COARSE;
    bool single = false;
    bool freed = false;
    cqt::TimerRec *rec = nullptr; // the current arming (holds a reference)
    int64_t deadline_ns = 0;
};

namespace {

std::atomic<int> g_timer_id{0};
std::atomic<uint64_t> g_timer_seq{0};
// Each owner's list of cqt_timer handles (ObjectExtra::timers): added to by
// cqt_timer_new, removed from by cqt_timer_free, emptied when the owner is
// destroyed. A leaf lock: nothing else is taken while it is held.
std::mutex g_handles_mu;

int next_timer_id()
{
    // Ids are never reused; after 2^31 - 1 timers they would wrap, which a
    // process does not reach in practice.
    int id = g_timer_id.fetch_add(1, std::memory_order_relaxed) + 1;
    return id > 0 ? id : 1;
}

// A timer's name for messages.
cqt::NameCopy timer_name(const cqt_timer *t)
{
    cqt::NameCopy c;
    cqt::copy_name(c.s, t->name, "timer", t->seq);
    return c;
}

void timer_handle_unref(cqt_timer *t)
{
    if (t->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) {
        t->magic = 0;
        // The last reference follows cqt_timer_free, which retired it.
        if (cqt_signal *sig = t->timeout.load(std::memory_order_acquire))
            cqt::signal_delete(sig);
        delete[] t->name;
        delete t;
    }
}

// The timerfd of a periodic PRECISE timer. Lives in the owner's thread.
class Ticker : public QSocketNotifier {
public:
    Ticker(int fd, int key, cqt::ShimObject *parent)
        : QSocketNotifier(fd, QSocketNotifier::Read, parent), fd_(fd), key_(key)
    {
    }
    ~Ticker() override
    {
        CQT_TSAN_ACQUIRE(this); // see event()
        setEnabled(false); // before the fd is closed
        close(fd_);
    }
    // Stops it for good; deleted later (it may be inside its own event()).
    void retire()
    {
        CQT_TSAN_ACQUIRE(this); // see event()
        setEnabled(false);
        deleteLater();
    }

protected:
    bool event(QEvent *e) override
    {
        // A ticker moves threads with its QObject through Qt's own
        // (uninstrumented) locks: pair with the release at its creation,
        // and with the one cqt_object_move_to_thread makes on the QObject.
        CQT_TSAN_ACQUIRE(this);
        if (e->type() != QEvent::SockAct)
            return QSocketNotifier::event(e);
        auto *q = static_cast<cqt::ShimObject *>(parent());
        CQT_TSAN_ACQUIRE(q);
        uint64_t expirations;
        // Missed periods are coalesced into one call, as Qt does; the
        // schedule itself stays on start + k * interval. Periods that fall
        // due while the callback runs a nested loop are read (the timerfd
        // would stay readable and spin that loop) and dropped: a timer is
        // not re-entered from its own callback, Qt's rule for its timer
        // list (tst_qtimer's timerInfiniteRecursion).
        if (read(fd_, &expirations, sizeof expirations) == sizeof expirations && q->owner &&
            !in_callback_.exchange(true, std::memory_order_acq_rel)) {
            QPointer<Ticker> self(this); // a stop in a nested loop may delete it there
            cqt::guard_void("cqt timer", [&] { cqt::dispatch_timer(q->owner, key_); });
            if (self)
                in_callback_.store(false, std::memory_order_release);
        }
        CQT_TSAN_RELEASE(this); // for whichever thread it runs in next (moves)
        return true;
    }

private:
    int fd_;
    int key_;
    // Atomic: an owner moved from inside the callback takes the ticker to
    // its new thread while the callback still returns in the old one; the
    // new thread drops the ticks until then (no overlap, as for io watches).
    std::atomic<bool> in_callback_{false};
};

// Arms @r as a timerfd ticker; false when no fd is available (the caller
// falls back to a Qt timer).
bool arm_ticker(cqt::TimerRec *r, cqt::ShimObject *q)
{
    int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    if (fd < 0)
        return false;
    const int64_t period = int64_t(r->ms) * 1000000;
    const int64_t first = r->start_ns + period;
    itimerspec its{};
    its.it_interval.tv_sec = time_t(period / 1000000000);
    its.it_interval.tv_nsec = long(period % 1000000000);
    its.it_value.tv_sec = time_t(first / 1000000000);
    its.it_value.tv_nsec = long(first % 1000000000);
    if (timerfd_settime(fd, TFD_TIMER_ABSTIME, &its, nullptr) != 0) {
        close(fd);
        return false;
    }
    r->qt_id = -r->id; // negative keys in the armed table: ours, not Qt's
    r->ticker = new Ticker(fd, r->qt_id, q);
    CQT_TSAN_RELEASE(r->ticker); // acquired where it runs (event, retire, destructor)
    return true;
}

void arm_run(void *p)
{
    auto *r = static_cast<cqt::TimerRec *>(p);
    cqt_object *o = r->owner;
    if (r->killed.load() || o->dead.load()) {
        cqt::timer_rec_unref(r);
        return;
    }
    cqt::ShimObject *q = cqt::ensure_qobject(o);
    if (r->type == CQT_TIMER_PRECISE && !r->single && r->ms > 0 && arm_ticker(r, q)) {
        o->ext().armed.insert(r); // the arming's reference moves into the table
        return;
    }
    int qt_id = q->startTimer(r->ms, Qt::TimerType(r->type));
    if (qt_id == 0) {
        char msg[200];
        snprintf(msg, sizeof msg, "timer %d on object '%s': Qt could not start it", r->id, cqt::name_of(o).s);
        cqt::log_message(CQT_MSG_WARNING, "cqt", msg);
        {
            std::lock_guard lk(o->mu);
            if (o->ext().live_timers.erase(r->id))
                cqt::timer_rec_unref(r);
        }
        r->killed = true;
        cqt::timer_rec_unref(r);
        return;
    }
    r->qt_id = qt_id;
    o->ext().armed.insert(r); // the arming's reference moves into the table
}

void rec_drop(void *p)
{
    cqt::timer_rec_unref(static_cast<cqt::TimerRec *>(p));
}

void disarm_run(void *p)
{
    auto *r = static_cast<cqt::TimerRec *>(p);
    cqt_object *o = r->owner;
    if (r->qt_id) {
        cqt::ObjectExtra &x = o->ext();
        if (x.armed.find(r->qt_id) == r) {
            if (r->ticker)
                static_cast<Ticker *>(r->ticker)->retire();
            else if (x.qobj)
                x.qobj->killTimer(r->qt_id);
            x.armed.erase(r->qt_id);
            cqt::timer_rec_unref(r);
        }
    }
    cqt::timer_rec_unref(r);
}

// Qt rounds a VeryCoarseTimer's interval to the nearest second, so 1..499
// ms becomes 0 s: a timer firing whenever the loop is idle, which starves
// the thread's coarse timers. cqt rounds up to whole seconds instead (0
// stays 0, the documented idle timer).
int effective_ms(int ms, int type)
{
    if (type != CQT_TIMER_VERY_COARSE || ms % 1000 == 0)
        return ms;
    if (ms > INT_MAX - 1000)
        return INT_MAX / 1000 * 1000;
    return (ms / 1000 + 1) * 1000;
}

void timer_fire(void *user_data, cqt_object *, int id);
void timer_rec_destroy(void *user_data);

// Starts a timer and returns its record with an extra reference for the
// caller (nullptr on failure, status in *rc). @handle: the arming of the
// cqt_timer @user_data (it gets timer_fire and timer_rec_destroy), and
// @cb, @destroy are unused.
cqt::TimerRec *start_rec(const char *fn, cqt_object *o, int ms, int type, bool single,
                         cqt_timer_event_fn cb, void *user_data, cqt_destroy_fn destroy, int *rc,
                         bool handle = false)
{
    cqt_thread *t = o->thread.load();
    {
        std::lock_guard lk(t->mu);
        if (!cqt::accepts(t, false)) {
            char what[128];
            snprintf(what, sizeof what, "the timer's owner, object '%s',", cqt::name_of(o).s);
            *rc = cqt::loop_refusal(fn, t, false, what);
            // A failed registration releases its data too.
            if (handle)
                timer_rec_destroy(user_data);
            else if (destroy)
                destroy(user_data);
            return nullptr;
        }
    }
    cqt::TimerRec *r;
    if (handle) {
        r = new cqt::TimerRec;
        r->handle = true;
    } else {
        auto *c = new cqt::CallTimerRec;
        c->fn = cb;
        c->destroy = destroy;
        r = c;
    }
    r->id = next_timer_id();
    r->ms = effective_ms(ms, type);
    r->type = int8_t(type);
    r->single = single;
    r->start_ns = cqt_now_ns();
    r->owner = o;
    cqt::object_ref(o);
    r->user_data = user_data;
    r->refs.store(3); // live table, the arming, the caller
    cqt__live_add(CQT__LIVE_TIMERS, 1);
    {
        std::lock_guard lk(o->mu);
        o->ext().live_timers.insert(r);
    }
    *rc = cqt::run_in_owner(fn, o, arm_run, rec_drop, r);
    if (*rc != CQT_OK) {
        std::lock_guard lk(o->mu);
        if (o->ext().live_timers.erase(r->id)) {
            r->killed = true;
            cqt::timer_rec_unref(r);
        }
        cqt::timer_rec_unref(r);
        return nullptr;
    }
    return r;
}

bool check_type(const char *fn, int type)
{
    if (type == CQT_TIMER_PRECISE || type == CQT_TIMER_COARSE || type == CQT_TIMER_VERY_COARSE)
        return true;
    cqt::fail(CQT_EINVAL,
              "%s: unknown timer type %d; use CQT_TIMER_PRECISE, CQT_TIMER_COARSE or "
              "CQT_TIMER_VERY_COARSE",
              fn, type);
    return false;
}

bool timer_usable(const char *fn, const cqt_timer *t)
{
    if (!cqt::require_app(fn))
        return false;
    if (!t)
        return cqt::fail(CQT_EINVAL, "%s: the timer is NULL; pass a handle from cqt_timer_new", fn),
               false;
    if (t->magic != cqt::kTimerMagic || t->freed)
        return cqt::fail(CQT_EINVAL, "%s: %p is not a live cqt_timer (freed?)", fn,
                         (const void *)t),
               false;
    return cqt::object_usable(fn, t->owner);
}

int timer_status()
{
    return cqt::app_running() ? CQT_EINVAL : CQT_ESTATE;
}

// The object-timer callback of a cqt_timer.
void timer_fire(void *user_data, cqt_object *, int id)
{
    auto *t = static_cast<cqt_timer *>(user_data);
    {
        std::lock_guard lk(t->mu);
        if (!t->rec || t->rec->id != id)
            return; // stopped or restarted since: not ours to emit
        // The arming's own mode, not the handle's: set_single_shot and
        // set_type apply at the next start, so a periodic arming stays
        // periodic (and stoppable) whatever was set since it started.
        if (t->rec->single) {
            cqt::timer_rec_unref(t->rec);
            t->rec = nullptr;
        } else if (t->rec->ticker) {
            // On the absolute schedule: the next multiple after now.
            const int64_t now = cqt_now_ns(), period = int64_t(t->interval) * 1000000;
            t->deadline_ns += period;
            if (t->deadline_ns <= now && period > 0)
                t->deadline_ns += ((now - t->deadline_ns) / period + 1) * period;
        } else {
            t->deadline_ns = cqt_now_ns() + int64_t(t->interval) * 1000000;
        }
    }
    // Nobody can be connected before cqt_timer_timeout created the signal.
    // A cqt_timer_free racing this fire only retires the signal (its
    // memory lives as long as our reference to t): the emit finds it empty.
    if (cqt_signal *sig = t->timeout.load(std::memory_order_acquire))
        cqt::signal_emit(sig, nullptr);
}

void timer_rec_destroy(void *user_data)
{
    timer_handle_unref(static_cast<cqt_timer *>(user_data));
}

// Stops the current arming; caller holds t->mu.
void stop_locked(cqt_timer *t)
{
    if (!t->rec)
        return;
    cqt::TimerRec *r = t->rec;
    t->rec = nullptr;
    cqt::kill_object_timer(nullptr, t->owner, r->id);
    cqt::timer_rec_unref(r);
}

struct SingleShot {
    cqt_fn fn;
    void *user_data;
    cqt_destroy_fn destroy;
    cqt_object *anchor; // a receiver-less shot's own object in the caller's thread
};

void single_shot_fire(void *p, cqt_object *, int)
{
    auto *s = static_cast<SingleShot *>(p);
    s->fn(s->user_data);
}

void single_shot_destroy(void *p)
{
    auto *s = static_cast<SingleShot *>(p);
    if (s->destroy)
        s->destroy(s->user_data);
    // The anchor lives as long as its one timer: this runs once the shot
    // fired, or when the timer was released with its thread's timers.
    if (s->anchor)
        cqt_object_free(s->anchor);
    delete s;
}

} // namespace

namespace cqt {

void timer_rec_unref(TimerRec *r)
{
    if (r->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) {
        cqt_object *o = r->owner;
        if (r->handle) {
            timer_rec_destroy(r->user_data);
            delete r;
        } else {
            auto *c = static_cast<CallTimerRec *>(r);
            if (c->destroy)
                c->destroy(c->user_data);
            delete c;
        }
        cqt__live_add(CQT__LIVE_TIMERS, -1);
        object_unref(o);
    }
}

void dispatch_timer(cqt_object *o, int qt_id)
{
    // cqt_object_move_to_thread hands the QObject (and so its timers) to
    // the destination before it switches o->thread, both under o->mu. A
    // timer the destination fires in between waits here for the switch, so
    // no callback runs where cqt_object_thread(o) does not say so yet.
    cqt_thread *cur = current_thread_if_any();
    if (o->thread.load(std::memory_order_acquire) != cur) {
        std::lock_guard lk(o->mu);
        if (o->thread.load(std::memory_order_relaxed) != cur)
            return; // not ours (yet): a stale registration
    }
    ObjectExtra &x = o->ext();
    TimerRec *r = x.armed.find(qt_id);
    if (!r) {
        // Reliability fix (issue 8): a Qt timer we killed while a move's
        // _q_reregisterTimers was pending comes back unowned; unregister it
        // so it does not keep firing (and hold its id) forever.
        if (auto *ed = QAbstractEventDispatcher::instance())
            ed->unregisterTimer(qt_id);
        return;
    }
    if (r->killed.load())
        return; // a kill is on its way through the mailbox
    // Reliability fix (issue 8, fuzz api_sequence): cqt_object_free() from
    // another thread only queues the destroy; until it runs, a due timer
    // must not fire ("no timer of @o starts after cqt_object_free returns").
    if (o->dead.load(std::memory_order_acquire))
        return;
    r->refs.fetch_add(1);
    object_ref(o);
    if (r->single) {
        x.qobj->killTimer(qt_id);
        x.armed.erase(qt_id);
        r->killed = true;
        timer_rec_unref(r); // the table's
        std::lock_guard lk(o->mu);
        if (x.live_timers.erase(r->id))
            timer_rec_unref(r);
    }
    x.dispatch_depth++;
    if (r->handle)
        timer_fire(r->user_data, o, r->id);
    else
        static_cast<CallTimerRec *>(r)->fn(r->user_data, o, r->id);
    // Still inside the QObject's timerEvent while a fired single shot's
    // last reference runs its destroy: one that frees @o must get the
    // deferred QObject deletion too (a receiver-less cqt_single_shot frees
    // its anchor object there).
    timer_rec_unref(r);
    x.dispatch_depth--;
    object_unref(o);
}

} // namespace cqt

// Qt's timers of an object fire here, in the thread its QObject lives in.
void cqt::ShimObject::timerEvent(QTimerEvent *e)
{
    CQT_TSAN_ACQUIRE(this); // pairs with the release in cqt_object_move_to_thread
    if (owner)
        guard_void("cqt timer", [&] { dispatch_timer(owner, e->timerId()); });
}

namespace cqt {

void disarm_all_timers(cqt_object *o)
{
    ObjectExtra *x = o->ext_if();
    if (!x)
        return; // it never had a timer
    bool here = in_owner_thread(o);
    TimerTable<&TimerRec::qt_id> armed;
    armed.swap(x->armed);
    armed.for_each([&](TimerRec *r) {
        if (here && r->ticker)
            static_cast<Ticker *>(r->ticker)->retire();
        else if (here && x->qobj)
            x->qobj->killTimer(r->qt_id);
        r->killed = true;
        timer_rec_unref(r);
    });
    TimerTable<&TimerRec::id> live;
    {
        std::lock_guard lk(o->mu);
        live.swap(x->live_timers);
    }
    live.for_each([](TimerRec *r) {
        r->killed = true;
        timer_rec_unref(r);
    });
}

// @fn NULL: internal use, no validation messages needed.
int kill_object_timer(const char *fn, cqt_object *o, int id)
{
    TimerRec *r = nullptr;
    {
        std::lock_guard lk(o->mu);
        if (ObjectExtra *x = o->ext_if())
            r = x->live_timers.erase(id);
    }
    if (!r)
        return fn ? fail(CQT_EINVAL,
                         "%s: timer id %d is not a live timer of object '%s' (already killed, a "
                         "single shot that fired, or another object's id)",
                         fn, id, name_of(o).s)
                  : int(CQT_EINVAL);
    r->killed = true;
    // The live table's reference rides along to the owner thread.
    run_in_owner(fn ? fn : "cqt_timer", o, disarm_run, rec_drop, r);
    return CQT_OK;
}

int start_object_timer(const char *fn, cqt_object *o, int ms, int type, bool single,
                       cqt_timer_event_fn cb, void *user_data, cqt_destroy_fn destroy)
{
    int rc = CQT_OK;
    TimerRec *r = start_rec(fn, o, ms, type, single, cb, user_data, destroy, &rc);
    if (!r)
        return rc;
    int id = r->id;
    timer_rec_unref(r);
    return id;
}

void free_owned_timers(cqt_object *o)
{
    std::vector<cqt_timer *> timers;
    {
        std::lock_guard<std::mutex> lk(g_handles_mu);
        if (ObjectExtra *x = o->ext_if())
            timers.swap(x->timers);
    }
    for (auto *t : timers)
        cqt_timer_free(t);
}

} // namespace cqt

using namespace cqt;

extern "C" {

int cqt_object_start_timer_full(cqt_object *o, int ms, int timer_type, cqt_timer_event_fn fn,
                                void *user_data, cqt_destroy_fn destroy)
{
    static const char name[] = "cqt_object_start_timer";
    bool consumed = false;
    int rc = guard(name, int(CQT_EINTERNAL), [&]() -> int {
        if (!object_usable(name, o))
            return app_running() ? int(CQT_EINVAL) : int(CQT_ESTATE);
        if (!fn)
            return fail(CQT_EINVAL, "%s: fn is NULL; pass the function to call at each timeout",
                        name);
        if (ms < 0)
            return fail(CQT_EINVAL, "%s: interval %d ms is negative; pass 0 or more", name, ms);
        if (!check_type(name, timer_type))
            return CQT_EINVAL;
        int r = CQT_OK;
        TimerRec *rec = start_rec(name, o, ms, timer_type, false, fn, user_data, destroy, &r);
        consumed = true; // start_rec released or owns it now
        if (!rec)
            return r;
        int id = rec->id;
        timer_rec_unref(rec);
        return id;
    });
    if (rc < 0 && !consumed && destroy)
        destroy(user_data);
    return rc;
}

int cqt_object_start_timer(cqt_object *o, int ms, int timer_type, cqt_timer_event_fn fn,
                           void *user_data)
{
    return cqt_object_start_timer_full(o, ms, timer_type, fn, user_data, nullptr);
}

int cqt_object_kill_timer(cqt_object *o, int id)
{
    return guard("cqt_object_kill_timer", int(CQT_EINTERNAL), [&]() -> int {
        if (!object_usable("cqt_object_kill_timer", o))
            return app_running() ? int(CQT_EINVAL) : int(CQT_ESTATE);
        if (id <= 0)
            return fail(CQT_EINVAL, "cqt_object_kill_timer: id %d is not a timer id (ids are > 0)",
                        id);
        return kill_object_timer("cqt_object_kill_timer", o, id);
    });
}

cqt_timer *cqt_timer_new(cqt_object *owner, const char *name)
{
    return guard("cqt_timer_new", (cqt_timer *)nullptr, [&]() -> cqt_timer * {
        if (!object_usable("cqt_timer_new", owner))
            return nullptr;
        auto *t = new cqt_timer;
        t->owner = owner;
        t->seq = g_timer_seq.fetch_add(1) + 1;
        if (name && *name) {
            char fresh[kNameMax];
            copy_name(fresh, name, nullptr, 0);
            size_t len = strlen(fresh) + 1;
            t->name = new (std::nothrow) char[len];
            if (!t->name) {
                delete t;
                fail(CQT_ENOMEM, "cqt_timer_new: out of memory storing the timer's name");
                return nullptr;
            }
            memcpy(t->name, fresh, len);
        }
        std::lock_guard<std::mutex> lk(g_handles_mu);
        owner->ext().timers.push_back(t);
        return t;
    });
}

void cqt_timer_free(cqt_timer *t)
{
    guard_void("cqt_timer_free", [&] {
        if (!t)
            return;
        if (t->magic != kTimerMagic) {
            log_message(CQT_MSG_WARNING, "cqt", "cqt_timer_free: not a live cqt_timer; ignored");
            return;
        }
        {
            std::lock_guard lk(t->mu);
            if (t->freed)
                return;
            t->freed = true;
            stop_locked(t);
        }
        {
            std::lock_guard<std::mutex> lk(g_handles_mu);
            auto &v = t->owner->ext().timers;
            for (size_t i = 0; i < v.size(); i++)
                if (v[i] == t) {
                    v.erase(v.begin() + long(i));
                    break;
                }
        }
        // Regression (issue 8, fuzz api_sequence): freeing the signal here
        // raced a fire in the owner's thread emitting it (use after free).
        // Retired, it stays in timeout until the last timer_handle_unref.
        if (cqt_signal *sig = t->timeout.load(std::memory_order_acquire))
            signal_retire(sig);
        timer_handle_unref(t);
    });
}

int cqt_timer_start(cqt_timer *t, int interval_ms)
{
    return guard("cqt_timer_start", int(CQT_EINTERNAL), [&]() -> int {
        static const char fn[] = "cqt_timer_start";
        if (!timer_usable(fn, t))
            return timer_status();
        if (interval_ms < 0)
            return fail(CQT_EINVAL, "%s: timer '%s': interval %d ms is negative; pass 0 or more",
                        fn, timer_name(t).s, interval_ms);
        std::lock_guard lk(t->mu);
        stop_locked(t);
        t->refs.fetch_add(1); // the record's reference to the handle
        int rc = CQT_OK;
        TimerRec *r = start_rec(fn, t->owner, interval_ms, t->type, t->single, nullptr, t,
                                nullptr, &rc, true);
        if (!r) {
            // start_rec ran the destroy (dropping the handle reference).
            char buf[512];
            snprintf(buf, sizeof buf, "%s (timer '%s')", cqt_last_error(), timer_name(t).s);
            return fail(rc, "%s", buf);
        }
        t->rec = r; // keeps the caller's reference
        t->interval = r->ms; // as rounded (very coarse)
        t->deadline_ns = r->start_ns + int64_t(r->ms) * 1000000;
        return int(CQT_OK);
    });
}

int cqt_timer_stop(cqt_timer *t)
{
    return guard("cqt_timer_stop", int(CQT_EINTERNAL), [&]() -> int {
        if (!timer_usable("cqt_timer_stop", t))
            return timer_status();
        std::lock_guard lk(t->mu);
        stop_locked(t);
        return int(CQT_OK);
    });
}

int cqt_timer_set_single_shot(cqt_timer *t, bool single)
{
    if (!timer_usable("cqt_timer_set_single_shot", t))
        return timer_status();
    std::lock_guard lk(t->mu);
    t->single = single;
    return CQT_OK;
}

int cqt_timer_set_type(cqt_timer *t, int type)
{
    if (!timer_usable("cqt_timer_set_type", t))
        return timer_status();
    if (!check_type("cqt_timer_set_type", type))
        return CQT_EINVAL;
    std::lock_guard lk(t->mu);
    t->type = int8_t(type);
    return CQT_OK;
}

bool cqt_timer_is_active(const cqt_timer *t)
{
    if (!t || t->magic != kTimerMagic)
        return false;
    auto *mt = const_cast<cqt_timer *>(t);
    std::lock_guard lk(mt->mu);
    return t->rec && !t->rec->killed.load();
}

int cqt_timer_remaining_ms(const cqt_timer *t)
{
    if (!t || t->magic != kTimerMagic)
        return -1;
    auto *mt = const_cast<cqt_timer *>(t);
    std::lock_guard lk(mt->mu);
    if (!t->rec || t->rec->killed.load())
        return -1;
    int64_t left = t->deadline_ns - cqt_now_ns();
    if (left <= 0)
        return 0;
    return int((left + 999999) / 1000000);
}

int cqt_timer_id(const cqt_timer *t)
{
    if (!t || t->magic != kTimerMagic)
        return -1;
    auto *mt = const_cast<cqt_timer *>(t);
    std::lock_guard lk(mt->mu);
    return t->rec && !t->rec->killed.load() ? t->rec->id : -1;
}

int cqt_timer_interval_ms(const cqt_timer *t)
{
    if (!t || t->magic != kTimerMagic)
        return -1;
    auto *mt = const_cast<cqt_timer *>(t);
    std::lock_guard lk(mt->mu);
    return t->interval;
}

cqt_signal *cqt_timer_timeout(cqt_timer *t)
{
    if (!t || t->magic != kTimerMagic) {
        fail(CQT_EINVAL, "cqt_timer_timeout: not a live cqt_timer");
        return nullptr;
    }
    // Created on first use: most timers only run a callback, and a signal
    // costs more memory than the timer itself.
    std::lock_guard lk(t->mu);
    if (t->freed) {
        fail(CQT_EINVAL, "cqt_timer_timeout: timer '%s' was freed", timer_name(t).s);
        return nullptr;
    }
    cqt_signal *sig = t->timeout.load(std::memory_order_relaxed);
    if (!sig) {
        char sname[kNameMax + 16];
        snprintf(sname, sizeof sname, "%s.timeout", timer_name(t).s);
        sig = cqt_signal_new(t->owner, sname); // sets the error on failure
        t->timeout.store(sig, std::memory_order_release);
    }
    return sig;
}

int cqt_single_shot_full(int ms, cqt_object *receiver, cqt_fn fn, void *user_data,
                         cqt_destroy_fn destroy)
{
    static const char name[] = "cqt_single_shot";
    bool consumed = false;
    int rc = guard(name, int(CQT_EINTERNAL), [&]() -> int {
        if (receiver ? !object_usable(name, receiver) : !require_app(name))
            return app_running() ? int(CQT_EINVAL) : int(CQT_ESTATE);
        if (!fn)
            return fail(CQT_EINVAL, "%s: fn is NULL; pass the function to call", name);
        if (ms < 0)
            return fail(CQT_EINVAL, "%s: %d ms is negative; pass 0 or more", name, ms);
        cqt_object *anchor = nullptr;
        if (!receiver) {
            // Qt's QTimer::singleShot(ms, functor): the calling thread's
            // loop runs it. A timer needs an owner, so the shot gets its
            // own object here, freed with the timer (single_shot_destroy).
            cqt_thread *cur = current_thread();
            bool loop;
            {
                std::lock_guard lk(cur->mu);
                loop = accepts(cur, false);
            }
            if (!loop)
                return fail(CQT_ENOLOOP,
                            "%s: no receiver, and the calling thread '%s' runs no event loop (a "
                            "thread cqt did not start); call it from the main thread or a "
                            "cqt_thread, or pass a receiver that lives in one",
                            name, cur->name);
            anchor = cqt_object_new(nullptr);
            if (!anchor)
                return fail(CQT_ENOMEM, "%s: out of memory creating the shot's object", name);
            cqt_object_set_name(anchor, "single-shot");
            receiver = anchor;
        }
        auto *s = new SingleShot{fn, user_data, destroy, anchor};
        consumed = true;
        int r = CQT_OK;
        TimerRec *rec = start_rec(name, receiver, ms, ms < 2000 ? CQT_TIMER_PRECISE : CQT_TIMER_COARSE,
                                  true, single_shot_fire, s, single_shot_destroy, &r);
        if (!rec)
            return r;
        timer_rec_unref(rec);
        return int(CQT_OK);
    });
    if (rc != CQT_OK && !consumed && destroy)
        destroy(user_data);
    return rc;
}

int cqt_single_shot(int ms, cqt_object *receiver, cqt_fn fn, void *user_data)
{
    return cqt_single_shot_full(ms, receiver, fn, user_data, nullptr);
}

} // extern "C"
