/* SPDX-License-Identifier: MIT */
/* test-peers-qtimer.c — Qt 5.15's tests/auto/corelib/kernel/qtimer/
 * tst_qtimer.cpp, ported to cqt: one test per Qt test function, its data
 * rows looped inside, named test_qtimer_<name>. tests/peers/README.md lists
 * the Qt tests that do not apply and why.
 *
 * Mapping: a QTimer is a cqt_timer owned by an object of the thread it
 * lives in; QObject::startTimer/killTimer are cqt_object_start_timer/
 * cqt_object_kill_timer; QTimer::singleShot is cqt_single_shot (NULL
 * receiver: the functor form without a context); QSignalSpy is a counting
 * slot; QTest::qWait(ms) runs the loop until a single shot of @ms fired;
 * QTRY_* waits up to the larger of Qt's timeout and CQT_TEST_TIMEOUT_MS
 * (tolerances are never tighter than Qt's own). */
#include "cqt-test.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#define MAXI(a, b) ((a) > (b) ? (a) : (b))
/* QTRY_*_WITH_TIMEOUT(..., qt_ms): never less patient than the suite's own. */
#define TRY_MS(qt_ms) MAXI((qt_ms), CQT_TEST_TIMEOUT_MS)

static void set_flag(void *arg)
{
    __atomic_store_n((int *)arg, 1, __ATOMIC_SEQ_CST);
}

static bool flag_set(void *arg)
{
    return __atomic_load_n((int *)arg, __ATOMIC_SEQ_CST) != 0;
}

/* QTest::qWait(ms) / a QEventLoop quit by QTimer::singleShot(ms): runs the
 * calling thread's loop until a single shot of @ms fired. */
static void run_for(int ms)
{
    int done = 0;
    ck_assert_int_eq(cqt_single_shot(ms, NULL, set_flag, &done), CQT_OK);
    ck_assert(cqt_test_run_until(flag_set, &done, ms + CQT_TEST_TIMEOUT_MS));
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* QSignalSpy on a timer's timeout. */
typedef struct {
    cqt_test_counter n;
} spy;

static void spy_slot(void *user_data, const cqt_value *arg)
{
    (void)arg;
    cqt_test_counter_add(user_data, 1);
}

static long spy_count(spy *s)
{
    return cqt_test_counter_get(&s->n);
}

static void spy_on(cqt_timer *t, cqt_object *receiver, spy *s)
{
    ck_assert(cqt_connect(cqt_timer_timeout(t), receiver, spy_slot, s, NULL, CQT_AUTO) != 0);
}

typedef struct {
    spy *s;
    long above;
} spy_wait;

static bool spy_above(void *arg)
{
    spy_wait *w = arg;
    return spy_count(w->s) > w->above;
}

/* QSignalSpy::wait / QTRY_VERIFY(spy.count() > above) */
static bool spy_wait_above(spy *s, long above, int qt_ms)
{
    spy_wait w = {s, above};
    return cqt_test_run_until(spy_above, &w, TRY_MS(qt_ms));
}

/* origin: tst_qtimer.cpp zeroTimer — a 0 ms timer fires once in one pass
 * of the loop. */
START_TEST(test_qtimer_zero_timer)
{
    cqt_object *o = cqt_object_new(NULL);
    cqt_timer *t = cqt_timer_new(o, "zero");
    spy s = {{0}};
    spy_on(t, o, &s);
    ck_assert_int_eq(cqt_timer_start(t, 0), CQT_OK);
    ck_assert_int_eq(cqt_app_process_events(0), CQT_OK);
    ck_assert_int_eq(spy_count(&s), 1);
    cqt_object_free(o);
}
END_TEST

/* origin: tst_qtimer.cpp singleShotTimeout — a single-shot timer fires
 * once and not again. */
START_TEST(test_qtimer_single_shot_timeout)
{
    cqt_object *o = cqt_object_new(NULL);
    cqt_timer *t = cqt_timer_new(o, "single");
    spy s = {{0}};
    spy_on(t, o, &s);
    ck_assert_int_eq(cqt_timer_set_single_shot(t, true), CQT_OK);
    ck_assert_int_eq(cqt_timer_start(t, 100), CQT_OK);
    ck_assert(spy_wait_above(&s, 0, 500));
    ck_assert_int_eq(spy_count(&s), 1);
    run_for(500);
    ck_assert_int_eq(spy_count(&s), 1);
    cqt_object_free(o);
}
END_TEST

/* origin: tst_qtimer.cpp timeout — a periodic timer fires, and fires
 * again. */
START_TEST(test_qtimer_timeout)
{
    cqt_object *o = cqt_object_new(NULL);
    cqt_timer *t = cqt_timer_new(o, "periodic");
    spy s = {{0}};
    spy_on(t, o, &s);
    ck_assert_int_eq(cqt_timer_start(t, 100), CQT_OK);
    ck_assert_int_eq(spy_count(&s), 0);
    ck_assert(spy_wait_above(&s, 0, 200));
    long old = spy_count(&s);
    ck_assert(spy_wait_above(&s, old, 200));
    cqt_object_free(o);
}
END_TEST

/* origin: tst_qtimer.cpp remainingTime (5.15) — a precise 200 ms periodic
 * timer, read by a 50 ms single shot restarted at each of its timeouts,
 * has (0, 150] ms left, twice. */
typedef struct {
    cqt_timer *tested, *tester;
    cqt_signal *tested_timeout;
    cqt_connection restart;
    int iterations, bad;
} remaining_run;

static void restart_tester(void *user_data, const cqt_value *arg)
{
    (void)arg;
    remaining_run *r = user_data;
    cqt_timer_start(r->tester, 50);
}

static void read_remaining(void *user_data, const cqt_value *arg)
{
    (void)arg;
    remaining_run *r = user_data;
    int left = cqt_timer_remaining_ms(r->tested);
    if (left > 0 && left <= 150) {
        r->iterations++;
    } else {
        r->bad = left ? left : -1000;
        r->iterations = 2;
    }
    if (r->iterations == 2 && r->restart) {
        cqt_disconnect(r->tested_timeout, r->restart);
        r->restart = 0;
    }
}

static bool remaining_done(void *arg)
{
    return ((remaining_run *)arg)->iterations >= 2;
}

START_TEST(test_qtimer_remaining_time)
{
    cqt_object *o = cqt_object_new(NULL);
    remaining_run r = {.tested = cqt_timer_new(o, "tested"), .tester = cqt_timer_new(o, "tester")};
    cqt_timer_set_type(r.tested, CQT_TIMER_PRECISE);
    cqt_timer_set_type(r.tester, CQT_TIMER_PRECISE);
    cqt_timer_set_single_shot(r.tester, true);
    r.tested_timeout = cqt_timer_timeout(r.tested);
    r.restart = cqt_connect(r.tested_timeout, o, restart_tester, &r, NULL, CQT_AUTO);
    ck_assert(r.restart != 0);
    ck_assert(cqt_connect(cqt_timer_timeout(r.tester), o, read_remaining, &r, NULL, CQT_AUTO));
    ck_assert_int_eq(cqt_timer_start(r.tested, 200), CQT_OK);
    ck_assert_int_eq(cqt_timer_start(r.tester, 50), CQT_OK);
    ck_assert(cqt_test_run_until(remaining_done, &r, TRY_MS(200 * 2 * 2)));
    ck_assert_msg(r.bad == 0, "remaining time %d ms outside (0, 150]", r.bad);
    cqt_object_free(o);
}
END_TEST

/* origin: tst_qtimer.cpp remainingTimeInitial — right after a start the
 * remaining time is within [0, interval], precise and coarse. */
START_TEST(test_qtimer_remaining_time_initial)
{
    static const int types[] = {CQT_TIMER_PRECISE, CQT_TIMER_COARSE};
    static const int starts[] = {0, 1, 10};
    cqt_object *o = cqt_object_new(NULL);
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 3; j++) {
            cqt_timer *t = cqt_timer_new(o, "initial");
            cqt_timer_set_type(t, types[i]);
            ck_assert_int_eq(cqt_timer_start(t, starts[j]), CQT_OK);
            int rt = cqt_timer_remaining_ms(t);
            ck_assert_msg(rt >= 0 && rt <= starts[j], "type %d, %d ms: remaining %d", types[i],
                          starts[j], rt);
            cqt_timer_free(t);
        }
    cqt_object_free(o);
}
END_TEST

