/* test-stage.c — several axes moved together (cqt/stage.h).
 *
 * Orders are checked from the report's monotonic times, never from sleeps;
 * waits use CQT_TEST_TIMEOUT_MS except where a timeout is the point.
 *
 * With CQT_TEST_AXIS_LINK=pty or tcp (meson: stage-over-pty,
 * stage-over-tcp in suite axis-link) the tests that make sense over a
 * controller link run with the stage's axes driven by cqt-axis-sim, a
 * child process, through one cqt_axis_link (axis-sim-child.h); the suite
 * at the end says which are left out and why. */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cqt/axis.h>
#include <cqt/stage.h>

#include "axis-sim-child.h"
#include "cqt-test.h"

#define SHORT_TIMEOUT_MS 400 /* a move that must time out waits this long */

static const char *const xyz[] = {"x", "y", "z"};

/* Three axes, each in its own thread, 100 units/s at @scale. */
static cqt_stage *make_xyz(double scale, cqt_thread *thread)
{
    cqt_axis_config ac;
    cqt_axis_config_init(&ac);
    ac.speed = 100;
    ac.min_position = 0;
    ac.max_position = 800;
    ac.time_scale = scale;
    ac.update_hz = 100;
    if (axis_test_link_mode()) { /* the controller's axes x, y, z */
        ac.link = axis_test_link();
        thread = NULL;
    }
    cqt_stage_config sc = {"xyz", xyz, 3, &ac, thread};
    cqt_stage *s = cqt_stage_new_from_config(&sc);
    ck_assert_msg(s != NULL, "%s", cqt_last_error());
    return s;
}

static int64_t ms_since(int64_t t0)
{
    return (cqt_now_ns() - t0) / 1000000;
}

/* ---- creation ------------------------------------------------------------ */

START_TEST(test_stage_new_bad_input)
{
    cqt_axis_config ac;
    cqt_axis_config_init(&ac);
    ac.name = "a";
    cqt_axis *a = cqt_axis_new(&ac);
    ck_assert_ptr_nonnull(a);
    cqt_axis *axes[CQT_STAGE_MAX_AXES + 1] = {a, a};

    ck_assert_ptr_null(cqt_stage_new(NULL, 1));
    ck_assert(strstr(cqt_last_error(), "cqt_stage_new") != NULL);
    ck_assert_ptr_null(cqt_stage_new(axes, 0));
    ck_assert_ptr_null(cqt_stage_new(axes, CQT_STAGE_MAX_AXES + 1));
    ck_assert_ptr_null(cqt_stage_new(axes, 2)); /* a twice */
    ck_assert(strstr(cqt_last_error(), "'a'") && strstr(cqt_last_error(), "twice"));
    axes[1] = NULL;
    ck_assert_ptr_null(cqt_stage_new(axes, 2));
    ck_assert(strstr(cqt_last_error(), "axes[1]") != NULL);

    cqt_stage *s = cqt_stage_new(axes, 1);
    ck_assert_ptr_nonnull(s);
    ck_assert_uint_eq(cqt_stage_axis_count(s), 1);
    ck_assert(cqt_stage_axis(s, 0) == a);
    ck_assert_ptr_null(cqt_stage_axis(s, 1));
    ck_assert(cqt_stage_axis_by_name(s, "a") == a);
    ck_assert_ptr_null(cqt_stage_axis_by_name(s, "b"));
    ck_assert_ptr_null(cqt_stage_axis_by_name(s, NULL));
    ck_assert(strncmp(cqt_stage_name(s), "stage-", 6) == 0);
    cqt_stage_free(s);
    ck_assert(cqt_axis_position(a) == 0); /* borrowed: still alive */
    cqt_axis_free(a);
}
END_TEST

START_TEST(test_stage_new_from_config)
{
    cqt_stage *s = make_xyz(100, NULL);
    ck_assert_str_eq(cqt_stage_name(s), "xyz");
    ck_assert_uint_eq(cqt_stage_axis_count(s), 3);
    for (size_t i = 0; i < 3; i++) {
        ck_assert_str_eq(cqt_axis_name(cqt_stage_axis(s, i)), xyz[i]);
        ck_assert(cqt_axis_speed(cqt_stage_axis(s, i)) == 100);
    }
    /* Each axis in its own thread. */
    ck_assert(cqt_axis_thread(cqt_stage_axis(s, 0)) != cqt_axis_thread(cqt_stage_axis(s, 1)));
    cqt_stage_free(s); /* frees its axes: the fixture checks nothing leaked */

    const char *dup[] = {"x", "x"};
    const char *empty[] = {"x", ""};
    const char *nul[] = {"x", NULL};
    cqt_stage_config bad = {NULL, dup, 2, NULL, NULL};
    ck_assert_ptr_null(cqt_stage_new_from_config(NULL));
    ck_assert_ptr_null(cqt_stage_new_from_config(&bad));
    ck_assert(strstr(cqt_last_error(), "'x'") != NULL);
    bad.axis_names = empty;
    ck_assert_ptr_null(cqt_stage_new_from_config(&bad));
    bad.axis_names = nul;
    ck_assert_ptr_null(cqt_stage_new_from_config(&bad));
    bad.axis_names = NULL;
    ck_assert_ptr_null(cqt_stage_new_from_config(&bad));
    bad.axis_names = xyz;
    bad.n = 0;
    ck_assert_ptr_null(cqt_stage_new_from_config(&bad));
    /* A bad axis config: the axes made before it are released. */
    cqt_axis_config ac;
    cqt_axis_config_init(&ac);
    ac.speed = -1;
    cqt_stage_config badaxis = {"s", xyz, 3, &ac, NULL};
    ck_assert_ptr_null(cqt_stage_new_from_config(&badaxis));
    ck_assert(strstr(cqt_last_error(), "speed") != NULL);
}
END_TEST

