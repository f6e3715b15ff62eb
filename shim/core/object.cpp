// SPDX-License-Identifier: MIT
// object.cpp — objects (affinity, move, deferred free) and cqt_invoke.
//
// Lifecycle of a cqt_object (T is the thread it lives in, o->thread):
//   live     cqt_object_new .. cqt_object_free. Any thread may invoke,
//            start/kill timers, connect to it, emit at it, read its name
//            (a copy, name_of) and its thread. Only T may move it (push,
//            never pull) or rename it. A move switches o->thread, under
//            o->mu, after handing the QObject (its timers) to the new
//            thread and before the moved deliveries become visible there:
//            no callback of o runs anywhere but in o->thread. Blocking
//            calls a move would strand in a thread without a loop are
//            completed with CQT_ENOLOOP instead.
//   dead     cqt_object_free (any thread, once): o->dead is set, every
//            entry point refuses o, nothing of o starts any more; the
//            destroy is queued to T, or runs at once in T or when T runs
//            no loop.
//   destroyed object_destroy, in T (or loopless): timers disarmed, the
//            QObject deleted (later, if inside its own timerEvent), owned
//            timers and signals freed, inbound connections ended.
//   released the last reference (creator, queued deliveries, timer
//            records, cqt_object_ref) frees the memory. The caller's handle
//            is invalid from cqt_object_free on, unless it holds a
//            cqt_object_ref: the handle then stays a dead object every
//            entry point refuses cleanly. Without one, using it
//            concurrently with the free is a use-after-free.
// From inside o's own callback (queued call, slot, timer) in T:
//   free   - o is dead at once; the callback finishes, nothing else of o runs.
//   move   - allowed (T is the caller); the rest of the callback runs in
//            the old thread, every later callback in the new one.
//   blocking call into o - CQT_EDEADLK (it would wait for itself).
//
// Call graph between object, timer and signal (one way):
//   timer.cpp  -> object.cpp   usable, name_of, ensure_qobject, post/run_in_owner
//   timer.cpp  -> signal.cpp   a cqt_timer's timeout signal (new, emit, retire)
//   signal.cpp -> object.cpp   usable, name_of, post_to_object, in_owner_thread
//   object.cpp -> timer/signal only the teardown of what an object owns, in
//              object_destroy (disarm_all_timers, free_owned_timers,
//              free_owned_signals, disconnect_inbound; shim-private.h).
// Qt's timerEvent lands in timer.cpp (ShimObject::timerEvent). Each lock
// lives with its data: o->mu (thread switch, live timers) here, g_conn_mu
// (connections, owned signals) in signal.cpp, g_handles_mu (cqt_timer
// handle lists, a leaf) in timer.cpp. Teardown takes them one at a time.
#include "shim-private.h"

#include <QAbstractEventDispatcher>
#include <QThread>

#include <algorithm>
#include <cstdio>
#include <cstring>

namespace {

std::atomic<uint64_t> g_object_seq{0};
std::mutex g_wait_mu; // the blocking-call graph
// Object names: the owner renames, any thread formats messages naming the
// object. One lock for all names: renames and messages are rare, and a
// copy of 64 bytes is all it covers. Never held while taking another.
std::mutex g_name_mu;

// The application generation as an object stores it (its low 32 bits).
uint32_t app_gen32()
{
    return uint32_t(cqt::g_app.gen.load());
}

// Holds o->mu, then both threads' mailboxes, in address order.
struct MoveLocks {
    std::unique_lock<cqt::Lock> a, b;
    MoveLocks(cqt_thread *x, cqt_thread *y)
    {
        if (x < y) {
            a = std::unique_lock<cqt::Lock>(x->mu);
            b = std::unique_lock<cqt::Lock>(y->mu);
        } else {
            a = std::unique_lock<cqt::Lock>(y->mu);
            b = std::unique_lock<cqt::Lock>(x->mu);
        }
    }
};

bool is_target(const cqt::Delivery &d, const cqt_object *o)
{
    return d.kind != cqt::kNone && d.target == o;
}

} // namespace

