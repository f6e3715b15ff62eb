/* SPDX-License-Identifier: MIT */
/* test-signal.c — signals: where slots run, ordering under load, argument
 * copies, connection lifetime. */
#include "cqt-test.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* Records the thread a slot ran in and signals an event. */
typedef struct {
    cqt_thread *ran_in;
    cqt_event *done;
    cqt_test_counter calls;
} where_probe;

static void where_slot(void *user_data, const cqt_value *arg)
{
    (void)arg;
    where_probe *p = user_data;
    p->ran_in = cqt_thread_current();
    cqt_test_counter_add(&p->calls, 1);
    cqt_event_set(p->done);
}

typedef struct {
    cqt_signal *sig;
    int rc;
} emit_job;

static void *emit_from_pthread(void *arg)
{
    emit_job *j = arg;
    j->rc = cqt_emit(j->sig, NULL);
    return NULL;
}

static void emit_in_thread(void *arg)
{
    emit_job *j = arg;
    j->rc = cqt_emit(j->sig, NULL);
}

/* AUTO runs in the receiver's thread from main, another cqt
 * thread and a plain pthread; DIRECT runs in the emitter. */
START_TEST(test_signal_auto_runs_in_receiver_thread)
{
    cqt_thread *t = cqt_thread_new("receiver");
    cqt_thread *other = cqt_thread_new("other");
    ck_assert_int_eq(cqt_thread_start(t), CQT_OK);
    ck_assert_int_eq(cqt_thread_start(other), CQT_OK);
    cqt_object *recv = cqt_object_new(t);
    cqt_object *emitter_owner = cqt_object_new(NULL);
    cqt_object *in_other = cqt_object_new(other);
    cqt_signal *sig = cqt_signal_new(emitter_owner, "ping");
    where_probe p = {.done = cqt_event_new("slot ran")};
    ck_assert_uint_ne(cqt_connect(sig, recv, where_slot, &p, NULL, CQT_AUTO), 0);

    /* from main */
    ck_assert_int_eq(cqt_emit(sig, NULL), CQT_OK);
    ck_assert_int_eq(cqt_event_wait(p.done, CQT_TEST_TIMEOUT_MS), CQT_OK);
    ck_assert_ptr_eq(p.ran_in, t);
    cqt_event_clear(p.done);

    /* from another cqt thread */
    emit_job j = {.sig = sig, .rc = -100};
    ck_assert_int_eq(cqt_invoke(in_other, emit_in_thread, &j, CQT_BLOCKING_QUEUED), CQT_OK);
    ck_assert_int_eq(j.rc, CQT_OK);
    ck_assert_int_eq(cqt_event_wait(p.done, CQT_TEST_TIMEOUT_MS), CQT_OK);
    ck_assert_ptr_eq(p.ran_in, t);
    cqt_event_clear(p.done);

    /* from a plain pthread */
    pthread_t pt;
    j.rc = -100;
    ck_assert_int_eq(pthread_create(&pt, NULL, emit_from_pthread, &j), 0);
    pthread_join(pt, NULL);
    ck_assert_int_eq(j.rc, CQT_OK);
    ck_assert_int_eq(cqt_event_wait(p.done, CQT_TEST_TIMEOUT_MS), CQT_OK);
    ck_assert_ptr_eq(p.ran_in, t);
    ck_assert_int_eq(cqt_test_counter_get(&p.calls), 3);

    /* DIRECT: in the emitter (main), before emit returns */
    where_probe d = {.done = cqt_event_new("direct ran")};
    ck_assert_uint_ne(cqt_connect(sig, recv, where_slot, &d, NULL, CQT_DIRECT), 0);
    ck_assert_int_eq(cqt_emit(sig, NULL), CQT_OK);
    ck_assert(cqt_event_is_set(d.done));
    ck_assert_ptr_eq(d.ran_in, cqt_thread_main());

    cqt_event_wait(p.done, CQT_TEST_TIMEOUT_MS);
    cqt_object_free(recv);
    cqt_object_free(in_other);
    cqt_object_free(emitter_owner);
    cqt_thread_free(t);
    cqt_thread_free(other);
    cqt_event_free(p.done);
    cqt_event_free(d.done);
}
END_TEST

/* 1,000,000 queued int64 emits from 4 producers to one
 * receiver: all arrive, each producer's order kept. */
#define PRODUCERS 4
#define PER_PRODUCER 250000

typedef struct {
    int64_t next[PRODUCERS];
    int64_t received;
    int64_t out_of_order;
    cqt_event *all_in;
} order_check;