/* ---- blocking moves ------------------------------------------------------ */

START_TEST(test_stage_parallel_all_reach)
{
    cqt_stage *s = make_xyz(50, NULL);
    const double targets[] = {100, 650, 10};
    cqt_stage_report rep;
    int rc = cqt_stage_move_to(s, targets, CQT_STAGE_PARALLEL, CQT_TEST_TIMEOUT_MS, &rep);
    ck_assert_msg(rc == CQT_OK, "%s: %s", cqt_status_name(rc), rep.message);
    ck_assert_int_eq(rep.status, CQT_OK);
    ck_assert_uint_eq(rep.n, 3);
    ck_assert_str_eq(rep.message, "");
    ck_assert_int_eq(rep.mode, CQT_STAGE_PARALLEL);
    int64_t last_start = 0, first_arrival = INT64_MAX;
    for (size_t i = 0; i < 3; i++) {
        const cqt_stage_axis_report *a = &rep.axes[i];
        ck_assert_str_eq(a->name, xyz[i]);
        ck_assert_int_eq(a->outcome, CQT_STAGE_REACHED);
        ck_assert_int_eq(a->status, CQT_OK);
        ck_assert(a->position == targets[i]);
        ck_assert(a->start_ns >= rep.start_ns && a->arrival_ns > a->start_ns && a->arrival_ns <= rep.end_ns);
        if (a->start_ns > last_start)
            last_start = a->start_ns;
        if (a->arrival_ns < first_arrival)
            first_arrival = a->arrival_ns;
    }
    /* Parallel: every axis was started before any arrived. */
    ck_assert_msg(last_start < first_arrival, "last start %lld >= first arrival %lld", (long long)last_start,
                  (long long)first_arrival);
    ck_assert(!cqt_stage_is_busy(s));
    cqt_stage_free(s);
}
END_TEST

START_TEST(test_stage_sequential_in_order)
{
    cqt_stage *s = make_xyz(100, NULL);
    const double targets[] = {100, 200, 50};
    cqt_stage_report rep;
    int rc = cqt_stage_move_to(s, targets, CQT_STAGE_SEQUENTIAL, CQT_TEST_TIMEOUT_MS, &rep);
    ck_assert_msg(rc == CQT_OK, "%s: %s", cqt_status_name(rc), rep.message);
    for (size_t i = 0; i < 3; i++) {
        ck_assert_int_eq(rep.axes[i].outcome, CQT_STAGE_REACHED);
        ck_assert(rep.axes[i].arrival_ns > rep.axes[i].start_ns);
        if (i > 0)
            ck_assert_msg(rep.axes[i].start_ns >= rep.axes[i - 1].arrival_ns,
                          "axis %zu started %lld ns before axis %zu arrived", i,
                          (long long)(rep.axes[i - 1].arrival_ns - rep.axes[i].start_ns), i - 1);
    }
    cqt_stage_free(s);
}
END_TEST

START_TEST(test_stage_parallel_stall_on_y)
{
    cqt_stage *s = make_xyz(100, NULL);
    ck_assert_int_eq(cqt_axis_inject_fault(cqt_stage_axis_by_name(s, "y"), CQT_AXIS_FAULT_STALL), CQT_OK);
    const double targets[] = {100, 650, 0};
    cqt_stage_report rep;
    int rc = cqt_stage_move_to(s, targets, CQT_STAGE_PARALLEL, SHORT_TIMEOUT_MS, &rep);
    ck_assert_int_eq(rc, CQT_ETIMEDOUT);
    ck_assert_int_eq(rep.status, CQT_ETIMEDOUT);
    ck_assert_int_eq(rep.axes[0].outcome, CQT_STAGE_REACHED);
    ck_assert_int_eq(rep.axes[1].outcome, CQT_STAGE_TIMED_OUT);
    ck_assert_int_eq(rep.axes[2].outcome, CQT_STAGE_REACHED);
    ck_assert(rep.axes[1].position == 325);
    ck_assert_int_eq(rep.axes[1].state, CQT_AXIS_STALLED);
    ck_assert_str_eq(rep.axes[1].detail, "stall");
    ck_assert_int_eq(rep.axes[1].arrival_ns, 0);
    /* The message names y, and only y. */
    const char *want = "y did not reach 650.000 within 400 ms; stopped at 325.000 (stall)";
    ck_assert_str_eq(cqt_last_error(), want);
    ck_assert_str_eq(rep.message, want);
    ck_assert(ms_since(rep.start_ns) >= 0);
    ck_assert((rep.end_ns - rep.start_ns) / 1000000 >= SHORT_TIMEOUT_MS - 1);
    cqt_stage_free(s);
}
END_TEST

START_TEST(test_stage_sequential_stall_stops_the_sequence)
{
    cqt_stage *s = make_xyz(100, NULL);
    cqt_axis_inject_fault(cqt_stage_axis(s, 1), CQT_AXIS_FAULT_STALL);
    const double targets[] = {100, 650, 30};
    cqt_stage_report rep;
    ck_assert_int_eq(cqt_stage_move_to(s, targets, CQT_STAGE_SEQUENTIAL, SHORT_TIMEOUT_MS, &rep), CQT_ETIMEDOUT);
    ck_assert_int_eq(rep.axes[0].outcome, CQT_STAGE_REACHED);
    ck_assert_int_eq(rep.axes[1].outcome, CQT_STAGE_TIMED_OUT);
    ck_assert_int_eq(rep.axes[2].outcome, CQT_STAGE_NOT_STARTED);
    ck_assert_int_eq(rep.axes[2].start_ns, 0);
    ck_assert(cqt_axis_position(cqt_stage_axis(s, 2)) == 0);
    ck_assert(strstr(rep.message, "y did not reach 650.000") != NULL);
    ck_assert(strstr(rep.message, "x ") == NULL && strstr(rep.message, "z ") == NULL);
    cqt_stage_free(s);
}
END_TEST

