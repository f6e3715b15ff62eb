/* SPDX-License-Identifier: MIT */
/* cqt/thread.h — threads that run a Qt event loop.
 *
 * A cqt_thread is a QThread running its own event loop (QThread::exec; cqt
 * never subclasses run). Objects live in threads; queued calls, signals and
 * timers of an object run in its thread's loop.
 *
 * Three kinds of thread have a cqt_thread handle:
 *  - the main thread (cqt_thread_main()), whose loop is cqt_app_exec();
 *  - cqt threads (cqt_thread_new()), whose loop runs between start and quit;
 *  - adopted threads: any other thread that calls cqt_thread_current(), such
 *    as a plain pthread. Such a thread can never run a loop, so timers and
 *    queued calls into its objects fail with CQT_ENOLOOP instead of
 *    silently never running (pitfall P2).
 */
/*
 * Lifecycle of a cqt thread: new -> started (running) -> quit -> finished
 * -> started again ... -> freed. Start, quit and wait may be called from
 * any thread, concurrently: of two starts, one wins and the other returns
 * CQT_ESTATE. From inside the thread's own callbacks: quit makes the loop
 * return after the callback; free is deferred until it has; start returns
 * CQT_ESTATE (it runs); wait returns CQT_EDEADLK.
 *
 * Limitation: a thread blocked in a CQT_BLOCKING_QUEUED call into the main
 * thread waits for the main loop; cqt_app_shutdown() does not run it, so
 * every shutdown times out naming that thread until the main thread runs
 * its loop once (see cqt_app_shutdown()).
 */
#ifndef CQT_THREAD_H
#define CQT_THREAD_H

#include "base.h"

#ifdef __cplusplus
extern "C" {
#endif

/* cqt_thread_new:
 * Creates a thread, not started. @name (nullable; copied) names it in
 * messages and in the OS ("cqt-N" when NULL); at most 63 bytes are kept.
 * Objects may be created in it before it starts; their deliveries and
 * timers run once it starts.
 * Returns: transfer full, release with cqt_thread_free(); NULL on failure.
 * Thread: any. */
CQT_API cqt_thread *cqt_thread_new(const char *name);

/* cqt_thread_start:
 * Starts the thread's event loop. A thread that quit and finished may be
 * started again; its objects keep their affinity.
 * Returns: CQT_OK; CQT_ESTATE if it is running (or another start won),
 * while cqt_app_shutdown() runs, or for a thread of an application that
 * was shut down; CQT_EINVAL for NULL or a thread that is not a cqt thread
 * (main, adopted).
 * Thread: any. */
CQT_API int cqt_thread_start(cqt_thread *t);

/* cqt_thread_quit:
 * Asks the loop to return. Deliveries queued before the loop returns are
 * still run; after that, queued calls into the thread's objects get
 * CQT_ENOLOOP until it is started again, and its timers stop.
 * Idempotent; a thread that is not running is left as it is.
 * Returns: CQT_OK; CQT_EINVAL for NULL or a thread that is not a cqt thread.
 * Thread: any. */
CQT_API int cqt_thread_quit(cqt_thread *t);

/* cqt_thread_wait:
 * Waits for the thread to finish (after cqt_thread_quit()).
 * @timeout_ms: milliseconds or CQT_FOREVER.
 * Returns: CQT_OK when it finished or never started; CQT_ETIMEDOUT;
 * CQT_EDEADLK from inside the thread itself; CQT_EINVAL for NULL, a
 * negative timeout or a thread that is not a cqt thread.
 * Thread: any but @t. */
CQT_API int cqt_thread_wait(cqt_thread *t, int timeout_ms);

/* cqt_thread_is_running:
 * Returns: true while a cqt thread's loop runs (or the main thread, while
 * the application lives). Thread: any. */
CQT_API bool cqt_thread_is_running(const cqt_thread *t);

/* cqt_thread_free:
 * Quits the thread, waits for it, drops the deliveries still queued to it
 * (their payloads and user data are released) and frees the handle. When
 * it returns, the thread's OS threads are gone from the process
 * (/proc/self/task), not only finished.
 * Objects still living in the thread stay valid to free; queued calls into
 * them get CQT_ENOLOOP. Called from inside @t, the release happens when
 * its loop returns. NULL, the main thread and adopted threads are ignored.
 * Thread: any. */
CQT_API void cqt_thread_free(cqt_thread *t);

/* cqt_thread_current:
 * Returns: the calling thread's handle; for a thread cqt did not start, an
 * adopted handle created on first use (it runs no loop). NULL with no app.
 * Transfer none: valid while the thread lives (the main thread's and cqt
 * threads' until shutdown / cqt_thread_free()).
 * Thread: any. */
CQT_API cqt_thread *cqt_thread_current(void);

/* cqt_thread_main:
 * Returns: the main thread's handle; NULL with no app. Transfer none.
 * Thread: any. */
CQT_API cqt_thread *cqt_thread_main(void);

/* cqt_thread_name:
 * Returns: the thread's name ("main" for the main thread, "adopted-TID" or
 * the OS name for adopted threads); "(null)" for NULL. Transfer none, valid
 * as long as the handle. Thread: any. */
CQT_API const char *cqt_thread_name(const cqt_thread *t);

/* cqt_thread_has_loop:
 * Returns: true for the main thread and cqt threads (whether or not they
 * run now), false for adopted threads and NULL. Thread: any. */
CQT_API bool cqt_thread_has_loop(const cqt_thread *t);

#ifdef __cplusplus
}
#endif

#endif /* CQT_THREAD_H */
