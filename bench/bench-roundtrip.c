/* SPDX-License-Identifier: MIT */
/* bench-roundtrip.c — ping-pong between two event-loop threads: 100k round
 * trips, pinned to one core (software overhead) and unpinned. */
#include "bench.h"
#include "peers/floors.h"
#include "peers/qt-peers.h"

#include <cqt/cqt.h>
#include <glib.h>
#include <uv.h>

#include <stdio.h>

#define ROUNDS 100000L

static void rt_report(const bench_variant *v, double ns_per_rt)
{
    bench_report(v->flags & BENCH_PIN ? "pinned" : "unpinned", ns_per_rt);
}

/* ---- cqt: queued invoke and queued signal ------------------------------ */

static cqt_object *g_a, *g_b;
static long g_n, g_count;
static cqt_signal *g_to_a, *g_to_b;
static int g_bad;

static void at_a(void *u);
static void at_b(void *u)
{
    cqt_invoke(g_a, at_a, NULL, CQT_QUEUED);
}

static void at_a(void *u)
{
    if (++g_count == g_n)
        cqt_app_quit(0);
    else
        cqt_invoke(g_b, at_b, NULL, CQT_QUEUED);
}

static void slot_b(void *u, const cqt_value *arg)
{
    cqt_value v = cqt_value_int(cqt_value_get_int(arg) + 1);
    cqt_emit(g_to_a, &v);
}

static void slot_a(void *u, const cqt_value *arg)
{
    int64_t v = cqt_value_get_int(arg);
    if (v != 2 * g_count + 1)
        g_bad = 1;
    if (++g_count == g_n) {
        cqt_app_quit(0);
        return;
    }
    cqt_value next = cqt_value_int(v + 1);
    cqt_emit(g_to_b, &next);
}

static int run_cqt(const bench_variant *v)
{
    int argc = 1;
    char *argv[] = {"bench", NULL};
    if (cqt_app_init(&argc, argv, CQT_APP_CORE) != CQT_OK)
        return bench_fail("cqt_app_init: %s", cqt_last_error());
    cqt_thread *t = cqt_thread_new("pong");
    cqt_thread_start(t);
    g_a = cqt_object_new(NULL);
    g_b = cqt_object_new(t);
    g_n = bench_scaled(ROUNDS);
    int64_t t0 = bench_now_ns();
    if (v->arg) {
        g_to_b = cqt_signal_new(g_a, "to-b");
        g_to_a = cqt_signal_new(g_b, "to-a");
        cqt_connect(g_to_b, g_b, slot_b, NULL, NULL, CQT_AUTO);
        cqt_connect(g_to_a, g_a, slot_a, NULL, NULL, CQT_AUTO);
        t0 = bench_now_ns();
        cqt_value v0 = cqt_value_int(0);
        cqt_emit(g_to_b, &v0);
    } else {
        cqt_invoke(g_b, at_b, NULL, CQT_QUEUED);
    }
    cqt_app_exec();
    int64_t t1 = bench_now_ns();
    cqt_object_free(g_b);
    cqt_object_free(g_a);
    cqt_thread_free(t);
    cqt_app_shutdown(5000);
    if (g_count != g_n || g_bad)
        return bench_fail("cqt: %ld of %ld round trips, order %s", g_count, g_n,
                          g_bad ? "broken" : "kept");
    rt_report(v, (double)(t1 - t0) / (double)g_n);
    return 0;
}

/* ---- raw Qt --------------------------------------------------------- */

static int run_qt(const bench_variant *v)
{
    int argc = 1;
    char *argv[] = {"bench", NULL};
    qtp_app(&argc, argv);
    long n = bench_scaled(ROUNDS);
    double ns = qtp_roundtrip(n, (int)v->arg);
    if (ns < 0)
        return bench_fail("qt: round trips lost");
    rt_report(v, ns / (double)n);
    return 0;
}

/* ---- GLib: g_main_context_invoke into the other thread's context ------- */

static GMainContext *g_ctx_a, *g_ctx_b;
static GMainLoop *g_loop_a, *g_loop_b;

static gboolean glib_at_a(gpointer u);
static gboolean glib_at_b(gpointer u)
{
    g_main_context_invoke(g_ctx_a, glib_at_a, NULL);
    return G_SOURCE_REMOVE;
}

static gboolean glib_at_a(gpointer u)
{
    if (++g_count == g_n)
        g_main_loop_quit(g_loop_a);
    else
        g_main_context_invoke(g_ctx_b, glib_at_b, NULL);
    return G_SOURCE_REMOVE;
}

static gpointer glib_thread(gpointer u)
{
    g_main_context_push_thread_default(g_ctx_b);
    g_main_loop_run(g_loop_b);
    g_main_context_pop_thread_default(g_ctx_b);
    return NULL;
}

