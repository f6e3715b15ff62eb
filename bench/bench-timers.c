/* SPDX-License-Identifier: MIT */
/* bench-timers.c — a 1 ms periodic precise timer for 2 s in a loop thread:
 * fires, mean period, lateness against the ideal schedule t0 + k ms. */
#include "bench.h"
#include "peers/qt-peers.h"

#include <cqt/cqt.h>
#include <glib.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/timerfd.h>
#include <unistd.h>
#include <uv.h>

#define DURATION_MS 2000
#define CAP 8192

static int64_t g_stamps[CAP];
static int g_n;
static int64_t g_t0, g_end;

/* Fires within [t0, t0 + 2 s]; lateness of fire k against t0 + k ms. */
static int report(const bench_variant *v, int64_t t0, const int64_t *st, int n)
{
    int64_t limit = t0 + (int64_t)DURATION_MS * 1000000;
    int fires = 0;
    while (fires < n && st[fires] <= limit)
        fires++;
    if (fires < 2)
        return bench_fail("%s: %d fires", v->name, fires);
    double *late = malloc(sizeof(double) * (size_t)fires);
    for (int k = 0; k < fires; k++)
        late[k] = (double)(st[k] - (t0 + (int64_t)(k + 1) * 1000000)) / 1000.0; /* us */
    bench_sort(late, (size_t)fires);
    bench_report("fires", fires);
    bench_report("period", (double)(st[fires - 1] - t0) / fires / 1000.0);
    bench_report("p50", bench_percentile(late, (size_t)fires, 0.5));
    bench_report("p99", bench_percentile(late, (size_t)fires, 0.99));
    bench_report("max", late[fires - 1]);
    free(late);
    return 0;
}

/* ---- cqt: cqt_timer in a cqt thread ------------------------------------- */

static cqt_timer *g_timer;
static cqt_thread *g_th;

static void on_timeout(void *u, const cqt_value *arg)
{
    int64_t now = bench_now_ns();
    if (g_n < CAP)
        g_stamps[g_n++] = now;
    if (now >= g_end) {
        cqt_timer_stop(g_timer);
        cqt_thread_quit(g_th);
    }
}

static void start_in_thread(void *u)
{
    const bench_variant *v = u;
    cqt_timer_set_type(g_timer, (int)v->arg);
    g_t0 = bench_now_ns();
    g_end = g_t0 + (int64_t)DURATION_MS * 1000000 + 2000000;
    cqt_timer_start(g_timer, 1);
}

static int run_cqt(const bench_variant *v)
{
    int argc = 1;
    char *argv[] = {"bench", NULL};
    if (cqt_app_init(&argc, argv, CQT_APP_CORE) != CQT_OK)
        return bench_fail("cqt_app_init: %s", cqt_last_error());
    g_th = cqt_thread_new("ticker");
    cqt_thread_start(g_th);
    cqt_object *o = cqt_object_new(g_th);
    g_timer = cqt_timer_new(o, "tick");
    cqt_connect(cqt_timer_timeout(g_timer), o, on_timeout, NULL, NULL, CQT_AUTO);
    cqt_invoke(o, start_in_thread, (void *)v, CQT_QUEUED);
    cqt_thread_wait(g_th, CQT_FOREVER);
    int rc = report(v, g_t0, g_stamps, g_n);
    cqt_object_free(o);
    cqt_thread_free(g_th);
    cqt_app_shutdown(5000);
    return rc;
}

/* ---- raw Qt QTimer ------------------------------------------------------ */

static int run_qt(const bench_variant *v)
{
    int argc = 1;
    char *argv[] = {"bench", NULL};
    qtp_app(&argc, argv);
    int64_t t0;
    int n = qtp_timer((int)v->arg, DURATION_MS, &t0, g_stamps, CAP);
    return report(v, t0, g_stamps, n);
}

/* ---- GLib timeout source in its own thread ------------------------------ */

static GMainLoop *g_loop;

static gboolean glib_tick(gpointer u)
{
    int64_t now = bench_now_ns();
    if (g_n < CAP)
        g_stamps[g_n++] = now;
    if (now >= g_end) {
        g_main_loop_quit(g_loop);
        return G_SOURCE_REMOVE;
    }
    return G_SOURCE_CONTINUE;
}

