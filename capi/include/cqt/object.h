/* SPDX-License-Identifier: MIT */
/* cqt/object.h — objects, the unit of thread affinity, and calls into them.
 *
 * Every cqt_object lives in exactly one thread, chosen explicitly at
 * creation (pitfall P5) and changed only by cqt_object_move_to_thread()
 * from the thread it lives in (push, never pull: pitfall P4). Queued calls,
 * slots and timers of an object run in its thread.
 *
 * Delivery: each thread has one mailbox. A queued call appends to the
 * receiver thread's mailbox; only the post that makes it non-empty wakes
 * the loop, and the loop runs the whole batch. Calls from one thread to
 * one object run in the order they were made, and none is lost while the
 * object lives. Calls pending for a freed object are dropped when the
 * mailbox is drained, their destroy functions run.
 *
 * Lifetime: a handle is valid until cqt_object_free() (or the release of
 * its application). "Thread: any" means any thread that knows @o is not
 * being freed: calling a function on @o (cqt_invoke, cqt_object_start_timer,
 * ...) while or after another thread frees it is a use-after-free, as with
 * signals and timers. Free an object only once its users are done with it,
 * or have them hold a reference (cqt_object_ref).
 */
#ifndef CQT_OBJECT_H
#define CQT_OBJECT_H

#include "base.h"

