/* SPDX-License-Identifier: MIT */
/* cqt/unix.h — UNIX signals delivered as queued callbacks.
 *
 * cqt_unix_signal_watch() installs cqt's handler for a signal. The handler
 * does only what is async-signal-safe: it adds one to a per-signal atomic
 * counter and writes a byte to a self-pipe. One internal reader thread
 * reads the pipe, takes the counts and queues a call to every watcher's
 * receiver; the callback runs there, in the receiver's thread, never in the
 * handler, with the number of signals since its last call.
 *
 * Counting: every signal the handler runs for is counted exactly once for
 * every watcher of that signal; calls coalesce (one call may carry several
 * signals, none is lost). The kernel itself merges a standard signal sent
 * again while it is still pending (not yet handled by any thread), which no
 * handler can see: those count once.
 *
 * Disposition: the first watch of a signal replaces its disposition; the
 * one found is restored when the last watch of that signal is removed and
 * at cqt_app_shutdown(). Signals cqt handles are set up with SA_RESTART.
 */
#ifndef CQT_UNIX_H
#define CQT_UNIX_H

#include "base.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A watched signal arrived @count (>= 1) times since the last call. Runs
 * in the receiver's thread. */
typedef void (*cqt_unix_signal_fn)(void *user_data, int signo, unsigned count);

/* cqt_unix_signal_watch:
 * Calls @fn in @receiver's thread when @signo arrives. Several watches of
 * one signal each get every arrival.
 * Returns: a watch id > 0 (never reused), for cqt_unix_signal_unwatch();
 * CQT_EINVAL for a signal that cannot be caught (SIGKILL, SIGSTOP), one
 * out of range, a NULL @fn or an invalid @receiver; CQT_ENOLOOP when
 * @receiver lives in a thread that runs no event loop; CQT_ESTATE without
 * an app. @destroy runs exactly once: when the watch is removed
 * (cqt_unix_signal_unwatch, shutdown) in that thread, or at once on failure.
 * Thread: any. */
CQT_API int cqt_unix_signal_watch(int signo, cqt_object *receiver, cqt_unix_signal_fn fn,
                                  void *user_data, cqt_destroy_fn destroy);

/* cqt_unix_signal_unwatch:
 * Removes watch @id and runs its destroy in the calling thread. No call of
 * it runs after this returns: a queued call is dropped, and from another
 * thread unwatch waits for one already running in the receiver's thread
 * to return (never call it from a thread that callback waits for). Safe
 * inside the watch's own callback (destroy then runs after it returns).
 * The last watch of a signal restores the disposition it replaced.
 * A receiver freed while watching gets no more calls; its watch stays
 * registered until it is removed here or at shutdown.
 * Returns: CQT_OK; CQT_EINVAL for an id that is not a live watch.
 * Thread: any. */
CQT_API int cqt_unix_signal_unwatch(int id);

#ifdef __cplusplus
}
#endif

#endif /* CQT_UNIX_H */
