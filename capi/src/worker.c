/* SPDX-License-Identifier: MIT */
/* worker.c — function, generator and custom workers on the cqt pool.
 *
 * Pure C on the public cqt API (see cqt/worker.h for the contract).
 * The worker's delivery (worker-route.c), deadline watchdog
 * (worker-deadline.c) and registry of started workers with the shutdown
 * hook (worker-registry.c) are files of their own, each with its lock;
 * worker-private.h is the interface between them and the lock order.
 *
 * Lifecycle of a worker (w->mu guards the flags):
 *
 *   created --start--> started --body runs (ran)--> body returned --> done
 *      |                  \--quit before it ran--> started, aborted, done
 *      \--never started: freed with its last reference
 *
 * created: settings, connect and add_signal allowed; start once (any
 *   thread). started/running: quit, pause, resume, send, emit (custom) and
 *   wait from any thread; the body itself may yield, fail, warn and report
 *   progress, and start nested workers; cqt_worker_wait from the body is
 *   CQT_EDEADLK. done: `finished` was emitted; control calls return
 *   CQT_ESTATE or do nothing (quit), as worker.h says per call.
 * From a handler of the worker's own signals: quit, pause, resume, send and
 *   disconnect work (the handler runs queued, never inside the emit);
 *   cqt_worker_unref may drop the last reference (the drain holds its own).
 * Application: a worker belongs to the application whose generation it
 *   recorded at creation. From the moment cqt_app_shutdown begins until it
 *   returns, starts are refused by the pool (and cqt_thread_start for a
 *   dedicated thread); the shutdown hook quits every registered worker and
 *   waits for them. Once that application is gone, calls other than
 *   ref/unref and the getters return CQT_ESTATE, in a later one too.
 */
#include <cqt/app.h>
#include <cqt/object.h>
#include <cqt/pool.h>
#include <cqt/signal.h>
#include <cqt/thread.h>
#include <cqt/timer.h>
#include <cqt/value.h>
#include <cqt/worker.h>

#include "cqt-internal.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "worker-private.h"

#define DEFAULT_SEND_CAPACITY 64
#define MAX_SEND_CAPACITY 1048576
#define PROGRESS_MAGIC 0x43515450u /* "CQTP" */

static const char *const k_signal_names[CQT_WORKER_N_SIGNALS] = {
    "started", "yielded", "returned", "errored", "warned",   "finished",
    "paused",  "resumed", "aborted",  "progress", "timed_out"};

static const cqt_value k_none;

typedef cqt__worker_closure closure;

static atomic_uint_fast64_t g_next_id = 1;

static _Thread_local cqt_worker *tls_current;

/* Absolute CLOCK_MONOTONIC time @ns from now, for pthread_cond_timedwait. */
static struct timespec abs_after_ns(int64_t ns)
{
    return cqt__worker_abs_ns(cqt_now_ns() + ns);
}

static bool bad_timeout(int ms)
{
    return ms < 0 && ms != CQT_FOREVER;
}

/* CQT_OK when @w belongs to the running application. A worker kept across
 * cqt_app_shutdown() + cqt_app_init() is refused like every other handle
 * of a previous application: its core object (where its signals go)
 * belongs to the one that was shut down. */
static int check_app(const cqt_worker *w, const char *f)
{
    uint64_t gen = cqt_app_generation();
    if (gen == w->gen)
        return CQT_OK;
    if (gen == 0)
        return cqt_set_last_error(CQT_ESTATE, "%s: worker '%s': no application; call "
                                              "cqt_app_init first", f, w->name);
    return cqt_set_last_error(CQT_ESTATE,
                              "%s: worker '%s' belongs to an application that was shut down; "
                              "create a new worker in this one",
                              f, w->name);
}

int cqt__worker_check_app(const cqt_worker *w, const char *f)
{
    return check_app(w, f);
}

/* Called with w->mu held (worker-private.h). */
cqt_worker_state cqt__worker_state_locked(const cqt_worker *w)
{
    if (!w->started)
        return CQT_WORKER_STATE_CREATED;
    if (w->abandoned && !w->body_returned)
        return CQT_WORKER_STATE_ABANDONED;
    if (w->done)
        return CQT_WORKER_STATE_DONE;
    if (!w->ran)
        return CQT_WORKER_STATE_QUEUED;
    if (w->quit)
        return CQT_WORKER_STATE_QUITTING;
    if (w->blocked)
        return CQT_WORKER_STATE_PAUSED;
    return CQT_WORKER_STATE_RUNNING;
}

/* ---- creation and lifetime ------------------------------------------------ */

static cqt_worker *worker_new(const char *f, const char *name, int kind, cqt_worker_fn fn,
                              void *user_data, cqt_destroy_fn destroy,
                              const cqt_worker_class *klass, void *ctx)
{
    cqt_thread *main_thread = cqt_thread_main();
    if (!main_thread) {
        cqt_set_last_error(CQT_ESTATE, "%s: worker '%s': no application; call cqt_app_init first",
                           f, name ? name : "(unnamed)");
        return NULL;
    }
    cqt_worker *w = calloc(1, sizeof *w);
    if (!w) {
        cqt_set_last_error(CQT_ENOMEM, "%s: out of memory", f);
        return NULL;
    }
    w->id = atomic_fetch_add(&g_next_id, 1);
    w->gen = cqt_app_generation();
    /* Not snprintf: this runs for every worker (see bench-pool). */
    cqt__make_name(w->name, sizeof w->name, name, "worker", w->id);
    w->core = cqt_object_new(main_thread);
    if (!w->core) {
        cqt_set_last_error(CQT_ESTATE, "%s: worker '%s': cannot create its object in the main "
                                       "thread: %s", f, w->name, cqt_last_error());
        free(w);
        return NULL;
    }
    cqt_object_set_name(w->core, w->name);
    cqt__worker_cond_init(&w->cond);
    pthread_mutex_init(&w->mu, NULL);
    atomic_store(&w->refs, 1);
    w->kind = kind;
    w->fn = fn;
    w->user_data = user_data;
    w->destroy = destroy;
    w->klass = klass;
    w->ctx = ctx;
    w->mode = CQT_YIELD_ALL;
    w->send_cap = DEFAULT_SEND_CAPACITY;
    cqt__live_add(CQT__LIVE_WORKERS, 1);
    return w;
}

