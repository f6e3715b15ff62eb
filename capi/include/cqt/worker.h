/* SPDX-License-Identifier: MIT */
/* cqt/worker.h — workers: functions and generators that run on the pool and
 * report back through queued signals (napari's / superqt's thread_worker).
 *
 * A worker runs a body once, in a pool thread (or, with
 * CQT_WORKER_DEDICATED_THREAD, in a cqt thread of its own that runs a loop).
 * Three kinds:
 *  - function workers (cqt_worker_new): the body computes a result;
 *  - generator workers (cqt_worker_new_generator): the body also calls
 *    cqt_worker_yield() for each intermediate value; it can be paused
 *    there, receive values sent with cqt_worker_send() and is told to stop
 *    by CQT_ECANCELED;
 *  - custom workers (cqt_worker_new_custom): a class vtable with work(ctx),
 *    an optional interrupt hook, and any custom signals you add.
 *
 * Signals and their order. Handlers connected with cqt_worker_connect()
 * always run queued, in their receiver's thread, never inside the call that
 * emitted. For one receiver they arrive in this order, whatever threads
 * emitted them: `started`; then `yielded`, `progress`, `warned`, `paused`,
 * `resumed`, `timed_out` and custom signals in the order they happened;
 * then exactly one of `returned`, `errored` or `aborted`; then `finished`,
 * always last. An aborted worker never emits `returned`. Nothing is emitted
 * after `finished`.
 *
 * Outcome rule: if cqt_worker_quit() was called before the body returned,
 * the outcome is `aborted` and the body's result is discarded (freed).
 * Otherwise a body status < 0 is `errored` (an error value carrying the
 * status and the message of cqt_worker_fail(), or of cqt_last_error() in
 * the body's thread when it did not call it); a status >= 0 is `returned`
 * with the result the body stored.
 *
 * Delivery: the worker keeps one FIFO per receiver object, so the order
 * above holds across every emitting thread. A drain delivers at most a few
 * hundred values before handing the loop back (then continues), so even a
 * CQT_YIELD_ALL flood keeps the receiver's loop responsive — but its backlog
 * still grows; use CQT_YIELD_LATEST or a throttle for fast generators.
 * Deliveries to a freed receiver are dropped (their values freed).
 *
 * Errors nobody handles: when a worker fails and no `errored` handler is
 * connected at that moment, a CQT_MSG_WARNING naming the worker is logged
 * in the main thread (category "worker") through the message handler,
 * unless CQT_WORKER_IGNORE_ERRORS is set. Unhandled `warned` messages are
 * logged the same way.
 *
 * Created, not started (superqt's pattern: create, connect, start later):
 * every cqt_worker_new*() and cqt_worker_run(CQT_WORKER_NO_START) returns
 * a worker that does nothing until cqt_worker_start() (once, from any
 * thread). Until then settings may change and handlers be connected; a
 * worker never started emits nothing and is freed by its last unref,
 * each destroy running once.
 *
 * Lifetime: reference counted. cqt_worker_new*() returns one reference;
 * the pool holds another while the body runs, and every queued delivery
 * holds one until it ran or was dropped, so `cqt_worker_unref()` right
 * after `cqt_worker_start()` is safe and no delivery ever reaches a freed
 * worker. A dedicated-thread worker's last reference is never dropped in
 * its own thread (the run's reference is handed to the main thread), so its
 * thread is always joined from outside. A worker is freed when its last reference goes, after `finished`
 * was delivered (or dropped). It holds an object in the main thread, so
 * live counts drop to zero once the main loop has run those deliveries
 * (cqt_app_shutdown() runs them).
 *
 * Shutdown: the first cqt_worker_start() of an application registers a
 * shutdown hook (cqt_app_add_shutdown_hook). cqt_app_shutdown() then quits
 * every started worker, waits for their bodies within its timeout, and
 * fails with CQT_ETIMEDOUT naming those that did not stop (state included;
 * a return-on-cancel worker whose body still runs counts as a straggler).
 * Starts are refused (CQT_ESTATE) from the moment cqt_app_shutdown()
 * begins until it returns — also from handlers its final drain runs (a
 * `finished` handler that starts the next job gets CQT_ESTATE), so the
 * shutdown never waits for a worker nobody will quit. After a timed-out
 * shutdown starts are accepted again and the hook registers itself again,
 * so the next cqt_app_shutdown() waits for the stragglers once more.
 * A worker belongs to the application that created it: after that one was
 * shut down, the handle stays valid to unref and to read (name, state),
 * and every other call on it returns CQT_ESTATE, in a later application
 * too (its signals' object belongs to the dead one).
 *
 * Blocking: never wait for a worker (cqt_worker_wait, a blocking-queued call
 * it makes) from a thread its handlers need, and never wait inside a worker
 * for a nested worker when the pool has one thread: both deadlock until the
 * timeout, as in any thread pool.
 */