START_TEST(test_stage_per_axis_timeout)
{
    /* x is slow (1000 units at 100/s, x2: 5 s); its own limit is 100 ms,
     * the stage's 10 s: only x times out, and soon. */
    cqt_stage *s = make_xyz(2, NULL);
    ck_assert_int_eq(cqt_stage_set_axis_timeout(s, 0, 100), CQT_OK);
    ck_assert_int_eq(cqt_stage_set_axis_timeout(s, 1, CQT_FOREVER), CQT_OK);
    const double targets[] = {800, 1, 2};
    cqt_stage_report rep;
    int64_t t0 = cqt_now_ns();
    ck_assert_int_eq(cqt_stage_move_to(s, targets, CQT_STAGE_PARALLEL, CQT_TEST_TIMEOUT_MS, &rep), CQT_ETIMEDOUT);
    ck_assert_msg(ms_since(t0) < CQT_TEST_TIMEOUT_MS / 2, "waited %lld ms", (long long)ms_since(t0));
    ck_assert_int_eq(rep.axes[0].outcome, CQT_STAGE_TIMED_OUT);
    ck_assert_int_eq(rep.axes[0].timeout_ms, 100);
    ck_assert_str_eq(rep.axes[0].detail, "still moving");
    ck_assert_int_eq(rep.axes[1].outcome, CQT_STAGE_REACHED);
    ck_assert_int_eq(rep.axes[2].outcome, CQT_STAGE_REACHED);
    ck_assert_int_eq(rep.axes[1].timeout_ms, CQT_TEST_TIMEOUT_MS);
    ck_assert(strstr(rep.message, "x did not reach 800.000 within 100 ms; still moving at") != NULL);
    ck_assert_int_eq(cqt_stage_stop(s), CQT_OK);
    cqt_stage_free(s);
}
END_TEST

START_TEST(test_stage_out_of_range_moves_nothing)
{
    cqt_stage *s = make_xyz(100, NULL);
    const double targets[] = {100, 900, 10};
    cqt_stage_report rep;
    ck_assert_int_eq(cqt_stage_move_to(s, targets, CQT_STAGE_PARALLEL, CQT_TEST_TIMEOUT_MS, &rep), CQT_ERANGE);
    ck_assert_int_eq(rep.axes[1].outcome, CQT_STAGE_OUT_OF_RANGE);
    ck_assert_int_eq(rep.axes[1].status, CQT_ERANGE);
    ck_assert_int_eq(rep.axes[0].outcome, CQT_STAGE_NOT_STARTED);
    ck_assert_int_eq(rep.axes[2].outcome, CQT_STAGE_NOT_STARTED);
    for (size_t i = 0; i < 3; i++) {
        ck_assert(!cqt_axis_is_moving(cqt_stage_axis(s, i)));
        ck_assert(cqt_axis_position(cqt_stage_axis(s, i)) == 0);
    }
    const char *m = cqt_last_error();
    ck_assert_msg(strstr(m, "y: target 900.000") && strstr(m, "[0.000, 800.000]"), "message: %s", m);
    ck_assert(strstr(m, "x:") == NULL);
    cqt_stage_free(s);
}
END_TEST

START_TEST(test_stage_nan_target_einval)
{
    cqt_stage *s = make_xyz(100, NULL);
    const double targets[] = {NAN, 1, INFINITY};
    cqt_stage_report rep;
    ck_assert_int_eq(cqt_stage_move_to(s, targets, CQT_STAGE_SEQUENTIAL, CQT_TEST_TIMEOUT_MS, &rep), CQT_EINVAL);
    ck_assert_int_eq(rep.axes[0].status, CQT_EINVAL);
    ck_assert_int_eq(rep.axes[2].status, CQT_EINVAL);
    ck_assert_int_eq(rep.axes[1].outcome, CQT_STAGE_NOT_STARTED);
    ck_assert(strstr(rep.message, "x:") && strstr(rep.message, "z:"));
    ck_assert(!cqt_axis_is_moving(cqt_stage_axis(s, 1)));
    cqt_stage_free(s);
}
END_TEST

START_TEST(test_stage_fault_reported_before_the_timeout)
{
    cqt_stage *s = make_xyz(50, NULL);
    cqt_axis_inject_fault(cqt_stage_axis(s, 2), CQT_AXIS_FAULT_ERROR);
    const double targets[] = {10, 20, 300};
    cqt_stage_report rep;
    int64_t t0 = cqt_now_ns();
    ck_assert_int_eq(cqt_stage_move_to(s, targets, CQT_STAGE_PARALLEL, CQT_TEST_TIMEOUT_MS, &rep), CQT_EFAULT);
    ck_assert_msg(ms_since(t0) < CQT_TEST_TIMEOUT_MS / 2, "a fault took %lld ms to report", (long long)ms_since(t0));
    ck_assert_int_eq(rep.axes[2].outcome, CQT_STAGE_FAULTED);
    ck_assert_int_eq(rep.axes[2].status, CQT_EFAULT);
    ck_assert(rep.axes[2].position == 150);
    ck_assert_int_eq(rep.axes[0].outcome, CQT_STAGE_REACHED);
    ck_assert_int_eq(rep.axes[1].outcome, CQT_STAGE_REACHED);
    ck_assert(strstr(rep.message, "z faulted at 150.000") != NULL);
    /* While faulted, the next move says so without moving. */
    ck_assert_int_eq(cqt_stage_move_to(s, targets, CQT_STAGE_PARALLEL, CQT_TEST_TIMEOUT_MS, &rep), CQT_EFAULT);
    ck_assert_int_eq(rep.axes[2].outcome, CQT_STAGE_FAULTED);
    ck_assert(strstr(rep.axes[2].detail, "cqt_axis_clear_fault") != NULL);
    cqt_stage_free(s);
}
END_TEST