static void order_slot(void *user_data, const cqt_value *arg)
{
    order_check *c = user_data;
    int64_t v = cqt_value_get_int(arg);
    int p = (int)(v >> 32);
    int64_t seq = v & 0xffffffff;
    if (p < 0 || p >= PRODUCERS || seq != c->next[p])
        c->out_of_order++;
    else
        c->next[p]++;
    if (++c->received == (int64_t)PRODUCERS * PER_PRODUCER)
        cqt_event_set(c->all_in);
}

typedef struct {
    cqt_signal *sig;
    int id;
    int failures;
} producer;

static void *produce(void *arg)
{
    producer *p = arg;
    for (int64_t i = 0; i < PER_PRODUCER; i++) {
        cqt_value v = cqt_value_int(((int64_t)p->id << 32) | i);
        if (cqt_emit(p->sig, &v) != CQT_OK)
            p->failures++;
    }
    return NULL;
}

START_TEST(test_signal_million_queued_emits_keep_order)
{
    cqt_thread *t = cqt_thread_new("sink");
    cqt_thread_start(t);
    cqt_object *recv = cqt_object_new(t);
    cqt_object *owner = cqt_object_new(NULL);
    cqt_signal *sig = cqt_signal_new(owner, "value");
    order_check c = {.all_in = cqt_event_new("all received")};
    ck_assert_uint_ne(cqt_connect(sig, recv, order_slot, &c, NULL, CQT_QUEUED), 0);
    pthread_t th[PRODUCERS];
    producer pr[PRODUCERS];
    for (int i = 0; i < PRODUCERS; i++) {
        pr[i] = (producer){.sig = sig, .id = i};
        ck_assert_int_eq(pthread_create(&th[i], NULL, produce, &pr[i]), 0);
    }
    for (int i = 0; i < PRODUCERS; i++) {
        pthread_join(th[i], NULL);
        ck_assert_int_eq(pr[i].failures, 0);
    }
    ck_assert_int_eq(cqt_event_wait(c.all_in, 120000), CQT_OK);
    ck_assert_int_eq(c.out_of_order, 0);
    ck_assert_int_eq(c.received, (int64_t)PRODUCERS * PER_PRODUCER);
    for (int i = 0; i < PRODUCERS; i++)
        ck_assert_int_eq(c.next[i], PER_PRODUCER);
    cqt_object_free(recv);
    cqt_object_free(owner);
    cqt_thread_free(t);
    cqt_event_free(c.all_in);
}
END_TEST

static void copy_slot(void *user_data, const cqt_value *arg)
{
    char *out = user_data;
    const char *s = cqt_value_get_string(arg);
    strncpy(out, s ? s : "(none)", 63);
}

static bool string_arrived(void *arg)
{
    return ((char *)arg)[0] != '\0';
}

/* A queued slot gets its own copy: the emitter may clear its value at once. */
START_TEST(test_signal_queued_slot_gets_own_copy)
{
    cqt_object *owner = cqt_object_new(NULL);
    cqt_object *recv = cqt_object_new(NULL);
    cqt_signal *sig = cqt_signal_new(owner, "text");
    char got[64] = "";
    ck_assert_uint_ne(cqt_connect(sig, recv, copy_slot, got, NULL, CQT_QUEUED), 0);
    char *buf = strdup("hello from the emitter");
    cqt_value v = cqt_value_string(buf);
    memset(buf, 'X', strlen(buf)); /* the value owns a copy */
    free(buf);
    ck_assert_int_eq(cqt_emit(sig, &v), CQT_OK);
    cqt_value_clear(&v);
    ck_assert_str_eq(got, ""); /* queued: not run yet */
    ck_assert(cqt_test_run_until(string_arrived, got, CQT_TEST_TIMEOUT_MS));
    ck_assert_str_eq(got, "hello from the emitter");
    cqt_object_free(owner);
    cqt_object_free(recv);
}
END_TEST

/* Slot calls and destroys of one registration, counted apart. */
typedef struct {
    cqt_test_counter calls;
    cqt_test_counter destroyed;
} tally;

static void count_slot(void *user_data, const cqt_value *arg)
{
    (void)arg;
    cqt_test_counter_add(&((tally *)user_data)->calls, 1);
}

static void count_destroy(void *user_data)
{
    cqt_test_counter_add(&((tally *)user_data)->destroyed, 1);
}