#ifndef CQT_WORKER_H
#define CQT_WORKER_H

#include <stdarg.h>

#include "base.h"
#include "object.h"
#include "pool.h" /* cqt_worker_state, cqt_pool_list */
#include "value.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A worker (opaque, reference-counted): cqt_worker_new(), cqt_worker_unref(). */
typedef struct cqt_worker cqt_worker;

/* The built-in signals, valid as @which for cqt_worker_connect(). The
 * argument each handler receives is listed after each name. Custom signals
 * (cqt_worker_add_signal) get ids from CQT_WORKER_N_SIGNALS up. */
typedef enum cqt_worker_signal {
    CQT_WORKER_STARTED = 0, /* none; the body is about to run */
    CQT_WORKER_YIELDED,     /* the yielded value (a copy) */
    CQT_WORKER_RETURNED,    /* the result the body stored (none by default) */
    CQT_WORKER_ERRORED,     /* an error value: read it with cqt_worker_error_read() */
    CQT_WORKER_WARNED,      /* an error value (code 0 unless given): cqt_worker_error_read() */
    CQT_WORKER_FINISHED,    /* none; always last */
    CQT_WORKER_PAUSED,      /* none; the generator is now blocked in a yield */
    CQT_WORKER_RESUMED,     /* none; it continues */
    CQT_WORKER_ABORTED,     /* none; quit was asked (or the deadline passed) */
    CQT_WORKER_PROGRESS,    /* bytes: read with cqt_worker_progress_read() */
    CQT_WORKER_TIMED_OUT,   /* int: the deadline in ms; quit follows */
    CQT_WORKER_N_SIGNALS
} cqt_worker_signal;

/* Most custom signals one worker can have. */
#define CQT_WORKER_MAX_CUSTOM_SIGNALS 32

/* cqt_worker_state, where a worker is in its life: see cqt/pool.h. */

/* Flags for cqt_worker_set_flags() and cqt_worker_run(). */
enum {
    /* Do not log errors and warnings that no handler takes. */
    CQT_WORKER_IGNORE_ERRORS = 1u << 0,
    /* On quit, report `aborted` and `finished` at once even though the body
     * is still running (stuck in a blocking call); what it returns later is
     * discarded and freed in its thread (GLib's return-on-cancel). */
    CQT_WORKER_RETURN_ON_CANCEL = 1u << 1,
    /* Run the body in a cqt thread of its own, which runs an event loop:
     * the body may create objects and timers in cqt_thread_current() and
     * let them fire with cqt_app_process_events(), or run the loop until
     * the worker is quit with cqt_thread_exec(). The thread is named after
     * the worker and quits when the body returns. */
    CQT_WORKER_DEDICATED_THREAD = 1u << 2,
    /* Only for cqt_worker_run(): make a generator worker. */
    CQT_WORKER_GENERATOR = 1u << 3,
    /* Only for cqt_worker_run(): connect the handlers but do not start
     * (napari's start_thread=False); start it later with
     * cqt_worker_start(), or free it unstarted with cqt_worker_unref(). */
    CQT_WORKER_NO_START = 1u << 4
};

