/* SPDX-License-Identifier: MIT */
/* test-thread.c — threads, adopted threads, the app lifecycle, shutdown. */
#include "cqt-test.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static void nothing(void *arg)
{
    (void)arg;
}

static void record_current(void *arg)
{
    *(cqt_thread **)arg = cqt_thread_current();
}

START_TEST(test_thread_lifecycle_and_restart)
{
    cqt_thread *t = cqt_thread_new("life");
    ck_assert_str_eq(cqt_thread_name(t), "life");
    ck_assert(cqt_thread_has_loop(t));
    ck_assert(!cqt_thread_is_running(t));
    ck_assert_int_eq(cqt_thread_wait(t, 0), CQT_OK); /* never started */
    ck_assert_int_eq(cqt_thread_start(t), CQT_OK);
    ck_assert(cqt_thread_is_running(t));
    ck_assert_int_eq(cqt_thread_start(t), CQT_ESTATE);
    ck_assert_ptr_nonnull(strstr(cqt_last_error(), "running already"));
    cqt_object *o = cqt_object_new(t);
    cqt_thread *seen = NULL;
    ck_assert_int_eq(cqt_invoke(o, record_current, &seen, CQT_BLOCKING_QUEUED), CQT_OK);
    ck_assert_ptr_eq(seen, t);
    /* P6: quit, wait, start again, any number of times */
    for (int round = 0; round < 5; round++) {
        ck_assert_int_eq(cqt_thread_quit(t), CQT_OK);
        ck_assert_int_eq(cqt_thread_wait(t, CQT_TEST_TIMEOUT_MS), CQT_OK);
        ck_assert(!cqt_thread_is_running(t));
        ck_assert_int_eq(cqt_thread_start(t), CQT_OK);
        seen = NULL;
        ck_assert_int_eq(cqt_invoke(o, record_current, &seen, CQT_BLOCKING_QUEUED), CQT_OK);
        ck_assert_ptr_eq(seen, t);
    }
    cqt_object_free(o);
    cqt_thread_free(t);
}
END_TEST

static void *adopted_probe(void *arg)
{
    cqt_thread **out = arg;
    out[0] = cqt_thread_current();
    out[1] = cqt_thread_current(); /* same handle twice */
    return NULL;
}

/* cqt_thread_current works in threads cqt did not start; they run no loop. */
START_TEST(test_thread_current_in_adopted_thread)
{
    ck_assert_ptr_eq(cqt_thread_current(), cqt_thread_main());
    ck_assert_str_eq(cqt_thread_name(cqt_thread_main()), "main");
    cqt_thread *seen[2] = {NULL, NULL};
    pthread_t pt;
    pthread_create(&pt, NULL, adopted_probe, seen);
    pthread_join(pt, NULL);
    ck_assert_ptr_nonnull(seen[0]);
    ck_assert_ptr_eq(seen[0], seen[1]);
    ck_assert_ptr_ne(seen[0], cqt_thread_main());
    /* the handle was released with its thread; do not touch it here */
    cqt_thread *m = cqt_thread_main();
    ck_assert(cqt_thread_has_loop(m));
    ck_assert_int_eq(cqt_thread_start(m), CQT_EINVAL);
    ck_assert_ptr_nonnull(strstr(cqt_last_error(), "main thread"));
}
END_TEST

typedef struct {
    cqt_thread *t;
    int rc;
} self_job;

static void wait_for_self(void *arg)
{
    self_job *j = arg;
    j->rc = cqt_thread_wait(j->t, 10);
}

static void free_self(void *arg)
{
    cqt_thread_free(arg);
}

/* A thread cannot wait for itself. */
START_TEST(test_thread_wait_self_is_edeadlk)
{
    cqt_thread *t = cqt_thread_new("selfish");
    cqt_thread_start(t);
    cqt_object *o = cqt_object_new(t);
    self_job j = {.t = t, .rc = -100};
    ck_assert_int_eq(cqt_invoke(o, wait_for_self, &j, CQT_BLOCKING_QUEUED), CQT_OK);
    ck_assert_int_eq(j.rc, CQT_EDEADLK);
    cqt_object_free(o);
    cqt_thread_free(t);
}
END_TEST

static bool threads_back_to(void *arg)
{
    return cqt_test_thread_count() <= *(int *)arg;
}

/* Freed from inside itself: the main loop joins and releases it. */
START_TEST(test_thread_free_from_inside)
{
    int before = cqt_test_thread_baseline();
    cqt_thread *t = cqt_thread_new("self-free");
    cqt_thread_start(t);
    cqt_object *o = cqt_object_new(t);
    cqt_object_free(o);
    cqt_object *o2 = cqt_object_new(t);
    ck_assert_int_eq(cqt_invoke(o2, free_self, t, CQT_QUEUED), CQT_OK);
    ck_assert(cqt_test_run_until(threads_back_to, &before, CQT_TEST_TIMEOUT_MS));
    /* its thread is gone: the object is freed at once, calls refused */
    ck_assert_int_eq(cqt_invoke(o2, nothing, NULL, CQT_QUEUED), CQT_ENOLOOP);
    cqt_object_free(o2);
    cqt_live_counts lc;
    for (int i = 0; i < 1000; i++) {
        cqt_debug_live_counts(&lc);
        if (lc.threads == 0)
            break;
        cqt_app_process_events(5);
    }
    ck_assert_int_eq(lc.threads, 0);
}
END_TEST

/* shutdown joins running threads; a thread stuck in a
 * callback is named as a straggler with CQT_ETIMEDOUT. */