/* Ids are never reused; disconnect twice is CQT_EINVAL; destroy runs once. */
START_TEST(test_signal_connection_ids_and_destroy_once)
{
    cqt_object *owner = cqt_object_new(NULL);
    cqt_signal *sig = cqt_signal_new(owner, "s");
    tally ta = {{0}, {0}}, tb = {{0}, {0}}, tc = {{0}, {0}};
    cqt_connection a = cqt_connect(sig, owner, count_slot, &ta, count_destroy, CQT_AUTO);
    cqt_connection b = cqt_connect(sig, owner, count_slot, &tb, NULL, CQT_AUTO);
    ck_assert_uint_ne(a, 0);
    ck_assert_uint_ne(b, 0);
    ck_assert_uint_ne(a, b);
    ck_assert_int_eq(cqt_signal_connection_count(sig), 2);
    ck_assert_int_eq(cqt_emit(sig, NULL), CQT_OK);
    /* same thread: direct, before emit returns */
    ck_assert_int_eq(cqt_test_counter_get(&ta.calls) + cqt_test_counter_get(&tb.calls), 2);
    ck_assert_int_eq(cqt_disconnect(sig, a), CQT_OK);
    ck_assert_int_eq(cqt_test_counter_get(&ta.destroyed), 1);
    ck_assert_int_eq(cqt_disconnect(sig, a), CQT_EINVAL);
    ck_assert_ptr_nonnull(strstr(cqt_last_error(), "no live connection"));
    ck_assert_int_eq(cqt_test_counter_get(&ta.destroyed), 1);
    cqt_connection c = cqt_connect(sig, owner, count_slot, &tc, count_destroy, CQT_AUTO);
    ck_assert(c != a && c != b);
    ck_assert_int_eq(cqt_emit(sig, NULL), CQT_OK);
    ck_assert_int_eq(cqt_test_counter_get(&ta.calls), 1); /* disconnected: not called */
    ck_assert_int_eq(cqt_test_counter_get(&tb.calls), 2);
    ck_assert_int_eq(cqt_test_counter_get(&tc.calls), 1);
    /* freeing the receiver ends its connections: destroy once more */
    cqt_object_free(owner);
    ck_assert_int_eq(cqt_test_counter_get(&tc.destroyed), 1);
    ck_assert_int_eq(cqt_test_counter_get(&ta.destroyed), 1);
}
END_TEST

/* A failed connect still releases user_data, exactly once. */
START_TEST(test_signal_connect_failure_runs_destroy)
{
    cqt_object *owner = cqt_object_new(NULL);
    cqt_signal *sig = cqt_signal_new(owner, "s");
    tally t = {{0}, {0}};
    ck_assert_uint_eq(cqt_connect(sig, owner, NULL, &t, count_destroy, CQT_AUTO), 0);
    ck_assert_int_eq(cqt_test_counter_get(&t.destroyed), 1);
    ck_assert_uint_eq(cqt_connect(sig, NULL, count_slot, &t, count_destroy, CQT_AUTO), 0);
    ck_assert_int_eq(cqt_test_counter_get(&t.destroyed), 2);
    ck_assert_uint_eq(cqt_connect(sig, owner, count_slot, &t, count_destroy, (cqt_conn)7), 0);
    ck_assert_int_eq(cqt_test_counter_get(&t.destroyed), 3);
    ck_assert_ptr_nonnull(strstr(cqt_last_error(), "unknown connection type"));
    cqt_object_free(owner);
}
END_TEST

static void block_until(void *arg)
{
    cqt_event_wait(arg, CQT_TEST_TIMEOUT_MS);
}

/* Disconnect drops what is still queued: the slot never runs, destroy does. */
START_TEST(test_signal_disconnect_drops_pending)
{
    cqt_thread *th = cqt_thread_new("busy");
    cqt_thread_start(th);
    cqt_object *recv = cqt_object_new(th);
    cqt_object *owner = cqt_object_new(NULL);
    cqt_signal *sig = cqt_signal_new(owner, "s");
    tally t = {{0}, {0}};
    cqt_connection c = cqt_connect(sig, recv, count_slot, &t, count_destroy, CQT_QUEUED);
    cqt_event *gate = cqt_event_new("gate");
    ck_assert_int_eq(cqt_invoke(recv, block_until, gate, CQT_QUEUED), CQT_OK);
    for (int i = 0; i < 100; i++)
        ck_assert_int_eq(cqt_emit(sig, NULL), CQT_OK);
    ck_assert_int_eq(cqt_disconnect(sig, c), CQT_OK);
    ck_assert_int_eq(cqt_test_counter_get(&t.destroyed), 0); /* deliveries still hold it */
    cqt_event_set(gate);
    /* a blocking call runs after everything queued before it */
    ck_assert_int_eq(cqt_invoke(recv, block_until, gate, CQT_BLOCKING_QUEUED), CQT_OK);
    ck_assert_int_eq(cqt_test_counter_get(&t.calls), 0);
    ck_assert_int_eq(cqt_test_counter_get(&t.destroyed), 1);
    cqt_object_free(recv);
    cqt_object_free(owner);
    cqt_thread_free(th);
    cqt_event_free(gate);
}
END_TEST