/* origin: tst_qtimer.cpp remainingTimeDuringActivation — inside its
 * timeout a single shot has -1 left (it is not running), a repeating timer
 * (0, interval], also the second time (QTBUG-46940). */
typedef struct {
    cqt_timer *t;
    int remaining;
} activation;

static void read_own_remaining(void *user_data, const cqt_value *arg)
{
    (void)arg;
    activation *a = user_data;
    a->remaining = cqt_timer_remaining_ms(a->t);
}

START_TEST(test_qtimer_remaining_time_during_activation)
{
    for (int single = 0; single <= 1; single++) {
        cqt_object *o = cqt_object_new(NULL);
        activation a = {.t = cqt_timer_new(o, "activation"), .remaining = 0};
        cqt_timer_set_single_shot(a.t, single);
        ck_assert(cqt_connect(cqt_timer_timeout(a.t), o, read_own_remaining, &a, NULL, CQT_AUTO));
        spy s = {{0}};
        spy_on(a.t, o, &s);
        const int timeout = 20;
        ck_assert_int_eq(cqt_timer_start(a.t, timeout), CQT_OK);
        ck_assert(spy_wait_above(&s, 0, 5000));
        if (single) {
            ck_assert_int_eq(a.remaining, -1);
        } else {
            ck_assert_msg(a.remaining <= timeout && a.remaining > 0, "%d", a.remaining);
            a.remaining = -1;
            ck_assert(spy_wait_above(&s, spy_count(&s), 5000));
            ck_assert_msg(a.remaining <= timeout && a.remaining > 0, "%d", a.remaining);
        }
        cqt_object_free(o);
    }
}
END_TEST

/* origin: tst_qtimer.cpp livelock — a timer started from a timer callback
 * does not fire in the same pass of the loop; a call posted there runs
 * before it. Rows: 0, 1 and 20 ms. */
typedef struct {
    cqt_object *o;
    int interval;
    int first_id, second_id, extra_id;
    int for_first, for_extra, for_second;
    int posted_at_right_time;
} livelock;

static void livelock_posted(void *arg)
{
    livelock *l = arg;
    if (l->for_first == 1 && l->for_second == 0)
        l->posted_at_right_time = 1;
}

static void livelock_tick(void *user_data, cqt_object *o, int id)
{
    livelock *l = user_data;
    if (id == l->first_id) {
        if (++l->for_first == 1) {
            cqt_object_kill_timer(o, l->extra_id);
            l->extra_id = -1;
            ck_assert_int_eq(cqt_invoke(o, livelock_posted, l, CQT_QUEUED), CQT_OK);
            l->second_id = cqt_object_start_timer(o, l->interval, CQT_TIMER_COARSE, livelock_tick, l);
        }
    } else if (id == l->second_id) {
        ++l->for_second;
    } else if (id == l->extra_id) {
        ++l->for_extra;
    }
    /* Qt's test sleeps 2 ms here: part of what it tests */
    struct timespec two_ms = {0, 2000000};
    nanosleep(&two_ms, NULL);
    cqt_object_kill_timer(o, id);
}

