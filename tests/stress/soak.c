/* SPDX-License-Identifier: MIT */
/* soak.c — the stress mix in a loop (scripts/soak): each round initialises
 * an application, runs the delivery, timer, worker and axis scenarios,
 * shuts down, then runs the shutdown-under-load scenario. Between rounds,
 * with no application alive, the RSS and the thread count are sampled once
 * a minute; the run fails if either grew beyond a small bound over the
 * first sample (taken after a warm-up round, when Qt's and glib's one-time
 * allocations are made). Freed heap is returned with malloc_trim() before
 * each sample, so the figure is what is still in use.
 *
 *   cqt-soak [--minutes N] [--rss-growth-kb K] [--thread-growth T]
 *
 * The workload of a round is CQT_STRESS_SCALE (default 0.05 here). */
#include "stress-mix.h"

#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_s(void)
{
    return (double)cqt_now_ns() / 1e9;
}

static void fail_soak(const char *file, int line, const char *msg)
{
    fprintf(stderr, "soak: FAILED at %s:%d: %s\n", file, line, msg);
    fflush(stderr);
    exit(1);
}

int main(int argc, char **argv)
{
    double minutes = 10;
    long rss_bound_kb = 16 * 1024;
    int thread_bound = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--minutes") && i + 1 < argc)
            minutes = atof(argv[++i]);
        else if (!strcmp(argv[i], "--rss-growth-kb") && i + 1 < argc)
            rss_bound_kb = atol(argv[++i]);
        else if (!strcmp(argv[i], "--thread-growth") && i + 1 < argc)
            thread_bound = atoi(argv[++i]);
        else {
            fprintf(stderr, "usage: %s [--minutes N] [--rss-growth-kb K] [--thread-growth T]\n",
                    argv[0]);
            return 2;
        }
    }
    if (!getenv("CQT_STRESS_SCALE"))
        setenv("CQT_STRESS_SCALE", "0.05", 1);
    stress_set_fail_handler(fail_soak);
    setvbuf(stdout, NULL, _IOLBF, 0);
    printf("soak: %.1f minutes, workload scale %.2f per round, bounds: RSS +%ld kB, threads +%d\n",
           minutes, stress_scale(), rss_bound_kb, thread_bound);

    double start = now_s(), next_sample = start;
    long rss0 = -1, rss_max = 0, rss_last = 0;
    int thr0 = -1, thr_max = 0, thr_last = 0;
    long rounds = 0;
    int64_t ops = 0, checked = 0;
    int minute = 0;
    do {
        stress_figures f;
        if (cqt_app_init(NULL, NULL, CQT_APP_CORE) != CQT_OK)
            fail_soak(__FILE__, __LINE__, cqt_last_error());
        void (*scenarios[])(stress_figures *) = {stress_delivery, stress_timers, stress_workers,
                                                 stress_axes};
        for (size_t i = 0; i < sizeof scenarios / sizeof scenarios[0]; i++) {
            scenarios[i](&f);
            ops += f.ops;
            checked += f.checked;
        }
        int rc = cqt_app_shutdown(30000);
        if (rc != CQT_OK)
            fail_soak(__FILE__, __LINE__, cqt_last_error());
        stress_shutdown(&f);
        ops += f.ops;
        checked += f.checked;
        rounds++;

        double t = now_s();
        if (t >= next_sample || t - start >= minutes * 60) {
            /* Hand freed memory back first: glibc keeps what freed threads
             * used in its arenas, which is reuse, not growth. */
            malloc_trim(0);
            long rss = stress_rss_kb();
            int thr = stress_thread_count();
            /* The reference is the sample after the first minute: by then
             * every arena, Qt's and glib's caches and the pool exist. */
            if (rss0 < 0 && minute >= 1) {
                rss0 = rss;
                thr0 = thr;
            }
            rss_last = rss;
            thr_last = thr;
            if (rss > rss_max)
                rss_max = rss;
            if (thr > thr_max)
                thr_max = thr;
            printf("soak: minute %2d: %ld rounds, RSS %ld kB (%+ld), threads %d (%+d), "
                   "%lld ops, %lld checked\n",
                   minute, rounds, rss, rss0 < 0 ? 0 : rss - rss0, thr, thr0 < 0 ? 0 : thr - thr0,
                   (long long)ops,
                   (long long)checked);
            minute++;
            next_sample = start + 60.0 * minute;
            if (rss0 >= 0 && rss - rss0 > rss_bound_kb)
                fail_soak(__FILE__, __LINE__, "RSS grew beyond the bound");
            if (thr0 >= 0 && thr - thr0 > thread_bound)
                fail_soak(__FILE__, __LINE__, "the thread count grew beyond the bound");
        }
    } while (now_s() - start < minutes * 60);
    printf("soak: PASSED: %.1f minutes, %ld rounds, %lld ops, %lld checked; RSS first %ld kB, "
           "last %ld kB (%+ld), max %ld kB; threads first %d, last %d, max %d\n",
           (now_s() - start) / 60, rounds, (long long)ops, (long long)checked, rss0, rss_last,
           rss_last - rss0, rss_max, thr0, thr_last, thr_max);
    return 0;
}
