/* SPDX-License-Identifier: MIT */
/* bench-throughput.c — 1,000,000 int64 payloads from one (or four)
 * producer threads to a receiver in a loop thread, order checked. */
#include "bench.h"
#include "peers/floors.h"
#include "peers/qt-peers.h"

#include <cqt/cqt.h>
#include <glib.h>
#include <pthread.h>
#include <stdlib.h>
#include <uv.h>

#define PAYLOADS 1000000L

typedef struct {
    long per, total, got;
    int producers;
    int64_t next[8];
    int bad;
} sink;

static sink g_sink;

static void sink_take(int64_t v)
{
    int p = (int)(v >> 40);
    if (p < 0 || p >= g_sink.producers || (v & ((INT64_C(1) << 40) - 1)) != g_sink.next[p])
        g_sink.bad = 1;
    else
        g_sink.next[p]++;
    g_sink.got++;
}

static void sink_init(const bench_variant *v)
{
    g_sink.producers = (int)v->arg;
    g_sink.per = bench_scaled(PAYLOADS) / g_sink.producers;
    g_sink.total = g_sink.per * g_sink.producers;
}

static int sink_report(const bench_variant *v, int64_t ns)
{
    if (g_sink.bad || g_sink.got != g_sink.total)
        return bench_fail("%s: %ld of %ld payloads, order %s", v->name, g_sink.got,
                          g_sink.total, g_sink.bad ? "broken" : "kept");
    bench_report(v->arg == 1 ? "one" : "four", (double)ns / (double)g_sink.total);
    return 0;
}

static void spawn(pthread_t *th, int n, void *(*fn)(void *))
{
    for (int p = 0; p < n; p++)
        pthread_create(&th[p], NULL, fn, (void *)(intptr_t)p);
}

static void join(pthread_t *th, int n)
{
    for (int p = 0; p < n; p++)
        pthread_join(th[p], NULL);
}

/* ---- cqt: a queued signal carrying a cqt_value int ----------------------- */

static cqt_signal *g_sig;

static void cqt_slot(void *u, const cqt_value *arg)
{
    sink_take(cqt_value_get_int(arg));
    if (g_sink.got == g_sink.total)
        cqt_app_quit(0);
}

static void *cqt_producer(void *u)
{
    int p = (int)(intptr_t)u;
    for (long i = 0; i < g_sink.per; i++) {
        cqt_value v = cqt_value_int(((int64_t)p << 40) | i);
        cqt_emit(g_sig, &v);
    }
    return NULL;
}

static void cqt_invoke_take(void *u)
{
    sink_take((int64_t)(intptr_t)u);
    if (g_sink.got == g_sink.total)
        cqt_app_quit(0);
}

static cqt_object *g_recv;

static void *cqt_invoke_producer(void *u)
{
    int p = (int)(intptr_t)u;
    for (long i = 0; i < g_sink.per; i++)
        cqt_invoke(g_recv, cqt_invoke_take, (void *)(intptr_t)(((int64_t)p << 40) | i),
                   CQT_QUEUED);
    return NULL;
}

static int run_cqt(const bench_variant *v)
{
    int argc = 1;
    char *argv[] = {"bench", NULL};
    if (cqt_app_init(&argc, argv, CQT_APP_CORE) != CQT_OK)
        return bench_fail("cqt_app_init: %s", cqt_last_error());
    sink_init(v);
    g_recv = cqt_object_new(NULL);
    cqt_object *owner = cqt_object_new(NULL);
    g_sig = cqt_signal_new(owner, "value");
    cqt_connect(g_sig, g_recv, cqt_slot, NULL, NULL, CQT_QUEUED);
    pthread_t th[8];
    int64_t t0 = bench_now_ns();
    spawn(th, g_sink.producers, v->arg2 ? cqt_invoke_producer : cqt_producer);
    cqt_app_exec();
    int64_t t1 = bench_now_ns();
    join(th, g_sink.producers);
    cqt_object_free(owner);
    cqt_object_free(g_recv);
    cqt_app_shutdown(5000);
    return sink_report(v, t1 - t0);
}

/* ---- raw Qt ---------------------------------------------------------- */

static int run_qt(const bench_variant *v)
{
    int argc = 1;
    char *argv[] = {"bench", NULL};
    qtp_app(&argc, argv);
    sink_init(v);
    double ns = qtp_throughput(g_sink.total, g_sink.producers, (int)v->arg2);
    if (ns < 0)
        return bench_fail("%s: payloads lost or out of order", v->name);
    g_sink.got = g_sink.total;
    return sink_report(v, (int64_t)ns);
}

/* ---- GLib: GAsyncQueue + a source woken on empty -> non-empty ----------- */

static GAsyncQueue *g_q;
static GMainContext *g_ctx;
static GMainLoop *g_loop;

static gboolean q_prepare(GSource *s, gint *timeout)
{
    *timeout = -1;
    return g_async_queue_length(g_q) > 0;
}

static gboolean q_check(GSource *s)
{
    return g_async_queue_length(g_q) > 0;
}

static gboolean q_dispatch(GSource *s, GSourceFunc cb, gpointer u)
{
    gpointer p;
    while ((p = g_async_queue_try_pop(g_q)) != NULL)
        sink_take((int64_t)(intptr_t)p - 1);
    if (g_sink.got == g_sink.total)
        g_main_loop_quit(g_loop);
    return G_SOURCE_CONTINUE;
}

