/* SPDX-License-Identifier: MIT */
/* test-peers-qobject.c — the thread-affinity tests of Qt 5.15's
 * tests/auto/corelib/kernel/qobject/tst_qobject.cpp, ported to cqt: one
 * test per Qt test function, named test_qobject_<name>.
 * tests/peers/README.md lists which tst_qobject tests are thread-affinity
 * tests and why the others among them do not apply.
 *
 * Mapping: a QObject is a cqt_object; its signals are cqt_signals owned by
 * it; QThread (with exec) is a cqt_thread; deleteLater is cqt_object_free
 * (any thread: deferred to the owner) or a queued call that frees the
 * object from inside itself; QObject::destroyed is observed through the
 * destroy function of a timer the object owns (it runs, in the object's
 * thread, when the object is freed); QPointer::isNull is "that destroy
 * ran". QThread::wait is cqt_thread_wait; waits are never tighter than
 * Qt's. Children (QObject parents) are not wrapped: their rows are left
 * out. */
#include "cqt-test.h"

#include <pthread.h>
#include <string.h>
#include <unistd.h>

#define WAIT_MS(qt_ms) ((qt_ms) > CQT_TEST_TIMEOUT_MS ? (qt_ms) : CQT_TEST_TIMEOUT_MS)

static bool flag_set(void *arg)
{
    return __atomic_load_n((int *)arg, __ATOMIC_SEQ_CST) != 0;
}

/* ---- "destroyed": a watch on an object's release ------------------------- */

typedef struct {
    cqt_thread *in;   /* the thread the object was released in */
    cqt_thread *quit; /* nullable: quit this thread then (Qt: destroyed -> quit) */
    int destroyed;
} destroy_watch;

static void watch_tick(void *user_data, cqt_object *o, int id)
{
    (void)user_data;
    (void)o;
    (void)id;
}

static void watch_destroyed(void *user_data)
{
    destroy_watch *w = user_data;
    __atomic_store_n(&w->in, cqt_thread_current(), __ATOMIC_SEQ_CST);
    if (w->quit)
        cqt_thread_quit(w->quit);
    __atomic_store_n(&w->destroyed, 1, __ATOMIC_SEQ_CST);
}

/* Connects @w to @o's destruction (a timer that never fires; its destroy
 * runs in @o's thread when @o is freed). */
static void watch_object(cqt_object *o, destroy_watch *w)
{
    ck_assert_int_gt(cqt_object_start_timer_full(o, 3600 * 1000, CQT_TIMER_COARSE, watch_tick, w,
                                                 watch_destroyed),
                     0);
}

static void free_self(void *arg)
{
    cqt_object_free(arg);
}

/* QMetaObject::invokeMethod(o, "deleteLater", Qt::QueuedConnection) */
static void delete_later(cqt_object *o)
{
    ck_assert_int_eq(cqt_invoke(o, free_self, o, CQT_QUEUED), CQT_OK);
}

/* ---- thread ------------------------------------------------------------- */

typedef struct {
    cqt_object *made;
} maker;

static void make_object_here(void *arg)
{
    ((maker *)arg)->made = cqt_object_new(NULL);
}

static void nothing(void *arg)
{
    (void)arg;
}

/* origin: tst_qobject.cpp thread — an object lives in the thread that
 * created it (main, or a thread's own code) and keeps that affinity after
 * the thread finished. Intentional difference: once the thread is freed,
 * Qt resets the affinity to no thread; a cqt object keeps naming its
 * thread (the handle stays valid while an object lives there) and calls
 * into it are refused with CQT_ENOLOOP. (Qt's rows on children are left
 * out: cqt has no parent/child objects.) */
