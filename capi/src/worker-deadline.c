/* SPDX-License-Identifier: MIT */
/* worker-deadline.c — cqt_worker_set_deadline's watchdog.
 *
 * Why a raw pthread and not cqt's own timers: a deadline must fire while
 * no cqt loop that could host a timer is free to run it. The body runs in
 * a pool thread, which has no event loop (or in its dedicated thread,
 * whose loop is busy running the body); the main thread is the one that
 * typically sits in cqt_worker_wait() for this very worker, a blocking
 * wait that runs no events (test_worker_deadline_emits_timed_out_then_aborts).
 * A cqt_thread of our own would be an application thread: created per
 * application, stopped by cqt_app_shutdown and counted in its live
 * threads. One plain thread, started on the first armed deadline, blocked
 * on a condition variable until the nearest deadline, needs none of that;
 * the shutdown hook stops it after its wait for the workers
 * (cqt__worker_deadline_stop), and the next armed deadline starts it again.
 * Deadlines are few (one per running worker
 * that asked for one), so a linear list is enough.
 *
 * g_wd_mu guards the list, the thread's flags and each worker's wd_*
 * fields; it is taken alone (never with w->mu held).
 */
#include "worker-private.h"

#include <stdint.h>

static pthread_mutex_t g_wd_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_wd_cond;
static cqt_worker *g_wd_head;
static pthread_t g_wd_thread;
static bool g_wd_running, g_wd_stop;

static pthread_once_t g_once = PTHREAD_ONCE_INIT;

static void init_once(void)
{
    cqt__worker_cond_init(&g_wd_cond);
}

static void deadline_fire(cqt_worker *w)
{
    pthread_mutex_lock(&w->mu);
    bool interrupt = false;
    if (!w->done && !w->quit) {
        cqt_value v = cqt_value_int(w->deadline_ms);
        cqt__worker_emit_locked(w, CQT_WORKER_TIMED_OUT, &v);
        interrupt = cqt__worker_quit_locked(w); /* in the same critical section: aborted follows */
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
        int64_t now = cqt_now_ns();
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
            struct timespec ts = cqt__worker_abs_ns(next);
            pthread_cond_timedwait(&g_wd_cond, &g_wd_mu, &ts);
        }
    }
    pthread_mutex_unlock(&g_wd_mu);
    return NULL;
}

void cqt__worker_deadline_arm(cqt_worker *w)
{
    pthread_once(&g_once, init_once);
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
    w->deadline_ns = cqt_now_ns() + (int64_t)w->deadline_ms * 1000000;
    w->wd_armed = true;
    w->wd_next = g_wd_head;
    g_wd_head = cqt_worker_ref(w);
    pthread_cond_signal(&g_wd_cond);
    pthread_mutex_unlock(&g_wd_mu);
}

void cqt__worker_deadline_disarm(cqt_worker *w)
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
        cqt__worker_ref_drop_not_last(w); /* the body's caller holds the run reference */
}

void cqt__worker_deadline_stop(void)
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
