/* worker.c — function, generator and custom workers on the cqt pool.
 *
 * Pure C on the public cqt API (see cqt/worker.h for the contract).
 *
 * Delivery. Each worker keeps one "route" per receiver object. A route is
 * a FIFO of (signal, value) items plus the connections whose handlers run
 * in that receiver. Every emit appends to the FIFO of each route that has a
 * handler for the signal, under the worker's mutex, so one receiver sees
 * one total order whatever thread emitted (the mailbox only promises order
 * per sending thread). The route is woken by emitting a private cqt_signal
 * (owned by the worker's "core" object) connected, queued, to the receiver:
 * the shim then owns the hard part, a receiver freed concurrently, and
 * tells us through the connection's destroy. Each wake-up in flight holds a
 * worker reference and is counted in route->wakes, so a dropped wake-up
 * gives its reference back in that destroy; no drain ever reaches a freed
 * worker.
 *
 * Lock order: g_reg_mu -> w->mu -> g_route_mu. g_wd_mu is taken alone.
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

#define N_SIG_MAX (CQT_WORKER_N_SIGNALS + CQT_WORKER_MAX_CUSTOM_SIGNALS)
#define DEFAULT_SEND_CAPACITY 64
#define MAX_SEND_CAPACITY 1048576
#define PROGRESS_MAGIC 0x43515450u /* "CQTP" */
#define DRAIN_CHUNK 512 /* items one drain delivers before yielding to the loop */

enum { KIND_FUNCTION, KIND_GENERATOR, KIND_CUSTOM };

static const char *const k_signal_names[CQT_WORKER_N_SIGNALS] = {
    "started", "yielded", "returned", "errored", "warned",   "finished",
    "paused",  "resumed", "aborted",  "progress", "timed_out"};

static const cqt_value k_none;

/* ---- small pieces ------------------------------------------------------- */

typedef struct item {
    struct item *prev, *next;
    int which;
    uint64_t seq;
    cqt_value v;
} item;

/* User data shared by one or more connections (cqt_worker_run shares one
 * among all its handlers); destroy runs when the last one ends. */
typedef struct closure {
    atomic_int refs;
    void *user_data;
    cqt_destroy_fn destroy;
} closure;

typedef struct conn {
    struct conn *next;
    cqt_connection id;
    int which;
    uint64_t since;  /* deliver items emitted at or after this sequence */
    cqt_worker_slot_fn fn;
    closure *cl;
    int busy;        /* handler calls running now */
    bool removed;    /* disconnected; unlinked once busy == 0 */
} conn;

typedef struct route {
    struct route *next;
    cqt_object *receiver; /* transfer none, or == owned, or the worker's core */
    cqt_object *owned;    /* internal receiver for a NULL receiver; freed with the worker */
    cqt_thread *thread;   /* the thread a NULL receiver resolved to */
    bool implicit;        /* made for a NULL receiver */
    cqt_signal *sig;      /* owned by the worker's core object */
    atomic_int refs;      /* worker link, connection, pending throttle shots */
    atomic_bool dead_hint;
    /* guarded by w->mu */
    item *head, *tail;
    item *pending_yield, *pending_progress;
    conn *conns;
    int counts[N_SIG_MAX];
    bool scheduled, throttled, terminal_queued;
    int64_t next_ns;
    /* guarded by g_route_mu */
    cqt_worker *w;
    bool dead;
    int wakes;
} route;

struct cqt_worker {
    atomic_long refs;
    pthread_mutex_t mu;
    pthread_cond_t cond;
    uint64_t id;
    char name[64];
    int kind;
    cqt_worker_fn fn;
    void *user_data;
    cqt_destroy_fn destroy;
    const cqt_worker_class *klass;
    void *ctx;
    cqt_object *core; /* lives in the main thread: route signals, reports */

    /* settings (fixed once started) */
    uint64_t gen; /* the application that made it (cqt__app_generation) */
    unsigned flags;
    cqt_yield_mode mode;
    int throttle_ms;
    int deadline_ms;
    int send_cap;
    int64_t total;
    char *custom[CQT_WORKER_MAX_CUSTOM_SIGNALS];
    int n_custom;

    /* state, guarded by mu */
    bool started, ran, done, quit, pause, blocked, abandoned, body_returned;
    int64_t run_ns, end_ns;
    int64_t yields;
    uint64_t seq;
    route *routes;
    cqt_value *sendq;
    int sq_head, sq_len, sq_size;
    bool failed;
    int err_code;
    char *err_msg;

    /* dedicated thread */
    cqt_thread *thread;
    cqt_object *thread_obj;

    /* registry, guarded by g_reg_mu */
    struct cqt_worker *reg_prev, *reg_next;
    bool in_reg;

    /* watchdog, guarded by g_wd_mu */
    struct cqt_worker *wd_next;
    bool wd_armed;
    int64_t deadline_ns;
};

static pthread_mutex_t g_route_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t g_reg_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_reg_cond;
static cqt_worker *g_reg_head, *g_reg_tail;
static int g_reg_count;
static bool g_hook_registered, g_shutting_down;
static bool g_hook_ran; /* the hook ran since it was registered (g_reg_mu) */

static pthread_mutex_t g_wd_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_wd_cond;
static cqt_worker *g_wd_head;
static pthread_t g_wd_thread;
static bool g_wd_running, g_wd_stop;

static pthread_once_t g_once = PTHREAD_ONCE_INIT;
static atomic_uint_fast64_t g_next_id = 1;
static atomic_uint_fast64_t g_next_conn = 1;

static _Thread_local cqt_worker *tls_current;

static void init_once(void)
{
    pthread_condattr_t a;
    pthread_condattr_init(&a);
    pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
    pthread_cond_init(&g_reg_cond, &a);
    pthread_cond_init(&g_wd_cond, &a);
    pthread_condattr_destroy(&a);
}

/* Absolute CLOCK_MONOTONIC time @ns from now, for pthread_cond_timedwait. */
static struct timespec abs_after_ns(int64_t ns)
{
    int64_t t = cqt__now_ns() + ns;
    struct timespec ts = {.tv_sec = (time_t)(t / 1000000000), .tv_nsec = (long)(t % 1000000000)};
    return ts;
}

