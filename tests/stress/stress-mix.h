/* SPDX-License-Identifier: MIT */
/* stress-mix.h — the stress scenarios, shared by the Check suite
 * (test-stress.c) and the soak driver (soak.c).
 *
 * Each scenario runs against the live application of the calling (main)
 * thread, checks its invariants with STRESS_CHECK and fills a figures
 * struct. The workload is multiplied by stress_scale(): 1 in a plain
 * build, smaller under the sanitizers and valgrind (detected at compile
 * time / at start), CQT_STRESS_SCALE overrides it.
 */
#ifndef CQT_STRESS_MIX_H
#define CQT_STRESS_MIX_H

#include <stdbool.h>
#include <stdint.h>

#include <cqt/cqt.h>

/* How a failed check is reported: the Check suite fails the test case; the
 * soak driver prints and exits. Set once before running a scenario. */
typedef void (*stress_fail_fn)(const char *file, int line, const char *msg);
void stress_set_fail_handler(stress_fail_fn fn);
void stress_fail(const char *file, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#define STRESS_CHECK(cond, ...)                                                              \
    do {                                                                                     \
        if (!(cond))                                                                         \
            stress_fail(__FILE__, __LINE__, __VA_ARGS__);                                    \
    } while (0)

typedef struct stress_figures {
    const char *name;
    double seconds;
    int64_t ops;        /* scenario-specific operations (emits, timer calls, ...) */
    int64_t checked;    /* deliveries / fires / signals whose invariants were checked */
    int64_t violations; /* always 0 when the scenario passed */
    int peak_threads;
    long peak_rss_kb;
    char detail[768];
} stress_figures;

/* Workload multiplier and a word naming why ("plain", "asan", "tsan",
 * "valgrind", "env"). */
double stress_scale(void);
const char *stress_scale_reason(void);

/* Samples the thread count and RSS every few ms in a helper thread, for
 * the peak figures. */
void stress_sampler_start(void);
void stress_sampler_stop(int *peak_threads, long *peak_rss_kb);

long stress_rss_kb(void);
int stress_thread_count(void);

/* Scenarios. Each needs an application (cqt_app_init) and leaves every
 * handle it made freed. */
void stress_delivery(stress_figures *f);
void stress_timers(stress_figures *f);
void stress_workers(stress_figures *f);
void stress_axes(stress_figures *f);
/* 1,000 watched socketpairs (fewer when RLIMIT_NOFILE is too low) over 8
 * threads, streamed while their watches' owners are created, moved and
 * freed. */
void stress_io(stress_figures *f);
/* Initialises its own application and shuts it down under load; returns
 * with no application. */
void stress_shutdown(stress_figures *f);

void stress_print(const stress_figures *f);

#endif /* CQT_STRESS_MIX_H */
