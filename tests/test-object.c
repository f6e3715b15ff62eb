/* SPDX-License-Identifier: MIT */
/* test-object.c — affinity, move_to_thread, deferred free, cqt_invoke. */
#include "cqt-test.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void block_until(void *arg)
{
    cqt_event_wait(arg, CQT_TEST_TIMEOUT_MS);
}

static void nothing(void *arg)
{
    (void)arg;
}

static void count_call(void *arg)
{
    cqt_test_counter_add(arg, 1);
}

/* P5: every object's thread is explicit at creation and queryable. */
START_TEST(test_object_thread_explicit_at_creation)
{
    cqt_thread *t = cqt_thread_new("worker");
    cqt_object *here = cqt_object_new(NULL);
    cqt_object *there = cqt_object_new(t); /* t not started yet: allowed */
    ck_assert_ptr_eq(cqt_object_thread(here), cqt_thread_main());
    ck_assert_ptr_eq(cqt_object_thread(there), t);
    ck_assert_str_eq(cqt_thread_name(cqt_object_thread(there)), "worker");
    ck_assert_int_eq(cqt_object_set_name(here, "probe"), CQT_OK);
    ck_assert_str_eq(cqt_object_name(here), "probe");
    cqt_object_free(here);
    cqt_object_free(there);
    cqt_thread_free(t);
}
END_TEST

typedef struct {
    cqt_object *o;
    cqt_thread *to;
    int rc;
    char msg[512];
} move_job;

static void move_here(void *arg)
{
    move_job *j = arg;
    j->rc = cqt_object_move_to_thread(j->o, j->to);
    strncpy(j->msg, cqt_last_error(), sizeof j->msg - 1);
}

/* Timer callback: records the thread and counts fires per thread. */
typedef struct {
    cqt_thread *a, *b;
    cqt_test_counter in_a, in_b, elsewhere;
    cqt_event *fired_in_b;
} fire_log;

static void record_fire(void *user_data, cqt_object *o, int id)
{
    (void)o;
    (void)id;
    fire_log *f = user_data;
    cqt_thread *cur = cqt_thread_current();
    if (cur == f->a)
        cqt_test_counter_add(&f->in_a, 1);
    else if (cur == f->b) {
        cqt_test_counter_add(&f->in_b, 1);
        if (cqt_test_counter_get(&f->in_b) == 3)
            cqt_event_set(f->fired_in_b);
    } else
        cqt_test_counter_add(&f->elsewhere, 1);
}

/* P4, P7: a pull from a non-owner is CQT_EWRONGTHREAD; a push
 * from the owner moves the running timer, which keeps firing in the new
 * thread. */
START_TEST(test_object_move_pull_refused_push_moves_timers)
{
    cqt_thread *a = cqt_thread_new("a");
    cqt_thread *b = cqt_thread_new("b");
    cqt_thread_start(a);
    cqt_thread_start(b);
    cqt_object *o = cqt_object_new(a);
    fire_log f = {.a = a, .b = b, .fired_in_b = cqt_event_new("fired in b")};

    /* pull from main: refused, named */
    ck_assert_int_eq(cqt_object_move_to_thread(o, b), CQT_EWRONGTHREAD);
    ck_assert_ptr_nonnull(strstr(cqt_last_error(), "'a'"));
    ck_assert_ptr_nonnull(strstr(cqt_last_error(), "'main'"));
    ck_assert_ptr_eq(cqt_object_thread(o), a);

    int id = cqt_object_start_timer(o, 1, CQT_TIMER_PRECISE, record_fire, &f);
    ck_assert_int_gt(id, 0);
    /* push from a */
    move_job j = {.o = o, .to = b, .rc = -100};
    ck_assert_int_eq(cqt_invoke(o, move_here, &j, CQT_BLOCKING_QUEUED), CQT_OK);
    ck_assert_msg(j.rc == CQT_OK, "move failed: %s", j.msg);
    ck_assert_ptr_eq(cqt_object_thread(o), b);
    ck_assert_int_eq(cqt_event_wait(f.fired_in_b, CQT_TEST_TIMEOUT_MS), CQT_OK);
    ck_assert_int_eq(cqt_object_kill_timer(o, id), CQT_OK);
    ck_assert_int_eq(cqt_test_counter_get(&f.elsewhere), 0);
    ck_assert_int_ge(cqt_test_counter_get(&f.in_b), 3);

    /* moving into a thread that runs no loop is refused */
    cqt_object *m = cqt_object_new(NULL);
    ck_assert_int_eq(cqt_object_move_to_thread(m, a), CQT_OK); /* main owns it: push */
    cqt_object_free(m);
    cqt_object_free(o);
    cqt_thread_free(a);
    cqt_thread_free(b);
    cqt_event_free(f.fired_in_b);
}
END_TEST

