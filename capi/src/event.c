/* SPDX-License-Identifier: MIT */
/* event.c — cqt_event (Python's threading.Event) and waits on many events
 * from one thread: blocking (wait_all/any) or delivered to a receiver's
 * thread (when_all/any).
 *
 * Every multi-event wait registers one node per watched event on that
 * event's watcher list; cqt_event_set() latches the nodes it finds. A
 * blocking wait latches the events it finds already set without a node.
 * No thread is ever started (pitfall P9).
 *
 * Lock order: an event's mutex, then a blocking waiter's mutex. A waiter
 * never takes an event's mutex while holding its own, and no callback into
 * user code or the shim runs with any of these held.
 *
 * Lifecycle of a cqt_event: LIVE from cqt_event_new(); any thread may set,
 * clear, test and wait on it. cqt_event_free() frees it at once when no
 * wait watches it (no node linked, no thread in cqt_event_wait()), and
 * otherwise refuses (CQT_ESTATE, logged, the event leaked) rather than
 * leave a waiter on freed memory. Freeing it while another thread calls it
 * is the caller's use-after-free.
 *
 * Lifecycle of a when_all/any record (struct when_rec):
 *
 *   PENDING     nodes linked; sets latch them. A timer on the receiver
 *               always comes with it: the single shot of the timeout, or
 *               for CQT_FOREVER a watch that does nothing when it ticks.
 *   BY_SET      the set that completed it claimed it; in that thread, with
 *               no event mutex held: nodes unlinked, the result queued to
 *               the receiver (fn, then destroy, run there), the watch
 *               killed. If the receiver is gone (freed, its loop ended) the
 *               queued call is refused and destroy runs right there, inside
 *               cqt_event_set(), in the setting thread.
 *   BY_TIMEOUT  the single shot fired in the receiver's thread: nodes
 *               unlinked, fn and destroy run there.
 *   DROPPED     the timer was destroyed unfired, which the shim does when
 *               the receiver is freed or its thread's loop ends (also at
 *               cqt_app_shutdown): nodes unlinked, destroy runs in that
 *               thread, fn never.
 *
 * The first of these to move the state off PENDING wins (one CAS); the
 * others only drop their references. Nodes are always unlinked before fn
 * or destroy runs, so from either one the watched events may be freed,
 * set or waited on again, and a new when_all/any started (the stage does).
 */
#include <cqt/event.h>
#include <cqt/object.h>
#include <cqt/thread.h>
#include <cqt/timer.h>

#include "cqt-internal.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum node_kind { NODE_WAITER, NODE_WHEN };

/* One wait's registration on one event. */
struct ev_node {
    struct ev_node *prev, *next; /* in ev->watchers; guarded by ev->mu */
    cqt_event *ev;
    void *owner; /* struct waiter or struct when_rec */
    size_t index; /* in the caller's array */
    int kind;
    bool linked;  /* guarded by ev->mu */
    bool latched; /* guarded by ev->mu (and the waiter's mutex for waiters) */
};

struct cqt_event {
    pthread_mutex_t mu;
    pthread_cond_t cond; /* cqt_event_wait() sleeps here */
    atomic_bool flag;      /* written under mu; wait_many peeks without it */
    uint64_t sets;         /* false->true transitions: latches single waits */
    size_t single_waiters; /* threads inside cqt_event_wait() */
    struct ev_node *watchers;
    char name[];
};

/* A blocking wait_all/any: lives on the waiting thread's stack. */
struct waiter {
    pthread_mutex_t mu;
    pthread_cond_t cond;
    bool any;
    bool done;
    bool closed; /* the waiter woke: later sets no longer count for it */
    size_t remaining;
};

/* Who settled a when_all/any; the first to move it off PENDING wins. */
enum when_state { WHEN_PENDING, WHEN_BY_SET, WHEN_BY_TIMEOUT, WHEN_DROPPED };

/* A non-blocking when_all/any. References: the creator while it registers,
 * "pending" (held while any node may be linked; released by whoever
 * settles it), the single-shot timer, and a delivery in flight. */