static void stuck(void *arg)
{
    cqt_event_wait(arg, CQT_FOREVER);
}

START_TEST(test_app_shutdown_joins_and_names_stragglers)
{
    int before = cqt_test_thread_baseline();
    ck_assert_int_eq(cqt_app_init(NULL, NULL, CQT_APP_CORE), CQT_OK);
    ck_assert_int_eq(cqt_app_init(NULL, NULL, CQT_APP_CORE), CQT_ESTATE);
    cqt_thread *fine[3];
    for (int i = 0; i < 3; i++) {
        fine[i] = cqt_thread_new(NULL);
        cqt_thread_start(fine[i]);
    }
    cqt_thread *slow = cqt_thread_new("slowpoke");
    cqt_thread_start(slow);
    cqt_object *so = cqt_object_new(slow);
    cqt_event *release = cqt_event_new("release");
    ck_assert_int_eq(cqt_invoke(so, stuck, release, CQT_QUEUED), CQT_OK);
    ck_assert_int_eq(cqt_app_shutdown(200), CQT_ETIMEDOUT);
    ck_assert_msg(strstr(cqt_last_error(), "'slowpoke'") != NULL, "%s", cqt_last_error());
    ck_assert_msg(strstr(cqt_last_error(), "cqt-") == NULL, "named a thread that stopped: %s",
                  cqt_last_error());
    ck_assert(cqt_app_is_running()); /* kept, as documented */
    cqt_event_set(release);
    ck_assert_int_eq(cqt_app_shutdown(CQT_TEST_TIMEOUT_MS), CQT_OK);
    ck_assert(!cqt_app_is_running());
    /* handles stay valid to free; other calls say why they fail */
    ck_assert_int_eq(cqt_thread_start(fine[0]), CQT_ESTATE);
    ck_assert_ptr_nonnull(strstr(cqt_last_error(), "cqt_app_init"));
    ck_assert_int_eq(cqt_invoke(so, nothing, NULL, CQT_QUEUED), CQT_ESTATE);
    cqt_object_free(so);
    for (int i = 0; i < 3; i++)
        cqt_thread_free(fine[i]);
    cqt_thread_free(slow);
    cqt_event_free(release);
    ck_assert_msg(cqt_test_wait_thread_count(before, CQT_TEST_TIMEOUT_MS) <= before,
                  "threads left: %s", cqt_test_thread_names());
    cqt_live_counts lc;
    cqt_debug_live_counts(&lc);
    ck_assert_int_eq(lc.threads, 0);
    ck_assert_int_eq(lc.objects, 0);
    ck_assert_int_eq(lc.pending, 0);
    /* and the app can be created again */
    ck_assert_int_eq(cqt_app_init(NULL, NULL, CQT_APP_CORE), CQT_OK);
    cqt_thread *again = cqt_thread_new("again");
    ck_assert_int_eq(cqt_thread_start(again), CQT_OK);
    ck_assert_int_eq(cqt_app_shutdown(CQT_TEST_TIMEOUT_MS), CQT_OK);
    cqt_thread_free(again);
}
END_TEST

static int hook_calls;
static int hook_destroys;

static int my_hook(void *user_data, int timeout_ms)
{
    (void)user_data;
    ck_assert_int_ge(timeout_ms, 0);
    hook_calls++;
    return hook_calls == 1 ? cqt_set_last_error(CQT_ETIMEDOUT, "job 'stubborn' did not stop")
                           : CQT_OK;
}

static void my_hook_destroy(void *user_data)
{
    (void)user_data;
    hook_destroys++;
}

/* Shutdown hooks run first, and their stragglers are reported. */
START_TEST(test_app_shutdown_hooks)
{
    ck_assert_int_eq(cqt_app_init(NULL, NULL, CQT_APP_CORE), CQT_OK);
    ck_assert_int_eq(cqt_app_add_shutdown_hook(my_hook, NULL, my_hook_destroy), CQT_OK);
    ck_assert_int_eq(cqt_app_add_shutdown_hook(NULL, NULL, my_hook_destroy), CQT_EINVAL);
    ck_assert_int_eq(hook_destroys, 1);
    ck_assert_int_eq(cqt_app_shutdown(1000), CQT_ETIMEDOUT);
    ck_assert_ptr_nonnull(strstr(cqt_last_error(), "job 'stubborn'"));
    ck_assert_int_eq(hook_calls, 1);
    ck_assert_int_eq(hook_destroys, 2);
    ck_assert_int_eq(cqt_app_shutdown(1000), CQT_OK); /* the hook ran once */
    ck_assert_int_eq(hook_calls, 1);
}
END_TEST

static void quit_later(void *arg)
{
    (void)arg;
    cqt_app_quit(7);
    cqt_app_quit(9); /* coalesced: the first code wins */
}

static void *quit_from_pthread(void *arg)
{
    (void)arg;
    cqt_app_quit(3);
    return NULL;
}

/* exec returns the code given to quit, from any thread, even when the quit
 * came before exec started. */
START_TEST(test_app_exec_and_quit)
{
    cqt_object *o = cqt_object_new(NULL);
    ck_assert_int_eq(cqt_invoke(o, quit_later, NULL, CQT_QUEUED), CQT_OK);
    ck_assert_int_eq(cqt_app_exec(), 7);
    pthread_t pt;
    pthread_create(&pt, NULL, quit_from_pthread, NULL);
    pthread_join(pt, NULL); /* quit before exec */
    ck_assert_int_eq(cqt_app_exec(), 3);
    cqt_object_free(o);
}
END_TEST

