/* SPDX-License-Identifier: MIT */
/* test-unix.c — UNIX signals delivered as queued callbacks in the
 * receiver's thread: exact counts, several watchers, dispositions restored,
 * refusals. */
#include "cqt-test.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

static void noop(void *p)
{
    (void)p;
}

typedef struct {
    cqt_test_counter count;
    cqt_test_counter calls;
    cqt_test_counter wrong_thread;
    cqt_test_counter destroyed;
    cqt_thread *home;
    long want;
    cqt_event *reached;
} sig_log;

static void on_sig(void *user_data, int signo, unsigned count)
{
    sig_log *l = user_data;
    if (cqt_thread_current() != l->home || signo != SIGINT)
        cqt_test_counter_add(&l->wrong_thread, 1);
    cqt_test_counter_add(&l->calls, 1);
    cqt_test_counter_add(&l->count, count);
    if (cqt_test_counter_get(&l->count) >= __atomic_load_n(&l->want, __ATOMIC_SEQ_CST))
        cqt_event_set(l->reached);
}

static void sig_destroy(void *p)
{
    sig_log *l = p;
    cqt_test_counter_add(&l->destroyed, 1);
}

typedef struct {
    sig_log *logs[2];
    int bursts, per_burst;
    int failed;
} sender_job;

static void *send_bursts(void *arg)
{
    sender_job *j = arg;
    sigset_t only;
    sigemptyset(&only);
    sigaddset(&only, SIGINT);
    pthread_sigmask(SIG_UNBLOCK, &only, NULL);
    for (int b = 0; b < j->bursts; b++) {
        for (int k = 0; k < 2; k++) {
            __atomic_store_n(&j->logs[k]->want, (long)(b + 1) * j->per_burst, __ATOMIC_SEQ_CST);
            cqt_event_clear(j->logs[k]->reached);
        }
        for (int i = 0; i < j->per_burst; i++)
            kill(getpid(), SIGINT);
        /* the round trip: both receivers counted this burst */
        for (int k = 0; k < 2; k++)
            if (cqt_event_wait(j->logs[k]->reached, CQT_TEST_TIMEOUT_MS) != CQT_OK)
                j->failed = 1;
        if (j->failed)
            return NULL;
    }
    return NULL;
}

/* SIGINT sent 1,000 times in bursts from a plain pthread reaches two
 * watchers in two cqt threads: each counts exactly 1,000, every call in
 * its receiver's thread; unwatching the last restores the disposition. */