static bool livelock_first(void *arg)
{
    return ((livelock *)arg)->for_first == 1;
}

static bool livelock_second(void *arg)
{
    return ((livelock *)arg)->for_second == 1;
}

START_TEST(test_qtimer_livelock)
{
    static const int rows[] = {0, 1, 20};
    for (int i = 0; i < 3; i++) {
        livelock l = {.o = cqt_object_new(NULL), .interval = rows[i], .second_id = -1};
        l.first_id = cqt_object_start_timer(l.o, l.interval, CQT_TIMER_COARSE, livelock_tick, &l);
        l.extra_id = cqt_object_start_timer(l.o, l.interval + 80, CQT_TIMER_COARSE, livelock_tick, &l);
        ck_assert_int_gt(l.first_id, 0);
        ck_assert_int_gt(l.extra_id, 0);
        run_for(180);
        ck_assert(cqt_test_run_until(livelock_first, &l, TRY_MS(5000)));
        ck_assert_msg(l.for_extra == 0, "row %d ms: the killed extra timer fired", rows[i]);
        ck_assert(cqt_test_run_until(livelock_second, &l, TRY_MS(5000)));
        ck_assert_msg(l.posted_at_right_time, "row %d ms: the posted call ran after the new timer",
                      rows[i]);
        cqt_object_free(l.o);
    }
}
END_TEST

/* origin: tst_qtimer.cpp timerInfiniteRecursion — a timer whose callback
 * runs a nested loop (longer than its interval) is not re-entered from
 * it. Rows: 0, 1, 10, 11, 100, 1000 ms; each with a coarse timer (Qt's
 * startTimer default) and, a cqt addition, a precise one (its timerfd path
 * was re-entered before 4498815). */
typedef struct {
    int interval;
    int in_callback, recursed;
} infinite_recursion;

static void infinite_recursion_tick(void *user_data, cqt_object *o, int id)
{
    infinite_recursion *r = user_data;
    r->recursed = r->in_callback;
    if (r->recursed)
        return; /* the bug Qt's test looks for */
    r->in_callback = 1;
    run_for(MAXI(100, r->interval * 2));
    r->in_callback = 0;
    cqt_object_kill_timer(o, id);
}

START_TEST(test_qtimer_timer_infinite_recursion)
{
    static const int rows[] = {0, 1, 10, 11, 100, 1000};
    static const int types[] = {CQT_TIMER_COARSE, CQT_TIMER_PRECISE};
    for (int k = 0; k < 2; k++)
        for (int i = 0; i < 6; i++) {
            infinite_recursion r = {.interval = rows[i]};
            cqt_object *o = cqt_object_new(NULL);
            ck_assert_int_gt(cqt_object_start_timer(o, r.interval, types[k],
                                                    infinite_recursion_tick, &r), 0);
            run_for(MAXI(100, r.interval * 2));
            ck_assert_msg(!r.recursed, "type %d, %d ms: the timer was re-entered", types[k],
                          rows[i]);
            cqt_object_free(o);
        }
}
END_TEST

/* origin: tst_qtimer.cpp recurringTimer — a timer fires exactly its target
 * count, whether or not its callback runs a nested loop. Rows: 0/1 ms x
 * recurse or not; coarse (Qt's default) and precise. */
typedef struct {
    int times, target, recurse, done;
} recurring;

static void recurring_tick(void *user_data, cqt_object *o, int id)
{
    recurring *r = user_data;
    if (++r->times == r->target) {
        cqt_object_kill_timer(o, id);
        r->done = 1;
    }
    if (r->recurse)
        run_for(100);
}

START_TEST(test_qtimer_recurring_timer)
{
    static const int types[] = {CQT_TIMER_COARSE, CQT_TIMER_PRECISE};
    for (int k = 0; k < 2; k++)
        for (int interval = 0; interval <= 1; interval++)
            for (int recurse = 0; recurse <= 1; recurse++) {
                recurring r = {.target = 5, .recurse = recurse};
                cqt_object *o = cqt_object_new(NULL);
                ck_assert_int_gt(cqt_object_start_timer(o, interval, types[k], recurring_tick, &r),
                                 0);
                ck_assert(cqt_test_run_until(flag_set, &r.done, TRY_MS(5000)));
                ck_assert_msg(r.times == 5, "type %d, %d ms, recurse %d: %d times", types[k],
                              interval, recurse, r.times);
                cqt_object_free(o);
            }
}
END_TEST

/* origin: tst_qtimer.cpp deleteLaterOnQTimer — a single-shot timer freed
 * from its own timeout is gone (cqt_timer_free there is safe: no
 * deleteLater needed). */
typedef struct {
    cqt_timer *t;
    int freed;
} self_free;

static void free_own_timer(void *user_data, const cqt_value *arg)
{
    (void)arg;
    self_free *f = user_data;
    cqt_timer_free(f->t);
    f->freed = 1;
}

START_TEST(test_qtimer_delete_later_on_qtimer)
{
    cqt_live_counts before, after;
    cqt_object *o = cqt_object_new(NULL);
    cqt_debug_live_counts(&before);
    self_free f = {.t = cqt_timer_new(o, "self-freeing")};
    ck_assert(cqt_connect(cqt_timer_timeout(f.t), o, free_own_timer, &f, NULL, CQT_AUTO));
    cqt_timer_set_single_shot(f.t, true);
    ck_assert_int_eq(cqt_timer_start(f.t, 1), CQT_OK);
    ck_assert(cqt_test_run_until(flag_set, &f.freed, TRY_MS(5000)));
    cqt_debug_live_counts(&after);
    ck_assert_int_eq(after.timers, before.timers);
    ck_assert_int_eq(after.signal_handles, before.signal_handles);
    cqt_object_free(o);
}
END_TEST