static struct timespec abs_at_ns(int64_t t)
{
    struct timespec ts = {.tv_sec = (time_t)(t / 1000000000), .tv_nsec = (long)(t % 1000000000)};
    return ts;
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

static const char *wname(const cqt_worker *w)
{
    return w ? w->name : "(null)";
}

static bool is_terminal(int which)
{
    return which == CQT_WORKER_RETURNED || which == CQT_WORKER_ERRORED ||
           which == CQT_WORKER_ABORTED || which == CQT_WORKER_FINISHED;
}

/* Drops a reference the caller knows is not the last (another is held). */
static void ref_drop_not_last(cqt_worker *w)
{
    atomic_fetch_sub(&w->refs, 1);
}

static void closure_unref(closure *cl)
{
    if (cl && atomic_fetch_sub(&cl->refs, 1) == 1) {
        if (cl->destroy)
            cl->destroy(cl->user_data);
        free(cl);
    }
}

static void route_unref(route *r)
{
    if (atomic_fetch_sub(&r->refs, 1) == 1)
        free(r);
}

static cqt_worker_state state_locked(const cqt_worker *w)
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

/* ---- delivery -------------------------------------------------------------- */

static void route_unlink_item(route *r, item *it)
{
    if (it->prev)
        it->prev->next = it->next;
    else
        r->head = it->next;
    if (it->next)
        it->next->prev = it->prev;
    else
        r->tail = it->prev;
    it->prev = it->next = NULL;
}

static void route_append_item(route *r, item *it)
{
    it->next = NULL;
    it->prev = r->tail;
    if (r->tail)
        r->tail->next = it;
    else
        r->head = it;
    r->tail = it;
}

static void free_items(item *it)
{
    while (it) {
        item *next = it->next;
        cqt_value_clear(&it->v);
        free(it);
        it = next;
    }
}

/* Sends one wake-up to @r's receiver. Called with w->mu held. The wake-up
 * holds a worker reference, counted in r->wakes until a drain consumes it
 * or the connection's destroy takes it back. */
static void route_wake_locked(cqt_worker *w, route *r)
{
    cqt_worker_ref(w);
    pthread_mutex_lock(&g_route_mu);
    if (r->dead) {
        pthread_mutex_unlock(&g_route_mu);
        ref_drop_not_last(w);
        return;
    }
    r->wakes++;
    pthread_mutex_unlock(&g_route_mu);
    r->scheduled = true;
    if (cqt_emit(r->sig, NULL) != CQT_OK) {
        /* The receiver's thread stopped: nothing was queued. */
        bool give_back = false;
        pthread_mutex_lock(&g_route_mu);
        if (!r->dead) {
            r->wakes--;
            r->dead = true;
            atomic_store(&r->dead_hint, true);
            give_back = true;
        }
        pthread_mutex_unlock(&g_route_mu);
        if (give_back)
            ref_drop_not_last(w);
        r->scheduled = false;
    }
}

/* Emits built-in or custom signal @which with a copy of @v to every route
 * with a handler for it. Called with w->mu held. */
static void emit_locked(cqt_worker *w, int which, const cqt_value *v)
{
    if (w->done)
        return;
    uint64_t seq = w->seq++;
    bool terminal = is_terminal(which);
    bool coalesce = w->mode == CQT_YIELD_LATEST &&
                    (which == CQT_WORKER_YIELDED || which == CQT_WORKER_PROGRESS);
    for (route *r = w->routes; r; r = r->next) {
        if (r->counts[which] == 0 || atomic_load(&r->dead_hint))
            continue;
        item **pending = which == CQT_WORKER_YIELDED ? &r->pending_yield : &r->pending_progress;
        item *it;
        if (coalesce && *pending) {
            /* Newest wins, and moves to the back: it is the newest event. */
            it = *pending;
            route_unlink_item(r, it);
            cqt_value_clear(&it->v);
        } else {
            it = calloc(1, sizeof *it);
            if (!it) {
                cqt_log(CQT_MSG_CRITICAL, "worker", "worker '%s': out of memory; signal '%s' lost",
                        w->name, cqt_worker_signal_name(w, which));
                continue;
            }
        }
        it->which = which;
        it->seq = seq;
        cqt_value_copy(&it->v, v ? v : &k_none);
        route_append_item(r, it);
        if (coalesce)
            *pending = it;
        if (terminal)
            r->terminal_queued = true;
        if (!r->scheduled) {
            route_wake_locked(w, r);
        } else if (terminal && r->throttled) {
            /* A throttle shot is pending; the end is not held back by it. */
            r->throttled = false;
            route_wake_locked(w, r);
        }
    }
}

static bool has_handler_locked(const cqt_worker *w, int which)
{
    for (const route *r = w->routes; r; r = r->next)
        if (r->counts[which] > 0 && !atomic_load(&r->dead_hint))
            return true;
    return false;
}

static void dispatch(cqt_worker *w, route *r, item *list)
{
    while (list) {
        item *it = list;
        list = it->next;
        conn *reap = NULL;
        pthread_mutex_lock(&w->mu);
        for (conn *c = r->conns; c; c = c->next) {
            if (c->removed || c->which != it->which || c->since > it->seq)
                continue;
            c->busy++;
            pthread_mutex_unlock(&w->mu);
            c->fn(c->cl->user_data, w, &it->v);
            pthread_mutex_lock(&w->mu);
            c->busy--;
        }
        for (conn **pp = &r->conns; *pp;) {
            conn *c = *pp;
            if (c->removed && c->busy == 0) {
                *pp = c->next;
                c->next = reap;
                reap = c;
            } else {
                pp = &c->next;
            }
        }
        pthread_mutex_unlock(&w->mu);
        while (reap) {
            conn *c = reap;
            reap = c->next;
            closure_unref(c->cl);
            free(c);
        }
        cqt_value_clear(&it->v);
        free(it);
    }
}

static void shot_fn(void *user_data);
static void shot_destroy(void *user_data);

typedef struct shot {
    route *r;
    bool ran;
} shot;

/* Runs in the receiver's thread, once per wake-up or throttle shot. */
static void route_drain(route *r)
{
    pthread_mutex_lock(&g_route_mu);
    if (r->dead) {
        /* The connection's destroy already took this run's reference back. */
        pthread_mutex_unlock(&g_route_mu);
        return;
    }
    r->wakes--;
    cqt_worker *w = r->w; /* alive: we now own the run's reference */
    pthread_mutex_unlock(&g_route_mu);

    pthread_mutex_lock(&w->mu);
    r->scheduled = false;
    item *list = NULL;
    if (r->head) {
        int64_t now = cqt__now_ns();
        if (w->throttle_ms > 0 && !r->terminal_queued && now < r->next_ns) {
            shot *s = malloc(sizeof *s);
            if (s) {
                int ms = (int)((r->next_ns - now + 999999) / 1000000);
                s->r = r;
                s->ran = false;
                atomic_fetch_add(&r->refs, 1);
                cqt_worker_ref(w);
                pthread_mutex_lock(&g_route_mu);
                r->wakes++;
                pthread_mutex_unlock(&g_route_mu);
                r->scheduled = true;
                r->throttled = true;
                if (cqt_single_shot_full(ms, r->receiver, shot_fn, s, shot_destroy) != CQT_OK) {
                    r->scheduled = false; /* shot_destroy gave everything back */
                    r->throttled = false;
                }
                pthread_mutex_unlock(&w->mu);
                cqt_worker_unref(w);
                return;
            }
        }
        /* Take a bounded chunk: a generator faster than this receiver must
         * not keep its loop in one endless drain; the rest follows after
         * a wake-up, behind whatever else the loop has to do. */
        list = r->head;
        item *last = list;
        for (int k = 1; last->next && k < DRAIN_CHUNK; k++)
            last = last->next;
        r->head = last->next;
        last->next = NULL;
        if (r->head)
            r->head->prev = NULL;
        else
            r->tail = NULL;
        for (item *it = list; it; it = it->next) {
            if (it == r->pending_yield)
                r->pending_yield = NULL;
            if (it == r->pending_progress)
                r->pending_progress = NULL;
        }
        r->throttled = false;
        if (r->head) {
            route_wake_locked(w, r); /* a continuation: not held by the throttle */
        } else {
            r->terminal_queued = false;
            if (w->throttle_ms > 0)
                r->next_ns = now + (int64_t)w->throttle_ms * 1000000;
        }
    }
    pthread_mutex_unlock(&w->mu);
    dispatch(w, r, list);
    cqt_worker_unref(w);
}

static void route_slot(void *user_data, const cqt_value *arg)
{
    (void)arg;
    route_drain(user_data);
}

static void shot_fn(void *user_data)
{
    shot *s = user_data;
    s->ran = true;
    route_drain(s->r);
}

static void shot_destroy(void *user_data)
{
    shot *s = user_data;
    route *r = s->r;
    if (!s->ran) {
        cqt_worker *w = NULL;
        pthread_mutex_lock(&g_route_mu);
        if (!r->dead) {
            r->wakes--;
            w = r->w;
        }
        pthread_mutex_unlock(&g_route_mu);
        if (w)
            cqt_worker_unref(w);
    }
    route_unref(r);
    free(s);
}

/* The route's connection ended (receiver freed, or the worker's core and
 * so the signal freed): take back the references of wake-ups that will
 * never run. */
static void route_conn_destroy(void *user_data)
{
    route *r = user_data;
    pthread_mutex_lock(&g_route_mu);
    r->dead = true;
    atomic_store(&r->dead_hint, true);
    int n = r->wakes;
    r->wakes = 0;
    cqt_worker *w = r->w;
    pthread_mutex_unlock(&g_route_mu);
    while (n-- > 0)
        cqt_worker_unref(w);
    route_unref(r);
}

/* Finds or makes the route to @receiver (NULL: resolved to @t). Called
 * with w->mu held. */
static route *route_get_locked(cqt_worker *w, cqt_object *receiver, cqt_thread *t, int *status)
{
    if (!receiver && t == cqt_thread_main())
        receiver = w->core;
    for (route *r = w->routes; r; r = r->next) {
        if (atomic_load(&r->dead_hint))
            continue;
        if (receiver ? r->receiver == receiver : (r->implicit && r->thread == t))
            return r;
    }
    route *r = calloc(1, sizeof *r);
    if (!r) {
        *status = cqt_set_last_error(CQT_ENOMEM, "cqt_worker_connect: worker '%s': out of memory",
                                     w->name);
        return NULL;
    }
    r->implicit = receiver == NULL || receiver == w->core;
    r->thread = t;
    r->w = w;
    if (!receiver) {
        r->owned = cqt_object_new(t);
        if (!r->owned) {
            *status = cqt_set_last_error(CQT_ESTATE,
                                         "cqt_worker_connect: worker '%s': cannot create a "
                                         "receiver in thread '%s': %s",
                                         w->name, cqt_thread_name(t), cqt_last_error());
            free(r);
            return NULL;
        }
        cqt_object_set_name(r->owned, "worker-receiver");
        receiver = r->owned;
    }
    r->receiver = receiver;
    r->sig = cqt_signal_new(w->core, "worker-route");
    atomic_store(&r->refs, 2); /* the worker's list and the connection */
    if (!r->sig || !cqt_connect(r->sig, receiver, route_slot, r, route_conn_destroy, CQT_QUEUED)) {
        int rc = cqt_set_last_error(CQT_ENOLOOP,
                                    "cqt_worker_connect: worker '%s': cannot deliver to object "
                                    "'%s': %s",
                                    w->name, cqt_object_name(receiver), cqt_last_error());
        if (r->sig)
            cqt_signal_free(r->sig);
        else
            atomic_fetch_sub(&r->refs, 1); /* no connection was made */
        if (r->owned)
            cqt_object_free(r->owned);
        *status = rc;
        route_unref(r);
        return NULL;
    }
    r->next = w->routes;
    w->routes = r;
    return r;
}

/* Connects one handler; consumes one reference of @cl in every case. */
static cqt_connection connect_closure(cqt_worker *w, int which, cqt_object *receiver,
                                      cqt_worker_slot_fn fn, closure *cl)
{
    static const char f[] = "cqt_worker_connect";
    int rc;
    if (!w) {
        cqt_set_last_error(CQT_EINVAL, "%s: worker is NULL; pass a worker from cqt_worker_new", f);
        goto fail;
    }
    if (check_app(w, f) != CQT_OK)
        goto fail;
    if (!fn) {
        cqt_set_last_error(CQT_EINVAL, "%s: worker '%s': fn is NULL; pass the handler", f,
                           w->name);
        goto fail;
    }
    pthread_mutex_lock(&w->mu);
    int n_sig = CQT_WORKER_N_SIGNALS + w->n_custom;
    pthread_mutex_unlock(&w->mu);
    if (which < 0 || which >= n_sig) {
        cqt_set_last_error(CQT_EINVAL,
                           "%s: worker '%s': signal id %d is not valid; pass a cqt_worker_signal "
                           "or an id from cqt_worker_add_signal (0..%d)",
                           f, w->name, which, n_sig - 1);
        goto fail;
    }
    cqt_thread *t;
    if (receiver) {
        t = cqt_object_thread(receiver);
        if (!t || !cqt_thread_has_loop(t)) {
            cqt_set_last_error(CQT_ENOLOOP,
                               "%s: worker '%s': receiver '%s' lives in thread '%s', which runs "
                               "no event loop, so its handler would never run; use an object in "
                               "the main thread or a cqt thread, or NULL",
                               f, w->name, cqt_object_name(receiver), cqt_thread_name(t));
            goto fail;
        }
    } else {
        t = cqt_thread_current();
        if (!t || !cqt_thread_has_loop(t))
            t = cqt_thread_main(); /* pool thread or pthread: see cqt_worker_connect */
        if (!t) {
            cqt_set_last_error(CQT_ESTATE, "%s: worker '%s': no application; call cqt_app_init",
                               f, w->name);
            goto fail;
        }
    }
    conn *c = calloc(1, sizeof *c);
    if (!c) {
        cqt_set_last_error(CQT_ENOMEM, "%s: worker '%s': out of memory", f, w->name);
        goto fail;
    }
    pthread_mutex_lock(&w->mu);
    if (w->done) {
        pthread_mutex_unlock(&w->mu);
        free(c);
        cqt_set_last_error(CQT_ESTATE,
                           "%s: worker '%s' has finished; connect before cqt_worker_start", f,
                           w->name);
        goto fail;
    }
    route *r = route_get_locked(w, receiver, t, &rc);
    if (!r) {
        pthread_mutex_unlock(&w->mu);
        free(c);
        goto fail;
    }
    c->id = atomic_fetch_add(&g_next_conn, 1);
    c->which = which;
    c->since = w->seq;
    c->fn = fn;
    c->cl = cl;
    c->next = r->conns;
    r->conns = c;
    r->counts[which]++;
    cqt_connection id = c->id;
    pthread_mutex_unlock(&w->mu);
    return id;
fail:
    closure_unref(cl);
    return 0;
}

/* ---- creation and lifetime ------------------------------------------------ */

static cqt_worker *worker_new(const char *f, const char *name, int kind, cqt_worker_fn fn,
                              void *user_data, cqt_destroy_fn destroy,
                              const cqt_worker_class *klass, void *ctx)
{
    pthread_once(&g_once, init_once);
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
    pthread_condattr_t a;
    pthread_condattr_init(&a);
    pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
    pthread_cond_init(&w->cond, &a);
    pthread_condattr_destroy(&a);
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
    conn *conns = NULL;
    for (route *r = w->routes; r; r = r->next) {
        pthread_mutex_lock(&g_route_mu);
        r->w = NULL;
        r->dead = true;
        atomic_store(&r->dead_hint, true);
        pthread_mutex_unlock(&g_route_mu);
        free_items(r->head);
        r->head = r->tail = NULL;
        while (r->conns) {
            conn *c = r->conns;
            r->conns = c->next;
            c->next = conns;
            conns = c;
        }
    }
    /* Frees the route signals: their connections end, each route's
     * destroy runs (now, or in the receiver's thread). */
    cqt_object_free(w->core);
    while (w->routes) {
        route *r = w->routes;
        w->routes = r->next;
        if (r->owned)
            cqt_object_free(r->owned);
        route_unref(r);
    }
    while (conns) {
        conn *c = conns;
        conns = c->next;
        closure_unref(c->cl);
        free(c);
    }
    if (w->klass) {
        if (w->klass->finalize)
            w->klass->finalize(w->ctx);
    } else if (w->destroy) {
        w->destroy(w->user_data);
    }
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
    return wname(w);
}

cqt_worker_state cqt_worker_get_state(const cqt_worker *w)
{
    if (!w)
        return CQT_WORKER_STATE_CREATED;
    cqt_worker *mw = (cqt_worker *)w;
    pthread_mutex_lock(&mw->mu);
    cqt_worker_state s = state_locked(w);
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
 * @generator_only, can yield. On CQT_OK the caller holds w->mu. */
static int setting_begin(cqt_worker *w, const char *f, bool generator_only)
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
    int rc = setting_begin(w, "cqt_worker_set_flags", false);
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
    int rc = setting_begin(w, "cqt_worker_set_yield_mode", true);
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
    int rc = setting_begin(w, "cqt_worker_set_deadline", false);
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
    int rc = setting_begin(w, "cqt_worker_set_send_capacity", true);
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
    int rc = setting_begin(w, "cqt_worker_set_total", true);
    if (rc != CQT_OK)
        return rc;
    w->total = total;
    pthread_mutex_unlock(&w->mu);
    return CQT_OK;
}

/* ---- signals ------------------------------------------------------------------ */

cqt_connection cqt_worker_connect(cqt_worker *w, int which, cqt_object *receiver,
                                  cqt_worker_slot_fn fn, void *user_data, cqt_destroy_fn destroy)
{
    closure *cl = calloc(1, sizeof *cl);
    if (!cl) {
        if (destroy)
            destroy(user_data);
        cqt_set_last_error(CQT_ENOMEM, "cqt_worker_connect: worker '%s': out of memory",
                           wname(w));
        return 0;
    }
    atomic_store(&cl->refs, 1);
    cl->user_data = user_data;
    cl->destroy = destroy;
    return connect_closure(w, which, receiver, fn, cl);
}

int cqt_worker_disconnect(cqt_worker *w, cqt_connection c)
{
    if (!w || c == 0)
        return cqt_set_last_error(CQT_EINVAL,
                                  "cqt_worker_disconnect: worker '%s': %s; pass a worker and an "
                                  "id from cqt_worker_connect",
                                  wname(w), w ? "connection id 0" : "worker is NULL");
    conn *dead = NULL;
    bool found = false;
    pthread_mutex_lock(&w->mu);
    for (route *r = w->routes; r && !found; r = r->next) {
        for (conn **pp = &r->conns; *pp; pp = &(*pp)->next) {
            conn *c2 = *pp;
            if (c2->id != c || c2->removed)
                continue;
            found = true;
            c2->removed = true;
            r->counts[c2->which]--;
            if (c2->busy == 0) {
                *pp = c2->next;
                dead = c2;
            }
            break;
        }
    }
    pthread_mutex_unlock(&w->mu);
    if (!found)
        return cqt_set_last_error(CQT_EINVAL,
                                  "cqt_worker_disconnect: worker '%s': %llu is not a live "
                                  "connection of this worker (disconnected twice?)",
                                  w->name, (unsigned long long)c);
    if (dead) {
        closure_unref(dead->cl);
        free(dead);
    }
    return CQT_OK;
}

int cqt_worker_add_signal(cqt_worker *w, const char *name)
{
    if (!w || !name || !*name)
        return cqt_set_last_error(CQT_EINVAL,
                                  "cqt_worker_add_signal: worker '%s': %s; pass a worker and a "
                                  "non-empty name",
                                  wname(w), w ? "name is NULL or empty" : "worker is NULL");
    if (cqt_worker_signal_id(w, name) >= 0)
        return cqt_set_last_error(CQT_EINVAL,
                                  "cqt_worker_add_signal: worker '%s' has a signal '%s' already; "
                                  "pick another name",
                                  w->name, name);
    int rc = setting_begin(w, "cqt_worker_add_signal", false);
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
                              wname(w), name);
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
 * body started and the outcome was not emitted yet. */
static int emit_begin(cqt_worker *w, const char *f)
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
    int rc = emit_begin(w, "cqt_worker_emit");
    if (rc != CQT_OK)
        return rc;
    emit_locked(w, which, arg);
    pthread_mutex_unlock(&w->mu);
    return CQT_OK;
}

