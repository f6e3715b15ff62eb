/* SPDX-License-Identifier: MIT */
/* test-timer.c — timers started and stopped from any thread (P1), loopless
 * owners (P2), single shots, object timers. */
#include "cqt-test.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

typedef struct {
    cqt_thread *ran_in;
    cqt_test_counter fires;
    cqt_test_counter fires_after_stop;
    volatile int stopped;
    cqt_event *fired;
    long want;
} tick_log;

static void on_tick(void *user_data, const cqt_value *arg)
{
    (void)arg;
    tick_log *l = user_data;
    /* main reads it while the timer keeps firing */
    __atomic_store_n(&l->ran_in, cqt_thread_current(), __ATOMIC_SEQ_CST);
    if (__atomic_load_n(&l->stopped, __ATOMIC_SEQ_CST))
        cqt_test_counter_add(&l->fires_after_stop, 1);
    cqt_test_counter_add(&l->fires, 1);
    if (cqt_test_counter_get(&l->fires) >= l->want)
        cqt_event_set(l->fired);
}

typedef struct {
    cqt_timer *timer;
    int ms;
    int rc;
    char msg[512];
} timer_job;

static void *start_from_pthread(void *arg)
{
    timer_job *j = arg;
    j->rc = cqt_timer_start(j->timer, j->ms);
    strncpy(j->msg, cqt_last_error(), sizeof j->msg - 1);
    return NULL;
}

static void *stop_from_pthread(void *arg)
{
    timer_job *j = arg;
    j->rc = cqt_timer_stop(j->timer);
    return NULL;
}

/* P1: started from a plain pthread, a timer owned by a
 * started cqt thread fires in that thread; a stop from another thread
 * stops it. */
START_TEST(test_timer_start_from_foreign_thread)
{
    cqt_thread *t = cqt_thread_new("timer-home");
    cqt_thread_start(t);
    cqt_object *owner = cqt_object_new(t);
    cqt_timer *timer = cqt_timer_new(owner, "tick");
    tick_log l = {.fired = cqt_event_new("fired"), .want = 3};
    ck_assert_uint_ne(cqt_connect(cqt_timer_timeout(timer), owner, on_tick, &l, NULL, CQT_AUTO), 0);

    timer_job j = {.timer = timer, .ms = 2, .rc = -100};
    pthread_t pt;
    pthread_create(&pt, NULL, start_from_pthread, &j);
    pthread_join(pt, NULL);
    ck_assert_msg(j.rc == CQT_OK, "%s", j.msg);
    ck_assert(cqt_timer_is_active(timer));
    ck_assert_int_eq(cqt_event_wait(l.fired, CQT_TEST_TIMEOUT_MS), CQT_OK);
    ck_assert_ptr_eq(__atomic_load_n(&l.ran_in, __ATOMIC_SEQ_CST), t);

    /* stop from another pthread, then give it the time of several periods,
     * measured by a second timer in the same thread */
    pthread_create(&pt, NULL, stop_from_pthread, &j);
    pthread_join(pt, NULL);
    ck_assert_int_eq(j.rc, CQT_OK);
    __atomic_store_n(&l.stopped, 1, __ATOMIC_SEQ_CST);
    ck_assert(!cqt_timer_is_active(timer));
    ck_assert_int_eq(cqt_timer_remaining_ms(timer), -1);

    cqt_timer *clock = cqt_timer_new(owner, "clock");
    tick_log c = {.fired = cqt_event_new("clock"), .want = 10};
    cqt_connect(cqt_timer_timeout(clock), owner, on_tick, &c, NULL, CQT_AUTO);
    ck_assert_int_eq(cqt_timer_start(clock, 2), CQT_OK);
    ck_assert_int_eq(cqt_event_wait(c.fired, CQT_TEST_TIMEOUT_MS), CQT_OK);
    /* A fire already past its check when the foreign stop landed may still
     * run (documented); ten clock periods later, no other one may. */
    ck_assert_int_le(cqt_test_counter_get(&l.fires_after_stop), 1);

    cqt_object_free(owner); /* frees its timers too */
    cqt_thread_free(t);
    cqt_event_free(l.fired);
    cqt_event_free(c.fired);
}
END_TEST

static void *timer_in_adopted_thread(void *arg)
{
    timer_job *j = arg;
    cqt_object *o = cqt_object_new(NULL);
    cqt_timer *t = cqt_timer_new(o, "orphan");
    j->rc = cqt_timer_start(t, 10);
    strncpy(j->msg, cqt_last_error(), sizeof j->msg - 1);
    j->ms = cqt_timer_is_active(t);
    cqt_object_free(o);
    return NULL;
}

/* P2: a timer owned by an adopted thread: CQT_ENOLOOP, and
 * the message names the thread and the fix. */
START_TEST(test_timer_in_adopted_thread_is_enoloop)
{
    timer_job j = {.rc = -100};
    pthread_t pt;
    pthread_create(&pt, NULL, timer_in_adopted_thread, &j);
    pthread_join(pt, NULL);
    ck_assert_int_eq(j.rc, CQT_ENOLOOP);
    ck_assert_msg(strstr(j.msg, "adopted-") != NULL, "message does not name the thread: %s", j.msg);
    ck_assert_msg(strstr(j.msg, "runs no event loop") != NULL, "%s", j.msg);
    ck_assert_msg(strstr(j.msg, "cqt_thread_new") != NULL, "message names no fix: %s", j.msg);
    ck_assert_msg(strstr(j.msg, "'orphan'") != NULL, "message names no timer: %s", j.msg);
    ck_assert_int_eq(j.ms, 0); /* not active */
}
END_TEST