struct when_rec {
    atomic_int refs;
    atomic_int state;
    atomic_size_t remaining; /* when_all: nodes not latched yet */
    bool any;
    size_t n;
    size_t win_index;          /* when_any settled by a set: that node */
    struct when_rec *fire_next; /* in one cqt_event_set()'s list to settle */
    cqt_object *receiver;
    cqt_when_fn fn;
    void *user_data;
    cqt_destroy_fn destroy;
    int status;
    size_t index;
    int *results;
    /* CQT_FOREVER only: the id of the timer that watches the receiver (its
     * destroy runs when the receiver is freed or its loop ends, and drops
     * the wait); 0 until known, -1 once the record no longer needs it. */
    atomic_int watch_id;
    /* A timeout's deadline (cqt_now_ns), and how many timer destroys are
     * to pass without dropping the wait: one per re-armed single shot
     * (when_timer_fire). */
    int64_t deadline_ns;
    atomic_int rearmed;
    struct ev_node nodes[];
};

enum { WAIT_STACK_NODES = 16, MSG_MAX_NAMES = 8 };

/* The receiver watch of a wait with no timeout ticks this often, doing
 * nothing: only its destroy matters. */
enum { WHEN_WATCH_MS = 3600 * 1000 };

static atomic_uint_fast64_t event_serial;

/* ---- helpers ----------------------------------------------------------- */

static int cond_init_monotonic(pthread_cond_t *cond)
{
    pthread_condattr_t attr;
    int rc = pthread_condattr_init(&attr);
    if (rc != 0)
        return rc;
    /* Timeouts must not jump with the wall clock. */
    rc = pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    if (rc == 0)
        rc = pthread_cond_init(cond, &attr);
    pthread_condattr_destroy(&attr);
    return rc;
}

static struct timespec deadline_after(int ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    ts.tv_sec += ms / 1000;
    ts.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    return ts;
}

/* One sleep on @cond. Returns false once the deadline passed. */
static bool cond_sleep(pthread_cond_t *cond, pthread_mutex_t *mu, int timeout_ms,
                       const struct timespec *deadline)
{
    if (timeout_ms == CQT_FOREVER) {
        pthread_cond_wait(cond, mu);
        return true;
    }
    return pthread_cond_timedwait(cond, mu, deadline) != ETIMEDOUT;
}

/* @from: how many leading elements the caller already found non-NULL. */
static int check_events_from(const char *fn, cqt_event *const *events, size_t n, int timeout_ms,
                             size_t from)
{
    if (!events)
        return cqt_set_last_error(CQT_EINVAL, "%s: events is NULL; pass an array of n live events",
                                  fn);
    if (n == 0)
        return cqt_set_last_error(CQT_EINVAL, "%s: n is 0; pass at least one event", fn);
    for (size_t i = from; i < n; i++)
        if (!events[i])
            return cqt_set_last_error(CQT_EINVAL, "%s: events[%zu] is NULL; pass n live events",
                                      fn, i);
    if (timeout_ms < CQT_FOREVER)
        return cqt_set_last_error(CQT_EINVAL,
                                  "%s: timeout_ms is %d; pass a timeout >= 0 or CQT_FOREVER", fn,
                                  timeout_ms);
    return CQT_OK;
}

static int check_events(const char *fn, cqt_event *const *events, size_t n, int timeout_ms)
{
    return check_events_from(fn, events, n, timeout_ms, 0);
}

/* Writes "'a', 'b' and 3 more" naming the nodes that did not latch. */
static void name_unlatched(char *buf, size_t cap, const struct ev_node *nodes, size_t n)
{
    size_t len = 0, named = 0, missing = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        if (nodes[i].latched)
            continue;
        missing++;
        if (named == MSG_MAX_NAMES || len >= cap)
            continue;
        int w = snprintf(buf + len, cap - len, "%s'%s'", named ? ", " : "", nodes[i].ev->name);
        if (w > 0)
            len += (size_t)w;
        named++;
    }
    if (missing > named && len < cap)
        snprintf(buf + len, cap - len, " and %zu more", missing - named);
}

/* Watcher lists: every function below runs with node->ev->mu held. */

static void node_link(struct ev_node *node)
{
    cqt_event *ev = node->ev;
    node->prev = NULL;
    node->next = ev->watchers;
    if (ev->watchers)
        ev->watchers->prev = node;
    ev->watchers = node;
    node->linked = true;
}

