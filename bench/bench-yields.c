/* SPDX-License-Identifier: MIT */
/* bench-yields.c — a generator worker yields 100,000 int64 values, each
 * delivered in order to the main thread; and, with CQT_YIELD_LATEST, the
 * main loop's worst latency while 1,000,000 values are yielded. */
#include "bench.h"
#include "peers/qt-peers.h"

#include <cqt/cqt.h>
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

#define VALUES 100000L
#define FLOOD 1000000L

static long g_n, g_next, g_bad;
static int64_t g_last_tick, g_worst;
static cqt_timer *g_tick;

static int body(void *u, cqt_worker *w, cqt_value *result)
{
    for (long i = 0; i < g_n; i++) {
        cqt_value v = cqt_value_int(i);
        if (cqt_worker_yield(w, &v, NULL) < 0)
            return CQT_ECANCELED;
    }
    return CQT_OK;
}

static void on_yielded(void *u, cqt_worker *w, const cqt_value *arg)
{
    int64_t v = cqt_value_get_int(arg);
    if (u) { /* latest mode: values may be skipped, never go back */
        if (v < g_next)
            g_bad++;
        g_next = v + 1;
    } else if (v != g_next++) {
        g_bad++;
    }
}

static void on_finished(void *u, cqt_worker *w, const cqt_value *arg)
{
    cqt_app_quit(0);
}

/* A 1 ms heartbeat in the main loop: the largest gap is the loop latency. */
static void on_tick(void *u, const cqt_value *arg)
{
    int64_t now = bench_now_ns();
    if (g_last_tick && now - g_last_tick > g_worst)
        g_worst = now - g_last_tick;
    g_last_tick = now;
}

static int run_cqt(const bench_variant *v)
{
    int argc = 1;
    char *argv[] = {"bench", NULL};
    if (cqt_app_init(&argc, argv, CQT_APP_CORE) != CQT_OK)
        return bench_fail("cqt_app_init: %s", cqt_last_error());
    int latest = v->arg == 1;
    g_n = bench_scaled(latest ? FLOOD : VALUES);
    cqt_object *main_obj = cqt_object_new(NULL);
    if (latest) {
        g_tick = cqt_timer_new(main_obj, "heartbeat");
        cqt_timer_set_type(g_tick, CQT_TIMER_PRECISE);
        cqt_connect(cqt_timer_timeout(g_tick), main_obj, on_tick, NULL, NULL, CQT_AUTO);
        cqt_timer_start(g_tick, 1);
    }
    cqt_worker *w = cqt_worker_new_generator("gen", body, NULL, NULL);
    if (latest)
        cqt_worker_set_yield_mode(w, CQT_YIELD_LATEST, 0);
    cqt_worker_connect(w, CQT_WORKER_YIELDED, NULL, on_yielded, latest ? (void *)1 : NULL, NULL);
    cqt_worker_connect(w, CQT_WORKER_FINISHED, NULL, on_finished, NULL, NULL);
    int64_t t0 = bench_now_ns();
    cqt_worker_start(w);
    cqt_app_exec();
    int64_t t1 = bench_now_ns();
    cqt_worker_unref(w);
    cqt_object_free(main_obj);
    cqt_app_shutdown(5000);
    if (g_bad || (!latest && g_next != g_n) || (latest && g_next != g_n))
        return bench_fail("%s: %ld values, %ld out of order", v->name, g_next, g_bad);
    if (latest) {
        bench_report("loop_latency_ms", (double)g_worst / 1e6);
        bench_report("ns_per_value_latest", (double)(t1 - t0) / (double)g_n);
    } else {
        bench_report("ns_per_value", (double)(t1 - t0) / (double)g_n);
    }
    return 0;
}

/* The floor for the latency figure: the same heartbeat while a plain
 * pthread keeps the other core busy storing 1,000,000 "latest" values
 * under a mutex (no cqt in the path). What this shows is the scheduler's
 * own share of the worst gap on this machine. */