/* Queued calls still pending when an object moves go with it, in order. */
enum { SEQ_N = 200 }; /* more than one mailbox block (64) */

typedef struct {
    int seen[SEQ_N];
    int n;
    int stayed; /* calls to the object that stays, run in a */
    cqt_thread *ran_in[SEQ_N];
    cqt_object *o;
    cqt_thread *to;
} seq_log;

typedef struct {
    seq_log *log;
    int v;
} seq_item;

static void seq_call(void *arg)
{
    seq_item *it = arg;
    int n = it->log->n;
    it->log->ran_in[n] = cqt_thread_current();
    it->log->seen[n] = it->v;
    __atomic_store_n(&it->log->n, n + 1, __ATOMIC_RELEASE); /* main polls n */
}

static void stay_call(void *arg)
{
    seq_log *l = arg;
    if (cqt_thread_current() == cqt_object_thread(l->o) || cqt_thread_current() == l->to)
        return; /* ran in b: a bug, caught by the count */
    l->stayed++;
}

static void move_then_continue(void *arg)
{
    seq_log *l = arg;
    cqt_object_move_to_thread(l->o, l->to);
}

START_TEST(test_object_move_carries_pending_calls_in_order)
{
    cqt_thread *a = cqt_thread_new("a");
    cqt_thread *b = cqt_thread_new("b");
    cqt_thread_start(a);
    cqt_thread_start(b);
    cqt_object *o = cqt_object_new(a);
    cqt_object *gatekeeper = cqt_object_new(a);
    cqt_event *gate = cqt_event_new("gate");
    seq_log log = {.o = o, .to = b};
    seq_item items[SEQ_N];
    /* hold a busy, queue: move, then SEQ_N calls, each followed by one to
     * an object that stays (so the move leaves blanks between them in a's
     * mailbox blocks, and those calls must still run there) */
    ck_assert_int_eq(cqt_invoke(gatekeeper, block_until, gate, CQT_QUEUED), CQT_OK);
    ck_assert_int_eq(cqt_invoke(o, move_then_continue, &log, CQT_QUEUED), CQT_OK);
    for (int i = 0; i < SEQ_N; i++) {
        items[i] = (seq_item){&log, i};
        ck_assert_int_eq(cqt_invoke(o, seq_call, &items[i], CQT_QUEUED), CQT_OK);
        ck_assert_int_eq(cqt_invoke(gatekeeper, stay_call, &log, CQT_QUEUED), CQT_OK);
    }
    cqt_event_set(gate);
    /* A blocking call to the staying object returns after everything queued
     * to a before it: the move (which carried the SEQ_N calls to b) and the
     * calls that stay. Not a bounded number of flushes of b: under load, a
     * may not run the move before b answered them all. */
    ck_assert_int_eq(cqt_invoke(gatekeeper, nothing, NULL, CQT_BLOCKING_QUEUED), CQT_OK);
    ck_assert_int_eq(log.stayed, SEQ_N);
    ck_assert_ptr_eq(cqt_object_thread(o), b);
    /* flush b: what the move queued there runs before this, and the
     * blocking call orders our read of log after b's writes */
    cqt_object *bflush = cqt_object_new(b);
    ck_assert_int_eq(cqt_invoke(bflush, nothing, NULL, CQT_BLOCKING_QUEUED), CQT_OK);
    ck_assert_int_eq(__atomic_load_n(&log.n, __ATOMIC_ACQUIRE), SEQ_N);
    for (int i = 0; i < SEQ_N; i++) {
        ck_assert_int_eq(log.seen[i], i);
        ck_assert_ptr_eq(log.ran_in[i], b);
    }
    cqt_object_free(o);
    cqt_object_free(gatekeeper);
    cqt_object_free(bflush);
    cqt_thread_free(a);
    cqt_thread_free(b);
    cqt_event_free(gate);
}
END_TEST

