/* SPDX-License-Identifier: MIT */
/* test-pitfalls.c — P1..P14, each as a pair of Check tests: the raw-Qt
 * half asserts the broken behaviour Qt really has, the cqt half the
 * correct one. One test case per pitfall: CK_RUN_CASE=P3 runs one pair.
 *
 * No fixture: each demonstration creates and shuts down its own
 * application (pitfalls.h), and Check runs each test in a fresh child. */
#include "cqt-test.h"

#include <stdio.h>

#include "pitfalls.h"

static void check_half(size_t i, bool raw)
{
    const pitfall *p = &pit_all[i];
    pit_outcome o;
    pit_run(raw ? p->raw : p->cqt, &o);
    if (o.skipped)
        fprintf(stderr, "%s %s: %s\n", p->id, raw ? "raw" : "cqt", o.measured);
    ck_assert_msg(o.matched, "%s (%s, %s half): %s\n  measured: %s", p->id, p->title,
                  raw ? "raw Qt" : "cqt", o.failure, o.measured);
}

#define PIT_PAIR(n, raw_name, cqt_name)                                        \
    START_TEST(raw_name) { check_half((n) - 1, true); }                       \
    END_TEST                                                                  \
    START_TEST(cqt_name) { check_half((n) - 1, false); }                      \
    END_TEST

PIT_PAIR(1, test_p1_raw_timer_start_from_other_thread, test_p1_cqt_timer_start_from_any_thread)
PIT_PAIR(2, test_p2_raw_timer_without_loop_is_silent, test_p2_cqt_timer_without_loop_is_enoloop)
PIT_PAIR(3, test_p3_raw_qthread_subclass_slot_runs_in_main,
         test_p3_cqt_worker_keeps_main_responsive)
PIT_PAIR(4, test_p4_raw_move_to_thread_pull_warns, test_p4_cqt_move_to_thread_pull_is_ewrongthread)
PIT_PAIR(5, test_p5_raw_ctor_and_run_objects_differ, test_p5_cqt_object_thread_is_explicit)
PIT_PAIR(6, test_p6_raw_second_move_never_completes, test_p6_cqt_axis_moves_many_times)
PIT_PAIR(7, test_p7_raw_timers_follow_object, test_p7_cqt_timers_follow_object)
PIT_PAIR(8, test_p8_raw_pending_calls_dropped_payloads_leak,
         test_p8_cqt_free_drops_and_frees_payloads)
PIT_PAIR(9, test_p9_raw_one_thread_per_event, test_p9_cqt_wait_all_uses_no_thread)
PIT_PAIR(10, test_p10_raw_work_in_main_freezes_loop, test_p10_cqt_worker_keeps_loop_responsive)
PIT_PAIR(11, test_p11_raw_running_thread_at_exit, test_p11_cqt_shutdown_names_straggler)
PIT_PAIR(12, test_p12_raw_blocking_queued_self_deadlocks,
         test_p12_cqt_blocking_queued_self_is_edeadlk)
PIT_PAIR(13, test_p13_raw_widget_from_worker_unchecked,
         test_p13_cqt_widget_from_worker_is_ewrongthread)
/* P14: Qt ignores setEnabled() on a notifier from another thread (warns,
 * isEnabled() lies); cqt_io_watch_enable/disable from a pthread take effect. */
PIT_PAIR(14, test_p14_raw_socket_notifier_other_thread_ignored,
         test_p14_cqt_io_watch_enable_disable_from_any_thread)

static TCase *pair(const char *id, const TTest *raw, const TTest *cqt)
{
    TCase *tc = tcase_create(id);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, raw);
    tcase_add_test(tc, cqt);
    return tc;
}

#define PAIR(id, r, c) suite_add_tcase(s, pair(id, r, c))

CQT_TEST_SUITE(pitfalls_suite)
{
    Suite *s = suite_create("pitfalls");
    PAIR("P1", test_p1_raw_timer_start_from_other_thread, test_p1_cqt_timer_start_from_any_thread);
    PAIR("P2", test_p2_raw_timer_without_loop_is_silent, test_p2_cqt_timer_without_loop_is_enoloop);
    PAIR("P3", test_p3_raw_qthread_subclass_slot_runs_in_main,
         test_p3_cqt_worker_keeps_main_responsive);
    PAIR("P4", test_p4_raw_move_to_thread_pull_warns,
         test_p4_cqt_move_to_thread_pull_is_ewrongthread);
    PAIR("P5", test_p5_raw_ctor_and_run_objects_differ, test_p5_cqt_object_thread_is_explicit);
    PAIR("P6", test_p6_raw_second_move_never_completes, test_p6_cqt_axis_moves_many_times);
    PAIR("P7", test_p7_raw_timers_follow_object, test_p7_cqt_timers_follow_object);
    PAIR("P8", test_p8_raw_pending_calls_dropped_payloads_leak,
         test_p8_cqt_free_drops_and_frees_payloads);
    PAIR("P9", test_p9_raw_one_thread_per_event, test_p9_cqt_wait_all_uses_no_thread);
    PAIR("P10", test_p10_raw_work_in_main_freezes_loop, test_p10_cqt_worker_keeps_loop_responsive);
    PAIR("P11", test_p11_raw_running_thread_at_exit, test_p11_cqt_shutdown_names_straggler);
    PAIR("P12", test_p12_raw_blocking_queued_self_deadlocks,
         test_p12_cqt_blocking_queued_self_is_edeadlk);
    PAIR("P13", test_p13_raw_widget_from_worker_unchecked,
         test_p13_cqt_widget_from_worker_is_ewrongthread);
    PAIR("P14", test_p14_raw_socket_notifier_other_thread_ignored,
         test_p14_cqt_io_watch_enable_disable_from_any_thread);
    return s;
}
