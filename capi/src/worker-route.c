/* SPDX-License-Identifier: MIT */
/* worker-route.c — how a worker's signals reach their handlers.
 *
 * Each worker keeps one "route" per receiver object. A route is a FIFO of
 * (signal, value) items plus the connections whose handlers run in that
 * receiver. Every emit appends to the FIFO of each route that has a
 * handler for the signal, under the worker's mutex, so one receiver sees
 * one total order whatever thread emitted (the mailbox only promises order
 * per sending thread). The route is woken by a queued cqt_invoke_full() to
 * the receiver, whose handle the route holds a reference to
 * (cqt_object_ref): the shim then owns the hard part, a receiver freed
 * concurrently, and tells us by running the wake-up's destroy without its
 * function (or by refusing the call), which marks the route dead. No
 * signal or connection is made per worker: a worker's whole delivery costs
 * its queued calls and nothing else. Each wake-up in flight is a small
 * token holding a worker reference, which its drain consumes, or its
 * destroy gives back when the call was dropped; so no drain or destroy
 * ever reaches a freed worker, and a route never outlives its worker
 * while a token is in flight except to be released.
 *
 * Locks: a route's FIFO, connections and flags are guarded by w->mu; its
 * `dead` flag is atomic (a token's destroy may run in any thread, also
 * inside a refused call made under w->mu), and so is its `removals`
 * count, which a drain reads between handler calls made unlocked. No
 * lock of its own.
 */
#include <cqt/timer.h>

#include "worker-private.h"

#include <stdlib.h>
#include <string.h>

#define DRAIN_CHUNK 512 /* items one drain delivers before yielding to the loop */

static const cqt_value k_none;

typedef struct cqt__worker_closure closure;

typedef struct cqt__worker_item item;
typedef struct cqt__worker_conn conn;
typedef struct cqt__worker_route route;

static atomic_uint_fast64_t g_next_conn = 1;

static bool is_terminal(int which)
{
    return which == CQT_WORKER_RETURNED || which == CQT_WORKER_ERRORED ||
           which == CQT_WORKER_ABORTED || which == CQT_WORKER_FINISHED;
}