START_TEST(test_unix_signal_counts_exact_in_receiver_thread)
{
    /* kill() targets the process: the kernel hands SIGINT to some thread
     * that does not block it and merges a repeat while one is pending (no
     * handler can count those). So the sender is made the only thread
     * taking SIGINT (every other thread is created with it blocked): each
     * kill() is then handled in the sender before kill() returns. */
    sigset_t mask, old_mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGINT);
    ck_assert_int_eq(pthread_sigmask(SIG_BLOCK, &mask, &old_mask), 0);
    struct sigaction ign = {.sa_handler = SIG_IGN}, before, after;
    sigemptyset(&ign.sa_mask);
    ck_assert_int_eq(sigaction(SIGINT, &ign, &before), 0);

    cqt_thread *t1 = cqt_thread_new("sig-1"), *t2 = cqt_thread_new("sig-2");
    ck_assert_int_eq(cqt_thread_start(t1), CQT_OK);
    ck_assert_int_eq(cqt_thread_start(t2), CQT_OK);
    cqt_object *r1 = cqt_object_new(t1), *r2 = cqt_object_new(t2);
    sig_log l1 = {.home = t1, .reached = cqt_event_new("r1")};
    sig_log l2 = {.home = t2, .reached = cqt_event_new("r2")};
    int id1 = cqt_unix_signal_watch(SIGINT, r1, on_sig, &l1, sig_destroy);
    ck_assert_msg(id1 > 0, "%s", cqt_last_error());
    int id2 = cqt_unix_signal_watch(SIGINT, r2, on_sig, &l2, sig_destroy);
    ck_assert_msg(id2 > 0 && id2 != id1, "%s", cqt_last_error());

    sender_job j = {.logs = {&l1, &l2}, .bursts = 10, .per_burst = 100};
    pthread_t pt;
    pthread_create(&pt, NULL, send_bursts, &j);
    pthread_join(pt, NULL);
    ck_assert_msg(j.failed == 0, "counts %ld %ld calls %ld %ld", cqt_test_counter_get(&l1.count), cqt_test_counter_get(&l2.count), cqt_test_counter_get(&l1.calls), cqt_test_counter_get(&l2.calls));
    ck_assert_int_eq(cqt_invoke(r1, noop, NULL, CQT_BLOCKING_QUEUED), CQT_OK);
    ck_assert_int_eq(cqt_invoke(r2, noop, NULL, CQT_BLOCKING_QUEUED), CQT_OK);
    ck_assert_int_eq(cqt_test_counter_get(&l1.count), 1000);
    ck_assert_int_eq(cqt_test_counter_get(&l2.count), 1000);
    ck_assert_int_eq(cqt_test_counter_get(&l1.wrong_thread), 0);
    ck_assert_int_eq(cqt_test_counter_get(&l2.wrong_thread), 0);

    ck_assert_int_eq(cqt_unix_signal_unwatch(id1), CQT_OK);
    ck_assert_int_eq(cqt_test_counter_get(&l1.destroyed), 1);
    ck_assert_int_eq(cqt_unix_signal_unwatch(id1), CQT_EINVAL);
    ck_assert_int_eq(sigaction(SIGINT, NULL, &after), 0);
    ck_assert_ptr_ne((void *)after.sa_handler, (void *)SIG_IGN); /* still watched by id2 */
    ck_assert_int_eq(cqt_unix_signal_unwatch(id2), CQT_OK);
    ck_assert_int_eq(cqt_test_counter_get(&l2.destroyed), 1);
    ck_assert_int_eq(sigaction(SIGINT, NULL, &after), 0);
    ck_assert_ptr_eq((void *)after.sa_handler, (void *)SIG_IGN); /* restored */

    sigaction(SIGINT, &before, NULL);
    pthread_sigmask(SIG_SETMASK, &old_mask, NULL);
    cqt_object_free(r1);
    cqt_object_free(r2);
    cqt_thread_free(t1);
    cqt_thread_free(t2);
    cqt_event_free(l1.reached);
    cqt_event_free(l2.reached);
}
END_TEST

static void unwatch_self(void *user_data, int signo, unsigned count)
{
    (void)signo;
    (void)count;
    sig_log *l = user_data;
    cqt_test_counter_add(&l->calls, 1);
    ck_assert_int_eq(cqt_unix_signal_unwatch((int)l->want), CQT_OK);
    /* destroy waits until this call returns */
    ck_assert_int_eq(cqt_test_counter_get(&l->destroyed), 0);
    cqt_event_set(l->reached);
}

/* A watch removed from inside its own callback: destroy runs once, after
 * the callback; a watch left at shutdown is removed there (destroy once)
 * and the disposition restored. */