/* Yield flow control (cqt_worker_set_yield_mode). */
typedef enum cqt_yield_mode {
    /* Every value, in order. The backlog is unbounded: a generator faster
     * than its receivers grows it. */
    CQT_YIELD_ALL = 0,
    /* At most one undelivered `yielded` per receiver: a newer value
     * replaces the waiting one (and `progress` coalesces the same way). A
     * fast generator cannot flood the receiver's loop, and the last value
     * is always delivered. */
    CQT_YIELD_LATEST = 1
} cqt_yield_mode;

/* A worker body (function or generator). Runs once, in the worker's
 * thread. Store the result in @result (it starts as none; the worker takes
 * ownership of what you store) and return CQT_OK, or return a negative
 * status, ideally `return cqt_worker_fail(w, code, "...")`. @w is valid
 * for the whole call. */
typedef int (*cqt_worker_fn)(void *user_data, cqt_worker *w, cqt_value *result);

/* A signal handler: runs in its receiver's thread. @w is valid for the
 * call (take a reference to keep it); @arg is transfer none, valid for the
 * call. */
typedef void (*cqt_worker_slot_fn)(void *user_data, cqt_worker *w, const cqt_value *arg);

/* A custom worker class. The struct must stay valid as long as workers of
 * the class live (a static const struct is the usual form). */
typedef struct cqt_worker_class {
    /* Used in messages ("custom" when NULL). */
    const char *type_name;
    /* Required. The body, as cqt_worker_fn with @ctx as user data. Check
     * cqt_worker_abort_requested() to stop early; may yield. */
    int (*work)(void *ctx, cqt_worker *w, cqt_value *result);
    /* Optional. Called by cqt_worker_quit(), in the quitting thread, after
     * the abort flag is set, to unblock a body stuck in a call (close a
     * socket, set an event). Must be thread-safe against work(). */
    void (*interrupt)(void *ctx, cqt_worker *w);
    /* Optional. Releases @ctx, once, when the worker is freed (also when
     * cqt_worker_new_custom fails). */
    void (*finalize)(void *ctx);
} cqt_worker_class;

/* What cqt_worker_progress_read() reads out of a `progress` argument. */
typedef struct cqt_worker_progress_info {
    int64_t done;     /* units done */
    int64_t total;    /* units in all; 0 when unknown */
    const char *desc; /* nullable; transfer none, valid while the value is */
} cqt_worker_progress_info;

/* What cqt_worker_error_read() reads out of an `errored` or `warned`
 * argument: the peers' exception and warning objects, in C. */
typedef struct cqt_worker_error_info {
    int code;            /* errored: the negative status; warned: the code of
                          * cqt_worker_warn_full(), 0 for cqt_worker_warn() */
    const char *message; /* never NULL; transfer none, valid while the value is */
    const char *worker;  /* the worker's name; transfer none, valid while the worker is */
} cqt_worker_error_info;

/* Handlers for cqt_worker_run(): every non-NULL one is connected to
 * @receiver with @user_data; @destroy runs once, when the last of them is
 * released (the worker freed) or at once if cqt_worker_run() fails. */
typedef struct cqt_worker_handlers {
    cqt_object *receiver; /* nullable: same rule as cqt_worker_connect() */
    /* one per signal of that name; NULL: not connected */
    cqt_worker_slot_fn started, yielded, returned, errored, warned, finished, paused,
        resumed, aborted, progress, timed_out;
    void *user_data;        /* given to every handler */
    cqt_destroy_fn destroy; /* nullable: releases user_data, once */
} cqt_worker_handlers;

/* ---- creation and lifetime ------------------------------------------- */

/* cqt_worker_new:
 * Creates a function worker, not started, that will run
 * fn(user_data, w, &result).
 * @name: nullable, copied (at most 63 bytes kept); "worker-N" when NULL or empty.
 * @destroy: nullable; runs once with @user_data when the worker is freed,
 * in the thread that drops the last reference; at once on failure.
 * Returns: transfer full (one reference), release with cqt_worker_unref();
 * NULL on failure: CQT_EINVAL for a NULL @fn, CQT_ESTATE with no app,
 * CQT_ENOMEM. Thread: any. */