namespace cqt {

void object_ref(cqt_object *o)
{
    o->refs.fetch_add(1, std::memory_order_relaxed);
}

void object_unref(cqt_object *o, int n)
{
    if (o->refs.fetch_sub(n, std::memory_order_acq_rel) == n) {
        cqt_thread *t = o->thread.load(std::memory_order_relaxed);
        o->magic = 0;
        delete o;
        if (t)
            thread_unref(t);
    }
}

bool object_usable(const char *fn, const cqt_object *o)
{
    if (!require_app(fn))
        return false;
    if (!o)
        return fail(CQT_EINVAL, "%s: the object is NULL; pass a handle from cqt_object_new", fn),
               false;
    if (o->magic != kObjectMagic)
        return fail(CQT_EINVAL, "%s: %p is not a live cqt_object (freed, or not an object)", fn,
                    (const void *)o),
               false;
    if (o->dead.load(std::memory_order_acquire))
        return fail(CQT_EINVAL, "%s: object '%s' was freed (cqt_object_free); use a live object",
                    fn, name_of(o).s),
               false;
    if (o->gen != app_gen32())
        return fail(CQT_ESTATE,
                    "%s: object '%s' belongs to an application that was shut down; create it "
                    "again after cqt_app_init",
                    fn, name_of(o).s),
               false;
    return true;
}

// The status object_usable() just failed with.
static int usable_status(const cqt_object *o)
{
    if (!app_running())
        return CQT_ESTATE;
    if (o && o->magic == kObjectMagic && !o->dead.load() && o->gen != app_gen32())
        return CQT_ESTATE;
    return CQT_EINVAL;
}

NameCopy name_of(const cqt_object *o)
{
    NameCopy c;
    {
        std::lock_guard<std::mutex> lk(g_name_mu);
        if (o->name) {
            memcpy(c.s, o->name, kNameMax);
            return c;
        }
    }
    // Never named: the default name, from the immutable sequence number.
    copy_name(c.s, nullptr, "object", o->seq);
    return c;
}

bool in_owner_thread(const cqt_object *o)
{
    cqt_thread *cur = current_thread_if_any();
    return cur && o->thread.load(std::memory_order_acquire) == cur;
}

// The object this thread is moving, while its QObject's moveToThread runs:
// Qt sends QEvent::ThreadChange to the QObject and its children there (the
// io watches queue their re-arming from that handler), with o->mu held by
// the move. A post to that object from inside the move must not lock it
// again; it lands in the old thread's mailbox, which the move then carries.
thread_local cqt_object *tls_moving __attribute__((tls_model("initial-exec"))) = nullptr;

// The refusal of a post: cold, out of line, off the hot path.
static __attribute__((noinline, cold)) int post_refused(const char *fn, cqt_object *o,
                                                         cqt_thread *t, bool blocking)
{
    char what[128];
    snprintf(what, sizeof what, "object '%s'", name_of(o).s);
    return loop_refusal(fn, t, blocking, what);
}

// Queues a delivery to the thread @o lives in; @fill writes it into its
// mailbox slot (kind and payload; target and done are set here). The
// object's lock pins o->thread (a move switches it under that lock), the
// mailbox lock covers the slot. On refusal nothing was queued.
template <class Fill>
static inline int post_filled(const char *fn, cqt_object *o, Completion *done, bool blocking,
                              Fill &&fill)
{
    cqt_thread *t;
    bool wake = false;
    const bool lock_object = __builtin_expect(tls_moving != o, 1);
    if (lock_object)
        o->mu.lock();
    t = o->thread.load(std::memory_order_relaxed);
    t->mu.lock();
    Delivery *slot;
    try {
        slot = enqueue_slot_locked(t, blocking, wake);
    } catch (...) { // a new block: out of memory
        t->mu.unlock();
        if (lock_object)
            o->mu.unlock();
        throw;
    }
    if (!slot) {
        int rc = post_refused(fn, o, t, blocking);
        t->mu.unlock();
        if (lock_object)
            o->mu.unlock();
        return rc;
    }
    fill(slot); // must not throw
    slot->target = o;
    slot->done = done;
    object_ref(o);
    if (wake)
        thread_ref(t); // keeps t (and its wake_mu) alive until posted
    t->mu.unlock();
    if (lock_object)
        o->mu.unlock();
    // Wake the receiver after letting go of both locks: posting under them
    // makes a receiver woken at once (one core, or another core that is
    // idle) block on the mailbox lock its waker still holds.
    if (wake) {
        post_wake(t);
        thread_unref(t);
    }
    return CQT_OK;
}

// post_call without a destroy function, when it needs neither an
// allocation nor an error: false (nothing done) sends the caller the
// whole way. Nothing here can throw.
static inline bool post_call_fast(cqt_object *o, cqt_fn call, void *user_data,
                                  cqt_destroy_fn destroy) noexcept
{
    if (__builtin_expect(tls_moving == o, 0))
        return false;
    cqt_thread *t;
    bool wake;
    o->mu.lock();
    t = o->thread.load(std::memory_order_relaxed);
    t->mu.lock();
    DeliveryBlock *b = t->pending.tail;
    if (__builtin_expect(!accepts(t, false) ||
                             ((!b || b->end == DeliveryBlock::kCap) &&
                              !t->pending.grow_cached(t->spare)),
                         0)) {
        t->mu.unlock();
        o->mu.unlock();
        return false;
    }
    b = t->pending.tail;
    Delivery *slot = &b->items[b->end++];
    t->pending.count++;
    slot->kind = kCall;
    slot->target = o;
    slot->done = nullptr;
    slot->call.fn = call;
    slot->call.user_data = user_data;
    slot->call.destroy = destroy;
    t->inflight++;
    wake = !t->wake_posted;
    t->wake_posted = true;
    object_ref(o);
    if (wake)
        thread_ref(t); // keeps t (and its wake_mu) alive until posted
    t->mu.unlock();
    o->mu.unlock();
    if (wake) {
        post_wake(t);
        thread_unref(t);
    }
    return true;
}

int post_to_object(const char *fn, cqt_object *o, Delivery &d, bool blocking)
{
    return post_filled(fn, o, d.done, blocking, [&](Delivery *slot) { *slot = d; });
}

int post_slot(const char *fn, cqt_object *o, Conn *c, const cqt_value *arg)
{
    return post_filled(fn, o, nullptr, false, [&](Delivery *slot) {
        slot->kind = kSlot;
        slot->slot.conn = c;
        value_copy_fast(&slot->slot.arg, arg);
        c->refs.fetch_add(1, std::memory_order_relaxed);
    });
}

int post_call(const char *fn, cqt_object *o, cqt_fn call, void *user_data,
              cqt_destroy_fn destroy)
{
    return post_filled(fn, o, nullptr, false, [&](Delivery *slot) {
        slot->kind = kCall;
        slot->call.fn = call;
        slot->call.user_data = user_data;
        slot->call.destroy = destroy;
    });
}

int run_in_owner(const char *fn, cqt_object *o, void (*run)(void *), void (*drop)(void *),
                 void *arg)
{
    if (in_owner_thread(o)) {
        run(arg);
        return CQT_OK;
    }
    Delivery d{};
    d.kind = kInternal;
    d.internal.run = run;
    d.internal.drop = drop;
    d.internal.arg = arg;
    int rc = post_to_object(fn, o, d, false);
    if (rc != CQT_OK && drop)
        drop(arg);
    return rc;
}

ShimObject *ensure_qobject(cqt_object *o)
{
    ObjectExtra &x = o->ext();
    if (x.qobj)
        return x.qobj;
    x.qobj = new ShimObject(o);
    cqt_thread *t = o->thread.load();
    std::lock_guard lk(t->mu);
    t->timer_objects.push_back(o);
    return x.qobj;
}

static void forget_qobject(cqt_object *o, cqt_thread *t)
{
    std::lock_guard lk(t->mu);
    auto &v = t->timer_objects;
    v.erase(std::remove(v.begin(), v.end(), o), v.end());
}

void object_destroy(cqt_object *o)
{
    disarm_all_timers(o);
    ObjectExtra *x = o->ext_if();
    if (x && x->qobj) {
        forget_qobject(o, o->thread.load());
        x->qobj->owner = nullptr;
        // Reliability fix (issue 8, stress timers): a timer killed while a
        // move's queued _q_reregisterTimers was still pending is registered
        // again by Qt afterwards, yet no longer in the QObject's own list,
        // so ~QObject would leave it in the dispatcher pointing at freed
        // memory. Drop every registration of this QObject here, in its thread.
        if (x->qobj->thread() == QThread::currentThread())
            if (auto *ed = QAbstractEventDispatcher::instance())
                ed->unregisterTimers(x->qobj);
        if (x->dispatch_depth > 0)
            x->qobj->deleteLater(); // we are inside its timerEvent
        else
            delete x->qobj;
        x->qobj = nullptr;
    }
    free_owned_timers(o);
    free_owned_signals(o);
    disconnect_inbound(o);
    cqt__live_add(CQT__LIVE_OBJECTS, -1);
    object_unref(o); // the creator's reference
}

// The blocking-call graph: a thread blocked on another is recorded, so a
// cycle (A waits for B while B waits for A) is refused instead of hanging.
int blocking_post(const char *fn, cqt_object *o, Delivery &d, bool *posted)
{
    *posted = false;
    cqt_thread *cur = current_thread();
    cqt_thread *t = o->thread.load();
    {
        std::lock_guard<std::mutex> lk(g_wait_mu);
        for (cqt_thread *w = t; w; w = w->waiting_on.load()) {
            if (w == cur)
                return fail(CQT_EDEADLK,
                            "%s: a blocking call into object '%s' in thread '%s' would deadlock: "
                            "%s; use CQT_QUEUED and reply with another queued call",
                            fn, name_of(o).s, t->name,
                            t == cur ? "it is the calling thread"
                                     : "that thread is itself blocked waiting on this one");
        }
        cur->waiting_on.store(t);
    }
    Completion c;
    d.done = &c;
    object_ref(o); // the messages below name it after the delivery let it go
    int rc = post_to_object(fn, o, d, true);
    if (rc != CQT_OK)
        d.done = nullptr; // the caller drops @d after this frame (and c) is gone
    if (rc == CQT_OK) {
        *posted = true;
        c.wait();
        rc = c.status;
        if (rc == CQT_ECANCELED)
            fail(CQT_ECANCELED, "%s: object '%s' was freed before the blocking call ran", fn,
                 name_of(o).s);
        else if (rc == CQT_ENOLOOP)
            fail(CQT_ENOLOOP,
                 "%s: object '%s' was moved to thread '%s', which runs no event loop, before the "
                 "blocking call ran; the call was dropped: start that thread first, or move "
                 "objects only to running threads while blocking calls into them are possible",
                 fn, name_of(o).s, o->thread.load()->name);
    }
    object_unref(o);
    std::lock_guard<std::mutex> lk(g_wait_mu);
    cur->waiting_on.store(nullptr);
    return rc;
}

} // namespace cqt

