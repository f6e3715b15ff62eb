/* SPDX-License-Identifier: MIT */
/* test-app.c — the application's lifecycle: re-entrant shutdown, hooks
 * added while shutdown runs, and shutdown's time bound. */
#include "cqt-test.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static void init_app(void)
{
    int rc = cqt_app_init(NULL, NULL, CQT_APP_CORE);
    ck_assert_msg(rc == CQT_OK, "cqt_app_init: %s", cqt_last_error());
}

static void shutdown_ok(void)
{
    int rc = cqt_app_shutdown(CQT_TEST_TIMEOUT_MS);
    ck_assert_msg(rc == CQT_OK, "cqt_app_shutdown: %s (%s)", cqt_status_name(rc),
                  cqt_last_error());
    ck_assert(!cqt_app_is_running());
}

/* What an inner cqt_app_shutdown() returned, and its message. */
typedef struct {
    int rc;
    char msg[512];
    int calls;
} inner_result;

static void inner_shutdown(inner_result *r)
{
    r->calls++;
    r->rc = cqt_app_shutdown(100);
    snprintf(r->msg, sizeof r->msg, "%s", cqt_last_error());
}

static void check_refused(const inner_result *r)
{
    ck_assert_int_eq(r->calls, 1);
    ck_assert_msg(r->rc == CQT_ESTATE, "inner shutdown returned %s (%s)", cqt_status_name(r->rc),
                  r->msg);
    ck_assert_msg(strstr(r->msg, "cqt_app_shutdown") && strstr(r->msg, "after"), "%s", r->msg);
}

static int hook_shutting_down(void *user_data, int timeout_ms)
{
    (void)timeout_ms;
    inner_shutdown(user_data);
    return CQT_OK;
}

/* cqt_app_shutdown() from a shutdown hook is refused; the outer one goes on. */
START_TEST(test_app_shutdown_from_hook_refused)
{
    init_app();
    inner_result r = {.rc = 1};
    ck_assert_int_eq(cqt_app_add_shutdown_hook(hook_shutting_down, &r, NULL), CQT_OK);
    shutdown_ok();
    check_refused(&r);
}
END_TEST

static void call_shutdown(void *arg)
{
    inner_shutdown(arg);
}

/* cqt_app_shutdown() from a call that the outer shutdown's final drain runs
 * is refused (the main thread's context is released once). */
START_TEST(test_app_shutdown_from_final_drain_refused)
{
    init_app();
    inner_result r = {.rc = 1};
    cqt_object *o = cqt_object_new(NULL);
    ck_assert_int_eq(cqt_invoke(o, call_shutdown, &r, CQT_QUEUED), CQT_OK);
    shutdown_ok();
    check_refused(&r);
    cqt_object_free(o);
}
END_TEST

static void shutdown_then_quit(void *arg)
{
    inner_shutdown(arg);
    cqt_app_quit(5);
}

/* cqt_app_shutdown() from a single shot while cqt_app_exec() runs is refused:
 * the application is not deleted under the running loop. */
START_TEST(test_app_shutdown_inside_exec_refused)
{
    init_app();
    inner_result r = {.rc = 1};
    cqt_object *o = cqt_object_new(NULL);
    ck_assert_int_eq(cqt_single_shot(0, o, shutdown_then_quit, &r), CQT_OK);
    ck_assert_int_eq(cqt_app_exec(), 5);
    check_refused(&r);
    cqt_object_free(o);
    shutdown_ok();
}
END_TEST

/* cqt_app_shutdown() from a call that cqt_app_process_events() runs is refused. */
START_TEST(test_app_shutdown_inside_process_events_refused)
{
    init_app();
    inner_result r = {.rc = 1};
    cqt_object *o = cqt_object_new(NULL);
    ck_assert_int_eq(cqt_invoke(o, call_shutdown, &r, CQT_QUEUED), CQT_OK);
    for (int i = 0; i < 1000 && r.calls == 0; i++)
        ck_assert_int_eq(cqt_app_process_events(5), CQT_OK);
    check_refused(&r);
    ck_assert(cqt_app_is_running());
    cqt_object_free(o);
    shutdown_ok();
}
END_TEST

