/* SPDX-License-Identifier: MIT */
/* cqt/app.h — the application: one per process, created in the main thread.
 *
 * Every other cqt call needs a live application: before cqt_app_init() or
 * after cqt_app_shutdown() they return CQT_ESTATE. The thread that calls
 * cqt_app_init() is "the main thread" from then on.
 *
 * Lifecycle: no application -> cqt_app_init() -> running ->
 * cqt_app_shutdown() -> shutting down -> destroyed (init may run again),
 * or, when shutdown times out, back to running. While shutdown runs,
 * calls on live handles work (hooks and the final drain need them), but
 * nothing new starts: cqt_thread_start(), cqt_pool_run() and
 * cqt_worker_start() return CQT_ESTATE, so the timeout bounds the whole
 * shutdown. Handles of a destroyed application stay valid to free; every
 * other call on them returns CQT_ESTATE, also in a later application.
 */
#ifndef CQT_APP_H
#define CQT_APP_H

#include "base.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Flags for cqt_app_init(). */
enum {
    CQT_APP_CORE = 0,      /* QCoreApplication: no GUI (libcqt alone) */
    CQT_APP_GUI = 1u << 0  /* QApplication: needs libcqt-widgets (cqt/widgets.h) */
};

/* cqt_app_init:
 * Creates the application. @argc and @argv may be NULL; when given, they
 * must stay valid until cqt_app_shutdown() (Qt keeps them) and Qt removes
 * the options it consumes. May be called again after cqt_app_shutdown().
 * The event dispatcher stays Qt's choice: its GLib dispatcher, unless the
 * environment has QT_NO_GLIB=1 when cqt_app_init() runs (set it before, or
 * export it), which gives the main thread and every thread started later
 * Qt's UNIX dispatcher: about half the instructions per wake-up, but GLib
 * sources on the default main context (GIO, GStreamer buses) no longer run
 * in the Qt loop. cqt works the same under both (README "Performance").
 * Returns: CQT_OK; CQT_ESTATE if an application exists already;
 * CQT_EINVAL for unknown flags or CQT_APP_GUI without libcqt-widgets.
 * Thread: the thread that becomes the main thread. */
CQT_API int cqt_app_init(int *argc, char **argv, unsigned flags);

/* cqt_app_is_running:
 * Returns: true between cqt_app_init() and cqt_app_shutdown(). Thread: any. */
CQT_API bool cqt_app_is_running(void);

/* cqt_app_generation:
 * Names the running application: a module built on cqt (a worker, say)
 * stores it with a handle it makes and compares it later, to refuse a
 * handle kept across cqt_app_shutdown() + cqt_app_init() the way cqt's
 * own handles are refused (CQT_ESTATE).
 * Returns: a number different for every cqt_app_init() in this process
 * (never reused); 0 when no application runs.
 * Thread: any. */
CQT_API uint64_t cqt_app_generation(void);

/* cqt_app_exec:
 * Runs the main event loop until cqt_app_quit(). A quit requested before
 * exec started makes it return at once (Qt would ignore such a quit and
 * run forever).
 * Returns: the code given to cqt_app_quit(); a negative status if the loop
 * cannot run (CQT_EWRONGTHREAD; CQT_ESTATE with no app or when it runs
 * already).
 * Thread: main. */
CQT_API int cqt_app_exec(void);

/* cqt_app_quit:
 * Asks cqt_app_exec() to return @exit_code. Coalesces: the first code
 * requested since the loop last returned wins.
 * Thread: any (marshalled to the main thread). */
CQT_API void cqt_app_quit(int exit_code);

/* cqt_app_process_events:
 * Runs the calling thread's event loop for @max_ms milliseconds (0: only
 * what is pending now), then returns. Queued deliveries, timers and Qt
 * events are processed.
 * Returns: CQT_OK; CQT_EINVAL for a negative @max_ms; CQT_ENOLOOP in a
 * thread that cannot run a loop (a plain pthread).
 * Thread: main, or a cqt thread from inside its own loop. */
CQT_API int cqt_app_process_events(int max_ms);

/* A shutdown hook: stop what you run within @timeout_ms and return CQT_OK,
 * or CQT_ETIMEDOUT after writing the names of what did not stop with
 * cqt_set_last_error(). */
typedef int (*cqt_shutdown_fn)(void *user_data, int timeout_ms);

/* cqt_app_add_shutdown_hook:
 * Registers @fn to run at the start of cqt_app_shutdown(), newest first,
 * in the main thread. The worker pool uses it to quit workers.
 * Added while cqt_app_shutdown() runs its hooks (from a hook, or from
 * another thread), @fn runs in that shutdown after the hooks before it —
 * unless one of them failed: then the application is kept and @fn runs in
 * the next cqt_app_shutdown(). Added after the hooks have run, until that
 * shutdown returns, it is refused (it could never run).
 * @destroy runs once, after the hook ran or when registration fails.
 * Returns: CQT_OK, CQT_EINVAL for a NULL @fn, CQT_ESTATE with no app or
 * once the shutdown under way has run its hooks.
 * Thread: any. */
CQT_API int cqt_app_add_shutdown_hook(cqt_shutdown_fn fn, void *user_data,
                                      cqt_destroy_fn destroy);

/* cqt_app_shutdown:
 * Stops everything and destroys the application: refuses new starts
 * (threads, pool tasks, workers: CQT_ESTATE from now on), runs the
 * shutdown hooks (workers are asked to quit), asks every started cqt
 * thread to quit (a cqt_thread_exec() there returns 0 at once), waits for them and for the pool's tasks within
 * @timeout_ms in all (CQT_FOREVER: no limit), runs the main thread's
 * pending deliveries, and destroys the Qt application. When it returns
 * CQT_OK, the OS threads of cqt threads and of the pool are gone from the
 * process (/proc/self/task), including those of threads you have not
 * freed yet. Handles you still hold stay valid to free; other calls on
 * them return CQT_ESTATE.
 * Limitation: shutdown does not run the main loop while it waits. A thread
 * blocked in a CQT_BLOCKING_QUEUED call into an object of the main thread
 * (or a worker body in such a call) cannot return, so shutdown times out
 * naming it — and so does every later shutdown until the main thread runs
 * its loop once (cqt_app_process_events(0)), which runs that call.
 * Returns: CQT_OK; CQT_ETIMEDOUT when something did not stop in time —
 * cqt_last_error() names every straggler; the application is then kept,
 * running as before (starts are accepted again; a running QThread cannot
 * be destroyed) and cqt_app_init() refuses until a later
 * cqt_app_shutdown() succeeds. CQT_EINVAL for a bad timeout, CQT_ESTATE
 * with no app or when called from inside the application's own callbacks:
 * a shutdown hook or a call run by the final drain of the shutdown under
 * way, or anything cqt_app_exec() or cqt_app_process_events() runs (call
 * cqt_app_quit() there and cqt_app_shutdown() after the loop returned).
 * CQT_EWRONGTHREAD off the main thread.
 * Thread: main, outside any cqt loop or callback. */
CQT_API int cqt_app_shutdown(int timeout_ms);

#ifdef __cplusplus
}
#endif

#endif /* CQT_APP_H */