/* P8: free a receiver from another thread while 10,000
 * queued deliveries carrying payloads are pending: no slot runs after the
 * free, every payload is freed exactly once. */
typedef struct {
    cqt_test_counter slot_runs;
    cqt_test_counter payload_frees;
} p8_state;

static p8_state *p8;

static void payload_free(void *p)
{
    free(p);
    cqt_test_counter_add(&p8->payload_frees, 1);
}

static void p8_slot(void *user_data, const cqt_value *arg)
{
    (void)arg;
    cqt_test_counter_add(&((p8_state *)user_data)->slot_runs, 1);
}

START_TEST(test_object_free_with_pending_deliveries_drops_them)
{
    p8_state st = {{0}, {0}};
    p8 = &st;
    cqt_thread *t = cqt_thread_new("receiver");
    cqt_thread_start(t);
    cqt_object *recv = cqt_object_new(t);
    cqt_object *blocker = cqt_object_new(t);
    cqt_object *owner = cqt_object_new(NULL);
    cqt_signal *sig = cqt_signal_new(owner, "data");
    ck_assert_uint_ne(cqt_connect(sig, recv, p8_slot, &st, NULL, CQT_QUEUED), 0);
    cqt_event *gate = cqt_event_new("gate");
    ck_assert_int_eq(cqt_invoke(blocker, block_until, gate, CQT_QUEUED), CQT_OK);
    for (int i = 0; i < 10000; i++) {
        char *s = malloc(32);
        snprintf(s, 32, "payload %d", i);
        cqt_value v = cqt_value_pointer(s, payload_free);
        ck_assert_int_eq(cqt_emit(sig, &v), CQT_OK);
        cqt_value_clear(&v);
    }
    ck_assert_int_eq(cqt_test_counter_get(&st.payload_frees), 0); /* queued copies hold them */
    cqt_object_free(recv); /* from main; recv lives in t */
    cqt_event_set(gate);
    ck_assert_int_eq(cqt_invoke(blocker, nothing, NULL, CQT_BLOCKING_QUEUED), CQT_OK);
    ck_assert_int_eq(cqt_test_counter_get(&st.slot_runs), 0);
    ck_assert_int_eq(cqt_test_counter_get(&st.payload_frees), 10000);
    cqt_object_free(blocker);
    cqt_object_free(owner);
    cqt_thread_free(t);
    cqt_event_free(gate);
}
END_TEST

static void set_flag(void *arg)
{
    *(int *)arg = 1;
}

typedef struct {
    cqt_object *main_obj;
    int rc;
    char msg[512];
} cycle_job;

static void call_back_into_main(void *arg)
{
    cycle_job *j = arg;
    j->rc = cqt_invoke(j->main_obj, nothing, NULL, CQT_BLOCKING_QUEUED);
    strncpy(j->msg, cqt_last_error(), sizeof j->msg - 1);
}

/* P12: BLOCKING_QUEUED into the own thread is CQT_EDEADLK;
 * into another thread it returns after the call ran; a cycle of blocking
 * calls is refused instead of hanging. */
