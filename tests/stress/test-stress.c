/* SPDX-License-Identifier: MIT */
/* test-stress.c — the stress suite (meson suite 'stress'): queued delivery,
 * timers, workers, axes and fd watches under load, and cqt_app_shutdown under all of
 * them. Each case prints its figures (ops/s, what was checked, peak
 * threads, peak RSS) so the load held is visible in the test log. The
 * workload shrinks under the sanitizers and valgrind (see stress_scale()). */
#include "cqt-test.h"
#include "stress-mix.h"

#include <stdio.h>

static void fail_in_check(const char *file, int line, const char *msg)
{
    ck_assert_msg(0, "%s:%d: %s", file, line, msg);
}

static void setup(void)
{
    stress_set_fail_handler(fail_in_check);
    cqt_test_app_setup();
}

static void run(void (*scenario)(stress_figures *))
{
    stress_figures f;
    scenario(&f);
    stress_print(&f);
    ck_assert_int_eq(f.violations, 0);
}

START_TEST(test_stress_queued_delivery)
{
    run(stress_delivery);
}
END_TEST

START_TEST(test_stress_timers)
{
    run(stress_timers);
}
END_TEST

START_TEST(test_stress_workers)
{
    run(stress_workers);
}
END_TEST

START_TEST(test_stress_axes)
{
    run(stress_axes);
}
END_TEST

/* fd watches on socketpairs streamed by writer threads while their owners
 * are created, moved between threads and freed: every record read once and
 * in order, no callback after a free returned, each callback in its owner's
 * current thread, destroy once per watch, nothing left live. */
START_TEST(test_stress_io_watches)
{
    run(stress_io);
}
END_TEST

START_TEST(test_stress_shutdown_under_load)
{
    stress_set_fail_handler(fail_in_check);
    run(stress_shutdown);
}
END_TEST

/* Regression (found by fuzz api_sequence): an object freed from another
 * thread kept firing its timers until the queued destroy ran there. Here
 * 0 ms timers fire continuously in a busy thread while main frees their
 * objects; at most the one call already under way may follow the free. */
typedef struct {
    int freed;
    int late;
} late_rec;

static void late_tick(void *user_data, cqt_object *o, int id)
{
    (void)o;
    (void)id;
    late_rec *r = user_data;
    if (__atomic_load_n(&r->freed, __ATOMIC_SEQ_CST))
        __atomic_add_fetch(&r->late, 1, __ATOMIC_SEQ_CST);
}

static void nop_tick(void *user_data, cqt_object *o, int id)
{
    (void)user_data;
    (void)o;
    (void)id;
}

static void late_destroy(void *user_data)
{
    cqt_event_set(user_data);
}

START_TEST(test_stress_no_timer_after_foreign_free)
{
    enum { N = 200 };
    static late_rec recs[N];
    cqt_thread *t = cqt_thread_new("late-timers");
    ck_assert_int_eq(cqt_thread_start(t), CQT_OK);
    int worst = 0;
    for (int i = 0; i < N; i++) {
        cqt_object *o = cqt_object_new(t);
        cqt_event *gone = cqt_event_new("destroyed");
        ck_assert_int_gt(cqt_object_start_timer(o, 0, CQT_TIMER_PRECISE, late_tick, &recs[i]), 0);
        /* a second timer whose destroy tells us the object is gone */
        ck_assert_int_gt(cqt_object_start_timer_full(o, 1000, CQT_TIMER_COARSE, nop_tick,
                                                     gone, late_destroy),
                         0);
        cqt_object_free(o);
        __atomic_store_n(&recs[i].freed, 1, __ATOMIC_SEQ_CST);
        ck_assert_int_eq(cqt_event_wait(gone, CQT_TEST_TIMEOUT_MS), CQT_OK);
        int late = __atomic_load_n(&recs[i].late, __ATOMIC_SEQ_CST);
        if (late > worst)
            worst = late;
        cqt_event_free(gone);
    }
    cqt_thread_free(t);
    ck_assert_msg(worst <= 1, "a timer fired %d times after cqt_object_free returned", worst);
}
END_TEST

CQT_TEST_SUITE(stress_suite)
{
    Suite *s = suite_create("stress");
    printf("stress: workload scale %.2f (%s)\n", stress_scale(), stress_scale_reason());
    fflush(stdout);
    TCase *tc = tcase_create("load");
    tcase_add_checked_fixture(tc, setup, cqt_test_app_teardown);
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, test_stress_queued_delivery);
    tcase_add_test(tc, test_stress_timers);
    tcase_add_test(tc, test_stress_workers);
    tcase_add_test(tc, test_stress_axes);
    tcase_add_test(tc, test_stress_no_timer_after_foreign_free);
    suite_add_tcase(s, tc);
    TCase *io = tcase_create("io"); /* CK_RUN_CASE=io runs it alone */
    tcase_add_checked_fixture(io, setup, cqt_test_app_teardown);
    tcase_set_timeout(io, 600);
    tcase_add_test(io, test_stress_io_watches);
    suite_add_tcase(s, io);
    TCase *sd = tcase_create("shutdown");
    tcase_set_timeout(sd, 600);
    tcase_add_test(sd, test_stress_shutdown_under_load);
    suite_add_tcase(s, sd);
    return s;
}
