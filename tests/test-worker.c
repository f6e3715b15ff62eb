/* SPDX-License-Identifier: MIT */
/* test-worker.c — workers: signal order per outcome, pause/resume/quit,
 * send queue, yield flow control, deadlines, progress, the pool, nested
 * starts, unhandled errors, shutdown, lifetime, custom and dedicated-thread
 * workers, and a misuse test for every public function. The cases follow
 * the files: "worker" (worker.c), "route" (worker-route.c), "deadline"
 * (worker-deadline.c), "registry" (worker-registry.c); the pool listing's
 * test is in test-pool.c. */
#include "cqt-test.h"

#include <cqt/worker.h>

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- helpers ------------------------------------------------------------ */

#define REC_MAX 4096

/* Records every signal of a worker, in delivery order. */
typedef struct rec rec;
typedef struct {
    rec *r;
    int which;
} rec_tag;

struct rec {
    int ids[REC_MAX];
    int64_t ints[REC_MAX];
    int n;
    cqt_thread *expect;       /* thread every handler must run in */
    cqt_test_counter wrong_thread;
    cqt_test_counter finished;
    cqt_test_counter destroyed; /* tag_destroy calls */
    cqt_value last_errored;
    char last_string[256];
    rec_tag tags[CQT_WORKER_N_SIGNALS];
    cqt_worker *quit_after_yield; /* quit this worker at the first yield */
};

static void rec_slot(void *user_data, cqt_worker *w, const cqt_value *arg)
{
    rec_tag *t = user_data;
    rec *r = t->r;
    (void)w;
    if (r->expect && cqt_thread_current() != r->expect)
        cqt_test_counter_add(&r->wrong_thread, 1);
    /* when full, keep overwriting the last slot so "finished last" holds */
    int i = r->n < REC_MAX ? r->n++ : REC_MAX - 1;
    r->ids[i] = t->which;
    r->ints[i] = cqt_value_get_int(arg);
    if (t->which == CQT_WORKER_ERRORED) {
        cqt_value_clear(&r->last_errored);
        cqt_value_copy(&r->last_errored, arg);
    }
    if (t->which == CQT_WORKER_WARNED && cqt_value_get_string(arg))
        snprintf(r->last_string, sizeof r->last_string, "%s", cqt_value_get_string(arg));
    if (t->which == CQT_WORKER_YIELDED && r->quit_after_yield) {
        cqt_worker_quit(r->quit_after_yield);
        r->quit_after_yield = NULL;
    }
    if (t->which == CQT_WORKER_FINISHED)
        cqt_test_counter_add(&r->finished, 1);
}

static void rec_init(rec *r)
{
    memset(r, 0, sizeof *r);
    r->expect = cqt_thread_main();
    for (int i = 0; i < CQT_WORKER_N_SIGNALS; i++)
        r->tags[i] = (rec_tag){r, i};
}

static void rec_connect_all(rec *r, cqt_worker *w, cqt_object *receiver)
{
    for (int i = 0; i < CQT_WORKER_N_SIGNALS; i++)
        ck_assert_uint_ne(cqt_worker_connect(w, i, receiver, rec_slot, &r->tags[i], NULL), 0);
}

static bool rec_is_finished(void *arg)
{
    return cqt_test_counter_get(&((rec *)arg)->finished) > 0;
}

static int rec_count(const rec *r, int which)
{
    int n = 0;
    for (int i = 0; i < r->n; i++)
        n += r->ids[i] == which;
    return n;
}

/* Asserts the order rule: started first, exactly one outcome, finished
 * last, nothing between outcome and finished. Returns the outcome id. */
static int rec_check_order(rec *r)
{
    ck_assert_int_ge(r->n, 3);
    ck_assert_int_eq(r->ids[0], CQT_WORKER_STARTED);
    ck_assert_int_eq(r->ids[r->n - 1], CQT_WORKER_FINISHED);
    ck_assert_int_eq(rec_count(r, CQT_WORKER_STARTED), 1);
    ck_assert_int_eq(rec_count(r, CQT_WORKER_FINISHED), 1);
    int outcomes = rec_count(r, CQT_WORKER_RETURNED) + rec_count(r, CQT_WORKER_ERRORED) +
                   rec_count(r, CQT_WORKER_ABORTED);
    ck_assert_int_eq(outcomes, 1);
    int o = r->ids[r->n - 2];
    ck_assert_msg(o == CQT_WORKER_RETURNED || o == CQT_WORKER_ERRORED || o == CQT_WORKER_ABORTED,
                  "signal before finished is %d, not an outcome", o);
    ck_assert_int_eq(cqt_test_counter_get(&r->wrong_thread), 0);
    return o;
}

static void rec_done(rec *r)
{
    cqt_value_clear(&r->last_errored);
}

static void wait_finished(rec *r)
{
    ck_assert_msg(cqt_test_run_until(rec_is_finished, r, CQT_TEST_TIMEOUT_MS),
                  "finished was not delivered in time");
}

static void destroy_count(void *user_data)
{
    cqt_test_counter_add(user_data, 1);
}

static bool counter_reaches(cqt_test_counter *c, long n, int timeout_ms);

typedef struct {
    cqt_test_counter *c;
    long n;
} reach_arg;

static bool reach_pred(void *arg)
{
    reach_arg *a = arg;
    return cqt_test_counter_get(a->c) >= a->n;
}

static bool counter_reaches(cqt_test_counter *c, long n, int timeout_ms)
{
    reach_arg a = {c, n};
    return cqt_test_run_until(reach_pred, &a, timeout_ms);
}

static bool live_workers_zero(void *arg)
{
    (void)arg;
    cqt_live_counts c;
    cqt_debug_live_counts(&c);
    return c.workers == 0;
}

/* ---- bodies ---------------------------------------------------------------- */

static int body_return_42(void *user_data, cqt_worker *w, cqt_value *result)
{
    (void)user_data;
    (void)w;
    *result = cqt_value_int(42);
    return CQT_OK;
}

/* Yields 0..n-1 and returns n. */
static int body_count(void *user_data, cqt_worker *w, cqt_value *result)
{
    int n = *(int *)user_data;
    for (int i = 0; i < n; i++) {
        cqt_value v = cqt_value_int(i);
        int rc = cqt_worker_yield(w, &v, NULL);
        if (rc < 0)
            return rc;
    }
    *result = cqt_value_int(n);
    return CQT_OK;
}

/* Yields increasing values until quit. */
static int body_forever(void *user_data, cqt_worker *w, cqt_value *result)
{
    (void)result;
    cqt_test_counter *yields = user_data;
    for (int64_t i = 0;; i++) {
        cqt_value v = cqt_value_int(i);
        if (cqt_worker_yield(w, &v, NULL) == CQT_ECANCELED)
            return CQT_ECANCELED;
        if (yields)
            cqt_test_counter_add(yields, 1);
    }
}

static int body_fail_erange(void *user_data, cqt_worker *w, cqt_value *result)
{
    (void)user_data;
    *result = cqt_value_int(1); /* must be discarded */
    return cqt_worker_fail(w, CQT_ERANGE, "row %d is out of range", 7);
}

/* Blocks on an event, ignoring quit. */
static int body_block_on_event(void *user_data, cqt_worker *w, cqt_value *result)
{
    (void)w;
    (void)result;
    cqt_event **evs = user_data; /* [0] set when running, [1] release */
    cqt_event_set(evs[0]);
    cqt_event_wait(evs[1], CQT_FOREVER);
    return CQT_OK;
}

/* ---- order per outcome ------------------------------------------------------ */

START_TEST(test_worker_function_returned_order_in_main)
{
    rec r;
    rec_init(&r);
    cqt_worker *w = cqt_worker_new("answer", body_return_42, NULL, NULL);
    ck_assert_ptr_nonnull(w);
    rec_connect_all(&r, w, NULL);
    ck_assert_int_eq(cqt_worker_start(w), CQT_OK);
    wait_finished(&r);
    ck_assert_int_eq(rec_check_order(&r), CQT_WORKER_RETURNED);
    ck_assert_int_eq(r.n, 3);
    ck_assert_int_eq(r.ints[1], 42);
    ck_assert(!cqt_worker_is_running(w));
    ck_assert_int_eq(cqt_worker_get_state(w), CQT_WORKER_STATE_DONE);
    cqt_worker_unref(w);
    rec_done(&r);
}
END_TEST

START_TEST(test_worker_generator_yields_in_order_then_returned)
{
    rec r;
    rec_init(&r);
    int n = 200;
    cqt_worker *w = cqt_worker_new_generator("count", body_count, &n, NULL);
    rec_connect_all(&r, w, NULL);
    ck_assert_int_eq(cqt_worker_start(w), CQT_OK);
    wait_finished(&r);
    ck_assert_int_eq(rec_check_order(&r), CQT_WORKER_RETURNED);
    ck_assert_int_eq(rec_count(&r, CQT_WORKER_YIELDED), n);
    for (int i = 0; i < n; i++) {
        ck_assert_int_eq(r.ids[1 + i], CQT_WORKER_YIELDED);
        ck_assert_int_eq(r.ints[1 + i], i);
    }
    ck_assert_int_eq(r.ints[r.n - 2], n);
    cqt_worker_unref(w);
    rec_done(&r);
}
END_TEST

static void free_counted(void *p);

/* Yields 1000 pointer values (freed by free_counted on user_data). */
static int body_yield_pointers(void *user_data, cqt_worker *w, cqt_value *result)
{
    (void)result;
    for (int i = 0; i < 1000; i++) {
        cqt_value v = cqt_value_pointer(user_data, free_counted);
        int rc = cqt_worker_yield(w, &v, NULL);
        cqt_value_clear(&v); /* the route holds its own copy */
        if (rc < 0)
            return rc;
    }
    return CQT_OK;
}

/* A backlog many item blocks long (the main loop waits while the generator
 * yields 1500) is delivered whole and in order, over several drains. */
START_TEST(test_worker_backlog_across_item_blocks_delivered_in_order)
{
    rec r;
    rec_init(&r);
    int n = 1500;
    cqt_worker *w = cqt_worker_new_generator("backlog", body_count, &n, NULL);
    rec_connect_all(&r, w, NULL);
    ck_assert_int_eq(cqt_worker_start(w), CQT_OK);
    ck_assert_int_eq(cqt_worker_wait(w, CQT_TEST_TIMEOUT_MS), CQT_OK);
    wait_finished(&r);
    ck_assert_int_eq(rec_check_order(&r), CQT_WORKER_RETURNED);
    ck_assert_int_eq(rec_count(&r, CQT_WORKER_YIELDED), n);
    for (int i = 0; i < n; i++)
        ck_assert_int_eq(r.ints[1 + i], i);
    cqt_worker_unref(w);
    rec_done(&r);
}
END_TEST

static void count_delivery(void *user_data, cqt_worker *w, const cqt_value *arg)
{
    (void)w;
    (void)arg;
    cqt_test_counter_add(user_data, 1);
}

/* A backlog of pointer values whose receiver is freed before any drain is
 * dropped with the worker: every payload freed exactly once. */
START_TEST(test_worker_backlog_dropped_with_worker_freed_once)
{
    cqt_test_counter freed = {0}, delivered = {0};
    cqt_object *recv = cqt_object_new(NULL);
    cqt_worker *w = cqt_worker_new_generator("dropped", body_yield_pointers, &freed, NULL);
    ck_assert_uint_ne(
        cqt_worker_connect(w, CQT_WORKER_YIELDED, recv, count_delivery, &delivered, NULL), 0);
    ck_assert_int_eq(cqt_worker_start(w), CQT_OK);
    ck_assert_int_eq(cqt_worker_wait(w, CQT_TEST_TIMEOUT_MS), CQT_OK);
    ck_assert_int_eq(cqt_test_counter_get(&freed), 0);
    cqt_object_free(recv); /* its queued wake-up is dropped: the backlog stays */
    cqt_worker_unref(w);
    ck_assert(cqt_test_run_until(live_workers_zero, NULL, CQT_TEST_TIMEOUT_MS));
    ck_assert_int_eq(cqt_test_counter_get(&delivered), 0);
    ck_assert_int_eq(cqt_test_counter_get(&freed), 1000);
}
END_TEST

START_TEST(test_worker_errored_order_carries_code_and_message)
{
    rec r;
    rec_init(&r);
    cqt_test_capture_start();
    cqt_worker *w = cqt_worker_new("bad-row", body_fail_erange, NULL, NULL);
    rec_connect_all(&r, w, NULL);
    ck_assert_int_eq(cqt_worker_start(w), CQT_OK);
    wait_finished(&r);
    ck_assert_int_eq(rec_check_order(&r), CQT_WORKER_ERRORED);
    ck_assert_int_eq(rec_count(&r, CQT_WORKER_RETURNED), 0);
    ck_assert_int_eq(cqt_value_get_type(&r.last_errored), CQT_VALUE_ERROR);
    ck_assert_int_eq(cqt_value_get_error_code(&r.last_errored), CQT_ERANGE);
    ck_assert_str_eq(cqt_value_get_string(&r.last_errored), "row 7 is out of range");
    /* handled: nothing logged */
    ck_assert(!cqt_test_captured_contains("bad-row"));
    cqt_test_capture_stop();
    cqt_worker_unref(w);
    rec_done(&r);
}
END_TEST