/* The pool runs tasks in threads without a loop. */
typedef struct {
    cqt_thread *ran_in;
    bool has_loop;
    cqt_event *done;
} pool_probe;

static void pool_task(void *arg)
{
    pool_probe *p = arg;
    p->ran_in = cqt_thread_current();
    p->has_loop = cqt_thread_has_loop(p->ran_in);
    ck_assert_int_eq(cqt_pool_wait_idle(0), CQT_EDEADLK);
    cqt_event_set(p->done);
}

START_TEST(test_pool_runs_tasks)
{
    pool_probe p = {.done = cqt_event_new("task")};
    ck_assert_int_ge(cqt_pool_max_threads(), 1);
    ck_assert_int_eq(cqt_pool_set_max_threads(2), CQT_OK);
    ck_assert_int_eq(cqt_pool_max_threads(), 2);
    ck_assert_int_eq(cqt_pool_set_max_threads(0), CQT_EINVAL);
    ck_assert_int_eq(cqt_pool_run(pool_task, &p, NULL), CQT_OK);
    ck_assert_int_eq(cqt_event_wait(p.done, CQT_TEST_TIMEOUT_MS), CQT_OK);
    ck_assert_int_eq(cqt_pool_wait_idle(CQT_TEST_TIMEOUT_MS), CQT_OK);
    ck_assert_ptr_ne(p.ran_in, cqt_thread_main());
    ck_assert(!p.has_loop);
    cqt_event_free(p.done);
}
END_TEST

static void nested_loop_call(void *arg)
{
    /* a slot that runs the loop: later deliveries still arrive */
    int *state = arg;
    state[0] = 1;
    for (int i = 0; i < 2000 && state[1] == 0; i++)
        cqt_app_process_events(5);
}

typedef struct {
    cqt_event *entered;
    int served_during; /* read by the nested caller once its loop returned */
    cqt_object *self;
} long_loop_rec;

static void set_entered(void *arg)
{
    cqt_event_set(((long_loop_rec *)arg)->entered);
}

static void long_nested_loop(void *arg)
{
    long_loop_rec *r = arg;
    /* "entered" is set from inside the nested loop (a timer), so the post
     * below comes while it runs, not before it began */
    ck_assert_int_eq(cqt_single_shot(0, r->self, set_entered, r), CQT_OK);
    /* one long nested loop; the delivery below quits the thread, which
     * ends this loop early once it has run */
    cqt_app_process_events(CQT_TEST_TIMEOUT_MS);
    ck_assert_msg(__atomic_load_n(&r->served_during, __ATOMIC_SEQ_CST) == 1,
                  "a delivery posted during cqt_app_process_events was not run by it");
}

static void serve_and_quit(void *arg)
{
    long_loop_rec *r = arg;
    __atomic_store_n(&r->served_during, 1, __ATOMIC_SEQ_CST);
    cqt_thread_quit(cqt_thread_current());
}

/* A delivery that runs one long cqt_app_process_events gets what is posted
 * to its thread meanwhile, not only what was queued before it began. */
START_TEST(test_process_events_in_delivery_runs_later_posts)
{
    long_loop_rec r = {cqt_event_new("entered"), 0, NULL};
    cqt_thread *t = cqt_thread_new("long-loop");
    cqt_object *o = cqt_object_new(t);
    r.self = o;
    ck_assert_int_eq(cqt_thread_start(t), CQT_OK);
    ck_assert_int_eq(cqt_invoke(o, long_nested_loop, &r, CQT_QUEUED), CQT_OK);
    ck_assert_int_eq(cqt_event_wait(r.entered, CQT_TEST_TIMEOUT_MS), CQT_OK);
    ck_assert_int_eq(cqt_invoke(o, serve_and_quit, &r, CQT_QUEUED), CQT_OK);
    ck_assert_int_eq(cqt_thread_wait(t, 3 * CQT_TEST_TIMEOUT_MS), CQT_OK);
    cqt_object_free(o);
    cqt_thread_free(t);
    cqt_event_free(r.entered);
}
END_TEST

static void second_call(void *arg)
{
    ((int *)arg)[1] = 1;
}

START_TEST(test_process_events_nested_in_delivery)
{
    cqt_object *o = cqt_object_new(NULL);
    int state[2] = {0, 0};
    cqt_invoke(o, nested_loop_call, state, CQT_QUEUED);
    cqt_invoke(o, second_call, state, CQT_QUEUED);
    for (int i = 0; i < 2000 && !(state[0] && state[1]); i++)
        cqt_app_process_events(5);
    ck_assert_int_eq(state[0], 1);
    ck_assert_int_eq(state[1], 1);
    cqt_object_free(o);
}
END_TEST

/* A loop that ends with more deliveries queued than one drain's budget
 * (4096) still runs every one of them, including a deferred free queued
 * behind them. Before the fix, the final drain stopped after one budget and
 * left the rest (and the object) stranded for good. */
static void gate_wait(void *arg)
{
    cqt_event_wait(arg, CQT_TEST_TIMEOUT_MS);
}

static void count_one(void *arg)
{
    cqt_test_counter_add(arg, 1);
}