/* ---- hooks added while shutdown runs ------------------------------------ */

static cqt_test_counter late_runs, late_destroys;

static int late_hook(void *user_data, int timeout_ms)
{
    (void)user_data;
    (void)timeout_ms;
    cqt_test_counter_add(&late_runs, 1);
    return CQT_OK;
}

static void late_destroy(void *user_data)
{
    (void)user_data;
    cqt_test_counter_add(&late_destroys, 1);
}

static int adding_hook(void *user_data, int timeout_ms)
{
    (void)timeout_ms;
    *(int *)user_data = cqt_app_add_shutdown_hook(late_hook, NULL, late_destroy);
    return CQT_OK;
}

/* A hook added by another hook runs in the same shutdown, and its destroy
 * runs once; nothing lingers for a later application. */
START_TEST(test_app_hook_added_from_hook_runs)
{
    init_app();
    int rc = 1;
    ck_assert_int_eq(cqt_app_add_shutdown_hook(adding_hook, &rc, NULL), CQT_OK);
    shutdown_ok();
    ck_assert_int_eq(rc, CQT_OK);
    ck_assert_int_eq(cqt_test_counter_get(&late_runs), 1);
    ck_assert_int_eq(cqt_test_counter_get(&late_destroys), 1);
    /* the next application's shutdown runs nothing of the last one's */
    init_app();
    shutdown_ok();
    ck_assert_int_eq(cqt_test_counter_get(&late_runs), 1);
    ck_assert_int_eq(cqt_test_counter_get(&late_destroys), 1);
}
END_TEST

typedef struct {
    cqt_event *go;
    int rc;
    char msg[512];
} adder;

static int set_event_hook(void *user_data, int timeout_ms)
{
    (void)timeout_ms;
    cqt_event_set(user_data);
    return CQT_OK;
}

static void add_when_shutting_down(void *arg)
{
    adder *a = arg;
    cqt_event_wait(a->go, CQT_TEST_TIMEOUT_MS);
    a->rc = cqt_app_add_shutdown_hook(late_hook, NULL, late_destroy);
    snprintf(a->msg, sizeof a->msg, "%s", cqt_last_error());
}

/* A hook added from another thread while shutdown runs either runs in this
 * shutdown or is refused with CQT_ESTATE; either way its destroy runs once,
 * before shutdown returns. */
START_TEST(test_app_hook_added_from_thread_during_shutdown)
{
    init_app();
    adder a = {.go = cqt_event_new("go"), .rc = 1};
    cqt_thread *t = cqt_thread_new("adder");
    ck_assert_int_eq(cqt_thread_start(t), CQT_OK);
    cqt_object *o = cqt_object_new(t);
    ck_assert_int_eq(cqt_invoke(o, add_when_shutting_down, &a, CQT_QUEUED), CQT_OK);
    ck_assert_int_eq(cqt_app_add_shutdown_hook(set_event_hook, a.go, NULL), CQT_OK);
    shutdown_ok();
    ck_assert_int_eq(cqt_test_counter_get(&late_destroys), 1);
    if (a.rc == CQT_OK) {
        ck_assert_int_eq(cqt_test_counter_get(&late_runs), 1);
    } else {
        ck_assert_msg(a.rc == CQT_ESTATE, "%s: %s", cqt_status_name(a.rc), a.msg);
        ck_assert_ptr_nonnull(strstr(a.msg, "shutting down"));
        ck_assert_int_eq(cqt_test_counter_get(&late_runs), 0);
    }
    cqt_object_free(o);
    cqt_thread_free(t);
    cqt_event_free(a.go);
}
END_TEST

/* ---- shutdown is bounded ---------------------------------------------------- */

/* Sets @release unless shutdown returned within the generous test timeout:
 * before the fix shutdown waited for the blocked task; this turns that hang
 * into a clear failure instead of a killed test. */