START_TEST(test_worker_aborted_order_never_returned)
{
    rec r;
    rec_init(&r);
    cqt_worker *w = cqt_worker_new_generator("aborts", body_forever, NULL, NULL);
    /* LATEST: the generator runs on until the quit lands; no flood */
    ck_assert_int_eq(cqt_worker_set_yield_mode(w, CQT_YIELD_LATEST, 0), CQT_OK);
    rec_connect_all(&r, w, NULL);
    r.quit_after_yield = w;
    ck_assert_int_eq(cqt_worker_start(w), CQT_OK);
    wait_finished(&r);
    ck_assert_int_eq(rec_check_order(&r), CQT_WORKER_ABORTED);
    ck_assert_int_eq(rec_count(&r, CQT_WORKER_RETURNED), 0);
    ck_assert_int_ge(rec_count(&r, CQT_WORKER_YIELDED), 1);
    cqt_worker_unref(w);
    rec_done(&r);
}
END_TEST

static int body_fail_plain(void *user_data, cqt_worker *w, cqt_value *result)
{
    (void)user_data;
    (void)w;
    (void)result;
    return cqt_set_last_error(CQT_EFAULT, "sensor 3 reported a fault");
}

START_TEST(test_worker_errored_without_fail_uses_last_error)
{
    rec r;
    rec_init(&r);
    cqt_worker *w = cqt_worker_new("plain-fail", body_fail_plain, NULL, NULL);
    rec_connect_all(&r, w, NULL);
    ck_assert_int_eq(cqt_worker_start(w), CQT_OK);
    wait_finished(&r);
    ck_assert_int_eq(rec_check_order(&r), CQT_WORKER_ERRORED);
    ck_assert_int_eq(cqt_value_get_error_code(&r.last_errored), CQT_EFAULT);
    ck_assert_ptr_nonnull(strstr(cqt_value_get_string(&r.last_errored), "sensor 3"));
    cqt_worker_unref(w);
    rec_done(&r);
}
END_TEST

START_TEST(test_worker_quit_before_start_reports_aborted_without_body)
{
    rec r;
    rec_init(&r);
    cqt_test_counter ran = {0};
    cqt_worker *w = cqt_worker_new_generator("never", body_forever, &ran, NULL);
    rec_connect_all(&r, w, NULL);
    ck_assert_int_eq(cqt_worker_quit(w), CQT_OK);
    ck_assert_int_eq(cqt_worker_start(w), CQT_OK);
    wait_finished(&r);
    ck_assert_int_eq(rec_check_order(&r), CQT_WORKER_ABORTED);
    ck_assert_int_eq(r.n, 3);
    ck_assert_int_eq(cqt_test_counter_get(&ran), 0);
    cqt_worker_unref(w);
    rec_done(&r);
}
END_TEST

/* ---- pause, resume, quit -------------------------------------------------------- */

typedef struct {
    cqt_worker *w;
    cqt_worker_state want;
} state_arg;

static bool state_is(void *arg)
{
    state_arg *a = arg;
    return cqt_worker_get_state(a->w) == a->want;
}

START_TEST(test_worker_pause_blocks_generator_and_resume_continues)
{
    rec r;
    rec_init(&r);
    int n = 5;
    cqt_worker *w = cqt_worker_new_generator("pausable", body_count, &n, NULL);
    rec_connect_all(&r, w, NULL);
    ck_assert_int_eq(cqt_worker_pause(w), CQT_OK); /* blocks at the first yield */
    ck_assert(cqt_worker_is_paused(w));
    ck_assert_int_eq(cqt_worker_start(w), CQT_OK);
    state_arg a = {w, CQT_WORKER_STATE_PAUSED};
    ck_assert(cqt_test_run_until(state_is, &a, CQT_TEST_TIMEOUT_MS));
    /* Blocked: let its deliveries arrive; no second yield may come. */
    cqt_test_run_until(rec_is_finished, &r, 100);
    ck_assert_int_eq(rec_count(&r, CQT_WORKER_YIELDED), 1);
    ck_assert_int_eq(rec_count(&r, CQT_WORKER_PAUSED), 1);
    ck_assert_int_eq(cqt_worker_get_state(w), CQT_WORKER_STATE_PAUSED);
    ck_assert(cqt_worker_is_running(w));

    ck_assert_int_eq(cqt_worker_resume(w), CQT_OK);
    ck_assert(!cqt_worker_is_paused(w));
    wait_finished(&r);
    ck_assert_int_eq(rec_check_order(&r), CQT_WORKER_RETURNED);
    ck_assert_int_eq(rec_count(&r, CQT_WORKER_YIELDED), n);
    /* started, yielded 0, paused, resumed, yielded 1.. */
    ck_assert_int_eq(r.ids[1], CQT_WORKER_YIELDED);
    ck_assert_int_eq(r.ids[2], CQT_WORKER_PAUSED);
    ck_assert_int_eq(r.ids[3], CQT_WORKER_RESUMED);
    ck_assert_int_eq(r.ids[4], CQT_WORKER_YIELDED);
    cqt_worker_unref(w);
    rec_done(&r);
}
END_TEST

START_TEST(test_worker_toggle_pause_twice_is_a_no_op)
{
    int n = 3;
    rec r;
    rec_init(&r);
    cqt_worker *w = cqt_worker_new_generator("toggler", body_count, &n, NULL);
    rec_connect_all(&r, w, NULL);
    ck_assert_int_eq(cqt_worker_toggle_pause(w), CQT_OK);
    ck_assert(cqt_worker_is_paused(w));
    ck_assert_int_eq(cqt_worker_toggle_pause(w), CQT_OK);
    ck_assert(!cqt_worker_is_paused(w));
    ck_assert_int_eq(cqt_worker_start(w), CQT_OK);
    wait_finished(&r);
    ck_assert_int_eq(rec_check_order(&r), CQT_WORKER_RETURNED);
    ck_assert_int_eq(rec_count(&r, CQT_WORKER_PAUSED), 0);
    cqt_worker_unref(w);
    rec_done(&r);
}
END_TEST

START_TEST(test_worker_quit_during_pause_aborts)
{
    rec r;
    rec_init(&r);
    cqt_worker *w = cqt_worker_new_generator("paused-quit", body_forever, NULL, NULL);
    rec_connect_all(&r, w, NULL);
    ck_assert_int_eq(cqt_worker_pause(w), CQT_OK);
    ck_assert_int_eq(cqt_worker_start(w), CQT_OK);
    state_arg a = {w, CQT_WORKER_STATE_PAUSED};
    ck_assert(cqt_test_run_until(state_is, &a, CQT_TEST_TIMEOUT_MS));
    ck_assert_int_eq(cqt_worker_quit(w), CQT_OK);
    ck_assert_int_eq(cqt_worker_wait(w, CQT_TEST_TIMEOUT_MS), CQT_OK);
    wait_finished(&r);
    ck_assert_int_eq(rec_check_order(&r), CQT_WORKER_ABORTED);
    ck_assert_int_eq(rec_count(&r, CQT_WORKER_RESUMED), 0);
    ck_assert_int_eq(rec_count(&r, CQT_WORKER_RETURNED), 0);
    cqt_worker_unref(w);
    rec_done(&r);
}
END_TEST

/* ---- send queue ------------------------------------------------------------------ */

typedef struct {
    int64_t got[16];
    int types[16];
    int n;
    int empty_rc; /* yield status once the queue is empty */
} send_log;

static int body_take_sends(void *user_data, cqt_worker *w, cqt_value *result)
{
    send_log *log = user_data;
    (void)result;
    for (;;) {
        cqt_value sent;
        int rc = cqt_worker_yield(w, NULL, &sent);
        if (rc < 0)
            return rc;
        if (rc == 0) {
            log->empty_rc = rc;
            return CQT_OK;
        }
        log->types[log->n] = cqt_value_get_type(&sent);
        log->got[log->n++] = cqt_value_get_int(&sent);
        cqt_value_clear(&sent);
    }
}

START_TEST(test_worker_send_keeps_order_and_capacity)
{
    send_log log = {.empty_rc = -99};
    cqt_worker *w = cqt_worker_new_generator("receiver", body_take_sends, &log, NULL);
    ck_assert_int_eq(cqt_worker_set_send_capacity(w, 4), CQT_OK);
    for (int i = 1; i <= 3; i++) {
        cqt_value v = cqt_value_int(i);
        ck_assert_int_eq(cqt_worker_send(w, &v), CQT_OK);
    }
    ck_assert_int_eq(cqt_worker_send(w, NULL), CQT_OK); /* "nothing" is a real send */
    cqt_value five = cqt_value_int(5);
    ck_assert_int_eq(cqt_worker_send(w, &five), CQT_ERANGE);
    ck_assert_ptr_nonnull(strstr(cqt_last_error(), "receiver"));
    ck_assert_int_eq(cqt_worker_set_send_capacity(w, 2), CQT_ERANGE); /* holds 4 */
    ck_assert_int_eq(cqt_worker_start(w), CQT_OK);
    ck_assert_int_eq(cqt_worker_wait(w, CQT_TEST_TIMEOUT_MS), CQT_OK);
    ck_assert_int_eq(log.n, 4);
    ck_assert_int_eq(log.got[0], 1);
    ck_assert_int_eq(log.got[1], 2);
    ck_assert_int_eq(log.got[2], 3);
    ck_assert_int_eq(log.types[3], CQT_VALUE_NONE);
    ck_assert_int_eq(log.empty_rc, 0);
    ck_assert_int_eq(cqt_worker_send(w, &five), CQT_ESTATE); /* finished */
    cqt_worker_unref(w);
}
END_TEST

static void free_counted(void *p)
{
    cqt_test_counter_add(p, 1);
}

START_TEST(test_worker_unsent_values_freed_once_with_worker)
{
    cqt_test_counter freed = {0};
    int n = 1;
    cqt_worker *w = cqt_worker_new_generator("unsent", body_count, &n, NULL);
    for (int i = 0; i < 3; i++) {
        cqt_value v = cqt_value_pointer(&freed, free_counted);
        ck_assert_int_eq(cqt_worker_send(w, &v), CQT_OK);
        cqt_value_clear(&v); /* the queue holds its own copy */
    }
    ck_assert_int_eq(cqt_test_counter_get(&freed), 0);
    cqt_worker_unref(w);
    ck_assert_int_eq(cqt_test_counter_get(&freed), 3);
}
END_TEST

/* ---- yield flow control ------------------------------------------------------------ */

START_TEST(test_worker_latest_delivers_newest_and_bounds_backlog_to_one)
{
    rec r;
    rec_init(&r);
    int n = 1000;
    cqt_worker *w = cqt_worker_new_generator("latest", body_count, &n, NULL);
    ck_assert_int_eq(cqt_worker_set_yield_mode(w, CQT_YIELD_LATEST, 0), CQT_OK);
    rec_connect_all(&r, w, NULL);
    ck_assert_int_eq(cqt_worker_start(w), CQT_OK);
    /* The main loop does not run while the generator yields all 1000. */
    ck_assert_int_eq(cqt_worker_wait(w, CQT_TEST_TIMEOUT_MS), CQT_OK);
    wait_finished(&r);
    ck_assert_int_eq(rec_check_order(&r), CQT_WORKER_RETURNED);
    /* started, then the one waiting yield (possibly an earlier one that was
     * taken before main blocked), newest last */
    int y = rec_count(&r, CQT_WORKER_YIELDED);
    ck_assert_int_ge(y, 1);
    ck_assert_int_le(y, 2);
    ck_assert_int_eq(r.ids[r.n - 3], CQT_WORKER_YIELDED);
    ck_assert_int_eq(r.ints[r.n - 3], n - 1);
    cqt_worker_unref(w);
    rec_done(&r);
}
END_TEST

typedef struct {
    cqt_test_counter ticks;
    int64_t last_ns;
    int64_t max_gap_ns;
} heartbeat;

static void heartbeat_tick(void *user_data, cqt_object *o, int id)
{
    (void)o;
    (void)id;
    heartbeat *h = user_data;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    int64_t now = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
    if (h->last_ns && now - h->last_ns > h->max_gap_ns)
        h->max_gap_ns = now - h->last_ns;
    h->last_ns = now;
    cqt_test_counter_add(&h->ticks, 1);
}

typedef struct {
    int64_t last;
    int64_t count;
    bool increasing;
    cqt_test_counter finished;
} latest_probe;

static void latest_yield(void *user_data, cqt_worker *w, const cqt_value *arg)
{
    (void)w;
    latest_probe *p = user_data;
    int64_t v = cqt_value_get_int(arg);
    if (p->count && v <= p->last)
        p->increasing = false;
    p->last = v;
    p->count++;
}

static void latest_finished(void *user_data, cqt_worker *w, const cqt_value *arg)
{
    (void)w;
    (void)arg;
    cqt_test_counter_add(&((latest_probe *)user_data)->finished, 1);
}