START_TEST(test_unix_signal_unwatch_inside_callback_and_at_shutdown)
{
    struct sigaction dfl, now;
    ck_assert_int_eq(sigaction(SIGUSR1, NULL, &dfl), 0);
    cqt_thread *t = cqt_thread_new("sig");
    ck_assert_int_eq(cqt_thread_start(t), CQT_OK);
    cqt_object *r = cqt_object_new(t);
    sig_log l = {.home = t, .reached = cqt_event_new("r")};
    int id = cqt_unix_signal_watch(SIGUSR1, r, unwatch_self, &l, sig_destroy);
    ck_assert_msg(id > 0, "%s", cqt_last_error());
    l.want = id;
    kill(getpid(), SIGUSR1);
    ck_assert_int_eq(cqt_event_wait(l.reached, CQT_TEST_TIMEOUT_MS), CQT_OK);
    ck_assert_int_eq(cqt_invoke(r, noop, NULL, CQT_BLOCKING_QUEUED), CQT_OK);
    ck_assert_int_eq(cqt_test_counter_get(&l.destroyed), 1);
    ck_assert_int_eq(cqt_test_counter_get(&l.calls), 1);

    /* left at shutdown */
    sig_log l2 = {.home = t, .reached = cqt_event_new("r2"), .want = 1};
    ck_assert_int_gt(cqt_unix_signal_watch(SIGUSR2, r, on_sig, &l2, sig_destroy), 0);
    ck_assert_int_eq(sigaction(SIGUSR2, NULL, &now), 0);
    ck_assert_ptr_ne((void *)now.sa_handler, (void *)SIG_DFL);
    cqt_object_free(r);
    cqt_thread_free(t);
    ck_assert_int_eq(cqt_app_shutdown(CQT_TEST_TIMEOUT_MS), CQT_OK);
    ck_assert_int_eq(cqt_test_counter_get(&l2.destroyed), 1);
    ck_assert_int_eq(sigaction(SIGUSR2, NULL, &now), 0);
    ck_assert_ptr_eq((void *)now.sa_handler, (void *)SIG_DFL);
    ck_assert_int_eq(sigaction(SIGUSR1, NULL, &now), 0);
    ck_assert_ptr_eq((void *)now.sa_handler, (void *)dfl.sa_handler);
    cqt_event_free(l.reached);
    cqt_event_free(l2.reached);
    /* the fixture's teardown shuts down again: give it an app */
    ck_assert_int_eq(cqt_app_init(NULL, NULL, CQT_APP_CORE), CQT_OK);
}
END_TEST

static void *watch_in_adopted(void *arg)
{
    int *rc = arg;
    cqt_object *o = cqt_object_new(NULL);
    sig_log l = {0};
    rc[0] = cqt_unix_signal_watch(SIGUSR1, o, on_sig, &l, sig_destroy);
    rc[1] = (int)cqt_test_counter_get(&l.destroyed);
    rc[2] = strstr(cqt_last_error(), "runs no event loop") != NULL;
    cqt_object_free(o);
    return NULL;
}

/* SIGKILL, SIGSTOP, 0 and 65 are refused with CQT_EINVAL, a receiver in a
 * thread without a loop with CQT_ENOLOOP; destroy runs once each time. */
START_TEST(test_unix_signal_refusals)
{
    cqt_object *o = cqt_object_new(NULL);
    sig_log l = {0};
    int bad[] = {SIGKILL, SIGSTOP, 0, 65, -1};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ck_assert_int_eq(cqt_unix_signal_watch(bad[i], o, on_sig, &l, sig_destroy), CQT_EINVAL);
        ck_assert_msg(strstr(cqt_last_error(), "cannot be watched") != NULL, "%s",
                      cqt_last_error());
    }
    ck_assert_int_eq(cqt_unix_signal_watch(SIGUSR1, o, NULL, &l, sig_destroy), CQT_EINVAL);
    ck_assert_int_eq(cqt_unix_signal_watch(SIGUSR1, NULL, on_sig, &l, sig_destroy), CQT_EINVAL);
    ck_assert_int_eq(cqt_test_counter_get(&l.destroyed), 7);
    ck_assert_int_eq(cqt_unix_signal_unwatch(0), CQT_EINVAL);
    ck_assert_int_eq(cqt_unix_signal_unwatch(12345), CQT_EINVAL);
    int rc[3] = {0};
    pthread_t pt;
    pthread_create(&pt, NULL, watch_in_adopted, rc);
    pthread_join(pt, NULL);
    ck_assert_int_eq(rc[0], CQT_ENOLOOP);
    ck_assert_int_eq(rc[1], 1);
    ck_assert_int_eq(rc[2], 1);
    cqt_object_free(o);
}
END_TEST

CQT_TEST_SUITE(unix_suite)
{
    Suite *s = suite_create("unix");
    TCase *tc = tcase_create("unix");
    cqt_test_add_app_fixture(tc);
    tcase_add_test(tc, test_unix_signal_counts_exact_in_receiver_thread);
    tcase_add_test(tc, test_unix_signal_unwatch_inside_callback_and_at_shutdown);
    tcase_add_test(tc, test_unix_signal_refusals);
    suite_add_tcase(s, tc);
    return s;
}