START_TEST(test_stage_lost_signal_times_out)
{
    cqt_stage *s = make_xyz(100, NULL);
    cqt_axis_inject_fault(cqt_stage_axis(s, 2), CQT_AXIS_FAULT_DROP_SIGNAL);
    const double targets[] = {10, 20, 30};
    cqt_stage_report rep;
    ck_assert_int_eq(cqt_stage_move_to(s, targets, CQT_STAGE_PARALLEL, SHORT_TIMEOUT_MS, &rep), CQT_ETIMEDOUT);
    ck_assert_int_eq(rep.axes[2].outcome, CQT_STAGE_TIMED_OUT);
    ck_assert(rep.axes[2].position == 30);
    ck_assert_str_eq(rep.message, "z did not reach 30.000 within 400 ms; stopped at 30.000 (reached signal lost)");
    cqt_stage_free(s);
}
END_TEST

typedef struct thread_move {
    cqt_stage *stage;
    double targets[3];
    cqt_stage_mode mode;
    int rc;
    cqt_stage_report rep;
} thread_move;

static void *thread_move_main(void *arg)
{
    thread_move *m = arg;
    m->rc = cqt_stage_move_to(m->stage, m->targets, m->mode, CQT_TEST_TIMEOUT_MS, &m->rep);
    return NULL;
}

START_TEST(test_stage_move_from_plain_pthread)
{
    cqt_stage *s = make_xyz(100, NULL);
    thread_move m = {s, {5, 6, 7}, CQT_STAGE_SEQUENTIAL, -100, {0}};
    pthread_t th;
    pthread_create(&th, NULL, thread_move_main, &m);
    pthread_join(th, NULL);
    ck_assert_msg(m.rc == CQT_OK, "%s", m.rep.message);
    ck_assert(cqt_axis_position(cqt_stage_axis(s, 2)) == 7);
    cqt_stage_free(s);
}
END_TEST

START_TEST(test_stage_two_stages_share_one_axis_thread)
{
    cqt_thread *t = cqt_thread_new("stage-axes");
    ck_assert_int_eq(cqt_thread_start(t), CQT_OK);
    cqt_stage *a = make_xyz(100, t);
    cqt_stage *b = make_xyz(100, t);
    for (size_t i = 0; i < 3; i++) {
        ck_assert(cqt_axis_thread(cqt_stage_axis(a, i)) == t);
        ck_assert(cqt_axis_thread(cqt_stage_axis(b, i)) == t);
    }
    thread_move ma = {a, {100, 200, 300}, CQT_STAGE_PARALLEL, -100, {0}};
    thread_move mb = {b, {300, 200, 100}, CQT_STAGE_SEQUENTIAL, -100, {0}};
    pthread_t ta, tb;
    pthread_create(&ta, NULL, thread_move_main, &ma);
    pthread_create(&tb, NULL, thread_move_main, &mb);
    pthread_join(ta, NULL);
    pthread_join(tb, NULL);
    ck_assert_msg(ma.rc == CQT_OK, "%s", ma.rep.message);
    ck_assert_msg(mb.rc == CQT_OK, "%s", mb.rep.message);
    ck_assert(cqt_axis_position(cqt_stage_axis(a, 2)) == 300);
    ck_assert(cqt_axis_position(cqt_stage_axis(b, 2)) == 100);
    cqt_stage_free(a);
    cqt_stage_free(b);
    cqt_thread_free(t);
}
END_TEST

/* ---- async --------------------------------------------------------------- */

typedef struct async_rec {
    int calls;
    int destroys;
    cqt_thread *thread;
    cqt_stage_report rep;
    char last_error[1024];
    long heartbeats_at_report;
    cqt_test_counter *heartbeat;
    cqt_event *done;
} async_rec;

static void async_on_report(void *ud, cqt_stage *stage, const cqt_stage_report *rep)
{
    (void)stage;
    async_rec *r = ud;
    r->calls++;
    r->thread = cqt_thread_current();
    r->rep = *rep;
    snprintf(r->last_error, sizeof r->last_error, "%s", cqt_last_error());
    if (r->heartbeat)
        r->heartbeats_at_report = cqt_test_counter_get(r->heartbeat);
    if (r->done)
        cqt_event_set(r->done);
}

static void async_destroy(void *ud)
{
    async_rec *r = ud;
    __atomic_add_fetch(&r->destroys, 1, __ATOMIC_SEQ_CST);
}

static bool async_reported(void *arg)
{
    async_rec *r = arg;
    return __atomic_load_n(&r->destroys, __ATOMIC_SEQ_CST) > 0;
}

static void heartbeat_tick(void *ud, const cqt_value *v)
{
    (void)v;
    cqt_test_counter_add(ud, 1);
}