START_TEST(test_thread_quit_runs_everything_queued)
{
    cqt_thread *t = cqt_thread_new("backlog");
    cqt_thread_start(t);
    cqt_object *o = cqt_object_new(t);
    cqt_object *doomed = cqt_object_new(t);
    cqt_event *gate = cqt_event_new("gate");
    cqt_test_counter ran = {0};
    ck_assert_int_eq(cqt_invoke(o, gate_wait, gate, CQT_QUEUED), CQT_OK);
    for (int i = 0; i < 10000; i++)
        ck_assert_int_eq(cqt_invoke(o, count_one, &ran, CQT_QUEUED), CQT_OK);
    cqt_object_free(doomed); /* deferred behind the 10,000 */
    ck_assert_int_eq(cqt_thread_quit(t), CQT_OK);
    cqt_event_set(gate);
    ck_assert_int_eq(cqt_thread_wait(t, CQT_TEST_TIMEOUT_MS), CQT_OK);
    ck_assert_int_eq(cqt_test_counter_get(&ran), 10000);
    cqt_live_counts lc;
    cqt_debug_live_counts(&lc);
    ck_assert_int_eq(lc.pending, 0);
    ck_assert_int_eq(lc.objects, 1); /* o only: doomed was destroyed */
    cqt_object_free(o);
    cqt_thread_free(t);
    cqt_event_free(gate);
}
END_TEST

/* ---- start and quit racing on one thread ---------------------------------- */

typedef struct {
    cqt_thread *t;
    volatile int stop;
    cqt_test_counter bad;
    int bad_rc;
} start_race;

static void *race_start(void *arg)
{
    start_race *r = arg;
    while (!__atomic_load_n(&r->stop, __ATOMIC_SEQ_CST)) {
        int rc = cqt_thread_start(r->t);
        if (rc != CQT_OK && rc != CQT_ESTATE) {
            r->bad_rc = rc;
            cqt_test_counter_add(&r->bad, 1);
        }
    }
    return NULL;
}

static void *race_quit(void *arg)
{
    start_race *r = arg;
    while (!__atomic_load_n(&r->stop, __ATOMIC_SEQ_CST))
        cqt_thread_quit(r->t);
    return NULL;
}

typedef struct {
    start_race *r;
    cqt_event *done;
} race_driver;

static void *drive_race(void *arg)
{
    race_driver *d = arg;
    enum { STARTERS = 4, QUITTERS = 2 };
    pthread_t p[STARTERS + QUITTERS];
    for (int i = 0; i < STARTERS + QUITTERS; i++)
        pthread_create(&p[i], NULL, i < STARTERS ? race_start : race_quit, d->r);
    cqt_event *never = cqt_event_new("pace");
    cqt_event_wait(never, 4000); /* let them race for a while */
    cqt_event_free(never);
    __atomic_store_n(&d->r->stop, 1, __ATOMIC_SEQ_CST);
    for (int i = 0; i < STARTERS + QUITTERS; i++)
        pthread_join(p[i], NULL);
    cqt_event_set(d->done);
    return NULL;
}

/* cqt_thread_start() from two threads and cqt_thread_quit() from a third on
 * one thread never deadlock; every start returns CQT_OK or CQT_ESTATE. */
START_TEST(test_thread_start_quit_race)
{
    start_race r = {.t = cqt_thread_new("raced")};
    race_driver d = {&r, cqt_event_new("raced")};
    pthread_t pt;
    pthread_create(&pt, NULL, drive_race, &d);
    int rc = cqt_event_wait(d.done, 3 * CQT_TEST_TIMEOUT_MS);
    ck_assert_msg(rc == CQT_OK, "start/start/quit on one thread deadlocked");
    pthread_join(pt, NULL);
    ck_assert_msg(cqt_test_counter_get(&r.bad) == 0, "start returned %s",
                  cqt_status_name(r.bad_rc));
    /* its mailbox still works */
    ck_assert_int_eq(cqt_thread_start(r.t) == CQT_OK || cqt_thread_is_running(r.t), 1);
    cqt_object *o = cqt_object_new(r.t);
    cqt_thread *seen = NULL;
    ck_assert_int_eq(cqt_invoke(o, record_current, &seen, CQT_BLOCKING_QUEUED), CQT_OK);
    ck_assert_ptr_eq(seen, r.t);
    cqt_object_free(o);
    cqt_thread_free(r.t);
    cqt_event_free(d.done);
}
END_TEST

/* ---- the OS thread is gone when free and shutdown return ------------------ */

/* cqt_thread_free() returns only once the OS thread has left
 * /proc/self/task (Qt's threads are detached; QThread::wait returns before). */
START_TEST(test_thread_free_reaps_os_thread)
{
    int before = cqt_test_thread_baseline();
    for (int round = 0; round < 30; round++) {
        cqt_thread *t = cqt_thread_new("reaped");
        ck_assert_int_eq(cqt_thread_start(t), CQT_OK);
        cqt_object *o = cqt_object_new(t);
        ck_assert_int_eq(cqt_invoke(o, nothing, NULL, CQT_BLOCKING_QUEUED), CQT_OK);
        /* restarted once: the first run's OS thread must be gone as well */
        ck_assert_int_eq(cqt_thread_quit(t), CQT_OK);
        ck_assert_int_eq(cqt_thread_wait(t, CQT_TEST_TIMEOUT_MS), CQT_OK);
        ck_assert_int_eq(cqt_thread_start(t), CQT_OK);
        ck_assert_int_eq(cqt_invoke(o, nothing, NULL, CQT_BLOCKING_QUEUED), CQT_OK);
        cqt_object_free(o);
        cqt_thread_free(t);
        int now = cqt_test_thread_count();
        ck_assert_msg(now <= before, "round %d: %d threads after free, %d before: %s", round,
                      now, before, cqt_test_thread_names());
    }
}
END_TEST

