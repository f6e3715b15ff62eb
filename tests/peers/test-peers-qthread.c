/* SPDX-License-Identifier: MIT */
/* test-peers-qthread.c — Qt 5.15's tests/auto/corelib/thread/qthread/
 * tst_qthread.cpp, ported to cqt threads. One test per Qt test that
 * applies, named after it; README.md lists the ones that do not apply.
 * A QThread subclass's run() becomes a function posted to a cqt thread
 * (cqt_thread_post) that runs the thread's loop with cqt_thread_exec()
 * where Qt's run() calls exec(). Qt's five-minute waits become
 * CQT_TEST_TIMEOUT_MS; timing checks keep Qt's lower bounds only. */
#include "cqt-test.h"

#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

static void nothing(void *arg)
{
    (void)arg;
}

static int64_t now_ms(void)
{
    return cqt_now_ns() / 1000000;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static void quit_fn(void *t)
{
    cqt_thread_quit(t);
}

/* Starts @t, runs @fn in it and waits until it finished (Qt's start()
 * then wait() of a thread whose run() is @fn, without exec). */
static void run_once(cqt_thread *t, cqt_fn fn, void *arg)
{
    ck_assert_int_eq(cqt_thread_post(t, fn, arg, NULL), CQT_OK);
    ck_assert_int_eq(cqt_thread_start(t), CQT_OK);
    ck_assert_int_eq(cqt_thread_post(t, quit_fn, t, NULL), CQT_OK);
    ck_assert_int_eq(cqt_thread_wait(t, CQT_TEST_TIMEOUT_MS), CQT_OK);
}

typedef struct {
    pthread_t os;
    cqt_thread *self;
} current_rec;

static void record_current(void *arg)
{
    current_rec *r = arg;
    r->os = pthread_self();
    r->self = cqt_thread_current();
}

/* Origin: tst_QThread::currentThreadId. */
START_TEST(test_qthread_current_thread_id)
{
    current_rec r = {0};
    cqt_thread *t = cqt_thread_new("cur-id");
    r.os = pthread_self();
    ck_assert_int_eq(cqt_thread_post(t, record_current, &r, NULL), CQT_OK);
    ck_assert_int_eq(cqt_thread_post(t, quit_fn, t, NULL), CQT_OK);
    ck_assert_int_eq(cqt_thread_start(t), CQT_OK);
    ck_assert_int_eq(cqt_thread_wait(t, CQT_TEST_TIMEOUT_MS), CQT_OK);
    ck_assert(!pthread_equal(r.os, pthread_self()));
    cqt_thread_free(t);
}
END_TEST

/* Origin: tst_QThread::currentThread. */
START_TEST(test_qthread_current_thread)
{
    ck_assert_ptr_nonnull(cqt_thread_current());
    ck_assert_ptr_eq(cqt_thread_current(), cqt_thread_main());
    current_rec r = {0};
    cqt_thread *t = cqt_thread_new("cur");
    ck_assert_int_eq(cqt_thread_post(t, record_current, &r, NULL), CQT_OK);
    ck_assert_int_eq(cqt_thread_post(t, quit_fn, t, NULL), CQT_OK);
    ck_assert_int_eq(cqt_thread_start(t), CQT_OK);
    ck_assert_int_eq(cqt_thread_wait(t, CQT_TEST_TIMEOUT_MS), CQT_OK);
    ck_assert_ptr_eq(r.self, t);
    cqt_thread_free(t);
}
END_TEST

/* Origin: tst_QThread::idealThreadCount. cqt's pool is sized by it. */
START_TEST(test_qthread_ideal_thread_count)
{
    ck_assert_int_gt(cqt_pool_max_threads(), 0);
}
END_TEST

typedef struct {
    cqt_event *go;
} simple_rec;

static void simple_run(void *arg)
{
    simple_rec *r = arg;
    cqt_event_wait(r->go, CQT_FOREVER);
    cqt_thread_quit(cqt_thread_current());
}

/* Origin: tst_QThread::isFinished. cqt has no is_finished (intentional
 * difference): a thread has finished when it does not run and
 * cqt_thread_wait(t, 0) succeeds. */
START_TEST(test_qthread_is_finished)
{
    simple_rec r = {cqt_event_new("go")};
    cqt_thread *t = cqt_thread_new("fin");
    ck_assert(!cqt_thread_is_running(t));
    ck_assert_int_eq(cqt_thread_post(t, simple_run, &r, NULL), CQT_OK);
    ck_assert_int_eq(cqt_thread_start(t), CQT_OK);
    ck_assert_int_eq(cqt_thread_wait(t, 0), CQT_ETIMEDOUT); /* not finished */
    cqt_event_set(r.go);
    ck_assert_int_eq(cqt_thread_wait(t, CQT_TEST_TIMEOUT_MS), CQT_OK);
    ck_assert(!cqt_thread_is_running(t));
    ck_assert_int_eq(cqt_thread_wait(t, 0), CQT_OK);
    cqt_thread_free(t);
    cqt_event_free(r.go);
}
END_TEST

/* Origin: tst_QThread::isRunning. */
START_TEST(test_qthread_is_running)
{
    simple_rec r = {cqt_event_new("go")};
    cqt_thread *t = cqt_thread_new("run");
    ck_assert(!cqt_thread_is_running(t));
    ck_assert_int_eq(cqt_thread_post(t, simple_run, &r, NULL), CQT_OK);
    ck_assert_int_eq(cqt_thread_start(t), CQT_OK);
    ck_assert(cqt_thread_is_running(t));
    cqt_event_set(r.go);
    ck_assert_int_eq(cqt_thread_wait(t, CQT_TEST_TIMEOUT_MS), CQT_OK);
    ck_assert(!cqt_thread_is_running(t));
    cqt_thread_free(t);
    cqt_event_free(r.go);
}
END_TEST

typedef struct {
    cqt_thread *t;
    cqt_object *obj; /* lives in t */
    int code;
    int result;
    bool with_object;
    cqt_event *ready; /* Qt's cond.wakeOne() at the top of run() */
} exit_rec;

static void exit_slot(void *arg)
{
    exit_rec *r = arg;
    cqt_thread_exit(r->t, r->code);
}

/* Qt's Exit_Thread::run: a 100 ms single shot calls exit(code), then exec(). */
static void exit_run(void *arg)
{
    exit_rec *r = arg;
    cqt_event_set(r->ready);
    if (r->with_object)
        ck_assert_int_eq(cqt_single_shot(100, r->obj, exit_slot, r), CQT_OK);
    r->result = cqt_thread_exec();
}

/* Origin: tst_QThread::exit. Qt's second half calls exit() right after
 * start(), before run() may have reached exec(); here the exit then ends
 * the thread's own loop, whose code cqt_thread_exit_code() reports. */
START_TEST(test_qthread_exit)
{
    exit_rec r = {0};
    r.t = cqt_thread_new("exit");
    r.obj = cqt_object_new(r.t);
    r.code = 42;
    r.with_object = true;
    r.ready = cqt_event_new("ready");
    ck_assert(!cqt_thread_is_running(r.t));
    ck_assert_int_eq(cqt_thread_post(r.t, exit_run, &r, NULL), CQT_OK);
    ck_assert_int_eq(cqt_thread_start(r.t), CQT_OK);
    ck_assert(cqt_thread_is_running(r.t));
    ck_assert_int_eq(cqt_event_wait(r.ready, CQT_TEST_TIMEOUT_MS), CQT_OK);
    ck_assert_int_eq(cqt_thread_wait(r.t, CQT_TEST_TIMEOUT_MS), CQT_OK);
    ck_assert(!cqt_thread_is_running(r.t));
    ck_assert_int_eq(r.result, r.code);
    ck_assert_int_eq(cqt_thread_exit_code(r.t), r.code);
    cqt_object_free(r.obj);
    cqt_thread_free(r.t);

    cqt_thread *t2 = cqt_thread_new("exit2");
    ck_assert_int_eq(cqt_thread_start(t2), CQT_OK);
    ck_assert_int_eq(cqt_thread_exit(t2, 53), CQT_OK);
    ck_assert_int_eq(cqt_thread_wait(t2, CQT_TEST_TIMEOUT_MS), CQT_OK);
    ck_assert_int_eq(cqt_thread_exit_code(t2), 53);
    cqt_thread_free(t2);
    cqt_event_free(r.ready);
}
END_TEST

/* Origin: tst_QThread::start. Qt starts once per priority; cqt has no
 * thread priorities (see README), so this runs the same checks once per
 * Qt priority value without one. */
START_TEST(test_qthread_start)
{
    for (int i = 0; i < 8; i++) {
        simple_rec r = {cqt_event_new("go")};
        cqt_thread *t = cqt_thread_new("start");
        ck_assert(!cqt_thread_is_running(t));
        ck_assert_int_eq(cqt_thread_post(t, simple_run, &r, NULL), CQT_OK);
        ck_assert_int_eq(cqt_thread_start(t), CQT_OK);
        ck_assert(cqt_thread_is_running(t));
        cqt_event_set(r.go);
        ck_assert_int_eq(cqt_thread_wait(t, CQT_TEST_TIMEOUT_MS), CQT_OK);
        ck_assert(!cqt_thread_is_running(t));
        cqt_thread_free(t);
        cqt_event_free(r.go);
    }
}
END_TEST

static void quit_slot(void *arg)
{
    exit_rec *r = arg;
    cqt_thread_quit(r->t);
}

static void quit_run(void *arg)
{
    exit_rec *r = arg;
    cqt_event_set(r->ready);
    if (r->with_object)
        ck_assert_int_eq(cqt_single_shot(100, r->obj, quit_slot, r), CQT_OK);
    r->result = cqt_thread_exec();
}

/* Origin: tst_QThread::quit. As exit, with code 0. */
START_TEST(test_qthread_quit)
{
    exit_rec r = {0};
    r.t = cqt_thread_new("quit");
    r.obj = cqt_object_new(r.t);
    r.result = -1;
    r.with_object = true;
    r.ready = cqt_event_new("ready");
    ck_assert_int_eq(cqt_thread_post(r.t, quit_run, &r, NULL), CQT_OK);
    ck_assert_int_eq(cqt_thread_start(r.t), CQT_OK);
    ck_assert(cqt_thread_is_running(r.t));
    ck_assert_int_eq(cqt_event_wait(r.ready, CQT_TEST_TIMEOUT_MS), CQT_OK);
    ck_assert_int_eq(cqt_thread_wait(r.t, CQT_TEST_TIMEOUT_MS), CQT_OK);
    ck_assert(!cqt_thread_is_running(r.t));
    ck_assert_int_eq(r.result, 0);
    cqt_object_free(r.obj);
    cqt_thread_free(r.t);

    cqt_thread *t2 = cqt_thread_new("quit2");
    ck_assert_int_eq(cqt_thread_start(t2), CQT_OK);
    ck_assert_int_eq(cqt_thread_quit(t2), CQT_OK);
    ck_assert_int_eq(cqt_thread_wait(t2, CQT_TEST_TIMEOUT_MS), CQT_OK);
    ck_assert_int_eq(cqt_thread_exit_code(t2), 0);
    cqt_thread_free(t2);
    cqt_event_free(r.ready);
}
END_TEST

static void record_slot(void *user_data, const cqt_value *arg)
{
    (void)arg;
    cqt_test_counter_add(user_data, 1);
}

/* Origin: tst_QThread::started (a direct connection). */
START_TEST(test_qthread_started)
{
    cqt_test_counter activations = {0};
    cqt_object *recorder = cqt_object_new(NULL);
    cqt_thread *t = cqt_thread_new("started");
    ck_assert_uint_ne(cqt_connect(cqt_thread_started(t), recorder, record_slot, &activations,
                                  NULL, CQT_DIRECT),
                      0);
    ck_assert_int_eq(cqt_thread_post(t, quit_fn, t, NULL), CQT_OK);
    ck_assert_int_eq(cqt_thread_start(t), CQT_OK);
    ck_assert_int_eq(cqt_thread_wait(t, CQT_TEST_TIMEOUT_MS), CQT_OK);
    ck_assert_int_gt(cqt_test_counter_get(&activations), 0);
    cqt_thread_free(t);
    cqt_object_free(recorder);
}
END_TEST

/* Origin: tst_QThread::finished (a direct connection). */
START_TEST(test_qthread_finished)
{
    cqt_test_counter activations = {0};
    cqt_object *recorder = cqt_object_new(NULL);
    cqt_thread *t = cqt_thread_new("finished");
    ck_assert_uint_ne(cqt_connect(cqt_thread_finished(t), recorder, record_slot, &activations,
                                  NULL, CQT_DIRECT),
                      0);
    ck_assert_int_eq(cqt_thread_post(t, quit_fn, t, NULL), CQT_OK);
    ck_assert_int_eq(cqt_thread_start(t), CQT_OK);
    ck_assert_int_eq(cqt_thread_wait(t, CQT_TEST_TIMEOUT_MS), CQT_OK);
    ck_assert_int_gt(cqt_test_counter_get(&activations), 0);
    cqt_thread_free(t);
    cqt_object_free(recorder);
}
END_TEST

typedef struct {
    cqt_object *obj;
    int res1, res2;
} multi_exec_rec;

static void exit_one(void *arg)
{
    (void)arg;
    cqt_thread_exit(cqt_thread_current(), 1);
}

static void exit_two(void *arg)
{
    (void)arg;
    cqt_thread_exit(cqt_thread_current(), 2);
}

static void multi_exec_run(void *arg)
{
    multi_exec_rec *r = arg;
    ck_assert_int_eq(cqt_single_shot(100, r->obj, exit_one, NULL), CQT_OK);
    r->res1 = cqt_thread_exec();
    ck_assert_int_eq(cqt_single_shot(100, r->obj, exit_two, NULL), CQT_OK);
    r->res2 = cqt_thread_exec();
}

/* Origin: tst_QThread::exec (two exec() calls in a row, each ended by exit). */
START_TEST(test_qthread_exec)
{
    multi_exec_rec r = {NULL, -2, -2};
    cqt_thread *t = cqt_thread_new("multi-exec");
    r.obj = cqt_object_new(t);
    ck_assert_int_eq(cqt_thread_post(t, multi_exec_run, &r, NULL), CQT_OK);
    ck_assert_int_eq(cqt_thread_start(t), CQT_OK);
    ck_assert_int_eq(cqt_thread_wait(t, CQT_TEST_TIMEOUT_MS), CQT_OK);
    ck_assert_int_eq(r.res1, 1);
    ck_assert_int_eq(r.res2, 2);
    cqt_object_free(r.obj);
    cqt_thread_free(t);
}
END_TEST

typedef struct {
    cqt_thread *self;
    cqt_thread *main;
    cqt_thread *object_thread;
    int exec_rc;
    bool running;
    bool has_loop;
    cqt_signal *finished;
} adopted_rec;

static void *adopted_probe(void *arg)
{
    adopted_rec *r = arg;
    r->self = cqt_thread_current();
    cqt_object *o = cqt_object_new(NULL);
    r->object_thread = cqt_object_thread(o);
    cqt_object_free(o);
    r->running = cqt_thread_is_running(r->self);
    r->has_loop = cqt_thread_has_loop(r->self);
    r->exec_rc = cqt_thread_exec();
    r->finished = cqt_thread_finished(r->self);
    return NULL;
}

static void run_adopted(adopted_rec *r)
{
    pthread_t pt;
    ck_assert_int_eq(pthread_create(&pt, NULL, adopted_probe, r), 0);
    ck_assert_int_eq(pthread_join(pt, NULL), 0);
}

/* Origin: tst_QThread::nativeThreadAdoption. */
START_TEST(test_qthread_native_thread_adoption)
{
    adopted_rec r = {0};
    run_adopted(&r);
    ck_assert_ptr_nonnull(r.self);
    ck_assert_ptr_ne(r.self, cqt_thread_main());
}
END_TEST

/* Origin: tst_QThread::adoptedThreadAffinity: what is created in an
 * adopted thread lives there. */
START_TEST(test_qthread_adopted_thread_affinity)
{
    adopted_rec r = {0};
    run_adopted(&r);
    ck_assert_ptr_eq(r.object_thread, r.self);
}
END_TEST

/* Origin: tst_QThread::adoptedThreadExit. Intentional difference: Qt's
 * adopted QThread reports isRunning; a cqt adopted thread runs no loop, so
 * cqt_thread_is_running() is false and cqt_thread_has_loop() says why. */
START_TEST(test_qthread_adopted_thread_exit)
{
    adopted_rec r = {0};
    r.running = true;
    r.has_loop = true;
    run_adopted(&r);
    ck_assert(!r.running);
    ck_assert(!r.has_loop);
}
END_TEST

/* Origin: tst_QThread::adoptedThreadExec. Intentional difference (pitfall
 * P2): an adopted thread cannot run a loop, so cqt_thread_exec() there
 * returns CQT_ENOLOOP instead of running one. */
START_TEST(test_qthread_adopted_thread_exec)
{
    adopted_rec r = {0};
    run_adopted(&r);
    ck_assert_int_eq(r.exec_rc, CQT_ENOLOOP);
}
END_TEST

/* Origin: tst_QThread::adoptedThreadFinished. Intentional difference: an
 * adopted thread has no finished signal (its handle goes with the OS
 * thread); cqt_thread_finished() refuses it. */
START_TEST(test_qthread_adopted_thread_finished)
{
    adopted_rec r = {0};
    r.finished = (cqt_signal *)&r;
    run_adopted(&r);
    ck_assert_ptr_null(r.finished);
}
END_TEST

typedef struct {
    cqt_object *sync1, *sync2; /* live in the thread */
    cqt_signal *changed1, *changed2;
    int prop1, prop2;
    cqt_thread *t;
} sync_rec;

static void set_prop1(void *user_data, const cqt_value *arg)
{
    sync_rec *r = user_data;
    int p = (int)cqt_value_get_int(arg);
    if (r->prop1 != p) {
        r->prop1 = p;
        cqt_emit(r->changed1, arg);
    }
}

static void set_prop2_call(void *user_data)
{
    sync_rec *r = user_data;
    if (r->prop2 != 89) {
        r->prop2 = 89;
        cqt_value v = cqt_value_int(89);
        cqt_emit(r->changed2, &v);
    }
}

static void quit_thread_slot(void *user_data, const cqt_value *arg)
{
    (void)arg;
    sync_rec *r = user_data;
    cqt_thread_quit(r->t);
}

static bool thread_done(void *arg)
{
    return cqt_thread_wait(arg, 0) == CQT_OK && !cqt_thread_is_running(arg);
}

/* Origin: tst_QThread::exitAndStart. An exit before start does nothing. */
START_TEST(test_qthread_exit_and_start)
{
    cqt_thread *t = cqt_thread_new("exit-start");
    ck_assert_int_eq(cqt_thread_exit(t, 555), CQT_OK); /* should do nothing */
    ck_assert_int_eq(cqt_thread_start(t), CQT_OK);
    sync_rec r = {0};
    r.t = t;
    r.prop1 = r.prop2 = 42;
    r.sync1 = cqt_object_new(t);
    r.sync2 = cqt_object_new(t);
    r.changed1 = cqt_signal_new(r.sync1, "propChanged");
    r.changed2 = cqt_signal_new(r.sync2, "propChanged");
    cqt_object *main_obj = cqt_object_new(NULL);
    ck_assert_uint_ne(cqt_connect(r.changed2, r.sync1, set_prop1, &r, NULL, CQT_QUEUED), 0);
    ck_assert_uint_ne(cqt_connect(r.changed1, main_obj, quit_thread_slot, &r, NULL, CQT_QUEUED), 0);
    ck_assert_int_eq(cqt_invoke(r.sync2, set_prop2_call, &r, CQT_QUEUED), CQT_OK);
    ck_assert(cqt_test_run_until(thread_done, t, CQT_TEST_TIMEOUT_MS));
    ck_assert_int_eq(r.prop2, 89);
    ck_assert_int_eq(r.prop1, 89);
    ck_assert_int_eq(cqt_thread_exit_code(t), 0); /* the 555 was dropped */
    cqt_object_free(main_obj);
    cqt_object_free(r.sync1);
    cqt_object_free(r.sync2);
    cqt_thread_free(t);
}
END_TEST

typedef struct {
    cqt_event *entered, *sem1, *sem2;
    int value1, value2;
} exit_exec_rec;

static void exit_exec_run(void *arg)
{
    exit_exec_rec *r = arg;
    cqt_event_set(r->entered);
    cqt_event_wait(r->sem1, CQT_FOREVER);
    r->value1 = cqt_thread_exec(); /* first entrance: exit asked before */
    cqt_event_set(r->sem2);
    r->value2 = cqt_thread_exec(); /* second loop */
}

/* Origin: tst_QThread::exitAndExec. An exit asked before exec() makes it
 * return that code at once; a second exec() runs the loop again. */
START_TEST(test_qthread_exit_and_exec)
{
    exit_exec_rec e = {cqt_event_new("entered"), cqt_event_new("sem1"), cqt_event_new("sem2"),
                       0, -5};
    cqt_thread *t = cqt_thread_new("exit-exec");
    ck_assert_int_eq(cqt_thread_start(t), CQT_OK);
    ck_assert_int_eq(cqt_thread_post(t, exit_exec_run, &e, NULL), CQT_OK);
    /* Qt's run() may still be before its first exec() here; in cqt the
     * posted function must have begun, else the exit ends the thread's
     * own loop before it runs. */
    ck_assert_int_eq(cqt_event_wait(e.entered, CQT_TEST_TIMEOUT_MS), CQT_OK);
    ck_assert_int_eq(cqt_thread_exit(t, 556), CQT_OK);
    cqt_event_set(e.sem1);
    ck_assert_int_eq(cqt_event_wait(e.sem2, CQT_TEST_TIMEOUT_MS), CQT_OK);
    ck_assert_int_eq(e.value1, 556);

    sync_rec r = {0};
    r.t = t;
    r.prop1 = r.prop2 = 42;
    r.sync1 = cqt_object_new(t);
    r.sync2 = cqt_object_new(t);
    r.changed1 = cqt_signal_new(r.sync1, "propChanged");
    r.changed2 = cqt_signal_new(r.sync2, "propChanged");
    cqt_object *main_obj = cqt_object_new(NULL);
    ck_assert_uint_ne(cqt_connect(r.changed2, r.sync1, set_prop1, &r, NULL, CQT_QUEUED), 0);
    ck_assert_uint_ne(cqt_connect(r.changed1, main_obj, quit_thread_slot, &r, NULL, CQT_QUEUED), 0);
    ck_assert_int_eq(cqt_invoke(r.sync2, set_prop2_call, &r, CQT_QUEUED), CQT_OK);
    ck_assert(cqt_test_run_until(thread_done, t, CQT_TEST_TIMEOUT_MS));
    ck_assert_int_eq(r.prop2, 89);
    ck_assert_int_eq(r.prop1, 89);
    ck_assert_int_eq(e.value2, 0);
    cqt_object_free(main_obj);
    cqt_object_free(r.sync1);
    cqt_object_free(r.sync2);
    cqt_thread_free(t);
    cqt_event_free(e.entered);
    cqt_event_free(e.sem1);
    cqt_event_free(e.sem2);
}
END_TEST

static void quit_own_thread(void *user_data, const cqt_value *arg)
{
    (void)arg;
    cqt_thread_quit(user_data);
}

static void free_object_slot(void *user_data, const cqt_value *arg)
{
    (void)arg;
    cqt_object_free(user_data);
}

/* Origin: tst_QThread::connectThreadFinishedSignalToObjectDeleteLaterSlot.
 * An object living in the thread, freed by a slot of finished. */
START_TEST(test_qthread_connect_thread_finished_signal_to_object_delete_later_slot)
{
    cqt_thread *t = cqt_thread_new("fin-free");
    cqt_object *object = cqt_object_new(t);
    ck_assert_uint_ne(cqt_connect(cqt_thread_started(t), object, quit_own_thread, t, NULL,
                                  CQT_DIRECT),
                      0);
    ck_assert_uint_ne(cqt_connect(cqt_thread_finished(t), object, free_object_slot, object, NULL,
                                  CQT_AUTO),
                      0);
    cqt_live_counts before;
    cqt_debug_live_counts(&before);
    ck_assert_int_eq(cqt_thread_start(t), CQT_OK);
    ck_assert_int_eq(cqt_thread_wait(t, 30000), CQT_OK);
    cqt_live_counts after;
    cqt_debug_live_counts(&after);
    ck_assert_int_eq(after.objects, before.objects - 1); /* freed */
    cqt_thread_free(t);
}
END_TEST

typedef struct {
    cqt_event *cond1;
} waiting_rec;

enum { WAIT_TIME = 800 };

static void waiting_run(void *arg)
{
    waiting_rec *r = arg;
    cqt_event_wait(r->cond1, CQT_FOREVER);
    cqt_event *cond2 = cqt_event_new("cond2"); /* never set: waits WaitTime */
    cqt_event_wait(cond2, WAIT_TIME);
    cqt_event_free(cond2);
    cqt_thread_quit(cqt_thread_current());
}

/* Origin: tst_QThread::wait2. Qt's lower bounds (WaitTime - 10 ms, then
 * WaitTime - 1 ms) are kept; no upper bound, as in Qt. */
START_TEST(test_qthread_wait2)
{
    waiting_rec r = {cqt_event_new("cond1")};
    cqt_thread *t = cqt_thread_new("waiting");
    ck_assert_int_eq(cqt_thread_post(t, waiting_run, &r, NULL), CQT_OK);
    ck_assert_int_eq(cqt_thread_start(t), CQT_OK);
    int64_t start = now_ms();
    ck_assert_int_eq(cqt_thread_wait(t, WAIT_TIME), CQT_ETIMEDOUT);
    int64_t elapsed = now_ms() - start;
    ck_assert_msg(elapsed >= WAIT_TIME - 10, "elapsed: %lld", (long long)elapsed);
    start = now_ms();
    cqt_event_set(r.cond1);
    ck_assert_int_eq(cqt_thread_wait(t, CQT_FOREVER), CQT_OK);
    elapsed = now_ms() - start;
    ck_assert_msg(elapsed - WAIT_TIME >= -1, "elapsed: %lld", (long long)elapsed);
    cqt_thread_free(t);
    cqt_event_free(r.cond1);
}
END_TEST

static void slow_slot(void *user_data, const cqt_value *arg)
{
    (void)arg;
    cqt_event_wait(user_data, CQT_FOREVER);
}

/* Origin: tst_QThread::wait3_slowDestructor. wait() does not return while
 * a direct slot of finished still runs. */
START_TEST(test_qthread_wait3_slow_destructor)
{
    cqt_event *slow = cqt_event_new("slow");
    cqt_object *slow_obj = cqt_object_new(NULL);
    cqt_thread *t = cqt_thread_new("slow-fin");
    ck_assert_uint_ne(cqt_connect(cqt_thread_finished(t), slow_obj, slow_slot, slow, NULL,
                                  CQT_DIRECT),
                      0);
    ck_assert_int_eq(cqt_thread_start(t), CQT_OK);
    ck_assert_int_eq(cqt_thread_quit(t), CQT_OK);
    int64_t start = now_ms();
    ck_assert_int_eq(cqt_thread_wait(t, WAIT_TIME), CQT_ETIMEDOUT);
    int64_t elapsed = now_ms() - start;
    ck_assert_msg(elapsed >= WAIT_TIME - 1, "elapsed: %lld", (long long)elapsed);
    cqt_event_set(slow);
    ck_assert_int_eq(cqt_thread_wait(t, 60000), CQT_OK);
    cqt_thread_free(t);
    cqt_object_free(slow_obj);
    cqt_event_free(slow);
}
END_TEST

typedef struct {
    cqt_thread *t;
    bool freed;
    int restarts_left;
} race_rec;

static void free_thread_slot(void *user_data, const cqt_value *arg)
{
    (void)arg;
    race_rec *r = user_data;
    cqt_thread_free(r->t);
    r->freed = true;
}

static bool is_freed(void *arg)
{
    return ((race_rec *)arg)->freed;
}

/* Origin: tst_QThread::destroyFinishRace. Qt connects finished to the
 * thread's deleteLater (run in main, where the QThread lives); here a
 * slot of finished running in main frees the thread. */
START_TEST(test_qthread_destroy_finish_race)
{
    cqt_object *main_obj = cqt_object_new(NULL);
    for (int i = 0; i < 15; i++) {
        race_rec r = {cqt_thread_new("destroy-race"), false, 0};
        ck_assert_uint_ne(cqt_connect(cqt_thread_finished(r.t), main_obj, free_thread_slot, &r,
                                      NULL, CQT_AUTO),
                          0);
        ck_assert_int_eq(cqt_thread_post(r.t, quit_fn, r.t, NULL), CQT_OK);
        ck_assert_int_eq(cqt_thread_start(r.t), CQT_OK);
        ck_assert(cqt_test_run_until(is_freed, &r, CQT_TEST_TIMEOUT_MS));
    }
    cqt_object_free(main_obj);
}
END_TEST

static void race_started(void *user_data, const cqt_value *arg)
{
    (void)arg;
    race_rec *r = user_data;
    r->restarts_left--; /* Qt's run(): i-- */
    cqt_thread_quit(r->t);
}

static void race_finished(void *user_data, const cqt_value *arg)
{
    (void)arg;
    race_rec *r = user_data;
    if (r->restarts_left > 0)
        ck_assert_int_eq(cqt_thread_start(r->t), CQT_OK);
    else
        r->freed = true; /* Qt disconnects finished from start() here */
}

/* Origin: tst_QThread::startFinishRace. finished restarts the thread (in
 * main, where Qt's QThread lives) until it ran 50 times. */
START_TEST(test_qthread_start_finish_race)
{
    cqt_object *main_obj = cqt_object_new(NULL);
    for (int i = 0; i < 15; i++) {
        race_rec r = {cqt_thread_new("start-race"), false, 50};
        cqt_object *in_t = cqt_object_new(r.t);
        ck_assert_uint_ne(cqt_connect(cqt_thread_started(r.t), in_t, race_started, &r, NULL,
                                      CQT_AUTO),
                          0);
        ck_assert_uint_ne(cqt_connect(cqt_thread_finished(r.t), main_obj, race_finished, &r, NULL,
                                      CQT_AUTO),
                          0);
        ck_assert_int_eq(cqt_thread_start(r.t), CQT_OK);
        ck_assert(cqt_test_run_until(is_freed, &r, CQT_TEST_TIMEOUT_MS * 6));
        ck_assert_int_eq(cqt_thread_wait(r.t, CQT_TEST_TIMEOUT_MS), CQT_OK);
        ck_assert_int_eq(r.restarts_left, 0);
        cqt_object_free(in_t);
        cqt_thread_free(r.t);
    }
    cqt_object_free(main_obj);
}
END_TEST

static void exec_fn(void *arg)
{
    (void)arg;
    cqt_thread_exec();
}

/* Origin: tst_QThread::startAndQuitCustomEventLoop. */
START_TEST(test_qthread_start_and_quit_custom_event_loop)
{
    for (int i = 0; i < 5; i++) {
        cqt_thread *t = cqt_thread_new("custom-loop");
        ck_assert_int_eq(cqt_thread_post(t, exec_fn, NULL, NULL), CQT_OK);
        ck_assert_int_eq(cqt_thread_start(t), CQT_OK);
        ck_assert_int_eq(cqt_thread_quit(t), CQT_OK);
        ck_assert_int_eq(cqt_thread_wait(t, CQT_TEST_TIMEOUT_MS), CQT_OK);
        cqt_thread_free(t);
    }
}
END_TEST

typedef struct {
    cqt_thread *t;
    cqt_test_counter ok; /* one per slot that saw the thread finished */
    cqt_test_counter calls;
} finished_test_rec;

static void slot_finished(void *user_data, const cqt_value *arg)
{
    (void)arg;
    finished_test_rec *r = user_data;
    if (!cqt_thread_is_running(r->t))
        cqt_test_counter_add(&r->ok, 1);
    cqt_test_counter_add(&r->calls, 1);
}

static bool both_called(void *arg)
{
    return cqt_test_counter_get(&((finished_test_rec *)arg)->calls) == 2;
}

/* Origin: tst_QThread::isRunningInFinished. Slots of finished, in main
 * and in the thread, see it not running. (Qt also checks isFinished; see
 * test_qthread_is_finished for cqt's equivalent, which cannot be asked
 * from inside the thread: wait there is CQT_EDEADLK.) */
START_TEST(test_qthread_is_running_in_finished)
{
    for (int i = 0; i < 15; i++) {
        finished_test_rec r = {0};
        r.t = cqt_thread_new("run-in-fin");
        ck_assert_int_eq(cqt_thread_start(r.t), CQT_OK);
        cqt_object *local = cqt_object_new(NULL);
        cqt_object *in_thread = cqt_object_new(r.t);
        ck_assert_uint_ne(cqt_connect(cqt_thread_finished(r.t), local, slot_finished, &r, NULL,
                                      CQT_AUTO),
                          0);
        ck_assert_uint_ne(cqt_connect(cqt_thread_finished(r.t), in_thread, slot_finished, &r,
                                      NULL, CQT_AUTO),
                          0);
        /* Qt: QMetaObject::invokeMethod(&thread, "quit", Qt::QueuedConnection) */
        ck_assert_int_eq(cqt_thread_post(cqt_thread_main(), quit_fn, r.t, NULL), CQT_OK);
        ck_assert(cqt_test_run_until(both_called, &r, CQT_TEST_TIMEOUT_MS));
        ck_assert_int_eq(cqt_thread_wait(r.t, CQT_TEST_TIMEOUT_MS), CQT_OK);
        ck_assert(!cqt_thread_is_running(r.t));
        ck_assert_int_eq(cqt_test_counter_get(&r.ok), 2);
        cqt_object_free(local);
        cqt_object_free(in_thread);
        cqt_thread_free(r.t);
    }
}
END_TEST

typedef struct {
    cqt_event *sem;
    cqt_thread *t;
    cqt_signal *finished;
    int released;
} stoppable_rec;

static void stoppable_run(void *user_data, const cqt_value *arg)
{
    (void)arg;
    stoppable_rec *r = user_data;
    cqt_event_set(r->sem);
    while (!cqt_thread_is_interruption_requested(cqt_thread_current()))
        sleep_ms(10);
    cqt_emit(r->finished, NULL);
}

/* Origin: tst_QThread::requestTermination (requestInterruption /
 * isInterruptionRequested). Qt's semaphore is a cqt_event here (set, then
 * cleared by the waiter); Qt's wait(1000) for the end is
 * CQT_TEST_TIMEOUT_MS. */
START_TEST(test_qthread_request_termination)
{
    stoppable_rec r = {cqt_event_new("sem"), cqt_thread_new("stoppable"), NULL, 0};
    ck_assert(!cqt_thread_is_interruption_requested(r.t));
    cqt_object *job = cqt_object_new(r.t);
    r.finished = cqt_signal_new(job, "finished");
    ck_assert_uint_ne(cqt_connect(cqt_thread_started(r.t), job, stoppable_run, &r, NULL, CQT_AUTO),
                      0);
    ck_assert_uint_ne(cqt_connect(r.finished, job, quit_own_thread, r.t, NULL, CQT_DIRECT), 0);
    ck_assert_uint_ne(cqt_connect(cqt_thread_finished(r.t), job, free_object_slot, job, NULL,
                                  CQT_AUTO),
                      0);
    ck_assert_int_eq(cqt_thread_start(r.t), CQT_OK);
    ck_assert(!cqt_thread_is_interruption_requested(r.t));
    ck_assert_int_eq(cqt_event_wait(r.sem, CQT_TEST_TIMEOUT_MS), CQT_OK);
    cqt_event_clear(r.sem);
    ck_assert_int_eq(cqt_thread_wait(r.t, 1000), CQT_ETIMEDOUT);
    ck_assert_int_eq(cqt_thread_request_interruption(r.t), CQT_OK);
    ck_assert_int_eq(cqt_thread_wait(r.t, CQT_TEST_TIMEOUT_MS), CQT_OK);
    ck_assert(!cqt_thread_is_interruption_requested(r.t));
    cqt_thread_free(r.t);
    cqt_event_free(r.sem);
}
END_TEST

static void noop_run(void *arg)
{
    (void)arg;
    cqt_thread_quit(cqt_thread_current());
}

/* Origin: tst_QThread::stressTest. Qt starts and waits threads for one
 * minute; this does a fixed 100 rounds (the suite runs under sanitizers
 * on shared machines), each also freeing the thread. */
START_TEST(test_qthread_stress_test)
{
    for (int i = 0; i < 100; i++) {
        cqt_thread *t = cqt_thread_new("stress");
        ck_assert_int_eq(cqt_thread_post(t, noop_run, NULL, NULL), CQT_OK);
        ck_assert_int_eq(cqt_thread_start(t), CQT_OK);
        ck_assert_int_eq(cqt_thread_wait(t, 60000), CQT_OK);
        cqt_thread_free(t);
    }
}
END_TEST

typedef struct {
    int i;
    cqt_event *s1, *s2;
    cqt_thread *seen;
} create_rec;

static void set_42(void *arg)
{
    ((create_rec *)arg)->i = 42;
}

static void controlled(void *arg)
{
    create_rec *r = arg;
    cqt_event_wait(r->s1, CQT_FOREVER);
    r->seen = cqt_thread_current();
    cqt_event_set(r->s2);
}

/* Origin: tst_QThread::create (QThread::create(function)): a thread made
 * to run one function is cqt_thread_new + cqt_thread_post before start.
 * The C++-only parts (move-only functors, variadic arguments, exceptions
 * while copying them, ignored return values) do not apply to C. */
START_TEST(test_qthread_create)
{
    {
        cqt_thread *t = cqt_thread_new("create");
        ck_assert(!cqt_thread_is_running(t));
        run_once(t, nothing, NULL);
        cqt_thread_free(t);
    }
    {
        /* no side effects before starting */
        create_rec r = {0};
        cqt_thread *t = cqt_thread_new("create-i");
        ck_assert_int_eq(cqt_thread_post(t, set_42, &r, NULL), CQT_OK);
        ck_assert(!cqt_thread_is_running(t));
        ck_assert_int_eq(r.i, 0);
        ck_assert_int_eq(cqt_thread_start(t), CQT_OK);
        ck_assert_int_eq(cqt_thread_quit(t), CQT_OK);
        ck_assert_int_eq(cqt_thread_wait(t, CQT_TEST_TIMEOUT_MS), CQT_OK);
        ck_assert_int_eq(r.i, 42);
        cqt_thread_free(t);
    }
    {
        /* control thread progress; the function runs in the new thread */
        create_rec r = {0, cqt_event_new("s1"), cqt_event_new("s2"), NULL};
        cqt_thread *t = cqt_thread_new("create-ctl");
        ck_assert_int_eq(cqt_thread_post(t, controlled, &r, NULL), CQT_OK);
        ck_assert_int_eq(cqt_thread_start(t), CQT_OK);
        ck_assert(cqt_thread_is_running(t));
        cqt_event_set(r.s1);
        ck_assert_int_eq(cqt_event_wait(r.s2, CQT_TEST_TIMEOUT_MS), CQT_OK);
        ck_assert_int_eq(cqt_thread_quit(t), CQT_OK);
        ck_assert_int_eq(cqt_thread_wait(t, CQT_TEST_TIMEOUT_MS), CQT_OK);
        ck_assert(!cqt_thread_is_running(t));
        ck_assert_ptr_eq(r.seen, t);
        cqt_thread_free(t);
        cqt_event_free(r.s1);
        cqt_event_free(r.s2);
    }
}
END_TEST

static void record_os(void *arg)
{
    *(pthread_t *)arg = pthread_self();
}

/* Origin: tst_QThread::threadIdReuse (QTBUG-96846: wait() took a thread
 * whose OS id was reused for the caller itself). cqt_thread_wait decides
 * "waiting for itself" by handle, not OS id; this keeps making threads
 * until one reuses the first one's id (or 42 tries) and waits for each. */
START_TEST(test_qthread_thread_id_reuse)
{
    pthread_t id1;
    cqt_thread *t1 = cqt_thread_new("reuse-1");
    run_once(t1, record_os, &id1);
    cqt_thread_free(t1); /* its OS thread is gone when this returns */
    for (int i = 0; i < 42; i++) {
        sleep_ms(1);
        pthread_t id2;
        cqt_thread *t2 = cqt_thread_new("reuse-2");
        run_once(t2, record_os, &id2);
        cqt_thread_free(t2);
        if (pthread_equal(id1, id2))
            break;
    }
}
END_TEST

CQT_TEST_SUITE(peers_qthread_suite)
{
    Suite *s = suite_create("peers-qthread");
    TCase *tc = tcase_create("qthread");
    cqt_test_add_app_fixture(tc);
    tcase_add_test(tc, test_qthread_current_thread_id);
    tcase_add_test(tc, test_qthread_current_thread);
    tcase_add_test(tc, test_qthread_ideal_thread_count);
    tcase_add_test(tc, test_qthread_is_finished);
    tcase_add_test(tc, test_qthread_is_running);
    tcase_add_test(tc, test_qthread_exit);
    tcase_add_test(tc, test_qthread_start);
    tcase_add_test(tc, test_qthread_quit);
    tcase_add_test(tc, test_qthread_started);
    tcase_add_test(tc, test_qthread_finished);
    tcase_add_test(tc, test_qthread_exec);
    tcase_add_test(tc, test_qthread_native_thread_adoption);
    tcase_add_test(tc, test_qthread_adopted_thread_affinity);
    tcase_add_test(tc, test_qthread_adopted_thread_exit);
    tcase_add_test(tc, test_qthread_adopted_thread_exec);
    tcase_add_test(tc, test_qthread_adopted_thread_finished);
    tcase_add_test(tc, test_qthread_exit_and_start);
    tcase_add_test(tc, test_qthread_exit_and_exec);
    tcase_add_test(tc, test_qthread_connect_thread_finished_signal_to_object_delete_later_slot);
    tcase_add_test(tc, test_qthread_wait2);
    tcase_add_test(tc, test_qthread_wait3_slow_destructor);
    tcase_add_test(tc, test_qthread_destroy_finish_race);
    tcase_add_test(tc, test_qthread_start_finish_race);
    tcase_add_test(tc, test_qthread_start_and_quit_custom_event_loop);
    tcase_add_test(tc, test_qthread_is_running_in_finished);
    tcase_add_test(tc, test_qthread_request_termination);
    tcase_add_test(tc, test_qthread_stress_test);
    tcase_add_test(tc, test_qthread_create);
    tcase_add_test(tc, test_qthread_thread_id_reuse);
    suite_add_tcase(s, tc);
    return s;
}