CQT_API cqt_worker *cqt_worker_new(const char *name, cqt_worker_fn fn, void *user_data,
                                   cqt_destroy_fn destroy);

/* cqt_worker_new_generator:
 * As cqt_worker_new(), for a body that calls cqt_worker_yield(). Only
 * generator and custom workers can yield, pause and receive sends.
 * @destroy: as cqt_worker_new(): at the free, or at once on failure.
 * Returns: transfer full (one reference), release with cqt_worker_unref();
 * NULL on failure: CQT_EINVAL for a NULL @fn, CQT_ESTATE with no app,
 * CQT_ENOMEM. Thread: any. */
CQT_API cqt_worker *cqt_worker_new_generator(const char *name, cqt_worker_fn fn,
                                             void *user_data, cqt_destroy_fn destroy);

/* cqt_worker_new_custom:
 * Creates a custom worker of class @klass running klass->work(ctx, ...).
 * It behaves as a generator worker (it may yield, pause, take sends).
 * klass->finalize(ctx) runs once when the worker is freed, or at once if
 * this fails (when @klass is not NULL).
 * Returns: transfer full (one reference), release with cqt_worker_unref();
 * NULL on failure: CQT_EINVAL for a NULL @klass or NULL klass->work,
 * CQT_ESTATE with no app, CQT_ENOMEM. Thread: any. */
CQT_API cqt_worker *cqt_worker_new_custom(const char *name, const cqt_worker_class *klass,
                                          void *ctx);

/* cqt_worker_run:
 * Creates a worker (a generator with CQT_WORKER_GENERATOR in @flags),
 * applies @flags, connects every handler in @handlers (nullable) and
 * starts it: napari's `connect=` with `start_thread=True`. With
 * CQT_WORKER_NO_START it stops before the start (`start_thread=False`):
 * the worker is created and connected, settings may still be changed and
 * more handlers connected; cqt_worker_start() runs it (once, from any
 * thread), and a worker that is never started is freed by its last
 * cqt_worker_unref(), running every destroy once, no signal emitted.
 * Returns: transfer full: one reference for you, release it with
 * cqt_worker_unref() (at once if you do not need the handle and it was
 * started); NULL on failure, with @destroy and handlers->destroy already
 * run. Thread: any. */
CQT_API cqt_worker *cqt_worker_run(const char *name, cqt_worker_fn fn, void *user_data,
                                   cqt_destroy_fn destroy, unsigned flags,
                                   const cqt_worker_handlers *handlers);

/* cqt_worker_ref:
 * Adds a reference to @w.
 * Returns: @w (NULL for NULL, nothing else happens). Transfer full: the
 * new reference is the caller's, release it with cqt_worker_unref().
 * Thread: any. */
CQT_API cqt_worker *cqt_worker_ref(cqt_worker *w);

/* cqt_worker_unref:
 * Drops a reference; the last one frees the worker: its connections'
 * destroy functions, the body's destroy and what it still holds (queued
 * sends, undelivered values) are released in the calling thread. A running
 * worker is not freed (the pool holds a reference). NULL is ignored.
 * Thread: any. */
CQT_API void cqt_worker_unref(cqt_worker *w);

/* cqt_worker_name:
 * Returns: the name; "(null)" for NULL. Transfer none, valid while @w.
 * Thread: any. */
CQT_API const char *cqt_worker_name(const cqt_worker *w);

/* cqt_worker_get_state:
 * Returns: the state now (may be stale as soon as it is read);
 * CQT_WORKER_STATE_CREATED for NULL. Thread: any. */
CQT_API cqt_worker_state cqt_worker_get_state(const cqt_worker *w);

/* cqt_worker_state_name:
 * Returns: "created", "queued", ...; "unknown" outside the enum.
 * Transfer none: static storage, valid for the life of the process.
 * Thread: any. */
CQT_API const char *cqt_worker_state_name(cqt_worker_state state);

/* ---- settings: before cqt_worker_start(), else CQT_ESTATE --------------- */

