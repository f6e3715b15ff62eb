/* SPDX-License-Identifier: MIT */
/* cqt/io.h — file descriptor watches: an fd watched in an object's thread.
 *
 * A cqt_io_watch calls its function in its owner object's thread when the
 * fd is ready. It belongs to the owner: it moves with it
 * (cqt_object_move_to_thread: the watch keeps watching in the new thread,
 * and what was readable there is reported there) and is freed with it.
 * Enable, disable, set_events and free work from any thread (pitfall P14:
 * Qt's QSocketNotifier refuses them from another thread, warning "Socket
 * notifiers cannot be enabled or disabled from another thread").
 *
 * Level-triggered: while the fd is ready and the watch enabled, the
 * function is called again at each turn of the loop. A callback that does
 * not drain the fd (reads part of what is there) is simply called again;
 * one that cannot act now should disable the watch, or it keeps being
 * called.
 *
 * Hang-up and errors: revents carries CQT_IO_ERROR when the fd reports a
 * hang-up or an error (POLLHUP, POLLERR) and, for a READ watch, nothing is
 * left to read: data still in a pipe or socket is reported as CQT_IO_READ
 * first, so a reader sees every byte and then the end. The same applies to
 * an fd closed while watched (POLLNVAL: free the watch before closing its
 * fd; if not, the loop notices and reports it, and Qt's own warning
 * "QSocketNotifier: Invalid socket ..." reaches the message handler; an fd
 * number reused by then cannot be told apart). Such a condition lasts, so
 * the watch disables itself before that call: CQT_IO_ERROR is delivered
 * once, and the loop does not spin. cqt_io_watch_enable() watches again
 * (CQT_EINVAL if the fd was closed).
 *
 * Callbacks of one watch never overlap: when a callback moves the owner to
 * another thread, the watch starts there once that callback has returned.
 *
 * Lifecycle: live (enabled or disabled) -> freed. cqt_io_watch_free() or
 * the owner's free ends it; destroy then runs exactly once. A callback may
 * free its own watch, or change its events; the handle is not used again
 * after it returns.
 */
#ifndef CQT_IO_H
#define CQT_IO_H

#include "base.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A watched file descriptor (opaque): cqt_io_watch_new(), cqt_io_watch_free(). */
typedef struct cqt_io_watch cqt_io_watch;

/* What to watch (events) and what happened (revents); a bit mask. */
enum {
    CQT_IO_READ = 1u << 0,  /* readable, or end of file still to read */
    CQT_IO_WRITE = 1u << 1, /* writable */
    CQT_IO_ERROR = 1u << 2  /* hang-up, error or closed fd; always reported */
};

/* Called in the owner's thread. @revents holds CQT_IO_* bits, only those
 * asked for plus CQT_IO_ERROR. */
typedef void (*cqt_io_fn)(void *user_data, cqt_io_watch *w, int fd, unsigned revents);

/* cqt_io_watch_new:
 * Watches @fd for @events (CQT_IO_READ and/or CQT_IO_WRITE; CQT_IO_ERROR
 * may be added and is implied) in @owner's thread, enabled. @owner may live
 * in a cqt thread that has not started: the watch starts with the thread.
 * The fd stays the caller's: cqt never closes it. Close it only after the
 * watch is freed.
 * Returns: transfer full, released with cqt_io_watch_free() or with
 * @owner (cqt_object_free); NULL on failure with cqt_last_error() set:
 * CQT_EINVAL for a NULL/freed owner, a negative or closed @fd, unknown bits
 * or neither READ nor WRITE in @events, a NULL @fn; CQT_ENOLOOP when
 * @owner lives in a thread that can never run a loop (a thread cqt did not
 * start), or whose loop stopped; CQT_ESTATE without an app.
 * @destroy runs exactly once: when the watch is freed (see
 * cqt_io_watch_free for the thread) or at once on failure.
 * Thread: any. */
CQT_API cqt_io_watch *cqt_io_watch_new(cqt_object *owner, int fd, unsigned events, cqt_io_fn fn,
                                       void *user_data, cqt_destroy_fn destroy);

/* cqt_io_watch_set_events:
 * Watches @events from now on (same rules as for cqt_io_watch_new). Does
 * not change whether the watch is enabled.
 * Returns: CQT_OK; CQT_EINVAL for bad @events, a freed watch or a closed
 * fd; CQT_ENOLOOP when the owner's loop has stopped.
 * Thread: any. From another thread the change is marshalled to the owner's
 * thread; the call first waits for a callback of @w already running there
 * to return, so no callback for the old events runs after it returns
 * (never call it from a thread that callback waits for). */
CQT_API int cqt_io_watch_set_events(cqt_io_watch *w, unsigned events);

/* cqt_io_watch_enable:
 * Starts watching again (the events are kept). Repeated calls coalesce.
 * Enabling a watch whose fd was closed gives CQT_EINVAL.
 * Returns: CQT_OK; CQT_EINVAL for NULL, a freed watch or a closed fd;
 * CQT_ENOLOOP when the owner's loop has stopped.
 * Thread: any (marshalled to the owner's thread). */
CQT_API int cqt_io_watch_enable(cqt_io_watch *w);

/* cqt_io_watch_disable:
 * Stops watching (the events are kept). Repeated calls coalesce. After it
 * returns no callback runs until cqt_io_watch_enable(): from another
 * thread it waits for a callback already running, as set_events does.
 * Returns: CQT_OK; CQT_EINVAL for NULL or a freed watch; CQT_ENOLOOP when
 * the owner's loop has stopped.
 * Thread: any (marshalled to the owner's thread). */
CQT_API int cqt_io_watch_disable(cqt_io_watch *w);

/* cqt_io_watch_is_enabled:
 * Returns: whether @w is enabled (it disables itself after reporting
 * CQT_IO_ERROR); false for NULL or a freed watch. Thread: any. */
CQT_API bool cqt_io_watch_is_enabled(const cqt_io_watch *w);

/* cqt_io_watch_fd:
 * Returns: the watched fd; -1 for NULL. Thread: any. */
CQT_API int cqt_io_watch_fd(const cqt_io_watch *w);

/* cqt_io_watch_free:
 * Stops and frees @w. No callback starts after it returns: in the owner's
 * thread at once; from another thread it waits for a callback already
 * running to return (never call it from a thread that callback waits
 * for). Safe inside @w's own callback. destroy runs once: in the calling
 * thread, or, when called inside @w's own callback, right after that
 * callback returns. Freeing the owner frees its watches the same way, with
 * destroy in the thread that destroys the owner (its own thread while its
 * loop runs); their handles are then gone: do not free them again. The fd
 * is not closed. NULL is ignored; a second free is
 * reported as a warning and ignored while the memory is still there.
 * Thread: any. */
CQT_API void cqt_io_watch_free(cqt_io_watch *w);

#ifdef __cplusplus
}
#endif

#endif /* CQT_IO_H */