START_TEST(test_qobject_thread)
{
    cqt_object *here = cqt_object_new(NULL);
    ck_assert_ptr_nonnull(cqt_object_thread(here));
    ck_assert_ptr_eq(cqt_object_thread(here), cqt_thread_current());
    cqt_object_free(here);

    cqt_thread *thr = cqt_thread_new("thr");
    cqt_object *anchor = cqt_object_new(thr);
    ck_assert_int_eq(cqt_thread_start(thr), CQT_OK);
    maker m = {NULL};
    ck_assert_int_eq(cqt_invoke(anchor, make_object_here, &m, CQT_BLOCKING_QUEUED), CQT_OK);
    ck_assert_ptr_nonnull(m.made);
    ck_assert_ptr_eq(cqt_object_thread(m.made), thr);
    ck_assert_int_eq(cqt_thread_quit(thr), CQT_OK);
    ck_assert_int_eq(cqt_thread_wait(thr, CQT_TEST_TIMEOUT_MS), CQT_OK);
    ck_assert_ptr_eq(cqt_object_thread(m.made), thr); /* affinity kept */

    cqt_thread_free(thr);
    ck_assert_ptr_eq(cqt_object_thread(m.made), thr); /* intentional difference */
    ck_assert_int_eq(cqt_invoke(m.made, nothing, NULL, CQT_QUEUED), CQT_ENOLOOP);
    cqt_object_free(m.made);
    cqt_object_free(anchor);
}
END_TEST

/* origin: tst_qobject.cpp thread0 — Qt can move an object to no thread.
 * Intentional difference: every cqt object lives in a thread (P5), so a
 * move to NULL is CQT_EINVAL and the object stays where it was. */
START_TEST(test_qobject_thread0)
{
    cqt_object *o = cqt_object_new(NULL);
    ck_assert_int_eq(cqt_object_move_to_thread(o, NULL), CQT_EINVAL);
    ck_assert_ptr_eq(cqt_object_thread(o), cqt_thread_main());
    cqt_object_free(o);
}
END_TEST

/* ---- moveToThread --------------------------------------------------------- */

typedef struct {
    cqt_thread *ran_in[2];
    cqt_thread *quit_after; /* the second call quits it */
    int n;
} call_log;

static void logged_call(void *arg)
{
    call_log *l = arg;
    int i = l->n++;
    if (i < 2)
        l->ran_in[i] = cqt_thread_current();
    if (l->n == 2)
        cqt_thread_quit(l->quit_after);
}

static void logged_tick(void *user_data, cqt_object *o, int id)
{
    cqt_object_kill_timer(o, id);
    logged_call(user_data);
}

static void quit_on_read(void *user_data, cqt_io_watch *w, int fd, unsigned revents)
{
    (void)revents;
    char c;
    call_log *l = user_data;
    if (read(fd, &c, 1) == 1) {
        cqt_io_watch_disable(w);
        l->ran_in[0] = cqt_thread_current();
        cqt_thread_quit(l->quit_after);
    }
}

/* Frees @o from main the Qt way (a queued deleteLater) and waits until it
 * was destroyed in @t, which quits on it. */
static void delete_later_in(cqt_object *o, cqt_thread *t)
{
    destroy_watch w = {.quit = t};
    watch_object(o, &w);
    delete_later(o);
    ck_assert_int_eq(cqt_thread_wait(t, CQT_TEST_TIMEOUT_MS), CQT_OK);
    ck_assert(flag_set(&w.destroyed));
    ck_assert_ptr_eq(w.in, t);
}

/* origin: tst_qobject.cpp moveToThread — moving to no thread (refused:
 * intentional difference, see thread0) and to the current thread; an
 * object moved to a running thread is deleted there by a deleteLater;
 * calls posted to it before the move run in the new thread; its timers and
 * its fd watches (Qt: socket notifiers) move with it and fire there. */
