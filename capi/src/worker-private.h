/* SPDX-License-Identifier: MIT */
/* worker-private.h — what the worker's files share, and nothing more.
 * Never installed; nothing here is exported (hidden visibility).
 *
 * The worker is four files, one mechanism and one lock each:
 *   worker.c           the handle and its state machine (w->mu)
 *   worker-route.c     delivery to receivers, per-receiver routes (under w->mu)
 *   worker-deadline.c  the deadline watchdog thread (g_wd_mu)
 *   worker-registry.c  started workers and the shutdown hook (g_reg_mu)
 * plus worker-pool.c, cqt/pool.h's listing, built on the registry's visit.
 * Each global lock is static in its file; the fields of struct cqt_worker
 * it guards are marked below.
 *
 * Lock order: g_reg_mu -> w->mu. g_wd_mu is taken alone.
 */
#ifndef CQT_WORKER_PRIVATE_H
#define CQT_WORKER_PRIVATE_H

#include <cqt/object.h>
#include <cqt/thread.h>
#include <cqt/value.h>
#include <cqt/worker.h>

#include "cqt-internal.h"

#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#define N_SIG_MAX (CQT_WORKER_N_SIGNALS + CQT_WORKER_MAX_CUSTOM_SIGNALS)

enum { KIND_FUNCTION, KIND_GENERATOR, KIND_CUSTOM };

/* User data shared by one or more connections (cqt_worker_run shares one
 * among all its handlers); destroy runs when the last one ends. */
typedef struct cqt__worker_closure {
    atomic_int refs;
    void *user_data;
    cqt_destroy_fn destroy;
    bool embedded; /* the worker's run_cl: its memory goes with the worker */
} cqt__worker_closure;

/* ---- worker-route.c's records, embedded in the worker where they can be -- */

/* One emitted signal waiting for a route's drain. */
typedef struct cqt__worker_item {
    struct cqt__worker_item *prev, *next;
    struct cqt__worker_item_block *blk; /* the block it was carved from; NULL: a slot */
    int which;
    uint64_t seq;
    cqt_value v;
} cqt__worker_item;

/* Items carved in order from one allocation (worker-route.c): a generator
 * that runs ahead of its receiver costs one malloc per block, not one per
 * value. Freed, or kept as the route's spare, once its last item is. */
#define CQT__WORKER_BLOCK_ITEMS 64
typedef struct cqt__worker_item_block {
    int used; /* items carved so far */
    int live; /* carved and not yet released */
    cqt__worker_item items[CQT__WORKER_BLOCK_ITEMS];
} cqt__worker_item_block;

/* One handler. */
typedef struct cqt__worker_conn {
    struct cqt__worker_conn *next;
    cqt_connection id;
    int which;
    uint64_t since;  /* deliver items emitted at or after this sequence */
    cqt_worker_slot_fn fn;
    cqt__worker_closure *cl;
    int busy;        /* handler calls running now */
    bool removed;    /* disconnected; unlinked once busy == 0 */
} cqt__worker_conn;

/* A wake-up or throttle shot in flight (worker-route.c). */
typedef struct cqt__worker_shot {
    struct cqt__worker_route *r;
    bool ran;
} cqt__worker_shot;

/* Items (and connections) a route holds without allocating: a function
 * worker's started, outcome and finished (and handlers for them) fit. */
#define CQT__WORKER_ROUTE_SLOTS 3

/* Delivery to one receiver (worker-route.c). Lives as long as its worker:
 * every wake-up in flight holds a worker reference. */