START_TEST(test_stage_async_report_in_receiver_thread_while_loop_runs)
{
    /* 200 units at 100/s, x2: a second of motion, long beside any stall a
     * loaded machine adds to the call itself. */
    cqt_stage *s = make_xyz(2, NULL);
    cqt_object *rx = cqt_object_new(NULL);
    cqt_test_counter beats = {0};
    cqt_timer *hb = cqt_timer_new(rx, "heartbeat");
    ck_assert(cqt_connect(cqt_timer_timeout(hb), rx, heartbeat_tick, &beats, NULL, CQT_AUTO) != 0);
    ck_assert_int_eq(cqt_timer_start(hb, 5), CQT_OK);
    async_rec r = {0};
    r.heartbeat = &beats;
    const double targets[] = {200, 100, 50};
    int64_t t0 = cqt_now_ns();
    ck_assert_int_eq(cqt_stage_move_to_async(s, targets, CQT_STAGE_PARALLEL, CQT_TEST_TIMEOUT_MS, rx, async_on_report,
                                             &r, async_destroy),
                     CQT_OK);
    /* Returned while the motion runs: judged against the motion, not a clock. */
    ck_assert_msg(cqt_axis_position(cqt_stage_axis(s, 0)) < targets[0],
                  "move_to_async returned after %lld ms, once x had arrived", (long long)ms_since(t0));
    ck_assert(cqt_stage_is_busy(s));
    ck_assert_int_eq(r.calls, 0);
    ck_assert(cqt_test_run_until(async_reported, &r, CQT_TEST_TIMEOUT_MS));
    ck_assert_int_eq(r.calls, 1);
    ck_assert_int_eq(r.destroys, 1);
    ck_assert(r.thread == cqt_thread_main());
    ck_assert_int_eq(r.rep.status, CQT_OK);
    for (size_t i = 0; i < 3; i++)
        ck_assert_int_eq(r.rep.axes[i].outcome, CQT_STAGE_REACHED);
    /* The main loop kept running during the move: the heartbeat ticked. */
    ck_assert_msg(r.heartbeats_at_report >= 5, "%ld heartbeats during a 1 s move", r.heartbeats_at_report);
    ck_assert(!cqt_stage_is_busy(s));
    cqt_object_free(rx);
    cqt_stage_free(s);
}
END_TEST

START_TEST(test_stage_async_report_in_worker_thread_with_failure)
{
    cqt_thread *gui = cqt_thread_new("receiver");
    ck_assert_int_eq(cqt_thread_start(gui), CQT_OK);
    cqt_object *rx = cqt_object_new(gui);
    cqt_stage *s = make_xyz(100, NULL);
    cqt_axis_inject_fault(cqt_stage_axis(s, 1), CQT_AXIS_FAULT_STALL);
    async_rec r = {0};
    r.done = cqt_event_new("reported");
    const double targets[] = {100, 650, 10};
    ck_assert_int_eq(cqt_stage_move_to_async(s, targets, CQT_STAGE_SEQUENTIAL, SHORT_TIMEOUT_MS, rx, async_on_report,
                                             &r, async_destroy),
                     CQT_OK);
    ck_assert_int_eq(cqt_event_wait(r.done, CQT_TEST_TIMEOUT_MS), CQT_OK);
    ck_assert(r.thread == gui);
    ck_assert_int_eq(r.rep.status, CQT_ETIMEDOUT);
    ck_assert_int_eq(r.rep.axes[0].outcome, CQT_STAGE_REACHED);
    ck_assert_int_eq(r.rep.axes[1].outcome, CQT_STAGE_TIMED_OUT);
    ck_assert_int_eq(r.rep.axes[2].outcome, CQT_STAGE_NOT_STARTED);
    /* cqt_last_error() in the receiver's thread holds the message. */
    ck_assert_str_eq(r.last_error, "y did not reach 650.000 within 400 ms; stopped at 325.000 (stall)");
    ck_assert(r.rep.axes[1].start_ns >= r.rep.axes[0].arrival_ns);
    cqt_object_free(rx);
    cqt_thread_free(gui); /* after the report: its destroy ran there */
    ck_assert_int_eq(r.destroys, 1);
    cqt_stage_free(s);
    cqt_event_free(r.done);
}
END_TEST