static bool counter_reached(void *arg)
{
    tick_log *l = arg;
    return cqt_test_counter_get(&l->fires) >= l->want;
}

/* Single shot fires once and is inactive afterwards; restart works. */
START_TEST(test_timer_single_shot_fires_once)
{
    cqt_object *owner = cqt_object_new(NULL);
    cqt_timer *t = cqt_timer_new(owner, "once");
    tick_log l = {.fired = cqt_event_new("fired"), .want = 1};
    cqt_connect(cqt_timer_timeout(t), owner, on_tick, &l, NULL, CQT_AUTO);
    ck_assert_int_eq(cqt_timer_set_single_shot(t, true), CQT_OK);
    ck_assert_int_eq(cqt_timer_set_type(t, CQT_TIMER_PRECISE), CQT_OK);
    ck_assert_int_eq(cqt_timer_start(t, 5), CQT_OK);
    ck_assert_int_eq(cqt_timer_interval_ms(t), 5);
    ck_assert_int_le(cqt_timer_remaining_ms(t), 5);
    ck_assert(cqt_test_run_until(counter_reached, &l, CQT_TEST_TIMEOUT_MS));
    ck_assert(!cqt_timer_is_active(t));
    /* a repeating clock proves no second shot comes */
    cqt_timer *clock = cqt_timer_new(owner, "clock");
    tick_log c = {.fired = cqt_event_new("clock"), .want = 10};
    cqt_connect(cqt_timer_timeout(clock), owner, on_tick, &c, NULL, CQT_AUTO);
    cqt_timer_start(clock, 2);
    ck_assert(cqt_test_run_until(counter_reached, &c, CQT_TEST_TIMEOUT_MS));
    ck_assert_int_eq(cqt_test_counter_get(&l.fires), 1);
    /* restart: fires again */
    l.want = 2;
    ck_assert_int_eq(cqt_timer_start(t, 1), CQT_OK);
    ck_assert(cqt_test_run_until(counter_reached, &l, CQT_TEST_TIMEOUT_MS));
    cqt_object_free(owner);
    cqt_event_free(l.fired);
    cqt_event_free(c.fired);
}
END_TEST

/* A timer in a cqt thread that has not started is accepted and fires once
 * it starts; when the thread quits, its timers stop. */
START_TEST(test_timer_waits_for_thread_start_and_stops_with_it)
{
    cqt_thread *t = cqt_thread_new("late");
    cqt_object *owner = cqt_object_new(t);
    cqt_timer *timer = cqt_timer_new(owner, "early");
    tick_log l = {.fired = cqt_event_new("fired"), .want = 2};
    cqt_connect(cqt_timer_timeout(timer), owner, on_tick, &l, NULL, CQT_AUTO);
    ck_assert_int_eq(cqt_timer_start(timer, 1), CQT_OK);
    ck_assert_int_eq(cqt_test_counter_get(&l.fires), 0);
    ck_assert_int_eq(cqt_thread_start(t), CQT_OK);
    ck_assert_int_eq(cqt_event_wait(l.fired, CQT_TEST_TIMEOUT_MS), CQT_OK);
    ck_assert_ptr_eq(__atomic_load_n(&l.ran_in, __ATOMIC_SEQ_CST), t);
    cqt_thread_quit(t);
    ck_assert_int_eq(cqt_thread_wait(t, CQT_TEST_TIMEOUT_MS), CQT_OK);
    ck_assert(!cqt_timer_is_active(timer));
    ck_assert_int_eq(cqt_timer_start(timer, 1), CQT_ENOLOOP);
    ck_assert_ptr_nonnull(strstr(cqt_last_error(), "has stopped"));
    cqt_object_free(owner);
    cqt_thread_free(t);
    cqt_event_free(l.fired);
}
END_TEST

/* Object timers: ids unique across threads, kill from a foreign thread,
 * bad ids refused, destroy runs once. */
typedef struct {
    cqt_test_counter fires;
    cqt_test_counter destroyed;
    cqt_event *fired;
} obj_tick;

static void obj_timer_fn(void *user_data, cqt_object *o, int id)
{
    (void)o;
    (void)id;
    obj_tick *t = user_data;
    cqt_test_counter_add(&t->fires, 1);
    cqt_event_set(t->fired);
}

static void obj_timer_destroy(void *user_data)
{
    cqt_test_counter_add(&((obj_tick *)user_data)->destroyed, 1);
}