START_TEST(test_worker_latest_million_keeps_receiver_loop_responsive)
{
    int n = 1000000;
    latest_probe p = {.increasing = true};
    heartbeat h = {0};
    cqt_object *beat = cqt_object_new(NULL);
    ck_assert_int_gt(cqt_object_start_timer(beat, 2, CQT_TIMER_PRECISE, heartbeat_tick, &h), 0);
    cqt_worker *w = cqt_worker_new_generator("million", body_count, &n, NULL);
    ck_assert_int_eq(cqt_worker_set_yield_mode(w, CQT_YIELD_LATEST, 0), CQT_OK);
    ck_assert_uint_ne(cqt_worker_connect(w, CQT_WORKER_YIELDED, NULL, latest_yield, &p, NULL), 0);
    ck_assert_uint_ne(cqt_worker_connect(w, CQT_WORKER_FINISHED, NULL, latest_finished, &p, NULL),
                      0);
    ck_assert_int_eq(cqt_worker_start(w), CQT_OK);
    ck_assert(counter_reaches(&p.finished, 1, 120000));
    ck_assert(p.increasing);
    ck_assert_int_eq(p.last, n - 1);
    ck_assert_int_lt(p.count, n);
    ck_assert_int_gt(cqt_test_counter_get(&h.ticks), 0);
    /* generous: the point is "not frozen for the whole run" */
    ck_assert_msg(h.max_gap_ns < 2000000000LL, "main loop stalled for %lld ms",
                  (long long)(h.max_gap_ns / 1000000));
    cqt_worker_unref(w);
    cqt_object_free(beat);
}
END_TEST

typedef struct {
    int64_t t_ns[4096];
    int64_t v[4096];
    int n;
    int64_t returned; /* how many values the generator yielded */
    cqt_test_counter finished;
} throttle_probe;

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void throttle_yield(void *user_data, cqt_worker *w, const cqt_value *arg)
{
    (void)w;
    throttle_probe *p = user_data;
    if (p->n < 4096) {
        p->t_ns[p->n] = now_ns();
        p->v[p->n] = cqt_value_get_int(arg);
        p->n++;
    }
}

static void throttle_returned(void *user_data, cqt_worker *w, const cqt_value *arg)
{
    (void)w;
    ((throttle_probe *)user_data)->returned = cqt_value_get_int(arg);
}

static void throttle_finished(void *user_data, cqt_worker *w, const cqt_value *arg)
{
    (void)w;
    (void)arg;
    cqt_test_counter_add(&((throttle_probe *)user_data)->finished, 1);
}

/* Yields as fast as it can for *(int *)user_data ms of wall time. */
static int body_yield_for_ms(void *user_data, cqt_worker *w, cqt_value *result)
{
    int ms = *(int *)user_data;
    int64_t end = now_ns() + (int64_t)ms * 1000000;
    int64_t i = 0;
    while (now_ns() < end) {
        cqt_value v = cqt_value_int(i++);
        if (cqt_worker_yield(w, &v, NULL) < 0)
            return CQT_ECANCELED;
    }
    *result = cqt_value_int(i);
    return CQT_OK;
}

START_TEST(test_worker_throttle_spaces_deliveries_and_keeps_last)
{
    throttle_probe *p = calloc(1, sizeof *p);
    int run_ms = 400, throttle = 50;
    cqt_worker *w = cqt_worker_new_generator("throttled", body_yield_for_ms, &run_ms, NULL);
    ck_assert_int_eq(cqt_worker_set_yield_mode(w, CQT_YIELD_LATEST, throttle), CQT_OK);
    ck_assert_uint_ne(cqt_worker_connect(w, CQT_WORKER_YIELDED, NULL, throttle_yield, p, NULL),
                      0);
    ck_assert_uint_ne(
        cqt_worker_connect(w, CQT_WORKER_RETURNED, NULL, throttle_returned, p, NULL), 0);
    ck_assert_uint_ne(
        cqt_worker_connect(w, CQT_WORKER_FINISHED, NULL, throttle_finished, p, NULL), 0);
    ck_assert_int_eq(cqt_worker_start(w), CQT_OK);
    ck_assert(counter_reaches(&p->finished, 1, CQT_TEST_TIMEOUT_MS));
    /* the last value is never lost to the throttle */
    ck_assert_int_ge(p->n, 1);
    ck_assert_int_eq(p->v[p->n - 1], p->returned - 1);
    /* run_ms / throttle windows, plus the first and the flushed last */
    ck_assert_int_le(p->n, run_ms / throttle + 3);
    /* The throttle spaces the drains; the times here are taken in the slot,
     * after the drain, so a thread preempted between the two shortens one
     * gap by the preemption. Each gap is judged with room for that (an
     * unthrottled route delivers microseconds apart), their mean closely. */
    for (int i = 1; i < p->n - 1; i++) {
        int64_t gap = p->t_ns[i] - p->t_ns[i - 1];
        ck_assert_msg(gap >= (int64_t)(throttle / 2) * 1000000, "gap %d was %lld ms", i,
                      (long long)(gap / 1000000));
        ck_assert_int_gt(p->v[i], p->v[i - 1]);
    }
    if (p->n > 2) {
        int64_t mean = (p->t_ns[p->n - 2] - p->t_ns[0]) / (p->n - 2);
        ck_assert_msg(mean >= (int64_t)(throttle - 5) * 1000000, "mean gap %lld ms",
                      (long long)(mean / 1000000));
    }
    cqt_worker_unref(w);
    free(p);
}
END_TEST

START_TEST(test_worker_throttle_all_mode_delivers_every_value_in_order)
{
    rec *r = malloc(sizeof *r);
    rec_init(r);
    int n = 300;
    cqt_worker *w = cqt_worker_new_generator("throttled-all", body_count, &n, NULL);
    ck_assert_int_eq(cqt_worker_set_yield_mode(w, CQT_YIELD_ALL, 20), CQT_OK);
    rec_connect_all(r, w, NULL);
    ck_assert_int_eq(cqt_worker_start(w), CQT_OK);
    wait_finished(r);
    ck_assert_int_eq(rec_check_order(r), CQT_WORKER_RETURNED);
    ck_assert_int_eq(rec_count(r, CQT_WORKER_YIELDED), n);
    for (int i = 0; i < n; i++)
        ck_assert_int_eq(r->ints[1 + i], i);
    cqt_worker_unref(w);
    rec_done(r);
    free(r);
}
END_TEST

/* ---- deadline, progress ------------------------------------------------------------- */

START_TEST(test_worker_deadline_emits_timed_out_then_aborts)
{
    rec r;
    rec_init(&r);
    cqt_worker *w = cqt_worker_new_generator("slowpoke", body_forever, NULL, NULL);
    ck_assert_int_eq(cqt_worker_set_deadline(w, 100), CQT_OK);
    /* no yielded handler: the loop is not flooded */
    int ids[] = {CQT_WORKER_STARTED, CQT_WORKER_TIMED_OUT, CQT_WORKER_ABORTED,
                 CQT_WORKER_RETURNED, CQT_WORKER_FINISHED};
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++)
        ck_assert_uint_ne(cqt_worker_connect(w, ids[i], NULL, rec_slot, &r.tags[ids[i]], NULL),
                          0);
    int64_t t0 = now_ns();
    ck_assert_int_eq(cqt_worker_start(w), CQT_OK);
    /* The main loop is blocked here: the deadline must still fire. */
    ck_assert_int_eq(cqt_worker_wait(w, CQT_TEST_TIMEOUT_MS), CQT_OK);
    ck_assert_int_ge(now_ns() - t0, 95 * 1000000LL);
    wait_finished(&r);
    ck_assert_int_eq(r.n, 4);
    ck_assert_int_eq(r.ids[0], CQT_WORKER_STARTED);
    ck_assert_int_eq(r.ids[1], CQT_WORKER_TIMED_OUT);
    ck_assert_int_eq(r.ints[1], 100);
    ck_assert_int_eq(r.ids[2], CQT_WORKER_ABORTED);
    ck_assert_int_eq(r.ids[3], CQT_WORKER_FINISHED);
    cqt_worker_unref(w);
    rec_done(&r);
}
END_TEST

/* A body that returns before its deadline disarms it: no timed_out, and the
 * watchdog gives its reference back at once, so the worker is freed long
 * before the (one hour) deadline. */
START_TEST(test_worker_deadline_disarmed_when_body_returns_first)
{
    rec r;
    rec_init(&r);
    cqt_worker *w = cqt_worker_new("prompt", body_return_42, NULL, NULL);
    ck_assert_int_eq(cqt_worker_set_deadline(w, 3600 * 1000), CQT_OK);
    rec_connect_all(&r, w, NULL);
    ck_assert_int_eq(cqt_worker_start(w), CQT_OK);
    wait_finished(&r);
    ck_assert_int_eq(rec_check_order(&r), CQT_WORKER_RETURNED);
    ck_assert_int_eq(rec_count(&r, CQT_WORKER_TIMED_OUT), 0);
    cqt_worker_unref(w);
    ck_assert_msg(cqt_test_run_until(live_workers_zero, NULL, CQT_TEST_TIMEOUT_MS),
                  "the worker outlived its body: the deadline still holds it");
    rec_done(&r);
}
END_TEST

typedef struct {
    int64_t done[64], total[64];
    char desc[64][32];
    int n;
    cqt_test_counter finished;
} progress_probe;

static void progress_slot(void *user_data, cqt_worker *w, const cqt_value *arg)
{
    (void)w;
    progress_probe *p = user_data;
    cqt_worker_progress_info info;
    ck_assert_int_eq(cqt_worker_progress_read(arg, &info), CQT_OK);
    if (p->n < 64) {
        p->done[p->n] = info.done;
        p->total[p->n] = info.total;
        snprintf(p->desc[p->n], sizeof p->desc[0], "%s", info.desc ? info.desc : "");
        p->n++;
    }
}

static void progress_finished(void *user_data, cqt_worker *w, const cqt_value *arg)
{
    (void)w;
    (void)arg;
    cqt_test_counter_add(&((progress_probe *)user_data)->finished, 1);
}

static int body_progress(void *user_data, cqt_worker *w, cqt_value *result)
{
    (void)user_data;
    (void)result;
    ck_assert_int_eq(cqt_worker_progress(w, 0, 10, "loading"), CQT_OK);
    for (int i = 0; i < 4; i++)
        ck_assert_int_ge(cqt_worker_yield(w, NULL, NULL), 0); /* declared total: 4 */
    ck_assert_int_eq(cqt_worker_progress(w, 10, 10, "done"), CQT_OK);
    return CQT_OK;
}

START_TEST(test_worker_progress_explicit_and_declared_total)
{
    progress_probe p = {0};
    cqt_worker *w = cqt_worker_new_generator("progressive", body_progress, NULL, NULL);
    ck_assert_int_eq(cqt_worker_set_total(w, 4), CQT_OK);
    ck_assert_uint_ne(cqt_worker_connect(w, CQT_WORKER_PROGRESS, NULL, progress_slot, &p, NULL),
                      0);
    ck_assert_uint_ne(
        cqt_worker_connect(w, CQT_WORKER_FINISHED, NULL, progress_finished, &p, NULL), 0);
    ck_assert_int_eq(cqt_worker_start(w), CQT_OK);
    ck_assert(counter_reaches(&p.finished, 1, CQT_TEST_TIMEOUT_MS));
    ck_assert_int_eq(p.n, 6);
    ck_assert_str_eq(p.desc[0], "loading");
    ck_assert_int_eq(p.total[0], 10);
    for (int i = 1; i <= 4; i++) {
        ck_assert_int_eq(p.done[i], i);
        ck_assert_int_eq(p.total[i], 4);
    }
    ck_assert_int_eq(p.done[5], 10);
    ck_assert_str_eq(p.desc[5], "done");
    cqt_worker_unref(w);
}
END_TEST

/* ---- the pool --------------------------------------------------------------------- */

#define MANY 10000

typedef struct {
    unsigned char returned[MANY];
    cqt_test_counter n_returned;
    cqt_test_counter n_finished;
    cqt_test_counter destroyed;
    cqt_test_counter bad;
} many_probe;

static int body_index(void *user_data, cqt_worker *w, cqt_value *result)
{
    (void)w;
    *result = cqt_value_int((int64_t)(intptr_t)user_data);
    return CQT_OK;
}

static void many_returned(void *user_data, cqt_worker *w, const cqt_value *arg)
{
    (void)w;
    many_probe *p = user_data;
    int64_t i = cqt_value_get_int(arg);
    if (i < 0 || i >= MANY || cqt_thread_current() != cqt_thread_main())
        cqt_test_counter_add(&p->bad, 1);
    else
        p->returned[i]++;
    cqt_test_counter_add(&p->n_returned, 1);
}

static void many_finished(void *user_data, cqt_worker *w, const cqt_value *arg)
{
    (void)w;
    (void)arg;
    cqt_test_counter_add(&((many_probe *)user_data)->n_finished, 1);
}

static void many_destroy(void *user_data)
{
    cqt_test_counter_add(&((many_probe *)user_data)->destroyed, 1);
}