using namespace cqt;

// Queues object_destroy(o) to the thread o lives in, when that is not the
// calling thread and its loop runs; false when the caller must destroy it.
static bool defer_destroy(cqt_object *o);

// The deferred destroy. Reliability fix (issue 8, stress timers): a move
// running in the old owner thread when cqt_object_free() was called may
// already have handed the QObject (and its Qt timers) to another thread,
// while this delivery, queued to the old thread, does not travel with the
// object. Deleting the QObject here would leave its timers registered in
// the new thread's dispatcher (Qt cannot unregister them from another
// thread) and the next one would fire on freed memory. So follow the object.
static void destroy_deferred(void *p)
{
    auto *o = (cqt_object *)p;
    if (!defer_destroy(o))
        object_destroy(o);
}

static bool defer_destroy(cqt_object *o)
{
    std::lock_guard olk(o->mu);
    cqt_thread *t = o->thread.load();
    if (t == current_thread_if_any())
        return false;
    std::lock_guard tlk(t->mu);
    if (t->state != LoopState::Running && t->state != LoopState::Stopping)
        return false;
    // Its loop runs: the free happens there, after what is already queued
    // (which is dropped, o being dead).
    Delivery d{};
    d.kind = kInternal;
    d.internal.run = destroy_deferred;
    d.internal.drop = [](void *p) { object_destroy((cqt_object *)p); };
    d.internal.arg = o;
    d.target = nullptr;
    bool wake = false;
    if (enqueue_locked(t, d, false, wake) != CQT_OK)
        return false;
    if (wake)
        post_wake(t);
    return true;
}

