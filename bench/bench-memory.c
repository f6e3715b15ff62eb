/* SPDX-License-Identifier: MIT */
/* bench-memory.c — resident memory per live object, per timer (stopped and
 * running) and per idle loop thread: 100k objects and timers, 200 threads. */
#include "bench.h"
#include "peers/qt-peers.h"

#include <cqt/cqt.h>
#include <stdlib.h>

#define OBJECTS 100000L
#define THREADS 200L

static void nothing(void *u) {}

static int run_cqt(const bench_variant *v)
{
    int argc = 1;
    char *argv[] = {"bench", NULL};
    if (cqt_app_init(&argc, argv, CQT_APP_CORE) != CQT_OK)
        return bench_fail("cqt_app_init: %s", cqt_last_error());
    long n = bench_scaled(OBJECTS), nt = THREADS;
    cqt_object **objs = malloc(sizeof *objs * (size_t)n);
    cqt_timer **timers = malloc(sizeof *timers * (size_t)n);
    double base = bench_rss_bytes();
    for (long i = 0; i < n; i++)
        objs[i] = cqt_object_new(NULL);
    double r1 = bench_rss_bytes();
    bench_report("object", (r1 - base) / (double)n);

    /* A timer is a handle on an owner object, as a QTimer is a QObject. */
    cqt_object *owner = cqt_object_new(NULL);
    base = bench_rss_bytes();
    for (long i = 0; i < n; i++)
        timers[i] = cqt_timer_new(owner, NULL);
    r1 = bench_rss_bytes();
    bench_report("timer_stopped", (r1 - base) / (double)n);
    base = r1;
    for (long i = 0; i < n; i++)
        if (cqt_timer_start(timers[i], 3600 * 1000) != CQT_OK)
            return bench_fail("cqt_timer_start: %s", cqt_last_error());
    cqt_app_process_events(0); /* the arming runs in the owner's loop */
    r1 = bench_rss_bytes();
    bench_report("timer_running", (r1 - base) / (double)n);
    for (long i = 0; i < n; i++)
        cqt_timer_free(timers[i]);
    for (long i = 0; i < n; i++)
        cqt_object_free(objs[i]);
    cqt_object_free(owner);

    cqt_thread **ths = malloc(sizeof *ths * (size_t)nt);
    base = bench_rss_bytes();
    for (long i = 0; i < nt; i++) {
        ths[i] = cqt_thread_new(NULL);
        cqt_thread_start(ths[i]);
    }
    for (long i = 0; i < nt; i++) { /* each loop has run once: idle in exec */
        cqt_object *o = cqt_object_new(ths[i]);
        cqt_invoke(o, nothing, NULL, CQT_BLOCKING_QUEUED);
        cqt_object_free(o);
    }
    r1 = bench_rss_bytes();
    bench_report("thread", (r1 - base) / (double)nt);
    for (long i = 0; i < nt; i++)
        cqt_thread_free(ths[i]);
    cqt_app_shutdown(5000);
    return 0;
}

static int run_qt(const bench_variant *v)
{
    int argc = 1;
    char *argv[] = {"bench", NULL};
    qtp_app(&argc, argv);
    return qtp_memory(bench_scaled(OBJECTS), THREADS);
}

static const bench_variant variants[] = {
    {"cqt", run_cqt, 0, 0, 0},
    {"raw Qt (QObject, QTimer, QThread)", run_qt, 0, 0, 0},
};

static const bench_metric metrics[] = {
    {"object", "per live object", "bytes", "raw Qt (QObject, QTimer, QThread)", false},
    {"timer_stopped", "per stopped timer", "bytes", "raw Qt (QObject, QTimer, QThread)", false},
    {"timer_running", "per running timer (added by starting it)", "bytes",
     "raw Qt (QObject, QTimer, QThread)", false},
    {"thread", "per idle loop thread", "bytes", "raw Qt (QObject, QTimer, QThread)", false},
};

int main(int argc, char **argv)
{
    bench_scenario s = {"memory",
                        "RSS growth divided by the count: 100,000 objects, 100,000 timers "
                        "(stopped, then started with a 1 h interval), 200 idle loop threads.",
                        variants, sizeof variants / sizeof *variants, metrics,
                        sizeof metrics / sizeof *metrics};
    return bench_main(argc, argv, &s);
}
