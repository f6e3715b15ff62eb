/* test-badinput.c — every public core function with bad input: NULL
 * handles, bad sizes and timeouts, wrong threads, no application. Each row
 * must return the expected status (or NULL), leave a message that names
 * the function, and not crash.
 *
 * With CQT_BADINPUT_CATALOGUE=FILE set, the rows are also written to FILE
 * as a Markdown table (the catalogue in tests/README.md comes from it). */
#include "cqt-test.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static FILE *catalogue;
static int rows;

static void open_catalogue(void)
{
    const char *path = getenv("CQT_BADINPUT_CATALOGUE");
    if (path && !catalogue)
        catalogue = fopen(path, "a");
}

static void check_row(const char *fn, const char *input, const char *expected_name, int ok,
                      const char *got_name, int line)
{
    const char *msg = cqt_last_error();
    ck_assert_msg(ok, "line %d: %s(%s): expected %s, got %s (%s)", line, fn, input, expected_name,
                  got_name, msg);
    ck_assert_msg(msg[0] != '\0', "line %d: %s(%s) left no message", line, fn, input);
    ck_assert_msg(strstr(msg, fn) != NULL, "line %d: %s(%s): message does not name the function: %s",
                  line, fn, input, msg);
    rows++;
    if (catalogue)
        fprintf(catalogue, "| `%s` | %s | `%s` | %s |\n", fn, input, expected_name, msg);
}

/* A call that returns a status. */
#define BAD(fn, input, expected, expr)                                                   \
    do {                                                                                 \
        cqt_set_last_error(CQT_OK, NULL);                                                \
        int rc_ = (expr);                                                                \
        check_row(fn, input, cqt_status_name(expected), rc_ == (expected), cqt_status_name(rc_), \
                  __LINE__);                                                             \
    } while (0)

/* A constructor or getter that returns NULL (or 0) on failure. */
#define BADNULL(fn, input, expr)                                                          \
    do {                                                                                 \
        cqt_set_last_error(CQT_OK, NULL);                                                \
        int null_ = (expr) == 0;                                                         \
        check_row(fn, input, "NULL", null_, null_ ? "NULL" : "non-NULL", __LINE__);      \
    } while (0)

static void fn_nothing(void *p)
{
    (void)p;
}

static void slot_nothing(void *p, const cqt_value *v)
{
    (void)p;
    (void)v;
}

static void tick_nothing(void *p, cqt_object *o, int id)
{
    (void)p;
    (void)o;
    (void)id;
}

static void when_nothing(void *p, int st, const int *r, size_t n, size_t i)
{
    (void)p;
    (void)st;
    (void)r;
    (void)n;
    (void)i;
}

static int hook_nothing(void *p, int ms)
{
    (void)p;
    (void)ms;
    return CQT_OK;
}