START_TEST(test_qobject_move_to_thread)
{
    cqt_thread *current = cqt_thread_current();
    {
        cqt_object *object = cqt_object_new(NULL);
        ck_assert_ptr_eq(cqt_object_thread(object), current);
        ck_assert_int_eq(cqt_object_move_to_thread(object, NULL), CQT_EINVAL);
        ck_assert_int_eq(cqt_object_move_to_thread(object, current), CQT_OK);
        ck_assert_ptr_eq(cqt_object_thread(object), current);
        cqt_object_free(object);
    }
    {
        cqt_thread *thread = cqt_thread_new("move-delete");
        ck_assert_int_eq(cqt_thread_start(thread), CQT_OK);
        cqt_object *object = cqt_object_new(NULL);
        ck_assert_int_eq(cqt_object_move_to_thread(object, thread), CQT_OK);
        ck_assert_ptr_eq(cqt_object_thread(object), thread);
        delete_later_in(object, thread);
        cqt_thread_free(thread);
    }
    {
        /* posted events are moved with the object */
        cqt_thread *thread = cqt_thread_new("move-posted");
        ck_assert_int_eq(cqt_thread_start(thread), CQT_OK);
        cqt_object *object = cqt_object_new(NULL);
        call_log l = {.quit_after = thread};
        ck_assert_int_eq(cqt_invoke(object, logged_call, &l, CQT_QUEUED), CQT_OK);
        ck_assert_int_eq(cqt_invoke(object, logged_call, &l, CQT_QUEUED), CQT_OK);
        ck_assert_ptr_eq(cqt_object_thread(object), current);
        ck_assert_int_eq(cqt_object_move_to_thread(object, thread), CQT_OK);
        ck_assert_ptr_eq(cqt_object_thread(object), thread);
        ck_assert_int_eq(cqt_thread_wait(thread, CQT_TEST_TIMEOUT_MS), CQT_OK);
        ck_assert_ptr_eq(l.ran_in[0], thread);
        ck_assert_ptr_eq(l.ran_in[1], thread);
        ck_assert_int_eq(cqt_thread_start(thread), CQT_OK);
        delete_later_in(object, thread);
        cqt_thread_free(thread);
    }
    {
        /* timers are moved with the object */
        cqt_thread *thread = cqt_thread_new("move-timers");
        ck_assert_int_eq(cqt_thread_start(thread), CQT_OK);
        cqt_object *object = cqt_object_new(NULL);
        call_log l = {.quit_after = thread};
        ck_assert_int_gt(cqt_object_start_timer(object, 90, CQT_TIMER_COARSE, logged_tick, &l), 0);
        ck_assert_int_gt(cqt_object_start_timer(object, 100, CQT_TIMER_COARSE, logged_tick, &l), 0);
        ck_assert_int_eq(cqt_object_move_to_thread(object, thread), CQT_OK);
        ck_assert_ptr_eq(cqt_object_thread(object), thread);
        ck_assert_int_eq(cqt_thread_wait(thread, CQT_TEST_TIMEOUT_MS), CQT_OK);
        ck_assert_ptr_eq(l.ran_in[0], thread);
        ck_assert_ptr_eq(l.ran_in[1], thread);
        ck_assert_int_eq(cqt_thread_start(thread), CQT_OK);
        delete_later_in(object, thread);
        cqt_thread_free(thread);
    }
    {
        /* fd watches are moved with the object (Qt: a connected
         * QTcpSocket's notifiers; here a pipe) */
        cqt_thread *thread = cqt_thread_new("move-watch");
        ck_assert_int_eq(cqt_thread_start(thread), CQT_OK);
        int fds[2];
        ck_assert_int_eq(pipe(fds), 0);
        cqt_object *object = cqt_object_new(NULL);
        call_log l = {.quit_after = thread};
        ck_assert_ptr_nonnull(cqt_io_watch_new(object, fds[0], CQT_IO_READ, quit_on_read, &l, NULL));
        ck_assert_int_eq(cqt_object_move_to_thread(object, thread), CQT_OK);
        ck_assert_ptr_eq(cqt_object_thread(object), thread);
        ck_assert_int_eq(write(fds[1], "x", 1), 1);
        ck_assert_int_eq(cqt_thread_wait(thread, CQT_TEST_TIMEOUT_MS), CQT_OK);
        ck_assert_ptr_eq(l.ran_in[0], thread);
        ck_assert_int_eq(cqt_thread_start(thread), CQT_OK);
        delete_later_in(object, thread);
        cqt_thread_free(thread);
        close(fds[0]);
        close(fds[1]);
    }
}
END_TEST

/* ---- connections across threads ------------------------------------------- */

typedef struct {
    int called[3];
    cqt_thread *ran_in;
} receiver_log;

static void slot1(void *user_data, const cqt_value *arg)
{
    (void)arg;
    receiver_log *r = user_data;
    r->ran_in = cqt_thread_current();
    __atomic_add_fetch(&r->called[1], 1, __ATOMIC_SEQ_CST);
}

static void slot2(void *user_data, const cqt_value *arg)
{
    (void)arg;
    receiver_log *r = user_data;
    r->ran_in = cqt_thread_current();
    __atomic_add_fetch(&r->called[2], 1, __ATOMIC_SEQ_CST);
}

static void call_slot1(void *arg)
{
    slot1(arg, NULL);
}