START_TEST(test_object_timer_ids_unique_and_kill)
{
    cqt_thread *a = cqt_thread_new("a");
    cqt_thread *b = cqt_thread_new("b");
    cqt_thread_start(a);
    cqt_thread_start(b);
    cqt_object *oa = cqt_object_new(a);
    cqt_object *ob = cqt_object_new(b);
    obj_tick ta = {.fired = cqt_event_new("a")}, tb = {.fired = cqt_event_new("b")};
    int ids[40];
    for (int i = 0; i < 20; i++) {
        ids[2 * i] = cqt_object_start_timer_full(oa, 1000000, CQT_TIMER_COARSE, obj_timer_fn, &ta,
                                                 obj_timer_destroy);
        ids[2 * i + 1] = cqt_object_start_timer_full(ob, 1000000, CQT_TIMER_COARSE, obj_timer_fn,
                                                     &tb, obj_timer_destroy);
    }
    for (int i = 0; i < 40; i++) {
        ck_assert_int_gt(ids[i], 0);
        for (int k = 0; k < i; k++)
            ck_assert_int_ne(ids[i], ids[k]);
    }
    /* a fast one fires in its thread */
    int fast = cqt_object_start_timer_full(oa, 1, CQT_TIMER_PRECISE, obj_timer_fn, &ta,
                                           obj_timer_destroy);
    ck_assert_int_eq(cqt_event_wait(ta.fired, CQT_TEST_TIMEOUT_MS), CQT_OK);
    ck_assert_int_eq(cqt_object_kill_timer(oa, fast), CQT_OK);
    ck_assert_int_eq(cqt_object_kill_timer(oa, fast), CQT_EINVAL);
    ck_assert_ptr_nonnull(strstr(cqt_last_error(), "not a live timer"));
    ck_assert_int_eq(cqt_object_kill_timer(ob, ids[0]), CQT_EINVAL); /* a's id on b */
    ck_assert_int_eq(cqt_object_kill_timer(oa, ids[0]), CQT_OK);
    cqt_object_free(oa); /* the other 19 of a are released with it */
    cqt_object_free(ob);
    cqt_thread_free(a);
    cqt_thread_free(b);
    ck_assert_int_eq(cqt_test_counter_get(&ta.destroyed), 21);
    ck_assert_int_eq(cqt_test_counter_get(&tb.destroyed), 20);
    cqt_event_free(ta.fired);
    cqt_event_free(tb.fired);
}
END_TEST

static void flush_nothing(void *arg)
{
    (void)arg;
}

static void shot(void *arg)
{
    tick_log *l = arg;
    l->ran_in = cqt_thread_current();
    cqt_test_counter_add(&l->fires, 1);
    cqt_event_set(l->fired);
}

static void shot_destroy(void *arg)
{
    cqt_test_counter_add(&((tick_log *)arg)->fires_after_stop, 1); /* counts destroys here */
}

/* cqt_single_shot: fires once in the receiver's thread; dropped (destroy
 * still runs) when the receiver is freed first. */
START_TEST(test_single_shot_in_receiver_thread)
{
    cqt_thread *t = cqt_thread_new("shots");
    cqt_thread_start(t);
    cqt_object *r = cqt_object_new(t);
    tick_log l = {.fired = cqt_event_new("shot")};
    ck_assert_int_eq(cqt_single_shot_full(1, r, shot, &l, shot_destroy), CQT_OK);
    ck_assert_int_eq(cqt_event_wait(l.fired, CQT_TEST_TIMEOUT_MS), CQT_OK);
    ck_assert_ptr_eq(__atomic_load_n(&l.ran_in, __ATOMIC_SEQ_CST), t);
    ck_assert_int_eq(cqt_invoke(r, flush_nothing, NULL, CQT_BLOCKING_QUEUED), CQT_OK);
    ck_assert_int_eq(cqt_test_counter_get(&l.fires_after_stop), 1);

    tick_log d = {.fired = cqt_event_new("never")};
    ck_assert_int_eq(cqt_single_shot_full(60000, r, shot, &d, shot_destroy), CQT_OK);
    cqt_object_free(r);
    cqt_thread_free(t); /* joins: the deferred free has run */
    ck_assert_int_eq(cqt_test_counter_get(&d.fires), 0);
    ck_assert_int_eq(cqt_test_counter_get(&d.fires_after_stop), 1);
    cqt_event_free(l.fired);
    cqt_event_free(d.fired);
}
END_TEST

static bool flag_set(void *arg)
{
    return __atomic_load_n((volatile int *)arg, __ATOMIC_SEQ_CST) != 0;
}

static void set_int_flag(void *arg)
{
    __atomic_store_n((volatile int *)arg, 1, __ATOMIC_SEQ_CST);
}

/* set_single_shot on a running periodic timer waits for the next start:
 * the running arming keeps repeating, stays active and stoppable. */
START_TEST(test_timer_set_single_shot_while_running_keeps_arming)
{
    cqt_object *owner = cqt_object_new(NULL);
    cqt_timer *t = cqt_timer_new(owner, "periodic");
    tick_log l = {.fired = cqt_event_new("fired"), .want = 1};
    cqt_connect(cqt_timer_timeout(t), owner, on_tick, &l, NULL, CQT_AUTO);
    ck_assert_int_eq(cqt_timer_start(t, 1), CQT_OK);
    ck_assert(cqt_test_run_until(counter_reached, &l, CQT_TEST_TIMEOUT_MS));
    ck_assert_int_eq(cqt_timer_set_single_shot(t, true), CQT_OK);
    ck_assert_int_eq(cqt_timer_set_type(t, CQT_TIMER_PRECISE), CQT_OK);
    l.want = cqt_test_counter_get(&l.fires) + 3;
    ck_assert(cqt_test_run_until(counter_reached, &l, CQT_TEST_TIMEOUT_MS));
    ck_assert_msg(cqt_timer_is_active(t), "the running periodic arming was forgotten");
    ck_assert_int_ge(cqt_timer_remaining_ms(t), 0);
    ck_assert_int_eq(cqt_timer_stop(t), CQT_OK);
    /* stopped for real: nothing fires while a later single shot comes due */
    long before = cqt_test_counter_get(&l.fires);
    volatile int done = 0;
    ck_assert_int_eq(cqt_single_shot(20, owner, set_int_flag, (void *)&done), CQT_OK);
    ck_assert(cqt_test_run_until(flag_set, (void *)&done, CQT_TEST_TIMEOUT_MS));
    ck_assert_int_eq(cqt_test_counter_get(&l.fires), before);
    /* the new settings apply at the next start: one precise shot */
    l.want = before + 1;
    ck_assert_int_eq(cqt_timer_start(t, 1), CQT_OK);
    ck_assert(cqt_test_run_until(counter_reached, &l, CQT_TEST_TIMEOUT_MS));
    ck_assert(!cqt_timer_is_active(t));
    cqt_object_free(owner);
    cqt_event_free(l.fired);
}
END_TEST