/* cqt_worker_set_flags:
 * Sets CQT_WORKER_IGNORE_ERRORS, CQT_WORKER_RETURN_ON_CANCEL and
 * CQT_WORKER_DEDICATED_THREAD (replacing earlier flags).
 * Returns: CQT_OK; CQT_EINVAL for NULL or an unknown flag (including
 * CQT_WORKER_GENERATOR and CQT_WORKER_NO_START, which only cqt_worker_run
 * takes); CQT_ESTATE once started. Thread: any. */
CQT_API int cqt_worker_set_flags(cqt_worker *w, unsigned flags);

/* cqt_worker_set_yield_mode:
 * Chooses how `yielded` reaches receivers. @throttle_ms (>= 0; 0: none):
 * each receiver gets this worker's deliveries in batches at least
 * @throttle_ms apart (with CQT_YIELD_LATEST: at most one value per
 * batch, the newest). Once the body has returned, what is queued is
 * delivered at once, so the last value is never lost.
 * Returns: CQT_OK; CQT_EINVAL for NULL, an unknown mode or a negative
 * throttle; CQT_ESTATE for a function worker or once started.
 * Thread: any. */
CQT_API int cqt_worker_set_yield_mode(cqt_worker *w, cqt_yield_mode mode, int throttle_ms);

/* cqt_worker_set_deadline:
 * Gives the body @ms milliseconds (0: no deadline), counted from when it
 * starts running. When they pass, `timed_out` is emitted and the worker is
 * quit (so the outcome is `aborted`). Measured by a helper thread, so it
 * fires even while the main loop is blocked.
 * Returns: CQT_OK; CQT_EINVAL for NULL or @ms < 0; CQT_ESTATE once started.
 * Thread: any. */
CQT_API int cqt_worker_set_deadline(cqt_worker *w, int ms);

/* cqt_worker_set_send_capacity:
 * How many sent values may wait (default 64).
 * Returns: CQT_OK; CQT_EINVAL for NULL or @capacity < 1 or > 1048576;
 * CQT_ESTATE for a function worker or once started. Thread: any. */
CQT_API int cqt_worker_set_send_capacity(cqt_worker *w, int capacity);

/* cqt_worker_set_total:
 * Declares how many values the generator will yield: each successful
 * cqt_worker_yield() then also emits `progress` (done, @total).
 * Returns: CQT_OK; CQT_EINVAL for NULL or @total < 0; CQT_ESTATE for a
 * function worker or once started. Thread: any. */
CQT_API int cqt_worker_set_total(cqt_worker *w, int64_t total);

/* ---- signals --------------------------------------------------------- */

/* cqt_worker_connect:
 * Connects @fn to signal @which (a cqt_worker_signal or a custom id). It
 * runs queued, in @receiver's thread, for signals emitted after this call.
 * @receiver NULL means the calling thread if it can run a loop (the main
 * thread or a cqt thread; the worker owns an internal object there). A
 * thread that cannot (a pool thread — for instance a worker starting a
 * nested worker — or a plain pthread) falls back to the main thread, since
 * handlers bound to it would never run (superqt issue #64).
 * @destroy (nullable) runs once with @user_data: at cqt_worker_disconnect(),
 * when the worker is freed, or at once when this fails — in the thread
 * doing that, never while @fn runs. If @receiver is freed first, deliveries
 * to it are dropped.
 * Returns: a connection id, never 0 and never reused; 0 on failure:
 * CQT_EINVAL (NULL @w or @fn, unknown @which), CQT_ENOLOOP (@receiver lives
 * in a thread that runs no loop), CQT_ESTATE (the worker finished).
 * Thread: any. */
CQT_API cqt_connection cqt_worker_connect(cqt_worker *w, int which, cqt_object *receiver,
                                          cqt_worker_slot_fn fn, void *user_data,
                                          cqt_destroy_fn destroy);

/* cqt_worker_disconnect:
 * Ends connection @c: its handler is not called again (except a call
 * running now in another thread); its destroy runs once no call runs.
 * Returns: CQT_OK; CQT_EINVAL for NULL, 0 or an id that is not a live
 * connection of @w. Thread: any. */