typedef struct cqt__worker_route {
    struct cqt__worker_route *next;
    cqt_object *receiver; /* a reference (cqt_object_ref), or == owned, or the worker's core */
    cqt_object *owned;    /* internal receiver for a NULL receiver; freed with the worker */
    cqt_thread *thread;   /* the thread a NULL receiver resolved to */
    bool implicit;        /* made for a NULL receiver */
    bool receiver_ref;    /* receiver is a user's object we hold a reference to */
    atomic_bool dead;     /* its receiver is gone (or the worker): never woken again */
    struct cqt_worker *w; /* fixed */
    /* guarded by w->mu */
    cqt__worker_item *head, *tail;
    cqt__worker_item *pending_yield, *pending_progress;
    cqt__worker_conn *conns;
    atomic_uint removals; /* bumped (under w->mu) by every disconnect: ends a dispatch run */
    int counts[N_SIG_MAX];
    bool scheduled, throttled, terminal_queued;
    int64_t next_ns;
    cqt__worker_item_block *cur;   /* the block items are carved from now */
    cqt__worker_item_block *spare; /* an emptied block kept for the next */
    unsigned slot_used; /* bit i: slot[i] holds an item */
    cqt__worker_item slot[CQT__WORKER_ROUTE_SLOTS];
    unsigned cslot_used; /* bit i: cslot[i] holds a connection */
    cqt__worker_conn cslot[CQT__WORKER_ROUTE_SLOTS];
    /* One shot without allocating: taken under w->mu, given back by its
     * destroy in the receiver's thread (or any thread that drops it). */
    atomic_bool shot0_busy;
    cqt__worker_shot shot0;
} cqt__worker_route;

/* One launch of a body (worker.c), shared by cqt_worker_start() and the
 * task's destroy; in the worker, which both hold a reference to. */
typedef struct cqt__worker_launch {
    /* Published with release by start() and read with acquire by the task:
     * the pool's own hand-off is inside Qt, invisible to ThreadSanitizer. */
    _Atomic(struct cqt_worker *) w;
    atomic_int phase; /* 0; 1 start() saw success; 2 dropped before that */
    bool ran;
} cqt__worker_launch;

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
    uint64_t gen; /* the application that made it (cqt_app_generation) */
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
    struct cqt__worker_route *routes; /* worker-route.c's, under mu */
    bool route0_used;                 /* route0 is in routes (under mu) */
    cqt__worker_closure run_cl;       /* cqt_worker_run's handlers' closure */
    bool run_cl_at_free;              /* a failed cqt_worker_run left run_cl's first reference */
    struct cqt__worker_route route0;  /* the first route, not allocated */
    cqt_value *sendq;
    int sq_head, sq_len, sq_size;
    bool failed;
    int err_code;
    char *err_msg;

    cqt__worker_launch launch; /* worker.c: the current start's */

    /* dedicated thread */
    cqt_thread *thread;
    cqt_object *thread_obj;

    /* worker-registry.c, guarded by its g_reg_mu */
    struct cqt_worker *reg_prev, *reg_next;
    bool in_reg;

    /* worker-deadline.c, guarded by its g_wd_mu */
    struct cqt_worker *wd_next;
    bool wd_armed;
    int64_t deadline_ns;
};

/* ---- small shared pieces ------------------------------------------------ */

/* Drops a reference the caller knows is not the last (another is held). */
static inline void cqt__worker_ref_drop_not_last(cqt_worker *w)
{
    atomic_fetch_sub(&w->refs, 1);
}

static inline const char *cqt__worker_name_or_null(const cqt_worker *w)
{
    return w ? w->name : "(null)";
}

/* Absolute CLOCK_MONOTONIC time @t (cqt_now_ns), for
 * pthread_cond_timedwait on a condition made by cqt__worker_cond_init. */
static inline struct timespec cqt__worker_abs_ns(int64_t t)
{
    struct timespec ts = {.tv_sec = (time_t)(t / 1000000000), .tv_nsec = (long)(t % 1000000000)};
    return ts;
}

/* Initialises @c to time its waits on CLOCK_MONOTONIC. */
static inline void cqt__worker_cond_init(pthread_cond_t *c)
{
    pthread_condattr_t a;
    pthread_condattr_init(&a);
    pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
    pthread_cond_init(c, &a);
    pthread_condattr_destroy(&a);
}