/* origin: tst_qobject.cpp blockingQueuedConnection — a blocking-queued
 * connection (and call) into an object in another thread has run when the
 * emit (the call) returns. Qt's string and member-pointer connections are
 * both one cqt_connect. */
START_TEST(test_qobject_blocking_queued_connection)
{
    cqt_object *sender = cqt_object_new(NULL);
    cqt_signal *signal1 = cqt_signal_new(sender, "signal1");
    cqt_signal *signal2 = cqt_signal_new(sender, "signal2");
    cqt_thread *thread = cqt_thread_new("blocking");
    cqt_object *receiver = cqt_object_new(NULL);
    receiver_log r = {{0}, NULL};
    ck_assert_int_eq(cqt_object_move_to_thread(receiver, thread), CQT_OK);
    ck_assert_int_eq(cqt_thread_start(thread), CQT_OK);

    ck_assert(cqt_connect(signal1, receiver, slot1, &r, NULL, CQT_BLOCKING_QUEUED) != 0);
    ck_assert_int_eq(cqt_emit(signal1, NULL), CQT_OK);
    ck_assert_int_eq(r.called[1], 1);
    ck_assert_ptr_eq(r.ran_in, thread);

    r.called[1] = 0;
    ck_assert_int_eq(cqt_invoke(receiver, call_slot1, &r, CQT_BLOCKING_QUEUED), CQT_OK);
    ck_assert_int_eq(r.called[1], 1);

    ck_assert(cqt_connect(signal2, receiver, slot2, &r, NULL, CQT_BLOCKING_QUEUED) != 0);
    ck_assert_int_eq(cqt_emit(signal2, NULL), CQT_OK);
    ck_assert_int_eq(r.called[2], 1);

    ck_assert_int_eq(cqt_thread_quit(thread), CQT_OK);
    ck_assert_int_eq(cqt_thread_wait(thread, CQT_TEST_TIMEOUT_MS), CQT_OK);
    cqt_object_free(receiver);
    cqt_thread_free(thread);
    cqt_object_free(sender);
}
END_TEST

typedef struct {
    cqt_object *self;
    cqt_signal *relayed;
    cqt_connection own;  /* the connection the slot disconnects */
    cqt_signal *own_signal;
} self_slot;

static void delete_self_slot(void *user_data, const cqt_value *arg)
{
    (void)arg;
    cqt_object_free(((self_slot *)user_data)->self);
}

static void relay_and_process_events(void *user_data, const cqt_value *arg)
{
    (void)arg;
    cqt_emit(((self_slot *)user_data)->relayed, NULL);
    cqt_app_process_events(0);
}

typedef struct {
    cqt_signal *work;
} emit_job;

static void *emit_from_pthread(void *arg)
{
    cqt_emit(((emit_job *)arg)->work, NULL);
    return NULL;
}

/* origin: tst_qobject.cpp deleteSelfInSlot — an object in another thread
 * freed by its own blocking-queued slot, directly or from a queued slot it
 * relayed to while running the loop; and an object freed by a direct slot
 * run in a plain thread's emit. Each is destroyed (once, in its own
 * thread) and the threads end. Qt checks the QPointer right after the
 * emit; here the destruction is checked once the thread ended (no
 * tighter). */