CQT_API int cqt_worker_disconnect(cqt_worker *w, cqt_connection c);

/* cqt_worker_add_signal:
 * Adds a custom signal called @name (copied, required, unique per worker).
 * Returns: its id (>= CQT_WORKER_N_SIGNALS) for connect and emit;
 * CQT_EINVAL for NULL or a duplicate name; CQT_ERANGE beyond
 * CQT_WORKER_MAX_CUSTOM_SIGNALS; CQT_ESTATE once started. Thread: any. */
CQT_API int cqt_worker_add_signal(cqt_worker *w, const char *name);

/* cqt_worker_signal_id:
 * Returns: the id of the signal called @name (built-in names are
 * "started", "yielded", ... "timed_out"); CQT_EINVAL if none. Thread: any. */
CQT_API int cqt_worker_signal_id(const cqt_worker *w, const char *name);

/* cqt_worker_signal_name:
 * Returns: the name of signal @which; "(invalid)" for a bad id or NULL @w
 * with a custom id. Transfer none, valid while @w. Thread: any. */
CQT_API const char *cqt_worker_signal_name(const cqt_worker *w, int which);

/* cqt_worker_emit:
 * Emits custom signal @which with a copy of @arg (NULL: none). Dropped
 * once the worker finished.
 * Returns: CQT_OK; CQT_EINVAL for NULL @w or an id that is not a custom
 * signal (built-in signals are emitted by the worker itself); CQT_ESTATE
 * before the body started running or once its outcome was emitted.
 * Thread: any. */
CQT_API int cqt_worker_emit(cqt_worker *w, int which, const cqt_value *arg);

/* ---- control --------------------------------------------------------- */

/* cqt_worker_start:
 * Queues the body on the pool (or starts its dedicated thread).
 * Returns: CQT_OK; CQT_ESTATE when started before (superqt would start
 * twice), with no app, while cqt_app_shutdown() runs, or for a worker of
 * an application that was shut down; CQT_EINVAL for
 * NULL; the pool's or thread's status otherwise (the worker stays
 * startable). Thread: any, including inside another worker. */
CQT_API int cqt_worker_start(cqt_worker *w);

/* cqt_worker_quit:
 * Asks the worker to stop: cqt_worker_yield() returns CQT_ECANCELED (a
 * paused generator wakes), cqt_worker_abort_requested() becomes true, a
 * custom class's interrupt() is called, and the outcome will be `aborted`.
 * A CQT_WORKER_DEDICATED_THREAD body that runs has its thread quit
 * (cqt_thread_quit()): its cqt_thread_exec() returns at once, or at once
 * when called later. Before start, the body will not run at all (start then reports started,
 * aborted, finished). With CQT_WORKER_RETURN_ON_CANCEL, `aborted` and
 * `finished` are emitted before this returns. Idempotent; a finished
 * worker is left alone.
 * Returns: CQT_OK; CQT_EINVAL for NULL; CQT_ESTATE for a worker of an
 * application that was shut down (it has finished). Thread: any. */
CQT_API int cqt_worker_quit(cqt_worker *w);

/* cqt_worker_pause:
 * Pause makes the generator block at its next cqt_worker_yield() (after
 * delivering that value), emitting `paused`; resume lets it continue,
 * emitting `resumed`. Pausing a paused worker, or resuming one that is not
 * paused, does nothing. Allowed before start (the first yield blocks).
 * Returns: CQT_OK; CQT_EINVAL for NULL; CQT_ESTATE for a function worker
 * (it has no yield points), a finished one, or one whose application was
 * shut down. Thread: any. */
CQT_API int cqt_worker_pause(cqt_worker *w);

/* cqt_worker_resume:
 * As cqt_worker_pause(): lets a paused generator continue (emitting
 * `resumed`), or withdraws a pause not yet reached; does nothing for a
 * worker that is not paused.
 * Returns: CQT_OK; CQT_EINVAL for NULL; CQT_ESTATE for a function worker,
 * a finished one, or one whose application was shut down. Thread: any. */