START_TEST(test_object_blocking_queued)
{
    cqt_object *mine = cqt_object_new(NULL);
    int flag = 0;
    ck_assert_int_eq(cqt_invoke(mine, set_flag, &flag, CQT_BLOCKING_QUEUED), CQT_EDEADLK);
    ck_assert_ptr_nonnull(strstr(cqt_last_error(), "CQT_BLOCKING_QUEUED"));
    ck_assert_int_eq(flag, 0);

    cqt_thread *t = cqt_thread_new("callee");
    cqt_thread_start(t);
    cqt_object *there = cqt_object_new(t);
    ck_assert_int_eq(cqt_invoke(there, set_flag, &flag, CQT_BLOCKING_QUEUED), CQT_OK);
    ck_assert_int_eq(flag, 1);

    cycle_job j = {.main_obj = mine, .rc = -100};
    ck_assert_int_eq(cqt_invoke(there, call_back_into_main, &j, CQT_BLOCKING_QUEUED), CQT_OK);
    ck_assert_int_eq(j.rc, CQT_EDEADLK);
    ck_assert_ptr_nonnull(strstr(j.msg, "blocked waiting on this one"));
    cqt_object_free(mine);
    cqt_object_free(there);
    cqt_thread_free(t);
}
END_TEST

/* Queued calls into loopless or stopped threads fail loudly (P2 family). */
static void *invoke_from_pthread(void *arg)
{
    int *rc = arg;
    cqt_object *o = cqt_object_new(NULL); /* lives in this adopted thread */
    ck_assert_ptr_nonnull(o);
    ck_assert(!cqt_thread_has_loop(cqt_object_thread(o)));
    rc[0] = cqt_invoke(o, nothing, NULL, CQT_QUEUED);
    rc[1] = strstr(cqt_last_error(), "runs no event loop") != NULL;
    rc[2] = cqt_invoke(o, nothing, NULL, CQT_DIRECT);
    cqt_object_free(o);
    return NULL;
}

START_TEST(test_object_invoke_refused_without_loop)
{
    int rc[3] = {-100, 0, -100};
    pthread_t pt;
    pthread_create(&pt, NULL, invoke_from_pthread, rc);
    pthread_join(pt, NULL);
    ck_assert_int_eq(rc[0], CQT_ENOLOOP);
    ck_assert_int_eq(rc[1], 1);
    ck_assert_int_eq(rc[2], CQT_OK);

    cqt_thread *t = cqt_thread_new("later");
    cqt_object *o = cqt_object_new(t);
    int flag = 0;
    /* not started: blocking would hang, so refused; queued waits for start */
    ck_assert_int_eq(cqt_invoke(o, set_flag, &flag, CQT_BLOCKING_QUEUED), CQT_ENOLOOP);
    ck_assert_ptr_nonnull(strstr(cqt_last_error(), "has not started"));
    ck_assert_int_eq(cqt_invoke(o, set_flag, &flag, CQT_QUEUED), CQT_OK);
    ck_assert_int_eq(flag, 0);
    cqt_thread_start(t);
    ck_assert_int_eq(cqt_invoke(o, nothing, NULL, CQT_BLOCKING_QUEUED), CQT_OK);
    ck_assert_int_eq(flag, 1);
    /* stopped: refused, naming the fix */
    cqt_thread_quit(t);
    ck_assert_int_eq(cqt_thread_wait(t, CQT_TEST_TIMEOUT_MS), CQT_OK);
    ck_assert_int_eq(cqt_invoke(o, set_flag, &flag, CQT_QUEUED), CQT_ENOLOOP);
    ck_assert_ptr_nonnull(strstr(cqt_last_error(), "has stopped"));
    cqt_object_free(o);
    cqt_thread_free(t);
}
END_TEST

/* invoke_full: destroy runs exactly once on every path. */
START_TEST(test_object_invoke_full_destroy_once)
{
    cqt_test_counter runs = {0}, destroyed = {0};
    cqt_object *mine = cqt_object_new(NULL);
    /* direct */
    ck_assert_int_eq(cqt_invoke_full(mine, count_call, &runs, count_call, CQT_DIRECT), CQT_OK);
    ck_assert_int_eq(cqt_test_counter_get(&runs), 2); /* fn + destroy on the same counter */
    /* failure: unknown conn */
    ck_assert_int_eq(cqt_invoke_full(mine, nothing, &destroyed, count_call, (cqt_conn)9), CQT_EINVAL);
    ck_assert_int_eq(cqt_test_counter_get(&destroyed), 1);
    /* failure: deadlock */
    ck_assert_int_eq(cqt_invoke_full(mine, nothing, &destroyed, count_call, CQT_BLOCKING_QUEUED),
                     CQT_EDEADLK);
    ck_assert_int_eq(cqt_test_counter_get(&destroyed), 2);
    /* queued then dropped: target freed before it ran */
    ck_assert_int_eq(cqt_invoke_full(mine, nothing, &destroyed, count_call, CQT_QUEUED), CQT_OK);
    ck_assert_int_eq(cqt_test_counter_get(&destroyed), 2);
    cqt_object_free(mine);
    cqt_app_process_events(0);
    ck_assert_int_eq(cqt_test_counter_get(&destroyed), 3);
}
END_TEST