static void worker_free(cqt_worker *w)
{
    cqt__worker_routes_free(w); /* frees w->core too */
    if (w->klass) {
        if (w->klass->finalize)
            w->klass->finalize(w->ctx);
    } else if (w->destroy) {
        w->destroy(w->user_data);
    }
    if (w->run_cl_at_free)
        cqt__worker_closure_unref(&w->run_cl); /* after the body's destroy, as it always was */
    if (w->thread_obj)
        cqt_object_free(w->thread_obj);
    if (w->thread)
        cqt_thread_free(w->thread);
    for (int i = 0; i < w->sq_len; i++)
        cqt_value_clear(&w->sendq[(w->sq_head + i) % w->sq_size]);
    free(w->sendq);
    free(w->err_msg);
    for (int i = 0; i < w->n_custom; i++)
        free(w->custom[i]);
    pthread_mutex_destroy(&w->mu);
    pthread_cond_destroy(&w->cond);
    cqt__live_add(CQT__LIVE_WORKERS, -1);
    free(w);
}

cqt_worker *cqt_worker_new(const char *name, cqt_worker_fn fn, void *user_data,
                           cqt_destroy_fn destroy)
{
    if (!fn) {
        cqt_set_last_error(CQT_EINVAL, "cqt_worker_new: worker '%s': fn is NULL; pass the body",
                           name ? name : "(unnamed)");
        goto fail;
    }
    cqt_worker *w = worker_new("cqt_worker_new", name, KIND_FUNCTION, fn, user_data, destroy,
                               NULL, NULL);
    if (w)
        return w;
fail:
    if (destroy)
        destroy(user_data);
    return NULL;
}

cqt_worker *cqt_worker_new_generator(const char *name, cqt_worker_fn fn, void *user_data,
                                     cqt_destroy_fn destroy)
{
    if (!fn) {
        cqt_set_last_error(CQT_EINVAL,
                           "cqt_worker_new_generator: worker '%s': fn is NULL; pass the body",
                           name ? name : "(unnamed)");
        goto fail;
    }
    cqt_worker *w = worker_new("cqt_worker_new_generator", name, KIND_GENERATOR, fn, user_data,
                               destroy, NULL, NULL);
    if (w)
        return w;
fail:
    if (destroy)
        destroy(user_data);
    return NULL;
}

cqt_worker *cqt_worker_new_custom(const char *name, const cqt_worker_class *klass, void *ctx)
{
    if (!klass || !klass->work) {
        cqt_set_last_error(CQT_EINVAL,
                           "cqt_worker_new_custom: worker '%s': %s; pass a class with work()",
                           name ? name : "(unnamed)",
                           klass ? "klass->work is NULL" : "klass is NULL");
        goto fail;
    }
    cqt_worker *w = worker_new("cqt_worker_new_custom", name, KIND_CUSTOM, NULL, NULL, NULL,
                               klass, ctx);
    if (w)
        return w;
fail:
    if (klass && klass->finalize)
        klass->finalize(ctx);
    return NULL;
}

cqt_worker *cqt_worker_ref(cqt_worker *w)
{
    if (w)
        atomic_fetch_add(&w->refs, 1);
    return w;
}

void cqt_worker_unref(cqt_worker *w)
{
    if (w && atomic_fetch_sub(&w->refs, 1) == 1)
        worker_free(w);
}

const char *cqt_worker_name(const cqt_worker *w)
{
    return cqt__worker_name_or_null(w);
}

cqt_worker_state cqt_worker_get_state(const cqt_worker *w)
{
    if (!w)
        return CQT_WORKER_STATE_CREATED;
    cqt_worker *mw = (cqt_worker *)w;
    pthread_mutex_lock(&mw->mu);
    cqt_worker_state s = cqt__worker_state_locked(w);
    pthread_mutex_unlock(&mw->mu);
    return s;
}

const char *cqt_worker_state_name(cqt_worker_state state)
{
    switch (state) {
    case CQT_WORKER_STATE_CREATED: return "created";
    case CQT_WORKER_STATE_QUEUED: return "queued";
    case CQT_WORKER_STATE_RUNNING: return "running";
    case CQT_WORKER_STATE_PAUSED: return "paused";
    case CQT_WORKER_STATE_QUITTING: return "quitting";
    case CQT_WORKER_STATE_ABANDONED: return "abandoned";
    case CQT_WORKER_STATE_DONE: return "done";
    }
    return "unknown";
}

/* ---- settings --------------------------------------------------------------- */

/* Locks @w for a setting; fails unless it is not started and, with
 * @generator_only, can yield. Lock contract (as every *_lock_begin): on
 * CQT_OK it returns with w->mu held, for the caller to unlock; on failure
 * w->mu is not held. */
static int setting_lock_begin(cqt_worker *w, const char *f, bool generator_only)
{
    if (!w)
        return cqt_set_last_error(CQT_EINVAL, "%s: worker is NULL; pass a worker", f);
    if (check_app(w, f) != CQT_OK)
        return CQT_ESTATE;
    if (generator_only && w->kind == KIND_FUNCTION)
        return cqt_set_last_error(CQT_ESTATE,
                                  "%s: worker '%s' is a function worker, which never yields; "
                                  "create it with cqt_worker_new_generator",
                                  f, w->name);
    pthread_mutex_lock(&w->mu);
    if (w->started) {
        pthread_mutex_unlock(&w->mu);
        return cqt_set_last_error(CQT_ESTATE,
                                  "%s: worker '%s' is started; change settings before "
                                  "cqt_worker_start",
                                  f, w->name);
    }
    return CQT_OK;
}