CQT_API int cqt_worker_resume(cqt_worker *w);

/* cqt_worker_toggle_pause:
 * cqt_worker_resume() when a pause is requested, else cqt_worker_pause();
 * it flips the request under the worker's lock, so two toggles in a row
 * cancel out.
 * Returns and errors: as cqt_worker_resume(). Thread: any. */
CQT_API int cqt_worker_toggle_pause(cqt_worker *w);

/* cqt_worker_send:
 * Queues a copy of @value (NULL: a none value, which is a real send) for
 * the generator; each cqt_worker_yield() with a @sent argument takes the
 * oldest. Values left when the worker is freed are cleared.
 * Returns: CQT_OK; CQT_ERANGE when the queue holds its capacity already
 * (cqt_worker_set_send_capacity); CQT_ESTATE for a function worker or one
 * that finished; CQT_EINVAL for NULL @w. Thread: any. */
CQT_API int cqt_worker_send(cqt_worker *w, const cqt_value *value);

/* cqt_worker_is_running:
 * Returns: true from cqt_worker_start() until the outcome was emitted
 * (with return-on-cancel, until `aborted`); false for NULL. Thread: any. */
CQT_API bool cqt_worker_is_running(const cqt_worker *w);

/* cqt_worker_is_paused:
 * Returns: true from cqt_worker_pause() until cqt_worker_resume() (the
 * generator blocks at its next yield; state CQT_WORKER_STATE_PAUSED says it
 * does now); false for NULL. Thread: any. */
CQT_API bool cqt_worker_is_paused(const cqt_worker *w);

/* cqt_worker_wait:
 * Blocks until the outcome was emitted (the handlers may not have run
 * yet: they run in their receivers' loops) or @timeout_ms passes
 * (CQT_FOREVER: no limit). Does not run the caller's loop.
 * Returns: CQT_OK; CQT_ETIMEDOUT; CQT_EDEADLK from inside the worker's own
 * body; CQT_ESTATE when never started; CQT_EINVAL for NULL or a bad
 * timeout. Thread: any. */
CQT_API int cqt_worker_wait(cqt_worker *w, int timeout_ms);

/* ---- inside the body --------------------------------------------------- */

/* cqt_worker_yield:
 * Emits `yielded` with a copy of @value (NULL: none) and, with a declared
 * total, `progress`; then blocks while the worker is paused; then moves the
 * oldest sent value, if any, into @sent (nullable; set to none first).
 * Returns: 1 when @sent received a value, CQT_OK (0) when none was waiting;
 * CQT_ECANCELED once quit was asked (nothing is emitted then: return from
 * the body); CQT_EWRONGTHREAD outside @w's body; CQT_ESTATE for a function
 * worker; CQT_EINVAL for NULL @w. Thread: the body's. */
CQT_API int cqt_worker_yield(cqt_worker *w, const cqt_value *value, cqt_value *sent);

/* cqt_worker_fail:
 * Records why the body fails, to be carried by `errored`: the code and a
 * printf-formatted message. Returns @code, so the body can write
 * `return cqt_worker_fail(w, CQT_ERANGE, "row %d", i);`. A @code >= 0 is
 * a misuse: CQT_EINVAL is recorded and returned instead.
 * Returns: @code; CQT_EINVAL for NULL @w; CQT_EWRONGTHREAD outside the
 * body. Thread: the body's. */
CQT_API int cqt_worker_fail(cqt_worker *w, int code, const char *fmt, ...) CQT_PRINTF(3, 4);

/* cqt_worker_warn:
 * Emits `warned` with the formatted message (logged in the main thread
 * when no handler is connected, unless CQT_WORKER_IGNORE_ERRORS). The
 * argument is an error value with code 0 and the message (read it with
 * cqt_worker_error_read(); cqt_value_get_string() gives the message).
 * (It used to be a string value; code that reads it with
 * cqt_value_get_string() is unaffected, a check of its type is not.)
 * Returns: CQT_OK; CQT_EINVAL for NULL; CQT_ESTATE before the body started
 * running or once its outcome was emitted. Thread: any. */