static void signal_done(void *arg)
{
    cqt_event_set(arg);
}

/* cqt_app_shutdown() returns only once the OS threads of cqt threads and of
 * the pool have left /proc/self/task. */
START_TEST(test_app_shutdown_reaps_os_threads)
{
    int before = cqt_test_thread_baseline();
    for (int round = 0; round < 15; round++) {
        ck_assert_int_eq(cqt_app_init(NULL, NULL, CQT_APP_CORE), CQT_OK);
        cqt_thread *t = cqt_thread_new("kept");
        ck_assert_int_eq(cqt_thread_start(t), CQT_OK);
        cqt_event *e = cqt_event_new("task");
        ck_assert_int_eq(cqt_pool_run(signal_done, e, NULL), CQT_OK);
        ck_assert_int_eq(cqt_event_wait(e, CQT_TEST_TIMEOUT_MS), CQT_OK);
        ck_assert_int_eq(cqt_app_shutdown(CQT_TEST_TIMEOUT_MS), CQT_OK);
        int now = cqt_test_thread_count();
        ck_assert_msg(now <= before, "round %d: %d threads after shutdown, %d before: %s", round,
                      now, before, cqt_test_thread_names());
        cqt_thread_free(t);
        cqt_event_free(e);
    }
}
END_TEST

/* ---- started / finished, exit codes, exec, post, interruption ---------- */

typedef struct {
    cqt_thread *t;
    cqt_test_counter seq;   /* bumped by each recorded step */
    long started_at, posted_at, finished_at;
    cqt_thread *started_in, *finished_in;
    bool running_in_finished;
    int code_in_finished;
    int post_rc_in_finished;
    cqt_event *done;
} life_rec;

static void on_started(void *user_data, const cqt_value *arg)
{
    (void)arg;
    life_rec *r = user_data;
    r->started_in = cqt_thread_current();
    r->started_at = __atomic_add_fetch(&r->seq.value, 1, __ATOMIC_SEQ_CST);
}

static void posted_step(void *user_data)
{
    life_rec *r = user_data;
    r->posted_at = __atomic_add_fetch(&r->seq.value, 1, __ATOMIC_SEQ_CST);
}

static void on_finished(void *user_data, const cqt_value *arg)
{
    (void)arg;
    life_rec *r = user_data;
    r->finished_in = cqt_thread_current();
    r->running_in_finished = cqt_thread_is_running(r->t);
    r->code_in_finished = cqt_thread_exit_code(r->t);
    r->post_rc_in_finished = cqt_thread_post(r->t, nothing, NULL, NULL);
    r->finished_at = __atomic_add_fetch(&r->seq.value, 1, __ATOMIC_SEQ_CST);
}

/* started runs in the thread before what was queued to it; finished runs
 * in the thread once it no longer counts as running, with the run's code,
 * and before cqt_thread_wait returns. */
START_TEST(test_thread_started_finished_signals)
{
    life_rec r = {0};
    r.t = cqt_thread_new("sigs");
    cqt_object *in_t = cqt_object_new(r.t);
    ck_assert_uint_ne(cqt_connect(cqt_thread_started(r.t), in_t, on_started, &r, NULL, CQT_AUTO),
                      0);
    ck_assert_uint_ne(cqt_connect(cqt_thread_finished(r.t), in_t, on_finished, &r, NULL, CQT_AUTO),
                      0);
    ck_assert_ptr_eq(cqt_thread_started(r.t), cqt_thread_started(r.t)); /* one signal */
    ck_assert_int_eq(cqt_thread_post(r.t, posted_step, &r, NULL), CQT_OK); /* before start */
    ck_assert_int_eq(cqt_thread_start(r.t), CQT_OK);
    ck_assert_int_eq(cqt_thread_exit(r.t, 42), CQT_OK);
    ck_assert_int_eq(cqt_thread_wait(r.t, CQT_TEST_TIMEOUT_MS), CQT_OK);
    ck_assert_ptr_eq(r.started_in, r.t);
    ck_assert_ptr_eq(r.finished_in, r.t);
    ck_assert_int_eq(r.started_at, 1);
    ck_assert_int_eq(r.posted_at, 2);
    ck_assert_int_eq(r.finished_at, 3);
    ck_assert(!r.running_in_finished);
    ck_assert_int_eq(r.code_in_finished, 42);
    ck_assert_int_eq(r.post_rc_in_finished, CQT_ENOLOOP);
    ck_assert_int_eq(cqt_thread_exit_code(r.t), 42);
    /* every run emits both; quit is exit code 0 */
    ck_assert_int_eq(cqt_thread_start(r.t), CQT_OK);
    ck_assert_int_eq(cqt_thread_quit(r.t), CQT_OK);
    ck_assert_int_eq(cqt_thread_wait(r.t, CQT_TEST_TIMEOUT_MS), CQT_OK);
    ck_assert_int_eq(r.finished_at, 5);
    ck_assert_int_eq(cqt_thread_exit_code(r.t), 0);
    /* main and adopted threads have neither */
    ck_assert_ptr_null(cqt_thread_started(cqt_thread_main()));
    ck_assert_ptr_null(cqt_thread_finished(NULL));
    ck_assert_int_eq(cqt_thread_exit(cqt_thread_main(), 1), CQT_EINVAL);
    ck_assert_int_eq(cqt_thread_exit_code(NULL), 0);
    cqt_object_free(in_t);
    cqt_thread_free(r.t);
}
END_TEST

