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
    switch (d.kind) {
    case kCall:
        if (dead) {
            drop_delivery(d, CQT_ECANCELED);
            return;
        }
        d.call.fn(d.call.user_data);
        if (d.call.destroy)
            d.call.destroy(d.call.user_data);
        break;
    case kSlot: {
        Conn *c = d.slot.conn;
        if (dead || !conn_active(c)) {
            drop_delivery(d, CQT_ECANCELED);
            return;
        }
        conn_call(c, &d.slot.arg);
        cqt_value_clear(&d.slot.arg);
        conn_unref(c);
        break;
    }
    case kInternal:
        if (dead) {
            drop_delivery(d, CQT_ECANCELED);
            return;
        }
        d.internal.run(d.internal.arg);
        break;
    case kNone:
        return;
    }
    if (d.done)
        d.done->complete(CQT_OK);
    if (o)
        object_unref(o);
    d.kind = kNone;
}

bool accepts(const cqt_thread *t, bool blocking)
{
    if (t->kind == ThreadKind::Adopted)
        return false;
    switch (t->state) {
    case LoopState::New: return !blocking;
    case LoopState::Running:
    case LoopState::Stopping: return true;
    case LoopState::Finished:
    case LoopState::Freed: return false;
    }
    return false;
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

// Caller holds t->mu.
int enqueue_locked(cqt_thread *t, Delivery &d, bool blocking, bool &wake)
{
    if (!accepts(t, blocking))
        return CQT_ENOLOOP;
    t->pending.push_back(d);
    t->inflight.fetch_add(1, std::memory_order_relaxed);
    if (!t->wake_posted) {
        t->wake_posted = true;
        wake = true;
    }
    return CQT_OK;
}

// Caller holds t->mu (so the pump cannot be deleted under us).
void post_wake(cqt_thread *t)
{
    if (t->pump)
        QCoreApplication::postEvent(t->pump, new QEvent(QEvent::Type(drain_event_type())));
}

// Runs the thread's mailbox. Nested drains (a slot that runs the loop via
// cqt_app_process_events) continue the same batch through the shared
// cursor, so order holds across nesting.
void drain(cqt_thread *t, bool to_empty)
{
    t->depth++;
    int budget = to_empty ? -1 : kDrainBudget;
    bool out_of_budget = false;
    for (;;) {
        if (t->cursor < t->draining.size()) {
            Delivery d = t->draining[t->cursor];
            t->draining[t->cursor].kind = kNone;
            t->cursor++;
            if (d.kind != kNone) {
                deliver(d);
                t->inflight.fetch_sub(1, std::memory_order_relaxed);
            }
            if (--budget == 0) {
                out_of_budget = true;
                break;
            }
            continue;
        }
        t->draining.clear();
        t->cursor = 0;
        std::lock_guard<std::mutex> lk(t->mu);
        if (t->pending.empty()) {
            t->wake_posted = false;
            break;
        }
        std::swap(t->pending, t->draining);
    }
    if (out_of_budget) {
        // wake_posted is still true: producers rely on this event.
        std::lock_guard<std::mutex> lk(t->mu);
        post_wake(t);
    }
    t->depth--;
}

} // namespace cqt

bool Pump::event(QEvent *e)
{
    {
        // The wake-up event was allocated under ctx->mu (post_wake); taking
        // the lock here makes that hand-off visible to ThreadSanitizer, which
        // cannot see the synchronisation inside Qt's uninstrumented postEvent.
        std::lock_guard<std::mutex> lk(ctx->mu);
    }
    if (e->type() == QEvent::Type(cqt::drain_event_type())) {
        cqt::guard_void("cqt mailbox", [this] { cqt::drain(ctx); });
        return true;
    }
    return QObject::event(e);
}