static void node_unlink(struct ev_node *node)
{
    if (!node->linked)
        return;
    if (node->prev)
        node->prev->next = node->next;
    else
        node->ev->watchers = node->next;
    if (node->next)
        node->next->prev = node->prev;
    node->prev = node->next = NULL;
    node->linked = false;
}

/* Unlinks every node. Taking each event's mutex also waits out any
 * cqt_event_set() still walking a list that holds one of them, so once
 * this returns nothing but the owner touches the nodes. */
static void nodes_unregister(struct ev_node *nodes, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        pthread_mutex_lock(&nodes[i].ev->mu);
        node_unlink(&nodes[i]);
        pthread_mutex_unlock(&nodes[i].ev->mu);
    }
}

/* Caller holds node->ev->mu. A latched node leaves its event's list here,
 * under both locks, so the woken waiter need not take that event's mutex
 * again to unlink it: waking after the last of 1,000 sets then costs one
 * lock, not 1,000 (see bench-wait-many). */
static void waiter_latch(struct ev_node *node)
{
    struct waiter *w = node->owner;
    pthread_mutex_lock(&w->mu);
    if (!w->closed && !node->latched) {
        node->latched = true;
        node_unlink(node);
        if (w->any || --w->remaining == 0) {
            w->done = true;
            pthread_cond_signal(&w->cond);
        }
    }
    pthread_mutex_unlock(&w->mu);
}

static bool when_claim(struct when_rec *r, int how)
{
    int expected = WHEN_PENDING;
    return atomic_compare_exchange_strong(&r->state, &expected, how);
}

/* Latches a when node; a set that completes the record claims it and
 * queues it on @fire, to be settled once the event's mutex is released
 * (settling takes other events' mutexes). */
static void when_latch(struct ev_node *node, struct when_rec **fire)
{
    struct when_rec *r = node->owner;
    if (node->latched || atomic_load(&r->state) != WHEN_PENDING)
        return;
    node->latched = true;
    if (!r->any && atomic_fetch_sub(&r->remaining, 1) != 1)
        return;
    if (!when_claim(r, WHEN_BY_SET))
        return;
    r->win_index = node->index;
    r->fire_next = *fire;
    *fire = r;
}

static void node_latch(struct ev_node *node, struct when_rec **fire)
{
    if (node->kind == NODE_WAITER)
        waiter_latch(node);
    else
        when_latch(node, fire);
}

/* ---- events ------------------------------------------------------------ */

cqt_event *cqt_event_new(const char *name)
{
    char defname[32];
    if (!name) {
        unsigned long long id = (unsigned long long)atomic_fetch_add(&event_serial, 1) + 1;
        snprintf(defname, sizeof defname, "event-%llu", id);
        name = defname;
    }
    size_t len = strlen(name);
    cqt_event *ev = malloc(sizeof *ev + len + 1);
    if (!ev) {
        cqt_set_last_error(CQT_ENOMEM, "cqt_event_new: out of memory creating event '%s'", name);
        return NULL;
    }
    if (pthread_mutex_init(&ev->mu, NULL) != 0) {
        free(ev);
        cqt_set_last_error(CQT_ENOMEM, "cqt_event_new: cannot create the mutex of event '%s'",
                           name);
        return NULL;
    }
    if (cond_init_monotonic(&ev->cond) != 0) {
        pthread_mutex_destroy(&ev->mu);
        free(ev);
        cqt_set_last_error(CQT_ENOMEM,
                           "cqt_event_new: cannot create the condition variable of event '%s'",
                           name);
        return NULL;
    }
    ev->flag = false;
    ev->sets = 0;
    ev->single_waiters = 0;
    ev->watchers = NULL;
    memcpy(ev->name, name, len + 1);
    cqt__live_add(CQT__LIVE_EVENTS, 1);
    return ev;
}

void cqt_event_free(cqt_event *ev)
{
    if (!ev)
        return;
    pthread_mutex_lock(&ev->mu);
    bool watched = ev->watchers != NULL || ev->single_waiters > 0;
    pthread_mutex_unlock(&ev->mu);
    if (watched) {
        /* Freeing would leave a waiter reading freed memory; leaking the
         * event is the only safe answer to this misuse. */
        cqt_set_last_error(CQT_ESTATE,
                           "cqt_event_free: event '%s' is still watched by a wait or a "
                           "when_all/any; not freed (leaked); free it once the wait returned or "
                           "its callback ran",
                           ev->name);
        cqt_log(CQT_MSG_CRITICAL, "cqt", "%s", cqt_last_error());
        return;
    }
    pthread_cond_destroy(&ev->cond);
    pthread_mutex_destroy(&ev->mu);
    free(ev);
    cqt__live_add(CQT__LIVE_EVENTS, -1);
}