/* A very coarse interval is rounded up to whole seconds (Qt would round
 * 1..499 ms to 0 s and fire in a hot loop), for handles and object timers. */
START_TEST(test_timer_very_coarse_rounds_up_to_seconds)
{
    cqt_object *owner = cqt_object_new(NULL);
    cqt_timer *t = cqt_timer_new(owner, "slow");
    tick_log l = {.fired = cqt_event_new("fired")};
    cqt_connect(cqt_timer_timeout(t), owner, on_tick, &l, NULL, CQT_AUTO);
    ck_assert_int_eq(cqt_timer_set_type(t, CQT_TIMER_VERY_COARSE), CQT_OK);
    ck_assert_int_eq(cqt_timer_start(t, 1), CQT_OK);
    ck_assert_int_eq(cqt_timer_interval_ms(t), 1000);
    ck_assert_int_eq(cqt_timer_start(t, 1001), CQT_OK);
    ck_assert_int_eq(cqt_timer_interval_ms(t), 2000);
    ck_assert_int_eq(cqt_timer_start(t, 1), CQT_OK);
    obj_tick o = {.fired = cqt_event_new("obj")};
    ck_assert_int_gt(cqt_object_start_timer(owner, 1, CQT_TIMER_VERY_COARSE, obj_timer_fn, &o), 0);
    volatile int done = 0;
    ck_assert_int_eq(cqt_single_shot(50, owner, set_int_flag, (void *)&done), CQT_OK);
    ck_assert(cqt_test_run_until(flag_set, (void *)&done, CQT_TEST_TIMEOUT_MS));
    /* due in a second at the earliest; a stall of the loop may let one in */
    ck_assert_int_le(cqt_test_counter_get(&l.fires), 1);
    ck_assert_int_le(cqt_test_counter_get(&o.fires), 1);
    cqt_object_free(owner);
    cqt_event_free(l.fired);
    cqt_event_free(o.fired);
}
END_TEST

/* ---- each function's edges ----------------------------------------------- */

/* The getters follow the state: a new timer is inactive with interval 0 and
 * no remaining time; a start makes it active with its interval and at most
 * that long to go; a stop makes it inactive again. NULL answers too. */
START_TEST(test_timer_getters_follow_start_and_stop)
{
    cqt_object *owner = cqt_object_new(NULL);
    cqt_timer *t = cqt_timer_new(owner, "getters");
    ck_assert(!cqt_timer_is_active(t));
    ck_assert_int_eq(cqt_timer_remaining_ms(t), -1);
    ck_assert_int_eq(cqt_timer_interval_ms(t), 0);
    ck_assert_int_eq(cqt_timer_start(t, 100000), CQT_OK);
    ck_assert(cqt_timer_is_active(t));
    ck_assert_int_eq(cqt_timer_interval_ms(t), 100000);
    int left = cqt_timer_remaining_ms(t);
    ck_assert_int_ge(left, 0);
    ck_assert_int_le(left, 100000);
    ck_assert_int_eq(cqt_timer_stop(t), CQT_OK);
    ck_assert(!cqt_timer_is_active(t));
    ck_assert_int_eq(cqt_timer_remaining_ms(t), -1);
    ck_assert_int_eq(cqt_timer_interval_ms(t), 100000); /* the last start's */
    ck_assert_int_eq(cqt_timer_stop(t), CQT_OK);         /* stopping a stopped one */
    ck_assert(!cqt_timer_is_active(NULL));
    ck_assert_int_eq(cqt_timer_remaining_ms(NULL), -1);
    ck_assert_int_eq(cqt_timer_interval_ms(NULL), -1);
    cqt_object_free(owner);
}
END_TEST

/* A start on an active timer restarts its period: a timer started for 100 s
 * and restarted for 1 ms fires (within the test's generous deadline). */
START_TEST(test_timer_restart_restarts_period)
{
    cqt_object *owner = cqt_object_new(NULL);
    cqt_timer *t = cqt_timer_new(owner, "restart");
    tick_log l = {.fired = cqt_event_new("fired"), .want = 1};
    ck_assert(cqt_connect(cqt_timer_timeout(t), owner, on_tick, &l, NULL, CQT_AUTO) != 0);
    ck_assert_int_eq(cqt_timer_start(t, 100000), CQT_OK);
    ck_assert_int_eq(cqt_timer_start(t, 1), CQT_OK);
    ck_assert_int_eq(cqt_timer_interval_ms(t), 1);
    ck_assert(cqt_test_run_until(counter_reached, &l, CQT_TEST_TIMEOUT_MS));
    cqt_object_free(owner);
    cqt_event_free(l.fired);
}
END_TEST