/* origin: tst_qtimer.cpp moveToThread — timer ids stay distinct across
 * threads while a timer moves with its owner and fires (and quits the
 * thread) there. */
static void quit_thread_slot(void *user_data, const cqt_value *arg)
{
    (void)arg;
    cqt_thread_quit(user_data);
}

#define ID24(t) (cqt_timer_id(t) & 0xffffff)

START_TEST(test_qtimer_move_to_thread)
{
    cqt_object *o1 = cqt_object_new(NULL), *o2 = cqt_object_new(NULL), *o3 = cqt_object_new(NULL),
               *o4 = cqt_object_new(NULL);
    cqt_timer *ti1 = cqt_timer_new(o1, "ti1"), *ti2 = cqt_timer_new(o2, "ti2"),
              *ti3 = cqt_timer_new(o3, "ti3"), *ti4 = cqt_timer_new(o4, "ti4");
    ck_assert_int_eq(cqt_timer_start(ti1, 200), CQT_OK);
    ck_assert_int_eq(cqt_timer_start(ti2, 200), CQT_OK);
    ck_assert_int_ne(ID24(ti1), ID24(ti2));
    cqt_thread *tr = cqt_thread_new("tr");
    ck_assert_int_eq(cqt_object_move_to_thread(o1, tr), CQT_OK);
    ck_assert(cqt_connect(cqt_timer_timeout(ti1), o1, quit_thread_slot, tr, NULL, CQT_AUTO));
    ck_assert_int_eq(cqt_thread_start(tr), CQT_OK);
    ck_assert_int_eq(cqt_timer_start(ti3, 200), CQT_OK);
    ck_assert_int_ne(ID24(ti3), ID24(ti2));
    ck_assert_int_ne(ID24(ti3), ID24(ti1));
    run_for(300);
    ck_assert_int_eq(cqt_thread_wait(tr, CQT_TEST_TIMEOUT_MS), CQT_OK);
    ck_assert_int_eq(cqt_timer_stop(ti2), CQT_OK);
    ck_assert_int_eq(cqt_timer_start(ti4, 200), CQT_OK);
    ck_assert_int_eq(cqt_timer_stop(ti3), CQT_OK);
    ck_assert_int_eq(cqt_timer_start(ti2, 200), CQT_OK);
    ck_assert_int_eq(cqt_timer_start(ti3, 200), CQT_OK);
    ck_assert_int_ne(ID24(ti4), ID24(ti2));
    ck_assert_int_ne(ID24(ti3), ID24(ti2));
    ck_assert_int_ne(ID24(ti3), ID24(ti1));
    cqt_object_free(o1);
    cqt_thread_free(tr);
    cqt_object_free(o2);
    cqt_object_free(o3);
    cqt_object_free(o4);
}
END_TEST

/* origin: tst_qtimer.cpp restartedTimerFiresTooSoon — a timer restarted
 * from its own callback, alternating 1000 ms and 0 ms, never fires before
 * half its interval (a lower bound: load can only make it later). */
typedef struct {
    cqt_object *o;
    int id, interval, next_interval, count;
    int64_t started;
    int result; /* 0 running, 1 done, -1 fired too soon */
} restarted;

static void restarted_tick(void *user_data, cqt_object *o, int id);

static void restarted_fire(restarted *r)
{
    r->interval = r->next_interval;
    r->started = now_ms();
    r->id = cqt_object_start_timer(r->o, r->interval, CQT_TIMER_COARSE, restarted_tick, r);
    r->next_interval = r->next_interval ? 0 : 1000;
}

static void restarted_tick(void *user_data, cqt_object *o, int id)
{
    restarted *r = user_data;
    if (id != r->id)
        return;
    cqt_object_kill_timer(o, id);
    if (now_ms() - r->started < r->interval / 2) {
        r->result = -1;
        return;
    }
    if (r->count++ > 20) {
        r->result = 1;
        return;
    }
    restarted_fire(r);
}

static bool restarted_over(void *arg)
{
    return ((restarted *)arg)->result != 0;
}

START_TEST(test_qtimer_restarted_timer_fires_too_soon)
{
    restarted r = {.o = cqt_object_new(NULL), .next_interval = 1000};
    restarted_fire(&r);
    ck_assert(cqt_test_run_until(restarted_over, &r, 11 * 1000 + 4 * CQT_TEST_TIMEOUT_MS));
    ck_assert_msg(r.result == 1, "fired after %lld ms of %d", (long long)(now_ms() - r.started),
                  r.interval);
    cqt_object_free(r.o);
}
END_TEST

/* origin: tst_qtimer.cpp timerFiresOnlyOncePerProcessEvents — a timer
 * whose slot outlasts its interval fires once per pass of the loop. Rows:
 * 0 and 10 ms. */
typedef struct {
    cqt_timer *t;
    int count;
} long_slot;

static void long_lasting_slot(void *user_data, const cqt_value *arg)
{
    (void)arg;
    long_slot *l = user_data;
    int64_t start = now_ms();
    while (now_ms() - start < 200) {
        /* busy, as Qt's test: no timer may be used to measure timers */
    }
    if (++l->count >= 2)
        cqt_timer_stop(l->t);
}

START_TEST(test_qtimer_timer_fires_only_once_per_process_events)
{
    static const int rows[] = {0, 10};
    for (int i = 0; i < 2; i++) {
        cqt_object *o = cqt_object_new(NULL);
        long_slot l = {.t = cqt_timer_new(o, "long")};
        ck_assert_int_eq(cqt_timer_start(l.t, rows[i]), CQT_OK);
        ck_assert(cqt_connect(cqt_timer_timeout(l.t), o, long_lasting_slot, &l, NULL, CQT_AUTO));
        int64_t give_up = now_ms() + CQT_TEST_TIMEOUT_MS;
        while (l.count == 0 && now_ms() < give_up)
            ck_assert_int_eq(cqt_app_process_events(0), CQT_OK);
        ck_assert_msg(l.count == 1, "row %d ms: %d calls in one pass", rows[i], l.count);
        cqt_object_free(o);
    }
}
END_TEST