int cqt_worker_set_flags(cqt_worker *w, unsigned flags)
{
    unsigned known = CQT_WORKER_IGNORE_ERRORS | CQT_WORKER_RETURN_ON_CANCEL |
                     CQT_WORKER_DEDICATED_THREAD;
    if (w && (flags & ~known))
        return cqt_set_last_error(CQT_EINVAL,
                                  "cqt_worker_set_flags: worker '%s': unknown flags 0x%x (the "
                                  "generator flag is only for cqt_worker_run)",
                                  w->name, flags & ~known);
    int rc = setting_lock_begin(w, "cqt_worker_set_flags", false);
    if (rc != CQT_OK)
        return rc;
    w->flags = flags;
    pthread_mutex_unlock(&w->mu);
    return CQT_OK;
}

int cqt_worker_set_yield_mode(cqt_worker *w, cqt_yield_mode mode, int throttle_ms)
{
    if (w && ((int)mode < CQT_YIELD_ALL || (int)mode > CQT_YIELD_LATEST || throttle_ms < 0))
        return cqt_set_last_error(CQT_EINVAL,
                                  "cqt_worker_set_yield_mode: worker '%s': mode %d / throttle %d "
                                  "ms; pass CQT_YIELD_ALL or CQT_YIELD_LATEST and ms >= 0",
                                  w->name, (int)mode, throttle_ms);
    int rc = setting_lock_begin(w, "cqt_worker_set_yield_mode", true);
    if (rc != CQT_OK)
        return rc;
    w->mode = mode;
    w->throttle_ms = throttle_ms;
    pthread_mutex_unlock(&w->mu);
    return CQT_OK;
}

int cqt_worker_set_deadline(cqt_worker *w, int ms)
{
    if (w && ms < 0)
        return cqt_set_last_error(CQT_EINVAL,
                                  "cqt_worker_set_deadline: worker '%s': %d ms; pass ms > 0, or 0 "
                                  "for no deadline",
                                  w->name, ms);
    int rc = setting_lock_begin(w, "cqt_worker_set_deadline", false);
    if (rc != CQT_OK)
        return rc;
    w->deadline_ms = ms;
    pthread_mutex_unlock(&w->mu);
    return CQT_OK;
}

int cqt_worker_set_send_capacity(cqt_worker *w, int capacity)
{
    if (w && (capacity < 1 || capacity > MAX_SEND_CAPACITY))
        return cqt_set_last_error(CQT_EINVAL,
                                  "cqt_worker_set_send_capacity: worker '%s': capacity %d; pass "
                                  "1..%d",
                                  w->name, capacity, MAX_SEND_CAPACITY);
    int rc = setting_lock_begin(w, "cqt_worker_set_send_capacity", true);
    if (rc != CQT_OK)
        return rc;
    if (capacity < w->sq_len) {
        pthread_mutex_unlock(&w->mu);
        return cqt_set_last_error(CQT_ERANGE,
                                  "cqt_worker_set_send_capacity: worker '%s' holds %d sent "
                                  "values already; pass a capacity >= %d",
                                  w->name, w->sq_len, w->sq_len);
    }
    w->send_cap = capacity;
    pthread_mutex_unlock(&w->mu);
    return CQT_OK;
}

int cqt_worker_set_total(cqt_worker *w, int64_t total)
{
    if (w && total < 0)
        return cqt_set_last_error(CQT_EINVAL,
                                  "cqt_worker_set_total: worker '%s': total %lld; pass >= 0 (0: "
                                  "unknown)",
                                  w->name, (long long)total);
    int rc = setting_lock_begin(w, "cqt_worker_set_total", true);
    if (rc != CQT_OK)
        return rc;
    w->total = total;
    pthread_mutex_unlock(&w->mu);
    return CQT_OK;
}

/* ---- signals ------------------------------------------------------------------ */

int cqt_worker_add_signal(cqt_worker *w, const char *name)
{
    if (!w || !name || !*name)
        return cqt_set_last_error(CQT_EINVAL,
                                  "cqt_worker_add_signal: worker '%s': %s; pass a worker and a "
                                  "non-empty name",
                                  cqt__worker_name_or_null(w),
                                  w ? "name is NULL or empty" : "worker is NULL");
    if (cqt_worker_signal_id(w, name) >= 0)
        return cqt_set_last_error(CQT_EINVAL,
                                  "cqt_worker_add_signal: worker '%s' has a signal '%s' already; "
                                  "pick another name",
                                  w->name, name);
    int rc = setting_lock_begin(w, "cqt_worker_add_signal", false);
    if (rc != CQT_OK)
        return rc;
    if (w->n_custom >= CQT_WORKER_MAX_CUSTOM_SIGNALS) {
        pthread_mutex_unlock(&w->mu);
        return cqt_set_last_error(CQT_ERANGE,
                                  "cqt_worker_add_signal: worker '%s' has %d custom signals, the "
                                  "most it can have; carry a richer value instead",
                                  w->name, CQT_WORKER_MAX_CUSTOM_SIGNALS);
    }
    char *copy = strdup(name);
    if (!copy) {
        pthread_mutex_unlock(&w->mu);
        return cqt_set_last_error(CQT_ENOMEM, "cqt_worker_add_signal: out of memory");
    }
    int id = CQT_WORKER_N_SIGNALS + w->n_custom;
    w->custom[w->n_custom++] = copy;
    pthread_mutex_unlock(&w->mu);
    return id;
}

int cqt_worker_signal_id(const cqt_worker *w, const char *name)
{
    if (!name)
        return cqt_set_last_error(CQT_EINVAL, "cqt_worker_signal_id: name is NULL; pass a name");
    for (int i = 0; i < CQT_WORKER_N_SIGNALS; i++)
        if (strcmp(k_signal_names[i], name) == 0)
            return i;
    if (w) {
        cqt_worker *mw = (cqt_worker *)w;
        int id = -1;
        pthread_mutex_lock(&mw->mu);
        for (int i = 0; i < w->n_custom; i++)
            if (strcmp(w->custom[i], name) == 0)
                id = CQT_WORKER_N_SIGNALS + i;
        pthread_mutex_unlock(&mw->mu);
        if (id >= 0)
            return id;
    }
    return cqt_set_last_error(CQT_EINVAL,
                              "cqt_worker_signal_id: worker '%s' has no signal '%s'; add it with "
                              "cqt_worker_add_signal",
                              cqt__worker_name_or_null(w), name);
}

