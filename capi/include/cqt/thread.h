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
 * Signals: started is emitted in the thread as its loop starts, before
 * anything queued to it runs (Qt's QThread::started); finished in the
 * thread after its loop returned and what was queued before ran, when
 * cqt_thread_is_running() is already false (Qt's QThread::finished).
 * CQT_AUTO slots whose receiver lives in the thread run directly there
 * (connect started to start a timer in the thread); others are queued.
 * cqt_thread_wait() returns after the direct slots of finished.
 *
 * Exit codes: cqt_thread_exit(t, code) ends every loop of @t — the nested
 * ones cqt_thread_exec() runs (which return @code) and then the thread's
 * own, as QThread::exit does; cqt_thread_quit() is exit(0).
 * cqt_thread_exit_code() tells the code of the last finished run.
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

/* cqt_thread_exit:
 * Asks every loop of the thread to return @exit_code: a cqt_thread_exec()
 * running in it returns @exit_code, and the thread's own loop returns once
 * control is back in it, so the thread finishes (QThread::exit). Called
 * while its code runs but before it enters cqt_thread_exec(), that call
 * returns @exit_code at once. Like cqt_thread_quit() otherwise (which is
 * cqt_thread_exit(t, 0)); on a thread that is not running it does nothing.
 * The last call before the loop returned sets cqt_thread_exit_code().
 * Returns: CQT_OK; CQT_EINVAL for NULL or a thread that is not a cqt thread.
 * Thread: any. */
CQT_API int cqt_thread_exit(cqt_thread *t, int exit_code);

/* cqt_thread_exit_code:
 * Returns: the exit code of @t's last finished run: the code given to the
 * cqt_thread_exit() that ended it, 0 when cqt_thread_quit(),
 * cqt_thread_free() or cqt_app_shutdown() ended it; 0 before a first run
 * finished, and for NULL, the main thread and adopted threads. While a run
 * goes on, the previous run's code.
 * Thread: any. */
CQT_API int cqt_thread_exit_code(const cqt_thread *t);

/* cqt_thread_exec:
 * Runs the calling cqt thread's event loop (deliveries, timers, Qt events)
 * until cqt_thread_quit() or cqt_thread_exit() is called on it — from any
 * thread, or by cqt_app_shutdown(); for the body of a
 * CQT_WORKER_DEDICATED_THREAD worker also cqt_worker_quit(). QThread::exec
 * for code running in a cqt thread: a callback, a delivery, a posted
 * function or a dedicated-thread worker's body. It returns at once when an
 * exit was asked while the thread's code ran and no cqt_thread_exec()
 * returned it yet. (An exit asked before the thread's own loop began ends
 * that loop instead; what was queued then runs as the thread finishes,
 * where this returns CQT_ESTATE.) The thread's own loop ends with it:
 * once the caller returns, the thread finishes (see cqt_thread_exit()).
 * May be called again after it returned (the second loop runs until the
 * next exit).
 * Returns: the exit code (0 for quit); a negative status when no loop can
 * run: CQT_ENOLOOP in a thread that has none (a pool thread, a plain
 * pthread), CQT_EWRONGTHREAD in the main thread (use cqt_app_exec()),
 * CQT_ESTATE from a finished slot (the loop has returned) or with no app.
 * Thread: a cqt thread (its own code). */
CQT_API int cqt_thread_exec(void);

/* cqt_thread_post:
 * Queues @fn(@user_data) to run in @t's loop, without an object there:
 * always queued, also from @t itself, in order with other deliveries
 * queued to @t from the calling thread. A thread not started yet runs it
 * when it starts; the main thread runs it in cqt_app_exec() /
 * cqt_app_process_events() or in cqt_app_shutdown()'s final drain.
 * @destroy (nullable) runs once: in @t after @fn; or when the post is
 * dropped (the thread freed before running it), in the freeing thread;
 * or at once, in the calling thread, when the post is refused.
 * Returns: CQT_OK; CQT_EINVAL for NULL @t or @fn or a freed thread;
 * CQT_ENOLOOP for an adopted thread or one whose loop has finished (start
 * it again first); CQT_ESTATE with no app or for a thread of an earlier
 * application.
 * Thread: any. */
CQT_API int cqt_thread_post(cqt_thread *t, cqt_fn fn, void *user_data, cqt_destroy_fn destroy);

/* cqt_thread_started:
 * Returns: @t's started signal (no argument), emitted in @t each time its
 * loop starts, before anything queued to it runs. Transfer none, valid
 * until @t is freed; NULL (with the last error) for NULL, the main thread
 * or an adopted thread.
 * Thread: any; connect before cqt_thread_start() to see the first run. */
CQT_API cqt_signal *cqt_thread_started(cqt_thread *t);

/* cqt_thread_finished:
 * Returns: @t's finished signal (no argument), emitted in @t each time its
 * loop returned, after what was queued before it ran; then
 * cqt_thread_is_running() is false and cqt_thread_exit_code() is the run's
 * code. Queued calls into @t's objects from its slots get CQT_ENOLOOP.
 * Transfer none, valid until @t is freed; NULL (with the last error) for
 * NULL, the main thread or an adopted thread.
 * Thread: any. */
CQT_API cqt_signal *cqt_thread_finished(cqt_thread *t);

/* cqt_thread_request_interruption:
 * Asks code running in @t to stop (QThread::requestInterruption): it sets
 * a flag that code polls with cqt_thread_is_interruption_requested(),
 * nothing more — no loop is quit. Ignored unless @t runs; cleared when it
 * starts again. Idempotent.
 * Returns: CQT_OK; CQT_EINVAL for NULL or a thread that is not a cqt thread
 * (the main thread is never interrupted: quit it with cqt_app_quit()).
 * Thread: any. */
CQT_API int cqt_thread_request_interruption(cqt_thread *t);

/* cqt_thread_is_interruption_requested:
 * Returns: true while @t runs and cqt_thread_request_interruption() was
 * called since it started; false otherwise (also once it finished), and
 * for NULL, the main thread and adopted threads.
 * Thread: any; typically @t itself (cqt_thread_current()) in a long loop. */
CQT_API bool cqt_thread_is_interruption_requested(const cqt_thread *t);

#ifdef __cplusplus
}
#endif

#endif /* CQT_THREAD_H */