/* ---- reports of errors nobody handles ---------------------------------------- */

typedef struct report {
    cqt_worker *w;
    char *text;
} report;

static void report_run(void *user_data)
{
    report *rp = user_data;
    cqt_log(CQT_MSG_WARNING, "worker", "%s", rp->text);
}

static void report_free(void *user_data)
{
    report *rp = user_data;
    cqt_worker_unref(rp->w);
    free(rp->text);
    free(rp);
}

/* Logs @text in the main thread (queued to the worker's core object, so it
 * comes before `finished` reaches any handler there). Called with w->mu
 * held; the caller holds a reference. */
static void report_locked(cqt_worker *w, const char *text)
{
    report *rp = malloc(sizeof *rp);
    char *copy = strdup(text);
    if (!rp || !copy) {
        free(rp);
        free(copy);
        cqt_log(CQT_MSG_WARNING, "worker", "%s", text);
        return;
    }
    rp->w = cqt_worker_ref(w);
    rp->text = copy;
    if (cqt_invoke_full(w->core, report_run, rp, report_free, CQT_QUEUED) != CQT_OK)
        cqt_log(CQT_MSG_WARNING, "worker", "%s", text); /* never swallowed */
}

/* ---- watchdog: deadlines -------------------------------------------------------- */

static bool quit_locked(cqt_worker *w);