/* A zero interval fires at every pass of the loop, as Qt's zero timers do. */
START_TEST(test_timer_zero_interval_fires_repeatedly)
{
    cqt_object *owner = cqt_object_new(NULL);
    cqt_timer *t = cqt_timer_new(owner, "zero");
    tick_log l = {.fired = cqt_event_new("fired"), .want = 5};
    ck_assert(cqt_connect(cqt_timer_timeout(t), owner, on_tick, &l, NULL, CQT_AUTO) != 0);
    ck_assert_int_eq(cqt_timer_start(t, 0), CQT_OK);
    ck_assert(cqt_test_run_until(counter_reached, &l, CQT_TEST_TIMEOUT_MS));
    ck_assert(cqt_timer_is_active(t));
    cqt_object_free(owner);
    cqt_event_free(l.fired);
}
END_TEST

/* Stopped, or freed, from its own timeout: no timeout after that, though
 * the loop runs on (a second timer ticks 10 times to show it); a free from
 * the callback runs the connection's destroy once. */
typedef struct {
    cqt_timer *t;
    cqt_test_counter fires, destroys;
    int at;
    bool free_it;
} self_stop;

static void self_stop_tick(void *user_data, const cqt_value *arg)
{
    (void)arg;
    self_stop *s = user_data;
    cqt_test_counter_add(&s->fires, 1);
    if (cqt_test_counter_get(&s->fires) == s->at) {
        if (s->free_it)
            cqt_timer_free(s->t);
        else
            ck_assert_int_eq(cqt_timer_stop(s->t), CQT_OK);
    }
}

static void self_stop_destroy(void *user_data)
{
    cqt_test_counter_add(&((self_stop *)user_data)->destroys, 1);
}

static bool self_stop_reached(void *arg)
{
    self_stop *s = arg;
    return cqt_test_counter_get(&s->fires) >= s->at;
}

static void check_stop_from_own_timeout(bool free_it)
{
    cqt_object *owner = cqt_object_new(NULL);
    self_stop s = {.t = cqt_timer_new(owner, "self"), .at = 3, .free_it = free_it};
    ck_assert(cqt_connect(cqt_timer_timeout(s.t), owner, self_stop_tick, &s, self_stop_destroy,
                          CQT_AUTO) != 0);
    ck_assert_int_eq(cqt_timer_start(s.t, 1), CQT_OK);
    ck_assert(cqt_test_run_until(self_stop_reached, &s, CQT_TEST_TIMEOUT_MS));
    if (free_it)
        ck_assert_int_eq(cqt_test_counter_get(&s.destroys), 1);
    else
        ck_assert(!cqt_timer_is_active(s.t));
    cqt_timer *clock = cqt_timer_new(owner, "clock");
    tick_log c = {.fired = cqt_event_new("clock"), .want = 10};
    ck_assert(cqt_connect(cqt_timer_timeout(clock), owner, on_tick, &c, NULL, CQT_AUTO) != 0);
    ck_assert_int_eq(cqt_timer_start(clock, 2), CQT_OK);
    ck_assert(cqt_test_run_until(counter_reached, &c, CQT_TEST_TIMEOUT_MS));
    ck_assert_int_eq(cqt_test_counter_get(&s.fires), 3);
    cqt_object_free(owner);
    ck_assert_int_eq(cqt_test_counter_get(&s.destroys), 1);
    cqt_event_free(c.fired);
}

START_TEST(test_timer_stop_from_own_timeout)
{
    check_stop_from_own_timeout(false);
}
END_TEST

START_TEST(test_timer_free_from_own_timeout)
{
    check_stop_from_own_timeout(true);
}
END_TEST

static void never_called(void *user_data)
{
    (void)user_data;
    ck_abort_msg("a refused single shot ran");
}

static void count_destroy(void *user_data)
{
    cqt_test_counter_add(user_data, 1);
}

/* Bad arguments: a status and a message naming the argument; a refused
 * cqt_single_shot_full() runs its destroy at once, in the caller. */
