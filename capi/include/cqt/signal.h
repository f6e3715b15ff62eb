/* SPDX-License-Identifier: MIT */
/* cqt/signal.h — signals: emit from any thread, slots run in their
 * receiver's thread.
 *
 * A signal belongs to an owner object and is released with it (or earlier
 * with cqt_signal_free()). A connection ties a slot to a receiver object;
 * CQT_AUTO is decided at each emit, as Qt does: direct when the receiver
 * lives in the emitting thread, queued otherwise. Queued slots get their
 * own copy of the argument. Queued deliveries from one thread to one
 * receiver arrive in emit order and none is lost while the receiver lives.
 */
#ifndef CQT_SIGNAL_H
#define CQT_SIGNAL_H

#include "base.h"
#include "object.h"
#include "value.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A slot. @arg is transfer none, valid for the call; copy it
 * (cqt_value_copy) to keep it. */
typedef void (*cqt_slot_fn)(void *user_data, const cqt_value *arg);

/* cqt_signal_new:
 * Creates a signal owned by @owner. @name (nullable, copied) is used in
 * messages.
 * Returns: transfer none — released with @owner, or earlier with
 * cqt_signal_free(); NULL for a NULL or freed owner.
 * Thread: any. */
CQT_API cqt_signal *cqt_signal_new(cqt_object *owner, const char *name);

/* cqt_signal_name:
 * Returns: the name ("signal-N" by default, fixed at creation), "(null)"
 * for NULL. Transfer none, valid as long as @s. Thread: any. */
CQT_API const char *cqt_signal_name(const cqt_signal *s);

/* cqt_signal_free:
 * Disconnects every slot (their destroy functions run once no delivery
 * can still call them) and frees @s. Emitting on @s after this is a
 * use-after-free, as with any freed handle. NULL is ignored. A direct
 * slot of @s may free it: the emit under way calls no further slot.
 * Thread: any, but not concurrently with another call on @s (cqt_emit,
 * cqt_connect, cqt_disconnect, ...) in another thread. */
CQT_API void cqt_signal_free(cqt_signal *s);

/* cqt_connect:
 * Connects @fn to @s; it runs in @receiver's thread (or the emitter's for
 * CQT_DIRECT). The connection ends with cqt_disconnect(), when @receiver
 * or @s is freed; then @destroy(@user_data) runs once, in the thread that
 * ends it, or in @receiver's thread after the last pending delivery was
 * dropped. The same slot may be connected several times; each connection
 * is called.
 * Returns: a connection id, never 0 and never reused; 0 on failure (NULL
 * argument, freed receiver, unknown @conn, receiver in an adopted thread
 * with a queued type), with @destroy already run.
 * Thread: any. */
CQT_API cqt_connection cqt_connect(cqt_signal *s, cqt_object *receiver, cqt_slot_fn fn,
                                   void *user_data, cqt_destroy_fn destroy, cqt_conn conn);

/* cqt_disconnect:
 * Ends connection @c of @s. Deliveries of it still queued are dropped: once
 * this returns, the slot is not called again, except a call already
 * running in another thread.
 * Returns: CQT_OK; CQT_EINVAL for NULL, 0 or an id that is not a live
 * connection of @s (for example a second disconnect).
 * Thread: any. */
CQT_API int cqt_disconnect(cqt_signal *s, cqt_connection c);

/* cqt_emit:
 * Calls every connected slot with @arg (NULL: a none value): direct slots
 * now, in this thread; queued slots later in their receivers' threads, each
 * with its own copy; blocking-queued slots before this returns.
 * Returns: CQT_OK; otherwise the first failure (CQT_EDEADLK for a
 * blocking-queued slot whose receiver lives in this thread, CQT_ENOLOOP for
 * a receiver whose thread stopped), after delivering to every other slot.
 * CQT_EINVAL for NULL @s.
 * Thread: any. */
CQT_API int cqt_emit(cqt_signal *s, const cqt_value *arg);

/* cqt_signal_connection_count:
 * Returns: the number of live connections (0 for NULL). Thread: any. */
CQT_API int cqt_signal_connection_count(const cqt_signal *s);

#ifdef __cplusplus
}
#endif

#endif /* CQT_SIGNAL_H */
