// SPDX-License-Identifier: MIT
// mailbox.cpp — the delivery engine: one mailbox per thread.
//
// Producers append to the receiving thread's vector under its mutex; only
// the append that finds no wake-up outstanding posts a QEvent to the
// thread's pump, so a burst of N posts costs one wake-up and one Qt event.
// The pump swaps the whole vector out and runs it without the lock. One
// FIFO per receiving thread keeps every sender's order to every receiver.
// Deliveries to freed objects are dropped at drain time.
#include "shim-private.h"

namespace cqt {

// A batch larger than this yields back to the Qt loop between chunks, so
// timers and GUI events are not starved by a flood of deliveries.
constexpr int kDrainBudget = 4096;

int drain_event_type()
{
    static const int type = QEvent::registerEventType();
    return type;
}

void Completion::complete(int st)
{
    std::lock_guard<std::mutex> lk(mu);
    status = st;
    done = true;
    cv.notify_one();
}

void Completion::wait()
{
    std::unique_lock<std::mutex> lk(mu);
    cv.wait(lk, [this] { return done; });
}

void drop_delivery(Delivery &d, int status)
{
    switch (d.kind) {
    case kCall:
        if (d.call.destroy)
            d.call.destroy(d.call.user_data);
        break;
    case kSlot:
        cqt_value_clear(&d.slot.arg);
        conn_unref(d.slot.conn);
        break;
    case kInternal:
        if (d.internal.drop)
            d.internal.drop(d.internal.arg);
        break;
    case kNone:
        return;
    }
    if (d.done)
        d.done->complete(status);
    if (d.target)
        object_unref(d.target);
    d.kind = kNone;
}

void deliver(Delivery &d)
{
    cqt_object *o = d.target;
    bool dead = o && o->dead.load(std::memory_order_acquire);
    bool run = !dead && (d.kind != kSlot || conn_active(d.slot.conn));
    if (!run) {
        d.target = nullptr; // the caller releases it
        drop_delivery(d, CQT_ECANCELED);
        return;
    }
    switch (d.kind) {
    case kCall:
        d.call.fn(d.call.user_data);
        if (d.call.destroy)
            d.call.destroy(d.call.user_data);
        break;
    case kSlot:
        conn_call(d.slot.conn, &d.slot.arg);
        cqt_value_clear(&d.slot.arg);
        conn_unref(d.slot.conn);
        break;
    case kInternal:
        d.internal.run(d.internal.arg);
        break;
    case kNone:
        return;
    }
    if (d.done)
        d.done->complete(CQT_OK);
    d.kind = kNone;
}

// ---- block storage -------------------------------------------------------

BlockCache::~BlockCache()
{
    while (list) {
        DeliveryBlock *b = list;
        list = b->next;
        delete b;
    }
}

DeliveryBlock *BlockCache::get()
{
    DeliveryBlock *b = list;
    if (b) {
        list = b->next;
        n--;
    } else {
        b = new DeliveryBlock; // items left unconstructed: written before read
    }
    b->next = nullptr;
    b->end = 0;
    return b;
}

void BlockCache::put(DeliveryBlock *b)
{
    if (n >= kKeep) {
        delete b;
        return;
    }
    b->next = list;
    list = b;
    n++;
}

void BlockCache::absorb(BlockCache &other)
{
    while (other.list) {
        DeliveryBlock *b = other.list;
        other.list = b->next;
        put(b);
    }
    other.n = 0;
}

DeliveryQueue::~DeliveryQueue()
{
    while (head) {
        DeliveryBlock *b = head;
        head = b->next;
        delete b;
    }
}

void DeliveryQueue::grow(BlockCache &cache)
{
    DeliveryBlock *b = cache.get(); // may throw: nothing changed yet
    if (tail)
        tail->next = b;
    else
        head = b, pos = 0;
    tail = b;
}

void DeliveryQueue::next_block(BlockCache &spent)
{
    DeliveryBlock *b = head;
    head = b->next;
    pos = 0;
    if (!head)
        tail = nullptr;
    spent.put(b);
}

void DeliveryQueue::take(DeliveryQueue &from)
{
    head = from.head;
    tail = from.tail;
    pos = from.pos;
    count = from.count;
    from.head = from.tail = nullptr;
    from.pos = 0;
    from.count = 0;
}

int loop_refusal(const char *fn, const cqt_thread *t, bool blocking, const char *what)
{
    if (t->kind == ThreadKind::Adopted)
        return fail(CQT_ENOLOOP,
                    "%s: %s lives in thread '%s', which runs no event loop (a thread cqt did not "
                    "start); create it in a cqt_thread (cqt_thread_new + cqt_thread_start) or "
                    "the main thread, or move it there with cqt_object_move_to_thread",
                    fn, what, t->name);
    switch (t->state) {
    case LoopState::New:
        return fail(CQT_ENOLOOP,
                    "%s: %s lives in thread '%s', which has not started; a blocking call would "
                    "wait forever: call cqt_thread_start first",
                    fn, what, t->name);
    case LoopState::Finished:
        return fail(CQT_ENOLOOP,
                    "%s: %s lives in thread '%s', whose loop has stopped; start it again with "
                    "cqt_thread_start, or move the object to a running thread before it stops",
                    fn, what, t->name);
    case LoopState::Freed:
        return fail(CQT_ENOLOOP,
                    "%s: %s lives in thread '%s', which was freed; free the object too, or move "
                    "it to a running thread before freeing its thread",
                    fn, what, t->name);
    default: break;
    }
    return fail(CQT_EINTERNAL, "%s: %s: thread '%s' refused a delivery", fn, what, t->name);
}

void post_wake(cqt_thread *t)
{
    std::lock_guard<std::mutex> lk(t->wake_mu); // the pump is not deleted under us
    if (!t->pump)
        return;
    auto *e = new QEvent(QEvent::Type(drain_event_type()));
    // Qt's postEvent is uninstrumented: state the hand-off to the pump.
    CQT_TSAN_RELEASE(&t->pump);
    QCoreApplication::postEvent(t->pump, e);
}

void wake_nested_loop(cqt_thread *t)
{
    if (t->depth == 0)
        return; // not inside a delivery: posts wake the loop as usual
    // A delivery's batch holds wake_posted until a drain finds the mailbox
    // empty, so producers post no wake-up while the delivery runs. Wake
    // the nested loop now, whatever is queued: its drain continues the
    // batch and clears the flag, and later posts wake it again.
    std::lock_guard lk(t->mu);
    t->wake_posted = true;
    post_wake(t);
}

// Runs the thread's mailbox. Nested drains (a slot that runs the loop via
// cqt_app_process_events) continue the same batch, so order holds across
// nesting. Two per-delivery costs are paid once per run instead: the
// references of consecutive deliveries to one object are released
// together, and the in-flight count drops when the batch is refilled.
void drain(cqt_thread *t, bool to_empty)
{
    t->depth++;
    int budget = to_empty ? -1 : kDrainBudget;
    bool out_of_budget = false;
    cqt_object *held = nullptr; // target whose references we still hold
    int held_n = 0;
    int64_t done = 0;
    auto release_held = [&] {
        if (held)
            object_unref(held, held_n);
        held = nullptr;
        held_n = 0;
    };
    // Takes the reference the delivery to @target holds (released with the
    // run of deliveries to the same target).
    auto hold = [&](cqt_object *target) {
        if (target != held) {
            release_held();
            held = target;
        }
        if (target)
            held_n++;
    };
    auto alive = [](const cqt_object *target) {
        return !target || !target->dead.load(std::memory_order_acquire);
    };
    for (;;) {
        if (!t->draining.empty()) {
            // Each delivery leaves the queue before it runs (a nested drain
            // goes on after it); the common kinds, plain calls and slots,
            // run inline, their fields read out before the pop (a nested
            // drain may recycle the block).
            Delivery &front = t->draining.front();
            if (front.kind == kCall && !front.done) {
                cqt_object *target = front.target;
                cqt_fn fn = front.call.fn;
                void *user_data = front.call.user_data;
                cqt_destroy_fn destroy = front.call.destroy;
                t->draining.pop(t->spent);
                hold(target);
                if (alive(target))
                    fn(user_data);
                if (destroy)
                    destroy(user_data);
                done++;
            } else if (front.kind == kSlot && !front.done) {
                cqt_object *target = front.target;
                Conn *c = front.slot.conn;
                cqt_value arg = front.slot.arg; // moved out: cleared here
                t->draining.pop(t->spent);
                hold(target);
                if (alive(target) && c->active.load(std::memory_order_acquire))
                    c->fn(c->user_data, &arg);
                value_clear_fast(&arg);
                conn_unref(c);
                done++;
            } else {
                Delivery d = front;
                t->draining.pop(t->spent);
                if (d.kind != kNone) {
                    hold(d.target);
                    deliver(d);
                    done++;
                }
            }
            if (--budget == 0) {
                out_of_budget = true;
                break;
            }
            continue;
        }
        release_held(); // before the lock: a last reference may free the object
        std::lock_guard lk(t->mu);
        t->inflight -= done;
        done = 0;
        t->spare.absorb(t->spent);
        if (t->pending.empty()) {
            t->wake_posted = false;
            break;
        }
        t->draining.take(t->pending);
    }
    release_held();
    if (done) {
        std::lock_guard lk(t->mu);
        t->inflight -= done;
    }
    if (out_of_budget)
        post_wake(t); // wake_posted is still true: producers rely on this event
    t->depth--;
}

} // namespace cqt

bool Pump::event(QEvent *e)
{
    CQT_TSAN_ACQUIRE(&ctx->pump); // pairs with post_wake
    if (e->type() == QEvent::Type(cqt::drain_event_type())) {
        cqt::guard_void("cqt mailbox", [this] { cqt::drain(ctx); });
        return true;
    }
    return QObject::event(e);
}