typedef struct {
    cqt_event *release;
    cqt_event *returned;
    int fired;
} watchdog;

static void *watchdog_main(void *arg)
{
    watchdog *w = arg;
    if (cqt_event_wait(w->returned, 2 * CQT_TEST_TIMEOUT_MS) != CQT_OK) {
        w->fired = 1;
        cqt_event_set(w->release);
    }
    return NULL;
}

static void blocked_task(void *arg)
{
    cqt_event_wait(arg, CQT_FOREVER);
}

typedef struct {
    cqt_event *release;
    int rc;
    char msg[512];
} starter;

static void start_blocked_task(void *arg)
{
    starter *s = arg;
    s->rc = cqt_pool_run(blocked_task, s->release, NULL);
    snprintf(s->msg, sizeof s->msg, "%s", cqt_last_error());
}

/* Once shutdown began, pool tasks are refused: a call queued to main that
 * the final drain runs cannot start a task shutdown would wait for. */
START_TEST(test_app_shutdown_refuses_pool_starts)
{
    init_app();
    cqt_event *release = cqt_event_new("release");
    cqt_event *returned = cqt_event_new("returned");
    watchdog wd = {release, returned, 0};
    pthread_t wt;
    pthread_create(&wt, NULL, watchdog_main, &wd);
    starter s = {.release = release, .rc = 1};
    cqt_object *o = cqt_object_new(NULL);
    ck_assert_int_eq(cqt_invoke(o, start_blocked_task, &s, CQT_QUEUED), CQT_OK);
    int rc = cqt_app_shutdown(100);
    cqt_event_set(returned);
    cqt_event_set(release);
    pthread_join(wt, NULL);
    ck_assert_msg(!wd.fired, "shutdown(100) waited for a task started during it");
    ck_assert_msg(rc == CQT_OK, "%s: %s", cqt_status_name(rc), cqt_last_error());
    ck_assert_msg(s.rc == CQT_ESTATE, "pool start in shutdown: %s (%s)", cqt_status_name(s.rc),
                  s.msg);
    ck_assert_ptr_nonnull(strstr(s.msg, "shutting down"));
    cqt_object_free(o);
    cqt_event_free(release);
    cqt_event_free(returned);
}
END_TEST

/* A pool task that does not return makes shutdown time out and name it,
 * rather than wait; the application is kept and a later shutdown succeeds. */
START_TEST(test_app_shutdown_times_out_on_pool_straggler)
{
    init_app();
    cqt_event *release = cqt_event_new("release");
    cqt_event *returned = cqt_event_new("returned");
    watchdog wd = {release, returned, 0};
    pthread_t wt;
    pthread_create(&wt, NULL, watchdog_main, &wd);
    ck_assert_int_eq(cqt_pool_run(blocked_task, release, NULL), CQT_OK);
    int rc = cqt_app_shutdown(100);
    char msg[512];
    snprintf(msg, sizeof msg, "%s", cqt_last_error());
    cqt_event_set(returned);
    ck_assert_msg(!wd.fired, "shutdown(100) waited for the straggler");
    ck_assert_msg(rc == CQT_ETIMEDOUT, "%s: %s", cqt_status_name(rc), msg);
    ck_assert_msg(strstr(msg, "pool task"), "%s", msg);
    ck_assert(cqt_app_is_running());
    /* the kept application works as before: starts are accepted again */
    cqt_event_set(release);
    pthread_join(wt, NULL);
    ck_assert_int_eq(cqt_pool_wait_idle(CQT_TEST_TIMEOUT_MS), CQT_OK);
    cqt_event *e = cqt_event_new("again");
    cqt_event_set(e);
    ck_assert_int_eq(cqt_pool_run(blocked_task, e, NULL), CQT_OK);
    shutdown_ok();
    cqt_event_free(e);
    cqt_event_free(release);
    cqt_event_free(returned);
}
END_TEST