typedef struct {
    cqt_timer *timer;
    cqt_thread *t;
    cqt_test_counter ticks;
} seed_rec;

static void seed_tick(void *user_data, const cqt_value *arg)
{
    (void)arg;
    seed_rec *r = user_data;
    if (cqt_test_counter_get(&r->ticks) == 0)
        cqt_thread_exit(r->t, 5);
    cqt_test_counter_add(&r->ticks, 1);
}

static void seed_start_timer(void *user_data, const cqt_value *arg)
{
    (void)arg;
    seed_rec *r = user_data;
    ck_assert_int_eq(cqt_timer_start(r->timer, 10), CQT_OK);
}

/* The seed pattern: started starts a timer in the thread, which fires there. */
START_TEST(test_thread_started_starts_timer)
{
    seed_rec r = {0};
    r.t = cqt_thread_new("seed");
    cqt_object *o = cqt_object_new(r.t);
    r.timer = cqt_timer_new(o, "tick");
    ck_assert_uint_ne(cqt_connect(cqt_timer_timeout(r.timer), o, seed_tick, &r, NULL, CQT_AUTO), 0);
    ck_assert_uint_ne(cqt_connect(cqt_thread_started(r.t), o, seed_start_timer, &r, NULL, CQT_AUTO),
                      0);
    ck_assert_int_eq(cqt_thread_start(r.t), CQT_OK);
    ck_assert_int_eq(cqt_thread_wait(r.t, CQT_TEST_TIMEOUT_MS), CQT_OK);
    ck_assert_int_ge(cqt_test_counter_get(&r.ticks), 1);
    ck_assert_int_eq(cqt_thread_exit_code(r.t), 5);
    cqt_timer_free(r.timer);
    cqt_object_free(o);
    cqt_thread_free(r.t);
}
END_TEST

typedef struct {
    cqt_event *entered;
    int rc[2];
    cqt_test_counter returned;
} exec_rec;

static void run_exec(void *user_data)
{
    exec_rec *r = user_data;
    cqt_event_set(r->entered);
    r->rc[0] = cqt_thread_exec();
    cqt_test_counter_add(&r->returned, 1);
}

/* cqt_thread_exec runs the thread's loop until exit, returning its code;
 * the thread finishes after. */
START_TEST(test_thread_exec_returns_exit_code)
{
    exec_rec r = {0};
    r.entered = cqt_event_new("entered");
    cqt_thread *t = cqt_thread_new("exec");
    ck_assert_int_eq(cqt_thread_start(t), CQT_OK);
    ck_assert_int_eq(cqt_thread_post(t, run_exec, &r, NULL), CQT_OK);
    ck_assert_int_eq(cqt_event_wait(r.entered, CQT_TEST_TIMEOUT_MS), CQT_OK);
    /* the loop runs: a blocking call into the thread is served */
    cqt_object *o = cqt_object_new(t);
    cqt_thread *seen = NULL;
    ck_assert_int_eq(cqt_invoke(o, record_current, &seen, CQT_BLOCKING_QUEUED), CQT_OK);
    ck_assert_ptr_eq(seen, t);
    ck_assert_int_eq(cqt_test_counter_get(&r.returned), 0);
    ck_assert_int_eq(cqt_thread_exit(t, 7), CQT_OK);
    ck_assert_int_eq(cqt_thread_wait(t, CQT_TEST_TIMEOUT_MS), CQT_OK);
    ck_assert_int_eq(r.rc[0], 7);
    ck_assert_int_eq(cqt_thread_exit_code(t), 7);
    /* main and plain threads cannot */
    ck_assert_int_eq(cqt_thread_exec(), CQT_EWRONGTHREAD);
    ck_assert_ptr_nonnull(strstr(cqt_last_error(), "cqt_app_exec"));
    cqt_object_free(o);
    cqt_thread_free(t);
    cqt_event_free(r.entered);
}
END_TEST

static void *exec_in_pthread(void *arg)
{
    *(int *)arg = cqt_thread_exec();
    return NULL;
}

static void exit_then_exec(void *user_data)
{
    exec_rec *r = user_data;
    cqt_thread_exit(cqt_thread_current(), 3);
    r->rc[0] = cqt_thread_exec(); /* asked before: returns at once */
    r->rc[1] = cqt_thread_exec(); /* QThread::exec rule: a new loop, until the next exit */
    cqt_test_counter_add(&r->returned, 1);
}

static void exit_four(void *user_data)
{
    cqt_thread_exit(user_data, 4);
}

/* An exit asked before exec makes it return at once; exec may run again. */
START_TEST(test_thread_exec_after_exit_returns_at_once)
{
    int rc = 1;
    pthread_t pt;
    pthread_create(&pt, NULL, exec_in_pthread, &rc);
    pthread_join(pt, NULL);
    ck_assert_int_eq(rc, CQT_ENOLOOP);
    exec_rec r = {0};
    cqt_thread *t = cqt_thread_new("exec2");
    cqt_object *o = cqt_object_new(t);
    ck_assert_int_eq(cqt_thread_start(t), CQT_OK);
    ck_assert_int_eq(cqt_thread_post(t, exit_then_exec, &r, NULL), CQT_OK);
    ck_assert_int_eq(cqt_single_shot(50, o, exit_four, t), CQT_OK);
    ck_assert_int_eq(cqt_thread_wait(t, CQT_TEST_TIMEOUT_MS), CQT_OK);
    ck_assert_int_eq(r.rc[0], 3);
    ck_assert_int_eq(r.rc[1], 4);
    ck_assert_int_eq(cqt_thread_exit_code(t), 4);
    cqt_object_free(o);
    cqt_thread_free(t);
}
END_TEST