/* Free from inside one of the object's own queued calls. */
typedef struct {
    cqt_object *o;
    cqt_test_counter after;
} self_free;

static void free_self(void *arg)
{
    self_free *s = arg;
    cqt_object_free(s->o);
}

static void after_free(void *arg)
{
    cqt_test_counter_add(&((self_free *)arg)->after, 1);
}

START_TEST(test_object_free_from_own_delivery)
{
    cqt_thread *t = cqt_thread_new("t");
    cqt_thread_start(t);
    self_free s = {.o = cqt_object_new(t)};
    cqt_object *flush = cqt_object_new(t);
    cqt_event *gate = cqt_event_new("gate");
    ck_assert_int_eq(cqt_invoke(flush, block_until, gate, CQT_QUEUED), CQT_OK);
    ck_assert_int_eq(cqt_invoke(s.o, free_self, &s, CQT_QUEUED), CQT_OK);
    for (int i = 0; i < 10; i++)
        ck_assert_int_eq(cqt_invoke(s.o, after_free, &s, CQT_QUEUED), CQT_OK);
    cqt_event_set(gate);
    ck_assert_int_eq(cqt_invoke(flush, nothing, NULL, CQT_BLOCKING_QUEUED), CQT_OK);
    ck_assert_int_eq(cqt_test_counter_get(&s.after), 0);
    /* the handle is dead now: calls on it fail instead of running */
    cqt_object_free(flush);
    cqt_thread_free(t);
    cqt_event_free(gate);
}
END_TEST

/* A blocking call queued to an object that its owner then moves to a thread
 * that runs no loop: the caller is not stranded, it gets CQT_ENOLOOP. */
typedef struct {
    cqt_object *o;
    cqt_thread *to;
    cqt_event *gate_in, *go, *moved;
    int move_rc;
} strand_gate;

static void gate_then_move(void *arg)
{
    strand_gate *g = arg;
    cqt_event_set(g->gate_in);
    cqt_event_wait(g->go, CQT_TEST_TIMEOUT_MS);
    g->move_rc = cqt_object_move_to_thread(g->o, g->to);
    cqt_event_set(g->moved);
}

typedef struct {
    cqt_object *o;
    volatile int ran;
    int rc;
    cqt_test_counter destroyed;
    cqt_event *done;
    char msg[512];
} strand_call;

static void strand_ran(void *arg)
{
    ((strand_call *)arg)->ran = 1;
}

static void strand_destroy(void *arg)
{
    cqt_test_counter_add(&((strand_call *)arg)->destroyed, 1);
}

static void *blocking_call_from_pthread(void *arg)
{
    strand_call *c = arg;
    c->rc = cqt_invoke_full(c->o, strand_ran, c, strand_destroy, CQT_BLOCKING_QUEUED);
    strncpy(c->msg, cqt_last_error(), sizeof c->msg - 1);
    cqt_event_set(c->done);
    return NULL;
}

static bool pending_reached(void *arg)
{
    cqt_live_counts c;
    cqt_debug_live_counts(&c);
    return c.pending >= *(int64_t *)arg;
}