/* origin: tst_qtimer.cpp timerIdPersistsAfterThreadExit — a timer started
 * in a thread that then ends keeps its id out of reuse: a timer started
 * afterwards gets another id. Intentional difference: cqt documents that
 * a thread's timers stop when its loop ends, so the timer is inactive
 * (cqt_timer_id -1) afterwards, where Qt's stays "active"; ids are never
 * reused in any case. (Qt also checks exec()'s return value: cqt has no
 * loop exit code to read here.) */
typedef struct {
    cqt_thread *t;
    cqt_object *here;
    cqt_timer *timer;
    int id;
} id_after_exit;

static void start_quitting_timer(void *arg)
{
    id_after_exit *x = arg;
    cqt_object *here = x->here = cqt_object_new(NULL);
    x->timer = cqt_timer_new(here, "quits");
    cqt_connect(cqt_timer_timeout(x->timer), here, quit_thread_slot, x->t, NULL, CQT_AUTO);
    cqt_timer_start(x->timer, 100);
    x->id = cqt_timer_id(x->timer);
}

static void obj_tick_noop(void *user_data, cqt_object *o, int id)
{
    (void)user_data;
    (void)o;
    (void)id;
}

START_TEST(test_qtimer_timer_id_persists_after_thread_exit)
{
    id_after_exit x = {.t = cqt_thread_new("exits")};
    cqt_object *there = cqt_object_new(x.t);
    ck_assert_int_eq(cqt_thread_start(x.t), CQT_OK);
    ck_assert_int_eq(cqt_invoke(there, start_quitting_timer, &x, CQT_BLOCKING_QUEUED), CQT_OK);
    ck_assert_int_gt(x.id, 0);
    ck_assert_int_eq(cqt_thread_wait(x.t, 30000), CQT_OK);
    ck_assert(!cqt_timer_is_active(x.timer)); /* intentional difference */
    ck_assert_int_eq(cqt_timer_id(x.timer), -1);
    cqt_object *o = cqt_object_new(NULL);
    int id = cqt_object_start_timer(o, 100, CQT_TIMER_COARSE, obj_tick_noop, NULL);
    ck_assert_int_gt(id, 0);
    ck_assert_int_ne(id & 0xffffff, x.id & 0xffffff);
    cqt_object_free(o);
    cqt_object_free(x.here); /* frees x.timer with it */
    cqt_object_free(there);
    cqt_thread_free(x.t);
}
END_TEST

/* origin: tst_qtimer.cpp cancelLongTimer — an hour-long single shot is
 * active after a pass of the loop, and stops. */
START_TEST(test_qtimer_cancel_long_timer)
{
    cqt_object *o = cqt_object_new(NULL);
    cqt_timer *t = cqt_timer_new(o, "hour");
    cqt_timer_set_single_shot(t, true);
    ck_assert_int_eq(cqt_timer_start(t, 1000 * 60 * 60), CQT_OK);
    ck_assert_int_eq(cqt_app_process_events(0), CQT_OK);
    ck_assert(cqt_timer_is_active(t));
    ck_assert_int_eq(cqt_timer_stop(t), CQT_OK);
    ck_assert(!cqt_timer_is_active(t));
    cqt_object_free(o);
}
END_TEST

/* origin: tst_qtimer.cpp singleShotStaticFunctionZeroTimeout — a 0 ms
 * single shot runs once (Qt's SLOT() and member-pointer forms are one C
 * call; the receiver-less form is added). */
static void count_call(void *arg)
{
    cqt_test_counter_add(arg, 1);
}

static bool counter_at_least_one(void *arg)
{
    return cqt_test_counter_get(arg) >= 1;
}

START_TEST(test_qtimer_single_shot_static_function_zero_timeout)
{
    for (int with_receiver = 1; with_receiver >= 0; with_receiver--) {
        cqt_object *counter = cqt_object_new(NULL);
        cqt_test_counter n = {0};
        ck_assert_int_eq(cqt_single_shot(0, with_receiver ? counter : NULL, count_call, &n),
                         CQT_OK);
        ck_assert(cqt_test_run_until(counter_at_least_one, &n, TRY_MS(5000)));
        run_for(500);
        ck_assert_int_eq(cqt_test_counter_get(&n), 1);
        cqt_object_free(counter);
    }
}
END_TEST

/* origin: tst_qtimer.cpp recurseOnTimeoutAndStopTimer — a 0 ms timer whose
 * slot runs the loop, and a single shot that stops it: after a second,
 * neither is active. */
typedef struct {
    cqt_timer *one, *two;
} recurse_stop;

static void one_trigger(void *user_data, const cqt_value *arg)
{
    (void)user_data;
    (void)arg;
    cqt_app_process_events(0);
}

static void two_trigger(void *user_data, const cqt_value *arg)
{
    (void)arg;
    cqt_timer_stop(((recurse_stop *)user_data)->one);
}

START_TEST(test_qtimer_recurse_on_timeout_and_stop_timer)
{
    cqt_object *o = cqt_object_new(NULL);
    recurse_stop r = {cqt_timer_new(o, "one"), cqt_timer_new(o, "two")};
    ck_assert(cqt_connect(cqt_timer_timeout(r.one), o, one_trigger, &r, NULL, CQT_AUTO));
    ck_assert(cqt_connect(cqt_timer_timeout(r.two), o, two_trigger, &r, NULL, CQT_AUTO));
    cqt_timer_set_single_shot(r.two, true);
    ck_assert_int_eq(cqt_timer_start(r.one, 0), CQT_OK);
    ck_assert_int_eq(cqt_timer_start(r.two, 0), CQT_OK);
    run_for(1000);
    ck_assert(!cqt_timer_is_active(r.one));
    ck_assert(!cqt_timer_is_active(r.two));
    cqt_object_free(o);
}
END_TEST