const char *cqt_worker_signal_name(const cqt_worker *w, int which)
{
    if (which >= 0 && which < CQT_WORKER_N_SIGNALS)
        return k_signal_names[which];
    /* Custom names are never changed or freed while @w lives. */
    if (w && which >= CQT_WORKER_N_SIGNALS && which < CQT_WORKER_N_SIGNALS + w->n_custom)
        return w->custom[which - CQT_WORKER_N_SIGNALS];
    return "(invalid)";
}

/* Locks @w for an emit from outside the outcome path; fails unless the
 * body started and the outcome was not emitted yet. On CQT_OK it returns
 * with w->mu held, for the caller to unlock. */
static int emit_lock_begin(cqt_worker *w, const char *f)
{
    if (!w)
        return cqt_set_last_error(CQT_EINVAL, "%s: worker is NULL; pass a worker", f);
    if (check_app(w, f) != CQT_OK)
        return CQT_ESTATE;
    pthread_mutex_lock(&w->mu);
    if (!w->ran || w->done) {
        bool before = !w->ran;
        pthread_mutex_unlock(&w->mu);
        return cqt_set_last_error(CQT_ESTATE,
                                  "%s: worker '%s' %s; emit from the body (after `started`, "
                                  "before the outcome)",
                                  f, w->name,
                                  before ? "has not started running" : "has finished");
    }
    return CQT_OK;
}

int cqt_worker_emit(cqt_worker *w, int which, const cqt_value *arg)
{
    if (w && which >= CQT_WORKER_N_SIGNALS && which < N_SIG_MAX) {
        pthread_mutex_lock(&w->mu);
        bool ok = which < CQT_WORKER_N_SIGNALS + w->n_custom;
        pthread_mutex_unlock(&w->mu);
        if (!ok)
            which = -1;
    } else if (w) {
        which = -1;
    }
    if (w && which < 0)
        return cqt_set_last_error(CQT_EINVAL,
                                  "cqt_worker_emit: worker '%s': not a custom signal id; add one "
                                  "with cqt_worker_add_signal (built-in signals are emitted by "
                                  "the worker)",
                                  w->name);
    int rc = emit_lock_begin(w, "cqt_worker_emit");
    if (rc != CQT_OK)
        return rc;
    cqt__worker_emit_locked(w, which, arg);
    pthread_mutex_unlock(&w->mu);
    return CQT_OK;
}

/* ---- running -------------------------------------------------------------------- */

typedef cqt__worker_launch launch;

static void noop_fn(void *user_data)
{
    (void)user_data;
}

static void unref_fn(void *user_data)
{
    cqt_worker_unref(user_data);
}

/* Ends the body's run: out of the registry, the run reference dropped.
 * A dedicated thread hands its reference to the main thread, so the worker
 * (which frees and joins that thread) is never freed from inside it. */
static void run_end(cqt_worker *w)
{
    cqt__worker_registry_remove(w);
    if (w->thread && cqt_thread_current() == w->thread) {
        /* destroy runs once: after the no-op, when dropped, or at once */
        cqt_invoke_full(w->core, noop_fn, w, unref_fn, CQT_QUEUED);
        return;
    }
    cqt_worker_unref(w);
}

static void emit_outcome_locked(cqt_worker *w, int rc, cqt_value *result)
{
    if (w->quit) {
        cqt__worker_emit_locked(w, CQT_WORKER_ABORTED, NULL);
    } else if (rc < 0) {
        int code = w->failed ? w->err_code : rc;
        const char *msg;
        char buf[512];
        if (w->failed && w->err_msg) {
            msg = w->err_msg;
        } else {
            const char *last = cqt_last_error();
            snprintf(buf, sizeof buf, "the body returned %s (%s)%s%s", cqt_status_name(rc),
                     cqt_strerror(rc), *last ? "; last error in its thread: " : "", last);
            msg = buf;
        }
        cqt_value e = cqt_value_error(code, msg);
        cqt__worker_emit_locked(w, CQT_WORKER_ERRORED, &e);
        cqt_value_clear(&e);
        if (!(w->flags & CQT_WORKER_IGNORE_ERRORS) &&
            !cqt__worker_has_handler_locked(w, CQT_WORKER_ERRORED)) {
            char text[768];
            snprintf(text, sizeof text,
                     "worker '%s' failed with %s: %s (no 'errored' handler is connected; "
                     "connect one, or set CQT_WORKER_IGNORE_ERRORS)",
                     w->name, cqt_status_name(code), msg);
            cqt__worker_report_locked(w, text);
        }
    } else {
        cqt__worker_emit_locked(w, CQT_WORKER_RETURNED, result);
    }
    cqt__worker_emit_locked(w, CQT_WORKER_FINISHED, NULL);
    w->done = true;
    w->end_ns = cqt_now_ns();
    pthread_cond_broadcast(&w->cond);
}

static void run_task(void *user_data)
{
    launch *l = user_data;
    cqt_worker *w = atomic_load_explicit(&l->w, memory_order_acquire);
    l->ran = true;
    tls_current = w;
    pthread_mutex_lock(&w->mu);
    w->ran = true;
    w->run_ns = cqt_now_ns();
    cqt__worker_emit_locked(w, CQT_WORKER_STARTED, NULL);
    bool skip = w->quit;
    pthread_mutex_unlock(&w->mu);
    if (!skip && w->deadline_ms > 0)
        cqt__worker_deadline_arm(w);

    cqt_value result = cqt_value_none();
    int rc = CQT_OK;
    if (!skip) {
        if (w->klass)
            rc = w->klass->work(w->ctx, w, &result);
        else
            rc = w->fn(w->user_data, w, &result);
    }
    tls_current = NULL;
    if (w->deadline_ms > 0) /* fixed once started: else never armed */
        cqt__worker_deadline_disarm(w);

    pthread_mutex_lock(&w->mu);
    w->body_returned = true;
    w->blocked = false;
    if (!w->abandoned) {
        emit_outcome_locked(w, rc, &result);
    } else {
        w->end_ns = cqt_now_ns();
    }
    pthread_mutex_unlock(&w->mu);
    /* Emits copied it; with return-on-cancel it is discarded here, in the
     * body's thread. */
    cqt_value_clear(&result);
    if (w->thread)
        cqt_thread_quit(w->thread);
    /* run_destroy, next in this thread, ends the run: the launch lives in
     * the worker, which the run reference keeps until then. */
}