START_TEST(test_timer_bad_arguments)
{
    cqt_object *owner = cqt_object_new(NULL);
    cqt_timer *t = cqt_timer_new(owner, "bad");
    ck_assert_ptr_null(cqt_timer_new(NULL, "no owner"));
    ck_assert_int_eq(cqt_timer_start(NULL, 1), CQT_EINVAL);
    ck_assert_int_eq(cqt_timer_start(t, -1), CQT_EINVAL);
    ck_assert_msg(strstr(cqt_last_error(), "-1") != NULL, "message: %s", cqt_last_error());
    ck_assert(!cqt_timer_is_active(t));
    ck_assert_int_eq(cqt_timer_stop(NULL), CQT_EINVAL);
    ck_assert_int_eq(cqt_timer_set_single_shot(NULL, true), CQT_EINVAL);
    ck_assert_int_eq(cqt_timer_set_type(NULL, CQT_TIMER_PRECISE), CQT_EINVAL);
    ck_assert_int_eq(cqt_timer_set_type(t, 99), CQT_EINVAL);
    ck_assert_int_eq(cqt_timer_set_type(t, -1), CQT_EINVAL);
    ck_assert_ptr_null(cqt_timer_timeout(NULL));
    cqt_timer_free(NULL); /* ignored */

    cqt_test_counter destroyed = {0};
    ck_assert_int_eq(cqt_single_shot(-1, owner, never_called, NULL), CQT_EINVAL);
    ck_assert_int_eq(cqt_single_shot(1, NULL, NULL, NULL), CQT_EINVAL);
    ck_assert_int_eq(cqt_single_shot(1, owner, NULL, NULL), CQT_EINVAL);
    ck_assert_int_eq(cqt_single_shot_full(-5, owner, never_called, &destroyed, count_destroy),
                     CQT_EINVAL);
    ck_assert_int_eq(cqt_test_counter_get(&destroyed), 1);
    ck_assert_int_eq(cqt_single_shot_full(-1, NULL, never_called, &destroyed, count_destroy),
                     CQT_EINVAL);
    ck_assert_int_eq(cqt_test_counter_get(&destroyed), 2);
    cqt_object_free(owner);
}
END_TEST

/* A periodic timer is not re-entered from a nested loop its own callback
 * runs (Qt's rule; its tst_qtimer timerInfiniteRecursion calls a re-entry a
 * bug): whatever the type, the callback runs at depth 1 only, and the timer
 * keeps firing after the nested loop returned. */
typedef struct {
    cqt_timer *t;
    int depth, max_depth, calls, nested_done;
} recursion;

static bool nested_over(void *arg)
{
    return __atomic_load_n(&((recursion *)arg)->nested_done, __ATOMIC_SEQ_CST) != 0;
}

static void set_nested_done(void *arg)
{
    __atomic_store_n(&((recursion *)arg)->nested_done, 1, __ATOMIC_SEQ_CST);
}

static void recursing_tick(void *user_data, const cqt_value *arg)
{
    (void)arg;
    recursion *r = user_data;
    r->calls++;
    if (++r->depth > r->max_depth)
        r->max_depth = r->depth;
    if (r->calls == 1) {
        /* a nested loop of ~100 ms, ended by a single shot, not a clock:
         * 100 periods of the 1 ms timer fall due inside it */
        cqt_object *here = cqt_object_new(NULL);
        ck_assert_int_eq(cqt_single_shot(100, here, set_nested_done, r), CQT_OK);
        ck_assert(cqt_test_run_until(nested_over, r, CQT_TEST_TIMEOUT_MS));
        cqt_object_free(here);
    }
    r->depth--;
}

static bool called_thrice(void *arg)
{
    return ((recursion *)arg)->calls >= 3;
}

static void check_no_recursion(int type)
{
    cqt_object *owner = cqt_object_new(NULL);
    recursion r = {.t = cqt_timer_new(owner, "recursion")};
    ck_assert_int_eq(cqt_timer_set_type(r.t, type), CQT_OK);
    ck_assert(cqt_connect(cqt_timer_timeout(r.t), owner, recursing_tick, &r, NULL, CQT_AUTO) != 0);
    ck_assert_int_eq(cqt_timer_start(r.t, 1), CQT_OK);
    ck_assert(cqt_test_run_until(called_thrice, &r, CQT_TEST_TIMEOUT_MS));
    ck_assert_msg(r.max_depth == 1, "type %d: the callback was re-entered (depth %d, %d calls)",
                  type, r.max_depth, r.calls);
    cqt_object_free(owner);
}

START_TEST(test_timer_not_reentered_from_nested_loop)
{
    check_no_recursion(CQT_TIMER_PRECISE);
    check_no_recursion(CQT_TIMER_COARSE);
}
END_TEST

/* cqt_single_shot() without a receiver runs in the calling thread's loop:
 * the main thread's, a cqt thread's; from a plain pthread it is
 * CQT_ENOLOOP with its destroy run at once; one pending in a thread that
 * stops is released with that thread's timers (destroy exactly once). */
typedef struct {
    cqt_thread *ran_in;
    cqt_test_counter calls, destroyed;
    cqt_event *fired;
    int rc;
    char msg[512];
} loose_shot;

static void loose_shot_fn(void *arg)
{
    loose_shot *l = arg;
    __atomic_store_n(&l->ran_in, cqt_thread_current(), __ATOMIC_SEQ_CST);
    cqt_test_counter_add(&l->calls, 1);
    if (l->fired)
        cqt_event_set(l->fired);
}

static void loose_shot_destroy(void *arg)
{
    cqt_test_counter_add(&((loose_shot *)arg)->destroyed, 1);
}

static bool loose_shot_fired(void *arg)
{
    return cqt_test_counter_get(&((loose_shot *)arg)->calls) > 0;
}

static void loose_shot_from_here(void *arg)
{
    loose_shot *l = arg;
    l->rc = cqt_single_shot_full(l->fired ? 5 : 60000, NULL, loose_shot_fn, l, loose_shot_destroy);
}

static void *loose_shot_from_pthread(void *arg)
{
    loose_shot *l = arg;
    l->rc = cqt_single_shot_full(0, NULL, loose_shot_fn, l, loose_shot_destroy);
    snprintf(l->msg, sizeof l->msg, "%s", cqt_last_error());
    return NULL;
}