const char *cqt_event_name(const cqt_event *ev)
{
    return ev ? ev->name : "(null)";
}

static void when_fire_all(struct when_rec *fire);

int cqt_event_set(cqt_event *ev)
{
    if (!ev)
        return cqt_set_last_error(CQT_EINVAL,
                                  "cqt_event_set: event is NULL; pass an event from cqt_event_new()");
    struct when_rec *fire = NULL;
    pthread_mutex_lock(&ev->mu);
    if (!ev->flag) {
        ev->flag = true;
        ev->sets++;
        if (ev->single_waiters)
            pthread_cond_broadcast(&ev->cond);
        struct ev_node *next;
        for (struct ev_node *node = ev->watchers; node; node = next) {
            next = node->next; /* a waiter's node unlinks itself as it latches */
            node_latch(node, &fire);
        }
    }
    pthread_mutex_unlock(&ev->mu);
    when_fire_all(fire);
    return CQT_OK;
}

int cqt_event_clear(cqt_event *ev)
{
    if (!ev)
        return cqt_set_last_error(
            CQT_EINVAL, "cqt_event_clear: event is NULL; pass an event from cqt_event_new()");
    pthread_mutex_lock(&ev->mu);
    ev->flag = false;
    pthread_mutex_unlock(&ev->mu);
    return CQT_OK;
}

bool cqt_event_is_set(const cqt_event *ev)
{
    if (!ev)
        return false;
    /* The mutex is not part of the event's observable state. */
    cqt_event *mut = (cqt_event *)ev;
    pthread_mutex_lock(&mut->mu);
    bool flag = mut->flag;
    pthread_mutex_unlock(&mut->mu);
    return flag;
}

int cqt_event_wait(cqt_event *ev, int timeout_ms)
{
    if (!ev)
        return cqt_set_last_error(
            CQT_EINVAL, "cqt_event_wait: event is NULL; pass an event from cqt_event_new()");
    if (timeout_ms < CQT_FOREVER)
        return cqt_set_last_error(CQT_EINVAL,
                                  "cqt_event_wait: timeout_ms is %d for event '%s'; pass a "
                                  "timeout >= 0 or CQT_FOREVER",
                                  timeout_ms, ev->name);
    struct timespec deadline = {0, 0};
    if (timeout_ms > 0)
        deadline = deadline_after(timeout_ms);
    pthread_mutex_lock(&ev->mu);
    bool ok = ev->flag;
    if (!ok && timeout_ms != 0) {
        /* Waking on a changed count, not only on the flag, latches a set
         * that a clear undid before this thread ran again. */
        uint64_t seen = ev->sets;
        ev->single_waiters++;
        while (!ev->flag && ev->sets == seen)
            if (!cond_sleep(&ev->cond, &ev->mu, timeout_ms, &deadline))
                break;
        ok = ev->flag || ev->sets != seen;
        ev->single_waiters--;
    }
    pthread_mutex_unlock(&ev->mu);
    if (!ok)
        return cqt_set_last_error(CQT_ETIMEDOUT,
                                  "cqt_event_wait: event '%s' was not set within %d ms; set it "
                                  "or wait longer",
                                  ev->name, timeout_ms);
    return CQT_OK;
}

/* ---- blocking waits on many -------------------------------------------- */

/* The flag, read without the event's mutex (stores happen under it). */
static bool event_peek(const cqt_event *ev)
{
    return atomic_load_explicit(&ev->flag, memory_order_acquire);
}

