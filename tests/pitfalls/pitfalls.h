/* SPDX-License-Identifier: MIT */
/* pitfalls.h — the fourteen Qt threading pitfalls (P1..P14), each as two
 * demonstrations: the raw-Qt reproduction and the cqt counterpart.
 *
 * A demonstration runs its scenario, measures, and checks the numbers
 * against what is expected of that half: the raw half must show the broken
 * behaviour Qt really has, the cqt half the correct one (or the status code
 * and message that replace the silent failure). The Check suite
 * (test-pitfalls.c) and the report program (cqt-pitfalls.c) call the same
 * functions, so the table and the tests cannot disagree.
 *
 * Each demonstration owns its application: a raw half creates a
 * QCoreApplication for its length (raw/raw.h), a cqt half calls
 * cqt_app_init() and cqt_app_shutdown() itself and checks that nothing
 * leaked. So they run one after another in one process, in any order, and
 * must be called from the process' main thread with no application alive.
 */
#ifndef CQT_PITFALLS_H
#define CQT_PITFALLS_H

#include <stdbool.h>
#include <stddef.h>

/* What one demonstration found. */
typedef struct pit_outcome {
    bool matched;       /* every expectation held */
    bool skipped;       /* not run in this build; `measured` says why */
    char measured[640]; /* what happened, in numbers, one line */
    char failure[640];  /* the first expectation that did not hold; "" */
} pit_outcome;

typedef void (*pit_demo_fn)(pit_outcome *out);

typedef struct pitfall {
    const char *id;    /* "P1" .. "P14" */
    const char *title; /* the pitfall, short */
    const char *fix;   /* the cqt call that removes it, one line */
    const char *raw_test; /* names of the Check tests of each half */
    const char *cqt_test;
    pit_demo_fn raw;
    pit_demo_fn cqt;
} pitfall;

/* The fourteen, in order. */
extern const pitfall pit_all[];
extern const size_t pit_count;

/* The pitfall called @id ("P3" or "p3"); NULL if none. */
const pitfall *pit_find(const char *id);

/* Runs one demonstration, catching nothing: a demonstration never aborts
 * the caller (the dangerous scenarios run in child processes). */
void pit_run(pit_demo_fn fn, pit_outcome *out);

/* True when built with ThreadSanitizer. */
bool pit_under_tsan(void);

#endif /* CQT_PITFALLS_H */