/* ---- worker.c: the state machine ---------------------------------------- */

/* @w's state now. Called with w->mu held. */
cqt_worker_state cqt__worker_state_locked(const cqt_worker *w);

/* Sets the abort flag (and, with return-on-cancel, reports the end).
 * Returns: whether the class's interrupt() should be called, after
 * unlocking. Called with w->mu held. */
bool cqt__worker_quit_locked(cqt_worker *w);

/* CQT_OK when @w belongs to the running application, else CQT_ESTATE with
 * cqt_last_error set for function @f. */
int cqt__worker_check_app(const cqt_worker *w, const char *f);

/* ---- worker-route.c: delivery (under w->mu) ----------------------------- */

/* Emits built-in or custom signal @which with a copy of @v to every route
 * with a handler for it. Called with w->mu held. */
void cqt__worker_emit_locked(cqt_worker *w, int which, const cqt_value *v);

/* Whether some live route has a handler for @which. Called with w->mu held. */
bool cqt__worker_has_handler_locked(const cqt_worker *w, int which);

/* cqt_worker_connect with a closure that may be shared (cqt_worker_run).
 * Consumes one reference of @cl in every case.
 * Returns: the connection id; 0 with cqt_last_error set. Thread: any. */
cqt_connection cqt__worker_connect_closure(cqt_worker *w, int which, cqt_object *receiver,
                                           cqt_worker_slot_fn fn, cqt__worker_closure *cl);

/* Logs @text in the main thread, queued to w->core so that it comes before
 * `finished` reaches any handler there (an error nobody handles is never
 * swallowed). Called with w->mu held; the caller holds a reference. */
void cqt__worker_report_locked(cqt_worker *w, const char *text);

/* Drops a reference to @cl; the last one runs its destroy. NULL is ignored. */
void cqt__worker_closure_unref(cqt__worker_closure *cl);

/* Ends every route of @w and frees w->core, the main thread's receiver:
 * pending items are freed, handler closures and receiver references
 * released (no wake-up is in flight: each holds a worker reference).
 * From worker_free() only. */
void cqt__worker_routes_free(cqt_worker *w);

/* ---- worker-deadline.c: the watchdog (g_wd_mu) -------------------------- */

/* Arms @w's deadline (w->deadline_ms from now); takes a reference that
 * cqt__worker_deadline_disarm or the firing gives back. From the body's
 * thread, before the body runs. */
void cqt__worker_deadline_arm(cqt_worker *w);

/* Disarms @w's deadline if it has not fired. From the body's thread, after
 * the body returned; the caller holds a reference. */
void cqt__worker_deadline_disarm(cqt_worker *w);

/* Stops the watchdog thread and drops every armed deadline. From the
 * shutdown hook, once the workers stopped (or were given up on). */
void cqt__worker_deadline_stop(void);

/* ---- worker-registry.c: started workers (g_reg_mu) ---------------------- */

/* Registers @w as started, so cqt_app_shutdown() quits and waits for it.
 * Returns: false when shutdown has begun (nothing was registered). */
bool cqt__worker_registry_add(cqt_worker *w);

/* Unregisters @w (no-op if it is not registered); wakes the shutdown wait. */
void cqt__worker_registry_remove(cqt_worker *w);

/* How many workers are registered now. Thread: any. */
int cqt__worker_registry_count(void);

/* Calls @begin(ctx, n) with the number of registered workers, then, if it
 * returned CQT_OK and n > 0, @each(ctx, w) for each of them in start order,
 * all under g_reg_mu (they may take w->mu, no other lock).
 * Returns: what @begin returned. */
int cqt__worker_registry_visit(int (*begin)(void *ctx, int n),
                               void (*each)(void *ctx, cqt_worker *w), void *ctx);

#endif /* CQT_WORKER_PRIVATE_H */