static void strand_case(bool start_and_quit)
{
    cqt_thread *a = cqt_thread_new("strand-home");
    cqt_thread *dead = cqt_thread_new("strand-dead");
    cqt_thread_start(a);
    if (start_and_quit) {
        cqt_thread_start(dead);
        cqt_thread_quit(dead);
        ck_assert_int_eq(cqt_thread_wait(dead, CQT_TEST_TIMEOUT_MS), CQT_OK);
    }
    cqt_object *o = cqt_object_new(a);
    strand_gate g = {.o = o, .to = dead, .gate_in = cqt_event_new("in"),
                     .go = cqt_event_new("go"), .moved = cqt_event_new("moved"),
                     .move_rc = -100};
    ck_assert_int_eq(cqt_invoke(o, gate_then_move, &g, CQT_QUEUED), CQT_OK);
    ck_assert_int_eq(cqt_event_wait(g.gate_in, CQT_TEST_TIMEOUT_MS), CQT_OK);
    cqt_live_counts before;
    cqt_debug_live_counts(&before);
    strand_call c = {.o = o, .rc = -100, .done = cqt_event_new("done")};
    pthread_t pt;
    pthread_create(&pt, NULL, blocking_call_from_pthread, &c);
    int64_t want = before.pending + 1; /* the blocking call sits behind the gate */
    ck_assert(cqt_test_run_until(pending_reached, &want, CQT_TEST_TIMEOUT_MS));
    cqt_event_set(g.go);
    ck_assert_msg(cqt_event_wait(c.done, CQT_TEST_TIMEOUT_MS) == CQT_OK,
                  "the blocking caller is stranded in a thread with no loop");
    pthread_join(pt, NULL);
    ck_assert_int_eq(cqt_event_wait(g.moved, CQT_TEST_TIMEOUT_MS), CQT_OK);
    ck_assert_int_eq(g.move_rc, CQT_OK);
    ck_assert_ptr_eq(cqt_object_thread(o), dead);
    ck_assert_int_eq(c.rc, CQT_ENOLOOP);
    ck_assert_int_eq(c.ran, 0);
    ck_assert_int_eq(cqt_test_counter_get(&c.destroyed), 1);
    ck_assert_msg(strstr(c.msg, "'strand-dead'") != NULL, "message names no thread: %s", c.msg);
    ck_assert_msg(strstr(c.msg, "moved") != NULL, "message does not say what happened: %s",
                  c.msg);
    cqt_object_free(o);
    cqt_thread_free(dead);
    cqt_thread_free(a);
    cqt_event_free(g.gate_in);
    cqt_event_free(g.go);
    cqt_event_free(g.moved);
    cqt_event_free(c.done);
}

START_TEST(test_object_move_completes_stranded_blocking_call)
{
    strand_case(false); /* to a thread never started */
    strand_case(true);  /* to a thread whose loop has quit */
}
END_TEST

/* No timer of a moving object fires in the destination before its thread
 * says so: inside the callback the object is its thread's (set_name works). */
typedef struct {
    cqt_thread *b;
    cqt_test_counter wrong, in_b;
    cqt_event *fired_in_b;
} early_log;

static void check_own_thread(void *user_data, cqt_object *o, int id)
{
    (void)id;
    early_log *l = user_data;
    cqt_thread *cur = cqt_thread_current();
    if (cqt_object_thread(o) != cur || cqt_object_set_name(o, "ticking") != CQT_OK)
        cqt_test_counter_add(&l->wrong, 1);
    if (cur == l->b) {
        cqt_test_counter_add(&l->in_b, 1);
        cqt_event_set(l->fired_in_b);
    }
}