static int wait_many(const char *fname, cqt_event *const *events, size_t n, int timeout_ms,
                     bool any, int *results, size_t *index)
{
    if (index)
        *index = (size_t)-1;

    /* An event seen set here was set while this wait watched it: it is
     * latched without a node, a lock or a link. A waiter that arrives after
     * the sets (in bench-wait-many it usually does) then reads each
     * element and its flag once, in the same pass that checks the array,
     * and nothing else: no allocation, no mutex, no condvar. wait_any
     * stops at the first set event; wait_all at the first clear one (or
     * NULL element), and registers the rest. */
    size_t base = 0, found = n;
    if (events) {
        if (any) {
            for (; base < n && events[base]; base++)
                if (event_peek(events[base])) {
                    found = base++;
                    break;
                }
        } else {
            while (base < n && events[base] && event_peek(events[base]))
                base++;
        }
    }
    /* Elements before base are known non-NULL. */
    int rc = check_events_from(fname, events, n, timeout_ms, base);
    if (rc != CQT_OK)
        return rc;
    if (any) {
        if (found < n) {
            if (index)
                *index = found;
            return CQT_OK;
        }
        base = 0; /* wait_any latches nothing ahead: registers every event */
    } else {
        if (results)
            for (size_t i = 0; i < base; i++)
                results[i] = CQT_OK;
        if (base == n)
            return CQT_OK;
    }

    /* Nodes for events[base..n) only: the ones before are latched. */
    size_t m = n - base;
    struct ev_node stack_nodes[WAIT_STACK_NODES];
    struct ev_node *nodes = stack_nodes;
    if (m > WAIT_STACK_NODES) {
        nodes = m <= SIZE_MAX / sizeof *nodes ? malloc(m * sizeof *nodes) : NULL;
        if (!nodes)
            return cqt_set_last_error(CQT_ENOMEM, "%s: out of memory watching %zu events", fname,
                                      n);
    }
    struct waiter w;
    w.any = any;
    w.done = false;
    w.closed = false;
    w.remaining = m;
    if (pthread_mutex_init(&w.mu, NULL) != 0) {
        rc = cqt_set_last_error(CQT_ENOMEM, "%s: cannot create a mutex", fname);
        goto out_nodes;
    }
    if (cond_init_monotonic(&w.cond) != 0) {
        rc = cqt_set_last_error(CQT_ENOMEM, "%s: cannot create a condition variable", fname);
        goto out_mutex;
    }
    struct timespec deadline = {0, 0};
    if (timeout_ms > 0)
        deadline = deadline_after(timeout_ms);

    /* Sets keep landing while the waiter registers: an event set by now
     * latches as above. Those count against remaining in one step below;
     * until then remaining is only larger, so no set can finish the wait
     * early. */
    size_t preset = 0;
    for (size_t j = 0; j < m; j++) {
        struct ev_node *node = &nodes[j];
        memset(node, 0, sizeof *node);
        node->ev = events[base + j];
        node->owner = &w;
        node->index = base + j;
        node->kind = NODE_WAITER;
        if (event_peek(node->ev)) {
            node->latched = true;
            preset++;
            continue;
        }
        pthread_mutex_lock(&node->ev->mu);
        node_link(node);
        if (node->ev->flag)
            waiter_latch(node);
        pthread_mutex_unlock(&node->ev->mu);
    }
    if (preset) {
        pthread_mutex_lock(&w.mu);
        w.remaining -= preset;
        if (any || w.remaining == 0)
            w.done = true;
        pthread_mutex_unlock(&w.mu);
    }

    pthread_mutex_lock(&w.mu);
    while (!w.done && timeout_ms != 0)
        if (!cond_sleep(&w.cond, &w.mu, timeout_ms, &deadline))
            break;
    /* The answer is what was latched when the waiter woke; sets that land
     * while it unregisters do not change it. */
    w.closed = true;
    bool ok = w.done;
    /* Every node counted down: each was latched, and a latched node is off
     * its event's list (see waiter_latch). */
    bool all_latched = !any && w.remaining == 0;
    pthread_mutex_unlock(&w.mu);

    size_t first = (size_t)-1;
    if (all_latched) {
        /* The common end of wait_all: the wake-up after the last set reads
         * no node, so it costs the same for 1,000 events as for one (the
         * nodes' cache lines were last written by the setters' cores). */
        if (results)
            for (size_t i = base; i < n; i++)
                results[i] = CQT_OK;
    } else {
        /* Once closed, no set touches our nodes' links any more: a latched
         * node was unlinked by its setter (under w.mu, which we have since
         * held); only the others are still in their events' lists. */
        for (size_t j = 0; j < m; j++) {
            if (!nodes[j].linked)
                continue;
            pthread_mutex_lock(&nodes[j].ev->mu);
            node_unlink(&nodes[j]);
            pthread_mutex_unlock(&nodes[j].ev->mu);
        }
        for (size_t j = 0; j < m; j++) {
            if (results)
                results[base + j] = nodes[j].latched ? CQT_OK : CQT_ETIMEDOUT;
            if (nodes[j].latched && first == (size_t)-1)
                first = base + j;
        }
    }
    if (index)
        *index = first;
    if (ok) {
        rc = CQT_OK;
    } else {
        char names[512];
        name_unlatched(names, sizeof names, nodes, m);
        if (any)
            rc = cqt_set_last_error(CQT_ETIMEDOUT,
                                    "%s: none of %zu events was set within %d ms (%s); set one "
                                    "or wait longer",
                                    fname, n, timeout_ms, names);
        else
            rc = cqt_set_last_error(CQT_ETIMEDOUT,
                                    "%s: %zu of %zu events not set within %d ms: %s; set them "
                                    "or wait longer",
                                    fname, w.remaining, n, timeout_ms, names);
    }

    pthread_cond_destroy(&w.cond);
out_mutex:
    pthread_mutex_destroy(&w.mu);
out_nodes:
    if (nodes != stack_nodes)
        free(nodes);
    return rc;
}