/* BLOCKING_QUEUED slot into the emitting thread: CQT_EDEADLK, others still run. */
START_TEST(test_signal_blocking_slot_in_own_thread_is_edeadlk)
{
    cqt_object *owner = cqt_object_new(NULL);
    cqt_signal *sig = cqt_signal_new(owner, "s");
    tally t = {{0}, {0}};
    ck_assert_uint_ne(cqt_connect(sig, owner, count_slot, &t, NULL, CQT_BLOCKING_QUEUED), 0);
    ck_assert_uint_ne(cqt_connect(sig, owner, count_slot, &t, NULL, CQT_DIRECT), 0);
    ck_assert_int_eq(cqt_emit(sig, NULL), CQT_EDEADLK);
    ck_assert_ptr_nonnull(strstr(cqt_last_error(), "would wait for itself"));
    ck_assert_int_eq(cqt_test_counter_get(&t.calls), 1);
    cqt_object_free(owner);
}
END_TEST

/* A blocking slot whose receiver's thread has not started: the emit is
 * refused with CQT_ENOLOOP, the slot is not run and the connection stays. */
START_TEST(test_signal_blocking_slot_into_unstarted_thread_is_enoloop)
{
    cqt_object *owner = cqt_object_new(NULL);
    cqt_signal *sig = cqt_signal_new(owner, "s");
    cqt_thread *late = cqt_thread_new("not-yet");
    cqt_object *r = cqt_object_new(late);
    tally t = {{0}, {0}};
    ck_assert_uint_ne(cqt_connect(sig, r, count_slot, &t, count_destroy, CQT_BLOCKING_QUEUED), 0);
    for (int i = 0; i < 3; i++) {
        ck_assert_int_eq(cqt_emit(sig, NULL), CQT_ENOLOOP);
        ck_assert_ptr_nonnull(strstr(cqt_last_error(), "'not-yet'"));
    }
    ck_assert_int_eq(cqt_test_counter_get(&t.calls), 0);
    ck_assert_int_eq(cqt_test_counter_get(&t.destroyed), 0);
    ck_assert_int_eq(cqt_signal_connection_count(sig), 1);
    cqt_thread_start(late);
    ck_assert_int_eq(cqt_emit(sig, NULL), CQT_OK);
    ck_assert_int_eq(cqt_test_counter_get(&t.calls), 1);
    cqt_object_free(r);
    cqt_object_free(owner);
    cqt_thread_free(late);
    ck_assert_int_eq(cqt_test_counter_get(&t.destroyed), 1);
}
END_TEST

/* Freeing the signal's owner frees the signal and ends its connections. */
START_TEST(test_signal_owner_free_releases_connections)
{
    cqt_object *owner = cqt_object_new(NULL);
    cqt_object *recv = cqt_object_new(NULL);
    cqt_signal *sig = cqt_signal_new(owner, "s");
    tally t = {{0}, {0}};
    ck_assert_uint_ne(cqt_connect(sig, recv, count_slot, &t, count_destroy, CQT_AUTO), 0);
    cqt_live_counts lc;
    cqt_debug_live_counts(&lc);
    ck_assert_int_eq(lc.signal_handles, 1);
    ck_assert_int_eq(lc.connections, 1);
    cqt_object_free(owner);
    ck_assert_int_eq(cqt_test_counter_get(&t.destroyed), 1);
    cqt_debug_live_counts(&lc);
    ck_assert_int_eq(lc.signal_handles, 0);
    ck_assert_int_eq(lc.connections, 0);
    cqt_object_free(recv);
}
END_TEST

CQT_TEST_SUITE(signal_suite)
{
    Suite *s = suite_create("signal");
    TCase *tc = tcase_create("signal");
    cqt_test_add_app_fixture(tc);
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_signal_auto_runs_in_receiver_thread);
    tcase_add_test(tc, test_signal_million_queued_emits_keep_order);
    tcase_add_test(tc, test_signal_queued_slot_gets_own_copy);
    tcase_add_test(tc, test_signal_connection_ids_and_destroy_once);
    tcase_add_test(tc, test_signal_connect_failure_runs_destroy);
    tcase_add_test(tc, test_signal_disconnect_drops_pending);
    tcase_add_test(tc, test_signal_blocking_slot_in_own_thread_is_edeadlk);
    tcase_add_test(tc, test_signal_owner_free_releases_connections);
    tcase_add_test(tc, test_signal_blocking_slot_into_unstarted_thread_is_enoloop);
    suite_add_tcase(s, tc);
    return s;
}