/* ---- any-thread calls racing init and shutdown ---------------------------- */

static void *quit_in_loop(void *arg)
{
    while (!__atomic_load_n((volatile int *)arg, __ATOMIC_SEQ_CST))
        cqt_app_quit(1);
    return NULL;
}

/* cqt_app_quit ("any thread") from a plain pthread while main creates and
 * shuts down applications never touches a released main context. */
START_TEST(test_app_quit_races_init_shutdown)
{
    volatile int stop = 0;
    pthread_t pt[2];
    for (int i = 0; i < 2; i++)
        pthread_create(&pt[i], NULL, quit_in_loop, (void *)&stop);
    for (int i = 0; i < 200; i++) {
        init_app();
        cqt_app_process_events(0);
        shutdown_ok();
    }
    __atomic_store_n(&stop, 1, __ATOMIC_SEQ_CST);
    for (int i = 0; i < 2; i++)
        pthread_join(pt[i], NULL);
}
END_TEST

/* cqt_app_generation() is 0 without an application and differs for every
 * cqt_app_init(), so a module can tell a handle of an earlier one. */
START_TEST(test_app_generation_names_each_application)
{
    ck_assert_uint_eq(cqt_app_generation(), 0);
    init_app();
    uint64_t first = cqt_app_generation();
    ck_assert_uint_ne(first, 0);
    ck_assert_uint_eq(cqt_app_generation(), first);
    shutdown_ok();
    ck_assert_uint_eq(cqt_app_generation(), 0);
    init_app();
    uint64_t second = cqt_app_generation();
    ck_assert_uint_ne(second, 0);
    ck_assert_uint_ne(second, first);
    shutdown_ok();
}
END_TEST

/* cqt_now_ns() reads CLOCK_MONOTONIC (the clock of every *_ns report
 * field), also with no application: each reading lies between two of the
 * system clock's taken around it, and readings never go back. */
START_TEST(test_now_ns_is_the_monotonic_clock)
{
    int64_t last = 0;
    for (int i = 0; i < 1000; i++) {
        struct timespec a, b;
        clock_gettime(CLOCK_MONOTONIC, &a);
        int64_t now = cqt_now_ns();
        clock_gettime(CLOCK_MONOTONIC, &b);
        ck_assert_int_ge(now, (int64_t)a.tv_sec * 1000000000 + a.tv_nsec);
        ck_assert_int_le(now, (int64_t)b.tv_sec * 1000000000 + b.tv_nsec);
        ck_assert_int_ge(now, last);
        last = now;
    }
}
END_TEST

CQT_TEST_SUITE(app_suite)
{
    Suite *s = suite_create("app");
    TCase *tc = tcase_create("reentrant");
    tcase_add_test(tc, test_app_shutdown_from_hook_refused);
    tcase_add_test(tc, test_app_shutdown_from_final_drain_refused);
    tcase_add_test(tc, test_app_shutdown_inside_exec_refused);
    tcase_add_test(tc, test_app_shutdown_inside_process_events_refused);
    suite_add_tcase(s, tc);
    TCase *hooks = tcase_create("hooks");
    tcase_add_test(hooks, test_app_hook_added_from_hook_runs);
    tcase_add_test(hooks, test_app_hook_added_from_thread_during_shutdown);
    suite_add_tcase(s, hooks);
    TCase *bound = tcase_create("bound");
    tcase_add_test(bound, test_app_shutdown_refuses_pool_starts);
    tcase_add_test(bound, test_app_shutdown_times_out_on_pool_straggler);
    suite_add_tcase(s, bound);
    TCase *race = tcase_create("race");
    tcase_add_test(race, test_app_quit_races_init_shutdown);
    suite_add_tcase(s, race);
    TCase *gen = tcase_create("generation");
    tcase_add_test(gen, test_app_generation_names_each_application);
    tcase_add_test(gen, test_now_ns_is_the_monotonic_clock);
    suite_add_tcase(s, gen);
    return s;
}