int cqt_event_wait_all(cqt_event *const *events, size_t n, int timeout_ms, int *results)
{
    return wait_many("cqt_event_wait_all", events, n, timeout_ms, false, results, NULL);
}

int cqt_event_wait_any(cqt_event *const *events, size_t n, int timeout_ms, size_t *index)
{
    return wait_many("cqt_event_wait_any", events, n, timeout_ms, true, NULL, index);
}

/* ---- non-blocking waits delivered to a receiver ------------------------ */

static void when_ref(struct when_rec *r)
{
    atomic_fetch_add_explicit(&r->refs, 1, memory_order_relaxed);
}

static void when_unref(struct when_rec *r)
{
    if (atomic_fetch_sub_explicit(&r->refs, 1, memory_order_acq_rel) == 1) {
        cqt_object_unref(r->receiver);
        free(r);
    }
}

/* Runs in the thread that claimed @r: unlinks every node, then fixes the
 * outcome from what was latched. A set racing with a timeout may still
 * latch before its node is unlinked; the report then says it was set. */
static void when_settle(struct when_rec *r)
{
    nodes_unregister(r->nodes, r->n);
    size_t nset = 0, first = (size_t)-1;
    for (size_t i = 0; i < r->n; i++) {
        bool set = r->nodes[i].latched;
        r->results[i] = set ? CQT_OK : CQT_ETIMEDOUT;
        if (set && first == (size_t)-1)
            first = i;
        nset += set;
    }
    if (r->any) {
        r->status = nset > 0 ? CQT_OK : CQT_ETIMEDOUT;
        r->index = atomic_load(&r->state) == WHEN_BY_SET ? r->win_index : first;
    } else {
        r->status = nset == r->n ? CQT_OK : CQT_ETIMEDOUT;
        r->index = (size_t)-1;
    }
}

static void when_deliver(void *data)
{
    struct when_rec *r = data;
    r->fn(r->user_data, r->status, r->results, r->n, r->index);
}

static void when_deliver_destroy(void *data)
{
    struct when_rec *r = data;
    if (r->destroy)
        r->destroy(r->user_data);
    when_unref(r);
}

/* A set settled @r: its receiver watch, if any, has nothing left to do.
 * The kill is marshalled to the receiver's thread; there (or when the
 * receiver is freed first) the watch's destroy finds @r settled and only
 * drops its reference. Runs with no event mutex held. */
static void when_unwatch(struct when_rec *r)
{
    int id = atomic_exchange(&r->watch_id, -1);
    if (id > 0)
        (void)cqt_object_kill_timer(r->receiver, id);
}

/* Settles records a set completed and posts their results to the
 * receivers' threads. Runs with no event mutex held. */
static void when_fire_all(struct when_rec *fire)
{
    while (fire) {
        struct when_rec *r = fire;
        fire = r->fire_next;
        when_settle(r);
        when_ref(r);
        /* On failure (the receiver's loop stopped) the destroy already ran:
         * the wait is dropped, as when the receiver is freed. */
        (void)cqt_invoke_full(r->receiver, when_deliver, r, when_deliver_destroy, CQT_QUEUED);
        when_unwatch(r);
        when_unref(r); /* "pending" */
    }
}