static void deadline_fire(cqt_worker *w)
{
    pthread_mutex_lock(&w->mu);
    bool interrupt = false;
    if (!w->done && !w->quit) {
        cqt_value v = cqt_value_int(w->deadline_ms);
        emit_locked(w, CQT_WORKER_TIMED_OUT, &v);
        interrupt = quit_locked(w); /* in the same critical section: aborted follows */
    }
    pthread_mutex_unlock(&w->mu);
    if (interrupt)
        w->klass->interrupt(w->ctx, w);
}

static void *wd_main(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&g_wd_mu);
    while (!g_wd_stop) {
        int64_t now = cqt__now_ns();
        int64_t next = INT64_MAX;
        cqt_worker *expired = NULL;
        for (cqt_worker **pp = &g_wd_head; *pp;) {
            cqt_worker *w = *pp;
            if (w->deadline_ns <= now) {
                *pp = w->wd_next;
                w->wd_armed = false;
                w->wd_next = expired;
                expired = w;
            } else {
                if (w->deadline_ns < next)
                    next = w->deadline_ns;
                pp = &w->wd_next;
            }
        }
        if (expired) {
            pthread_mutex_unlock(&g_wd_mu);
            while (expired) {
                cqt_worker *w = expired;
                expired = w->wd_next;
                deadline_fire(w);
                cqt_worker_unref(w);
            }
            pthread_mutex_lock(&g_wd_mu);
            continue;
        }
        if (next == INT64_MAX) {
            pthread_cond_wait(&g_wd_cond, &g_wd_mu);
        } else {
            struct timespec ts = abs_at_ns(next);
            pthread_cond_timedwait(&g_wd_cond, &g_wd_mu, &ts);
        }
    }
    pthread_mutex_unlock(&g_wd_mu);
    return NULL;
}