static void count_destroy(void *user_data)
{
    cqt_test_counter_add(user_data, 1);
}

static void post_mark(void *user_data)
{
    cqt_test_counter_add(user_data, 100);
}

/* cqt_thread_post runs in the thread without an object; its destroy runs
 * exactly once whether it ran, was refused or was dropped. */
START_TEST(test_thread_post_destroy_once)
{
    cqt_test_counter c = {0};
    cqt_thread *t = cqt_thread_new("post");
    ck_assert_int_eq(cqt_thread_start(t), CQT_OK);
    ck_assert_int_eq(cqt_thread_post(t, post_mark, &c, count_destroy), CQT_OK);
    ck_assert_int_eq(cqt_thread_quit(t), CQT_OK);
    ck_assert_int_eq(cqt_thread_wait(t, CQT_TEST_TIMEOUT_MS), CQT_OK);
    ck_assert_int_eq(cqt_test_counter_get(&c), 101); /* ran before the loop ended */
    /* refused: the loop has finished */
    ck_assert_int_eq(cqt_thread_post(t, post_mark, &c, count_destroy), CQT_ENOLOOP);
    ck_assert_ptr_nonnull(strstr(cqt_last_error(), "'post'"));
    ck_assert_int_eq(cqt_test_counter_get(&c), 102);
    /* bad input */
    ck_assert_int_eq(cqt_thread_post(NULL, post_mark, &c, count_destroy), CQT_EINVAL);
    ck_assert_int_eq(cqt_thread_post(t, NULL, &c, count_destroy), CQT_EINVAL);
    ck_assert_int_eq(cqt_test_counter_get(&c), 104);
    cqt_thread_free(t);
    /* dropped: a thread freed before it ever started */
    cqt_thread *never = cqt_thread_new("never");
    ck_assert_int_eq(cqt_thread_post(never, post_mark, &c, count_destroy), CQT_OK);
    cqt_thread_free(never);
    ck_assert_int_eq(cqt_test_counter_get(&c), 105);
    /* the main thread runs posts in its loop */
    ck_assert_int_eq(cqt_thread_post(cqt_thread_main(), post_mark, &c, count_destroy), CQT_OK);
    ck_assert_int_eq(cqt_app_process_events(0), CQT_OK);
    ck_assert_int_eq(cqt_test_counter_get(&c), 206);
}
END_TEST

typedef struct {
    cqt_event *entered;
    cqt_test_counter polls;
} intr_rec;

static void poll_interruption(void *user_data)
{
    intr_rec *r = user_data;
    cqt_thread *self = cqt_thread_current();
    cqt_event_set(r->entered);
    while (!cqt_thread_is_interruption_requested(self)) {
        cqt_test_counter_add(&r->polls, 1);
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
    }
    cqt_thread_quit(self);
}

/* requestInterruption sets a flag code in the thread polls; it is cleared
 * when the thread finished and when it starts again. */
START_TEST(test_thread_request_interruption)
{
    intr_rec r = {0};
    r.entered = cqt_event_new("entered");
    cqt_thread *t = cqt_thread_new("intr");
    ck_assert(!cqt_thread_is_interruption_requested(t));
    ck_assert_int_eq(cqt_thread_request_interruption(t), CQT_OK); /* not running: ignored */
    ck_assert_int_eq(cqt_thread_start(t), CQT_OK);
    ck_assert(!cqt_thread_is_interruption_requested(t));
    ck_assert_int_eq(cqt_thread_post(t, poll_interruption, &r, NULL), CQT_OK);
    ck_assert_int_eq(cqt_event_wait(r.entered, CQT_TEST_TIMEOUT_MS), CQT_OK);
    ck_assert_int_eq(cqt_thread_wait(t, 0), CQT_ETIMEDOUT);
    ck_assert_int_eq(cqt_thread_request_interruption(t), CQT_OK);
    ck_assert_int_eq(cqt_thread_wait(t, CQT_TEST_TIMEOUT_MS), CQT_OK);
    ck_assert(!cqt_thread_is_interruption_requested(t));
    ck_assert_int_eq(cqt_thread_request_interruption(NULL), CQT_EINVAL);
    ck_assert_int_eq(cqt_thread_request_interruption(cqt_thread_main()), CQT_EINVAL);
    ck_assert(!cqt_thread_is_interruption_requested(cqt_thread_main()));
    cqt_thread_free(t);
    cqt_event_free(r.entered);
}
END_TEST

static int exec_body(void *user_data, cqt_worker *w, cqt_value *result)
{
    (void)w;
    exec_rec *r = user_data;
    cqt_event_set(r->entered);
    r->rc[0] = cqt_thread_exec();
    *result = cqt_value_int(r->rc[0]);
    return CQT_OK;
}

/* A dedicated-thread worker's body waiting in cqt_thread_exec is woken by
 * cqt_worker_quit. */
START_TEST(test_thread_exec_in_worker_woken_by_quit)
{
    exec_rec r = {0};
    r.rc[0] = -100;
    r.entered = cqt_event_new("entered");
    cqt_worker *w = cqt_worker_new("exec-body", exec_body, &r, NULL);
    ck_assert_int_eq(cqt_worker_set_flags(w, CQT_WORKER_DEDICATED_THREAD), CQT_OK);
    ck_assert_int_eq(cqt_worker_start(w), CQT_OK);
    ck_assert_int_eq(cqt_event_wait(r.entered, CQT_TEST_TIMEOUT_MS), CQT_OK);
    ck_assert_int_eq(cqt_worker_quit(w), CQT_OK);
    ck_assert_int_eq(cqt_worker_wait(w, CQT_TEST_TIMEOUT_MS), CQT_OK);
    ck_assert_int_eq(r.rc[0], 0);
    cqt_worker_unref(w);
    cqt_event_free(r.entered);
}
END_TEST