static gboolean glib_quit_b(gpointer u)
{
    g_main_loop_quit(g_loop_b);
    return G_SOURCE_REMOVE;
}

static int run_glib(const bench_variant *v)
{
    g_n = bench_scaled(ROUNDS);
    g_ctx_a = g_main_context_default();
    g_ctx_b = g_main_context_new();
    g_loop_a = g_main_loop_new(g_ctx_a, FALSE);
    g_loop_b = g_main_loop_new(g_ctx_b, FALSE);
    GThread *th = g_thread_new("pong", glib_thread, NULL);
    int64_t t0 = bench_now_ns();
    g_main_context_invoke(g_ctx_b, glib_at_b, NULL);
    g_main_loop_run(g_loop_a);
    int64_t t1 = bench_now_ns();
    g_main_context_invoke(g_ctx_b, glib_quit_b, NULL);
    g_thread_join(th);
    if (g_count != g_n)
        return bench_fail("glib: %ld of %ld", g_count, g_n);
    rt_report(v, (double)(t1 - t0) / (double)g_n);
    return 0;
}

/* ---- libuv: uv_async_send each way --------------------------------------- */

static uv_loop_t g_uv_b;
static uv_async_t g_async_a, g_async_b;
static volatile int g_uv_done;

static void uv_at_b(uv_async_t *h)
{
    if (g_uv_done) {
        uv_close((uv_handle_t *)h, NULL);
        return;
    }
    uv_async_send(&g_async_a);
}

static void uv_at_a(uv_async_t *h)
{
    if (++g_count == g_n) {
        __atomic_store_n(&g_uv_done, 1, __ATOMIC_SEQ_CST);
        uv_async_send(&g_async_b);
        uv_close((uv_handle_t *)h, NULL);
        return;
    }
    uv_async_send(&g_async_b);
}

static void uv_thread(void *u)
{
    uv_run(&g_uv_b, UV_RUN_DEFAULT);
}

static int run_uv(const bench_variant *v)
{
    g_n = bench_scaled(ROUNDS);
    uv_loop_t *a = uv_default_loop();
    uv_loop_init(&g_uv_b);
    uv_async_init(a, &g_async_a, uv_at_a);
    uv_async_init(&g_uv_b, &g_async_b, uv_at_b);
    uv_thread_t th;
    uv_thread_create(&th, uv_thread, NULL);
    int64_t t0 = bench_now_ns();
    uv_async_send(&g_async_b);
    uv_run(a, UV_RUN_DEFAULT);
    int64_t t1 = bench_now_ns();
    uv_thread_join(&th);
    if (g_count != g_n)
        return bench_fail("libuv: %ld of %ld", g_count, g_n);
    rt_report(v, (double)(t1 - t0) / (double)g_n);
    return 0;
}

/* ---- floors ------------------------------------------------------------ */

static int run_floor(const bench_variant *v)
{
    long n = bench_scaled(ROUNDS);
    double ns = v->arg ? floor_eventfd_roundtrip(n) : floor_futex_roundtrip(n);
    rt_report(v, ns / (double)n);
    return 0;
}

#define VARIANTS(P, PF)                                                                \
    {"cqt invoke" P, run_cqt, PF, 0, 0},                                               \
    {"cqt signal" P, run_cqt, PF, 1, 0},                                               \
    {"Qt invokeMethod" P, run_qt, PF, 0, 0},                                           \
    {"Qt signal" P, run_qt, PF, 1, 0},                                                 \
    {"Qt invokeMethod, QT_NO_GLIB" P, run_qt, PF | BENCH_NOGLIB, 0, 0},                \
    {"Qt signal, QT_NO_GLIB" P, run_qt, PF | BENCH_NOGLIB, 1, 0},                      \
    {"GLib g_main_context_invoke" P, run_glib, PF, 0, 0},                              \
    {"libuv uv_async_send" P, run_uv, PF, 0, 0},                                       \
    {"floor: futex" P, run_floor, PF, 0, 0},                                           \
    {"floor: eventfd" P, run_floor, PF, 1, 0}

static const bench_variant variants[] = {
    VARIANTS(" [pinned]", BENCH_PIN),
    VARIANTS(" [unpinned]", 0),
};

static const bench_metric metrics[] = {
    {"pinned", "round trip, pinned to one core", "ns per round trip", "Qt invokeMethod [pinned]", false},
    {"unpinned", "round trip, unpinned", "ns per round trip", "Qt invokeMethod [unpinned]", false},
};

int main(int argc, char **argv)
{
    bench_scenario s = {"round trip",
                        "100,000 ping-pongs between the main loop and one loop thread; "
                        "[pinned]: the whole process on CPU 0. Ratios are to raw Qt "
                        "invokeMethod (default glib dispatcher) in the same mode.",
                        variants, sizeof variants / sizeof *variants, metrics,
                        sizeof metrics / sizeof *metrics};
    return bench_main(argc, argv, &s);
}