/* origin: tst_qtimer.cpp singleShotToFunctors — single shots without a
 * receiver run in the calling thread; with a receiver in another thread
 * they run there; one whose receiver is freed first never runs. (Qt's
 * move-only functor row has no C counterpart.) */
typedef struct {
    cqt_test_counter count;
    cqt_thread *expect; /* NULL: any */
    int wrong_thread;
} counted;

static void counted_call(void *arg)
{
    counted *c = arg;
    if (c->expect && cqt_thread_current() != c->expect)
        __atomic_store_n(&c->wrong_thread, 1, __ATOMIC_SEQ_CST);
    cqt_test_counter_add(&c->count, 1);
}

typedef struct {
    counted *c;
    long at_least;
} counted_wait;

static bool counted_reached(void *arg)
{
    counted_wait *w = arg;
    return cqt_test_counter_get(&w->c->count) >= w->at_least;
}

static void wait_count(counted *c, long n)
{
    counted_wait w = {c, n};
    ck_assert(cqt_test_run_until(counted_reached, &w, TRY_MS(5000)));
    ck_assert_int_eq(cqt_test_counter_get(&c->count), n);
}

START_TEST(test_qtimer_single_shot_to_functors)
{
    counted c = {.expect = NULL};
    ck_assert_int_eq(cqt_single_shot(0, NULL, counted_call, &c), CQT_OK);
    ck_assert_int_eq(cqt_app_process_events(0), CQT_OK);
    ck_assert_int_eq(cqt_test_counter_get(&c.count), 1);

    int quit = 0; /* the static-function rows: a shot that ends a loop */
    ck_assert_int_eq(cqt_single_shot(0, NULL, set_flag, &quit), CQT_OK);
    ck_assert(cqt_test_run_until(flag_set, &quit, TRY_MS(5000)));

    cqt_thread *t1 = cqt_thread_new("t1");
    cqt_object *c1 = cqt_object_new(NULL);
    ck_assert_int_eq(cqt_object_move_to_thread(c1, t1), CQT_OK);
    ck_assert_int_eq(cqt_thread_start(t1), CQT_OK);
    c.expect = t1;
    ck_assert_int_eq(cqt_single_shot(0, c1, counted_call, &c), CQT_OK);
    wait_count(&c, 2);
    ck_assert(!c.wrong_thread);
    cqt_object_free(c1);
    cqt_thread_free(t1);

    /* a receiver freed before its shot fires: never called */
    c.expect = NULL;
    cqt_object *c3 = cqt_object_new(NULL);
    ck_assert_int_eq(cqt_single_shot(500, c3, counted_call, &c), CQT_OK);
    cqt_object_free(c3);
    run_for(800);
    ck_assert_int_eq(cqt_test_counter_get(&c.count), 2);

    ck_assert_int_eq(cqt_single_shot(0, NULL, counted_call, &c), CQT_OK);
    wait_count(&c, 3);

    cqt_thread *thread = cqt_thread_new("context");
    cqt_object *context = cqt_object_new(NULL);
    ck_assert_int_eq(cqt_object_move_to_thread(context, thread), CQT_OK);
    ck_assert_int_eq(cqt_thread_start(thread), CQT_OK);
    c.expect = thread;
    ck_assert_int_eq(cqt_single_shot(0, context, counted_call, &c), CQT_OK);
    wait_count(&c, 4);
    ck_assert(!c.wrong_thread);
    cqt_object_free(context);
    cqt_thread_free(thread);
}
END_TEST

/* origin: tst_qtimer.cpp singleShot_static — Qt runs single shots queued
 * before the application exists once it runs. Intentional difference:
 * before cqt_app_init there is no loop to own them, so cqt refuses with
 * CQT_ESTATE (the destroy runs at once); once the application runs, the
 * same calls run in the order made. */
typedef struct {
    int calls[4];
    int n;
} order_log;

typedef struct {
    order_log *log;
    int type;
} order_call;

static void record_order(void *arg)
{
    order_call *c = arg;
    c->log->calls[c->log->n++] = c->type;
}

enum { CALL_STRING, CALL_PMF, CALL_FUNCTOR, CALL_FUNCTOR_NO_CTX };

/* OrderHelper::triggerCall: Qt's string, member-pointer and functor forms
 * with a context are cqt_single_shot with a receiver; the context-free
 * functor is the receiver-less form. */
static int trigger_call(cqt_object *helper, order_call *cell)
{
    return cqt_single_shot(0, cell->type == CALL_FUNCTOR_NO_CTX ? NULL : helper, record_order,
                           cell);
}

static bool order_complete(void *arg)
{
    return ((order_log *)arg)->n >= 4;
}

static void count_destroy(void *arg)
{
    cqt_test_counter_add(arg, 1);
}

START_TEST(test_qtimer_single_shot_static)
{
    cqt_test_counter destroyed = {0};
    ck_assert_int_eq(cqt_single_shot_full(0, NULL, count_call, &destroyed, count_destroy),
                     CQT_ESTATE);
    ck_assert_int_eq(cqt_test_counter_get(&destroyed), 1);

    cqt_test_app_setup();
    cqt_object *helper = cqt_object_new(NULL);
    order_log log = {{0}, 0};
    order_call cells[4];
    for (int i = 0; i < 4; i++) {
        cells[i] = (order_call){&log, i};
        ck_assert_int_eq(trigger_call(helper, &cells[i]), CQT_OK);
    }
    ck_assert_int_eq(cqt_app_process_events(0), CQT_OK);
    ck_assert(cqt_test_run_until(order_complete, &log, TRY_MS(5000)));
    for (int i = 0; i < 4; i++)
        ck_assert_int_eq(log.calls[i], i);
    cqt_object_free(helper);
    cqt_test_app_teardown();
}
END_TEST