START_TEST(test_qobject_delete_self_in_slot)
{
    for (int relay = 0; relay <= 1; relay++) {
        cqt_object *sender = cqt_object_new(NULL);
        cqt_signal *signal1 = cqt_signal_new(sender, "signal1");
        self_slot s = {.self = cqt_object_new(NULL)};
        if (relay) {
            s.relayed = cqt_signal_new(s.self, "relayedSignal");
            ck_assert(cqt_connect(signal1, s.self, relay_and_process_events, &s, NULL,
                                  CQT_BLOCKING_QUEUED));
            ck_assert(cqt_connect(s.relayed, s.self, delete_self_slot, &s, NULL, CQT_QUEUED));
        } else {
            ck_assert(cqt_connect(signal1, s.self, delete_self_slot, &s, NULL,
                                  CQT_BLOCKING_QUEUED));
        }
        cqt_thread *thread = cqt_thread_new("delete-self");
        ck_assert_int_eq(cqt_object_move_to_thread(s.self, thread), CQT_OK);
        destroy_watch w = {.quit = thread};
        watch_object(s.self, &w);
        ck_assert_int_eq(cqt_thread_start(thread), CQT_OK);
        ck_assert_int_eq(cqt_emit(signal1, NULL), CQT_OK);
        ck_assert_int_eq(cqt_thread_wait(thread, 10000), CQT_OK);
        ck_assert_msg(flag_set(&w.destroyed), "relay %d: not destroyed", relay);
        ck_assert_ptr_eq(w.in, thread);
        cqt_thread_free(thread);
        cqt_object_free(sender);
    }
    {
        /* EmitThread: a plain thread emits, the direct slot frees the
         * receiver (which lives in main: freed there, deferred) */
        cqt_object *sender = cqt_object_new(NULL);
        emit_job job = {cqt_signal_new(sender, "work")};
        self_slot s = {.self = cqt_object_new(NULL)};
        destroy_watch w = {0};
        watch_object(s.self, &w);
        ck_assert(cqt_connect(job.work, s.self, delete_self_slot, &s, NULL, CQT_DIRECT));
        pthread_t pt;
        pthread_create(&pt, NULL, emit_from_pthread, &job);
        pthread_join(pt, NULL);
        ck_assert(cqt_test_run_until(flag_set, &w.destroyed, CQT_TEST_TIMEOUT_MS));
        ck_assert_ptr_eq(w.in, cqt_thread_main());
        cqt_object_free(sender);
    }
}
END_TEST

static void disconnect_self_slot(void *user_data, const cqt_value *arg)
{
    (void)arg;
    self_slot *s = user_data;
    cqt_disconnect(s->own_signal, s->own);
}

static void emit_after_recursion(cqt_signal *s, int depth)
{
    if (depth < 100)
        emit_after_recursion(s, depth + 1);
    else
        cqt_emit(s, NULL);
}

/* origin: tst_qobject.cpp disconnectSelfInSlotAndDeleteAfterEmit — a slot
 * that disconnects itself, run directly (deep in the emitter's stack), as
 * a blocking-queued call in another thread, or from a queued slot relayed
 * there while the loop runs; the receiver survives the emit and is then
 * deleted later in its thread. */
START_TEST(test_qobject_disconnect_self_in_slot_and_delete_after_emit)
{
    {
        cqt_object *sender = cqt_object_new(NULL);
        cqt_signal *signal1 = cqt_signal_new(sender, "signal1");
        self_slot s = {.self = cqt_object_new(NULL), .own_signal = signal1};
        s.own = cqt_connect(signal1, s.self, disconnect_self_slot, &s, NULL, CQT_AUTO);
        ck_assert(s.own != 0);
        emit_after_recursion(signal1, 0);
        ck_assert_int_eq(cqt_signal_connection_count(signal1), 0);
        cqt_object_free(s.self);
        cqt_object_free(sender);
    }
    for (int relay = 0; relay <= 1; relay++) {
        cqt_object *sender = cqt_object_new(NULL);
        cqt_signal *signal1 = cqt_signal_new(sender, "signal1");
        self_slot s = {.self = cqt_object_new(NULL)};
        if (relay) {
            s.relayed = cqt_signal_new(s.self, "relayedSignal");
            s.own_signal = s.relayed;
            ck_assert(cqt_connect(signal1, s.self, relay_and_process_events, &s, NULL,
                                  CQT_BLOCKING_QUEUED));
            s.own = cqt_connect(s.relayed, s.self, disconnect_self_slot, &s, NULL, CQT_QUEUED);
        } else {
            s.own_signal = signal1;
            s.own = cqt_connect(signal1, s.self, disconnect_self_slot, &s, NULL,
                                CQT_BLOCKING_QUEUED);
        }
        ck_assert(s.own != 0);
        cqt_thread *thread = cqt_thread_new("disconnect-self");
        ck_assert_int_eq(cqt_object_move_to_thread(s.self, thread), CQT_OK);
        destroy_watch w = {.quit = thread};
        watch_object(s.self, &w);
        ck_assert_int_eq(cqt_thread_start(thread), CQT_OK);
        ck_assert_int_eq(cqt_emit(signal1, NULL), CQT_OK);
        ck_assert(!flag_set(&w.destroyed));
        cqt_object_free(s.self); /* deleteLater from main: deferred to its thread */
        ck_assert_int_eq(cqt_thread_wait(thread, 10000), CQT_OK);
        ck_assert_msg(flag_set(&w.destroyed), "relay %d: not destroyed", relay);
        ck_assert_ptr_eq(w.in, thread);
        cqt_thread_free(thread);
        cqt_object_free(sender);
    }
}
END_TEST