START_TEST(test_worker_ten_thousand_on_pool_of_four_each_result_once)
{
    many_probe *p = calloc(1, sizeof *p);
    ck_assert_int_eq(cqt_pool_set_max_threads(4), CQT_OK);
    for (int i = 0; i < MANY; i++) {
        cqt_worker_handlers h = {.returned = many_returned, .finished = many_finished,
                                 .user_data = p, .destroy = many_destroy};
        cqt_worker *w = cqt_worker_run(NULL, body_index, (void *)(intptr_t)i, NULL, 0, &h);
        ck_assert_ptr_nonnull(w);
        cqt_worker_unref(w); /* the pool keeps it alive */
    }
    ck_assert(counter_reaches(&p->n_finished, MANY, 120000));
    ck_assert_int_eq(cqt_test_counter_get(&p->n_returned), MANY);
    ck_assert_int_eq(cqt_test_counter_get(&p->bad), 0);
    for (int i = 0; i < MANY; i++)
        ck_assert_msg(p->returned[i] == 1, "result %d delivered %d times", i, p->returned[i]);
    ck_assert(cqt_test_run_until(live_workers_zero, NULL, CQT_TEST_TIMEOUT_MS));
    ck_assert_int_eq(cqt_test_counter_get(&p->destroyed), MANY);
    ck_assert_int_eq(cqt_pool_active_count(), 0);
    free(p);
}
END_TEST

/* ---- nested start ------------------------------------------------------------------- */

typedef struct {
    cqt_thread *ran_in;
    int64_t value;
    cqt_test_counter got;
    int connect_ok;
    int start_rc;
} nested_probe;

static void nested_returned(void *user_data, cqt_worker *w, const cqt_value *arg)
{
    (void)w;
    nested_probe *p = user_data;
    p->ran_in = cqt_thread_current();
    p->value = cqt_value_get_int(arg);
    cqt_test_counter_add(&p->got, 1);
}

static int body_start_inner(void *user_data, cqt_worker *w, cqt_value *result)
{
    (void)w;
    (void)result;
    nested_probe *p = user_data;
    cqt_worker *inner = cqt_worker_new("inner", body_return_42, NULL, NULL);
    /* NULL receiver in a pool thread: falls back to the main thread */
    p->connect_ok = cqt_worker_connect(inner, CQT_WORKER_RETURNED, NULL, nested_returned, p,
                                       NULL) != 0;
    p->start_rc = cqt_worker_start(inner);
    cqt_worker_unref(inner);
    return CQT_OK;
}

START_TEST(test_worker_nested_start_from_worker_delivers_to_main)
{
    nested_probe p = {0};
    cqt_worker *outer = cqt_worker_new("outer", body_start_inner, &p, NULL);
    ck_assert_int_eq(cqt_worker_start(outer), CQT_OK);
    ck_assert(counter_reaches(&p.got, 1, CQT_TEST_TIMEOUT_MS));
    ck_assert(p.connect_ok);
    ck_assert_int_eq(p.start_rc, CQT_OK);
    ck_assert_ptr_eq(p.ran_in, cqt_thread_main());
    ck_assert_int_eq(p.value, 42);
    cqt_worker_unref(outer);
}
END_TEST

/* NULL receiver from a cqt thread: handlers run in that thread. */
typedef struct {
    cqt_worker *w;
    cqt_event *connected;
    nested_probe *p;
} connect_job;

static void connect_in_thread(void *user_data)
{
    connect_job *j = user_data;
    j->p->connect_ok =
        cqt_worker_connect(j->w, CQT_WORKER_RETURNED, NULL, nested_returned, j->p, NULL) != 0;
    cqt_event_set(j->connected);
}

START_TEST(test_worker_null_receiver_in_cqt_thread_runs_there)
{
    nested_probe p = {0};
    cqt_thread *t = cqt_thread_new("handlers");
    ck_assert_int_eq(cqt_thread_start(t), CQT_OK);
    cqt_object *o = cqt_object_new(t);
    cqt_worker *w = cqt_worker_new("to-thread", body_return_42, NULL, NULL);
    connect_job j = {w, cqt_event_new("connected"), &p};
    ck_assert_int_eq(cqt_invoke(o, connect_in_thread, &j, CQT_QUEUED), CQT_OK);
    ck_assert_int_eq(cqt_event_wait(j.connected, CQT_TEST_TIMEOUT_MS), CQT_OK);
    ck_assert(p.connect_ok);
    ck_assert_int_eq(cqt_worker_start(w), CQT_OK);
    ck_assert(counter_reaches(&p.got, 1, CQT_TEST_TIMEOUT_MS));
    ck_assert_ptr_eq(p.ran_in, t);
    cqt_worker_unref(w);
    ck_assert(cqt_test_run_until(live_workers_zero, NULL, CQT_TEST_TIMEOUT_MS));
    cqt_object_free(o);
    cqt_event_free(j.connected);
    cqt_thread_free(t);
}
END_TEST

/* ---- errors nobody handles ------------------------------------------------------------ */

START_TEST(test_worker_unhandled_error_reaches_message_handler_in_main)
{
    rec r;
    rec_init(&r);
    cqt_test_capture_start();
    cqt_worker *w = cqt_worker_new("lonely-failure", body_fail_erange, NULL, NULL);
    ck_assert_uint_ne(cqt_worker_connect(w, CQT_WORKER_FINISHED, NULL, rec_slot,
                                         &r.tags[CQT_WORKER_FINISHED], NULL),
                      0);
    ck_assert_int_eq(cqt_worker_start(w), CQT_OK);
    wait_finished(&r);
    /* the report is queued to main before finished */
    ck_assert_msg(cqt_test_captured_contains("[worker] worker 'lonely-failure' failed"),
                  "captured: %s", cqt_test_captured());
    ck_assert(cqt_test_captured_contains("row 7 is out of range"));
    cqt_worker_unref(w);

    /* the ignore flag silences it */
    rec r2;
    rec_init(&r2);
    w = cqt_worker_new("quiet-failure", body_fail_erange, NULL, NULL);
    ck_assert_int_eq(cqt_worker_set_flags(w, CQT_WORKER_IGNORE_ERRORS), CQT_OK);
    ck_assert_uint_ne(cqt_worker_connect(w, CQT_WORKER_FINISHED, NULL, rec_slot,
                                         &r2.tags[CQT_WORKER_FINISHED], NULL),
                      0);
    ck_assert_int_eq(cqt_worker_start(w), CQT_OK);
    wait_finished(&r2);
    ck_assert(!cqt_test_captured_contains("quiet-failure"));
    cqt_test_capture_stop();
    cqt_worker_unref(w);
    rec_done(&r);
    rec_done(&r2);
}
END_TEST

/* A handler whose receiver was freed before the outcome handles nothing:
 * the worker still delivers safely to the freed receiver's handle, drops
 * the error there, and reports it in main as unhandled. */
START_TEST(test_worker_errored_on_freed_receiver_is_reported)
{
    rec r;
    rec_init(&r);
    cqt_test_capture_start();
    cqt_object *recv = cqt_object_new(NULL);
    cqt_worker *w = cqt_worker_new("freed-handler", body_fail_erange, NULL, NULL);
    ck_assert_uint_ne(cqt_worker_connect(w, CQT_WORKER_ERRORED, recv, rec_slot,
                                         &r.tags[CQT_WORKER_ERRORED], NULL),
                      0);
    ck_assert_uint_ne(cqt_worker_connect(w, CQT_WORKER_FINISHED, NULL, rec_slot,
                                         &r.tags[CQT_WORKER_FINISHED], NULL),
                      0);
    cqt_object_free(recv);
    ck_assert_int_eq(cqt_worker_start(w), CQT_OK);
    wait_finished(&r);
    ck_assert_int_eq(rec_count(&r, CQT_WORKER_ERRORED), 0);
    ck_assert_msg(cqt_test_captured_contains("[worker] worker 'freed-handler' failed"),
                  "captured: %s", cqt_test_captured());
    cqt_test_capture_stop();
    cqt_worker_unref(w);
    ck_assert(cqt_test_run_until(live_workers_zero, NULL, CQT_TEST_TIMEOUT_MS));
    rec_done(&r);
}
END_TEST

static int body_warn(void *user_data, cqt_worker *w, cqt_value *result)
{
    (void)user_data;
    (void)result;
    return cqt_worker_warn(w, "disk %d%% full", 91);
}

START_TEST(test_worker_warned_handled_and_unhandled)
{
    rec r;
    rec_init(&r);
    cqt_test_capture_start();
    cqt_worker *w = cqt_worker_new("warner", body_warn, NULL, NULL);
    rec_connect_all(&r, w, NULL);
    ck_assert_int_eq(cqt_worker_start(w), CQT_OK);
    wait_finished(&r);
    ck_assert_int_eq(rec_check_order(&r), CQT_WORKER_RETURNED);
    ck_assert_int_eq(r.ids[1], CQT_WORKER_WARNED);
    ck_assert_str_eq(r.last_string, "disk 91% full");
    ck_assert(!cqt_test_captured_contains("warner"));
    cqt_worker_unref(w);

    rec r2;
    rec_init(&r2);
    w = cqt_worker_new("lonely-warner", body_warn, NULL, NULL);
    ck_assert_uint_ne(cqt_worker_connect(w, CQT_WORKER_FINISHED, NULL, rec_slot,
                                         &r2.tags[CQT_WORKER_FINISHED], NULL),
                      0);
    ck_assert_int_eq(cqt_worker_start(w), CQT_OK);
    wait_finished(&r2);
    ck_assert(cqt_test_captured_contains("worker 'lonely-warner' warns: disk 91% full"));
    cqt_test_capture_stop();
    cqt_worker_unref(w);
    rec_done(&r);
    rec_done(&r2);
}
END_TEST


/* ---- created with handlers, started later (napari's start_thread=False) ---- */

static void *start_from_pthread(void *arg)
{
    return (void *)(intptr_t)cqt_worker_start(arg);
}

/* cqt_worker_run with CQT_WORKER_NO_START connects but does not start; a
 * later start from a plain pthread delivers every signal to main, and a
 * worker never started is freed by its unref, each destroy once. */
START_TEST(test_worker_run_no_start_connects_then_starts_later)
{
    rec r;
    rec_init(&r);
    cqt_test_counter body_destroyed = {0};
    /* rec_slot needs a tag per signal: finished comes with the run, the
     * others are connected while it is still a created worker */
    cqt_worker_handlers h = {.finished = rec_slot, .user_data = &r.tags[CQT_WORKER_FINISHED]};
    cqt_worker *w = cqt_worker_run("later", body_return_42, &body_destroyed, destroy_count,
                                   CQT_WORKER_NO_START, &h);
    ck_assert_msg(w != NULL, "%s", cqt_last_error());
    ck_assert_int_eq(cqt_worker_get_state(w), CQT_WORKER_STATE_CREATED);
    ck_assert(!cqt_worker_is_running(w));
    /* still a created worker: settings and more connections are allowed */
    ck_assert_int_eq(cqt_worker_set_flags(w, CQT_WORKER_IGNORE_ERRORS), CQT_OK);
    ck_assert_uint_ne(cqt_worker_connect(w, CQT_WORKER_STARTED, NULL, rec_slot,
                                         &r.tags[CQT_WORKER_STARTED], NULL),
                      0);
    ck_assert_uint_ne(cqt_worker_connect(w, CQT_WORKER_RETURNED, NULL, rec_slot,
                                         &r.tags[CQT_WORKER_RETURNED], NULL),
                      0);
    cqt_app_process_events(0);
    ck_assert_int_eq(r.n, 0);
    pthread_t t;
    pthread_create(&t, NULL, start_from_pthread, w);
    void *rc;
    pthread_join(t, &rc);
    ck_assert_int_eq((int)(intptr_t)rc, CQT_OK);
    wait_finished(&r);
    ck_assert_int_eq(r.n, 3);
    ck_assert_int_eq(r.ids[0], CQT_WORKER_STARTED);
    ck_assert_int_eq(r.ids[1], CQT_WORKER_RETURNED);
    ck_assert_int_eq(r.ints[1], 42);
    ck_assert_int_eq(r.ids[2], CQT_WORKER_FINISHED);
    ck_assert_int_eq(cqt_test_counter_get(&r.wrong_thread), 0);
    cqt_worker_unref(w);
    ck_assert(cqt_test_run_until(live_workers_zero, NULL, CQT_TEST_TIMEOUT_MS));
    ck_assert_int_eq(cqt_test_counter_get(&body_destroyed), 1);

    /* never started: the last unref frees it, no signal, destroys once */
    rec r2;
    rec_init(&r2);
    cqt_test_counter d2 = {0};
    cqt_worker_handlers h2 = {.finished = rec_slot, .user_data = &r2.tags[CQT_WORKER_FINISHED]};
    cqt_worker *never = cqt_worker_run("never", body_count, &d2, destroy_count,
                                       CQT_WORKER_NO_START | CQT_WORKER_GENERATOR, &h2);
    ck_assert_msg(never != NULL, "%s", cqt_last_error());
    cqt_worker_unref(never);
    ck_assert_int_eq(cqt_test_counter_get(&d2), 1);
    cqt_app_process_events(0);
    ck_assert_int_eq(r2.n, 0);
    rec_done(&r);
    rec_done(&r2);
}
END_TEST