static void wd_arm(cqt_worker *w)
{
    pthread_mutex_lock(&g_wd_mu);
    if (!g_wd_running) {
        if (pthread_create(&g_wd_thread, NULL, wd_main, NULL) != 0) {
            pthread_mutex_unlock(&g_wd_mu);
            cqt_log(CQT_MSG_WARNING, "worker",
                    "worker '%s': cannot start the deadline thread; its deadline is not enforced",
                    w->name);
            return;
        }
        g_wd_running = true;
    }
    w->deadline_ns = cqt__now_ns() + (int64_t)w->deadline_ms * 1000000;
    w->wd_armed = true;
    w->wd_next = g_wd_head;
    g_wd_head = cqt_worker_ref(w);
    pthread_cond_signal(&g_wd_cond);
    pthread_mutex_unlock(&g_wd_mu);
}

static void wd_disarm(cqt_worker *w)
{
    bool was = false;
    pthread_mutex_lock(&g_wd_mu);
    if (w->wd_armed) {
        for (cqt_worker **pp = &g_wd_head; *pp; pp = &(*pp)->wd_next) {
            if (*pp == w) {
                *pp = w->wd_next;
                break;
            }
        }
        w->wd_armed = false;
        was = true;
    }
    pthread_mutex_unlock(&g_wd_mu);
    if (was)
        ref_drop_not_last(w); /* the body's caller holds the run reference */
}