#ifdef __cplusplus
extern "C" {
#endif

/* How a call or a slot reaches its target. */
typedef enum cqt_conn {
    CQT_AUTO = 0,           /* decided per call: direct in the target's thread, else queued */
    CQT_DIRECT = 1,         /* now, in the calling thread, whatever the target's thread */
    CQT_QUEUED = 2,         /* later, in the target's thread */
    CQT_BLOCKING_QUEUED = 3 /* in the target's thread; the caller waits until it ran */
} cqt_conn;

/* Timer precision, as Qt::TimerType. */
typedef enum cqt_timer_type {
    CQT_TIMER_PRECISE = 0,     /* millisecond accuracy */
    CQT_TIMER_COARSE = 1,      /* within 5% of the interval (Qt's default) */
    CQT_TIMER_VERY_COARSE = 2  /* whole seconds: intervals are rounded up to them (0 stays 0) */
} cqt_timer_type;

/* An object timer fired: runs in the object's thread. */
typedef void (*cqt_timer_event_fn)(void *user_data, cqt_object *o, int timer_id);

/* cqt_object_new:
 * Creates an object living in @t (NULL: the calling thread). An object may
 * live in a cqt thread that has not started yet.
 * Returns: transfer full, release with cqt_object_free(); NULL on failure
 * (no app, or a freed thread).
 * Thread: any. */
CQT_API cqt_object *cqt_object_new(cqt_thread *t);

/* cqt_object_set_name:
 * Sets the name used in messages ("object-N" by default); copied, at most
 * 63 bytes kept.
 * Returns: CQT_OK; CQT_EWRONGTHREAD from another thread; CQT_EINVAL for
 * NULL or an empty name; CQT_ENOMEM when the name cannot be stored.
 * Thread: owner. */
CQT_API int cqt_object_set_name(cqt_object *o, const char *name);

/* cqt_object_name:
 * Returns: the name of @o; "(null)" for NULL. Transfer none: in @o's
 * thread it is the stored name, valid until the next
 * cqt_object_set_name() or the object's release; in any other thread it
 * is a copy taken now (the owner may rename concurrently), valid until
 * that thread's next cqt_object_name(). Thread: any. */
CQT_API const char *cqt_object_name(const cqt_object *o);

/* cqt_object_thread:
 * Returns: the thread @o lives in now (transfer none); NULL for NULL.
 * Inside any callback of @o (queued call, slot, timer) it is the calling
 * thread: a move switches it before any callback can run in the new thread.
 * Thread: any; from another thread the answer may be stale by the time it
 * is read if the owner moves the object concurrently. */
CQT_API cqt_thread *cqt_object_thread(const cqt_object *o);

/* cqt_object_move_to_thread:
 * Moves @o, its running timers and the calls still queued to it, into @t,
 * keeping their order. Timers keep running, now in @t (pitfall P7). No
 * callback of @o runs in @t before cqt_object_thread(o) is @t, and none in
 * the old thread after this returns (one running there now finishes).
 * @t may be a cqt thread that is not running (never started, or quit):
 * queued calls and timers wait for it to start, but a CQT_BLOCKING_QUEUED
 * call still queued to @o is not moved there (its caller would wait on a
 * loop that does not run): it is dropped, its destroy runs, and its caller
 * gets CQT_ENOLOOP, as a blocking call into such a thread does.
 * Returns: CQT_OK; CQT_EWRONGTHREAD when the caller is not the thread @o
 * lives in (P4: Qt would warn and leave it); CQT_ENOLOOP when @t is an
 * adopted thread; CQT_EINVAL for NULL or a freed thread.
 * Thread: owner; from inside a callback of @o too (the rest of that
 * callback still runs in the old thread). */
CQT_API int cqt_object_move_to_thread(cqt_object *o, cqt_thread *t);

/* cqt_object_free:
 * Frees @o. In its own thread (or when its thread is not running) at once;
 * otherwise deferred to its thread, which drops the calls still queued to
 * it. No queued call, slot or timer of @o starts after this returns (one
 * already running in @o's thread finishes). Its timers,
 * signals (cqt_signal_new(o, ...)) and inbound connections are released
 * with it; their destroy functions run. NULL is ignored. From inside a
 * callback of @o it is safe: the callback finishes, nothing else runs.
 * Thread: any; @o is invalid once this returns (see Lifetime above),
 * unless the caller holds a reference (cqt_object_ref). A second free of
 * a handle kept valid by a reference is ignored with a warning. */
CQT_API void cqt_object_free(cqt_object *o);

/* cqt_object_ref:
 * Keeps @o's handle valid until the matching cqt_object_unref(), across a
 * cqt_object_free() by anyone: for code that holds a receiver across a
 * wait it does not control (GLib's g_object_ref, for the handle only). A
 * reference keeps the handle, not the object: cqt_object_free() still
 * frees the object at once (its timers, signals and connections end, the
 * calls queued to it are dropped), and from then on every call on the
 * handle returns a clean status instead of being a use-after-free —
 * CQT_EINVAL ("was freed"; a refused cqt_invoke_full() runs its destroy),
 * the getters (cqt_object_name, cqt_object_thread) keep answering, and a
 * further cqt_object_free() is ignored. The memory goes with the last
 * reference: the creator's (released by cqt_object_free) or this one.
 * Returns: @o (transfer full: release with cqt_object_unref()); NULL for
 * NULL or a pointer that is not a cqt_object handle, with CQT_EINVAL in
 * cqt_last_error().
 * Thread: any, while the caller knows @o is valid (before its free, or
 * holding a reference already). */
CQT_API cqt_object *cqt_object_ref(cqt_object *o);

/* cqt_object_unref:
 * Releases a reference taken with cqt_object_ref(); the last one frees the
 * handle's memory. It never frees the object itself (cqt_object_free()
 * does) and never runs a callback. NULL is ignored.
 * Thread: any; @o is invalid afterwards unless another reference is held. */
CQT_API void cqt_object_unref(cqt_object *o);

/* cqt_object_start_timer:
 * Starts a QObject-style timer on @o firing every @ms milliseconds
 * (0: whenever the loop is idle) in @o's thread. From another thread the
 * start is marshalled; a timer on an object in a cqt thread that has not
 * started fires once it starts.
 * @timer_type: a cqt_timer_type. A CQT_TIMER_VERY_COARSE interval is
 * rounded up to whole seconds (1 ms fires every second): Qt would round
 * 1..499 ms down to 0 and fire in a hot loop.
 * Returns: a timer id > 0, unique across all threads and not reused;
 * CQT_ENOLOOP if @o lives in an adopted thread (P2); CQT_EINVAL for NULL,
 * NULL @fn, a negative @ms or an unknown type.
 * Thread: any. */
CQT_API int cqt_object_start_timer(cqt_object *o, int ms, int timer_type,
                                   cqt_timer_event_fn fn, void *user_data);

/* cqt_object_start_timer_full:
 * As cqt_object_start_timer(); @destroy (nullable) runs once in @o's
 * thread when the timer is killed or @o freed, or at once, in the calling
 * thread, on failure.
 * Returns: as cqt_object_start_timer(): a timer id > 0, or CQT_ENOLOOP,
 * CQT_EINVAL; also CQT_ESTATE when no application runs. Thread: any. */
CQT_API int cqt_object_start_timer_full(cqt_object *o, int ms, int timer_type,
                                        cqt_timer_event_fn fn, void *user_data,
                                        cqt_destroy_fn destroy);

/* cqt_object_kill_timer:
 * Stops timer @id of @o. From another thread it is marshalled, so the
 * callback may still run once if it was already due in @o's thread.
 * Returns: CQT_OK; CQT_EINVAL for NULL or an id that is not a live timer
 * of @o. Thread: any. */
CQT_API int cqt_object_kill_timer(cqt_object *o, int id);

/* cqt_invoke:
 * Runs fn(user_data) for @target according to @conn.
 * Returns: CQT_OK once it ran (DIRECT, BLOCKING_QUEUED, AUTO in the same
 * thread) or was queued; CQT_EDEADLK for BLOCKING_QUEUED into the
 * caller's own thread (P12: Qt deadlocks); CQT_ENOLOOP when @target's
 * thread cannot run a loop or has stopped (and, for BLOCKING_QUEUED, has
 * not started); CQT_ECANCELED when a blocking call was dropped because
 * @target was freed first; CQT_ENOLOOP too when it was dropped because
 * @target's owner moved it to a thread that runs no loop before it ran;
 * CQT_EINVAL for NULL or an unknown @conn.
 * Thread: any. If the call fails, @fn is never called. */
CQT_API int cqt_invoke(cqt_object *target, cqt_fn fn, void *user_data, cqt_conn conn);

/* cqt_invoke_full:
 * As cqt_invoke(); @destroy (nullable) runs exactly once: after @fn ran,
 * in the thread @fn ran in; when the call is dropped (target freed, or a
 * blocking call stranded by a move), in the thread that drops it; or at
 * once, in the calling thread, when the call fails.
 * Returns: as cqt_invoke(). Thread: any. */
CQT_API int cqt_invoke_full(cqt_object *target, cqt_fn fn, void *user_data,
                            cqt_destroy_fn destroy, cqt_conn conn);

#ifdef __cplusplus
}
#endif

#endif /* CQT_OBJECT_H */