/* The handlers' shared destroy runs once when a never-started worker made
 * by cqt_worker_run(CQT_WORKER_NO_START) is freed. */
static void never_slot(void *user_data, cqt_worker *w, const cqt_value *arg)
{
    (void)w;
    (void)arg;
    cqt_test_counter_add(user_data, 1000);
}

START_TEST(test_worker_run_no_start_unref_runs_handler_destroy_once)
{
    cqt_test_counter destroyed = {0}; /* destroy adds 1, a handler call 1000 */
    static int n = 3;
    cqt_worker_handlers h = {.started = never_slot, .finished = never_slot,
                             .user_data = &destroyed, .destroy = destroy_count};
    cqt_worker *w = cqt_worker_run("never-started", body_count, &n, NULL,
                                   CQT_WORKER_NO_START | CQT_WORKER_GENERATOR, &h);
    ck_assert_msg(w != NULL, "%s", cqt_last_error());
    ck_assert_int_eq(cqt_test_counter_get(&destroyed), 0);
    cqt_worker_unref(w);
    ck_assert_int_eq(cqt_test_counter_get(&destroyed), 1);
    cqt_app_process_events(0);
    ck_assert_int_eq(cqt_test_counter_get(&destroyed), 1);
}
END_TEST

/* ---- structured errored / warned ------------------------------------------------ */

typedef struct {
    cqt_test_counter calls;
    int code[4];
    char msg[4][128];
    char worker[4][64];
    int rc[4];
    int type[4];
} issue_rec;

static void issue_slot(void *user_data, cqt_worker *w, const cqt_value *arg)
{
    issue_rec *ir = user_data;
    long i = cqt_test_counter_get(&ir->calls);
    if (i >= 4)
        return;
    cqt_worker_error_info info = {0};
    ir->rc[i] = cqt_worker_error_read(w, arg, &info);
    ir->type[i] = cqt_value_get_type(arg);
    ir->code[i] = info.code;
    snprintf(ir->msg[i], sizeof ir->msg[i], "%s", info.message ? info.message : "(null)");
    snprintf(ir->worker[i], sizeof ir->worker[i], "%s", info.worker ? info.worker : "(null)");
    cqt_test_counter_add(&ir->calls, 1);
}

static int body_warn_twice(void *user_data, cqt_worker *w, cqt_value *result)
{
    (void)user_data;
    (void)result;
    cqt_worker_warn(w, "plain %s", "warning");
    cqt_worker_warn_full(w, 17, "coded %d", 17);
    return cqt_worker_fail(w, CQT_ERANGE, "row %d is out of range", 7);
}

/* `warned` and `errored` carry code, message and the worker's name, read
 * with cqt_worker_error_read(); cqt_value_get_string still gives the
 * message. */
START_TEST(test_worker_error_read_gives_code_message_and_name)
{
    issue_rec ir;
    memset(&ir, 0, sizeof ir);
    rec r;
    rec_init(&r);
    cqt_worker *w = cqt_worker_new("reporter", body_warn_twice, NULL, NULL);
    ck_assert_uint_ne(cqt_worker_connect(w, CQT_WORKER_WARNED, NULL, issue_slot, &ir, NULL), 0);
    ck_assert_uint_ne(cqt_worker_connect(w, CQT_WORKER_ERRORED, NULL, issue_slot, &ir, NULL), 0);
    rec_connect_all(&r, w, NULL);
    ck_assert_int_eq(cqt_worker_start(w), CQT_OK);
    wait_finished(&r);
    ck_assert_int_eq(cqt_test_counter_get(&ir.calls), 3);
    for (int i = 0; i < 3; i++) {
        ck_assert_int_eq(ir.rc[i], CQT_OK);
        ck_assert_int_eq(ir.type[i], CQT_VALUE_ERROR);
        ck_assert_str_eq(ir.worker[i], "reporter");
    }
    ck_assert_int_eq(ir.code[0], 0);
    ck_assert_str_eq(ir.msg[0], "plain warning");
    ck_assert_int_eq(ir.code[1], 17);
    ck_assert_str_eq(ir.msg[1], "coded 17");
    ck_assert_int_eq(ir.code[2], CQT_ERANGE);
    ck_assert_str_eq(ir.msg[2], "row 7 is out of range");
    /* the earlier readers still work on the same argument */
    ck_assert_int_eq(cqt_value_get_error_code(&r.last_errored), CQT_ERANGE);
    ck_assert_str_eq(r.last_string, "coded 17");

    /* misuse */
    cqt_worker_error_info info;
    cqt_value s = cqt_value_string("not an error");
    ck_assert_int_eq(cqt_worker_error_read(w, &s, &info), CQT_EINVAL);
    ck_assert_msg(strstr(cqt_last_error(), "cqt_worker_error_read"), "%s", cqt_last_error());
    cqt_value_clear(&s);
    ck_assert_int_eq(cqt_worker_error_read(NULL, &r.last_errored, &info), CQT_EINVAL);
    ck_assert_int_eq(cqt_worker_error_read(w, NULL, &info), CQT_EINVAL);
    ck_assert_int_eq(cqt_worker_error_read(w, &r.last_errored, NULL), CQT_EINVAL);
    ck_assert_int_eq(cqt_worker_warn_full(NULL, 1, "x"), CQT_EINVAL);
    ck_assert_int_eq(cqt_worker_warn_full(w, 1, "x"), CQT_ESTATE); /* finished */
    cqt_worker_unref(w);
    rec_done(&r);
}
END_TEST

/* ---- shutdown ------------------------------------------------------------------------ */

START_TEST(test_worker_shutdown_names_generator_that_ignores_quit)
{
    cqt_event *evs[2] = {cqt_event_new("running"), cqt_event_new("release")};
    cqt_worker *w = cqt_worker_new_generator("stubborn", body_block_on_event, evs, NULL);
    ck_assert_int_eq(cqt_worker_start(w), CQT_OK);
    ck_assert_int_eq(cqt_event_wait(evs[0], CQT_TEST_TIMEOUT_MS), CQT_OK);
    ck_assert_int_eq(cqt_app_shutdown(200), CQT_ETIMEDOUT);
    ck_assert_msg(strstr(cqt_last_error(), "'stubborn'") != NULL, "message: %s",
                  cqt_last_error());
    ck_assert_int_eq(cqt_worker_get_state(w), CQT_WORKER_STATE_QUITTING);
    /* the application is kept; let the straggler go */
    ck_assert(cqt_app_is_running());
    cqt_event_set(evs[1]);
    ck_assert_int_eq(cqt_worker_wait(w, CQT_TEST_TIMEOUT_MS), CQT_OK);
    cqt_worker_unref(w);
    cqt_event_free(evs[0]);
    cqt_event_free(evs[1]);
    /* teardown's shutdown must now succeed */
}
END_TEST

START_TEST(test_worker_shutdown_quits_cooperative_workers)
{
    for (int i = 0; i < 3; i++) {
        cqt_worker *w = cqt_worker_new_generator(NULL, body_forever, NULL, NULL);
        ck_assert_int_eq(cqt_worker_start(w), CQT_OK);
        cqt_worker_unref(w);
    }
    ck_assert_int_eq(cqt_pool_active_count() > 0, 1);
    /* teardown: cqt_app_shutdown quits them and must return CQT_OK */
}
END_TEST


/* ---- quit and wait for all, without a shutdown (superqt's await_workers) ---- */

static int body_await_self(void *user_data, cqt_worker *w, cqt_value *result)
{
    (void)w;
    (void)result;
    *(int *)user_data = cqt_worker_await_all(0);
    return CQT_OK;
}

/* cqt_worker_await_all quits every started worker and waits for their
 * bodies; a body that ignores quit is counted and named; the application
 * keeps running and accepts new workers afterwards. */
START_TEST(test_worker_await_all_quits_and_waits_without_shutdown)
{
    rec r[3];
    for (int i = 0; i < 3; i++) {
        rec_init(&r[i]);
        cqt_worker *w = cqt_worker_new_generator(NULL, body_forever, NULL, NULL);
        /* not `yielded`: a generator yielding until quit would fill the log */
        for (int k = 0; k < CQT_WORKER_N_SIGNALS; k++)
            if (k != CQT_WORKER_YIELDED)
                ck_assert_uint_ne(cqt_worker_connect(w, k, NULL, rec_slot, &r[i].tags[k], NULL),
                                  0);
        ck_assert_int_eq(cqt_worker_start(w), CQT_OK);
        cqt_worker_unref(w);
    }
    ck_assert_int_eq(cqt_worker_await_all(CQT_TEST_TIMEOUT_MS), 0);
    ck_assert_int_eq(cqt_pool_active_count(), 0);
    for (int i = 0; i < 3; i++) {
        wait_finished(&r[i]);
        ck_assert_int_eq(rec_check_order(&r[i]), CQT_WORKER_ABORTED);
        rec_done(&r[i]);
    }

    /* a straggler is counted and named; starts stay allowed */
    cqt_event *evs[2] = {cqt_event_new("running"), cqt_event_new("release")};
    cqt_worker *stuck = cqt_worker_new("stuck", body_block_on_event, evs, NULL);
    ck_assert_int_eq(cqt_worker_start(stuck), CQT_OK);
    ck_assert_int_eq(cqt_event_wait(evs[0], CQT_TEST_TIMEOUT_MS), CQT_OK);
    ck_assert_int_eq(cqt_worker_await_all(0), 1);
    ck_assert_msg(strstr(cqt_last_error(), "'stuck'"), "%s", cqt_last_error());
    rec r2;
    rec_init(&r2);
    cqt_worker *next = cqt_worker_new("next", body_return_42, NULL, NULL);
    rec_connect_all(&r2, next, NULL);
    ck_assert_int_eq(cqt_worker_start(next), CQT_OK);
    wait_finished(&r2);
    ck_assert_int_eq(rec_check_order(&r2), CQT_WORKER_RETURNED);
    cqt_event_set(evs[1]);
    ck_assert_int_eq(cqt_worker_await_all(CQT_FOREVER), 0);
    ck_assert_int_eq(cqt_worker_get_state(stuck), CQT_WORKER_STATE_DONE);

    /* misuse */
    ck_assert_int_eq(cqt_worker_await_all(-5), CQT_EINVAL);
    int inner = 1;
    cqt_worker *self = cqt_worker_new("self-await", body_await_self, &inner, NULL);
    ck_assert_int_eq(cqt_worker_start(self), CQT_OK);
    ck_assert_int_eq(cqt_worker_wait(self, CQT_TEST_TIMEOUT_MS), CQT_OK);
    ck_assert_int_eq(inner, CQT_EDEADLK);
    cqt_worker_unref(self);
    cqt_worker_unref(next);
    cqt_worker_unref(stuck);
    cqt_event_free(evs[0]);
    cqt_event_free(evs[1]);
    rec_done(&r2);
}
END_TEST

/* ---- return on cancel ----------------------------------------------------------------- */

typedef struct {
    cqt_event *running, *release;
    cqt_test_counter *freed;
    cqt_test_counter body_returned;
} roc_ctx;

static int body_stuck_with_result(void *user_data, cqt_worker *w, cqt_value *result)
{
    (void)w;
    roc_ctx *c = user_data;
    cqt_event_set(c->running);
    cqt_event_wait(c->release, CQT_FOREVER); /* a blocking call that ignores quit */
    *result = cqt_value_pointer(c->freed, free_counted);
    cqt_test_counter_add(&c->body_returned, 1);
    return CQT_OK;
}

START_TEST(test_worker_return_on_cancel_aborts_at_once_and_frees_late_result)
{
    rec r;
    rec_init(&r);
    cqt_test_counter freed = {0};
    roc_ctx c = {cqt_event_new("running"), cqt_event_new("release"), &freed, {0}};
    cqt_worker *w = cqt_worker_new("stuck", body_stuck_with_result, &c, NULL);
    ck_assert_int_eq(cqt_worker_set_flags(w, CQT_WORKER_RETURN_ON_CANCEL), CQT_OK);
    rec_connect_all(&r, w, NULL);
    ck_assert_int_eq(cqt_worker_start(w), CQT_OK);
    ck_assert_int_eq(cqt_event_wait(c.running, CQT_TEST_TIMEOUT_MS), CQT_OK);
    ck_assert_int_eq(cqt_worker_quit(w), CQT_OK);
    /* reported at once although the body is still blocked */
    ck_assert(!cqt_worker_is_running(w));
    ck_assert_int_eq(cqt_worker_wait(w, 0), CQT_OK);
    wait_finished(&r);
    ck_assert_int_eq(rec_check_order(&r), CQT_WORKER_ABORTED);
    ck_assert_int_eq(cqt_test_counter_get(&c.body_returned), 0);
    ck_assert_int_eq(cqt_worker_get_state(w), CQT_WORKER_STATE_ABANDONED);
    ck_assert_int_eq(cqt_pool_active_count(), 1);
    cqt_worker_unref(w);
    /* the body returns later: its result is freed, nothing more delivered */
    cqt_event_set(c.release);
    ck_assert(counter_reaches(&freed, 1, CQT_TEST_TIMEOUT_MS));
    ck_assert(cqt_test_run_until(live_workers_zero, NULL, CQT_TEST_TIMEOUT_MS));
    ck_assert_int_eq(cqt_test_counter_get(&freed), 1);
    ck_assert_int_eq(r.n, 3);
    ck_assert_int_eq(cqt_pool_active_count(), 0);
    cqt_event_free(c.running);
    cqt_event_free(c.release);
    rec_done(&r);
}
END_TEST