/* The body never ran although the launch succeeded: report the worker as
 * aborted so the order rule (and finished) still holds. */
static void run_dropped(cqt_worker *w)
{
    pthread_mutex_lock(&w->mu);
    w->ran = true;
    w->run_ns = cqt_now_ns();
    w->quit = true;
    cqt__worker_emit_locked(w, CQT_WORKER_STARTED, NULL);
    w->body_returned = true;
    if (!w->abandoned)
        emit_outcome_locked(w, CQT_ECANCELED, NULL);
    pthread_mutex_unlock(&w->mu);
    run_end(w);
}

static void run_destroy(void *user_data)
{
    launch *l = user_data;
    cqt_worker *w = atomic_load_explicit(&l->w, memory_order_acquire);
    if (l->ran) {
        run_end(w); /* may free the worker, and the launch with it */
        return;
    }
    int expected = 0;
    if (!atomic_compare_exchange_strong(&l->phase, &expected, 2))
        run_dropped(w); /* start() returned already: we report it */
    /* else: a failed launch (destroy runs inside the call); start() cleans up */
}

int cqt_worker_start(cqt_worker *w)
{
    static const char f[] = "cqt_worker_start";
    if (!w)
        return cqt_set_last_error(CQT_EINVAL, "%s: worker is NULL; pass a worker", f);
    if (check_app(w, f) != CQT_OK)
        return CQT_ESTATE;
    pthread_mutex_lock(&w->mu);
    if (w->started) {
        pthread_mutex_unlock(&w->mu);
        return cqt_set_last_error(CQT_ESTATE,
                                  "%s: worker '%s' was started already; a worker runs once, "
                                  "create a new one",
                                  f, w->name);
    }
    w->started = true;
    pthread_mutex_unlock(&w->mu);

    if (!cqt__worker_registry_add(w)) {
        pthread_mutex_lock(&w->mu);
        w->started = false;
        pthread_mutex_unlock(&w->mu);
        return cqt_set_last_error(CQT_ESTATE, "%s: worker '%s': the application is shutting "
                                              "down; no new workers start", f, w->name);
    }

    cqt_worker_ref(w); /* the run reference, dropped by run_end() */
    launch *l = &w->launch; /* the caller's reference keeps it through this call */
    int rc;
    atomic_store(&l->phase, 0);
    l->ran = false;
    if (w->flags & CQT_WORKER_DEDICATED_THREAD) {
        w->thread = cqt_thread_new(w->name);
        w->thread_obj = w->thread ? cqt_object_new(w->thread) : NULL;
        atomic_store_explicit(&l->w, w, memory_order_release);
        rc = w->thread_obj ? cqt_thread_start(w->thread) : CQT_ENOMEM;
        if (rc == CQT_OK)
            rc = cqt_invoke_full(w->thread_obj, run_task, l, run_destroy, CQT_QUEUED);
        else
            run_destroy(l);
        if (rc != CQT_OK) {
            rc = cqt_set_last_error(rc, "%s: worker '%s': cannot start its thread: %s", f,
                                    w->name, cqt_last_error());
            cqt_object_free(w->thread_obj);
            w->thread_obj = NULL;
            cqt_thread_free(w->thread);
            w->thread = NULL;
        }
    } else {
        atomic_store_explicit(&l->w, w, memory_order_release);
        rc = cqt_pool_run(run_task, l, run_destroy);
        if (rc != CQT_OK)
            rc = cqt_set_last_error(rc, "%s: worker '%s': the pool refused it: %s", f, w->name,
                                    cqt_last_error());
    }
    if (rc != CQT_OK)
        goto undo; /* run_destroy ran and left the cleanup to us */
    int expected = 0;
    if (!atomic_compare_exchange_strong(&l->phase, &expected, 1))
        run_dropped(w); /* dropped (without running) before we got here */
    return CQT_OK;

undo:
    cqt__worker_registry_remove(w);
    pthread_mutex_lock(&w->mu);
    w->started = false;
    pthread_mutex_unlock(&w->mu);
    cqt__worker_ref_drop_not_last(w);
    return rc;
}

/* ---- control ------------------------------------------------------------------------ */

int cqt_worker_quit(cqt_worker *w)
{
    if (!w)
        return cqt_set_last_error(CQT_EINVAL, "cqt_worker_quit: worker is NULL; pass a worker");
    if (check_app(w, "cqt_worker_quit") != CQT_OK)
        return CQT_ESTATE;
    pthread_mutex_lock(&w->mu);
    bool interrupt = cqt__worker_quit_locked(w);
    /* A dedicated thread's body may wait in cqt_thread_exec(): end its
     * loop. w->thread was written before the body ran, and ran is set
     * under mu in the body's thread, so it is read here only once set. */
    cqt_thread *loop = w->ran && !w->body_returned ? w->thread : NULL;
    pthread_mutex_unlock(&w->mu);
    if (loop)
        cqt_thread_quit(loop);
    if (interrupt)
        w->klass->interrupt(w->ctx, w);
    return CQT_OK;
}

/* Sets the abort flag (and, with return-on-cancel, reports the end).
 * Returns: whether the class's interrupt() should be called, after
 * unlocking. Called with w->mu held. */