static void wd_stop(void)
{
    pthread_mutex_lock(&g_wd_mu);
    if (!g_wd_running) {
        pthread_mutex_unlock(&g_wd_mu);
        return;
    }
    g_wd_stop = true;
    pthread_cond_signal(&g_wd_cond);
    pthread_mutex_unlock(&g_wd_mu);
    pthread_join(g_wd_thread, NULL);
    pthread_mutex_lock(&g_wd_mu);
    g_wd_running = false;
    g_wd_stop = false;
    cqt_worker *list = g_wd_head;
    g_wd_head = NULL;
    for (cqt_worker *w = list; w; w = w->wd_next)
        w->wd_armed = false;
    pthread_mutex_unlock(&g_wd_mu);
    while (list) {
        cqt_worker *w = list;
        list = w->wd_next;
        cqt_worker_unref(w);
    }
}

/* ---- registry and the shutdown hook ------------------------------------------- */

static void reg_remove(cqt_worker *w)
{
    pthread_mutex_lock(&g_reg_mu);
    if (w->in_reg) {
        if (w->reg_prev)
            w->reg_prev->reg_next = w->reg_next;
        else
            g_reg_head = w->reg_next;
        if (w->reg_next)
            w->reg_next->reg_prev = w->reg_prev;
        else
            g_reg_tail = w->reg_prev;
        w->reg_prev = w->reg_next = NULL;
        w->in_reg = false;
        g_reg_count--;
        pthread_cond_broadcast(&g_reg_cond);
    }
    pthread_mutex_unlock(&g_reg_mu);
}

static int shutdown_hook(void *user_data, int timeout_ms);
static void shutdown_hook_destroy(void *user_data);

static void register_hook(void)
{
    if (cqt_app_add_shutdown_hook(shutdown_hook, NULL, shutdown_hook_destroy) != CQT_OK) {
        pthread_mutex_lock(&g_reg_mu);
        g_hook_registered = false;
        pthread_mutex_unlock(&g_reg_mu);
    }
}

static int shutdown_hook(void *user_data, int timeout_ms)
{
    (void)user_data;
    int64_t deadline = timeout_ms == CQT_FOREVER ? -1 : cqt__now_ns() + (int64_t)timeout_ms * 1000000;
    pthread_mutex_lock(&g_reg_mu);
    g_shutting_down = true;
    g_hook_ran = true;
    int n = g_reg_count, i = 0;
    cqt_worker **all = n ? malloc((size_t)n * sizeof *all) : NULL;
    if (all)
        for (cqt_worker *w = g_reg_head; w; w = w->reg_next)
            all[i++] = cqt_worker_ref(w);
    pthread_mutex_unlock(&g_reg_mu);
    for (int k = 0; k < i; k++) {
        cqt_worker_quit(all[k]);
        cqt_worker_unref(all[k]);
    }
    free(all);

    int rc = CQT_OK;
    pthread_mutex_lock(&g_reg_mu);
    while (g_reg_count > 0) {
        if (deadline < 0) {
            pthread_cond_wait(&g_reg_cond, &g_reg_mu);
        } else {
            struct timespec ts = abs_at_ns(deadline);
            if (pthread_cond_timedwait(&g_reg_cond, &g_reg_mu, &ts) == ETIMEDOUT)
                break;
        }
    }
    if (g_reg_count > 0) {
        char names[1024];
        size_t len = 0;
        names[0] = '\0';
        for (cqt_worker *w = g_reg_head; w && len < sizeof names - 1; w = w->reg_next) {
            pthread_mutex_lock(&w->mu);
            cqt_worker_state s = state_locked(w);
            pthread_mutex_unlock(&w->mu);
            int k = snprintf(names + len, sizeof names - len, "%s'%s' (%s)", len ? ", " : "",
                             w->name, cqt_worker_state_name(s));
            if (k < 0)
                break;
            len += (size_t)k;
        }
        rc = cqt_set_last_error(CQT_ETIMEDOUT,
                                "%d worker(s) did not stop within %d ms although asked to quit: "
                                "%s; make their bodies check cqt_worker_abort_requested() or "
                                "cqt_worker_yield()",
                                g_reg_count, timeout_ms, names);
    }
    pthread_mutex_unlock(&g_reg_mu);
    wd_stop();
    return rc;
}

static void shutdown_hook_destroy(void *user_data)
{
    (void)user_data;
    pthread_mutex_lock(&g_reg_mu);
    g_shutting_down = false;
    /* Hooks run once. If stragglers remain, the application is kept: stay
     * registered so the next cqt_app_shutdown() waits for them again (the
     * shim keeps a hook added after one failed for the next shutdown). A
     * registration the shim refused (its hooks are over) runs this at once:
     * then never retry, or refusal and retry would chase each other. */
    bool again = g_hook_ran && g_reg_count > 0;
    g_hook_ran = false;
    g_hook_registered = again;
    pthread_mutex_unlock(&g_reg_mu);
    if (again)
        register_hook();
}

int cqt_pool_active_count(void)
{
    pthread_mutex_lock(&g_reg_mu);
    int n = g_reg_count;
    pthread_mutex_unlock(&g_reg_mu);
    return n;
}