START_TEST(test_object_move_no_timer_fires_before_thread_switch)
{
    cqt_thread *a = cqt_thread_new("early-a");
    cqt_thread *b = cqt_thread_new("early-b");
    cqt_thread_start(a);
    cqt_thread_start(b);
    cqt_object *o = cqt_object_new(a);
    cqt_object *other = cqt_object_new(a);
    early_log l = {.b = b, .fired_in_b = cqt_event_new("in-b")};
    ck_assert_int_gt(cqt_object_start_timer(o, 0, CQT_TIMER_COARSE, check_own_thread, &l), 0);
    ck_assert_int_eq(cqt_invoke(o, nothing, NULL, CQT_BLOCKING_QUEUED), CQT_OK); /* armed */
    cqt_event *go = cqt_event_new("go");
    move_job j = {.o = o, .to = b, .rc = -100};
    ck_assert_int_eq(cqt_invoke(o, block_until, go, CQT_QUEUED), CQT_OK);
    ck_assert_int_eq(cqt_invoke(o, move_here, &j, CQT_QUEUED), CQT_OK);
    /* a long mailbox behind the move: scanning it widens the window in
     * which the destination could fire the moved timer too early */
    for (int i = 0; i < 200000; i++)
        cqt_invoke(other, nothing, NULL, CQT_QUEUED);
    cqt_event_set(go);
    ck_assert_int_eq(cqt_event_wait(l.fired_in_b, CQT_TEST_TIMEOUT_MS), CQT_OK);
    ck_assert_int_eq(cqt_invoke(other, nothing, NULL, CQT_BLOCKING_QUEUED), CQT_OK);
    ck_assert_int_eq(j.rc, CQT_OK);
    ck_assert_int_eq(cqt_test_counter_get(&l.wrong), 0);
    cqt_object_free(o);
    cqt_object_free(other);
    cqt_thread_free(a);
    cqt_thread_free(b);
    cqt_event_free(go);
    cqt_event_free(l.fired_in_b);
}
END_TEST

/* set_name in the owner while another thread formats a message naming the
 * object (a refused pull): no data race (ThreadSanitizer). */
typedef struct {
    cqt_object *o;
    int refusals;
    volatile int stop;
} rename_race;

static void *refuse_pulls(void *arg)
{
    rename_race *r = arg;
    cqt_thread *mine = cqt_thread_current();
    for (int i = 0; i < 2000; i++)
        if (cqt_object_move_to_thread(r->o, mine) == CQT_EWRONGTHREAD)
            r->refusals++;
    __atomic_store_n(&r->stop, 1, __ATOMIC_SEQ_CST);
    return NULL;
}

START_TEST(test_object_set_name_races_no_message)
{
    cqt_object *o = cqt_object_new(NULL);
    rename_race r = {.o = o};
    pthread_t pt;
    pthread_create(&pt, NULL, refuse_pulls, &r);
    for (unsigned i = 0; !__atomic_load_n(&r.stop, __ATOMIC_SEQ_CST); i++)
        ck_assert_int_eq(cqt_object_set_name(o, (i & 1) ? "alpha-name" : "b"), CQT_OK);
    pthread_join(pt, NULL);
    ck_assert_int_eq(r.refusals, 2000);
    cqt_object_free(o);
}
END_TEST

/* A reference keeps a freed object's handle valid: calls on it are refused
 * with "was freed" (the refused call's destroy runs), the getters answer,
 * a second free is ignored, and the last unref releases the memory. The
 * object lives in another thread, so the free is deferred there. */
typedef struct {
    cqt_object *o;
    char name[64];
} name_probe;

static void *name_from_pthread(void *arg)
{
    name_probe *p = arg;
    strncpy(p->name, cqt_object_name(p->o), sizeof p->name - 1);
    return NULL;
}

/* An unnamed object is "object-N", N counting creations, from its own
 * thread and from any other; in its own thread the name is stored: the
 * same pointer each time, untouched by other objects' names, until a
 * rename. */
START_TEST(test_object_default_name_is_stored)
{
    cqt_object *a = cqt_object_new(NULL), *b = cqt_object_new(NULL);
    const char *na = cqt_object_name(a);
    unsigned long ia = 0, ib = 0;
    ck_assert_int_eq(sscanf(na, "object-%lu", &ia), 1);
    char copy[64];
    snprintf(copy, sizeof copy, "%s", na);
    ck_assert_int_eq(sscanf(cqt_object_name(b), "object-%lu", &ib), 1);
    ck_assert_uint_eq(ib, ia + 1);
    ck_assert_str_eq(na, copy); /* b's name did not land where a's is */
    ck_assert_ptr_eq(cqt_object_name(a), na);

    name_probe p = {.o = a};
    pthread_t th;
    ck_assert_int_eq(pthread_create(&th, NULL, name_from_pthread, &p), 0);
    pthread_join(th, NULL);
    ck_assert_str_eq(p.name, copy);

    ck_assert_int_eq(cqt_object_set_name(a, "renamed"), CQT_OK);
    ck_assert_str_eq(cqt_object_name(a), "renamed");
    p.name[0] = 0;
    ck_assert_int_eq(pthread_create(&th, NULL, name_from_pthread, &p), 0);
    pthread_join(th, NULL);
    ck_assert_str_eq(p.name, "renamed");
    cqt_object_free(a);
    cqt_object_free(b);
}
END_TEST