bool cqt__worker_quit_locked(cqt_worker *w)
{
    if (w->done)
        return false;
    bool first = !w->quit;
    w->quit = true;
    pthread_cond_broadcast(&w->cond);
    if ((w->flags & CQT_WORKER_RETURN_ON_CANCEL) && w->ran && !w->body_returned) {
        w->abandoned = true;
        cqt__worker_emit_locked(w, CQT_WORKER_ABORTED, NULL);
        cqt__worker_emit_locked(w, CQT_WORKER_FINISHED, NULL);
        w->done = true;
        w->end_ns = cqt_now_ns();
        pthread_cond_broadcast(&w->cond);
    }
    return first && w->ran && w->klass && w->klass->interrupt;
}

/* Locks @w for pause, resume, toggle and send; fails unless it is a
 * generator or custom worker of this application that has not finished.
 * Lock contract: on CQT_OK it returns with w->mu held, and the caller
 * unlocks it once it changed the state; on failure w->mu is not held. */
static int pause_lock_begin(cqt_worker *w, const char *f)
{
    if (!w)
        return cqt_set_last_error(CQT_EINVAL, "%s: worker is NULL; pass a worker", f);
    if (check_app(w, f) != CQT_OK)
        return CQT_ESTATE;
    if (w->kind == KIND_FUNCTION)
        return cqt_set_last_error(CQT_ESTATE,
                                  "%s: worker '%s' is a function worker, which has no yield point "
                                  "to pause at; use cqt_worker_new_generator",
                                  f, w->name);
    pthread_mutex_lock(&w->mu);
    if (w->done) {
        pthread_mutex_unlock(&w->mu);
        return cqt_set_last_error(CQT_ESTATE, "%s: worker '%s' has finished", f, w->name);
    }
    return CQT_OK;
}

int cqt_worker_pause(cqt_worker *w)
{
    int rc = pause_lock_begin(w, "cqt_worker_pause");
    if (rc != CQT_OK)
        return rc;
    w->pause = true;
    pthread_mutex_unlock(&w->mu);
    return CQT_OK;
}

int cqt_worker_resume(cqt_worker *w)
{
    int rc = pause_lock_begin(w, "cqt_worker_resume");
    if (rc != CQT_OK)
        return rc;
    w->pause = false;
    pthread_cond_broadcast(&w->cond);
    pthread_mutex_unlock(&w->mu);
    return CQT_OK;
}

int cqt_worker_toggle_pause(cqt_worker *w)
{
    int rc = pause_lock_begin(w, "cqt_worker_toggle_pause");
    if (rc != CQT_OK)
        return rc;
    w->pause = !w->pause;
    pthread_cond_broadcast(&w->cond);
    pthread_mutex_unlock(&w->mu);
    return CQT_OK;
}

int cqt_worker_send(cqt_worker *w, const cqt_value *value)
{
    int rc = pause_lock_begin(w, "cqt_worker_send");
    if (rc != CQT_OK)
        return rc;
    if (w->sq_len >= w->send_cap) {
        int cap = w->send_cap;
        pthread_mutex_unlock(&w->mu);
        return cqt_set_last_error(CQT_ERANGE,
                                  "cqt_worker_send: worker '%s': the send queue is full (%d "
                                  "values waiting); wait for the generator to take some, or raise "
                                  "cqt_worker_set_send_capacity",
                                  w->name, cap);
    }
    if (w->sq_len == w->sq_size) {
        int size = w->sq_size ? w->sq_size * 2 : 8;
        if (size > w->send_cap)
            size = w->send_cap;
        cqt_value *q = malloc((size_t)size * sizeof *q);
        if (!q) {
            pthread_mutex_unlock(&w->mu);
            return cqt_set_last_error(CQT_ENOMEM, "cqt_worker_send: worker '%s': out of memory",
                                      w->name);
        }
        for (int i = 0; i < w->sq_len; i++)
            q[i] = w->sendq[(w->sq_head + i) % w->sq_size];
        free(w->sendq);
        w->sendq = q;
        w->sq_head = 0;
        w->sq_size = size;
    }
    cqt_value_copy(&w->sendq[(w->sq_head + w->sq_len) % w->sq_size], value ? value : &k_none);
    w->sq_len++;
    pthread_mutex_unlock(&w->mu);
    return CQT_OK;
}

bool cqt_worker_is_running(const cqt_worker *w)
{
    if (!w)
        return false;
    cqt_worker *mw = (cqt_worker *)w;
    pthread_mutex_lock(&mw->mu);
    bool r = w->started && !w->done;
    pthread_mutex_unlock(&mw->mu);
    return r;
}

bool cqt_worker_is_paused(const cqt_worker *w)
{
    if (!w)
        return false;
    cqt_worker *mw = (cqt_worker *)w;
    pthread_mutex_lock(&mw->mu);
    bool r = w->pause && !w->done;
    pthread_mutex_unlock(&mw->mu);
    return r;
}

int cqt_worker_wait(cqt_worker *w, int timeout_ms)
{
    static const char f[] = "cqt_worker_wait";
    if (!w)
        return cqt_set_last_error(CQT_EINVAL, "%s: worker is NULL; pass a worker", f);
    if (check_app(w, f) != CQT_OK)
        return CQT_ESTATE;
    if (bad_timeout(timeout_ms))
        return cqt_set_last_error(CQT_EINVAL,
                                  "%s: worker '%s': timeout %d ms; pass ms >= 0 or CQT_FOREVER", f,
                                  w->name, timeout_ms);
    if (tls_current == w)
        return cqt_set_last_error(CQT_EDEADLK,
                                  "%s: worker '%s' would wait for itself; return from the body "
                                  "instead",
                                  f, w->name);
    struct timespec ts = abs_after_ns((int64_t)(timeout_ms < 0 ? 0 : timeout_ms) * 1000000);
    int rc = CQT_OK;
    pthread_mutex_lock(&w->mu);
    if (!w->started) {
        rc = cqt_set_last_error(CQT_ESTATE, "%s: worker '%s' was never started; call "
                                            "cqt_worker_start first", f, w->name);
    } else {
        while (!w->done) {
            if (timeout_ms == CQT_FOREVER) {
                pthread_cond_wait(&w->cond, &w->mu);
            } else if (pthread_cond_timedwait(&w->cond, &w->mu, &ts) == ETIMEDOUT) {
                if (!w->done)
                    rc = cqt_set_last_error(CQT_ETIMEDOUT,
                                            "%s: worker '%s' still %s after %d ms", f, w->name,
                                            cqt_worker_state_name(cqt__worker_state_locked(w)),
                                            timeout_ms);
                break;
            }
        }
    }
    pthread_mutex_unlock(&w->mu);
    return rc;
}

