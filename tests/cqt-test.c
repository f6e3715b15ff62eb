/* SPDX-License-Identifier: MIT */
/* cqt-test.c — fixture and helpers shared by the suites (see cqt-test.h). */
#include "cqt-test.h"
#include "proc-threads.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

static int test_argc = 1;
static char test_arg0[] = "cqt-test";
static char *test_argv[] = {test_arg0, NULL};

void cqt_test_app_setup(void)
{
    int rc = cqt_app_init(&test_argc, test_argv, CQT_APP_CORE);
    ck_assert_msg(rc == CQT_OK, "cqt_app_init: %s (%s)", cqt_status_name(rc), cqt_last_error());
}

void cqt_test_app_teardown(void)
{
    int rc = cqt_app_shutdown(CQT_TEST_TIMEOUT_MS);
    ck_assert_msg(rc == CQT_OK, "cqt_app_shutdown: %s (%s)", cqt_status_name(rc), cqt_last_error());
    cqt_live_counts c;
    cqt_debug_live_counts(&c);
    ck_assert_msg(c.threads == 0 && c.objects == 0 && c.timers == 0 && c.signal_handles == 0 &&
                      c.connections == 0 && c.events == 0 && c.workers == 0 && c.pending == 0,
                  "leak after test: threads=%lld objects=%lld timers=%lld signals=%lld "
                  "connections=%lld events=%lld workers=%lld pending=%lld",
                  (long long)c.threads, (long long)c.objects, (long long)c.timers,
                  (long long)c.signal_handles, (long long)c.connections, (long long)c.events,
                  (long long)c.workers, (long long)c.pending);
}

void cqt_test_add_app_fixture(TCase *tc)
{
    tcase_add_checked_fixture(tc, cqt_test_app_setup, cqt_test_app_teardown);
}

bool cqt_test_run_until(bool (*pred)(void *arg), void *arg, int timeout_ms)
{
    struct timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (;;) {
        if (pred(arg))
            return true;
        clock_gettime(CLOCK_MONOTONIC, &now);
        long elapsed = (now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000;
        if (elapsed >= timeout_ms)
            return pred(arg);
        /* Runs the loop: returns early only at the slice's end, so the
         * predicate is re-checked at least every 5 ms. */
        cqt_app_process_events(5);
    }
}

int cqt_test_thread_count(void)
{
    return proc_thread_count(NULL);
}

static void *baseline_nop(void *arg)
{
    return arg;
}

int cqt_test_thread_baseline(void)
{
    pthread_t t;
    if (pthread_create(&t, NULL, baseline_nop, NULL) == 0)
        pthread_join(t, NULL);
    return cqt_test_thread_count();
}

int cqt_test_wait_thread_count(int max, int timeout_ms)
{
    cqt_event *never = cqt_event_new("thread-count poll");
    int n = cqt_test_thread_count();
    for (int waited = 0; n > max && waited < timeout_ms; waited++) {
        cqt_event_wait(never, 1); /* a 1 ms pause between checks of the condition */
        n = cqt_test_thread_count();
    }
    cqt_event_free(never);
    return n;
}

const char *cqt_test_thread_names(void)
{
    static char names[2048];
    proc_thread_names(names, sizeof names, false);
    return names[0] ? names : "?";
}

static pthread_mutex_t capture_mu = PTHREAD_MUTEX_INITIALIZER;
static char capture_buf[16384];
static size_t capture_len;
static char capture_copy[16384];

static void capture_handler(void *user_data, cqt_msg_type type, const char *category,
                            const char *message)
{
    (void)user_data;
    (void)type;
    pthread_mutex_lock(&capture_mu);
    int n = snprintf(capture_buf + capture_len, sizeof capture_buf - capture_len, "[%s] %s\n",
                     category ? category : "", message ? message : "");
    if (n > 0) {
        capture_len += (size_t)n;
        if (capture_len >= sizeof capture_buf)
            capture_len = sizeof capture_buf - 1;
    }
    pthread_mutex_unlock(&capture_mu);
}

void cqt_test_capture_start(void)
{
    pthread_mutex_lock(&capture_mu);
    capture_len = 0;
    capture_buf[0] = '\0';
    pthread_mutex_unlock(&capture_mu);
    cqt_set_message_handler(capture_handler, NULL, NULL);
}

const char *cqt_test_captured(void)
{
    pthread_mutex_lock(&capture_mu);
    memcpy(capture_copy, capture_buf, capture_len);
    capture_copy[capture_len] = '\0';
    pthread_mutex_unlock(&capture_mu);
    return capture_copy;
}

bool cqt_test_captured_contains(const char *needle)
{
    return strstr(cqt_test_captured(), needle) != NULL;
}

void cqt_test_capture_stop(void)
{
    cqt_set_message_handler(NULL, NULL, NULL);
}