CQT_API int cqt_worker_warn(cqt_worker *w, const char *fmt, ...) CQT_PRINTF(2, 3);

/* cqt_worker_warn_full:
 * As cqt_worker_warn(), with @code (any int; 0 means none) carried by the
 * `warned` argument, as a warning's category is in Python.
 * Returns: as cqt_worker_warn(). Thread: any. */
CQT_API int cqt_worker_warn_full(cqt_worker *w, int code, const char *fmt, ...)
    CQT_PRINTF(3, 4);

/* cqt_worker_error_read:
 * Reads the argument of an `errored` or `warned` handler of @w into @out:
 * code, message and @w's name. cqt_value_get_error_code() and
 * cqt_value_get_string() read the first two as well; a value kept after
 * the handler returned reads the same as long as @w is alive.
 * Returns: CQT_OK; CQT_EINVAL for a NULL argument or a value that is not
 * an error value. Thread: any. Ownership: out->message is transfer none,
 * valid while @arg (or a copy) is; out->worker is transfer none, valid
 * while @w is. */
CQT_API int cqt_worker_error_read(const cqt_worker *w, const cqt_value *arg,
                                  cqt_worker_error_info *out);

/* cqt_worker_progress:
 * Emits `progress` with @done of @total (0: unknown) and @desc (nullable,
 * copied). Works without any GUI: connect a handler anywhere.
 * Returns: CQT_OK; CQT_EINVAL for NULL, @done < 0 or @total < 0;
 * CQT_ESTATE before the body started running or once its outcome was
 * emitted. Thread: any. */
CQT_API int cqt_worker_progress(cqt_worker *w, int64_t done, int64_t total, const char *desc);

/* cqt_worker_progress_read:
 * Reads the argument of a `progress` handler into @out.
 * Returns: CQT_OK; CQT_EINVAL for NULL or a value that is not progress.
 * Thread: any. */
CQT_API int cqt_worker_progress_read(const cqt_value *arg, cqt_worker_progress_info *out);

/* cqt_worker_current:
 * Returns: the worker whose body runs in the calling thread; NULL outside
 * any body. Transfer none, valid until the body returns. Thread: any. */
CQT_API cqt_worker *cqt_worker_current(void);

/* cqt_worker_abort_requested:
 * Returns: true when the calling thread runs a worker's body and that
 * worker was asked to quit; false otherwise. Cheap: poll it in loops.
 * Thread: any (answers for the calling thread's body). */
CQT_API bool cqt_worker_abort_requested(void);

/* ---- all workers ------------------------------------------------------- */

/* cqt_worker_await_all:
 * Asks every started worker to quit (cqt_worker_quit) and waits up to
 * @timeout_ms (CQT_FOREVER: no limit; 0: do not wait) for their bodies to
 * return: superqt's WorkerBase.await_workers(msecs), without shutting the
 * application down. Workers started while it waits are neither quit nor
 * waited for, and starts stay allowed. Like cqt_worker_wait(), it does
 * not run the caller's loop: the handlers of those workers (`aborted`,
 * `finished`) run later, in their receivers' loops. A worker whose body
 * never checks for quit (or a return-on-cancel one whose body still
 * runs) is counted as not finished.
 * Returns: 0 when every one finished; the number (> 0) that had not when
 * the timeout passed, with cqt_last_error() naming them and their state;
 * CQT_EINVAL for a negative @timeout_ms other than CQT_FOREVER;
 * CQT_ESTATE with no application; CQT_EDEADLK from inside a worker's
 * body (it would wait for itself); CQT_ENOMEM (nothing was quit).
 * Thread: any but a worker's body. */
CQT_API int cqt_worker_await_all(int timeout_ms);

/* ---- the pool ---------------------------------------------------------- */

/* cqt_pool_active_count, cqt_pool_list and cqt_pool_list_free are declared
 * in cqt/pool.h, which this header includes. */

#ifdef __cplusplus
}
#endif

#endif /* CQT_WORKER_H */
