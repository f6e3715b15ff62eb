/* SPDX-License-Identifier: MIT */
/* bench-pool.c — 10,000 tiny function workers, every result delivered to
 * the main loop (cqt: started, returned and finished for each). */
#include "bench.h"
#include "peers/qt-peers.h"

#include <cqt/cqt.h>
#include <glib.h>
#include <stdio.h>
#include <unistd.h>

#define WORKERS 10000L

static long g_n, g_got, g_started, g_finished;
static long long g_sum;

static int body(void *u, cqt_worker *w, cqt_value *result)
{
    *result = cqt_value_int((int64_t)(intptr_t)u * 3 + 1);
    return CQT_OK;
}

static void on_started(void *u, cqt_worker *w, const cqt_value *arg)
{
    g_started++;
}

static void on_returned(void *u, cqt_worker *w, const cqt_value *arg)
{
    g_got++;
    g_sum += cqt_value_get_int(arg);
}

static void on_finished(void *u, cqt_worker *w, const cqt_value *arg)
{
    if (++g_finished == g_n)
        cqt_app_quit(0);
}

static int check(const bench_variant *v, int64_t ns)
{
    long long want = 3LL * g_n * (g_n - 1) / 2 + g_n;
    if (g_got != g_n || g_sum != want)
        return bench_fail("%s: %ld of %ld results", v->name, g_got, g_n);
    bench_report("ns_per_worker", (double)ns / (double)g_n);
    return 0;
}

static int run_cqt(const bench_variant *v)
{
    int argc = 1;
    char *argv[] = {"bench", NULL};
    if (cqt_app_init(&argc, argv, CQT_APP_CORE) != CQT_OK)
        return bench_fail("cqt_app_init: %s", cqt_last_error());
    g_n = bench_scaled(WORKERS);
    cqt_worker_handlers h = {0};
    h.started = on_started;
    h.returned = on_returned;
    h.finished = on_finished;
    int64_t t0 = bench_now_ns();
    for (long i = 0; i < g_n; i++) {
        cqt_worker *w = cqt_worker_run(NULL, body, (void *)(intptr_t)i, NULL, 0, &h);
        if (!w)
            return bench_fail("cqt_worker_run: %s", cqt_last_error());
        cqt_worker_unref(w);
    }
    cqt_app_exec();
    int64_t t1 = bench_now_ns();
    int rc = check(v, t1 - t0);
    if (rc == 0 && g_started != g_n)
        rc = bench_fail("cqt: %ld started of %ld", g_started, g_n);
    cqt_app_shutdown(5000);
    return rc;
}

static int run_qt(const bench_variant *v)
{
    int argc = 1;
    char *argv[] = {"bench", NULL};
    qtp_app(&argc, argv);
    g_n = bench_scaled(WORKERS);
    double ns = qtp_pool(g_n);
    if (ns < 0)
        return bench_fail("qt: lost results");
    bench_report("ns_per_worker", ns / (double)g_n);
    return 0;
}

/* ---- GLib: GThreadPool, results back with g_main_context_invoke -------- */

static GMainLoop *g_loop;

static gboolean glib_result(gpointer p)
{
    g_got++;
    g_sum += (long long)(intptr_t)p;
    if (g_got == g_n)
        g_main_loop_quit(g_loop);
    return G_SOURCE_REMOVE;
}

static void glib_task(gpointer data, gpointer u)
{
    long i = (long)(intptr_t)data - 1;
    g_main_context_invoke(NULL, glib_result, (gpointer)(intptr_t)(i * 3 + 1));
}

static int run_glib(const bench_variant *v)
{
    g_n = bench_scaled(WORKERS);
    g_loop = g_main_loop_new(NULL, FALSE);
    GThreadPool *pool = g_thread_pool_new(glib_task, NULL, (gint)sysconf(_SC_NPROCESSORS_ONLN),
                                          FALSE, NULL);
    int64_t t0 = bench_now_ns();
    for (long i = 0; i < g_n; i++)
        g_thread_pool_push(pool, (gpointer)(intptr_t)(i + 1), NULL);
    g_main_loop_run(g_loop);
    int64_t t1 = bench_now_ns();
    g_thread_pool_free(pool, FALSE, TRUE);
    return check(v, t1 - t0);
}

static int run_superqt(const bench_variant *v)
{
    char n[32];
    snprintf(n, sizeof n, "%ld", bench_scaled(WORKERS));
    fflush(stdout);
    execl("/usr/bin/python3", "python3", CQT_BENCH_SUPERQT_PEER, "pool", n, (char *)NULL);
    return bench_fail("cannot run /usr/bin/python3 (python3-superqt, python3-pyqt5)");
}

static const bench_variant variants[] = {
    {"cqt_worker_run (started+returned+finished)", run_cqt, 0, 0, 0},
    {"Qt QThreadPool + QRunnable + invokeMethod", run_qt, 0, 0, 0},
    {"Qt QThreadPool, QT_NO_GLIB", run_qt, BENCH_NOGLIB, 0, 0},
    {"GLib GThreadPool + g_main_context_invoke", run_glib, 0, 0, 0},
    {"superqt thread_worker (Python)", run_superqt, 0, 0, 0},
};

static const bench_metric metrics[] = {
    {"ns_per_worker", "10,000 tiny workers, results in the main loop", "ns per worker",
     "Qt QThreadPool + QRunnable + invokeMethod", false},
};

int main(int argc, char **argv)
{
    bench_scenario s = {"pool",
                        "10,000 tiny function workers; each result delivered to the main "
                        "loop. cqt and superqt deliver started, returned and finished per "
                        "worker; the Qt and GLib peers deliver the result only.",
                        variants, sizeof variants / sizeof *variants, metrics,
                        sizeof metrics / sizeof *metrics};
    return bench_main(argc, argv, &s);
}