START_TEST(test_stage_async_destroy_called_exactly_once)
{
    cqt_stage *s = make_xyz(100, NULL);
    cqt_object *rx = cqt_object_new(NULL);
    const double ok[] = {1, 2, 3};
    const double out[] = {1, 2000, 3};

    /* Failure: destroy before returning, fn never. */
    async_rec r1 = {0};
    ck_assert_int_eq(cqt_stage_move_to_async(s, out, CQT_STAGE_PARALLEL, 100, rx, async_on_report, &r1, async_destroy),
                     CQT_ERANGE);
    ck_assert(strstr(cqt_last_error(), "y: target 2000.000") != NULL);
    ck_assert_int_eq(r1.destroys, 1);
    ck_assert_int_eq(cqt_stage_move_to_async(s, ok, CQT_STAGE_PARALLEL, 100, rx, NULL, &r1, async_destroy),
                     CQT_EINVAL);
    ck_assert_int_eq(r1.destroys, 2);
    ck_assert_int_eq(cqt_stage_move_to_async(s, ok, CQT_STAGE_PARALLEL, 100, NULL, async_on_report, &r1,
                                             async_destroy),
                     CQT_EINVAL);
    ck_assert_int_eq(cqt_stage_move_to_async(NULL, ok, CQT_STAGE_PARALLEL, 100, rx, async_on_report, &r1,
                                             async_destroy),
                     CQT_EINVAL);
    ck_assert_int_eq(r1.destroys, 4);
    cqt_app_process_events(0);
    ck_assert_int_eq(r1.calls, 0);

    /* Success: once, after fn. */
    async_rec r2 = {0};
    ck_assert_int_eq(cqt_stage_move_to_async(s, ok, CQT_STAGE_PARALLEL, CQT_TEST_TIMEOUT_MS, rx, async_on_report, &r2,
                                             async_destroy),
                     CQT_OK);
    /* Busy: a second move is refused, its destroy runs at once. */
    async_rec r3 = {0};
    int rc = cqt_stage_move_to_async(s, ok, CQT_STAGE_PARALLEL, 100, rx, async_on_report, &r3, async_destroy);
    ck_assert_int_eq(rc, CQT_ESTATE);
    ck_assert_int_eq(r3.destroys, 1);
    ck_assert(cqt_test_run_until(async_reported, &r2, CQT_TEST_TIMEOUT_MS));
    ck_assert_int_eq(r2.calls, 1);
    cqt_app_process_events(0);
    ck_assert_int_eq(r2.destroys, 1);

    /* Dropped: the receiver is freed before the report; destroy once, no fn. */
    cqt_axis_inject_fault(cqt_stage_axis(s, 0), CQT_AXIS_FAULT_STALL);
    cqt_object *rx2 = cqt_object_new(NULL);
    async_rec r4 = {0};
    const double far[] = {500, 2, 3};
    ck_assert_int_eq(cqt_stage_move_to_async(s, far, CQT_STAGE_PARALLEL, 200, rx2, async_on_report, &r4,
                                             async_destroy),
                     CQT_OK);
    cqt_object_free(rx2);
    ck_assert(cqt_test_run_until(async_reported, &r4, CQT_TEST_TIMEOUT_MS));
    cqt_app_process_events(0);
    ck_assert_int_eq(r4.destroys, 1);
    ck_assert_int_eq(r4.calls, 0);
    ck_assert(!cqt_stage_is_busy(s));

    cqt_object_free(rx);
    cqt_stage_free(s);
}
END_TEST

START_TEST(test_stage_busy_and_stop)
{
    /* 800 units at 100/s, x1: 8 s — stopped long before. */
    cqt_stage *s = make_xyz(1, NULL);
    cqt_object *rx = cqt_object_new(NULL);
    async_rec r = {0};
    const double targets[] = {800, 800, 800};
    ck_assert_int_eq(cqt_stage_move_to_async(s, targets, CQT_STAGE_PARALLEL, CQT_FOREVER, rx, async_on_report, &r,
                                             async_destroy),
                     CQT_OK);
    cqt_stage_report rep;
    ck_assert_int_eq(cqt_stage_move_to(s, targets, CQT_STAGE_PARALLEL, 10, &rep), CQT_ESTATE);
    ck_assert_int_eq(rep.status, CQT_ESTATE);
    ck_assert(strstr(cqt_last_error(), "'xyz'") && strstr(cqt_last_error(), "already moving"));
    ck_assert_int_eq(cqt_stage_stop(s), CQT_OK);
    ck_assert(cqt_test_run_until(async_reported, &r, CQT_TEST_TIMEOUT_MS));
    ck_assert_int_eq(r.calls, 1);
    ck_assert_int_eq(r.rep.status, CQT_ECANCELED);
    for (size_t i = 0; i < 3; i++) {
        ck_assert_int_eq(r.rep.axes[i].outcome, CQT_STAGE_STOPPED);
        ck_assert(r.rep.axes[i].position < 800);
    }
    ck_assert(strstr(r.rep.message, "x was stopped at") != NULL);
    /* Not busy any more: the next move runs (8 units back at x1: 80 ms). */
    ck_assert(!cqt_stage_is_busy(s));
    double back[3];
    for (size_t i = 0; i < 3; i++)
        back[i] = r.rep.axes[i].position > 8 ? r.rep.axes[i].position - 8 : 0;
    ck_assert_int_eq(cqt_stage_move_to(s, back, CQT_STAGE_PARALLEL, CQT_TEST_TIMEOUT_MS, NULL), CQT_OK);
    cqt_object_free(rx);
    cqt_stage_free(s);
}
END_TEST

START_TEST(test_stage_free_while_async_move_runs)
{
    cqt_stage *s = make_xyz(1, NULL);
    cqt_object *rx = cqt_object_new(NULL);
    async_rec r = {0};
    const double targets[] = {800, 700, 600};
    ck_assert_int_eq(cqt_stage_move_to_async(s, targets, CQT_STAGE_PARALLEL, CQT_FOREVER, rx, async_on_report, &r,
                                             async_destroy),
                     CQT_OK);
    cqt_stage_free(s); /* stops the axes; the report still comes */
    ck_assert(cqt_test_run_until(async_reported, &r, CQT_TEST_TIMEOUT_MS));
    ck_assert_int_eq(r.calls, 1);
    ck_assert_int_eq(r.rep.status, CQT_ECANCELED);
    cqt_object_free(rx);
}
END_TEST

/* The documented way to drop an async move: free the stage, then the
 * receiver. Here the receiver's thread is busy, so its object is only
 * marked freed and the report, refused inside an axis step, drops the
 * stage's last reference there, with that axis' other commands still
 * queued: every axis is freed once and nothing runs on a freed one. */
typedef struct gate {
    cqt_event *entered, *open;
} gate;

static void gate_hold(void *ud)
{
    gate *g = ud;
    cqt_event_set(g->entered);
    cqt_event_wait(g->open, CQT_TEST_TIMEOUT_MS);
}