/* origin: tst_qobject.cpp autoConnectionBehavior — an auto connection is
 * direct when the emitting thread is the receiver's, queued otherwise,
 * decided at each emit: emits from main and from a plain thread, with the
 * receiver in main, then in a thread that starts only after the emit.
 * (Qt also moves the sender between threads: a cqt signal's owner plays no
 * part in the choice, so those rows are the emitting-thread rows again.) */
static bool called1(void *arg)
{
    return __atomic_load_n(&((receiver_log *)arg)->called[1], __ATOMIC_SEQ_CST) > 0;
}

static void emit_from_plain_thread(cqt_signal *s)
{
    emit_job job = {s};
    pthread_t pt;
    pthread_create(&pt, NULL, emit_from_pthread, &job);
    pthread_join(pt, NULL);
}

START_TEST(test_qobject_auto_connection_behavior)
{
    cqt_object *sender = cqt_object_new(NULL);
    cqt_signal *signal1 = cqt_signal_new(sender, "signal1");
    cqt_object *receiver = cqt_object_new(NULL);
    receiver_log r = {{0}, NULL};
    ck_assert(cqt_connect(signal1, receiver, slot1, &r, NULL, CQT_AUTO) != 0);

    /* emitted in the receiver's thread: direct */
    ck_assert_int_eq(cqt_emit(signal1, NULL), CQT_OK);
    ck_assert_int_eq(r.called[1], 1);
    r.called[1] = 0;

    /* emitted in another thread (twice: Qt's two sender placements):
     * queued, run by the receiver's loop */
    for (int i = 0; i < 2; i++) {
        emit_from_plain_thread(signal1);
        ck_assert_int_eq(__atomic_load_n(&r.called[1], __ATOMIC_SEQ_CST), 0);
        ck_assert(cqt_test_run_until(called1, &r, CQT_TEST_TIMEOUT_MS));
        ck_assert_ptr_eq(r.ran_in, cqt_thread_main());
        r.called[1] = 0;
    }

    /* emitted in main again: direct */
    ck_assert_int_eq(cqt_emit(signal1, NULL), CQT_OK);
    ck_assert_int_eq(r.called[1], 1);
    r.called[1] = 0;

    /* receiver moved to a thread not started yet, emitted from a third:
     * queued there, run once that thread runs */
    cqt_thread *receiver_thread = cqt_thread_new("receiver");
    ck_assert_int_eq(cqt_object_move_to_thread(receiver, receiver_thread), CQT_OK);
    emit_from_plain_thread(signal1);
    ck_assert_int_eq(__atomic_load_n(&r.called[1], __ATOMIC_SEQ_CST), 0);
    ck_assert_int_eq(cqt_thread_start(receiver_thread), CQT_OK);
    ck_assert(cqt_test_run_until(called1, &r, 30000));
    ck_assert_int_eq(cqt_thread_quit(receiver_thread), CQT_OK);
    ck_assert_int_eq(cqt_thread_wait(receiver_thread, 30000), CQT_OK);
    ck_assert_ptr_eq(r.ran_in, receiver_thread);

    cqt_object_free(receiver);
    cqt_thread_free(receiver_thread);
    cqt_object_free(sender);
}
END_TEST

CQT_TEST_SUITE(peers_qobject_suite)
{
    Suite *s = suite_create("peers-qobject");
    TCase *tc = tcase_create("qobject");
    cqt_test_add_app_fixture(tc);
    tcase_add_test(tc, test_qobject_thread);
    tcase_add_test(tc, test_qobject_thread0);
    tcase_add_test(tc, test_qobject_move_to_thread);
    tcase_add_test(tc, test_qobject_blocking_queued_connection);
    tcase_add_test(tc, test_qobject_delete_self_in_slot);
    tcase_add_test(tc, test_qobject_disconnect_self_in_slot_and_delete_after_emit);
    tcase_add_test(tc, test_qobject_auto_connection_behavior);
    suite_add_tcase(s, tc);
    return s;
}