/* origin: tst_qtimer.cpp crossThreadSingleShotToFunctor — 10000 single
 * shots into an object in another thread, then that thread quits and the
 * object is freed: no crash, and (cqt's promise) each destroy runs once. */
static void nothing(void *arg)
{
    (void)arg;
}

START_TEST(test_qtimer_cross_thread_single_shot_to_functor)
{
    cqt_thread *t = cqt_thread_new("shots");
    ck_assert_int_eq(cqt_thread_start(t), CQT_OK);
    cqt_object *o = cqt_object_new(NULL);
    ck_assert_int_eq(cqt_object_move_to_thread(o, t), CQT_OK);
    cqt_test_counter destroyed = {0};
    for (int i = 0; i < 10000; i++)
        ck_assert_int_eq(cqt_single_shot_full(0, o, nothing, &destroyed, count_destroy), CQT_OK);
    ck_assert_int_eq(cqt_thread_quit(t), CQT_OK);
    ck_assert_int_eq(cqt_thread_wait(t, CQT_TEST_TIMEOUT_MS), CQT_OK);
    cqt_object_free(o);
    cqt_thread_free(t);
    ck_assert_int_eq(cqt_test_counter_get(&destroyed), 10000);
}
END_TEST

/* origin: tst_qtimer.cpp timerOrder — 0 ms single shots of every form run
 * in the order they were made: all 24 orders of the four calls. */
static bool next_permutation(int *a, int n)
{
    int i = n - 2;
    while (i >= 0 && a[i] >= a[i + 1])
        i--;
    if (i < 0)
        return false;
    int j = n - 1;
    while (a[j] <= a[i])
        j--;
    int tmp = a[i];
    a[i] = a[j];
    a[j] = tmp;
    for (int l = i + 1, r = n - 1; l < r; l++, r--) {
        tmp = a[l];
        a[l] = a[r];
        a[r] = tmp;
    }
    return true;
}

/* Runs every permutation in the calling thread; returns the number of the
 * first that came out of order (1-based), 0 when all kept their order,
 * -1 when one did not complete. Asserts nothing: it also runs in a cqt
 * thread, where Check's assertions must not be used. */
static int timer_order_all(void)
{
    int perm[4] = {CALL_STRING, CALL_PMF, CALL_FUNCTOR, CALL_FUNCTOR_NO_CTX};
    int number = 0;
    do {
        number++;
        cqt_object *helper = cqt_object_new(NULL);
        order_log log = {{0}, 0};
        order_call cells[4];
        for (int i = 0; i < 4; i++) {
            cells[i] = (order_call){&log, perm[i]};
            if (trigger_call(helper, &cells[i]) != CQT_OK) {
                cqt_object_free(helper);
                return -1;
            }
        }
        bool complete = cqt_test_run_until(order_complete, &log, TRY_MS(5000));
        cqt_object_free(helper);
        if (!complete)
            return -1;
        if (memcmp(log.calls, perm, sizeof perm) != 0)
            return number;
    } while (next_permutation(perm, 4));
    return number == 24 ? 0 : -2;
}

START_TEST(test_qtimer_timer_order)
{
    ck_assert_int_eq(timer_order_all(), 0);
}
END_TEST

/* origin: tst_qtimer.cpp timerOrderBackgroundThread — the same in a thread
 * other than main (a cqt thread; Qt uses QThread::create). */
typedef struct {
    int result;
} order_job;

static void timer_order_in_thread(void *arg)
{
    ((order_job *)arg)->result = timer_order_all();
}

START_TEST(test_qtimer_timer_order_background_thread)
{
    cqt_thread *t = cqt_thread_new("order");
    ck_assert_int_eq(cqt_thread_start(t), CQT_OK);
    cqt_object *there = cqt_object_new(t);
    order_job job = {-100};
    ck_assert_int_eq(cqt_invoke(there, timer_order_in_thread, &job, CQT_BLOCKING_QUEUED), CQT_OK);
    ck_assert_int_eq(job.result, 0);
    cqt_object_free(there);
    cqt_thread_free(t);
}
END_TEST

/* origin: tst_qtimer.cpp dontBlockEvents (QTBUG-13633) — a timer restarted
 * at 0 ms from its own callback, among unrelated timers, lets the call it
 * posted run before it fires again. */
typedef struct {
    cqt_object *o;
    cqt_timer *m;
    int count, total, broken;
} dont_block;

static void paint_event(void *arg)
{
    dont_block *d = arg;
    if (--d->count != 0)
        d->broken = 1;
}

static void dont_block_tick(void *user_data, const cqt_value *arg)
{
    (void)arg;
    dont_block *d = user_data;
    cqt_invoke(d->o, paint_event, d, CQT_QUEUED);
    cqt_timer_start(d->m, 0);
    if (++d->count != 1)
        d->broken = 1;
    d->total++;
}

static bool dont_block_total(void *arg)
{
    return ((dont_block *)arg)->total > 2;
}

START_TEST(test_qtimer_dont_block_events)
{
    static const int others[] = {2000, 2500, 3000, 5000, 1000, 2000};
    dont_block d = {.o = cqt_object_new(NULL)};
    for (int i = 0; i < 6; i++)
        ck_assert_int_eq(cqt_timer_start(cqt_timer_new(d.o, "unrelated"), others[i]), CQT_OK);
    d.m = cqt_timer_new(d.o, "m");
    ck_assert(cqt_connect(cqt_timer_timeout(d.m), d.o, dont_block_tick, &d, NULL, CQT_AUTO));
    ck_assert_int_eq(cqt_timer_start(d.m, 1), CQT_OK);
    run_for(60);
    ck_assert(cqt_test_run_until(dont_block_total, &d, TRY_MS(5000)));
    ck_assert_msg(!d.broken, "the 0 ms timer fired again before the call it posted ran");
    cqt_object_free(d.o);
}
END_TEST