int cqt_pool_list(cqt_pool_entry **out, size_t *n)
{
    if (!out || !n)
        return cqt_set_last_error(CQT_EINVAL, "cqt_pool_list: %s is NULL; pass where to store it",
                                  out ? "n" : "out");
    *out = NULL;
    *n = 0;
    pthread_mutex_lock(&g_reg_mu);
    if (g_reg_count == 0) {
        pthread_mutex_unlock(&g_reg_mu);
        return CQT_OK;
    }
    cqt_pool_entry *list = calloc((size_t)g_reg_count, sizeof *list);
    if (!list) {
        pthread_mutex_unlock(&g_reg_mu);
        return cqt_set_last_error(CQT_ENOMEM, "cqt_pool_list: out of memory");
    }
    size_t i = 0;
    int64_t now = cqt__now_ns();
    for (cqt_worker *w = g_reg_head; w; w = w->reg_next, i++) {
        pthread_mutex_lock(&w->mu);
        list[i].id = w->id;
        snprintf(list[i].name, sizeof list[i].name, "%s", w->name);
        list[i].state = state_locked(w);
        list[i].running_ms = w->ran ? ((w->body_returned ? w->end_ns : now) - w->run_ns) / 1000000
                                    : 0;
        pthread_mutex_unlock(&w->mu);
    }
    pthread_mutex_unlock(&g_reg_mu);
    *out = list;
    *n = i;
    return CQT_OK;
}

void cqt_pool_list_free(cqt_pool_entry *list)
{
    free(list);
}

/* ---- running -------------------------------------------------------------------- */

/* One launch of a body. Two owners: start() and the task's destroy. */
typedef struct launch {
    /* Published with release by start() and read with acquire by the task:
     * the pool's own hand-off is inside Qt, invisible to ThreadSanitizer. */
    _Atomic(cqt_worker *) w;
    atomic_int refs;
    atomic_int phase; /* 0; 1 start() saw success; 2 dropped before that */
    bool ran;
} launch;

static void launch_unref(launch *l)
{
    if (atomic_fetch_sub(&l->refs, 1) == 1)
        free(l);
}

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
    reg_remove(w);
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
        emit_locked(w, CQT_WORKER_ABORTED, NULL);
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
        emit_locked(w, CQT_WORKER_ERRORED, &e);
        cqt_value_clear(&e);
        if (!(w->flags & CQT_WORKER_IGNORE_ERRORS) && !has_handler_locked(w, CQT_WORKER_ERRORED)) {
            char text[768];
            snprintf(text, sizeof text,
                     "worker '%s' failed with %s: %s (no 'errored' handler is connected; "
                     "connect one, or set CQT_WORKER_IGNORE_ERRORS)",
                     w->name, cqt_status_name(code), msg);
            report_locked(w, text);
        }
    } else {
        emit_locked(w, CQT_WORKER_RETURNED, result);
    }
    emit_locked(w, CQT_WORKER_FINISHED, NULL);
    w->done = true;
    w->end_ns = cqt__now_ns();
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
    w->run_ns = cqt__now_ns();
    emit_locked(w, CQT_WORKER_STARTED, NULL);
    bool skip = w->quit;
    pthread_mutex_unlock(&w->mu);
    if (!skip && w->deadline_ms > 0)
        wd_arm(w);

    cqt_value result = cqt_value_none();
    int rc = CQT_OK;
    if (!skip) {
        if (w->klass)
            rc = w->klass->work(w->ctx, w, &result);
        else
            rc = w->fn(w->user_data, w, &result);
    }
    tls_current = NULL;
    wd_disarm(w);

    pthread_mutex_lock(&w->mu);
    w->body_returned = true;
    w->blocked = false;
    if (!w->abandoned) {
        emit_outcome_locked(w, rc, &result);
    } else {
        w->end_ns = cqt__now_ns();
    }
    pthread_mutex_unlock(&w->mu);
    /* Emits copied it; with return-on-cancel it is discarded here, in the
     * body's thread. */
    cqt_value_clear(&result);
    if (w->thread)
        cqt_thread_quit(w->thread);
    run_end(w);
}

/* The body never ran although the launch succeeded: report the worker as
 * aborted so the order rule (and finished) still holds. */
static void run_dropped(cqt_worker *w)
{
    pthread_mutex_lock(&w->mu);
    w->ran = true;
    w->run_ns = cqt__now_ns();
    w->quit = true;
    emit_locked(w, CQT_WORKER_STARTED, NULL);
    w->body_returned = true;
    if (!w->abandoned)
        emit_outcome_locked(w, CQT_ECANCELED, NULL);
    pthread_mutex_unlock(&w->mu);
    run_end(w);
}

static void run_destroy(void *user_data)
{
    launch *l = user_data;
    if (!l->ran) {
        int expected = 0;
        if (!atomic_compare_exchange_strong(&l->phase, &expected, 2))
            run_dropped(atomic_load(&l->w)); /* start() returned already: we report it */
        /* else: a failed launch (destroy runs inside the call); start() cleans up */
    }
    launch_unref(l);
}

int cqt_worker_start(cqt_worker *w)
{
    static const char f[] = "cqt_worker_start";
    if (!w)
        return cqt_set_last_error(CQT_EINVAL, "%s: worker is NULL; pass a worker", f);
    pthread_once(&g_once, init_once);
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

    bool need_hook = false;
    pthread_mutex_lock(&g_reg_mu);
    if (g_shutting_down) {
        pthread_mutex_unlock(&g_reg_mu);
        pthread_mutex_lock(&w->mu);
        w->started = false;
        pthread_mutex_unlock(&w->mu);
        return cqt_set_last_error(CQT_ESTATE, "%s: worker '%s': the application is shutting "
                                              "down; no new workers start", f, w->name);
    }
    if (!g_hook_registered) {
        g_hook_registered = true;
        need_hook = true;
    }
    w->reg_prev = g_reg_tail;
    w->reg_next = NULL;
    if (g_reg_tail)
        g_reg_tail->reg_next = w;
    else
        g_reg_head = w;
    g_reg_tail = w;
    w->in_reg = true;
    g_reg_count++;
    pthread_mutex_unlock(&g_reg_mu);
    if (need_hook)
        register_hook();

    cqt_worker_ref(w); /* the run reference, dropped by run_end() */
    launch *l = calloc(1, sizeof *l);
    int rc;
    if (!l) {
        rc = cqt_set_last_error(CQT_ENOMEM, "%s: worker '%s': out of memory", f, w->name);
        goto undo;
    }
    atomic_store(&l->refs, 2);
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
    if (rc != CQT_OK) {
        launch_unref(l); /* run_destroy ran and left the cleanup to us */
        goto undo;
    }
    int expected = 0;
    if (!atomic_compare_exchange_strong(&l->phase, &expected, 1))
        run_dropped(w); /* dropped (without running) before we got here */
    launch_unref(l);
    return CQT_OK;

undo:
    reg_remove(w);
    pthread_mutex_lock(&w->mu);
    w->started = false;
    pthread_mutex_unlock(&w->mu);
    ref_drop_not_last(w);
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
    bool interrupt = quit_locked(w);
    pthread_mutex_unlock(&w->mu);
    if (interrupt)
        w->klass->interrupt(w->ctx, w);
    return CQT_OK;
}