/* ---- inside the body ---------------------------------------------------------------- */

int cqt_worker_yield(cqt_worker *w, const cqt_value *value, cqt_value *sent)
{
    static const char f[] = "cqt_worker_yield";
    if (sent)
        *sent = cqt_value_none();
    if (!w)
        return cqt_set_last_error(CQT_EINVAL, "%s: worker is NULL; pass the body's worker", f);
    if (tls_current != w)
        return cqt_set_last_error(CQT_EWRONGTHREAD,
                                  "%s: worker '%s': called outside its body; only the body may "
                                  "yield",
                                  f, w->name);
    if (w->kind == KIND_FUNCTION)
        return cqt_set_last_error(CQT_ESTATE,
                                  "%s: worker '%s' is a function worker; create it with "
                                  "cqt_worker_new_generator to yield",
                                  f, w->name);
    pthread_mutex_lock(&w->mu);
    if (w->quit) {
        pthread_mutex_unlock(&w->mu);
        return CQT_ECANCELED;
    }
    cqt__worker_emit_locked(w, CQT_WORKER_YIELDED, value);
    w->yields++;
    if (w->total > 0) {
        pthread_mutex_unlock(&w->mu);
        cqt_worker_progress(w, w->yields, w->total, NULL);
        pthread_mutex_lock(&w->mu);
    }
    if (w->pause && !w->quit) {
        w->blocked = true;
        cqt__worker_emit_locked(w, CQT_WORKER_PAUSED, NULL);
        while (w->pause && !w->quit)
            pthread_cond_wait(&w->cond, &w->mu);
        w->blocked = false;
        if (!w->quit)
            cqt__worker_emit_locked(w, CQT_WORKER_RESUMED, NULL);
    }
    if (w->quit) {
        pthread_mutex_unlock(&w->mu);
        return CQT_ECANCELED;
    }
    int got = 0;
    if (sent && w->sq_len > 0) {
        *sent = w->sendq[w->sq_head];
        w->sq_head = (w->sq_head + 1) % w->sq_size;
        w->sq_len--;
        got = 1;
    }
    pthread_mutex_unlock(&w->mu);
    return got;
}

int cqt_worker_fail(cqt_worker *w, int code, const char *fmt, ...)
{
    static const char f[] = "cqt_worker_fail";
    if (!w)
        return cqt_set_last_error(CQT_EINVAL, "%s: worker is NULL; pass the body's worker", f);
    if (tls_current != w)
        return cqt_set_last_error(CQT_EWRONGTHREAD,
                                  "%s: worker '%s': called outside its body; only the body "
                                  "fails",
                                  f, w->name);
    char buf[512];
    buf[0] = '\0';
    if (code >= 0) {
        snprintf(buf, sizeof buf, "cqt_worker_fail called with code %d, which is not a failure; "
                                  "pass a negative cqt_status", code);
        code = CQT_EINVAL;
    } else if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(buf, sizeof buf, fmt, ap);
        va_end(ap);
    } else {
        snprintf(buf, sizeof buf, "%s", cqt_strerror(code));
    }
    char *copy = strdup(buf);
    pthread_mutex_lock(&w->mu);
    free(w->err_msg);
    w->err_msg = copy;
    w->err_code = code;
    w->failed = true;
    pthread_mutex_unlock(&w->mu);
    return code;
}

/* `warned` carries an error value (code, message), so that handlers read
 * warnings and errors alike (cqt_worker_error_read). */
static int warn_v(cqt_worker *w, const char *f, int code, const char *fmt, va_list ap)
{
    char buf[512];
    buf[0] = '\0';
    if (fmt)
        vsnprintf(buf, sizeof buf, fmt, ap);
    int rc = emit_lock_begin(w, f);
    if (rc != CQT_OK)
        return rc;
    cqt_value v = cqt_value_error(code, buf);
    cqt__worker_emit_locked(w, CQT_WORKER_WARNED, &v);
    cqt_value_clear(&v);
    if (!(w->flags & CQT_WORKER_IGNORE_ERRORS) &&
        !cqt__worker_has_handler_locked(w, CQT_WORKER_WARNED)) {
        char text[768];
        snprintf(text, sizeof text,
                 "worker '%s' warns: %s (no 'warned' handler is connected; connect one, or set "
                 "CQT_WORKER_IGNORE_ERRORS)",
                 w->name, buf);
        cqt__worker_report_locked(w, text);
    }
    pthread_mutex_unlock(&w->mu);
    return CQT_OK;
}

int cqt_worker_warn(cqt_worker *w, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = warn_v(w, "cqt_worker_warn", 0, fmt, ap);
    va_end(ap);
    return rc;
}

int cqt_worker_warn_full(cqt_worker *w, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = warn_v(w, "cqt_worker_warn_full", code, fmt, ap);
    va_end(ap);
    return rc;
}

int cqt_worker_error_read(const cqt_worker *w, const cqt_value *arg, cqt_worker_error_info *out)
{
    static const char f[] = "cqt_worker_error_read";
    if (!w || !arg || !out)
        return cqt_set_last_error(CQT_EINVAL, "%s: %s is NULL; pass the worker and the argument "
                                              "of its `errored` or `warned` handler, and "
                                              "somewhere to store them",
                                  f, !w ? "w" : !arg ? "arg" : "out");
    if (cqt_value_get_type(arg) != CQT_VALUE_ERROR)
        return cqt_set_last_error(CQT_EINVAL,
                                  "%s: worker '%s': the value is a %s, not an error; pass the "
                                  "argument of an `errored` or `warned` handler",
                                  f, w->name, cqt_value_type_name(cqt_value_get_type(arg)));
    out->code = cqt_value_get_error_code(arg);
    out->message = cqt_value_get_string(arg);
    out->worker = w->name;
    return CQT_OK;
}