/* cqt_app_shutdown ends a cqt_thread_exec at once (a cqt thread's own code
 * and a dedicated worker's body), so it does not time out. */
START_TEST(test_app_shutdown_wakes_thread_exec)
{
    ck_assert_int_eq(cqt_app_init(NULL, NULL, CQT_APP_CORE), CQT_OK);
    exec_rec r = {0}, rw = {0};
    r.entered = cqt_event_new("entered");
    rw.entered = cqt_event_new("entered-w");
    cqt_thread *t = cqt_thread_new("exec-sd");
    ck_assert_int_eq(cqt_thread_start(t), CQT_OK);
    ck_assert_int_eq(cqt_thread_post(t, run_exec, &r, NULL), CQT_OK);
    cqt_worker *w = cqt_worker_new("exec-sd-w", exec_body, &rw, NULL);
    ck_assert_int_eq(cqt_worker_set_flags(w, CQT_WORKER_DEDICATED_THREAD), CQT_OK);
    ck_assert_int_eq(cqt_worker_start(w), CQT_OK);
    ck_assert_int_eq(cqt_event_wait(r.entered, CQT_TEST_TIMEOUT_MS), CQT_OK);
    ck_assert_int_eq(cqt_event_wait(rw.entered, CQT_TEST_TIMEOUT_MS), CQT_OK);
    ck_assert_int_eq(cqt_app_shutdown(CQT_TEST_TIMEOUT_MS), CQT_OK);
    ck_assert_int_eq(cqt_test_counter_get(&r.returned), 1);
    ck_assert_int_eq(r.rc[0], 0);
    ck_assert_int_eq(rw.rc[0], 0);
    cqt_worker_unref(w);
    cqt_thread_free(t);
    cqt_event_free(r.entered);
    cqt_event_free(rw.entered);
}
END_TEST

static void start_self(void *user_data, const cqt_value *arg)
{
    (void)arg;
    life_rec *r = user_data;
    r->post_rc_in_finished = cqt_thread_start(r->t);
    r->code_in_finished = cqt_thread_exec(); /* the loop has returned */
}

/* A finished slot running in the thread cannot restart it (it would wait
 * for its own finish) nor run its loop again: CQT_ESTATE, not a hang. */
START_TEST(test_thread_start_from_own_finished_slot)
{
    life_rec r = {0};
    r.t = cqt_thread_new("selfstart");
    cqt_object *o = cqt_object_new(r.t);
    ck_assert_uint_ne(cqt_connect(cqt_thread_finished(r.t), o, start_self, &r, NULL, CQT_AUTO), 0);
    ck_assert_int_eq(cqt_thread_start(r.t), CQT_OK);
    ck_assert_int_eq(cqt_thread_quit(r.t), CQT_OK);
    ck_assert_int_eq(cqt_thread_wait(r.t, CQT_TEST_TIMEOUT_MS), CQT_OK);
    ck_assert_int_eq(r.post_rc_in_finished, CQT_ESTATE);
    ck_assert_int_eq(r.code_in_finished, CQT_ESTATE);
    cqt_object_free(o);
    cqt_thread_free(r.t);
}
END_TEST

CQT_TEST_SUITE(thread_suite)
{
    Suite *s = suite_create("thread");
    TCase *tc = tcase_create("thread");
    cqt_test_add_app_fixture(tc);
    tcase_add_test(tc, test_thread_lifecycle_and_restart);
    tcase_add_test(tc, test_thread_current_in_adopted_thread);
    tcase_add_test(tc, test_thread_wait_self_is_edeadlk);
    tcase_add_test(tc, test_thread_free_from_inside);
    tcase_add_test(tc, test_app_exec_and_quit);
    tcase_add_test(tc, test_pool_runs_tasks);
    tcase_add_test(tc, test_process_events_nested_in_delivery);
    tcase_add_test(tc, test_process_events_in_delivery_runs_later_posts);
    tcase_add_test(tc, test_thread_quit_runs_everything_queued);
    tcase_add_test(tc, test_thread_start_quit_race);
    tcase_add_test(tc, test_thread_free_reaps_os_thread);
    tcase_add_test(tc, test_thread_started_finished_signals);
    tcase_add_test(tc, test_thread_started_starts_timer);
    tcase_add_test(tc, test_thread_exec_returns_exit_code);
    tcase_add_test(tc, test_thread_exec_after_exit_returns_at_once);
    tcase_add_test(tc, test_thread_post_destroy_once);
    tcase_add_test(tc, test_thread_request_interruption);
    tcase_add_test(tc, test_thread_exec_in_worker_woken_by_quit);
    tcase_add_test(tc, test_thread_start_from_own_finished_slot);
    suite_add_tcase(s, tc);
    TCase *app = tcase_create("app");
    tcase_add_test(app, test_app_shutdown_joins_and_names_stragglers);
    tcase_add_test(app, test_app_shutdown_hooks);
    tcase_add_test(app, test_app_shutdown_reaps_os_threads);
    tcase_add_test(app, test_app_shutdown_wakes_thread_exec);
    suite_add_tcase(s, app);
    return s;
}
