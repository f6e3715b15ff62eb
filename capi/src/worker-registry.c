/* SPDX-License-Identifier: MIT */
/* worker-registry.c — the started workers, and the shutdown hook that
 * quits them and waits.
 *
 * A worker is registered from cqt_worker_start until its body returned
 * (or its launch failed). The first registration adds one shutdown hook
 * to the application; cqt_app_shutdown runs it: starts are refused from
 * then on, every registered worker is asked to quit, and the hook waits,
 * bounded by the shutdown's timeout, for the registry to empty, naming the
 * stragglers when it does not. Then it stops the deadline watchdog.
 *
 * cqt_worker_await_all does the same quit-and-wait for the workers
 * registered when it is called, without refusing starts (superqt's
 * await_workers): the application keeps running.
 *
 * g_reg_mu guards the list, the count and the hook's flags, and each
 * worker's reg_* fields. Order: g_reg_mu -> w->mu (the stragglers' states,
 * the pool listing's snapshot).
 */
#include <cqt/app.h>
#include <cqt/worker.h>

#include "worker-private.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static pthread_mutex_t g_reg_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_reg_cond;
static cqt_worker *g_reg_head, *g_reg_tail;
static int g_reg_count;
static bool g_hook_registered, g_shutting_down;
static bool g_hook_ran; /* the hook ran since it was registered (g_reg_mu) */

static pthread_once_t g_once = PTHREAD_ONCE_INIT;

static void init_once(void)
{
    cqt__worker_cond_init(&g_reg_cond);
}

void cqt__worker_registry_remove(cqt_worker *w)
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

/* Takes a reference to every registered worker, in start order.
 * Returns: the array (free it, unref each), NULL when there are none or
 * memory ran out (*n says how many there were). g_reg_mu held. */
static cqt_worker **snapshot_locked(int *n)
{
    *n = g_reg_count;
    cqt_worker **all = *n ? malloc((size_t)*n * sizeof *all) : NULL;
    if (all) {
        int i = 0;
        for (cqt_worker *w = g_reg_head; w; w = w->reg_next)
            all[i++] = cqt_worker_ref(w);
    }
    return all;
}

/* Quits @all outside g_reg_mu: cqt_worker_quit may call a class's
 * interrupt(), which may start a worker (and take g_reg_mu). */
static void quit_all(cqt_worker **all, int n)
{
    for (int k = 0; k < n; k++)
        cqt_worker_quit(all[k]);
}

/* Appends "'name' (state)" of @w to @names (@len bytes used so far). */
static void name_append(char *names, size_t cap, size_t *len, cqt_worker *w)
{
    if (*len >= cap - 1)
        return;
    pthread_mutex_lock(&w->mu);
    cqt_worker_state s = cqt__worker_state_locked(w);
    pthread_mutex_unlock(&w->mu);
    int k = snprintf(names + *len, cap - *len, "%s'%s' (%s)", *len ? ", " : "", w->name,
                     cqt_worker_state_name(s));
    if (k > 0)
        *len = *len + (size_t)k < cap ? *len + (size_t)k : cap - 1;
}

static int shutdown_hook(void *user_data, int timeout_ms)
{
    (void)user_data;
    int64_t deadline = timeout_ms == CQT_FOREVER ? -1 : cqt_now_ns() + (int64_t)timeout_ms * 1000000;
    pthread_mutex_lock(&g_reg_mu);
    g_shutting_down = true;
    g_hook_ran = true;
    int n;
    cqt_worker **all = snapshot_locked(&n);
    pthread_mutex_unlock(&g_reg_mu);
    if (all) {
        quit_all(all, n);
        for (int k = 0; k < n; k++)
            cqt_worker_unref(all[k]);
    }
    free(all);

    /* starts are refused now, so the registry is what was quit */
    int rc = CQT_OK;
    pthread_mutex_lock(&g_reg_mu);
    while (g_reg_count > 0) {
        if (deadline < 0) {
            pthread_cond_wait(&g_reg_cond, &g_reg_mu);
        } else {
            struct timespec ts = cqt__worker_abs_ns(deadline);
            if (pthread_cond_timedwait(&g_reg_cond, &g_reg_mu, &ts) == ETIMEDOUT)
                break;
        }
    }
    if (g_reg_count > 0) {
        char names[1024];
        size_t len = 0;
        names[0] = '\0';
        for (cqt_worker *w = g_reg_head; w; w = w->reg_next)
            name_append(names, sizeof names, &len, w);
        rc = cqt_set_last_error(CQT_ETIMEDOUT,
                                "%d worker(s) did not stop within %d ms although asked to quit: "
                                "%s; make their bodies check cqt_worker_abort_requested() or "
                                "cqt_worker_yield()",
                                g_reg_count, timeout_ms, names);
    }
    pthread_mutex_unlock(&g_reg_mu);
    cqt__worker_deadline_stop();
    return rc;
}