/* Sets the abort flag (and, with return-on-cancel, reports the end).
 * Returns: whether the class's interrupt() should be called, after
 * unlocking. Called with w->mu held. */
static bool quit_locked(cqt_worker *w)
{
    if (w->done)
        return false;
    bool first = !w->quit;
    w->quit = true;
    pthread_cond_broadcast(&w->cond);
    if ((w->flags & CQT_WORKER_RETURN_ON_CANCEL) && w->ran && !w->body_returned) {
        w->abandoned = true;
        emit_locked(w, CQT_WORKER_ABORTED, NULL);
        emit_locked(w, CQT_WORKER_FINISHED, NULL);
        w->done = true;
        w->end_ns = cqt__now_ns();
        pthread_cond_broadcast(&w->cond);
    }
    return first && w->ran && w->klass && w->klass->interrupt;
}

static int pause_begin(cqt_worker *w, const char *f)
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
    int rc = pause_begin(w, "cqt_worker_pause");
    if (rc != CQT_OK)
        return rc;
    w->pause = true;
    pthread_mutex_unlock(&w->mu);
    return CQT_OK;
}

int cqt_worker_resume(cqt_worker *w)
{
    int rc = pause_begin(w, "cqt_worker_resume");
    if (rc != CQT_OK)
        return rc;
    w->pause = false;
    pthread_cond_broadcast(&w->cond);
    pthread_mutex_unlock(&w->mu);
    return CQT_OK;
}

int cqt_worker_toggle_pause(cqt_worker *w)
{
    int rc = pause_begin(w, "cqt_worker_toggle_pause");
    if (rc != CQT_OK)
        return rc;
    w->pause = !w->pause;
    pthread_cond_broadcast(&w->cond);
    pthread_mutex_unlock(&w->mu);
    return CQT_OK;
}

int cqt_worker_send(cqt_worker *w, const cqt_value *value)
{
    int rc = pause_begin(w, "cqt_worker_send");
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
                                            cqt_worker_state_name(state_locked(w)), timeout_ms);
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
    emit_locked(w, CQT_WORKER_YIELDED, value);
    w->yields++;
    if (w->total > 0) {
        pthread_mutex_unlock(&w->mu);
        cqt_worker_progress(w, w->yields, w->total, NULL);
        pthread_mutex_lock(&w->mu);
    }
    if (w->pause && !w->quit) {
        w->blocked = true;
        emit_locked(w, CQT_WORKER_PAUSED, NULL);
        while (w->pause && !w->quit)
            pthread_cond_wait(&w->cond, &w->mu);
        w->blocked = false;
        if (!w->quit)
            emit_locked(w, CQT_WORKER_RESUMED, NULL);
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

int cqt_worker_warn(cqt_worker *w, const char *fmt, ...)
{
    char buf[512];
    buf[0] = '\0';
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(buf, sizeof buf, fmt, ap);
        va_end(ap);
    }
    int rc = emit_begin(w, "cqt_worker_warn");
    if (rc != CQT_OK)
        return rc;
    cqt_value v = cqt_value_string(buf);
    emit_locked(w, CQT_WORKER_WARNED, &v);
    cqt_value_clear(&v);
    if (!(w->flags & CQT_WORKER_IGNORE_ERRORS) && !has_handler_locked(w, CQT_WORKER_WARNED)) {
        char text[768];
        snprintf(text, sizeof text,
                 "worker '%s' warns: %s (no 'warned' handler is connected; connect one, or set "
                 "CQT_WORKER_IGNORE_ERRORS)",
                 w->name, buf);
        report_locked(w, text);
    }
    pthread_mutex_unlock(&w->mu);
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
    int rc = emit_begin(w, "cqt_worker_progress");
    if (rc == CQT_OK) {
        cqt_value v = cqt_value_bytes(buf, size);
        emit_locked(w, CQT_WORKER_PROGRESS, &v);
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
    if (handlers) {
        cl = calloc(1, sizeof *cl);
        if (!cl) {
            if (destroy)
                destroy(user_data);
            if (handlers->destroy)
                handlers->destroy(handlers->user_data);
            cqt_set_last_error(CQT_ENOMEM, "cqt_worker_run: out of memory");
            return NULL;
        }
        atomic_store(&cl->refs, 1);
        cl->user_data = handlers->user_data;
        cl->destroy = handlers->destroy;
    }
    cqt_worker *w = (flags & CQT_WORKER_GENERATOR)
                        ? cqt_worker_new_generator(name, fn, user_data, destroy)
                        : cqt_worker_new(name, fn, user_data, destroy);
    if (!w)
        goto fail;
    if (cqt_worker_set_flags(w, flags & ~(unsigned)CQT_WORKER_GENERATOR) != CQT_OK)
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
            if (!connect_closure(w, i, handlers->receiver, fns[i], cl))
                goto fail;
        }
    }
    if (cqt_worker_start(w) != CQT_OK)
        goto fail;
    closure_unref(cl);
    return w;
fail: {
    /* Keep the failure's message across the cleanup below. */
    char msg[512];
    snprintf(msg, sizeof msg, "%s", cqt_last_error());
    int code = CQT_EINVAL;
    if (w) {
        cqt_worker_unref(w);
    }
    closure_unref(cl);
    cqt_set_last_error(code, "cqt_worker_run: %s", msg);
    return NULL;
}
}
