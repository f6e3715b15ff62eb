/* SPDX-License-Identifier: MIT */
/* bench.h — the harness every bench-<scenario>.c shares.
 *
 * A scenario is a list of variants (cqt and its peers). The parent process
 * runs each variant in a fresh child process (so a dispatcher chosen by
 * environment, pinning and peak RSS belong to that variant alone),
 * interleaving the repetitions across variants so that machine noise hits
 * them alike. A child runs its variant once, checks what it received and
 * reports metrics with bench_report(); a failed check exits non-zero and
 * the parent prints FAILED for that row.
 *
 * Environment: BENCH_REPS (default 5), BENCH_ONLY (substring of the
 * variant names to run), BENCH_SCALE (a factor applied to message counts,
 * default 1; scripts/bench never changes it). */
#ifndef CQT_BENCH_H
#define CQT_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum {
    BENCH_NOGLIB = 1u << 0, /* child runs with QT_NO_GLIB=1 */
    BENCH_PIN = 1u << 1,    /* child is pinned to CPU 0, threads and all */
    BENCH_ONCE = 1u << 2    /* slow peer: run it min(reps, 5) times */
};

typedef struct bench_variant {
    const char *name;            /* row label */
    int (*run)(const struct bench_variant *v); /* child side; 0 when correct */
    unsigned flags;
    long arg;                    /* free parameter of run */
    long arg2;
} bench_variant;

/* As a metric's ref: the ratio is to the best peer of that table, the
 * lowest (or highest, when higher_better) median among the variants whose
 * names start neither with "cqt" nor with "floor". */
#define BENCH_REF_BEST_PEER "best peer"

typedef struct bench_metric {
    const char *key;   /* as passed to bench_report */
    const char *title; /* table heading */
    const char *unit;
    const char *ref;   /* variant name the ratio is taken against (nullable) */
    bool higher_better;
} bench_metric;

typedef struct bench_scenario {
    const char *name;
    const char *what;
    const bench_variant *variants;
    size_t n_variants;
    const bench_metric *metrics;
    size_t n_metrics;
} bench_scenario;

int bench_main(int argc, char **argv, const bench_scenario *s);
void bench_report(const char *key, double value);
/* Fails the child with a message (a correctness check). Returns 1. */
int bench_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int64_t bench_now_ns(void);
long bench_scaled(long n);
/* Resident set size of this process now, in bytes. */
double bench_rss_bytes(void);
/* Threads of this process now (from /proc/self/status). */
int bench_thread_count(void);
void bench_sort(double *v, size_t n);
double bench_percentile(double *sorted, size_t n, double p);

#ifdef __cplusplus
}
#endif
#endif
