/* SPDX-License-Identifier: MIT */
/* cqt/timer.h — timers that live in their owner's thread and can be
 * started and stopped from any thread (pitfall P1: Qt refuses a start from
 * another thread with a warning and the timer never fires).
 *
 * A timer belongs to an owner object: it fires in the owner's thread and
 * moves with it (P7). Starting a timer whose owner lives in a thread that
 * can never run a loop is CQT_ENOLOOP (P2); one whose owner lives in a cqt
 * thread that has not started yet is accepted and fires once that thread
 * runs. When the owner's thread quits, its timers stop.
 *
 * A timer's callback is never re-entered: periods that fall due while it
 * runs a nested loop (cqt_app_process_events) are skipped, as in Qt, and
 * the timer fires again at its next period after the callback returned.
 *
 * "Thread: any" below means any thread that knows @t is not being freed:
 * a call on @t while or after another thread frees it (or its owner) is a
 * use-after-free.
 */
#ifndef CQT_TIMER_H
#define CQT_TIMER_H

#include "base.h"
#include "object.h"
#include "signal.h"

#ifdef __cplusplus
extern "C" {
#endif

/* cqt_timer_new:
 * Creates a stopped timer owned by @owner: interval 0, repeating,
 * CQT_TIMER_COARSE (Qt's defaults). @name (nullable, copied) is used in
 * messages.
 * Returns: transfer none — released with @owner, or with cqt_timer_free();
 * NULL for a NULL or freed owner.
 * Thread: any. */
CQT_API cqt_timer *cqt_timer_new(cqt_object *owner, const char *name);

/* cqt_timer_free:
 * Stops and frees @t; its timeout signal is freed with it. NULL ignored.
 * Thread: any, but not concurrently with other calls on @t. */
CQT_API void cqt_timer_free(cqt_timer *t);

/* cqt_timer_start:
 * (Re)starts @t with @interval_ms (>= 0). From another thread the start is
 * marshalled to the owner's thread; cqt_timer_is_active() is true when this
 * returns. Restarting an active timer restarts its period. A
 * CQT_TIMER_VERY_COARSE interval is rounded up to whole seconds (see
 * cqt_timer_interval_ms()); Qt would round 1..499 ms down to 0.
 * Returns: CQT_OK; CQT_ENOLOOP when the owner lives in an adopted thread or
 * a thread that stopped (the message names the thread and the fix);
 * CQT_EINVAL for NULL or a negative interval.
 * Thread: any. */
CQT_API int cqt_timer_start(cqt_timer *t, int interval_ms);

/* cqt_timer_stop:
 * Stops @t. Once this returns the timeout is not emitted again, except by
 * a callback already running in the owner's thread.
 * Returns: CQT_OK (also when already stopped); CQT_EINVAL for NULL.
 * Thread: any. */
CQT_API int cqt_timer_stop(cqt_timer *t);

/* cqt_timer_set_single_shot:
 * Takes effect at the next start: a running timer keeps the mode and type
 * it was started with (a periodic one stays periodic and active until
 * stopped). Returns CQT_OK; CQT_EINVAL for NULL. Thread: any. */
CQT_API int cqt_timer_set_single_shot(cqt_timer *t, bool single);

/* cqt_timer_set_type:
 * As cqt_timer_set_single_shot(), for the cqt_timer_type @type; it takes
 * effect at the next start.
 * Returns: CQT_OK; CQT_EINVAL for NULL, a timer that is not live or an
 * unknown type; CQT_ESTATE when no application runs. Thread: any. */
CQT_API int cqt_timer_set_type(cqt_timer *t, int type);

/* cqt_timer_is_active:
 * Returns: true from a start until a stop, or until a single shot fired.
 * Thread: any. */
CQT_API bool cqt_timer_is_active(const cqt_timer *t);

/* cqt_timer_remaining_ms:
 * Returns: milliseconds until the next timeout (0 when due), -1 when
 * inactive or NULL. Thread: any. */
CQT_API int cqt_timer_remaining_ms(const cqt_timer *t);

/* cqt_timer_id:
 * Qt's QTimer::timerId(). A new id is drawn at each start, from the same
 * sequence as cqt_object_start_timer()'s: unique across all threads and
 * never reused, so no other timer, live or gone, ever has it.
 * Returns: the id (> 0) of @t's current run while it is active; -1 while
 * stopped, once a single shot fired (also inside its own timeout), after
 * its owner's thread stopped its timers, and for NULL.
 * Thread: any. */
CQT_API int cqt_timer_id(const cqt_timer *t);

/* cqt_timer_interval_ms:
 * Returns: the interval of the last start as used (a very coarse one
 * rounded up to whole seconds); -1 for NULL. Thread: any. */
CQT_API int cqt_timer_interval_ms(const cqt_timer *t);

/* cqt_timer_timeout:
 * Returns: the signal emitted (in the owner's thread, with a none value)
 * at each timeout. Transfer none, valid as long as @t. The signal is
 * created on the first call (a timer that only runs a callback never pays
 * for one); NULL with cqt_last_error() set when @t is not a live timer or
 * its owner was freed. Thread: any. */
CQT_API cqt_signal *cqt_timer_timeout(cqt_timer *t);

/* cqt_single_shot:
 * Calls fn(user_data) once, @ms milliseconds from now, in @receiver's
 * thread. Dropped silently if @receiver is freed first.
 * @receiver (nullable): NULL means the calling thread (Qt's
 * QTimer::singleShot(ms, functor)): @fn runs in this thread's loop, and
 * is dropped if that loop stops first (its thread quits, or the
 * application shuts down).
 * Returns: CQT_OK; CQT_ENOLOOP when @receiver lives in a thread that runs
 * no loop, or, without a receiver, when the calling thread runs none (a
 * plain pthread, a pool thread: the message names it); CQT_EINVAL for a
 * NULL @fn, a freed @receiver or a negative @ms.
 * Thread: any. Ownership: @user_data stays the caller's (transfer none);
 * cqt_single_shot_full() can hand it a release function. */
CQT_API int cqt_single_shot(int ms, cqt_object *receiver, cqt_fn fn, void *user_data);

/* cqt_single_shot_full:
 * As cqt_single_shot(); @destroy (nullable) runs once: after @fn ran, in
 * @receiver's thread (without a receiver: the calling thread); when
 * @receiver was freed first, or the shot was dropped with its thread's
 * loop, with the timer; or at once, in the calling thread, on failure.
 * Returns: as cqt_single_shot(); also CQT_ESTATE when no application
 * runs. Thread: any. */
CQT_API int cqt_single_shot_full(int ms, cqt_object *receiver, cqt_fn fn, void *user_data,
                                 cqt_destroy_fn destroy);

#ifdef __cplusplus
}
#endif

#endif /* CQT_TIMER_H */