typedef struct progress_head {
    uint32_t magic;
    uint32_t desc_len;
    int64_t done;
    int64_t total;
} progress_head;

int cqt_worker_progress(cqt_worker *w, int64_t done, int64_t total, const char *desc)
{
    if (w && (done < 0 || total < 0))
        return cqt_set_last_error(CQT_EINVAL,
                                  "cqt_worker_progress: worker '%s': done %lld of %lld; pass "
                                  "counts >= 0 (total 0: unknown)",
                                  w->name, (long long)done, (long long)total);
    size_t dl = desc ? strlen(desc) : 0;
    if (dl > 4096)
        dl = 4096;
    unsigned char stackbuf[256];
    size_t size = sizeof(progress_head) + dl + 1;
    unsigned char *buf = size <= sizeof stackbuf ? stackbuf : malloc(size);
    if (!buf)
        return cqt_set_last_error(CQT_ENOMEM, "cqt_worker_progress: out of memory");
    progress_head h = {PROGRESS_MAGIC, (uint32_t)dl, done, total};
    memcpy(buf, &h, sizeof h);
    if (dl)
        memcpy(buf + sizeof h, desc, dl);
    buf[sizeof h + dl] = '\0';
    int rc = emit_lock_begin(w, "cqt_worker_progress");
    if (rc == CQT_OK) {
        cqt_value v = cqt_value_bytes(buf, size);
        cqt__worker_emit_locked(w, CQT_WORKER_PROGRESS, &v);
        pthread_mutex_unlock(&w->mu);
        cqt_value_clear(&v);
    }
    if (buf != stackbuf)
        free(buf);
    return rc;
}

int cqt_worker_progress_read(const cqt_value *arg, cqt_worker_progress_info *out)
{
    size_t len = 0;
    const unsigned char *p =
        arg && cqt_value_get_type(arg) == CQT_VALUE_BYTES ? cqt_value_get_bytes(arg, &len) : NULL;
    progress_head h;
    if (p && len >= sizeof h)
        memcpy(&h, p, sizeof h);
    if (!out || !p || len < sizeof h + 1 || h.magic != PROGRESS_MAGIC ||
        len != sizeof h + h.desc_len + 1)
        return cqt_set_last_error(CQT_EINVAL,
                                  "cqt_worker_progress_read: %s; pass the argument of a "
                                  "`progress` handler and somewhere to store it",
                                  !out ? "out is NULL" : "not a progress value");
    out->done = h.done;
    out->total = h.total;
    out->desc = h.desc_len ? (const char *)p + sizeof h : NULL;
    return CQT_OK;
}

cqt_worker *cqt_worker_current(void)
{
    return tls_current;
}

bool cqt_worker_abort_requested(void)
{
    cqt_worker *w = tls_current;
    if (!w)
        return false;
    pthread_mutex_lock(&w->mu);
    bool q = w->quit;
    pthread_mutex_unlock(&w->mu);
    return q;
}

/* ---- the creation-time form -------------------------------------------------------- */

cqt_worker *cqt_worker_run(const char *name, cqt_worker_fn fn, void *user_data,
                           cqt_destroy_fn destroy, unsigned flags,
                           const cqt_worker_handlers *handlers)
{
    closure *cl = NULL;
    cqt_worker *w = (flags & CQT_WORKER_GENERATOR)
                        ? cqt_worker_new_generator(name, fn, user_data, destroy)
                        : cqt_worker_new(name, fn, user_data, destroy);
    if (!w)
        goto fail;
    if (handlers) {
        /* In the worker: every connection using it ends by worker_free. */
        cl = &w->run_cl;
        atomic_store(&cl->refs, 1);
        cl->user_data = handlers->user_data;
        cl->destroy = handlers->destroy;
        cl->embedded = true;
    }
    unsigned wflags = flags & ~(unsigned)(CQT_WORKER_GENERATOR | CQT_WORKER_NO_START);
    if (wflags && cqt_worker_set_flags(w, wflags) != CQT_OK) /* a new worker's are 0 */
        goto fail;
    if (handlers) {
        const cqt_worker_slot_fn fns[CQT_WORKER_N_SIGNALS] = {
            handlers->started, handlers->yielded, handlers->returned, handlers->errored,
            handlers->warned,  handlers->finished, handlers->paused,  handlers->resumed,
            handlers->aborted, handlers->progress, handlers->timed_out};
        for (int i = 0; i < CQT_WORKER_N_SIGNALS; i++) {
            if (!fns[i])
                continue;
            atomic_fetch_add(&cl->refs, 1);
            if (!cqt__worker_connect_closure(w, i, handlers->receiver, fns[i], cl))
                goto fail;
        }
    }
    /* napari's start_thread=False: the caller starts it, or frees it
     * unstarted (worker_free releases the connections' closure) */
    if (!(flags & CQT_WORKER_NO_START) && cqt_worker_start(w) != CQT_OK)
        goto fail;
    cqt__worker_closure_unref(cl);
    return w;
fail: {
    /* Keep the failure's message across the cleanup below. */
    char msg[512];
    snprintf(msg, sizeof msg, "%s", cqt_last_error());
    int code = CQT_EINVAL;
    if (w) {
        /* The handlers' destroy runs after the body's, in worker_free. */
        w->run_cl_at_free = cl != NULL;
        cqt_worker_unref(w);
    } else if (handlers && handlers->destroy) {
        handlers->destroy(handlers->user_data);
    }
    cqt_set_last_error(code, "cqt_worker_run: %s", msg);
    return NULL;
}
}