/* origin: tst_qtimer.cpp postedEventsShouldNotStarveTimers — a call that
 * re-posts itself forever does not keep a 0 ms timer from firing. */
typedef struct {
    cqt_object *o;
    int stop;
    cqt_test_counter in_flight;
} repeater;

static void repeat_this(void *arg)
{
    repeater *r = arg;
    if (!r->stop && cqt_invoke(r->o, repeat_this, r, CQT_QUEUED) == CQT_OK)
        return;
    cqt_test_counter_add(&r->in_flight, -1);
}

static bool repeater_stopped(void *arg)
{
    return cqt_test_counter_get(&((repeater *)arg)->in_flight) == 0;
}

START_TEST(test_qtimer_posted_events_should_not_starve_timers)
{
    cqt_object *o = cqt_object_new(NULL);
    cqt_timer *t = cqt_timer_new(o, "starved?");
    spy s = {{0}};
    spy_on(t, o, &s);
    ck_assert_int_eq(cqt_timer_start(t, 0), CQT_OK);
    repeater r = {.o = o, .in_flight = {1}};
    repeat_this(&r);
    ck_assert(spy_wait_above(&s, 5, 100));
    r.stop = 1;
    ck_assert(cqt_test_run_until(repeater_stopped, &r, CQT_TEST_TIMEOUT_MS));
    cqt_object_free(o);
}
END_TEST

/* origin: tst_qtimer.cpp callOnTimeout — slots connected to a timer's
 * timeout with and without a context object run at the timeout, and a
 * connection ends with its context. (Qt's functor connection without a
 * context is a connection with the timer's owner as receiver in cqt.) */
static void count_slot(void *user_data, const cqt_value *arg)
{
    (void)arg;
    (*(int *)user_data)++;
}

static void stop_slot(void *user_data, const cqt_value *arg)
{
    (void)arg;
    cqt_timer_stop(user_data);
}

START_TEST(test_qtimer_call_on_timeout)
{
    cqt_object *o = cqt_object_new(NULL);
    cqt_timer *t = cqt_timer_new(o, "call-on-timeout");
    cqt_signal *timeout = cqt_timer_timeout(t);
    spy s = {{0}};
    spy_on(t, o, &s);
    ck_assert_int_eq(cqt_timer_start(t, 0), CQT_OK);
    cqt_object *context = cqt_object_new(NULL);
    int count = 0;
    ck_assert(cqt_connect(timeout, o, count_slot, &count, NULL, CQT_AUTO));
    cqt_connection c = cqt_connect(timeout, context, count_slot, &count, NULL, CQT_AUTO);
    ck_assert(c != 0);
    ck_assert(cqt_connect(timeout, o, stop_slot, t, NULL, CQT_AUTO));
    run_for(100);
    ck_assert_int_eq(count, 2);
    ck_assert_int_eq(spy_count(&s), 1);
    cqt_object_free(context);
    ck_assert_int_eq(cqt_disconnect(timeout, c), CQT_EINVAL); /* gone with its context */
    cqt_object_free(o);
}
END_TEST

CQT_TEST_SUITE(peers_qtimer_suite)
{
    Suite *s = suite_create("peers-qtimer");
    TCase *tc = tcase_create("qtimer");
    cqt_test_add_app_fixture(tc);
    tcase_add_test(tc, test_qtimer_zero_timer);
    tcase_add_test(tc, test_qtimer_single_shot_timeout);
    tcase_add_test(tc, test_qtimer_timeout);
    tcase_add_test(tc, test_qtimer_remaining_time);
    tcase_add_test(tc, test_qtimer_remaining_time_initial);
    tcase_add_test(tc, test_qtimer_remaining_time_during_activation);
    tcase_add_test(tc, test_qtimer_livelock);
    tcase_add_test(tc, test_qtimer_timer_infinite_recursion);
    tcase_add_test(tc, test_qtimer_recurring_timer);
    tcase_add_test(tc, test_qtimer_delete_later_on_qtimer);
    tcase_add_test(tc, test_qtimer_move_to_thread);
    tcase_add_test(tc, test_qtimer_restarted_timer_fires_too_soon);
    tcase_add_test(tc, test_qtimer_timer_fires_only_once_per_process_events);
    tcase_add_test(tc, test_qtimer_timer_id_persists_after_thread_exit);
    tcase_add_test(tc, test_qtimer_cancel_long_timer);
    tcase_add_test(tc, test_qtimer_single_shot_static_function_zero_timeout);
    tcase_add_test(tc, test_qtimer_recurse_on_timeout_and_stop_timer);
    tcase_add_test(tc, test_qtimer_single_shot_to_functors);
    tcase_add_test(tc, test_qtimer_cross_thread_single_shot_to_functor);
    tcase_add_test(tc, test_qtimer_timer_order);
    tcase_add_test(tc, test_qtimer_timer_order_background_thread);
    tcase_add_test(tc, test_qtimer_dont_block_events);
    tcase_add_test(tc, test_qtimer_posted_events_should_not_starve_timers);
    tcase_add_test(tc, test_qtimer_call_on_timeout);
    suite_add_tcase(s, tc);
    /* without the fixture: it starts the application itself */
    TCase *pre = tcase_create("qtimer-before-app");
    tcase_add_test(pre, test_qtimer_single_shot_static);
    suite_add_tcase(s, pre);
    return s;
}