void cqt__worker_closure_unref(closure *cl)
{
    if (cl && atomic_fetch_sub(&cl->refs, 1) == 1) {
        if (cl->destroy)
            cl->destroy(cl->user_data);
        if (!cl->embedded)
            free(cl);
    }
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

typedef cqt__worker_item_block block;

/* A zeroed item for @r: one of its slots when free, else carved from its
 * current block. A generator's items are made in its thread and released
 * in the receiver's: one malloc and one cross-thread free per value were
 * the largest share of a yield. Called with w->mu held. */
static item *item_new_locked(route *r)
{
    item *it;
    if (r->slot_used != (1u << CQT__WORKER_ROUTE_SLOTS) - 1) {
        for (int i = 0; i < CQT__WORKER_ROUTE_SLOTS; i++) {
            if (!(r->slot_used & (1u << i))) {
                r->slot_used |= 1u << i;
                it = &r->slot[i];
                memset(it, 0, sizeof *it);
                return it;
            }
        }
    }
    block *b = r->cur;
    if (!b || b->used == CQT__WORKER_BLOCK_ITEMS) {
        /* The full block (if any) still has live items: its last release
         * frees it. */
        b = r->spare ? r->spare : malloc(sizeof *b);
        if (!b)
            return NULL;
        r->spare = NULL;
        b->used = b->live = 0;
        r->cur = b;
    }
    it = &b->items[b->used++];
    b->live++;
    memset(it, 0, sizeof *it);
    it->blk = b;
    return it;
}

/* Releases @it's memory (its value was taken or cleared). Called with
 * w->mu held. */
static void item_release_locked(route *r, item *it)
{
    block *b = it->blk;
    if (!b) {
        r->slot_used &= ~(1u << (unsigned)(it - r->slot));
        return;
    }
    if (--b->live > 0)
        return;
    if (b == r->cur)
        b->used = 0; /* empty: carve from its start again */
    else if (!r->spare)
        r->spare = b;
    else
        free(b);
}

/* A zeroed connection for @r: a slot when free, else allocated. Called
 * with w->mu held. */
static conn *conn_new_locked(route *r)
{
    for (int i = 0; i < CQT__WORKER_ROUTE_SLOTS; i++) {
        if (!(r->cslot_used & (1u << i))) {
            r->cslot_used |= 1u << i;
            conn *c = &r->cslot[i];
            memset(c, 0, sizeof *c);
            return c;
        }
    }
    return calloc(1, sizeof(conn));
}

/* Releases @c's memory (unlinked; its closure released or taken). Called
 * with w->mu held when @c may be a slot. */
static void conn_release_locked(route *r, conn *c)
{
    if (c >= r->cslot && c < r->cslot + CQT__WORKER_ROUTE_SLOTS)
        r->cslot_used &= ~(1u << (unsigned)(c - r->cslot));
    else
        free(c);
}

static void free_items(route *r, item *it)
{
    while (it) {
        item *next = it->next;
        cqt_value_clear(&it->v);
        item_release_locked(r, it);
        it = next;
    }
}

/* A wake-up or throttle shot in flight: a queued call or a timer for the
 * route's receiver. It holds a worker reference (and so the route, which
 * lives as long as the worker), given back by its destroy, which runs
 * after the drain or instead of it. */
typedef cqt__worker_shot shot;

/* The shot whose cqt_invoke_full()/cqt_single_shot_full() this thread is
 * in: a destroy run inside that call is a refusal the caller handles, not
 * a receiver that went away later. */
static _Thread_local shot *tls_calling;

static void shot_fn(void *user_data);
static void shot_destroy(void *user_data);

/* Counts a wake-up or shot in flight and takes its references. Returns:
 * the shot; NULL (nothing taken) when the route is dead or memory ran
 * out. Called with w->mu held. */
static shot *shot_new_locked(cqt_worker *w, route *r)
{
    if (atomic_load(&r->dead))
        return NULL;
    shot *s = atomic_load(&r->shot0_busy) ? malloc(sizeof *s) : &r->shot0;
    if (s == &r->shot0)
        atomic_store(&r->shot0_busy, true);
    if (!s) {
        cqt_log(CQT_MSG_CRITICAL, "worker", "worker '%s': out of memory; a delivery waits for "
                                            "the next signal", w->name);
        return NULL;
    }
    s->r = r;
    s->ran = false;
    cqt_worker_ref(w);
    return s;
}

/* Sends one wake-up to @r's receiver. Called with w->mu held. */
static void route_wake_locked(cqt_worker *w, route *r)
{
    shot *s = shot_new_locked(w, r);
    if (!s)
        return;
    r->scheduled = true;
    tls_calling = s;
    int rc = cqt_invoke_full(r->receiver, shot_fn, s, shot_destroy, CQT_QUEUED);
    tls_calling = NULL;
    if (rc != CQT_OK) {
        /* The receiver was freed or its thread stopped: nothing was queued,
         * and shot_destroy gave the references back. */
        atomic_store(&r->dead, true);
        r->scheduled = false;
    }
}

/* Emits built-in or custom signal @which with a copy of @v to every route
 * with a handler for it. Called with w->mu held. */
void cqt__worker_emit_locked(cqt_worker *w, int which, const cqt_value *v)
{
    if (w->done)
        return;
    uint64_t seq = w->seq++;
    bool terminal = is_terminal(which);
    bool coalesce = w->mode == CQT_YIELD_LATEST &&
                    (which == CQT_WORKER_YIELDED || which == CQT_WORKER_PROGRESS);
    for (route *r = w->routes; r; r = r->next) {
        if (r->counts[which] == 0 || atomic_load(&r->dead))
            continue;
        item **pending = which == CQT_WORKER_YIELDED ? &r->pending_yield : &r->pending_progress;
        item *it;
        if (coalesce && *pending) {
            /* Newest wins, and moves to the back: it is the newest event. */
            it = *pending;
            route_unlink_item(r, it);
            cqt_value_clear(&it->v);
        } else {
            it = item_new_locked(r);
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

bool cqt__worker_has_handler_locked(const cqt_worker *w, int which)
{
    for (const route *r = w->routes; r; r = r->next)
        if (r->counts[which] > 0 && !atomic_load(&r->dead))
            return true;
    return false;
}

/* Whether clearing @v frees something (and may run a user's destroy). */
static bool value_owns(const cqt_value *v)
{
    cqt_value_type t = cqt_value_get_type(v);
    return t != CQT_VALUE_NONE && t != CQT_VALUE_BOOL && t != CQT_VALUE_INT &&
           t != CQT_VALUE_DOUBLE;
}

/* Unlinks and returns @r's removed connections that no handler call
 * holds. Called with w->mu held. */
static conn *unlink_removed_locked(route *r)
{
    conn *reap = NULL;
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
    return reap;
}

/* Gives back the memory of the connections on @reap (their closures
 * released). Called with w->mu held. */
static void release_conns_locked(route *r, conn *reap)
{
    while (reap) {
        conn *c = reap;
        reap = c->next;
        conn_release_locked(r, c);
    }
}

/* Unlinks @r's removed connections that no handler call holds, and
 * releases them. Called with w->mu held, which it drops around the
 * closures' destroys (the user's: they may call into this worker). */
static void reap_locked(cqt_worker *w, route *r)
{
    conn *reap = unlink_removed_locked(r);
    if (!reap)
        return;
    pthread_mutex_unlock(&w->mu);
    for (conn *c = reap; c; c = c->next)
        cqt__worker_closure_unref(c->cl);
    pthread_mutex_lock(&w->mu);
    release_conns_locked(r, reap);
}

/* Runs @c, the only handler of @list's first item, for that item and the
 * ones after it of which it is the only handler too, with w->mu dropped
 * once for the run instead of once per item (a backlog of yields costs
 * one lock round per drain, not per value). The run ends at an item of
 * another signal, at @until (the first sequence another connection of
 * this signal takes), or once a connection of @r is removed (it may be
 * @c). Connections made meanwhile never match: their `since` is past
 * every drained item. Called with w->mu held; returns with it held, and
 * the items after the run. */
static item *dispatch_run_locked(cqt_worker *w, route *r, conn *c, uint64_t until, item *list)
{
    unsigned removals = atomic_load(&r->removals);
    c->busy++;
    pthread_mutex_unlock(&w->mu);
    item *it = list;
    for (;;) {
        c->fn(c->cl->user_data, w, &it->v);
        if (value_owns(&it->v))
            cqt_value_clear(&it->v); /* unlocked: a pointer's destroy is the user's */
        item *next = it->next;
        if (!next || next->which != c->which || next->seq >= until ||
            atomic_load(&r->removals) != removals)
            break;
        it = next;
    }
    item *rest = it->next;
    it->next = NULL;
    pthread_mutex_lock(&w->mu);
    c->busy--;
    while (list) {
        item *next = list->next;
        item_release_locked(r, list);
        list = next;
    }
    reap_locked(w, r);
    return rest;
}

/* Runs the handlers of @list's items in order. Called with w->mu held,
 * which it drops around each handler (and around frees that may run a
 * user's destroy); returns with it released. */
static void dispatch_locked(cqt_worker *w, route *r, item *list)
{
    while (list) {
        item *it = list;
        conn *one = NULL;
        int n = 0;
        uint64_t until = UINT64_MAX;
        for (conn *c = r->conns; c; c = c->next) {
            if (c->removed || c->which != it->which)
                continue;
            if (c->since > it->seq) {
                if (c->since < until)
                    until = c->since;
                continue;
            }
            one = c;
            n++;
        }
        if (n == 1) {
            list = dispatch_run_locked(w, r, one, until, list);
            continue;
        }
        list = it->next;
        for (conn *c = r->conns; c; c = c->next) {
            if (c->removed || c->which != it->which || c->since > it->seq)
                continue;
            c->busy++;
            pthread_mutex_unlock(&w->mu);
            c->fn(c->cl->user_data, w, &it->v);
            pthread_mutex_lock(&w->mu);
            c->busy--;
        }
        conn *reap = unlink_removed_locked(r);
        cqt_value v = it->v;
        item_release_locked(r, it);
        if (reap || value_owns(&v)) {
            /* Unlocked: a closure's or a pointer value's destroy is the
             * user's, and may call into this worker. */
            pthread_mutex_unlock(&w->mu);
            for (conn *c = reap; c; c = c->next)
                cqt__worker_closure_unref(c->cl);
            cqt_value_clear(&v);
            pthread_mutex_lock(&w->mu);
            release_conns_locked(r, reap);
        }
    }
    pthread_mutex_unlock(&w->mu);
}

/* Runs in the receiver's thread, once per wake-up or throttle shot; the
 * shot's worker reference is held until its destroy, after this. */
static void route_drain(route *r)
{
    cqt_worker *w = r->w;
    if (atomic_load(&r->dead))
        return;
    pthread_mutex_lock(&w->mu);
    r->scheduled = false;
    item *list = NULL;
    if (r->head) {
        int64_t now = cqt_now_ns();
        if (w->throttle_ms > 0 && !r->terminal_queued && now < r->next_ns) {
            shot *s = shot_new_locked(w, r);
            if (s) {
                int ms = (int)((r->next_ns - now + 999999) / 1000000);
                r->scheduled = true;
                r->throttled = true;
                tls_calling = s;
                int rc = cqt_single_shot_full(ms, r->receiver, shot_fn, s, shot_destroy);
                tls_calling = NULL;
                if (rc != CQT_OK) {
                    r->scheduled = false; /* shot_destroy gave everything back */
                    r->throttled = false;
                }
                pthread_mutex_unlock(&w->mu);
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
    dispatch_locked(w, r, list);
}

static void shot_fn(void *user_data)
{
    shot *s = user_data;
    s->ran = true;
    route_drain(s->r);
}

/* Runs once per shot: after shot_fn, or instead of it when the call or
 * timer was dropped (the receiver was freed, or its thread ended) or
 * refused. A drop marks the route dead: its receiver is gone for good. */
static void shot_destroy(void *user_data)
{
    shot *s = user_data;
    route *r = s->r;
    cqt_worker *w = r->w; /* alive: this shot still holds its reference */
    bool ran = s->ran, refused = tls_calling == s;
    if (s == &r->shot0)
        atomic_store(&r->shot0_busy, false);
    else
        free(s);
    if (refused) {
        cqt__worker_ref_drop_not_last(w); /* the refused call's caller holds one */
        return;
    }
    if (!ran)
        atomic_store(&r->dead, true);
    cqt_worker_unref(w); /* may free the worker and so the route */
}

/* Gives back a route that route_get_locked made but never linked. */
static void route_free_unused(cqt_worker *w, route *r)
{
    if (r == &w->route0) {
        memset(r, 0, sizeof *r); /* zeroed again, as the worker's calloc left it */
        w->route0_used = false;
    } else {
        free(r);
    }
}

/* Finds or makes the route to @receiver (NULL: resolved to @t). Called
 * with w->mu held. */
static route *route_get_locked(cqt_worker *w, cqt_object *receiver, cqt_thread *t, int *status)
{
    if (!receiver && t == cqt_thread_main())
        receiver = w->core;
    for (route *r = w->routes; r; r = r->next) {
        if (atomic_load(&r->dead))
            continue;
        if (receiver ? r->receiver == receiver : (r->implicit && r->thread == t))
            return r;
    }
    route *r = w->route0_used ? calloc(1, sizeof *r) : &w->route0;
    if (!r) {
        *status = cqt_set_last_error(CQT_ENOMEM, "cqt_worker_connect: worker '%s': out of memory",
                                     w->name);
        return NULL;
    }
    if (r == &w->route0)
        w->route0_used = true; /* zeroed: by calloc, or by route_free_unused */
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
            route_free_unused(w, r);
            return NULL;
        }
        cqt_object_set_name(r->owned, "worker-receiver");
        receiver = r->owned;
    }
    /* A user's receiver may be freed any time: the reference keeps its
     * handle answering (a wake-up to it is then refused or dropped, which
     * marks the route dead). Our own receivers live as long as the worker. */
    if (receiver != r->owned && receiver != w->core) {
        if (!cqt_object_ref(receiver)) {
            *status = cqt_set_last_error(CQT_EINVAL,
                                         "cqt_worker_connect: worker '%s': cannot deliver to "
                                         "object '%s': %s",
                                         w->name, cqt_object_name(receiver), cqt_last_error());
            route_free_unused(w, r);
            return NULL;
        }
        r->receiver_ref = true;
    }
    r->receiver = receiver;
    r->next = w->routes;
    w->routes = r;
    return r;
}

/* ---- connections ------------------------------------------------------------ */

/* Makes the connection checked by cqt__worker_connect_closure. */
static cqt_connection route_connect(cqt_worker *w, int which, cqt_object *receiver,
                                    cqt_thread *t, cqt_worker_slot_fn fn, closure *cl)
{
    static const char f[] = "cqt_worker_connect";
    int rc;
    pthread_mutex_lock(&w->mu);
    if (w->done) {
        pthread_mutex_unlock(&w->mu);
        cqt_set_last_error(CQT_ESTATE,
                           "%s: worker '%s' has finished; connect before cqt_worker_start", f,
                           w->name);
        goto fail;
    }
    route *r = route_get_locked(w, receiver, t, &rc);
    if (!r) {
        pthread_mutex_unlock(&w->mu);
        goto fail;
    }
    conn *c = conn_new_locked(r);
    if (!c) {
        pthread_mutex_unlock(&w->mu);
        cqt_set_last_error(CQT_ENOMEM, "%s: worker '%s': out of memory", f, w->name);
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
    cqt__worker_closure_unref(cl);
    return 0;
}

/* Checks the arguments of a connect and resolves a NULL receiver to a
 * thread with a loop, then connects. */
cqt_connection cqt__worker_connect_closure(cqt_worker *w, int which, cqt_object *receiver,
                                           cqt_worker_slot_fn fn, closure *cl)
{
    static const char f[] = "cqt_worker_connect";
    if (!w) {
        cqt_set_last_error(CQT_EINVAL, "%s: worker is NULL; pass a worker from cqt_worker_new", f);
        goto fail;
    }
    if (cqt__worker_check_app(w, f) != CQT_OK)
        goto fail;
    if (!fn) {
        cqt_set_last_error(CQT_EINVAL, "%s: worker '%s': fn is NULL; pass the handler", f,
                           w->name);
        goto fail;
    }
    /* Built-in ids are valid for every worker; custom ones are counted
     * under mu (cqt_worker_add_signal may run in another thread). */
    int n_sig = CQT_WORKER_N_SIGNALS;
    if (which >= CQT_WORKER_N_SIGNALS) {
        pthread_mutex_lock(&w->mu);
        n_sig += w->n_custom;
        pthread_mutex_unlock(&w->mu);
    }
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
    return route_connect(w, which, receiver, t, fn, cl);
fail:
    cqt__worker_closure_unref(cl);
    return 0;
}

cqt_connection cqt_worker_connect(cqt_worker *w, int which, cqt_object *receiver,
                                  cqt_worker_slot_fn fn, void *user_data, cqt_destroy_fn destroy)
{
    closure *cl = calloc(1, sizeof *cl);
    if (!cl) {
        if (destroy)
            destroy(user_data);
        cqt_set_last_error(CQT_ENOMEM, "cqt_worker_connect: worker '%s': out of memory",
                           cqt__worker_name_or_null(w));
        return 0;
    }
    atomic_store(&cl->refs, 1);
    cl->user_data = user_data;
    cl->destroy = destroy;
    return cqt__worker_connect_closure(w, which, receiver, fn, cl);
}

/* ---- the end of a worker --------------------------------------------------- */

void cqt__worker_routes_free(cqt_worker *w)
{
    conn *conns = NULL;
    for (route *r = w->routes; r; r = r->next) {
        atomic_store(&r->dead, true);
        free_items(r, r->head);
        r->head = r->tail = NULL;
        /* Every item is released: only these two blocks can be left. */
        free(r->cur);
        free(r->spare);
        r->cur = r->spare = NULL;
        while (r->conns) {
            conn *c = r->conns;
            r->conns = c->next;
            c->next = conns;
            conns = c;
        }
    }
    /* No wake-up is in flight: each holds a worker reference. */
    cqt_object_free(w->core);
    for (route *r = w->routes; r; r = r->next) {
        if (r->owned)
            cqt_object_free(r->owned);
        if (r->receiver_ref)
            cqt_object_unref(r->receiver);
    }
    /* The closures' destroys last, as the receivers are gone; a slot
     * connection's memory is its route's, freed below. */
    while (conns) {
        conn *c = conns;
        conns = c->next;
        cqt__worker_closure_unref(c->cl);
        bool in_slot = false;
        for (route *r = w->routes; r && !in_slot; r = r->next)
            in_slot = c >= r->cslot && c < r->cslot + CQT__WORKER_ROUTE_SLOTS;
        if (!in_slot)
            free(c);
    }
    while (w->routes) {
        route *r = w->routes;
        w->routes = r->next;
        if (r != &w->route0)
            free(r);
    }
}

int cqt_worker_disconnect(cqt_worker *w, cqt_connection c)
{
    if (!w || c == 0)
        return cqt_set_last_error(CQT_EINVAL,
                                  "cqt_worker_disconnect: worker '%s': %s; pass a worker and an "
                                  "id from cqt_worker_connect",
                                  cqt__worker_name_or_null(w),
                                  w ? "connection id 0" : "worker is NULL");
    closure *dead = NULL;
    bool found = false;
    pthread_mutex_lock(&w->mu);
    for (route *r = w->routes; r && !found; r = r->next) {
        for (conn **pp = &r->conns; *pp; pp = &(*pp)->next) {
            conn *c2 = *pp;
            if (c2->id != c || c2->removed)
                continue;
            found = true;
            c2->removed = true;
            atomic_fetch_add(&r->removals, 1);
            r->counts[c2->which]--;
            if (c2->busy == 0) {
                *pp = c2->next;
                dead = c2->cl;
                conn_release_locked(r, c2);
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
    cqt__worker_closure_unref(dead); /* unlocked: its destroy is the user's */
    return CQT_OK;
}

/* ---- errors nobody handles ------------------------------------------------ */

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
void cqt__worker_report_locked(cqt_worker *w, const char *text)
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