START_TEST(test_object_ref_keeps_freed_handle_valid)
{
    cqt_test_counter runs = {0};
    cqt_thread *t = cqt_thread_new("owner");
    ck_assert_int_eq(cqt_thread_start(t), CQT_OK);
    cqt_object *o = cqt_object_new(t);
    ck_assert_ptr_eq(cqt_object_ref(o), o);
    cqt_object_free(o);
    /* Quit and join t: the deferred destroy has run there, and without the
     * reference the memory would be gone now. */
    ck_assert_int_eq(cqt_thread_quit(t), CQT_OK);
    ck_assert_int_eq(cqt_thread_wait(t, CQT_TEST_TIMEOUT_MS), CQT_OK);

    ck_assert_int_eq(cqt_invoke_full(o, count_call, &runs, count_call, CQT_QUEUED), CQT_EINVAL);
    ck_assert_msg(strstr(cqt_last_error(), "was freed") != NULL, "%s", cqt_last_error());
    ck_assert_int_eq(cqt_test_counter_get(&runs), 1); /* the destroy, not fn */
    ck_assert_int_eq(cqt_object_start_timer(o, 10, CQT_TIMER_COARSE, NULL, NULL), CQT_EINVAL);
    ck_assert_ptr_eq(cqt_object_thread(o), t);
    ck_assert_int_eq(strncmp(cqt_object_name(o), "object-", 7), 0);
    /* Passing a held reference on is allowed; a second free is ignored. */
    ck_assert_ptr_eq(cqt_object_ref(o), o);
    cqt_test_capture_start();
    cqt_object_free(o);
    ck_assert_msg(cqt_test_captured_contains("freed twice"), "%s", cqt_test_captured());
    cqt_test_capture_stop();
    cqt_object_unref(o);
    cqt_object_unref(o); /* the last: the memory goes (ASan/valgrind see a leak otherwise) */
    cqt_thread_free(t);
}
END_TEST

/* Misuse: NULL is refused by ref and ignored by unref. */
START_TEST(test_object_ref_null)
{
    ck_assert_ptr_null(cqt_object_ref(NULL));
    ck_assert_msg(strstr(cqt_last_error(), "NULL") != NULL, "%s", cqt_last_error());
    cqt_object_unref(NULL);
}
END_TEST

CQT_TEST_SUITE(object_suite)
{
    Suite *s = suite_create("object");
    TCase *tc = tcase_create("object");
    cqt_test_add_app_fixture(tc);
    tcase_add_test(tc, test_object_thread_explicit_at_creation);
    tcase_add_test(tc, test_object_move_pull_refused_push_moves_timers);
    tcase_add_test(tc, test_object_move_carries_pending_calls_in_order);
    tcase_add_test(tc, test_object_free_with_pending_deliveries_drops_them);
    tcase_add_test(tc, test_object_blocking_queued);
    tcase_add_test(tc, test_object_invoke_refused_without_loop);
    tcase_add_test(tc, test_object_invoke_full_destroy_once);
    tcase_add_test(tc, test_object_free_from_own_delivery);
    tcase_add_test(tc, test_object_move_completes_stranded_blocking_call);
    tcase_add_test(tc, test_object_move_no_timer_fires_before_thread_switch);
    tcase_add_test(tc, test_object_set_name_races_no_message);
    tcase_add_test(tc, test_object_ref_keeps_freed_handle_valid);
    tcase_add_test(tc, test_object_default_name_is_stored);
    tcase_add_test(tc, test_object_ref_null);
    suite_add_tcase(s, tc);
    return s;
}
