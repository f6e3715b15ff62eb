/* SPDX-License-Identifier: MIT */
/* cqt-test.h — what every cqt Check suite shares.
 *
 * Suites register themselves: write
 *
 *     CQT_TEST_SUITE(timer_suite) { Suite *s = suite_create("timer"); ...; return s; }
 *
 * and the shared runner (test-main.c) finds it. Run one suite with
 * CK_RUN_SUITE=timer, one case with CK_RUN_CASE=name (Check's own
 * variables). Each test runs in a forked child (Check's default), so each
 * gets a fresh application from the fixture.
 */
#ifndef CQT_TEST_H
#define CQT_TEST_H

#include <check.h>
#include <stdbool.h>
#include <stddef.h>

#include <cqt/cqt.h>

typedef Suite *(*cqt_test_suite_fn)(void);

#define CQT_TEST_SUITE(fn)                                                    \
    static Suite *fn(void);                                                  \
    __attribute__((used, section("cqt_test_suites"))) static const cqt_test_suite_fn \
        cqt_test_reg_##fn = fn;                                              \
    static Suite *fn(void)

/* Generous timeout for anything that should happen "soon": the machines are
 * shared and noisy; a correct test never waits this long. */
#define CQT_TEST_TIMEOUT_MS 10000

/* Fixture: cqt_app_init (core app) in the child; teardown shuts down with a
 * generous timeout, asserts it succeeded and that cqt_debug_live_counts()
 * is back to zero (nothing leaked by the test). */
void cqt_test_app_setup(void);
void cqt_test_app_teardown(void);
/* Adds the fixture above as a checked fixture of @tc. */
void cqt_test_add_app_fixture(TCase *tc);

/* Runs the main loop until pred(arg) is true or @timeout_ms passes.
 * Returns pred's last answer. Use this, not sleeps, to wait in main. */
bool cqt_test_run_until(bool (*pred)(void *arg), void *arg, int timeout_ms);

/* Number of threads in this process (/proc/self/task). */
int cqt_test_thread_count(void);
/* The count to compare against later: first starts and joins a pthread,
 * so helper threads a runtime spawns on first use (ThreadSanitizer's
 * background thread) are already there and not mistaken for a leak. */
int cqt_test_thread_baseline(void);
/* Waits until at most @max threads remain (QThread::wait returns before the
 * OS thread is gone: Qt's threads are detached), up to @timeout_ms; polls
 * the condition. Returns the last count. */
int cqt_test_wait_thread_count(int max, int timeout_ms);
/* Their names, space separated (static buffer), for failure messages. */
const char *cqt_test_thread_names(void);

/* Captures messages given to the message handler (Qt's warnings too).
 * cqt_test_capture_start() installs the capturing handler and clears the
 * log; cqt_test_captured() returns all lines joined by '\n' (static
 * buffer, valid until the next capture call). */
void cqt_test_capture_start(void);
const char *cqt_test_captured(void);
bool cqt_test_captured_contains(const char *needle);
void cqt_test_capture_stop(void);

/* A counter safe to bump from any thread. */
typedef struct { volatile long value; } cqt_test_counter;
static inline void cqt_test_counter_add(cqt_test_counter *c, long d)
{
    __atomic_add_fetch(&c->value, d, __ATOMIC_SEQ_CST);
}
static inline long cqt_test_counter_get(cqt_test_counter *c)
{
    return __atomic_load_n(&c->value, __ATOMIC_SEQ_CST);
}

#endif /* CQT_TEST_H */