/* The timeout fired in the receiver's thread: report unless a set won. */
static void when_timer_destroy(void *data);

/* The timeout's single shot fired. A limit must not end early, and Qt's
 * coarse timers (a single shot of 2 s or more) may fire up to 5% before
 * their interval to align wake-ups: if the deadline is still ahead, arm
 * another shot for the rest (it is precise once under 2 s) and let this
 * shot's destroy pass. Fires in the receiver's thread, as that shot will,
 * so the two never run at once. */
static void when_timer_fire(void *data)
{
    struct when_rec *r = data;
    int64_t left = r->deadline_ns - cqt_now_ns();
    if (left > 0 && atomic_load(&r->state) == WHEN_PENDING) {
        int ms = (int)((left + 999999) / 1000000);
        when_ref(r); /* the next shot's */
        atomic_fetch_add(&r->rearmed, 1);
        if (cqt_single_shot_full(ms, r->receiver, when_timer_fire, r, when_timer_destroy) ==
            CQT_OK)
            return;
        /* Refused (its destroy ran, passing, and dropped its reference): end
         * the wait now rather than never. */
    }
    if (!when_claim(r, WHEN_BY_TIMEOUT))
        return;
    when_settle(r);
    r->fn(r->user_data, r->status, r->results, r->n, r->index);
    if (r->destroy)
        r->destroy(r->user_data);
    when_unref(r); /* "pending" */
}

/* The single shot (or the receiver watch) ended. If nothing settled the
 * record, the timer was dropped before firing: the receiver was freed or
 * its loop stopped (also at cqt_app_shutdown): drop the wait. */
static void when_timer_destroy(void *data)
{
    struct when_rec *r = data;
    int passes = atomic_load(&r->rearmed);
    while (passes > 0 && !atomic_compare_exchange_weak(&r->rearmed, &passes, passes - 1))
        ;
    if (passes > 0) {
        /* A shot that re-armed another (or a re-arm that was refused): the
         * wait goes on, or is ended by the one that re-armed. */
        when_unref(r); /* the timer's */
        return;
    }
    if (when_claim(r, WHEN_DROPPED)) {
        when_settle(r);
        if (r->destroy)
            r->destroy(r->user_data);
        when_unref(r); /* "pending" */
    }
    when_unref(r); /* the timer's */
}

static void when_watch_tick(void *data, cqt_object *o, int id)
{
    (void)data;
    (void)o;
    (void)id;
}

/* A wait with no timeout has no timer whose drop would tell it that the
 * receiver was freed: arm a watch, a periodic object timer on the receiver
 * that does nothing when it ticks. The shim runs a timer's destroy when
 * its object is freed or its thread's loop ends; that destroy drops the
 * wait. Returns CQT_OK, or the start's failure (the watch's destroy has
 * then already dropped the wait, unless a set settled it first). */
static int when_watch(struct when_rec *r)
{
    when_ref(r); /* the watch's */
    int id = cqt_object_start_timer_full(r->receiver, WHEN_WATCH_MS, CQT_TIMER_VERY_COARSE,
                                         when_watch_tick, r, when_timer_destroy);
    if (id <= 0)
        return id < 0 ? id : CQT_EINTERNAL;
    /* A set may have settled the record while the watch started; then
     * nobody else will kill it. */
    int expected = 0;
    if (!atomic_compare_exchange_strong(&r->watch_id, &expected, id))
        (void)cqt_object_kill_timer(r->receiver, id);
    return CQT_OK;
}

