/* SPDX-License-Identifier: MIT */
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
#include <signal.h>

#include <cqt/axis.h>
#include <cqt/process.h>
#include <cqt/stage.h>
#include <cqt/worker.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static FILE *catalogue;
static int rows;

static void open_catalogue(void)
{
    const char *path = getenv("CQT_BADINPUT_CATALOGUE");
    if (path && !catalogue)
        catalogue = fopen(path, "a");
}

/* What the message must contain: the function's name, except for the
 * rows that set it (a stage's report message names the axes instead). */
static const char *must_name;

static void check_row(const char *fn, const char *input, const char *expected_name, int ok,
                      const char *got_name, int line)
{
    const char *msg = cqt_last_error();
    const char *needle = must_name ? must_name : fn;
    must_name = NULL;
    ck_assert_msg(ok, "line %d: %s(%s): expected %s, got %s (%s)", line, fn, input, expected_name,
                  got_name, msg);
    ck_assert_msg(msg[0] != '\0', "line %d: %s(%s) left no message", line, fn, input);
    ck_assert_msg(strstr(msg, needle) != NULL, "line %d: %s(%s): message does not name %s: %s",
                  line, fn, input, needle, msg);
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

static int body_nothing(void *p, cqt_worker *w, cqt_value *result)
{
    (void)p;
    (void)w;
    (void)result;
    return CQT_OK;
}

static void wslot_nothing(void *p, cqt_worker *w, const cqt_value *v)
{
    (void)p;
    (void)w;
    (void)v;
}

static void report_nothing(void *p, cqt_stage *st, const cqt_stage_report *r)
{
    (void)p;
    (void)st;
    (void)r;
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
    BAD("cqt_thread_exit", "NULL", CQT_EINVAL, cqt_thread_exit(NULL, 1));
    BAD("cqt_thread_exit", "the main thread", CQT_EINVAL, cqt_thread_exit(cqt_thread_main(), 1));
    BAD("cqt_thread_exec", "called in the main thread", CQT_EWRONGTHREAD, cqt_thread_exec());
    BAD("cqt_thread_post", "NULL thread", CQT_EINVAL, cqt_thread_post(NULL, fn_nothing, NULL, NULL));
    BAD("cqt_thread_post", "fn = NULL", CQT_EINVAL, cqt_thread_post(t, NULL, NULL, NULL));
    BAD("cqt_thread_request_interruption", "the main thread", CQT_EINVAL,
        cqt_thread_request_interruption(cqt_thread_main()));
    BADNULL("cqt_thread_started", "NULL", cqt_thread_started(NULL));
    BADNULL("cqt_thread_finished", "the main thread", cqt_thread_finished(cqt_thread_main()));
    ck_assert_int_eq(cqt_thread_exit_code(NULL), 0);
    ck_assert(!cqt_thread_is_interruption_requested(NULL));

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
    BAD("cqt_single_shot", "fn = NULL, no receiver", CQT_EINVAL, cqt_single_shot(1, NULL, NULL, NULL));
    BAD("cqt_single_shot", "fn = NULL", CQT_EINVAL, cqt_single_shot(1, o, NULL, NULL));
    ck_assert(!cqt_timer_is_active(NULL));
    ck_assert_int_eq(cqt_timer_remaining_ms(NULL), -1);
    ck_assert_int_eq(cqt_timer_interval_ms(NULL), -1);
    ck_assert_int_eq(cqt_timer_id(NULL), -1);

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
    BADNULL("cqt_signal_new", "owner from before cqt_app_shutdown", cqt_signal_new(o, "late"));
    BADNULL("cqt_timer_new", "owner from before cqt_app_shutdown", cqt_timer_new(o, "late"));
    BADNULL("cqt_connect", "after cqt_app_shutdown",
            cqt_connect(s, o, slot_nothing, NULL, NULL, CQT_QUEUED));
    BAD("cqt_disconnect", "after cqt_app_shutdown", CQT_ESTATE, cqt_disconnect(s, 1));
    BAD("cqt_single_shot", "after cqt_app_shutdown", CQT_ESTATE,
        cqt_single_shot(1, o, fn_nothing, NULL));
    BAD("cqt_object_move_to_thread", "after cqt_app_shutdown", CQT_ESTATE,
        cqt_object_move_to_thread(o, t));
    BAD("cqt_app_add_shutdown_hook", "after cqt_app_shutdown", CQT_ESTATE,
        cqt_app_add_shutdown_hook(hook_nothing, NULL, NULL));
    BAD("cqt_pool_set_max_threads", "after cqt_app_shutdown", CQT_ESTATE,
        cqt_pool_set_max_threads(2));
    BADNULL("cqt_worker_new", "after cqt_app_shutdown", cqt_worker_new("w", body_nothing, NULL, NULL));
    cqt_axis_config ac;
    cqt_axis_config_init(&ac);
    BADNULL("cqt_axis_new", "after cqt_app_shutdown", cqt_axis_new(&ac));
    cqt_object_free(o);
    cqt_thread_free(t);
    cqt_live_counts lc;
    cqt_debug_live_counts(&lc);
    ck_assert_int_eq(lc.objects + lc.threads + lc.timers + lc.signal_handles, 0);
    if (catalogue)
        fclose(catalogue);
}
END_TEST

static void wait_for_event(void *ev)
{
    cqt_event_wait(ev, CQT_FOREVER);
}

/* The module headers: axis, stage, worker; and a double free the API can
 * detect (the first free still queued to the object's busy thread). */
START_TEST(test_bad_input_modules)
{
    open_catalogue();
    char longname[400];
    memset(longname, 'n', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';

    /* axis */
    cqt_axis_config c;
    cqt_axis_config_init(&c);
    c.name = "ax";
    c.min_position = -10;
    c.max_position = 10;
    c.time_scale = 100;
    cqt_axis *a = cqt_axis_new(&c);
    ck_assert_ptr_nonnull(a);
    BADNULL("cqt_axis_new", "config = NULL", cqt_axis_new(NULL));
#define BAD_AXIS_CONFIG(field, value, text)                                                    \
    do {                                                                                       \
        cqt_axis_config b_;                                                                    \
        cqt_axis_config_init(&b_);                                                             \
        b_.field = value;                                                                      \
        BADNULL("cqt_axis_new", text, cqt_axis_new(&b_));                                      \
    } while (0)
    BAD_AXIS_CONFIG(speed, 0, "speed = 0");
    BAD_AXIS_CONFIG(speed, -1, "speed = -1");
    BAD_AXIS_CONFIG(speed, NAN, "speed = NaN");
    BAD_AXIS_CONFIG(speed, INFINITY, "speed = +inf");
    BAD_AXIS_CONFIG(acceleration, -5, "acceleration = -5");
    BAD_AXIS_CONFIG(update_hz, -1, "update_hz = -1");
    BAD_AXIS_CONFIG(update_hz, 100000, "update_hz = 100000");
    BAD_AXIS_CONFIG(time_scale, -2, "time_scale = -2");
    BAD_AXIS_CONFIG(start_position, NAN, "start_position = NaN");
    {
        cqt_axis_config b;
        cqt_axis_config_init(&b);
        b.min_position = 5;
        b.max_position = -5;
        BADNULL("cqt_axis_new", "min_position > max_position", cqt_axis_new(&b));
        cqt_axis_config_init(&b);
        b.min_position = -1;
        b.max_position = 1;
        b.start_position = 3;
        BADNULL("cqt_axis_new", "start_position outside the limits", cqt_axis_new(&b));
    }
    BAD("cqt_axis_move_to", "NULL axis", CQT_EINVAL, cqt_axis_move_to(NULL, 1));
    BAD("cqt_axis_move_to", "target = NaN", CQT_EINVAL, cqt_axis_move_to(a, NAN));
    BAD("cqt_axis_move_to", "target = +inf", CQT_EINVAL, cqt_axis_move_to(a, INFINITY));
    BAD("cqt_axis_move_to", "target = -inf", CQT_EINVAL, cqt_axis_move_to(a, -INFINITY));
    BAD("cqt_axis_move_to", "target beyond the soft limit", CQT_ERANGE, cqt_axis_move_to(a, 11));
    BAD("cqt_axis_stop", "NULL", CQT_EINVAL, cqt_axis_stop(NULL));
    BAD("cqt_axis_inject_fault", "NULL", CQT_EINVAL, cqt_axis_inject_fault(NULL, CQT_AXIS_FAULT_STALL));
    BAD("cqt_axis_inject_fault", "fault = 99", CQT_EINVAL, cqt_axis_inject_fault(a, (cqt_axis_fault)99));
    BAD("cqt_axis_inject_fault", "fault = -1", CQT_EINVAL, cqt_axis_inject_fault(a, (cqt_axis_fault)-1));
    BAD("cqt_axis_clear_fault", "NULL", CQT_EINVAL, cqt_axis_clear_fault(NULL));
    cqt_axis_status st;
    BAD("cqt_axis_get_status", "NULL axis", CQT_EINVAL, cqt_axis_get_status(NULL, &st));
    BAD("cqt_axis_get_status", "NULL out", CQT_EINVAL, cqt_axis_get_status(a, NULL));
    BAD("cqt_axis_limits", "NULL axis", CQT_EINVAL, cqt_axis_limits(NULL, NULL, NULL));
    ck_assert(isnan(cqt_axis_position(NULL)) && isnan(cqt_axis_target(NULL)) &&
              isnan(cqt_axis_speed(NULL)));
    ck_assert_ptr_null(cqt_axis_reached_event(NULL));
    ck_assert_str_eq(cqt_axis_name(NULL), "(null)");
    /* a faulted axis refuses moves */
    ck_assert_int_eq(cqt_axis_inject_fault(a, CQT_AXIS_FAULT_ERROR), CQT_OK);
    ck_assert_int_eq(cqt_axis_move_to(a, 8), CQT_OK);
    ck_assert_int_eq(cqt_event_wait(cqt_axis_settled_event(a), CQT_TEST_TIMEOUT_MS), CQT_OK);
    BAD("cqt_axis_move_to", "a faulted axis", CQT_EFAULT, cqt_axis_move_to(a, 1));
    ck_assert_int_eq(cqt_axis_clear_fault(a), CQT_OK);
    {
        cqt_axis_config b;
        cqt_axis_config_init(&b);
        b.name = longname;
        cqt_axis *la = cqt_axis_new(&b);
        ck_assert_ptr_nonnull(la);
        ck_assert_int_eq(strlen(cqt_axis_name(la)), 31); /* cut, not overflowed */
        cqt_axis_free(la);
    }

    /* stage */
    cqt_axis *two[2] = {a, a};
    cqt_axis *none[1] = {NULL};
    cqt_axis *many[CQT_STAGE_MAX_AXES + 1];
    for (int i = 0; i <= CQT_STAGE_MAX_AXES; i++)
        many[i] = a;
    BADNULL("cqt_stage_new", "axes = NULL", cqt_stage_new(NULL, 1));
    BADNULL("cqt_stage_new", "n = 0", cqt_stage_new(two, 0));
    BADNULL("cqt_stage_new", "n = 17 (above CQT_STAGE_MAX_AXES)", cqt_stage_new(many, 17));
    BADNULL("cqt_stage_new", "a NULL axis", cqt_stage_new(none, 1));
    BADNULL("cqt_stage_new", "the same axis twice", cqt_stage_new(two, 2));
    BADNULL("cqt_stage_new_from_config", "config = NULL", cqt_stage_new_from_config(NULL));
    cqt_stage *sg = cqt_stage_new(two, 1);
    ck_assert_ptr_nonnull(sg);
    double tg[1] = {1}, tnan[1] = {NAN}, tinf[1] = {INFINITY}, tfar[1] = {100};
    cqt_stage_report rep;
    BAD("cqt_stage_move_to", "NULL stage", CQT_EINVAL,
        cqt_stage_move_to(NULL, tg, CQT_STAGE_PARALLEL, 100, &rep));
    BAD("cqt_stage_move_to", "targets = NULL", CQT_EINVAL,
        cqt_stage_move_to(sg, NULL, CQT_STAGE_PARALLEL, 100, &rep));
    BAD("cqt_stage_move_to", "mode = 7", CQT_EINVAL,
        cqt_stage_move_to(sg, tg, (cqt_stage_mode)7, 100, &rep));
    BAD("cqt_stage_move_to", "timeout_ms = -5", CQT_EINVAL,
        cqt_stage_move_to(sg, tg, CQT_STAGE_PARALLEL, -5, &rep));
    must_name = "ax"; /* the report's message, documented as naming the axes */
    BAD("cqt_stage_move_to", "a NaN target", CQT_EINVAL,
        cqt_stage_move_to(sg, tnan, CQT_STAGE_PARALLEL, 100, &rep));
    must_name = "ax"; /* the report's message, documented as naming the axes */
    BAD("cqt_stage_move_to", "an infinite target", CQT_EINVAL,
        cqt_stage_move_to(sg, tinf, CQT_STAGE_PARALLEL, 100, &rep));
    must_name = "ax"; /* the report's message, documented as naming the axes */
    BAD("cqt_stage_move_to", "a target beyond the soft limit", CQT_ERANGE,
        cqt_stage_move_to(sg, tfar, CQT_STAGE_SEQUENTIAL, 100, &rep));
    BAD("cqt_stage_move_to_async", "NULL receiver", CQT_EINVAL,
        cqt_stage_move_to_async(sg, tg, CQT_STAGE_PARALLEL, 100, NULL, report_nothing, NULL, NULL));
    BAD("cqt_stage_set_axis_timeout", "i out of range", CQT_EINVAL,
        cqt_stage_set_axis_timeout(sg, 5, 100));
    BAD("cqt_stage_set_axis_timeout", "timeout_ms = -3", CQT_EINVAL,
        cqt_stage_set_axis_timeout(sg, 0, -3));
    BAD("cqt_stage_stop", "NULL", CQT_EINVAL, cqt_stage_stop(NULL));
    ck_assert_ptr_null(cqt_stage_axis(sg, 9));
    ck_assert_ptr_null(cqt_stage_axis_by_name(sg, longname));
    cqt_stage_free(sg);

    /* worker */
    BADNULL("cqt_worker_new", "fn = NULL", cqt_worker_new("w", NULL, NULL, NULL));
    BADNULL("cqt_worker_new_custom", "klass = NULL", cqt_worker_new_custom("w", NULL, NULL));
    cqt_worker *fw = cqt_worker_new(longname, body_nothing, NULL, NULL);
    ck_assert_ptr_nonnull(fw);
    ck_assert_int_eq(strlen(cqt_worker_name(fw)), 63);
    BAD("cqt_worker_set_flags", "NULL", CQT_EINVAL, cqt_worker_set_flags(NULL, 0));
    BAD("cqt_worker_set_flags", "flags = 0x100", CQT_EINVAL, cqt_worker_set_flags(fw, 0x100));
    BAD("cqt_worker_set_flags", "CQT_WORKER_GENERATOR", CQT_EINVAL,
        cqt_worker_set_flags(fw, CQT_WORKER_GENERATOR));
    BAD("cqt_worker_set_yield_mode", "a function worker", CQT_ESTATE,
        cqt_worker_set_yield_mode(fw, CQT_YIELD_LATEST, 0));
    BAD("cqt_worker_set_deadline", "ms = -1", CQT_EINVAL, cqt_worker_set_deadline(fw, -1));
    BAD("cqt_worker_set_send_capacity", "a function worker", CQT_ESTATE,
        cqt_worker_set_send_capacity(fw, 4));
    BAD("cqt_worker_set_total", "a function worker", CQT_ESTATE, cqt_worker_set_total(fw, 4));
    BADNULL("cqt_worker_connect", "which = 99",
            cqt_worker_connect(fw, 99, NULL, wslot_nothing, NULL, NULL));
    BADNULL("cqt_worker_connect", "fn = NULL",
            cqt_worker_connect(fw, CQT_WORKER_FINISHED, NULL, NULL, NULL, NULL));
    BAD("cqt_worker_disconnect", "id = 0", CQT_EINVAL, cqt_worker_disconnect(fw, 0));
    BAD("cqt_worker_pause", "a function worker", CQT_ESTATE, cqt_worker_pause(fw));
    BAD("cqt_worker_send", "a function worker", CQT_ESTATE, cqt_worker_send(fw, NULL));
    BAD("cqt_worker_wait", "never started", CQT_ESTATE, cqt_worker_wait(fw, 0));
    BAD("cqt_worker_wait", "timeout_ms = -5", CQT_EINVAL, cqt_worker_wait(fw, -5));
    BAD("cqt_worker_yield", "outside the worker's body", CQT_EWRONGTHREAD,
        cqt_worker_yield(fw, NULL, NULL));
    BAD("cqt_worker_emit", "a built-in signal", CQT_EINVAL,
        cqt_worker_emit(fw, CQT_WORKER_FINISHED, NULL));
    BAD("cqt_worker_add_signal", "name = NULL", CQT_EINVAL, cqt_worker_add_signal(fw, NULL));
    BAD("cqt_worker_start", "NULL", CQT_EINVAL, cqt_worker_start(NULL));
    ck_assert_int_eq(cqt_worker_start(fw), CQT_OK);
    BAD("cqt_worker_start", "started twice", CQT_ESTATE, cqt_worker_start(fw));
    ck_assert_int_eq(cqt_worker_wait(fw, CQT_TEST_TIMEOUT_MS), CQT_OK);
    cqt_worker_unref(fw);
    cqt_worker *gw = cqt_worker_new_generator("g", body_nothing, NULL, NULL);
    BAD("cqt_worker_set_send_capacity", "capacity = 0", CQT_EINVAL,
        cqt_worker_set_send_capacity(gw, 0));
    BAD("cqt_worker_set_send_capacity", "capacity = 2000000", CQT_EINVAL,
        cqt_worker_set_send_capacity(gw, 2000000));
    BAD("cqt_worker_set_total", "total = -1", CQT_EINVAL, cqt_worker_set_total(gw, -1));
    BAD("cqt_worker_set_yield_mode", "throttle_ms = -1", CQT_EINVAL,
        cqt_worker_set_yield_mode(gw, CQT_YIELD_ALL, -1));
    cqt_worker_unref(gw);

    /* double free, detected while the first free is still queued */
    cqt_thread *t = cqt_thread_new("busy");
    ck_assert_int_eq(cqt_thread_start(t), CQT_OK);
    cqt_event *go = cqt_event_new("go");
    cqt_object *blocker = cqt_object_new(t), *victim = cqt_object_new(t);
    ck_assert_int_eq(cqt_invoke(blocker, wait_for_event, go, CQT_QUEUED), CQT_OK);
    cqt_test_capture_start();
    cqt_object_free(victim);
    cqt_object_free(victim); /* still held by the queued destroy: detected */
    ck_assert_msg(cqt_test_captured_contains("freed twice"), "%s", cqt_test_captured());
    if (catalogue) {
        const char *log = cqt_test_captured();
        const char *msg = strstr(log, "cqt_object_free");
        fprintf(catalogue, "| `cqt_object_free` | freed twice, the first free still queued | "
                           "ignored (warning) | %.*s |\n",
                (int)strcspn(msg ? msg : "", "\n"), msg ? msg : "");
    }
    cqt_test_capture_stop();
    cqt_event_set(go);
    cqt_object_free(blocker);
    cqt_thread_free(t);
    cqt_event_free(go);
    {
        cqt_value v = cqt_value_string("x");
        cqt_value_clear(&v);
        cqt_value_clear(&v); /* documented as safe */
        ck_assert_int_eq(cqt_value_get_type(&v), CQT_VALUE_NONE);
    }
    /* a second disconnect of the same connection */
    {
        cqt_object *o = cqt_object_new(NULL);
        cqt_signal *sg2 = cqt_signal_new(o, "s");
        cqt_connection cn = cqt_connect(sg2, o, slot_nothing, NULL, NULL, CQT_AUTO);
        ck_assert_int_eq(cqt_disconnect(sg2, cn), CQT_OK);
        BAD("cqt_disconnect", "the same connection twice", CQT_EINVAL, cqt_disconnect(sg2, cn));
        cqt_object_free(o);
    }
    cqt_axis_free(a);
    if (catalogue)
        fclose(catalogue);
}
END_TEST

static void io_nothing(void *p, cqt_io_watch *w, int fd, unsigned revents)
{
    (void)p;
    (void)w;
    (void)fd;
    (void)revents;
}

static void sig_nothing(void *p, int signo, unsigned count)
{
    (void)p;
    (void)signo;
    (void)count;
}

static void exit_nothing(void *p, cqt_process *pr, int status)
{
    (void)p;
    (void)pr;
    (void)status;
}

/* fd watches, UNIX signal watches and child processes: bad fds, events, signals and
 * callbacks, each with a message naming the function and the fix. */
START_TEST(test_bad_input_io)
{
    open_catalogue();
    cqt_object *o = cqt_object_new(NULL);
    int pfd[2], fds[2] = {900, 901}, closed = 902; /* fixed numbers: the catalogue names them */
    ck_assert_int_eq(pipe(pfd), 0);
    ck_assert_int_eq(dup2(pfd[0], fds[0]), fds[0]);
    ck_assert_int_eq(dup2(pfd[1], fds[1]), fds[1]);
    close(pfd[0]);
    close(pfd[1]);
    close(closed);
    BADNULL("cqt_io_watch_new", "fd = -1",
            cqt_io_watch_new(o, -1, CQT_IO_READ, io_nothing, NULL, NULL));
    BADNULL("cqt_io_watch_new", "a closed fd",
            cqt_io_watch_new(o, closed, CQT_IO_READ, io_nothing, NULL, NULL));
    BADNULL("cqt_io_watch_new", "events = 0x80 (unknown bits)",
            cqt_io_watch_new(o, fds[0], 0x80, io_nothing, NULL, NULL));
    BADNULL("cqt_io_watch_new", "events = CQT_IO_ERROR alone",
            cqt_io_watch_new(o, fds[0], CQT_IO_ERROR, io_nothing, NULL, NULL));
    BADNULL("cqt_io_watch_new", "fn = NULL",
            cqt_io_watch_new(o, fds[0], CQT_IO_READ, NULL, NULL, NULL));
    BADNULL("cqt_io_watch_new", "owner = NULL",
            cqt_io_watch_new(NULL, fds[0], CQT_IO_READ, io_nothing, NULL, NULL));
    BAD("cqt_io_watch_enable", "NULL", CQT_EINVAL, cqt_io_watch_enable(NULL));
    BAD("cqt_io_watch_disable", "NULL", CQT_EINVAL, cqt_io_watch_disable(NULL));
    BAD("cqt_io_watch_set_events", "NULL", CQT_EINVAL,
        cqt_io_watch_set_events(NULL, CQT_IO_READ));
    cqt_io_watch *w = cqt_io_watch_new(o, fds[0], CQT_IO_READ, io_nothing, NULL, NULL);
    ck_assert_ptr_nonnull(w);
    BAD("cqt_io_watch_set_events", "events = 0x80", CQT_EINVAL, cqt_io_watch_set_events(w, 0x80));
    BAD("cqt_io_watch_set_events", "events = 0", CQT_EINVAL, cqt_io_watch_set_events(w, 0));
    ck_assert_int_eq(cqt_io_watch_fd(NULL), -1);
    ck_assert(!cqt_io_watch_is_enabled(NULL));
    cqt_io_watch_free(NULL); /* ignored */
    cqt_io_watch_free(w);
    BAD("cqt_unix_signal_watch", "SIGKILL", CQT_EINVAL,
        cqt_unix_signal_watch(SIGKILL, o, sig_nothing, NULL, NULL));
    BAD("cqt_unix_signal_watch", "SIGSTOP", CQT_EINVAL,
        cqt_unix_signal_watch(SIGSTOP, o, sig_nothing, NULL, NULL));
    BAD("cqt_unix_signal_watch", "signo = 0", CQT_EINVAL,
        cqt_unix_signal_watch(0, o, sig_nothing, NULL, NULL));
    BAD("cqt_unix_signal_watch", "signo = 65", CQT_EINVAL,
        cqt_unix_signal_watch(65, o, sig_nothing, NULL, NULL));
    BAD("cqt_unix_signal_watch", "fn = NULL", CQT_EINVAL,
        cqt_unix_signal_watch(SIGUSR1, o, NULL, NULL, NULL));
    BAD("cqt_unix_signal_watch", "receiver = NULL", CQT_EINVAL,
        cqt_unix_signal_watch(SIGUSR1, NULL, sig_nothing, NULL, NULL));
    BAD("cqt_unix_signal_unwatch", "id = 0", CQT_EINVAL, cqt_unix_signal_unwatch(0));
    {
        const char *missing[] = {"cqt-no-such-program", NULL}, *none[] = {NULL};
        BADNULL("cqt_process_spawn", "argv = NULL",
                cqt_process_spawn(o, NULL, NULL, exit_nothing, NULL, NULL));
        BADNULL("cqt_process_spawn", "argv = {NULL}",
                cqt_process_spawn(o, none, NULL, exit_nothing, NULL, NULL));
        BADNULL("cqt_process_spawn", "on_exit = NULL",
                cqt_process_spawn(o, missing, NULL, NULL, NULL, NULL));
        BADNULL("cqt_process_spawn", "owner = NULL",
                cqt_process_spawn(NULL, missing, NULL, exit_nothing, NULL, NULL));
        BADNULL("cqt_process_spawn", "a program that does not exist",
                cqt_process_spawn(o, missing, NULL, exit_nothing, NULL, NULL));
        BAD("cqt_process_kill", "NULL", CQT_EINVAL, cqt_process_kill(NULL, SIGTERM));
    }
    cqt_object_free(o);
    close(fds[0]);
    close(fds[1]);
    if (catalogue) {
        fclose(catalogue);
        catalogue = NULL;
    }
}
END_TEST

CQT_TEST_SUITE(badinput_suite)
{
    Suite *s = suite_create("badinput");
    TCase *tc = tcase_create("with-app");
    cqt_test_add_app_fixture(tc);
    tcase_add_test(tc, test_bad_input_with_app);
    tcase_add_test(tc, test_bad_input_wrong_thread);
    tcase_add_test(tc, test_bad_input_modules);
    tcase_add_test(tc, test_bad_input_io);
    suite_add_tcase(s, tc);
    TCase *none = tcase_create("without-app");
    tcase_add_test(none, test_bad_input_without_app);
    suite_add_tcase(s, none);
    return s;
}