/* How many of @all are still registered (their bodies run). g_reg_mu held. */
static int count_left_locked(cqt_worker **all, int n)
{
    int left = 0;
    for (int k = 0; k < n; k++)
        left += all[k]->in_reg;
    return left;
}

int cqt_worker_await_all(int timeout_ms)
{
    static const char f[] = "cqt_worker_await_all";
    if (timeout_ms < 0 && timeout_ms != CQT_FOREVER)
        return cqt_set_last_error(CQT_EINVAL, "%s: timeout %d ms; pass ms >= 0 or CQT_FOREVER",
                                  f, timeout_ms);
    if (cqt_app_generation() == 0)
        return cqt_set_last_error(CQT_ESTATE, "%s: no application; call cqt_app_init first", f);
    cqt_worker *self = cqt_worker_current();
    if (self)
        return cqt_set_last_error(CQT_EDEADLK,
                                  "%s: called from the body of worker '%s', which would wait "
                                  "for itself; call it from outside any worker",
                                  f, self->name);
    pthread_once(&g_once, init_once);
    int64_t deadline = timeout_ms == CQT_FOREVER ? -1 : cqt_now_ns() + (int64_t)timeout_ms * 1000000;
    pthread_mutex_lock(&g_reg_mu);
    int n;
    cqt_worker **all = snapshot_locked(&n);
    pthread_mutex_unlock(&g_reg_mu);
    if (n == 0)
        return 0;
    if (!all)
        return cqt_set_last_error(CQT_ENOMEM, "%s: out of memory listing %d workers", f, n);
    quit_all(all, n);

    /* Only the workers quit above are waited for: one started meanwhile
     * (starts stay allowed) was not asked to quit. */
    pthread_mutex_lock(&g_reg_mu);
    int left;
    while ((left = count_left_locked(all, n)) > 0) {
        if (deadline < 0) {
            pthread_cond_wait(&g_reg_cond, &g_reg_mu);
        } else {
            struct timespec ts = cqt__worker_abs_ns(deadline);
            if (pthread_cond_timedwait(&g_reg_cond, &g_reg_mu, &ts) == ETIMEDOUT) {
                left = count_left_locked(all, n);
                break;
            }
        }
    }
    if (left > 0) {
        char names[1024];
        size_t len = 0;
        names[0] = '\0';
        for (int k = 0; k < n; k++)
            if (all[k]->in_reg)
                name_append(names, sizeof names, &len, all[k]);
        cqt_set_last_error(CQT_ETIMEDOUT,
                           "%s: %d of %d worker(s) did not stop within %d ms although asked to "
                           "quit: %s; make their bodies check cqt_worker_abort_requested() or "
                           "cqt_worker_yield()",
                           f, left, n, timeout_ms, names);
    }
    pthread_mutex_unlock(&g_reg_mu);
    for (int k = 0; k < n; k++)
        cqt_worker_unref(all[k]);
    free(all);
    return left;
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

bool cqt__worker_registry_add(cqt_worker *w)
{
    pthread_once(&g_once, init_once);
    bool need_hook = false;
    pthread_mutex_lock(&g_reg_mu);
    if (g_shutting_down) {
        pthread_mutex_unlock(&g_reg_mu);
        return false;
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
    return true;
}

int cqt__worker_registry_count(void)
{
    pthread_mutex_lock(&g_reg_mu);
    int n = g_reg_count;
    pthread_mutex_unlock(&g_reg_mu);
    return n;
}

int cqt__worker_registry_visit(int (*begin)(void *ctx, int n),
                               void (*each)(void *ctx, cqt_worker *w), void *ctx)
{
    pthread_mutex_lock(&g_reg_mu);
    int rc = begin(ctx, g_reg_count);
    if (rc == CQT_OK)
        for (cqt_worker *w = g_reg_head; w; w = w->reg_next)
            each(ctx, w);
    pthread_mutex_unlock(&g_reg_mu);
    return rc;
}