static void *glib_thread(void *u)
{
    GMainContext *ctx = g_main_context_new();
    g_main_context_push_thread_default(ctx);
    g_loop = g_main_loop_new(ctx, FALSE);
    GSource *s = g_timeout_source_new(1);
    g_source_set_callback(s, glib_tick, NULL, NULL);
    g_t0 = bench_now_ns();
    g_end = g_t0 + (int64_t)DURATION_MS * 1000000 + 2000000;
    g_source_attach(s, ctx);
    g_main_loop_run(g_loop);
    g_main_context_pop_thread_default(ctx);
    return NULL;
}

/* ---- libuv uv_timer in its own thread ------------------------------------ */

static void uv_tick(uv_timer_t *t)
{
    int64_t now = bench_now_ns();
    if (g_n < CAP)
        g_stamps[g_n++] = now;
    if (now >= g_end)
        uv_close((uv_handle_t *)t, NULL);
}

static void *uv_thread(void *u)
{
    uv_loop_t loop;
    uv_timer_t t;
    uv_loop_init(&loop);
    uv_timer_init(&loop, &t);
    uv_update_time(&loop);
    g_t0 = bench_now_ns();
    g_end = g_t0 + (int64_t)DURATION_MS * 1000000 + 2000000;
    uv_timer_start(&t, uv_tick, 1, 1);
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
    return NULL;
}

/* ---- floor: timerfd, absolute periodic schedule -------------------------- */

static void *timerfd_thread(void *u)
{
    int fd = timerfd_create(CLOCK_MONOTONIC, 0);
    g_t0 = bench_now_ns();
    g_end = g_t0 + (int64_t)DURATION_MS * 1000000 + 2000000;
    int64_t first = g_t0 + 1000000;
    struct itimerspec its = {{0, 1000000}, {first / 1000000000, first % 1000000000}};
    timerfd_settime(fd, TFD_TIMER_ABSTIME, &its, NULL);
    for (;;) {
        uint64_t exp;
        if (read(fd, &exp, sizeof exp) != sizeof exp)
            break;
        int64_t now = bench_now_ns();
        if (g_n < CAP)
            g_stamps[g_n++] = now;
        if (now >= g_end)
            break;
    }
    close(fd);
    return NULL;
}

static int run_thread(const bench_variant *v)
{
    void *(*fn)(void *) = v->arg == 0 ? glib_thread : v->arg == 1 ? uv_thread : timerfd_thread;
    pthread_t th;
    pthread_create(&th, NULL, fn, NULL);
    pthread_join(th, NULL);
    return report(v, g_t0, g_stamps, g_n);
}

static const bench_variant variants[] = {
    {"cqt_timer PRECISE", run_cqt, 0, CQT_TIMER_PRECISE, 0},
    {"cqt_timer COARSE", run_cqt, 0, CQT_TIMER_COARSE, 0},
    {"QTimer PreciseTimer", run_qt, 0, 1, 0},
    {"QTimer CoarseTimer", run_qt, 0, 0, 0},
    {"QTimer PreciseTimer, QT_NO_GLIB", run_qt, BENCH_NOGLIB, 1, 0},
    {"GLib timeout source", run_thread, 0, 0, 0},
    {"libuv uv_timer", run_thread, 0, 1, 0},
    {"floor: timerfd (absolute)", run_thread, 0, 2, 0},
};

static const bench_metric metrics[] = {
    {"fires", "fires in 2 s (ideal 2000)", "count", "QTimer PreciseTimer", true},
    {"period", "mean period", "us (ideal 1000)", "QTimer PreciseTimer", false},
    {"p50", "lateness p50 against t0 + k ms", "us", "floor: timerfd (absolute)", false},
    {"p99", "lateness p99 against t0 + k ms", "us", "floor: timerfd (absolute)", false},
    {"max", "lateness max against t0 + k ms", "us", "floor: timerfd (absolute)", false},
};

int main(int argc, char **argv)
{
    bench_scenario s = {"timers",
                        "A 1 ms periodic timer for 2 s in a loop thread. Lateness is measured "
                        "against the ideal schedule t0 + k ms, so a timer that drifts shows "
                        "a growing lateness.",
                        variants, sizeof variants / sizeof *variants, metrics,
                        sizeof metrics / sizeof *metrics};
    return bench_main(argc, argv, &s);
}