static void gate_init(gate *g, cqt_object *in)
{
    g->entered = cqt_event_new("entered");
    g->open = cqt_event_new("open");
    ck_assert_int_eq(cqt_invoke(in, gate_hold, g, CQT_QUEUED), CQT_OK);
    ck_assert_int_eq(cqt_event_wait(g->entered, CQT_TEST_TIMEOUT_MS), CQT_OK);
}

static void gate_fini(gate *g)
{
    cqt_event_free(g->entered);
    cqt_event_free(g->open);
}

static void dropped_destroy(void *ud)
{
    async_rec *r = ud;
    __atomic_add_fetch(&r->destroys, 1, __ATOMIC_SEQ_CST);
    cqt_event_set(r->done);
}

START_TEST(test_stage_free_then_receiver_free_while_async_move_runs)
{
    cqt_thread *t = cqt_thread_new("xyz"), *rt = cqt_thread_new("report");
    ck_assert_int_eq(cqt_thread_start(t), CQT_OK);
    ck_assert_int_eq(cqt_thread_start(rt), CQT_OK);
    cqt_stage *s = make_xyz(1, t);
    cqt_object *rx = cqt_object_new(rt), *in_axes = cqt_object_new(t), *in_rt = cqt_object_new(rt);
    async_rec r = {0};
    r.done = cqt_event_new("dropped");

    /* Hold both threads: every command below is queued in the axes' one,
     * and the receiver's release waits in its own. */
    gate ga, gr;
    gate_init(&ga, in_axes);
    gate_init(&gr, in_rt);
    const double targets[] = {800, 700, 600};
    ck_assert_int_eq(cqt_stage_move_to_async(s, targets, CQT_STAGE_PARALLEL, CQT_FOREVER, rx, async_on_report, &r,
                                             dropped_destroy),
                     CQT_OK);
    cqt_stage_free(s);   /* stops the axes; the release waits for the report */
    cqt_object_free(rx); /* ... which is now refused */
    cqt_event_set(ga.open);

    ck_assert_int_eq(cqt_event_wait(r.done, CQT_TEST_TIMEOUT_MS), CQT_OK);
    cqt_event_set(gr.open);
    cqt_object_free(in_axes);
    cqt_object_free(in_rt);
    cqt_thread_free(t); /* runs what is still queued there first */
    cqt_thread_free(rt);
    ck_assert_int_eq(r.calls, 0);
    ck_assert_int_eq(__atomic_load_n(&r.destroys, __ATOMIC_SEQ_CST), 1);
    cqt_event_free(r.done);
    gate_fini(&ga);
    gate_fini(&gr);
}
END_TEST

/* A blocking move called in the thread one of its axes lives in is
 * refused: that thread could not run the move it would wait for. */
typedef struct in_thread_move {
    cqt_stage *stage;
    int rc;
    char err[512];
} in_thread_move;

static void move_in_axis_thread(void *ud)
{
    in_thread_move *m = ud;
    const double targets[] = {100, 100, 100};
    cqt_stage_report rep;
    m->rc = cqt_stage_move_to(m->stage, targets, CQT_STAGE_PARALLEL, SHORT_TIMEOUT_MS, &rep);
    snprintf(m->err, sizeof m->err, "%s", cqt_last_error());
}

START_TEST(test_stage_move_in_an_axis_thread_edeadlk)
{
    cqt_thread *t = cqt_thread_new("xyz");
    ck_assert_int_eq(cqt_thread_start(t), CQT_OK);
    cqt_stage *s = make_xyz(1, t);
    cqt_object *in_axes = cqt_object_new(t);
    in_thread_move m = {s, 0, ""};
    ck_assert_int_eq(cqt_invoke(in_axes, move_in_axis_thread, &m, CQT_BLOCKING_QUEUED), CQT_OK);
    ck_assert_msg(m.rc == CQT_EDEADLK, "rc %d: %s", m.rc, m.err);
    ck_assert_msg(strstr(m.err, "'xyz'") && strstr(m.err, "cqt_stage_move_to_async"), "%s", m.err);
    ck_assert(!cqt_stage_is_busy(s));
    cqt_stage_free(s);
    cqt_object_free(in_axes);
    cqt_thread_free(t);
}
END_TEST

/* ---- misuse -------------------------------------------------------------- */

static void *adopted_main(void *arg)
{
    void **io = arg;
    cqt_object *o = cqt_object_new(NULL); /* lives in this adopted thread */
    async_rec r = {0};
    const double t[] = {1, 2, 3};
    *(int *)io[1] = cqt_stage_move_to_async(io[0], t, CQT_STAGE_PARALLEL, 100, o, async_on_report, &r, async_destroy);
    *(int *)io[2] = r.destroys;
    cqt_object_free(o);
    return NULL;
}