START_TEST(test_single_shot_without_receiver_runs_in_calling_thread)
{
    loose_shot m = {0};
    ck_assert_int_eq(cqt_single_shot_full(0, NULL, loose_shot_fn, &m, loose_shot_destroy), CQT_OK);
    ck_assert(cqt_test_run_until(loose_shot_fired, &m, CQT_TEST_TIMEOUT_MS));
    ck_assert_ptr_eq(m.ran_in, cqt_thread_main());
    ck_assert_int_eq(cqt_test_counter_get(&m.calls), 1);
    ck_assert_int_eq(cqt_test_counter_get(&m.destroyed), 1);

    cqt_thread *t = cqt_thread_new("loose-shots");
    ck_assert_int_eq(cqt_thread_start(t), CQT_OK);
    cqt_object *there = cqt_object_new(t);
    loose_shot c = {.fired = cqt_event_new("fired"), .rc = -100};
    ck_assert_int_eq(cqt_invoke(there, loose_shot_from_here, &c, CQT_BLOCKING_QUEUED), CQT_OK);
    ck_assert_int_eq(c.rc, CQT_OK);
    ck_assert_int_eq(cqt_event_wait(c.fired, CQT_TEST_TIMEOUT_MS), CQT_OK);
    ck_assert_ptr_eq(__atomic_load_n(&c.ran_in, __ATOMIC_SEQ_CST), t);

    /* still pending when its thread stops: released, never run */
    loose_shot p = {.rc = -100};
    ck_assert_int_eq(cqt_invoke(there, loose_shot_from_here, &p, CQT_BLOCKING_QUEUED), CQT_OK);
    ck_assert_int_eq(p.rc, CQT_OK);
    cqt_object_free(there);
    cqt_thread_free(t);
    ck_assert_int_eq(cqt_test_counter_get(&p.calls), 0);
    ck_assert_int_eq(cqt_test_counter_get(&p.destroyed), 1);
    ck_assert_int_eq(cqt_test_counter_get(&c.destroyed), 1);
    cqt_event_free(c.fired);

    loose_shot a = {.rc = -100};
    pthread_t pt;
    pthread_create(&pt, NULL, loose_shot_from_pthread, &a);
    pthread_join(pt, NULL);
    ck_assert_int_eq(a.rc, CQT_ENOLOOP);
    ck_assert_msg(strstr(a.msg, "cqt_single_shot") && strstr(a.msg, "no event loop"), "message: %s",
                  a.msg);
    ck_assert_int_eq(cqt_test_counter_get(&a.destroyed), 1);
    ck_assert_int_eq(cqt_test_counter_get(&a.calls), 0);

    /* one left pending in main is released by the shutdown (the fixture
     * checks nothing is left alive) */
    static loose_shot late;
    ck_assert_int_eq(cqt_single_shot_full(60000, NULL, loose_shot_fn, &late, loose_shot_destroy),
                     CQT_OK);
}
END_TEST

/* cqt_timer_id: -1 while stopped; > 0 while active, a new id at each start
 * and never one another live timer has; -1 again once a single shot fired. */
static void obj_timer_noop(void *user_data, cqt_object *o, int id)
{
    (void)user_data;
    (void)o;
    (void)id;
}

static bool timer_went_idle(void *arg)
{
    return !cqt_timer_is_active(arg);
}

START_TEST(test_timer_id_follows_activity)
{
    cqt_object *owner = cqt_object_new(NULL);
    cqt_timer *a = cqt_timer_new(owner, "a"), *b = cqt_timer_new(owner, "b");
    ck_assert_int_eq(cqt_timer_id(NULL), -1);
    ck_assert_int_eq(cqt_timer_id(a), -1);
    ck_assert_int_eq(cqt_timer_start(a, 60000), CQT_OK);
    ck_assert_int_eq(cqt_timer_start(b, 60000), CQT_OK);
    int ida = cqt_timer_id(a), idb = cqt_timer_id(b);
    ck_assert_int_gt(ida, 0);
    ck_assert_int_gt(idb, 0);
    ck_assert_int_ne(ida, idb);
    int obj_id = cqt_object_start_timer(owner, 60000, CQT_TIMER_COARSE, obj_timer_noop, NULL);
    ck_assert_int_gt(obj_id, 0);
    ck_assert_int_ne(obj_id, ida);
    ck_assert_int_ne(obj_id, idb);
    ck_assert_int_eq(cqt_timer_start(a, 60000), CQT_OK); /* a restart is a new arming */
    ck_assert_int_gt(cqt_timer_id(a), 0);
    ck_assert_int_ne(cqt_timer_id(a), ida);
    ck_assert_int_eq(cqt_timer_stop(a), CQT_OK);
    ck_assert_int_eq(cqt_timer_id(a), -1);
    ck_assert_int_eq(cqt_timer_set_single_shot(b, true), CQT_OK);
    ck_assert_int_eq(cqt_timer_start(b, 0), CQT_OK);
    ck_assert_int_gt(cqt_timer_id(b), 0);
    ck_assert(cqt_test_run_until(timer_went_idle, b, CQT_TEST_TIMEOUT_MS));
    ck_assert_int_eq(cqt_timer_id(b), -1);
    cqt_object_free(owner);
}
END_TEST

