/* SPDX-License-Identifier: MIT */
/* bench-wait-many.c — 1,000 events set from 4 threads, one waiter: the
 * wake latency after the last set, and the threads the wait needs. */
#include "bench.h"

#include <cqt/cqt.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#define EVENTS 1000
#define SETTERS 4
#define ROUNDS 50

static int64_t g_last_set[SETTERS];
static pthread_barrier_t g_go;

/* ---- cqt_event_wait_all ------------------------------------------------- */

static cqt_event *g_ev[EVENTS];

static void *cqt_setter(void *u)
{
    int s = (int)(intptr_t)u;
    pthread_barrier_wait(&g_go);
    for (int i = s; i < EVENTS; i += SETTERS) {
        g_last_set[s] = bench_now_ns();
        cqt_event_set(g_ev[i]);
    }
    return NULL;
}

/* ---- the seeds' approach: a waiting thread per event ------------------------ */

typedef struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int set;
} flag;

static flag g_flags[EVENTS];

static void flag_set(flag *f)
{
    pthread_mutex_lock(&f->mu);
    f->set = 1;
    pthread_cond_signal(&f->cv);
    pthread_mutex_unlock(&f->mu);
}

static void *flag_waiter(void *u)
{
    flag *f = u;
    pthread_mutex_lock(&f->mu);
    while (!f->set)
        pthread_cond_wait(&f->cv, &f->mu);
    pthread_mutex_unlock(&f->mu);
    return NULL;
}

static void *flag_setter(void *u)
{
    int s = (int)(intptr_t)u;
    pthread_barrier_wait(&g_go);
    for (int i = s; i < EVENTS; i += SETTERS) {
        g_last_set[s] = bench_now_ns();
        flag_set(&g_flags[i]);
    }
    return NULL;
}

/* ---- floor: one counter and one condvar ---------------------------------- */

static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_cv = PTHREAD_COND_INITIALIZER;
static int g_left;

static void *count_setter(void *u)
{
    int s = (int)(intptr_t)u;
    pthread_barrier_wait(&g_go);
    for (int i = s; i < EVENTS; i += SETTERS) {
        g_last_set[s] = bench_now_ns();
        pthread_mutex_lock(&g_mu);
        if (--g_left == 0)
            pthread_cond_signal(&g_cv);
        pthread_mutex_unlock(&g_mu);
    }
    return NULL;
}

static int64_t last_set(void)
{
    int64_t m = 0;
    for (int s = 0; s < SETTERS; s++)
        m = g_last_set[s] > m ? g_last_set[s] : m;
    return m;
}

static int run(const bench_variant *v)
{
    int argc = 1;
    char *argv[] = {"bench", NULL};
    if (v->arg == 0 && cqt_app_init(&argc, argv, CQT_APP_CORE) != CQT_OK)
        return bench_fail("cqt_app_init: %s", cqt_last_error());
    /* BENCH_SCALE scales the rounds, so that callgrind can difference two
     * runs: (Ir(6 rounds) - Ir(2 rounds)) / 4 is the cost of one round. */
    int rounds = (int)bench_scaled(ROUNDS);
    double lat[ROUNDS * 4];
    if (rounds > ROUNDS * 4)
        rounds = ROUNDS * 4;
    int extra_max = 0;
    for (int r = 0; r < rounds; r++) {
        pthread_barrier_init(&g_go, NULL, SETTERS + 1);
        pthread_t setters[SETTERS];
        pthread_t *waiters = NULL;
        int base_threads = bench_thread_count();
        int64_t woke;
        if (v->arg == 0) {
            for (int i = 0; i < EVENTS; i++)
                g_ev[i] = cqt_event_new(NULL);
            for (int s = 0; s < SETTERS; s++)
                pthread_create(&setters[s], NULL, cqt_setter, (void *)(intptr_t)s);
            int extra = bench_thread_count() - base_threads - SETTERS;
            extra_max = extra > extra_max ? extra : extra_max;
            pthread_barrier_wait(&g_go);
            int results[EVENTS];
            if (cqt_event_wait_all(g_ev, EVENTS, 10000, results) != CQT_OK)
                return bench_fail("cqt_event_wait_all: %s", cqt_last_error());
            woke = bench_now_ns();
        } else if (v->arg == 1) {
            waiters = malloc(sizeof *waiters * EVENTS);
            for (int i = 0; i < EVENTS; i++) {
                g_flags[i].set = 0;
                pthread_mutex_init(&g_flags[i].mu, NULL);
                pthread_cond_init(&g_flags[i].cv, NULL);
                pthread_create(&waiters[i], NULL, flag_waiter, &g_flags[i]);
            }
            for (int s = 0; s < SETTERS; s++)
                pthread_create(&setters[s], NULL, flag_setter, (void *)(intptr_t)s);
            int extra = bench_thread_count() - base_threads - SETTERS;
            extra_max = extra > extra_max ? extra : extra_max;
            pthread_barrier_wait(&g_go);
            for (int i = 0; i < EVENTS; i++)
                pthread_join(waiters[i], NULL);
            woke = bench_now_ns();
        } else {
            g_left = EVENTS;
            for (int s = 0; s < SETTERS; s++)
                pthread_create(&setters[s], NULL, count_setter, (void *)(intptr_t)s);
            pthread_barrier_wait(&g_go);
            pthread_mutex_lock(&g_mu);
            while (g_left > 0)
                pthread_cond_wait(&g_cv, &g_mu);
            pthread_mutex_unlock(&g_mu);
            woke = bench_now_ns();
        }
        for (int s = 0; s < SETTERS; s++)
            pthread_join(setters[s], NULL);
        lat[r] = (double)(woke - last_set()) / 1000.0;
        if (v->arg == 0)
            for (int i = 0; i < EVENTS; i++)
                cqt_event_free(g_ev[i]);
        free(waiters);
        pthread_barrier_destroy(&g_go);
    }
    bench_sort(lat, (size_t)rounds);
    bench_report("latency_us", bench_percentile(lat, (size_t)rounds, 0.5));
    bench_report("extra_threads", extra_max);
    if (v->arg == 0)
        cqt_app_shutdown(5000);
    return 0;
}

static const bench_variant variants[] = {
    {"cqt_event_wait_all", run, 0, 0, 0},
    {"seeds: one waiting thread per event", run, 0, 1, 0},
    {"floor: counter + condvar", run, 0, 2, 0},
};

static const bench_metric metrics[] = {
    {"latency_us", "wake latency after the last set (median of 50 rounds)", "us",
     "floor: counter + condvar", false},
    {"extra_threads", "threads the wait adds", "threads", NULL, false},
};

int main(int argc, char **argv)
{
    bench_scenario s = {"wait on many",
                        "1,000 events set from 4 threads; one thread waits for all of them. "
                        "Latency: from the last set to the waiter running again.",
                        variants, sizeof variants / sizeof *variants, metrics,
                        sizeof metrics / sizeof *metrics};
    return bench_main(argc, argv, &s);
}