static GSourceFuncs q_funcs = {q_prepare, q_check, q_dispatch, NULL, NULL, NULL};

static void *glib_producer(void *u)
{
    int p = (int)(intptr_t)u;
    for (long i = 0; i < g_sink.per; i++) {
        gpointer item = (gpointer)(intptr_t)((((int64_t)p << 40) | i) + 1); /* never NULL */
        g_async_queue_lock(g_q);
        gboolean was_empty = g_async_queue_length_unlocked(g_q) <= 0;
        g_async_queue_push_unlocked(g_q, item);
        g_async_queue_unlock(g_q);
        if (was_empty)
            g_main_context_wakeup(g_ctx);
    }
    return NULL;
}

static int run_glib(const bench_variant *v)
{
    sink_init(v);
    g_q = g_async_queue_new();
    g_ctx = g_main_context_default();
    g_loop = g_main_loop_new(g_ctx, FALSE);
    GSource *src = g_source_new(&q_funcs, sizeof(GSource));
    g_source_attach(src, g_ctx);
    pthread_t th[8];
    int64_t t0 = bench_now_ns();
    spawn(th, g_sink.producers, glib_producer);
    g_main_loop_run(g_loop);
    int64_t t1 = bench_now_ns();
    join(th, g_sink.producers);
    return sink_report(v, t1 - t0);
}

/* ---- libuv: a mutex-guarded queue + uv_async_send (which coalesces) ------ */

static uv_mutex_t g_mu;
static int64_t *g_buf, *g_batch;
static size_t g_len, g_cap;
static uv_async_t g_async;

static void uv_take(uv_async_t *h)
{
    uv_mutex_lock(&g_mu);
    size_t n = g_len;
    int64_t *b = g_buf;
    g_buf = g_batch;
    g_batch = b;
    g_len = 0;
    uv_mutex_unlock(&g_mu);
    for (size_t i = 0; i < n; i++)
        sink_take(g_batch[i]);
    if (g_sink.got == g_sink.total)
        uv_close((uv_handle_t *)h, NULL);
}

static void *uv_producer(void *u)
{
    int p = (int)(intptr_t)u;
    for (long i = 0; i < g_sink.per; i++) {
        uv_mutex_lock(&g_mu);
        g_buf[g_len++] = ((int64_t)p << 40) | i;
        uv_mutex_unlock(&g_mu);
        uv_async_send(&g_async);
    }
    return NULL;
}

static int run_uv(const bench_variant *v)
{
    sink_init(v);
    g_cap = (size_t)g_sink.total; /* two flat buffers: no growth in the loop */
    g_buf = malloc(g_cap * sizeof *g_buf);
    g_batch = malloc(g_cap * sizeof *g_batch);
    uv_mutex_init(&g_mu);
    uv_loop_t *loop = uv_default_loop();
    uv_async_init(loop, &g_async, uv_take);
    pthread_t th[8];
    int64_t t0 = bench_now_ns();
    spawn(th, g_sink.producers, uv_producer);
    uv_run(loop, UV_RUN_DEFAULT);
    int64_t t1 = bench_now_ns();
    join(th, g_sink.producers);
    return sink_report(v, t1 - t0);
}

/* ---- floor: mutex ring with batch drain --------------------------------- */

static int run_floor(const bench_variant *v)
{
    sink_init(v);
    double ns = floor_ring_throughput(g_sink.total, g_sink.producers);
    if (ns < 0)
        return bench_fail("ring: out of order");
    g_sink.got = g_sink.total;
    return sink_report(v, (int64_t)ns);
}

#define VARIANTS(P, N)                                                                 \
    {"cqt signal (cqt_value int)" P, run_cqt, 0, N, 0},                               \
    {"cqt invoke" P, run_cqt, 0, N, 1},                                               \
    {"Qt invokeMethod" P, run_qt, 0, N, 0},                                           \
    {"Qt signal" P, run_qt, 0, N, 1},                                                 \
    {"Qt invokeMethod, QT_NO_GLIB" P, run_qt, BENCH_NOGLIB, N, 0},                    \
    {"Qt signal, QT_NO_GLIB" P, run_qt, BENCH_NOGLIB, N, 1},                          \
    {"GLib GAsyncQueue + wake source" P, run_glib, 0, N, 0},                          \
    {"libuv mutex queue + uv_async_send" P, run_uv, 0, N, 0},                         \
    {"floor: mutex ring, batch drain" P, run_floor, 0, N, 0}

static const bench_variant variants[] = {
    VARIANTS(" [1 producer]", 1),
    VARIANTS(" [4 producers]", 4),
};

static const bench_metric metrics[] = {
    {"one", "1 producer", "ns per payload", "Qt invokeMethod [1 producer]", false},
    {"four", "4 producers", "ns per payload", "Qt invokeMethod [4 producers]", false},
};

int main(int argc, char **argv)
{
    bench_scenario s = {"throughput",
                        "1,000,000 int64 payloads to a receiver in the main loop, from 1 or 4 "
                        "plain threads; per-producer order checked. Ratio: time per payload "
                        "relative to raw Qt invokeMethod (glib dispatcher); 1/ratio is the "
                        "speed-up.",
                        variants, sizeof variants / sizeof *variants, metrics,
                        sizeof metrics / sizeof *metrics};
    return bench_main(argc, argv, &s);
}
