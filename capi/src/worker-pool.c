/* SPDX-License-Identifier: MIT */
/* worker-pool.c — cqt/pool.h's view of the workers on the pool: how many
 * are active, and a snapshot of them. Reads the registry through its
 * visit (worker-registry.c owns g_reg_mu); takes each worker's mu. */
#include <cqt/pool.h>

#include "worker-private.h"

#include <stdio.h>
#include <stdlib.h>

typedef struct snapshot {
    cqt_pool_entry *list;
    size_t n;
    int64_t now;
} snapshot;

/* Under g_reg_mu: allocates room for the @n registered workers. */
static int snapshot_begin(void *ctx, int n)
{
    snapshot *s = ctx;
    if (n == 0)
        return CQT_OK;
    s->list = calloc((size_t)n, sizeof *s->list);
    if (!s->list)
        return cqt_set_last_error(CQT_ENOMEM, "cqt_pool_list: out of memory");
    s->now = cqt_now_ns();
    return CQT_OK;
}

/* Under g_reg_mu: one worker, read under its own mu. */
static void snapshot_add(void *ctx, cqt_worker *w)
{
    snapshot *s = ctx;
    cqt_pool_entry *e = &s->list[s->n++];
    pthread_mutex_lock(&w->mu);
    e->id = w->id;
    snprintf(e->name, sizeof e->name, "%s", w->name);
    e->state = cqt__worker_state_locked(w);
    e->running_ms = w->ran ? ((w->body_returned ? w->end_ns : s->now) - w->run_ns) / 1000000 : 0;
    pthread_mutex_unlock(&w->mu);
}

int cqt_pool_active_count(void)
{
    return cqt__worker_registry_count();
}

int cqt_pool_list(cqt_pool_entry **out, size_t *n)
{
    if (!out || !n)
        return cqt_set_last_error(CQT_EINVAL, "cqt_pool_list: %s is NULL; pass where to store it",
                                  out ? "n" : "out");
    *out = NULL;
    *n = 0;
    snapshot s = {0};
    int rc = cqt__worker_registry_visit(snapshot_begin, snapshot_add, &s);
    if (rc != CQT_OK)
        return rc;
    *out = s.list;
    *n = s.n;
    return CQT_OK;
}

void cqt_pool_list_free(cqt_pool_entry *list)
{
    free(list);
}