static void no_fire(void *user_data, cqt_object *o, int id)
{
    (void)user_data;
    (void)o;
    (void)id;
    ck_abort_msg("a one-hour timer fired");
}

/* An object's timers are found by their id (kill) and by Qt's id (disarm):
 * with many on one object, their ids 64 apart (so that they crowd the same
 * slots of its tables), killed in scattered order, each kill finds its own
 * timer, disarms it at once (its destroy runs) and only once. */
START_TEST(test_object_timers_killed_in_scattered_order)
{
    enum { N = 48, GAP = 64 };
    static int ids[N];
    cqt_object *o = cqt_object_new(NULL), *other = cqt_object_new(NULL);
    cqt_test_counter destroyed = {0}, others = {0};
    for (int i = 0; i < N; i++) {
        ids[i] = cqt_object_start_timer_full(o, 3600 * 1000, CQT_TIMER_COARSE, no_fire,
                                             &destroyed, count_destroy);
        ck_assert_int_gt(ids[i], 0);
        for (int j = 1; j < GAP; j++) /* spends the ids (ours and Qt's) in between */
            ck_assert_int_gt(cqt_object_start_timer_full(other, 3600 * 1000, CQT_TIMER_COARSE,
                                                         no_fire, &others, count_destroy),
                             0);
    }
    for (long k = 0; k < N; k++) {
        int i = (int)(k * 7 % N); /* 7 and N coprime: every timer once */
        ck_assert_int_eq(cqt_object_kill_timer(o, ids[i]), CQT_OK);
        ck_assert_int_eq(cqt_object_kill_timer(o, ids[i]), CQT_EINVAL);
        ck_assert_int_eq(cqt_test_counter_get(&destroyed), k + 1);
    }
    cqt_object_free(o);
    cqt_object_free(other);
    ck_assert_int_eq(cqt_test_counter_get(&others), N * (GAP - 1));
}
END_TEST

/* A timer's name, given (at most 63 bytes kept) or the default "timer-N",
 * is the one its messages and its timeout signal's name use. */
START_TEST(test_timer_names_in_messages)
{
    cqt_object *owner = cqt_object_new(NULL);
    char longname[100];
    memset(longname, 'x', sizeof longname - 1);
    longname[sizeof longname - 1] = 0;
    cqt_timer *named = cqt_timer_new(owner, "heartbeat");
    cqt_timer *plain = cqt_timer_new(owner, NULL);
    cqt_timer *lng = cqt_timer_new(owner, longname);
    ck_assert_int_eq(cqt_timer_start(named, -1), CQT_EINVAL);
    ck_assert_msg(strstr(cqt_last_error(), "timer 'heartbeat'") != NULL, "%s", cqt_last_error());
    ck_assert_int_eq(cqt_timer_start(plain, -1), CQT_EINVAL);
    unsigned long n = 0;
    const char *at = strstr(cqt_last_error(), "timer 'timer-");
    ck_assert_msg(at && sscanf(at, "timer 'timer-%lu'", &n) == 1, "%s", cqt_last_error());
    ck_assert_int_eq(cqt_timer_start(lng, -1), CQT_EINVAL);
    char want[80];
    snprintf(want, sizeof want, "'%.63s'", longname);
    ck_assert_msg(strstr(cqt_last_error(), want) != NULL, "%s", cqt_last_error());
    ck_assert_str_eq(cqt_signal_name(cqt_timer_timeout(named)), "heartbeat.timeout");
    char sig[40];
    snprintf(sig, sizeof sig, "timer-%lu.timeout", n);
    ck_assert_str_eq(cqt_signal_name(cqt_timer_timeout(plain)), sig);
    cqt_object_free(owner);
}
END_TEST

CQT_TEST_SUITE(timer_suite)
{
    Suite *s = suite_create("timer");
    TCase *tc = tcase_create("timer");
    cqt_test_add_app_fixture(tc);
    tcase_add_test(tc, test_timer_start_from_foreign_thread);
    tcase_add_test(tc, test_timer_in_adopted_thread_is_enoloop);
    tcase_add_test(tc, test_timer_single_shot_fires_once);
    tcase_add_test(tc, test_timer_waits_for_thread_start_and_stops_with_it);
    tcase_add_test(tc, test_object_timer_ids_unique_and_kill);
    tcase_add_test(tc, test_single_shot_in_receiver_thread);
    tcase_add_test(tc, test_timer_set_single_shot_while_running_keeps_arming);
    tcase_add_test(tc, test_timer_very_coarse_rounds_up_to_seconds);
    tcase_add_test(tc, test_timer_getters_follow_start_and_stop);
    tcase_add_test(tc, test_timer_restart_restarts_period);
    tcase_add_test(tc, test_timer_zero_interval_fires_repeatedly);
    tcase_add_test(tc, test_timer_stop_from_own_timeout);
    tcase_add_test(tc, test_timer_free_from_own_timeout);
    tcase_add_test(tc, test_timer_bad_arguments);
    tcase_add_test(tc, test_timer_not_reentered_from_nested_loop);
    tcase_add_test(tc, test_single_shot_without_receiver_runs_in_calling_thread);
    tcase_add_test(tc, test_timer_id_follows_activity);
    tcase_add_test(tc, test_object_timers_killed_in_scattered_order);
    tcase_add_test(tc, test_timer_names_in_messages);
    suite_add_tcase(s, tc);
    return s;
}