START_TEST(test_bad_input_with_app)
{
    open_catalogue();
    cqt_thread *t = cqt_thread_new("bad-input");
    cqt_object *o = cqt_object_new(NULL);
    cqt_signal *s = cqt_signal_new(o, "sig");
    cqt_timer *tm = cqt_timer_new(o, "tm");
    cqt_event *ev = cqt_event_new("ev");
    cqt_event *evs[2] = {ev, NULL};
    int results[2];
    size_t index;
    char longname[400];
    memset(longname, 'n', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';

    /* app */
    BAD("cqt_app_init", "an app exists already", CQT_ESTATE, cqt_app_init(NULL, NULL, CQT_APP_CORE));
    BAD("cqt_app_process_events", "max_ms = -1", CQT_EINVAL, cqt_app_process_events(-1));
    BAD("cqt_app_shutdown", "timeout_ms = -5", CQT_EINVAL, cqt_app_shutdown(-5));
    BAD("cqt_app_add_shutdown_hook", "fn = NULL", CQT_EINVAL,
        cqt_app_add_shutdown_hook(NULL, NULL, NULL));
    (void)hook_nothing;

    /* threads */
    BAD("cqt_thread_start", "NULL", CQT_EINVAL, cqt_thread_start(NULL));
    BAD("cqt_thread_start", "the main thread", CQT_EINVAL, cqt_thread_start(cqt_thread_main()));
    BAD("cqt_thread_quit", "NULL", CQT_EINVAL, cqt_thread_quit(NULL));
    BAD("cqt_thread_wait", "NULL", CQT_EINVAL, cqt_thread_wait(NULL, 0));
    BAD("cqt_thread_wait", "timeout_ms = -5", CQT_EINVAL, cqt_thread_wait(t, -5));
    ck_assert_str_eq(cqt_thread_name(NULL), "(null)");
    ck_assert(!cqt_thread_is_running(NULL));
    ck_assert(!cqt_thread_has_loop(NULL));

    /* objects */
    BADNULL("cqt_object_new", "a pointer that is not a thread", cqt_object_new((cqt_thread *)ev));
    BAD("cqt_object_set_name", "NULL object", CQT_EINVAL, cqt_object_set_name(NULL, "x"));
    BAD("cqt_object_set_name", "empty name", CQT_EINVAL, cqt_object_set_name(o, ""));
    BAD("cqt_object_move_to_thread", "NULL object", CQT_EINVAL, cqt_object_move_to_thread(NULL, t));
    BAD("cqt_object_move_to_thread", "NULL thread", CQT_EINVAL, cqt_object_move_to_thread(o, NULL));
    BAD("cqt_object_start_timer", "NULL object", CQT_EINVAL,
        cqt_object_start_timer(NULL, 1, CQT_TIMER_COARSE, tick_nothing, NULL));
    BAD("cqt_object_start_timer", "ms = -1", CQT_EINVAL,
        cqt_object_start_timer(o, -1, CQT_TIMER_COARSE, tick_nothing, NULL));
    BAD("cqt_object_start_timer", "timer_type = 99", CQT_EINVAL,
        cqt_object_start_timer(o, 1, 99, tick_nothing, NULL));
    BAD("cqt_object_start_timer", "fn = NULL", CQT_EINVAL,
        cqt_object_start_timer(o, 1, CQT_TIMER_COARSE, NULL, NULL));
    BAD("cqt_object_kill_timer", "NULL object", CQT_EINVAL, cqt_object_kill_timer(NULL, 1));
    BAD("cqt_object_kill_timer", "id = 0", CQT_EINVAL, cqt_object_kill_timer(o, 0));
    BAD("cqt_object_kill_timer", "an id never started", CQT_EINVAL, cqt_object_kill_timer(o, 123456));
    BAD("cqt_invoke", "NULL target", CQT_EINVAL, cqt_invoke(NULL, fn_nothing, NULL, CQT_AUTO));
    BAD("cqt_invoke", "fn = NULL", CQT_EINVAL, cqt_invoke(o, NULL, NULL, CQT_AUTO));
    BAD("cqt_invoke", "conn = 42", CQT_EINVAL, cqt_invoke(o, fn_nothing, NULL, (cqt_conn)42));
    BAD("cqt_invoke", "BLOCKING_QUEUED into the own thread", CQT_EDEADLK,
        cqt_invoke(o, fn_nothing, NULL, CQT_BLOCKING_QUEUED));
    cqt_object *in_t = cqt_object_new(t);
    BAD("cqt_invoke", "BLOCKING_QUEUED into a thread not started", CQT_ENOLOOP,
        cqt_invoke(in_t, fn_nothing, NULL, CQT_BLOCKING_QUEUED));
    cqt_object_free(in_t);

    /* signals */
    BADNULL("cqt_signal_new", "NULL owner", cqt_signal_new(NULL, "x"));
    BADNULL("cqt_connect", "NULL signal", cqt_connect(NULL, o, slot_nothing, NULL, NULL, CQT_AUTO));
    BADNULL("cqt_connect", "NULL receiver", cqt_connect(s, NULL, slot_nothing, NULL, NULL, CQT_AUTO));
    BADNULL("cqt_connect", "NULL slot", cqt_connect(s, o, NULL, NULL, NULL, CQT_AUTO));
    BADNULL("cqt_connect", "conn = 9", cqt_connect(s, o, slot_nothing, NULL, NULL, (cqt_conn)9));
    BAD("cqt_disconnect", "NULL signal", CQT_EINVAL, cqt_disconnect(NULL, 1));
    BAD("cqt_disconnect", "id = 0", CQT_EINVAL, cqt_disconnect(s, 0));
    BAD("cqt_disconnect", "an id never returned", CQT_EINVAL, cqt_disconnect(s, 987654321));
    BAD("cqt_emit", "NULL signal", CQT_EINVAL, cqt_emit(NULL, NULL));

    /* timers */
    BADNULL("cqt_timer_new", "NULL owner", cqt_timer_new(NULL, "x"));
    BAD("cqt_timer_start", "NULL", CQT_EINVAL, cqt_timer_start(NULL, 1));
    BAD("cqt_timer_start", "interval = -1", CQT_EINVAL, cqt_timer_start(tm, -1));
    BAD("cqt_timer_stop", "NULL", CQT_EINVAL, cqt_timer_stop(NULL));
    BAD("cqt_timer_set_single_shot", "NULL", CQT_EINVAL, cqt_timer_set_single_shot(NULL, true));
    BAD("cqt_timer_set_type", "NULL", CQT_EINVAL, cqt_timer_set_type(NULL, CQT_TIMER_COARSE));
    BAD("cqt_timer_set_type", "type = 7", CQT_EINVAL, cqt_timer_set_type(tm, 7));
    BADNULL("cqt_timer_timeout", "NULL", cqt_timer_timeout(NULL));
    BAD("cqt_single_shot", "ms = -1", CQT_EINVAL, cqt_single_shot(-1, o, fn_nothing, NULL));
    BAD("cqt_single_shot", "NULL receiver", CQT_EINVAL, cqt_single_shot(1, NULL, fn_nothing, NULL));
    BAD("cqt_single_shot", "fn = NULL", CQT_EINVAL, cqt_single_shot(1, o, NULL, NULL));
    ck_assert(!cqt_timer_is_active(NULL));
    ck_assert_int_eq(cqt_timer_remaining_ms(NULL), -1);
    ck_assert_int_eq(cqt_timer_interval_ms(NULL), -1);

    /* events */
    BAD("cqt_event_set", "NULL", CQT_EINVAL, cqt_event_set(NULL));
    BAD("cqt_event_clear", "NULL", CQT_EINVAL, cqt_event_clear(NULL));
    BAD("cqt_event_wait", "NULL", CQT_EINVAL, cqt_event_wait(NULL, 0));
    BAD("cqt_event_wait", "timeout_ms = -7", CQT_EINVAL, cqt_event_wait(ev, -7));
    BAD("cqt_event_wait_all", "NULL array", CQT_EINVAL, cqt_event_wait_all(NULL, 1, 0, results));
    BAD("cqt_event_wait_all", "n = 0", CQT_EINVAL, cqt_event_wait_all(evs, 0, 0, results));
    BAD("cqt_event_wait_all", "a NULL element", CQT_EINVAL, cqt_event_wait_all(evs, 2, 0, results));
    BAD("cqt_event_wait_all", "timeout_ms = -2", CQT_EINVAL, cqt_event_wait_all(evs, 1, -2, results));
    BAD("cqt_event_wait_any", "a NULL element", CQT_EINVAL, cqt_event_wait_any(evs, 2, 0, &index));
    BAD("cqt_event_when_all", "NULL receiver", CQT_EINVAL,
        cqt_event_when_all(evs, 1, 10, NULL, when_nothing, NULL, NULL));
    BAD("cqt_event_when_any", "fn = NULL", CQT_EINVAL,
        cqt_event_when_any(evs, 1, 10, o, NULL, NULL, NULL));

    /* pool */
    BAD("cqt_pool_run", "fn = NULL", CQT_EINVAL, cqt_pool_run(NULL, NULL, NULL));
    BAD("cqt_pool_set_max_threads", "n = 0", CQT_EINVAL, cqt_pool_set_max_threads(0));
    BAD("cqt_pool_wait_idle", "timeout_ms = -3", CQT_EINVAL, cqt_pool_wait_idle(-3));

    /* values */
    cqt_value v = cqt_value_int(1);
    BAD("cqt_value_copy", "NULL source", CQT_EINVAL, cqt_value_copy(&v, NULL));
    ck_assert_int_eq(cqt_value_get_type(&v), CQT_VALUE_NONE); /* documented: dst becomes none */

    /* very long names are cut, not overflowed */
    cqt_thread *lt = cqt_thread_new(longname);
    ck_assert_int_eq(strlen(cqt_thread_name(lt)), 63);
    cqt_thread_free(lt);

    cqt_event_free(ev);
    cqt_object_free(o);
    cqt_thread_free(t);
    if (catalogue)
        fclose(catalogue);
    ck_assert_int_gt(rows, 60);
}
END_TEST

typedef struct {
    cqt_object *o;
    cqt_thread *t;
    int rc[4];
    char msg[4][512];
} wrong_thread_job;

static void *wrong_thread_calls(void *arg)
{
    wrong_thread_job *j = arg;
    j->rc[0] = cqt_app_exec();
    strncpy(j->msg[0], cqt_last_error(), 511);
    j->rc[1] = cqt_app_shutdown(100);
    strncpy(j->msg[1], cqt_last_error(), 511);
    j->rc[2] = cqt_object_move_to_thread(j->o, j->t);
    strncpy(j->msg[2], cqt_last_error(), 511);
    j->rc[3] = cqt_object_set_name(j->o, "thief");
    strncpy(j->msg[3], cqt_last_error(), 511);
    return NULL;
}

/* Owner-only and main-only functions called from the wrong thread. */
START_TEST(test_bad_input_wrong_thread)
{
    open_catalogue();
    wrong_thread_job j = {.o = cqt_object_new(NULL), .t = cqt_thread_new("target")};
    pthread_t pt;
    pthread_create(&pt, NULL, wrong_thread_calls, &j);
    pthread_join(pt, NULL);
    static const char *fns[4] = {"cqt_app_exec", "cqt_app_shutdown", "cqt_object_move_to_thread",
                                 "cqt_object_set_name"};
    for (int i = 0; i < 4; i++) {
        ck_assert_msg(j.rc[i] == CQT_EWRONGTHREAD, "%s from a pthread: %s", fns[i],
                      cqt_status_name(j.rc[i]));
        ck_assert_msg(strstr(j.msg[i], fns[i]) != NULL, "%s", j.msg[i]);
        if (catalogue)
            fprintf(catalogue, "| `%s` | called from a plain pthread | `CQT_EWRONGTHREAD` | %s |\n",
                    fns[i], j.msg[i]);
    }
    ck_assert_str_eq(cqt_object_name(j.o), cqt_object_name(j.o)); /* unchanged, still valid */
    ck_assert_ptr_eq(cqt_object_thread(j.o), cqt_thread_main());
    cqt_object_free(j.o);
    cqt_thread_free(j.t);
    if (catalogue)
        fclose(catalogue);
}
END_TEST

/* With no application (never created, or after shutdown): CQT_ESTATE. */
START_TEST(test_bad_input_without_app)
{
    open_catalogue();
    BADNULL("cqt_thread_new", "no application", cqt_thread_new("x"));
    BADNULL("cqt_object_new", "no application", cqt_object_new(NULL));
    BADNULL("cqt_thread_current", "no application", cqt_thread_current());
    BADNULL("cqt_thread_main", "no application", cqt_thread_main());
    BAD("cqt_app_exec", "no application", CQT_ESTATE, cqt_app_exec());
    BAD("cqt_app_shutdown", "no application", CQT_ESTATE, cqt_app_shutdown(0));
    BAD("cqt_app_process_events", "no application", CQT_ESTATE, cqt_app_process_events(0));
    BAD("cqt_pool_run", "no application", CQT_ESTATE, cqt_pool_run(fn_nothing, NULL, NULL));
    BAD("cqt_app_init", "flags = 0x80", CQT_EINVAL, cqt_app_init(NULL, NULL, 0x80));
    BAD("cqt_app_init", "CQT_APP_GUI without libcqt-widgets", CQT_EINVAL,
        cqt_app_init(NULL, NULL, CQT_APP_GUI));
    cqt_app_quit(0); /* ignored, no crash */

    /* use after shutdown */
    ck_assert_int_eq(cqt_app_init(NULL, NULL, CQT_APP_CORE), CQT_OK);
    cqt_object *o = cqt_object_new(NULL);
    cqt_signal *s = cqt_signal_new(o, "s");
    cqt_timer *tm = cqt_timer_new(o, "tm");
    cqt_thread *t = cqt_thread_new("t");
    ck_assert_int_eq(cqt_app_shutdown(CQT_TEST_TIMEOUT_MS), CQT_OK);
    BAD("cqt_invoke", "after cqt_app_shutdown", CQT_ESTATE, cqt_invoke(o, fn_nothing, NULL, CQT_AUTO));
    BAD("cqt_emit", "after cqt_app_shutdown", CQT_ESTATE, cqt_emit(s, NULL));
    BAD("cqt_timer_start", "after cqt_app_shutdown", CQT_ESTATE, cqt_timer_start(tm, 1));
    BAD("cqt_thread_start", "after cqt_app_shutdown", CQT_ESTATE, cqt_thread_start(t));
    BAD("cqt_object_start_timer", "after cqt_app_shutdown", CQT_ESTATE,
        cqt_object_start_timer(o, 1, CQT_TIMER_COARSE, tick_nothing, NULL));
    cqt_object_free(o);
    cqt_thread_free(t);
    cqt_live_counts lc;
    cqt_debug_live_counts(&lc);
    ck_assert_int_eq(lc.objects + lc.threads + lc.timers + lc.signal_handles, 0);
    if (catalogue)
        fclose(catalogue);
}
END_TEST

CQT_TEST_SUITE(badinput_suite)
{
    Suite *s = suite_create("badinput");
    TCase *tc = tcase_create("with-app");
    cqt_test_add_app_fixture(tc);
    tcase_add_test(tc, test_bad_input_with_app);
    tcase_add_test(tc, test_bad_input_wrong_thread);
    suite_add_tcase(s, tc);
    TCase *none = tcase_create("without-app");
    tcase_add_test(none, test_bad_input_without_app);
    suite_add_tcase(s, none);
    return s;
}
