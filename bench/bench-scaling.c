/* SPDX-License-Identifier: MIT */
/* bench-scaling.c — cost per delivery and memory per receiver with 1, 2, 8
 * and 64 loop threads and 1k / 100k receivers (cqt against raw Qt). */
#include "bench.h"
#include "peers/qt-peers.h"

#include <cqt/cqt.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#define DELIVERIES 200000L

typedef struct {
    cqt_object *obj;
    long next;
} recv_t;

static recv_t *g_recv;
static atomic_long g_left;
static atomic_int g_bad;
static cqt_event *g_done;

static void take(void *u)
{
    uintptr_t x = (uintptr_t)u;
    recv_t *r = &g_recv[x >> 32];
    if (r->next++ != (long)(x & 0xffffffffu))
        atomic_store(&g_bad, 1);
    if (atomic_fetch_sub(&g_left, 1) == 1)
        cqt_event_set(g_done);
}

static void report(const bench_variant *v, double ns, long n, double bytes)
{
    char key[64];
    snprintf(key, sizeof key, "ns_%ld", v->arg2);
    bench_report(key, ns / (double)n);
    snprintf(key, sizeof key, "mem_%ld", v->arg2);
    bench_report(key, bytes);
}

static int run_cqt(const bench_variant *v)
{
    int argc = 1;
    char *argv[] = {"bench", NULL};
    if (cqt_app_init(&argc, argv, CQT_APP_CORE) != CQT_OK)
        return bench_fail("cqt_app_init: %s", cqt_last_error());
    int nt = (int)v->arg;
    long nr = v->arg2, n = bench_scaled(DELIVERIES);
    cqt_thread **ths = malloc(sizeof *ths * (size_t)nt);
    g_recv = calloc((size_t)nr, sizeof *g_recv);
    g_done = cqt_event_new("done");
    double base = bench_rss_bytes();
    for (int i = 0; i < nt; i++) {
        ths[i] = cqt_thread_new(NULL);
        cqt_thread_start(ths[i]);
    }
    for (long i = 0; i < nr; i++)
        g_recv[i].obj = cqt_object_new(ths[i % nt]);
    double bytes = (bench_rss_bytes() - base) / (double)nr;
    atomic_store(&g_left, n);
    int64_t t0 = bench_now_ns();
    for (long i = 0; i < n; i++) {
        long r = i % nr, seq = i / nr;
        cqt_invoke(g_recv[r].obj, take, (void *)(((uintptr_t)r << 32) | (uintptr_t)seq),
                   CQT_QUEUED);
    }
    cqt_event_wait(g_done, CQT_FOREVER);
    int64_t t1 = bench_now_ns();
    for (long i = 0; i < nr; i++)
        cqt_object_free(g_recv[i].obj);
    for (int i = 0; i < nt; i++)
        cqt_thread_free(ths[i]);
    cqt_app_shutdown(5000);
    if (atomic_load(&g_bad))
        return bench_fail("cqt: out of order");
    report(v, (double)(t1 - t0), n, bytes);
    return 0;
}

static int run_qt(const bench_variant *v)
{
    int argc = 1;
    char *argv[] = {"bench", NULL};
    qtp_app(&argc, argv);
    long n = bench_scaled(DELIVERIES);
    double bytes = 0;
    double ns = qtp_scaling((int)v->arg, v->arg2, n, &bytes);
    if (ns < 0)
        return bench_fail("qt: out of order");
    report(v, ns, n, bytes);
    return 0;
}

#define PAIR(T, R, TS, RS)                                                             \
    {"cqt, " TS " threads, " RS " receivers", run_cqt, 0, T, R},                       \
    {"Qt, " TS " threads, " RS " receivers", run_qt, 0, T, R}

static const bench_variant variants[] = {
    PAIR(1, 1000, "1", "1k"),   PAIR(2, 1000, "2", "1k"),   PAIR(8, 1000, "8", "1k"),
    PAIR(64, 1000, "64", "1k"), PAIR(1, 100000, "1", "100k"), PAIR(2, 100000, "2", "100k"),
    PAIR(8, 100000, "8", "100k"), PAIR(64, 100000, "64", "100k"),
};

static const bench_metric metrics[] = {
    {"ns_1000", "1k receivers: cost per delivery", "ns", "Qt, 1 threads, 1k receivers", false},
    {"ns_100000", "100k receivers: cost per delivery", "ns", "Qt, 1 threads, 100k receivers",
     false},
    {"mem_1000", "1k receivers: memory per receiver (threads included)", "bytes", NULL, false},
    {"mem_100000", "100k receivers: memory per receiver (threads included)", "bytes", NULL,
     false},
};

int main(int argc, char **argv)
{
    bench_scenario s = {"scaling",
                        "200,000 queued invokes from the main thread, spread round-robin "
                        "over the receivers, which are spread over the loop threads; "
                        "per-receiver order checked.",
                        variants, sizeof variants / sizeof *variants, metrics,
                        sizeof metrics / sizeof *metrics};
    return bench_main(argc, argv, &s);
}