START_TEST(test_stage_bad_input)
{
    cqt_stage *s = make_xyz(100, NULL);
    const double t[] = {1, 2, 3};
    cqt_stage_report rep;
    memset(&rep, 0x5a, sizeof rep);
    ck_assert_int_eq(cqt_stage_move_to(NULL, t, CQT_STAGE_PARALLEL, 10, &rep), CQT_EINVAL);
    ck_assert_int_eq(rep.status, CQT_EINVAL);
    ck_assert_uint_eq(rep.n, 0);
    ck_assert_int_eq(cqt_stage_move_to(s, NULL, CQT_STAGE_PARALLEL, 10, &rep), CQT_EINVAL);
    ck_assert(strstr(rep.message, "targets") != NULL);
    ck_assert_int_eq(cqt_stage_move_to(s, t, (cqt_stage_mode)7, 10, NULL), CQT_EINVAL);
    ck_assert_int_eq(cqt_stage_move_to(s, t, CQT_STAGE_PARALLEL, -5, NULL), CQT_EINVAL);
    ck_assert_int_eq(cqt_stage_move_to_async(s, t, (cqt_stage_mode)7, 10, NULL, NULL, NULL, NULL), CQT_EINVAL);
    ck_assert_int_eq(cqt_stage_set_axis_timeout(NULL, 0, 1), CQT_EINVAL);
    ck_assert_int_eq(cqt_stage_set_axis_timeout(s, 3, 1), CQT_EINVAL);
    ck_assert_int_eq(cqt_stage_set_axis_timeout(s, 0, -7), CQT_EINVAL);
    ck_assert_int_eq(cqt_stage_stop(NULL), CQT_EINVAL);
    ck_assert(!cqt_stage_is_busy(NULL));
    ck_assert_uint_eq(cqt_stage_axis_count(NULL), 0);
    ck_assert_ptr_null(cqt_stage_axis(NULL, 0));
    ck_assert_ptr_null(cqt_stage_axis_by_name(NULL, "x"));
    ck_assert_str_eq(cqt_stage_name(NULL), "(null)");
    ck_assert_str_eq(cqt_stage_outcome_name((cqt_stage_outcome)42), "unknown");
    ck_assert_str_eq(cqt_stage_outcome_name(CQT_STAGE_TIMED_OUT), "timed out");
    ck_assert_str_eq(cqt_stage_mode_name((cqt_stage_mode)42), "unknown");
    ck_assert_str_eq(cqt_stage_mode_name(CQT_STAGE_SEQUENTIAL), "sequential");
    cqt_stage_free(NULL);

    /* A receiver in a thread without a loop could never get its report. */
    int rc = 0, destroys = 0;
    void *io[3] = {s, &rc, &destroys};
    pthread_t th;
    pthread_create(&th, NULL, adopted_main, io);
    pthread_join(th, NULL);
    ck_assert_int_eq(rc, CQT_ENOLOOP);
    ck_assert_int_eq(destroys, 1);
    ck_assert(!cqt_stage_is_busy(s));
    /* timeout 0 is valid: whatever is not there at once times out. */
    const double far[] = {800, 800, 800};
    ck_assert_int_eq(cqt_stage_move_to(s, far, CQT_STAGE_PARALLEL, 0, &rep), CQT_ETIMEDOUT);
    cqt_stage_stop(s);
    cqt_stage_free(s);
}
END_TEST

CQT_TEST_SUITE(stage_suite)
{
    if (axis_test_link_mode()) {
        /* Over a link. Left out: the creation checks of the simulated
         * model, the injected-fault cases (they assert where the
         * simulation strikes, half way, and its STALLED state; over a link
         * faults are the simulator's, tested in test-axis-link.c), the
         * cases that need a move to last (time_scale: the controller sets
         * the speed) and the ones that give the axes a thread (an axis on
         * a link lives in the link's thread). */
        Suite *s = suite_create(!strcmp(axis_test_link_kind(), "tcp") ? "stage-over-tcp" : "stage-over-pty");
        TCase *tc = tcase_create("link");
        tcase_add_checked_fixture(tc, axis_test_link_setup, axis_test_link_teardown);
        tcase_add_test(tc, test_stage_parallel_all_reach);
        tcase_add_test(tc, test_stage_sequential_in_order);
        tcase_add_test(tc, test_stage_out_of_range_moves_nothing);
        tcase_add_test(tc, test_stage_nan_target_einval);
        tcase_add_test(tc, test_stage_move_from_plain_pthread);
        tcase_add_test(tc, test_stage_async_report_in_receiver_thread_while_loop_runs);
        tcase_add_test(tc, test_stage_async_destroy_called_exactly_once);
        tcase_add_test(tc, test_stage_busy_and_stop);
        tcase_add_test(tc, test_stage_free_while_async_move_runs);
        tcase_add_test(tc, test_stage_bad_input);
        suite_add_tcase(s, tc);
        return s;
    }
    Suite *s = suite_create("stage");
    TCase *tc = tcase_create("stage");
    cqt_test_add_app_fixture(tc);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_stage_new_bad_input);
    tcase_add_test(tc, test_stage_new_from_config);
    tcase_add_test(tc, test_stage_parallel_all_reach);
    tcase_add_test(tc, test_stage_sequential_in_order);
    tcase_add_test(tc, test_stage_parallel_stall_on_y);
    tcase_add_test(tc, test_stage_sequential_stall_stops_the_sequence);
    tcase_add_test(tc, test_stage_per_axis_timeout);
    tcase_add_test(tc, test_stage_out_of_range_moves_nothing);
    tcase_add_test(tc, test_stage_nan_target_einval);
    tcase_add_test(tc, test_stage_fault_reported_before_the_timeout);
    tcase_add_test(tc, test_stage_lost_signal_times_out);
    tcase_add_test(tc, test_stage_move_from_plain_pthread);
    tcase_add_test(tc, test_stage_two_stages_share_one_axis_thread);
    tcase_add_test(tc, test_stage_async_report_in_receiver_thread_while_loop_runs);
    tcase_add_test(tc, test_stage_async_report_in_worker_thread_with_failure);
    tcase_add_test(tc, test_stage_async_destroy_called_exactly_once);
    tcase_add_test(tc, test_stage_busy_and_stop);
    tcase_add_test(tc, test_stage_free_while_async_move_runs);
    tcase_add_test(tc, test_stage_free_then_receiver_free_while_async_move_runs);
    tcase_add_test(tc, test_stage_move_in_an_axis_thread_edeadlk);
    tcase_add_test(tc, test_stage_bad_input);
    suite_add_tcase(s, tc);
    return s;
}