/* ---- custom workers --------------------------------------------------------------------- */

typedef struct {
    cqt_event *wake;
    int tick_signal;
    cqt_test_counter interrupts;
    cqt_test_counter finalized;
    cqt_test_counter ticks_seen;
    int64_t last_tick;
} custom_ctx;

static int custom_work(void *ctx, cqt_worker *w, cqt_value *result)
{
    custom_ctx *c = ctx;
    (void)result;
    for (int64_t i = 0; !cqt_worker_abort_requested(); i++) {
        ck_assert_ptr_eq(cqt_worker_current(), w);
        cqt_value v = cqt_value_int(i);
        ck_assert_int_eq(cqt_worker_emit(w, c->tick_signal, &v), CQT_OK);
        if (i >= 2)
            cqt_event_wait(c->wake, CQT_FOREVER); /* blocks until interrupt() */
    }
    return CQT_ECANCELED;
}

static void custom_interrupt(void *ctx, cqt_worker *w)
{
    (void)w;
    custom_ctx *c = ctx;
    cqt_test_counter_add(&c->interrupts, 1);
    cqt_event_set(c->wake);
}

static void custom_finalize(void *ctx)
{
    cqt_test_counter_add(&((custom_ctx *)ctx)->finalized, 1);
}

static const cqt_worker_class custom_class = {
    .type_name = "ticker",
    .work = custom_work,
    .interrupt = custom_interrupt,
    .finalize = custom_finalize,
};

static void custom_tick(void *user_data, cqt_worker *w, const cqt_value *arg)
{
    custom_ctx *c = user_data;
    c->last_tick = cqt_value_get_int(arg);
    if (cqt_test_counter_get(&c->ticks_seen) == 2)
        cqt_worker_quit(w);
    cqt_test_counter_add(&c->ticks_seen, 1);
}

START_TEST(test_worker_custom_class_signals_interrupt_and_finalize)
{
    rec r;
    rec_init(&r);
    custom_ctx c = {.wake = cqt_event_new("wake")};
    cqt_worker *w = cqt_worker_new_custom("ticker-1", &custom_class, &c);
    ck_assert_ptr_nonnull(w);
    c.tick_signal = cqt_worker_add_signal(w, "tick");
    ck_assert_int_eq(c.tick_signal, CQT_WORKER_N_SIGNALS);
    ck_assert_int_eq(cqt_worker_signal_id(w, "tick"), c.tick_signal);
    ck_assert_str_eq(cqt_worker_signal_name(w, c.tick_signal), "tick");
    ck_assert_int_eq(cqt_worker_add_signal(w, "tick"), CQT_EINVAL);
    ck_assert_uint_ne(cqt_worker_connect(w, c.tick_signal, NULL, custom_tick, &c, NULL), 0);
    rec_connect_all(&r, w, NULL);
    ck_assert_int_eq(cqt_worker_start(w), CQT_OK);
    wait_finished(&r);
    ck_assert_int_eq(rec_check_order(&r), CQT_WORKER_ABORTED);
    ck_assert_int_eq(cqt_test_counter_get(&c.ticks_seen), 3);
    ck_assert_int_eq(c.last_tick, 2);
    ck_assert_int_eq(cqt_test_counter_get(&c.interrupts), 1);
    ck_assert_int_eq(cqt_test_counter_get(&c.finalized), 0);
    cqt_worker_unref(w);
    ck_assert(cqt_test_run_until(live_workers_zero, NULL, CQT_TEST_TIMEOUT_MS));
    ck_assert_int_eq(cqt_test_counter_get(&c.finalized), 1);
    cqt_event_free(c.wake);
    rec_done(&r);
}
END_TEST

/* ---- dedicated thread ---------------------------------------------------------------------- */

typedef struct {
    int ticks;
    bool has_loop;
    bool is_main;
    int pool_timer_rc;
} dedicated_probe;

static void dedicated_tick(void *user_data, cqt_object *o, int id)
{
    (void)o;
    (void)id;
    ((dedicated_probe *)user_data)->ticks++;
}

static int body_uses_timer(void *user_data, cqt_worker *w, cqt_value *result)
{
    (void)w;
    dedicated_probe *p = user_data;
    cqt_thread *self = cqt_thread_current();
    p->has_loop = cqt_thread_has_loop(self);
    p->is_main = self == cqt_thread_main();
    cqt_object *o = cqt_object_new(self);
    int id = cqt_object_start_timer(o, 5, CQT_TIMER_PRECISE, dedicated_tick, p);
    if (id <= 0) {
        cqt_object_free(o);
        return id;
    }
    int64_t end = now_ns() + (int64_t)CQT_TEST_TIMEOUT_MS * 1000000;
    while (p->ticks < 3 && now_ns() < end && !cqt_worker_abort_requested())
        cqt_app_process_events(5);
    cqt_object_free(o);
    *result = cqt_value_int(p->ticks);
    return CQT_OK;
}

static int body_timer_in_pool(void *user_data, cqt_worker *w, cqt_value *result)
{
    (void)w;
    (void)result;
    dedicated_probe *p = user_data;
    cqt_object *o = cqt_object_new(NULL);
    p->pool_timer_rc = cqt_object_start_timer(o, 5, CQT_TIMER_PRECISE, dedicated_tick, p);
    cqt_object_free(o);
    return CQT_OK;
}

START_TEST(test_worker_dedicated_thread_runs_timers)
{
    rec r;
    rec_init(&r);
    dedicated_probe p = {0};
    cqt_worker *w = cqt_worker_new("with-timer", body_uses_timer, &p, NULL);
    ck_assert_int_eq(cqt_worker_set_flags(w, CQT_WORKER_DEDICATED_THREAD), CQT_OK);
    rec_connect_all(&r, w, NULL);
    ck_assert_int_eq(cqt_worker_start(w), CQT_OK);
    wait_finished(&r);
    ck_assert_int_eq(rec_check_order(&r), CQT_WORKER_RETURNED);
    ck_assert(p.has_loop);
    ck_assert(!p.is_main);
    ck_assert_int_ge(r.ints[1], 3);
    cqt_worker_unref(w);

    /* the contrast: a pool thread has no loop, so a timer there is refused */
    dedicated_probe q = {0};
    w = cqt_worker_new("pool-timer", body_timer_in_pool, &q, NULL);
    ck_assert_int_eq(cqt_worker_start(w), CQT_OK);
    ck_assert_int_eq(cqt_worker_wait(w, CQT_TEST_TIMEOUT_MS), CQT_OK);
    ck_assert_int_eq(q.pool_timer_rc, CQT_ENOLOOP);
    cqt_worker_unref(w);
    rec_done(&r);
}
END_TEST

/* ---- lifetime -------------------------------------------------------------------------------- */

static void tag_destroy(void *user_data)
{
    rec_tag *t = user_data;
    cqt_test_counter_add(&t->r->destroyed, 1);
}

START_TEST(test_worker_unref_right_after_start_still_delivers)
{
    rec r;
    rec_init(&r);
    int n = 50;
    cqt_worker *w = cqt_worker_new_generator("fire-and-forget", body_count, &n, NULL);
    rec_connect_all(&r, w, NULL);
    ck_assert_uint_ne(cqt_worker_connect(w, CQT_WORKER_STARTED, NULL, rec_slot,
                                         &r.tags[CQT_WORKER_STARTED], tag_destroy),
                      0);
    ck_assert_int_eq(cqt_worker_start(w), CQT_OK);
    cqt_worker_unref(w); /* the pool and the queued deliveries keep it */
    ck_assert(cqt_test_run_until(live_workers_zero, NULL, CQT_TEST_TIMEOUT_MS));
    /* every delivery arrived before the free, then the destroy ran once */
    ck_assert_int_eq(rec_count(&r, CQT_WORKER_STARTED), 2);
    ck_assert_int_eq(rec_count(&r, CQT_WORKER_YIELDED), n);
    ck_assert_int_eq(rec_count(&r, CQT_WORKER_RETURNED), 1);
    ck_assert_int_eq(r.ids[r.n - 1], CQT_WORKER_FINISHED);
    ck_assert_int_eq(cqt_test_counter_get(&r.destroyed), 1);
    rec_done(&r);
}
END_TEST

START_TEST(test_worker_ref_unref_balance)
{
    int n = 3;
    cqt_test_counter body = {0};
    cqt_worker *w = cqt_worker_new_generator("refcounted", body_count, &n, NULL);
    ck_assert_ptr_eq(cqt_worker_ref(w), w);
    cqt_worker_unref(w);
    ck_assert_str_eq(cqt_worker_name(w), "refcounted"); /* still alive */
    ck_assert_int_eq(cqt_worker_get_state(w), CQT_WORKER_STATE_CREATED);
    cqt_worker_unref(w);
    ck_assert(live_workers_zero(NULL));
    /* unnamed workers get a name */
    w = cqt_worker_new(NULL, body_return_42, &body, destroy_count);
    ck_assert_int_eq(strncmp(cqt_worker_name(w), "worker-", 7), 0);
    cqt_worker_unref(w);
    ck_assert_int_eq(cqt_test_counter_get(&body), 1);
}
END_TEST

START_TEST(test_worker_freed_receiver_drops_deliveries)
{
    rec r;
    rec_init(&r);
    cqt_test_counter yields = {0};
    cqt_object *recv = cqt_object_new(NULL);
    cqt_worker *w = cqt_worker_new_generator("orphaned", body_forever, &yields, NULL);
    ck_assert_uint_ne(cqt_worker_connect(w, CQT_WORKER_YIELDED, recv, rec_slot,
                                         &r.tags[CQT_WORKER_YIELDED], NULL),
                      0);
    ck_assert_int_eq(cqt_worker_start(w), CQT_OK);
    ck_assert(counter_reaches(&yields, 100, CQT_TEST_TIMEOUT_MS));
    cqt_object_free(recv); /* wake-ups still queued to it are dropped */
    int seen = r.n;
    cqt_test_counter_add(&yields, -cqt_test_counter_get(&yields));
    /* the generator keeps yielding into the dead route: no delivery */
    ck_assert(counter_reaches(&yields, 100, CQT_TEST_TIMEOUT_MS));
    cqt_app_process_events(0);
    ck_assert_int_eq(r.n, seen);
    ck_assert_int_eq(cqt_worker_quit(w), CQT_OK);
    ck_assert_int_eq(cqt_worker_wait(w, CQT_TEST_TIMEOUT_MS), CQT_OK);
    cqt_worker_unref(w);
    ck_assert(cqt_test_run_until(live_workers_zero, NULL, CQT_TEST_TIMEOUT_MS));
    rec_done(&r);
}
END_TEST

START_TEST(test_worker_wait_timeout_and_self_wait_edeadlk)
{
    cqt_event *evs[2] = {cqt_event_new("running"), cqt_event_new("release")};
    cqt_worker *w = cqt_worker_new("waited", body_block_on_event, evs, NULL);
    ck_assert_int_eq(cqt_worker_wait(w, 0), CQT_ESTATE); /* never started */
    ck_assert_int_eq(cqt_worker_start(w), CQT_OK);
    ck_assert_int_eq(cqt_worker_start(w), CQT_ESTATE); /* twice */
    ck_assert_ptr_nonnull(strstr(cqt_last_error(), "waited"));
    ck_assert_int_eq(cqt_event_wait(evs[0], CQT_TEST_TIMEOUT_MS), CQT_OK);
    ck_assert_int_eq(cqt_worker_wait(w, 20), CQT_ETIMEDOUT);
    ck_assert(cqt_worker_is_running(w));
    ck_assert_int_eq(cqt_worker_get_state(w), CQT_WORKER_STATE_RUNNING);
    cqt_event_set(evs[1]);
    ck_assert_int_eq(cqt_worker_wait(w, CQT_FOREVER), CQT_OK);
    cqt_worker_unref(w);
    cqt_event_free(evs[0]);
    cqt_event_free(evs[1]);
}
END_TEST

static int body_misuse_inside(void *user_data, cqt_worker *w, cqt_value *result)
{
    int *rcs = user_data;
    (void)result;
    rcs[0] = cqt_worker_wait(w, 0);
    rcs[1] = cqt_worker_yield(w, NULL, NULL);  /* function worker */
    rcs[2] = cqt_worker_fail(w, 0, "not a failure");
    rcs[3] = cqt_worker_abort_requested();
    rcs[4] = cqt_worker_current() == w;
    return CQT_OK; /* returns OK: the fail() above does not count */
}