static int when_start(const char *fname, bool any, cqt_event *const *events, size_t n,
                      int timeout_ms, cqt_object *receiver, cqt_when_fn fn, void *user_data,
                      cqt_destroy_fn destroy)
{
    int rc = check_events(fname, events, n, timeout_ms);
    if (rc == CQT_OK && !receiver)
        rc = cqt_set_last_error(CQT_EINVAL,
                                "%s: receiver is NULL; pass the object in whose thread fn "
                                "should run",
                                fname);
    if (rc == CQT_OK && !fn)
        rc = cqt_set_last_error(CQT_EINVAL, "%s: fn is NULL; pass the function to call with "
                                            "the result",
                                fname);
    if (rc == CQT_OK) {
        cqt_thread *t = cqt_object_thread(receiver);
        if (!cqt_thread_has_loop(t))
            rc = cqt_set_last_error(CQT_ENOLOOP,
                                    "%s: receiver '%s' lives in thread '%s', which runs no event "
                                    "loop; use a receiver in the main thread or a cqt_thread",
                                    fname, cqt_object_name(receiver), cqt_thread_name(t));
    }
    struct when_rec *r = NULL;
    if (rc == CQT_OK) {
        size_t per = sizeof(struct ev_node) + sizeof(int);
        if (n <= (SIZE_MAX - sizeof *r) / per)
            r = malloc(sizeof *r + n * per);
        if (!r)
            rc = cqt_set_last_error(CQT_ENOMEM, "%s: out of memory watching %zu events", fname,
                                    n);
    }
    if (rc != CQT_OK) {
        if (destroy)
            destroy(user_data);
        return rc;
    }

    atomic_init(&r->refs, 2); /* the creator's and "pending" */
    atomic_init(&r->state, WHEN_PENDING);
    atomic_init(&r->remaining, n);
    r->any = any;
    r->n = n;
    r->win_index = (size_t)-1;
    r->fire_next = NULL;
    /* Held for the record's life: a set that completes after the receiver
     * was freed then finds a dead handle (the call is refused and its
     * destroy runs) rather than freed memory. */
    cqt_object_ref(receiver);
    r->receiver = receiver;
    r->fn = fn;
    r->user_data = user_data;
    r->destroy = destroy;
    r->status = CQT_ETIMEDOUT;
    r->index = (size_t)-1;
    r->results = (int *)(void *)&r->nodes[n];
    atomic_init(&r->watch_id, 0);
    r->deadline_ns = timeout_ms == CQT_FOREVER ? 0 : cqt_now_ns() + (int64_t)timeout_ms * 1000000;
    atomic_init(&r->rearmed, 0);

    for (size_t i = 0; i < n; i++) {
        struct ev_node *node = &r->nodes[i];
        memset(node, 0, sizeof *node);
        node->ev = events[i];
        node->owner = r;
        node->index = i;
        node->kind = NODE_WHEN;
    }
    for (size_t i = 0; i < n && atomic_load(&r->state) == WHEN_PENDING; i++) {
        struct ev_node *node = &r->nodes[i];
        struct when_rec *fire = NULL;
        pthread_mutex_lock(&node->ev->mu);
        /* Whoever settled the record has already swept the nodes; linking
         * after that would leave a node behind on a freed record. The
         * check is under the event's mutex, which the sweep also takes. */
        if (atomic_load(&r->state) == WHEN_PENDING) {
            node_link(node);
            if (node->ev->flag)
                when_latch(node, &fire);
        }
        pthread_mutex_unlock(&node->ev->mu);
        when_fire_all(fire);
    }

    if (atomic_load(&r->state) == WHEN_PENDING) {
        if (timeout_ms != CQT_FOREVER) {
            when_ref(r);
            rc = cqt_single_shot_full(timeout_ms, receiver, when_timer_fire, r,
                                      when_timer_destroy);
        } else {
            rc = when_watch(r);
        }
        /* The timer's destroy has dropped the wait, unless a set settled it
         * first and its result is on its way. */
        if (rc != CQT_OK && atomic_load(&r->state) == WHEN_BY_SET)
            rc = CQT_OK;
    }
    when_unref(r); /* the creator's */
    return rc;
}

int cqt_event_when_all(cqt_event *const *events, size_t n, int timeout_ms, cqt_object *receiver,
                       cqt_when_fn fn, void *user_data, cqt_destroy_fn destroy)
{
    return when_start("cqt_event_when_all", false, events, n, timeout_ms, receiver, fn, user_data,
                      destroy);
}

int cqt_event_when_any(cqt_event *const *events, size_t n, int timeout_ms, cqt_object *receiver,
                       cqt_when_fn fn, void *user_data, cqt_destroy_fn destroy)
{
    return when_start("cqt_event_when_any", true, events, n, timeout_ms, receiver, fn, user_data,
                      destroy);
}