static pthread_mutex_t g_slot_mu = PTHREAD_MUTEX_INITIALIZER;
static volatile int64_t g_slot;

static void *spinner(void *u)
{
    for (long i = 0; i < g_n; i++) {
        pthread_mutex_lock(&g_slot_mu);
        g_slot = i;
        pthread_mutex_unlock(&g_slot_mu);
    }
    cqt_app_quit(0);
    return u;
}

static int run_floor(const bench_variant *v)
{
    int argc = 1;
    char *argv[] = {"bench", NULL};
    if (cqt_app_init(&argc, argv, CQT_APP_CORE) != CQT_OK)
        return bench_fail("cqt_app_init: %s", cqt_last_error());
    g_n = bench_scaled(FLOOD);
    cqt_object *main_obj = cqt_object_new(NULL);
    g_tick = cqt_timer_new(main_obj, "heartbeat");
    cqt_timer_set_type(g_tick, CQT_TIMER_PRECISE);
    cqt_connect(cqt_timer_timeout(g_tick), main_obj, on_tick, NULL, NULL, CQT_AUTO);
    cqt_timer_start(g_tick, 1);
    pthread_t th;
    if (pthread_create(&th, NULL, spinner, NULL) != 0)
        return bench_fail("pthread_create failed");
    cqt_app_exec();
    pthread_join(th, NULL);
    cqt_object_free(main_obj);
    cqt_app_shutdown(5000);
    if (g_slot != g_n - 1)
        return bench_fail("spinner stopped at %ld", (long)g_slot);
    bench_report("loop_latency_ms", (double)g_worst / 1e6);
    return 0;
}

static int run_qt(const bench_variant *v)
{
    int argc = 1;
    char *argv[] = {"bench", NULL};
    qtp_app(&argc, argv);
    g_n = bench_scaled(VALUES);
    double ns = qtp_yields(g_n);
    if (ns < 0)
        return bench_fail("qt: values lost or out of order");
    bench_report("ns_per_value", ns / (double)g_n);
    return 0;
}

static int run_superqt(const bench_variant *v)
{
    char n[32];
    snprintf(n, sizeof n, "%ld", bench_scaled(VALUES));
    fflush(stdout);
    execl("/usr/bin/python3", "python3", CQT_BENCH_SUPERQT_PEER, "yields", n, (char *)NULL);
    return bench_fail("cannot run /usr/bin/python3 (python3-superqt, python3-pyqt5)");
}

static const bench_variant variants[] = {
    {"cqt generator worker (CQT_YIELD_ALL)", run_cqt, 0, 0, 0},
    {"Qt QThread + queued signal", run_qt, 0, 0, 0},
    {"Qt QThread + queued signal, QT_NO_GLIB", run_qt, BENCH_NOGLIB, 0, 0},
    {"superqt generator thread_worker (Python)", run_superqt, 0, 0, 0},
    {"cqt CQT_YIELD_LATEST, 1,000,000 yields", run_cqt, 0, 1, 0},
    {"floor: heartbeat beside a busy pthread (no cqt)", run_floor, 0, 0, 0},
};

static const bench_metric metrics[] = {
    {"ns_per_value", "100,000 yields delivered in order", "ns per value",
     "Qt QThread + queued signal", false},
    {"loop_latency_ms", "main-loop worst latency during 1,000,000 CQT_YIELD_LATEST yields",
     "ms between 1 ms heartbeats", "floor: heartbeat beside a busy pthread (no cqt)", false},
    {"ns_per_value_latest", "CQT_YIELD_LATEST generator speed", "ns per yield", NULL, false},
};

int main(int argc, char **argv)
{
    bench_scenario s = {"yields",
                        "A generator yields int64 values to the main thread, every one "
                        "checked in order.",
                        variants, sizeof variants / sizeof *variants, metrics,
                        sizeof metrics / sizeof *metrics};
    return bench_main(argc, argv, &s);
}