START_TEST(test_worker_misuse_inside_body)
{
    int rcs[5] = {0};
    cqt_worker *w = cqt_worker_new("inside", body_misuse_inside, rcs, NULL);
    ck_assert_int_eq(cqt_worker_start(w), CQT_OK);
    ck_assert_int_eq(cqt_worker_wait(w, CQT_TEST_TIMEOUT_MS), CQT_OK);
    ck_assert_int_eq(rcs[0], CQT_EDEADLK);
    ck_assert_int_eq(rcs[1], CQT_ESTATE);
    ck_assert_int_eq(rcs[2], CQT_EINVAL);
    ck_assert_int_eq(rcs[3], 0);
    ck_assert_int_eq(rcs[4], 1);
    /* outside any body */
    ck_assert_int_eq(cqt_worker_yield(w, NULL, NULL), CQT_EWRONGTHREAD);
    ck_assert_int_eq(cqt_worker_fail(w, CQT_EINVAL, "x"), CQT_EWRONGTHREAD);
    ck_assert(!cqt_worker_abort_requested());
    ck_assert_ptr_null(cqt_worker_current());
    /* after finished */
    ck_assert_int_eq(cqt_worker_quit(w), CQT_OK);
    ck_assert_int_eq(cqt_worker_pause(w), CQT_ESTATE);
    ck_assert_int_eq(cqt_worker_warn(w, "late"), CQT_ESTATE);
    ck_assert_int_eq(cqt_worker_progress(w, 1, 2, NULL), CQT_ESTATE);
    ck_assert_int_eq(cqt_worker_connect(w, CQT_WORKER_FINISHED, NULL, rec_slot, NULL, NULL), 0);
    ck_assert_int_eq(cqt_worker_set_deadline(w, 5), CQT_ESTATE);
    cqt_worker_unref(w);
}
END_TEST

/* ---- destroy functions: called exactly once ------------------------------------------------ */

START_TEST(test_worker_destroys_called_exactly_once)
{
    cqt_test_counter body = {0}, h1 = {0}, h2 = {0}, h3 = {0}, hr = {0}, hf = {0}, bf = {0};

    /* body destroy: after free; on failed creation at once */
    cqt_worker *w = cqt_worker_new("d1", body_return_42, &body, destroy_count);
    ck_assert_int_eq(cqt_test_counter_get(&body), 0);
    /* connection destroys: disconnect, worker free, failed connect */
    cqt_connection c1 = cqt_worker_connect(w, CQT_WORKER_RETURNED, NULL, rec_slot, &h1,
                                           destroy_count);
    cqt_connection c2 = cqt_worker_connect(w, CQT_WORKER_FINISHED, NULL, rec_slot, &h2,
                                           destroy_count);
    ck_assert_uint_ne(c1, 0);
    ck_assert_uint_ne(c2, 0);
    ck_assert_uint_ne(c1, c2);
    ck_assert_uint_eq(cqt_worker_connect(w, 999, NULL, rec_slot, &h3, destroy_count), 0);
    ck_assert_int_eq(cqt_test_counter_get(&h3), 1);
    ck_assert_int_eq(cqt_worker_disconnect(w, c1), CQT_OK);
    ck_assert_int_eq(cqt_test_counter_get(&h1), 1);
    ck_assert_int_eq(cqt_worker_disconnect(w, c1), CQT_EINVAL);
    ck_assert_int_eq(cqt_test_counter_get(&h1), 1);
    cqt_worker_unref(w);
    ck_assert_int_eq(cqt_test_counter_get(&body), 1);
    ck_assert_int_eq(cqt_test_counter_get(&h2), 1);

    ck_assert_ptr_null(cqt_worker_new("d2", NULL, &bf, destroy_count));
    ck_assert_int_eq(cqt_test_counter_get(&bf), 1);
    ck_assert_ptr_null(cqt_worker_new_generator("d3", NULL, &bf, destroy_count));
    ck_assert_int_eq(cqt_test_counter_get(&bf), 2);

    /* cqt_worker_run: the shared handlers destroy runs once, after free */
    rec r;
    rec_init(&r);
    cqt_worker_handlers h = {.finished = rec_slot, .returned = rec_slot,
                             .user_data = &r.tags[CQT_WORKER_FINISHED], .destroy = tag_destroy};
    w = cqt_worker_run("d4", body_return_42, &body, destroy_count, 0, &h);
    ck_assert_ptr_nonnull(w);
    cqt_worker_unref(w);
    ck_assert(cqt_test_run_until(live_workers_zero, NULL, CQT_TEST_TIMEOUT_MS));
    ck_assert_int_eq(cqt_test_counter_get(&r.destroyed), 1);
    ck_assert_int_eq(cqt_test_counter_get(&body), 2);

    /* cqt_worker_run failing: both destroys once */
    cqt_worker_handlers hbad = {.finished = rec_slot, .user_data = &hr, .destroy = destroy_count};
    ck_assert_ptr_null(cqt_worker_run("d5", NULL, &hf, destroy_count, 0, &hbad));
    ck_assert_int_eq(cqt_test_counter_get(&hr), 1);
    ck_assert_int_eq(cqt_test_counter_get(&hf), 1);
    ck_assert_ptr_null(cqt_worker_run("d6", body_return_42, &hf, destroy_count, 0x100, &hbad));
    ck_assert_int_eq(cqt_test_counter_get(&hr), 2);
    ck_assert_int_eq(cqt_test_counter_get(&hf), 2);

    /* class finalize on failed creation */
    static const cqt_worker_class no_work = {.finalize = custom_finalize};
    custom_ctx c = {0};
    ck_assert_ptr_null(cqt_worker_new_custom("d7", &no_work, &c));
    ck_assert_int_eq(cqt_test_counter_get(&c.finalized), 1);
    rec_done(&r);
}
END_TEST

/* ---- bad input for every public function ------------------------------------------------------ */

START_TEST(test_worker_bad_input_returns_status_and_names_the_fix)
{
    cqt_value v = cqt_value_int(1);
    cqt_worker_progress_info info;
    cqt_pool_entry *list;
    size_t n;

    ck_assert_ptr_null(cqt_worker_new(NULL, NULL, NULL, NULL));
    ck_assert_ptr_nonnull(strstr(cqt_last_error(), "fn is NULL"));
    ck_assert_ptr_null(cqt_worker_new_generator(NULL, NULL, NULL, NULL));
    ck_assert_ptr_null(cqt_worker_new_custom(NULL, NULL, NULL));
    ck_assert_ptr_null(cqt_worker_run(NULL, NULL, NULL, NULL, 0, NULL));
    ck_assert_ptr_null(cqt_worker_ref(NULL));
    cqt_worker_unref(NULL);
    ck_assert_str_eq(cqt_worker_name(NULL), "(null)");
    ck_assert_int_eq(cqt_worker_get_state(NULL), CQT_WORKER_STATE_CREATED);
    ck_assert_str_eq(cqt_worker_state_name((cqt_worker_state)99), "unknown");
    ck_assert_str_eq(cqt_worker_state_name(CQT_WORKER_STATE_PAUSED), "paused");
    ck_assert_int_eq(cqt_worker_set_flags(NULL, 0), CQT_EINVAL);
    ck_assert_int_eq(cqt_worker_set_yield_mode(NULL, CQT_YIELD_ALL, 0), CQT_EINVAL);
    ck_assert_int_eq(cqt_worker_set_deadline(NULL, 1), CQT_EINVAL);
    ck_assert_int_eq(cqt_worker_set_send_capacity(NULL, 1), CQT_EINVAL);
    ck_assert_int_eq(cqt_worker_set_total(NULL, 1), CQT_EINVAL);
    ck_assert_uint_eq(cqt_worker_connect(NULL, 0, NULL, rec_slot, NULL, NULL), 0);
    ck_assert_int_eq(cqt_worker_disconnect(NULL, 1), CQT_EINVAL);
    ck_assert_int_eq(cqt_worker_add_signal(NULL, "x"), CQT_EINVAL);
    ck_assert_int_eq(cqt_worker_signal_id(NULL, NULL), CQT_EINVAL);
    ck_assert_int_eq(cqt_worker_signal_id(NULL, "finished"), CQT_WORKER_FINISHED);
    ck_assert_int_eq(cqt_worker_signal_id(NULL, "nope"), CQT_EINVAL);
    ck_assert_str_eq(cqt_worker_signal_name(NULL, CQT_WORKER_TIMED_OUT), "timed_out");
    ck_assert_str_eq(cqt_worker_signal_name(NULL, -1), "(invalid)");
    ck_assert_str_eq(cqt_worker_signal_name(NULL, CQT_WORKER_N_SIGNALS), "(invalid)");
    ck_assert_int_eq(cqt_worker_emit(NULL, CQT_WORKER_N_SIGNALS, &v), CQT_EINVAL);
    ck_assert_int_eq(cqt_worker_start(NULL), CQT_EINVAL);
    ck_assert_int_eq(cqt_worker_quit(NULL), CQT_EINVAL);
    ck_assert_int_eq(cqt_worker_pause(NULL), CQT_EINVAL);
    ck_assert_int_eq(cqt_worker_resume(NULL), CQT_EINVAL);
    ck_assert_int_eq(cqt_worker_toggle_pause(NULL), CQT_EINVAL);
    ck_assert_int_eq(cqt_worker_send(NULL, &v), CQT_EINVAL);
    ck_assert(!cqt_worker_is_running(NULL));
    ck_assert(!cqt_worker_is_paused(NULL));
    ck_assert_int_eq(cqt_worker_wait(NULL, 0), CQT_EINVAL);
    ck_assert_int_eq(cqt_worker_yield(NULL, &v, NULL), CQT_EINVAL);
    ck_assert_int_eq(cqt_worker_fail(NULL, CQT_EINVAL, "x"), CQT_EINVAL);
    ck_assert_int_eq(cqt_worker_warn(NULL, "x"), CQT_EINVAL);
    ck_assert_int_eq(cqt_worker_progress(NULL, 0, 0, NULL), CQT_EINVAL);
    ck_assert_int_eq(cqt_worker_progress_read(NULL, &info), CQT_EINVAL);
    ck_assert_int_eq(cqt_worker_progress_read(&v, &info), CQT_EINVAL);
    ck_assert_int_eq(cqt_worker_progress_read(&v, NULL), CQT_EINVAL);
    ck_assert_int_eq(cqt_pool_list(NULL, &n), CQT_EINVAL);
    ck_assert_int_eq(cqt_pool_list(&list, NULL), CQT_EINVAL);
    cqt_pool_list_free(NULL);

    /* with a worker: bad values name the worker */
    cqt_worker *f = cqt_worker_new("func", body_return_42, NULL, NULL);
    cqt_worker *g = cqt_worker_new_generator("gen", body_forever, NULL, NULL);
    ck_assert_int_eq(cqt_worker_set_flags(f, 0x100), CQT_EINVAL);
    ck_assert_ptr_nonnull(strstr(cqt_last_error(), "'func'"));
    ck_assert_int_eq(cqt_worker_set_flags(f, CQT_WORKER_GENERATOR), CQT_EINVAL);
    ck_assert_int_eq(cqt_worker_set_yield_mode(g, (cqt_yield_mode)7, 0), CQT_EINVAL);
    ck_assert_int_eq(cqt_worker_set_yield_mode(g, CQT_YIELD_ALL, -1), CQT_EINVAL);
    ck_assert_int_eq(cqt_worker_set_yield_mode(f, CQT_YIELD_LATEST, 0), CQT_ESTATE);
    ck_assert_ptr_nonnull(strstr(cqt_last_error(), "cqt_worker_new_generator"));
    ck_assert_int_eq(cqt_worker_set_deadline(f, -5), CQT_EINVAL);
    ck_assert_int_eq(cqt_worker_set_send_capacity(g, 0), CQT_EINVAL);
    ck_assert_int_eq(cqt_worker_set_send_capacity(f, 4), CQT_ESTATE);
    ck_assert_int_eq(cqt_worker_set_total(g, -1), CQT_EINVAL);
    ck_assert_int_eq(cqt_worker_set_total(f, 3), CQT_ESTATE);
    ck_assert_uint_eq(cqt_worker_connect(f, -1, NULL, rec_slot, NULL, NULL), 0);
    ck_assert_uint_eq(cqt_worker_connect(f, CQT_WORKER_N_SIGNALS, NULL, rec_slot, NULL, NULL), 0);
    ck_assert_uint_eq(cqt_worker_connect(f, 0, NULL, NULL, NULL, NULL), 0);
    ck_assert_int_eq(cqt_worker_disconnect(f, 0), CQT_EINVAL);
    ck_assert_int_eq(cqt_worker_disconnect(f, 12345), CQT_EINVAL);
    ck_assert_int_eq(cqt_worker_add_signal(f, NULL), CQT_EINVAL);
    ck_assert_int_eq(cqt_worker_add_signal(f, ""), CQT_EINVAL);
    ck_assert_int_eq(cqt_worker_add_signal(f, "started"), CQT_EINVAL); /* built-in name */
    for (int i = 0; i < CQT_WORKER_MAX_CUSTOM_SIGNALS; i++) {
        char name[16];
        snprintf(name, sizeof name, "s%d", i);
        ck_assert_int_eq(cqt_worker_add_signal(f, name), CQT_WORKER_N_SIGNALS + i);
    }
    ck_assert_int_eq(cqt_worker_add_signal(f, "one-too-many"), CQT_ERANGE);
    ck_assert_int_eq(cqt_worker_emit(f, CQT_WORKER_STARTED, &v), CQT_EINVAL); /* built-in */
    ck_assert_int_eq(cqt_worker_emit(f, CQT_WORKER_N_SIGNALS, &v), CQT_ESTATE); /* not running */
    ck_assert_int_eq(cqt_worker_pause(f), CQT_ESTATE);
    ck_assert_int_eq(cqt_worker_resume(f), CQT_ESTATE);
    ck_assert_int_eq(cqt_worker_toggle_pause(f), CQT_ESTATE);
    ck_assert_int_eq(cqt_worker_send(f, &v), CQT_ESTATE);
    ck_assert_int_eq(cqt_worker_wait(g, -7), CQT_EINVAL);
    ck_assert_int_eq(cqt_worker_warn(g, "not yet"), CQT_ESTATE);
    ck_assert_int_eq(cqt_worker_progress(g, -1, 0, NULL), CQT_EINVAL);
    ck_assert_int_eq(cqt_worker_progress(g, 1, 0, NULL), CQT_ESTATE);

    /* a receiver in a thread with no loop */
    ck_assert_int_eq(cqt_worker_start(f), CQT_OK);
    ck_assert_int_eq(cqt_worker_set_flags(f, 0), CQT_ESTATE);
    ck_assert_int_eq(cqt_worker_add_signal(f, "late"), CQT_ESTATE);
    ck_assert_int_eq(cqt_worker_wait(f, CQT_TEST_TIMEOUT_MS), CQT_OK);
    cqt_worker_unref(f);
    cqt_worker_unref(g);
}
END_TEST

