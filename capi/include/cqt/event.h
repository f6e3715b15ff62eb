/* SPDX-License-Identifier: MIT */
/* cqt/event.h — events, as Python's threading.Event, and waits on many.
 *
 * An event is a flag with set / clear / wait. cqt_event_wait_all() and
 * cqt_event_wait_any() wait on N events from the calling thread alone: no
 * helper thread per event (pitfall P9). cqt_event_when_all() and
 * cqt_event_when_any() do the same without blocking anyone: the result is
 * delivered to a receiver object's thread, so a GUI can wait for three
 * axes and a timeout without freezing.
 *
 * "Set" is latched per wait: an event that is set while a wait watches it
 * counts as set for that wait even if it is cleared again before the
 * waiter wakes.
 */
#ifndef CQT_EVENT_H
#define CQT_EVENT_H

#include "base.h"
#include "object.h"

#ifdef __cplusplus
extern "C" {
#endif

/* cqt_event_new:
 * Creates a cleared event. @name (nullable, copied) is used in messages.
 * Returns: transfer full, release with cqt_event_free(); NULL on failure.
 * Does not need an application. Thread: any. */
CQT_API cqt_event *cqt_event_new(const char *name);

/* cqt_event_free:
 * Frees @ev. While a wait or a when_all/any watches it, the free is
 * refused instead (the wait would read freed memory): @ev is left alive
 * (leaked), cqt_last_error() says CQT_ESTATE and a critical message is
 * logged; free it once the wait returned or its when_all/any ran its
 * destroy. NULL is ignored. Thread: any, but not while another thread
 * still calls @ev. */
CQT_API void cqt_event_free(cqt_event *ev);

/* cqt_event_name:
 * Returns: the name ("event-N" by default); "(null)" for NULL.
 * Transfer none. Thread: any. */
CQT_API const char *cqt_event_name(const cqt_event *ev);

/* cqt_event_set:
 * Sets @ev and wakes every waiter; setting a set event does nothing more. A
 * when_all/any that the set completes is queued to its receiver; if that
 * receiver is already gone, its destroy runs inside this call, in the
 * calling thread.
 * Returns: CQT_OK; CQT_EINVAL for NULL. Thread: any. */
CQT_API int cqt_event_set(cqt_event *ev);

/* cqt_event_clear:
 * Resets the flag of @ev; it wakes nobody, and waits already completed by
 * an earlier set stay completed. Clearing a clear event does nothing.
 * Returns: CQT_OK; CQT_EINVAL for NULL. Thread: any. */
CQT_API int cqt_event_clear(cqt_event *ev);

/* cqt_event_is_set:
 * Returns: the flag; false for NULL. Thread: any. */
CQT_API bool cqt_event_is_set(const cqt_event *ev);

/* cqt_event_wait:
 * Blocks until @ev is set or @timeout_ms passes (0: just test;
 * CQT_FOREVER: no limit). Measured on the monotonic clock.
 * Returns: CQT_OK when set; CQT_ETIMEDOUT; CQT_EINVAL for NULL or a bad
 * timeout. Thread: any (it blocks the caller, loop or not). */
CQT_API int cqt_event_wait(cqt_event *ev, int timeout_ms);

/* cqt_event_wait_all:
 * Waits until every event in @events[0..n) is set or @timeout_ms passes.
 * @results (nullable) gets, per event, CQT_OK (set) or CQT_ETIMEDOUT.
 * The same event may appear more than once.
 * Returns: CQT_OK when all were set; CQT_ETIMEDOUT otherwise, with
 * cqt_last_error() naming the events that were not set; CQT_EINVAL for a
 * NULL array or element, n == 0 or a bad timeout.
 * Thread: any; uses no other thread. */
CQT_API int cqt_event_wait_all(cqt_event *const *events, size_t n, int timeout_ms,
                               int *results);

/* cqt_event_wait_any:
 * Waits until at least one event is set or @timeout_ms passes.
 * @index (nullable) gets the lowest index among the events set when the
 * waiter woke; when one is already set on entry, the first set one found
 * checking in index order (a lower one set meanwhile may be passed over);
 * (size_t)-1 on timeout.
 * Returns: CQT_OK, CQT_ETIMEDOUT, CQT_EINVAL as cqt_event_wait_all().
 * Thread: any; uses no other thread. */
CQT_API int cqt_event_wait_any(cqt_event *const *events, size_t n, int timeout_ms,
                               size_t *index);

/* The result of cqt_event_when_all/any, called once in the receiver's
 * thread. @status is CQT_OK or CQT_ETIMEDOUT; @results[i] is CQT_OK for an
 * event that was set, CQT_ETIMEDOUT otherwise (transfer none, valid for
 * the call); @index is the first event set (when_any) or (size_t)-1. */
typedef void (*cqt_when_fn)(void *user_data, int status, const int *results, size_t n,
                            size_t index);

/* cqt_event_when_all:
 * Returns at once; @fn runs once in @receiver's thread when every event is
 * set or @timeout_ms passes (CQT_FOREVER: no timeout; a timeout never
 * ends early, though Qt's coarse timers behind long ones may fire up to
 * 5% before their interval: the rest is waited out). The events must
 * stay alive until @fn or @destroy ran. The wait is dropped (@fn is never
 * called, the events are no longer watched) when @receiver is freed or
 * its thread's loop ends first, cqt_app_shutdown() included, also with
 * CQT_FOREVER: for that the wait keeps a timer on @receiver until it ends.
 * @destroy runs once: after @fn, in @receiver's thread; when the wait is
 * dropped, in the thread that freed @receiver or in @receiver's thread
 * (or inside the cqt_event_set() that completed it, if @receiver was
 * already gone); on failure, before this returns.
 * Returns: CQT_OK; CQT_EINVAL for bad arguments; CQT_ENOLOOP when
 * @receiver's thread runs no loop. Thread: any. */
CQT_API int cqt_event_when_all(cqt_event *const *events, size_t n, int timeout_ms,
                               cqt_object *receiver, cqt_when_fn fn, void *user_data,
                               cqt_destroy_fn destroy);

/* cqt_event_when_any:
 * As cqt_event_when_all() (same rules for @fn, @destroy, dropping and
 * failure), completing when the first event is set; @fn's @index names
 * it.
 * Returns: CQT_OK; CQT_EINVAL for bad arguments; CQT_ENOLOOP when
 * @receiver's thread runs no loop. Thread: any. */
CQT_API int cqt_event_when_any(cqt_event *const *events, size_t n, int timeout_ms,
                               cqt_object *receiver, cqt_when_fn fn, void *user_data,
                               cqt_destroy_fn destroy);

#ifdef __cplusplus
}
#endif

#endif /* CQT_EVENT_H */