extern "C" {

cqt_object *cqt_object_ref(cqt_object *o)
{
    if (!o) {
        fail(CQT_EINVAL, "cqt_object_ref: the object is NULL; pass a handle from cqt_object_new");
        return nullptr;
    }
    // A freed but referenced object keeps its magic (the memory is ours
    // until the last unref): a holder may pass its reference on.
    if (o->magic != kObjectMagic) {
        fail(CQT_EINVAL, "cqt_object_ref: %p is not a cqt_object handle (its memory was "
                         "released, or it is not an object)", (void *)o);
        return nullptr;
    }
    object_ref(o);
    return o;
}

void cqt_object_unref(cqt_object *o)
{
    if (!o)
        return;
    if (o->magic != kObjectMagic) {
        log_message(CQT_MSG_WARNING, "cqt",
                    "cqt_object_unref: not a cqt_object handle (unref after the last?); ignored");
        return;
    }
    object_unref(o);
}

cqt_object *cqt_object_new(cqt_thread *t)
{
    return guard("cqt_object_new", (cqt_object *)nullptr, [&]() -> cqt_object * {
        if (!require_app("cqt_object_new"))
            return nullptr;
        if (!t) {
            t = current_thread();
        } else if (t->magic != kThreadMagic) {
            fail(CQT_EINVAL, "cqt_object_new: %p is not a live cqt_thread", (void *)t);
            return nullptr;
        } else if (t->user_freed || t->state == LoopState::Freed) {
            fail(CQT_EINVAL, "cqt_object_new: thread '%s' was freed; pick a live thread", t->name);
            return nullptr;
        } else if (t->gen != g_app.gen.load()) {
            fail(CQT_ESTATE, "cqt_object_new: thread '%s' belongs to an application that was shut "
                             "down", t->name);
            return nullptr;
        }
        auto *o = new cqt_object;
        thread_ref(t);
        o->thread.store(t);
        o->gen = app_gen32();
        o->seq = g_object_seq.fetch_add(1) + 1; // the default name, "object-<seq>"
        cqt__live_add(CQT__LIVE_OBJECTS, 1);
        return o;
    });
}

int cqt_object_set_name(cqt_object *o, const char *name)
{
    if (!object_usable("cqt_object_set_name", o))
        return usable_status(o);
    if (!in_owner_thread(o))
        return fail(CQT_EWRONGTHREAD,
                    "cqt_object_set_name: object '%s' lives in thread '%s'; rename it from there",
                    name_of(o).s, o->thread.load()->name);
    if (!name || !*name)
        return fail(CQT_EINVAL, "cqt_object_set_name: the name is empty; pass a non-empty string");
    char fresh[kNameMax];
    copy_name(fresh, name, nullptr, 0);
    // The first name gets its buffer; later ones are copied into it, so a
    // name the owner read earlier is never freed under it.
    char *buf = o->name ? nullptr : new (std::nothrow) char[kNameMax];
    if (!o->name && !buf)
        return fail(CQT_ENOMEM, "cqt_object_set_name: out of memory storing the name of object '%s'",
                    name_of(o).s);
    std::lock_guard<std::mutex> lk(g_name_mu);
    if (buf)
        o->name = buf;
    memcpy(o->name, fresh, kNameMax);
    return CQT_OK;
}

const char *cqt_object_name(const cqt_object *o)
{
    if (!o || o->magic != kObjectMagic)
        return "(null)";
    // Only the owner renames, so the owner may read the stored name; any
    // other thread gets a copy of its own (the owner may rename meanwhile).
    if (in_owner_thread(o)) {
        if (!o->name) {
            // The stored name it promises: the default one, stored now.
            if (char *buf = new (std::nothrow) char[kNameMax]) {
                cqt__make_name(buf, kNameMax, nullptr, "object", o->seq);
                std::lock_guard<std::mutex> lk(g_name_mu);
                const_cast<cqt_object *>(o)->name = buf;
            }
        }
        if (o->name)
            return o->name;
    }
    static thread_local NameCopy copy;
    copy = name_of(o);
    return copy.s;
}

cqt_thread *cqt_object_thread(const cqt_object *o)
{
    if (!o || o->magic != kObjectMagic)
        return nullptr;
    return o->thread.load(std::memory_order_acquire);
}

int cqt_object_move_to_thread(cqt_object *o, cqt_thread *t)
{
    return guard("cqt_object_move_to_thread", int(CQT_EINTERNAL), [&]() -> int {
        static const char fn[] = "cqt_object_move_to_thread";
        if (!object_usable(fn, o))
            return usable_status(o);
        if (!t || t->magic != kThreadMagic)
            return fail(CQT_EINVAL, "%s: the target thread is NULL or not a live cqt_thread", fn);
        if (t->gen != g_app.gen.load() || t->user_freed || t->state == LoopState::Freed)
            return fail(CQT_EINVAL, "%s: thread '%s' was freed or belongs to an old application",
                        fn, t->name);
        cqt_thread *cur = current_thread();
        cqt_thread *from = o->thread.load();
        if (from != cur)
            return fail(CQT_EWRONGTHREAD,
                        "%s: object '%s' lives in thread '%s' but the call came from thread '%s'; "
                        "Qt only lets the owner push an object away (never pull it): call this "
                        "from '%s', or create the object in '%s' with cqt_object_new",
                        fn, name_of(o).s, from->name, cur->name, from->name, t->name);
        if (t->kind == ThreadKind::Adopted)
            return fail(CQT_ENOLOOP,
                        "%s: thread '%s' runs no event loop, so object '%s' could never receive "
                        "a queued call or timer there; move it to a cqt_thread or the main thread",
                        fn, t->name, name_of(o).s);
        if (t == from)
            return int(CQT_OK);
        // Qt moves the QObject's timers; we move the queued deliveries.
        // o->mu is held from the QObject's move to the switch of o->thread:
        // a timer the destination fires in between waits for the switch in
        // dispatch_timer, and a poster waits too, so nothing of @o runs in
        // @t before cqt_object_thread(o) says @t, and nothing in @from after.
        ObjectExtra *x = o->ext_if();
        std::vector<Delivery> stranded; // blocking calls @t cannot run
        {
            std::lock_guard olk(o->mu);
            if (x && x->qobj) {
                // Qt hands the QObject and its timers to the new thread
                // through its own (uninstrumented) locks: tell TSan.
                CQT_TSAN_RELEASE(x->qobj);
                struct Moving {
                    explicit Moving(cqt_object *m) { tls_moving = m; }
                    ~Moving() { tls_moving = nullptr; }
                } moving(o);
                x->qobj->moveToThread(t->qthread);
            }
            MoveLocks locks(from, t);
            // In order: what the old thread's current batch has not run
            // yet, then what is pending there. Each leaves a blank behind.
            std::vector<Delivery> moved;
            auto pick = [&](Delivery &d) {
                if (is_target(d, o)) {
                    moved.push_back(d);
                    d.kind = kNone;
                }
            };
            from->draining.for_each(pick);
            from->pending.for_each(pick);
            from->inflight -= int64_t(moved.size());
            // A blocking caller waits for its call to run: in a thread that
            // runs no loop (not started, or quit) it would wait forever, as
            // a direct blocking call there is refused. Those calls end now,
            // with CQT_ENOLOOP; the rest move and wait for @t to start.
            const bool can_block = accepts(t, true);
            int64_t n = 0;
            for (auto &d : moved) {
                if (d.done && !can_block) {
                    stranded.push_back(d);
                    continue;
                }
                t->pending.push(d, t->spare);
                n++;
            }
            t->inflight += n;
            if (x && x->qobj) {
                auto &v = from->timer_objects;
                v.erase(std::remove(v.begin(), v.end(), o), v.end());
                t->timer_objects.push_back(o);
            }
            thread_ref(t);
            o->thread.store(t, std::memory_order_release);
            if (n > 0 && !t->wake_posted && t->state != LoopState::Finished) {
                t->wake_posted = true;
                post_wake(t);
            }
        }
        // Outside the locks: dropping runs destroy functions.
        for (auto &d : stranded)
            drop_delivery(d, CQT_ENOLOOP);
        thread_unref(from);
        return int(CQT_OK);
    });
}

void cqt_object_free(cqt_object *o)
{
    guard_void("cqt_object_free", [&] {
        if (!o)
            return;
        if (o->magic != kObjectMagic) {
            log_message(CQT_MSG_WARNING, "cqt",
                        "cqt_object_free: not a live cqt_object (double free?); ignored");
            return;
        }
        if (o->dead.exchange(true)) {
            char msg[160];
            snprintf(msg, sizeof msg, "cqt_object_free: object '%s' freed twice; ignored", name_of(o).s);
            log_message(CQT_MSG_WARNING, "cqt", msg);
            return;
        }
        if (!defer_destroy(o))
            object_destroy(o);
    });
}

static int invoke_impl(cqt_object *target, cqt_fn fn, void *user_data, cqt_destroy_fn destroy,
                       const int type)
{
    int rc = guard("cqt_invoke", int(CQT_EINTERNAL), [&]() -> int {
        static const char name[] = "cqt_invoke";
        if (__builtin_expect(!object_ok(target), 0) && !object_usable(name, target))
            return usable_status(target);
        if (!fn)
            return fail(CQT_EINVAL, "%s: fn is NULL; pass the function to run", name);
        if (type == CQT_QUEUED) { // the hot path: no need to know the calling thread
            int r = post_call(name, target, fn, user_data, destroy);
            if (r == CQT_OK)
                destroy = nullptr;
            return r;
        }
        cqt_thread *cur = current_thread();
        bool here = target->thread.load(std::memory_order_acquire) == cur;
        switch (type) {
        case CQT_AUTO:
            if (!here)
                break;
            /* fall through */
        case CQT_DIRECT:
            fn(user_data);
            if (destroy)
                destroy(user_data);
            destroy = nullptr;
            return int(CQT_OK);
        case CQT_QUEUED:
            break;
        case CQT_BLOCKING_QUEUED: {
            if (here)
                return fail(CQT_EDEADLK,
                            "%s: CQT_BLOCKING_QUEUED into object '%s' from its own thread '%s' "
                            "would wait for itself forever; use CQT_DIRECT or CQT_AUTO",
                            name, name_of(target).s, cur->name);
            Delivery d{};
            d.kind = kCall;
            d.call.fn = fn;
            d.call.user_data = user_data;
            d.call.destroy = destroy;
            bool posted = false;
            int r = blocking_post(name, target, d, &posted);
            if (posted)
                destroy = nullptr; // ran or dropped: the delivery released it
            return r;
        }
        default:
            return fail(CQT_EINVAL, "%s: unknown connection type %d; use CQT_AUTO, CQT_DIRECT, "
                                    "CQT_QUEUED or CQT_BLOCKING_QUEUED",
                        name, type);
        }
        int r = post_call(name, target, fn, user_data, destroy);
        if (r == CQT_OK)
            destroy = nullptr;
        return r;
    });
    if (rc != CQT_OK && destroy)
        destroy(user_data);
    return rc;
}

// The hot path first, out of invoke_impl's way: a call queued (CQT_QUEUED,
// or CQT_AUTO to an object of another thread) to a live object whose
// mailbox has room. Anything else (a direct call, a new block to allocate,
// a refusal to explain) goes the whole way.
static inline int invoke_fast(cqt_object *target, cqt_fn fn, void *user_data,
                              cqt_destroy_fn destroy, int type)
{
    // For CQT_AUTO, "another thread": the object's thread is not the
    // caller's context. A caller without a context (or with a stale one
    // of an earlier application) is no object's thread.
    if (__builtin_expect(fn && object_ok(target), 1) &&
        (type == CQT_QUEUED ||
         (type == CQT_AUTO && target->thread.load(std::memory_order_acquire) != tls_ctx)) &&
        post_call_fast(target, fn, user_data, destroy))
        return int(CQT_OK);
    return invoke_impl(target, fn, user_data, destroy, type);
}

int cqt_invoke_full(cqt_object *target, cqt_fn fn, void *user_data, cqt_destroy_fn destroy,
                    cqt_conn conn)
{
    return invoke_fast(target, fn, user_data, destroy, enum_int(conn));
}

int cqt_invoke(cqt_object *target, cqt_fn fn, void *user_data, cqt_conn conn)
{
    return invoke_fast(target, fn, user_data, nullptr, enum_int(conn));
}

} // extern "C"