typedef struct {
    cqt_object *o;
} adopted_job;

static void *make_object_in_pthread(void *arg)
{
    adopted_job *j = arg;
    j->o = cqt_object_new(NULL); /* an adopted thread: no loop */
    return NULL;
}

START_TEST(test_worker_connect_to_loopless_receiver_is_enoloop)
{
    cqt_test_counter d = {0};
    adopted_job j = {0};
    pthread_t th;
    pthread_create(&th, NULL, make_object_in_pthread, &j);
    pthread_join(th, NULL);
    ck_assert_ptr_nonnull(j.o);
    cqt_worker *w = cqt_worker_new("loopless", body_return_42, NULL, NULL);
    ck_assert_uint_eq(cqt_worker_connect(w, CQT_WORKER_RETURNED, j.o, rec_slot, &d,
                                         destroy_count),
                      0);
    ck_assert_int_eq(cqt_test_counter_get(&d), 1);
    ck_assert_ptr_nonnull(strstr(cqt_last_error(), "no event loop"));
    cqt_worker_unref(w);
    cqt_object_free(j.o);
}
END_TEST

START_TEST(test_worker_without_app_is_estate)
{
    /* no fixture: no application */
    cqt_test_counter d = {0};
    ck_assert_ptr_null(cqt_worker_new("appless", body_return_42, &d, destroy_count));
    ck_assert_int_eq(cqt_test_counter_get(&d), 1);
    ck_assert_ptr_nonnull(strstr(cqt_last_error(), "cqt_app_init"));
    ck_assert_int_eq(cqt_pool_active_count(), 0);
}
END_TEST

/* ---- workers across applications and shutdown --------------------------- */

static int body_quick(void *user_data, cqt_worker *w, cqt_value *result)
{
    (void)user_data;
    (void)w;
    *result = cqt_value_int(1);
    return CQT_OK;
}

/* A worker made by one application is refused by the next one, as other
 * handles are (cqt_invoke, cqt_emit, cqt_timer_start): its object belongs
 * to the application that was shut down. */
START_TEST(test_worker_from_previous_app_is_estate)
{
    ck_assert_int_eq(cqt_app_init(NULL, NULL, CQT_APP_CORE), CQT_OK);
    cqt_test_counter d = {0};
    cqt_worker *w = cqt_worker_new_generator("old", body_quick, &d, destroy_count);
    ck_assert_ptr_nonnull(w);
    ck_assert_int_eq(cqt_app_shutdown(CQT_TEST_TIMEOUT_MS), CQT_OK);
    ck_assert_int_eq(cqt_app_init(NULL, NULL, CQT_APP_CORE), CQT_OK);
    ck_assert_int_eq(cqt_worker_start(w), CQT_ESTATE);
    ck_assert_msg(strstr(cqt_last_error(), "'old'") && strstr(cqt_last_error(), "shut down"),
                  "%s", cqt_last_error());
    ck_assert_uint_eq(cqt_worker_connect(w, CQT_WORKER_FINISHED, NULL, rec_slot, NULL, NULL), 0);
    ck_assert_int_eq(cqt_worker_quit(w), CQT_ESTATE);
    ck_assert_int_eq(cqt_worker_pause(w), CQT_ESTATE);
    ck_assert_int_eq(cqt_worker_send(w, NULL), CQT_ESTATE);
    ck_assert_int_eq(cqt_worker_set_total(w, 5), CQT_ESTATE);
    ck_assert_int_eq(cqt_worker_wait(w, 0), CQT_ESTATE);
    ck_assert_int_eq(cqt_pool_active_count(), 0);
    cqt_worker_unref(w); /* still valid to free */
    ck_assert_int_eq(cqt_test_counter_get(&d), 1);
    ck_assert_int_eq(cqt_app_shutdown(CQT_TEST_TIMEOUT_MS), CQT_OK);
}
END_TEST

typedef struct {
    cqt_event *release;
    cqt_event *returned;
    int fired;
    cqt_worker *next;
    int next_rc;
    char msg[512];
} chain;

static int body_blocked(void *user_data, cqt_worker *w, cqt_value *result)
{
    (void)w;
    (void)result;
    cqt_event_wait(((chain *)user_data)->release, CQT_FOREVER);
    return CQT_OK;
}

static void start_next_on_finished(void *user_data, cqt_worker *w, const cqt_value *arg)
{
    chain *c = user_data;
    (void)w;
    (void)arg;
    c->next = cqt_worker_new("next", body_blocked, c, NULL);
    c->next_rc = c->next ? cqt_worker_start(c->next) : -100;
    snprintf(c->msg, sizeof c->msg, "%s", cqt_last_error());
}

static void *chain_watchdog(void *arg)
{
    chain *c = arg;
    if (cqt_event_wait(c->returned, 2 * CQT_TEST_TIMEOUT_MS) != CQT_OK) {
        c->fired = 1;
        cqt_event_set(c->release);
    }
    return NULL;
}

/* A `finished` handler that starts the next job, run by shutdown's final
 * drain, is refused: shutdown never waits for a worker nobody will quit. */
START_TEST(test_worker_start_refused_once_shutdown_began)
{
    ck_assert_int_eq(cqt_app_init(NULL, NULL, CQT_APP_CORE), CQT_OK);
    chain c = {.release = cqt_event_new("release"), .returned = cqt_event_new("returned"),
               .next_rc = 1};
    pthread_t wt;
    pthread_create(&wt, NULL, chain_watchdog, &c);
    cqt_worker *first = cqt_worker_new("first", body_quick, NULL, NULL);
    ck_assert_uint_ne(
        cqt_worker_connect(first, CQT_WORKER_FINISHED, NULL, start_next_on_finished, &c, NULL), 0);
    ck_assert_int_eq(cqt_worker_start(first), CQT_OK);
    ck_assert_int_eq(cqt_worker_wait(first, CQT_TEST_TIMEOUT_MS), CQT_OK);
    /* `finished` is queued to main, which runs no loop until shutdown */
    int rc = cqt_app_shutdown(300);
    cqt_event_set(c.returned);
    cqt_event_set(c.release);
    pthread_join(wt, NULL);
    ck_assert_msg(!c.fired, "shutdown(300) waited for a worker started during it");
    ck_assert_msg(rc == CQT_OK, "%s: %s", cqt_status_name(rc), cqt_last_error());
    ck_assert_ptr_nonnull(c.next);
    ck_assert_msg(c.next_rc == CQT_ESTATE, "start in shutdown: %s (%s)",
                  cqt_status_name(c.next_rc), c.msg);
    ck_assert_msg(strstr(c.msg, "shutting down"), "%s", c.msg);
    cqt_worker_unref(c.next);
    cqt_worker_unref(first);
    cqt_event_free(c.release);
    cqt_event_free(c.returned);
}
END_TEST

/* One case per mechanism (capi/src/worker*.c): the handle and its state
 * machine, delivery to receivers, the deadline watchdog, and the registry
 * that cqt_app_shutdown() quits and waits for. */
static TCase *app_case(Suite *s, const char *name)
{
    TCase *tc = tcase_create(name);
    cqt_test_add_app_fixture(tc);
    tcase_set_timeout(tc, 300);
    suite_add_tcase(s, tc);
    return tc;
}

CQT_TEST_SUITE(worker_suite)
{
    Suite *s = suite_create("worker");

    TCase *tc = app_case(s, "worker"); /* worker.c */
    tcase_add_test(tc, test_worker_function_returned_order_in_main);
    tcase_add_test(tc, test_worker_errored_order_carries_code_and_message);
    tcase_add_test(tc, test_worker_aborted_order_never_returned);
    tcase_add_test(tc, test_worker_errored_without_fail_uses_last_error);
    tcase_add_test(tc, test_worker_quit_before_start_reports_aborted_without_body);
    tcase_add_test(tc, test_worker_pause_blocks_generator_and_resume_continues);
    tcase_add_test(tc, test_worker_toggle_pause_twice_is_a_no_op);
    tcase_add_test(tc, test_worker_quit_during_pause_aborts);
    tcase_add_test(tc, test_worker_send_keeps_order_and_capacity);
    tcase_add_test(tc, test_worker_unsent_values_freed_once_with_worker);
    tcase_add_test(tc, test_worker_progress_explicit_and_declared_total);
    tcase_add_test(tc, test_worker_return_on_cancel_aborts_at_once_and_frees_late_result);
    tcase_add_test(tc, test_worker_custom_class_signals_interrupt_and_finalize);
    tcase_add_test(tc, test_worker_dedicated_thread_runs_timers);
    tcase_add_test(tc, test_worker_ref_unref_balance);
    tcase_add_test(tc, test_worker_wait_timeout_and_self_wait_edeadlk);
    tcase_add_test(tc, test_worker_misuse_inside_body);
    tcase_add_test(tc, test_worker_destroys_called_exactly_once);
    tcase_add_test(tc, test_worker_bad_input_returns_status_and_names_the_fix);
    tcase_add_test(tc, test_worker_run_no_start_connects_then_starts_later);
    tcase_add_test(tc, test_worker_run_no_start_unref_runs_handler_destroy_once);

    TCase *route = app_case(s, "route"); /* worker-route.c */
    tcase_add_test(route, test_worker_generator_yields_in_order_then_returned);
    tcase_add_test(route, test_worker_backlog_across_item_blocks_delivered_in_order);
    tcase_add_test(route, test_worker_backlog_dropped_with_worker_freed_once);
    tcase_add_test(route, test_worker_latest_delivers_newest_and_bounds_backlog_to_one);
    tcase_add_test(route, test_worker_latest_million_keeps_receiver_loop_responsive);
    tcase_add_test(route, test_worker_throttle_spaces_deliveries_and_keeps_last);
    tcase_add_test(route, test_worker_throttle_all_mode_delivers_every_value_in_order);
    tcase_add_test(route, test_worker_nested_start_from_worker_delivers_to_main);
    tcase_add_test(route, test_worker_null_receiver_in_cqt_thread_runs_there);
    tcase_add_test(route, test_worker_unhandled_error_reaches_message_handler_in_main);
    tcase_add_test(route, test_worker_errored_on_freed_receiver_is_reported);
    tcase_add_test(route, test_worker_warned_handled_and_unhandled);
    tcase_add_test(route, test_worker_error_read_gives_code_message_and_name);
    tcase_add_test(route, test_worker_unref_right_after_start_still_delivers);
    tcase_add_test(route, test_worker_freed_receiver_drops_deliveries);
    tcase_add_test(route, test_worker_connect_to_loopless_receiver_is_enoloop);

    TCase *deadline = app_case(s, "deadline"); /* worker-deadline.c */
    tcase_add_test(deadline, test_worker_deadline_emits_timed_out_then_aborts);
    tcase_add_test(deadline, test_worker_deadline_disarmed_when_body_returns_first);

    TCase *reg = app_case(s, "registry"); /* worker-registry.c */
    tcase_add_test(reg, test_worker_ten_thousand_on_pool_of_four_each_result_once);
    tcase_add_test(reg, test_worker_shutdown_names_generator_that_ignores_quit);
    tcase_add_test(reg, test_worker_shutdown_quits_cooperative_workers);
    tcase_add_test(reg, test_worker_await_all_quits_and_waits_without_shutdown);

    TCase *bare = tcase_create("worker-no-app");
    tcase_add_test(bare, test_worker_without_app_is_estate);
    tcase_add_test(bare, test_worker_from_previous_app_is_estate);
    suite_add_tcase(s, bare);

    TCase *reg_bare = tcase_create("registry-no-app");
    tcase_add_test(reg_bare, test_worker_start_refused_once_shutdown_began);
    suite_add_tcase(s, reg_bare);
    return s;
}
