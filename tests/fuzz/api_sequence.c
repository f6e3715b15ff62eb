/* api_sequence.c — libFuzzer target: the input is a program of cqt calls.
 *
 * Each step is one opcode byte followed by operand bytes. The interpreter
 * keeps small tables of live handles (objects, signals, timers, events,
 * connections, workers) and never hands the library a pointer it freed —
 * using a freed handle is the caller's bug, not the library's — but it
 * does hand it NULL, foreign pointers of the wrong type where the API
 * detects them, bad sizes, bad enums, NaN and infinite targets, and calls
 * from the wrong thread (a plain pthread that serves as "another thread").
 *
 * Invariants checked after every step (abort on violation, so libFuzzer
 * reports it as a crash):
 *  - every status is CQT_OK, a positive id or a listed cqt_status;
 *  - a failed call leaves a non-empty cqt_last_error();
 *  - a slot or callback never runs for a receiver already freed;
 *  - every destroy function runs exactly once;
 * and at the end of each input, after every handle was freed and the
 * loops drained: cqt_debug_live_counts() is back to its starting values.
 *
 * Built two ways (tests/fuzz/meson.build): as the libFuzzer target with
 * clang (scripts/fuzz), and, in every build, linked to a small driver that
 * replays tests/fuzz/corpus and tests/fuzz/regressions as a normal test. */
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cqt/axis.h>
#include <cqt/cqt.h>
#include <cqt/worker.h>

#include "fuzz-common.h"

#define N_OBJ 6
#define N_SIG 6
#define N_TIMER 6
#define N_EVENT 4
#define N_CONN 12
#define N_WORKER 3

#define CHECK(cond, ...)                                                                       \
    do {                                                                                       \
        if (!(cond)) {                                                                         \
            fprintf(stderr, "api_sequence: invariant broken at line %d: ", __LINE__);          \
            fprintf(stderr, __VA_ARGS__);                                                      \
            fprintf(stderr, "\n");                                                             \
            abort();                                                                           \
        }                                                                                      \
    } while (0)

/* A receiver record: user data of every slot, invoke and timer aimed at an
 * object. `alive` is cleared right after cqt_object_free() returns. */
typedef struct rec {
    int alive;
    int late; /* calls after the free (one in flight is allowed) */
} rec;

static struct {
    cqt_thread *threads[2]; /* cqt threads shared by every input */
    cqt_axis *axis;
    cqt_live_counts base;
    /* the "other thread": a pthread that runs one job at a time */
    pthread_t other;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    void (*job)(void *);
    void *job_arg;
    int job_done;
    int quit; /* ends the other thread (fuzz_api_sequence_fini) */
} G;

static struct {
    cqt_object *obj[N_OBJ];
    rec *objrec[N_OBJ];
    cqt_signal *sig[N_SIG];
    int sig_owner[N_SIG];
    cqt_timer *timer[N_TIMER];
    int timer_owner[N_TIMER];
    cqt_event *ev[N_EVENT];
    cqt_connection conn[N_CONN];
    int conn_sig[N_CONN];
    int conn_recv[N_CONN]; /* the receiver's index: its free ends the connection */
    cqt_worker *worker[N_WORKER];
    int destroys_expected, destroys_done;
    int64_t recs_live;
} S;

/* ---- the other thread --------------------------------------------------- */

static void *other_main(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&G.mu);
    for (;;) {
        while (!G.job && !G.quit)
            pthread_cond_wait(&G.cv, &G.mu);
        if (!G.job)
            break;
        void (*job)(void *) = G.job;
        void *a = G.job_arg;
        pthread_mutex_unlock(&G.mu);
        job(a);
        pthread_mutex_lock(&G.mu);
        G.job = NULL;
        G.job_done = 1;
        pthread_cond_broadcast(&G.cv);
    }
    pthread_mutex_unlock(&G.mu);
    return NULL;
}

static void on_other_thread(void (*job)(void *), void *arg)
{
    pthread_mutex_lock(&G.mu);
    G.job = job;
    G.job_arg = arg;
    G.job_done = 0;
    pthread_cond_broadcast(&G.cv);
    while (!G.job_done) {
        if (cqt_app_is_running()) {
            /* The job may make a blocking call into an object living in
             * main (a CQT_BLOCKING_QUEUED slot): keep main's loop running
             * while waiting, as a real program must, or both wait forever.
             * (Found by the fuzzer as a timeout: a harness deadlock, not
             * one cqt can see — main was blocked on this condition.) */
            pthread_mutex_unlock(&G.mu);
            cqt_app_process_events(1);
            pthread_mutex_lock(&G.mu);
        } else {
            pthread_cond_wait(&G.cv, &G.mu);
        }
    }
    pthread_mutex_unlock(&G.mu);
}

/* ---- invariant helpers ------------------------------------------------- */

static void check_status(const char *what, int rc)
{
    CHECK(rc >= CQT__STATUS_LAST + 1 || rc > 0, "%s returned %d, not a cqt_status", what, rc);
    if (rc < 0)
        CHECK(cqt_last_error()[0] != '\0', "%s failed with %s but left no message", what,
              cqt_status_name(rc));
}

static void on_call(void *user_data)
{
    rec *r = user_data;
    if (!__atomic_load_n(&r->alive, __ATOMIC_SEQ_CST))
        CHECK(__atomic_add_fetch(&r->late, 1, __ATOMIC_SEQ_CST) <= 1,
              "a second queued call ran for an object freed before it");
}

static void on_slot(void *user_data, const cqt_value *arg)
{
    (void)arg;
    on_call(user_data);
}

static void on_tick(void *user_data, cqt_object *o, int id)
{
    (void)o;
    CHECK(id > 0, "timer callback with id %d", id);
    on_call(user_data);
}

/* destroy runs in another thread for some registrations: count atomically */
static void on_destroy_any(void *user_data)
{
    (void)user_data;
    int d = __atomic_add_fetch(&S.destroys_done, 1, __ATOMIC_SEQ_CST);
    CHECK(d <= __atomic_load_n(&S.destroys_expected, __ATOMIC_SEQ_CST),
          "a destroy function ran twice");
}

static void expect_destroy(void)
{
    __atomic_add_fetch(&S.destroys_expected, 1, __ATOMIC_SEQ_CST);
}

static int gen_body(void *user_data, cqt_worker *w, cqt_value *result)
{
    intptr_t n = (intptr_t)user_data;
    for (intptr_t i = 0; i < n; i++) {
        cqt_value v = cqt_value_int(i);
        int rc = cqt_worker_yield(w, &v, NULL);
        cqt_value_clear(&v);
        if (rc == CQT_ECANCELED)
            return CQT_OK;
    }
    if (n % 3 == 2)
        return cqt_worker_fail(w, CQT_EFAULT, "fuzz failure");
    *result = cqt_value_int(n);
    return CQT_OK;
}

/* ---- input reading ----------------------------------------------------- */

typedef struct {
    const uint8_t *p;
    size_t n;
} input;

static uint8_t byte(input *in)
{
    if (in->n == 0)
        return 0;
    in->n--;
    return *in->p++;
}

static int16_t i16(input *in)
{
    uint16_t v = (uint16_t)(byte(in) | (byte(in) << 8));
    return (int16_t)v;
}

static double dbl(input *in)
{
    switch (byte(in) % 6) {
    case 0: return NAN;
    case 1: return INFINITY;
    case 2: return -INFINITY;
    case 3: return 1e300;
    default: return (double)i16(in) / 8.0;
    }
}

static cqt_thread *pick_thread(input *in)
{
    switch (byte(in) % 5) {
    case 0: return NULL; /* the current thread */
    case 1: return cqt_thread_main();
    case 2: return G.threads[0];
    case 3: return G.threads[1];
    default: return cqt_thread_current(); /* main: the interpreter runs there */
    }
}

static int pick_conn(input *in)
{
    uint8_t b = byte(in);
    return b < 240 ? b % 4 : (int)(int8_t)b; /* mostly valid, sometimes negative */
}

/* ---- frees that keep the tables consistent ------------------------------ */

static void free_object(int i)
{
    if (!S.obj[i])
        return;
    cqt_object_free(S.obj[i]);
    __atomic_store_n(&S.objrec[i]->alive, 0, __ATOMIC_SEQ_CST);
    S.obj[i] = NULL;
    /* its signals and timers went with it */
    for (int k = 0; k < N_SIG; k++)
        if (S.sig[k] && S.sig_owner[k] == i) {
            S.sig[k] = NULL;
            for (int c = 0; c < N_CONN; c++)
                if (S.conn[c] && S.conn_sig[c] == k)
                    S.conn[c] = 0;
        }
    for (int k = 0; k < N_TIMER; k++)
        if (S.timer[k] && S.timer_owner[k] == i)
            S.timer[k] = NULL;
    /* and so did the connections it received (found by the fuzzer: the
     * table kept them, and a later disconnect was refused, rightly) */
    for (int c = 0; c < N_CONN; c++)
        if (S.conn[c] && S.conn_recv[c] == i)
            S.conn[c] = 0;
}

typedef struct {
    cqt_object *o;
    cqt_thread *t;
    int rc[3];
} wrong_thread_job;

static void wrong_thread_calls(void *arg)
{
    wrong_thread_job *j = arg;
    j->rc[0] = cqt_object_move_to_thread(j->o, j->t);
    j->rc[1] = cqt_object_set_name(j->o, "from-elsewhere");
    j->rc[2] = cqt_app_process_events(0);
}

typedef struct {
    cqt_signal *s;
    int rc;
} emit_job;

static void emit_elsewhere(void *arg)
{
    emit_job *j = arg;
    cqt_value v = cqt_value_string("from the other thread");
    j->rc = cqt_emit(j->s, &v);
    cqt_value_clear(&v);
}

/* ---- one step ------------------------------------------------------------ */

static void step(input *in)
{
    uint8_t op = byte(in);
    int i = byte(in) % N_OBJ;
    int rc;
    cqt_set_last_error(CQT_OK, NULL);
    switch (op % 24) {
    case 0: /* object_new */
        if (!S.obj[i]) {
            S.obj[i] = cqt_object_new(pick_thread(in));
            CHECK(S.obj[i] != NULL, "cqt_object_new: %s", cqt_last_error());
            S.objrec[i] = calloc(1, sizeof(rec));
            S.objrec[i]->alive = 1;
        }
        break;
    case 1: /* object_free */
        free_object(i);
        break;
    case 2: { /* signal_new */
        int k = byte(in) % N_SIG;
        if (!S.sig[k]) {
            S.sig[k] = cqt_signal_new(S.obj[i], byte(in) % 4 ? "s" : NULL);
            S.sig_owner[k] = i;
            if (!S.obj[i])
                CHECK(S.sig[k] == NULL, "cqt_signal_new(NULL) gave a signal");
        }
        break;
    }
    case 3: { /* connect */
        int k = byte(in) % N_SIG, c = byte(in) % N_CONN;
        if (S.conn[c])
            break;
        int type = pick_conn(in);
        expect_destroy();
        cqt_connection id = cqt_connect(S.sig[k], S.obj[i], on_slot, S.obj[i] ? S.objrec[i] : NULL,
                                        on_destroy_any, (cqt_conn)type);
        if (id) {
            CHECK(S.sig[k] && S.obj[i], "cqt_connect succeeded with a NULL argument");
            S.conn[c] = id;
            S.conn_sig[c] = k;
            S.conn_recv[c] = i;
        } else {
            CHECK(cqt_last_error()[0], "cqt_connect failed without a message");
        }
        break;
    }
    case 4: { /* disconnect */
        int c = byte(in) % N_CONN;
        if (S.conn[c] && S.sig[S.conn_sig[c]]) {
            rc = cqt_disconnect(S.sig[S.conn_sig[c]], S.conn[c]);
            CHECK(rc == CQT_OK, "cqt_disconnect of a live connection: %s", cqt_last_error());
            S.conn[c] = 0;
        } else {
            int k = byte(in) % N_SIG;
            rc = cqt_disconnect(S.sig[k], (cqt_connection)(byte(in) * 1000003u));
            check_status("cqt_disconnect", rc);
        }
        break;
    }
    case 5: { /* emit */
        int k = byte(in) % N_SIG;
        cqt_value v;
        switch (byte(in) % 5) {
        case 0: v = cqt_value_none(); break;
        case 1: v = cqt_value_int(i16(in)); break;
        case 2: v = cqt_value_double(dbl(in)); break;
        case 3: v = cqt_value_string("payload"); break;
        default: {
            uint8_t len = byte(in) % 16;
            v = cqt_value_bytes(in->p, len <= in->n ? len : in->n);
            break;
        }
        }
        rc = cqt_emit(S.sig[k], &v);
        cqt_value_clear(&v);
        check_status("cqt_emit", rc);
        break;
    }
    case 6: { /* timer_new */
        int k = byte(in) % N_TIMER;
        if (!S.timer[k] && S.obj[i]) {
            S.timer[k] = cqt_timer_new(S.obj[i], "t");
            S.timer_owner[k] = i;
            CHECK(S.timer[k], "cqt_timer_new: %s", cqt_last_error());
            expect_destroy();
            if (!cqt_connect(cqt_timer_timeout(S.timer[k]), S.obj[i], on_slot, S.objrec[i],
                             on_destroy_any, CQT_AUTO))
                CHECK(cqt_last_error()[0], "connect to a timer failed without a message");
        }
        break;
    }
    case 7: { /* timer_start */
        int k = byte(in) % N_TIMER;
        int ms = (int)(int8_t)byte(in);
        rc = cqt_timer_start(S.timer[k], ms);
        check_status("cqt_timer_start", rc);
        if (ms < 0 || !S.timer[k])
            CHECK(rc == CQT_EINVAL, "cqt_timer_start(%d) gave %s", ms, cqt_status_name(rc));
        break;
    }
    case 8: { /* timer stop / single shot / type / free */
        int k = byte(in) % N_TIMER;
        switch (byte(in) % 4) {
        case 0: rc = cqt_timer_stop(S.timer[k]); break;
        case 1: rc = cqt_timer_set_single_shot(S.timer[k], byte(in) & 1); break;
        case 2: rc = cqt_timer_set_type(S.timer[k], (int)(int8_t)byte(in) % 5); break;
        default:
            cqt_timer_free(S.timer[k]);
            S.timer[k] = NULL;
            rc = CQT_OK;
            break;
        }
        check_status("timer op", rc);
        (void)cqt_timer_is_active(S.timer[k]);
        (void)cqt_timer_remaining_ms(S.timer[k]);
        break;
    }
    case 9: /* move_to_thread, from main: wrong thread unless the object lives in main */
        rc = cqt_object_move_to_thread(S.obj[i], pick_thread(in));
        check_status("cqt_object_move_to_thread", rc);
        break;
    case 10: { /* invoke */
        int type = pick_conn(in);
        if (type == CQT_BLOCKING_QUEUED)
            type = CQT_QUEUED; /* a blocking call into a thread the input cannot make run */
        if (S.obj[i])
            expect_destroy();
        rc = cqt_invoke_full(S.obj[i], on_call, S.obj[i] ? S.objrec[i] : NULL,
                             S.obj[i] ? on_destroy_any : NULL, (cqt_conn)type);
        check_status("cqt_invoke", rc);
        break;
    }
    case 11: { /* events */
        int k = byte(in) % N_EVENT;
        switch (byte(in) % 5) {
        case 0:
            if (!S.ev[k])
                S.ev[k] = cqt_event_new(byte(in) & 1 ? "e" : NULL);
            break;
        case 1: check_status("cqt_event_set", cqt_event_set(S.ev[k])); break;
        case 2: check_status("cqt_event_clear", cqt_event_clear(S.ev[k])); break;
        case 3: {
            rc = cqt_event_wait(S.ev[k], byte(in) % 2 ? 0 : -(int)byte(in) - 2);
            check_status("cqt_event_wait", rc);
            break;
        }
        default: {
            int results[N_EVENT];
            size_t n = byte(in) % (N_EVENT + 1);
            rc = cqt_event_wait_all(S.ev, n, 0, results);
            check_status("cqt_event_wait_all", rc);
            break;
        }
        }
        break;
    }
    case 12:
        check_status("cqt_app_process_events", cqt_app_process_events(byte(in) % 3));
        break;
    case 13: { /* wrong-thread calls from a plain pthread */
        wrong_thread_job j = {S.obj[i], pick_thread(in), {0, 0, 0}};
        on_other_thread(wrong_thread_calls, &j);
        for (int k = 0; k < 3; k++)
            CHECK(j.rc[k] <= 0 && j.rc[k] > CQT__STATUS_LAST, "wrong-thread call %d gave %d", k,
                  j.rc[k]);
        if (S.obj[i])
            CHECK(j.rc[0] == CQT_EWRONGTHREAD || j.rc[0] == CQT_EINVAL || j.rc[0] == CQT_ENOLOOP,
                  "move_to_thread from a pthread: %s", cqt_status_name(j.rc[0]));
        CHECK(j.rc[2] == CQT_ENOLOOP, "process_events in a pthread: %s",
              cqt_status_name(j.rc[2]));
        break;
    }
    case 14: { /* emit from the other thread */
        emit_job j = {S.sig[byte(in) % N_SIG], 0};
        on_other_thread(emit_elsewhere, &j);
        CHECK(j.rc <= 0 && j.rc > CQT__STATUS_LAST, "emit elsewhere gave %d", j.rc);
        break;
    }
    case 15: { /* the axis */
        switch (byte(in) % 4) {
        case 0: {
            double x = dbl(in);
            rc = cqt_axis_move_to(G.axis, x);
            check_status("cqt_axis_move_to", rc);
            if (!isfinite(x))
                CHECK(rc == CQT_EINVAL, "move_to(%f) gave %s", x, cqt_status_name(rc));
            break;
        }
        case 1: check_status("cqt_axis_stop", cqt_axis_stop(G.axis)); break;
        case 2:
            rc = cqt_axis_inject_fault(G.axis, (cqt_axis_fault)((int)(int8_t)byte(in) % 5));
            check_status("cqt_axis_inject_fault", rc);
            break;
        default: check_status("cqt_axis_clear_fault", cqt_axis_clear_fault(G.axis)); break;
        }
        break;
    }
    case 16: { /* workers */
        int k = byte(in) % N_WORKER;
        if (!S.worker[k]) {
            expect_destroy();
            S.worker[k] = cqt_worker_new_generator(NULL, gen_body, (void *)(intptr_t)(byte(in) % 8),
                                                   on_destroy_any);
            CHECK(S.worker[k], "cqt_worker_new_generator: %s", cqt_last_error());
            cqt_worker_set_flags(S.worker[k], CQT_WORKER_IGNORE_ERRORS);
        }
        switch (byte(in) % 6) {
        case 0: rc = cqt_worker_start(S.worker[k]); break;
        case 1: rc = cqt_worker_quit(S.worker[k]); break;
        case 2: rc = cqt_worker_pause(S.worker[k]); break;
        case 3: rc = cqt_worker_resume(S.worker[k]); break;
        case 4: {
            cqt_value v = cqt_value_int(1);
            rc = cqt_worker_send(S.worker[k], &v);
            cqt_value_clear(&v);
            break;
        }
        default:
            if (S.obj[i]) {
                expect_destroy();
                cqt_connection c = cqt_worker_connect(S.worker[k], byte(in) % (CQT_WORKER_N_SIGNALS + 2),
                                                      S.obj[i], NULL, NULL, on_destroy_any);
                CHECK(c == 0, "cqt_worker_connect with a NULL handler succeeded");
            }
            rc = CQT_OK;
            break;
        }
        check_status("worker op", rc);
        break;
    }
    case 17: { /* single shot */
        if (S.obj[i])
            expect_destroy();
        rc = cqt_single_shot_full((int)(int8_t)byte(in) % 4, S.obj[i], on_call,
                                  S.obj[i] ? S.objrec[i] : NULL, S.obj[i] ? on_destroy_any : NULL);
        check_status("cqt_single_shot_full", rc);
        break;
    }
    case 18: { /* object timer */
        if (S.obj[i])
            expect_destroy();
        rc = cqt_object_start_timer_full(S.obj[i], (int)(int8_t)byte(in) % 4, (int)(int8_t)byte(in) % 4,
                                         on_tick, S.obj[i] ? S.objrec[i] : NULL,
                                         S.obj[i] ? on_destroy_any : NULL);
        check_status("cqt_object_start_timer_full", rc);
        if (rc > 0 && byte(in) & 1)
            check_status("cqt_object_kill_timer", cqt_object_kill_timer(S.obj[i], rc));
        break;
    }
    case 19: { /* names, including very long ones */
        char name[300];
        size_t len = byte(in);
        memset(name, 'a' + (int)(len % 26), len);
        name[len] = '\0';
        rc = cqt_object_set_name(S.obj[i], name);
        check_status("cqt_object_set_name", rc);
        CHECK(strlen(cqt_object_name(S.obj[i])) < 64, "a name longer than 63 bytes was kept");
        break;
    }
    case 20: { /* values */
        cqt_value a = cqt_value_bytes(in->p, in->n < 8 ? in->n : 8), b;
        CHECK(cqt_value_copy(&b, &a) == CQT_OK, "copy");
        CHECK(cqt_value_equal(&a, &b), "a copy differs");
        cqt_value_clear(&a);
        cqt_value_clear(&b);
        cqt_value_clear(&b);
        CHECK(cqt_value_copy(NULL, &a) == CQT_EINVAL, "copy to NULL");
        break;
    }
    case 21: { /* when_all on the events */
        cqt_event *evs[N_EVENT];
        size_t n = 0;
        for (int k = 0; k < N_EVENT; k++)
            if (S.ev[k])
                evs[n++] = S.ev[k];
        if (n && S.obj[i]) {
            /* The events must outlive the wait: give it a short timeout and
             * drain it before any event is freed (at the end of the input). */
            expect_destroy();
            rc = cqt_event_when_all(evs, n, byte(in) % 5, S.obj[i], NULL, NULL, on_destroy_any);
            CHECK(rc == CQT_EINVAL, "when_all with a NULL fn: %s", cqt_status_name(rc));
        }
        break;
    }
    case 22: /* free a signal early */ {
        int k = byte(in) % N_SIG;
        if (S.sig[k]) {
            cqt_signal_free(S.sig[k]);
            S.sig[k] = NULL;
            for (int c = 0; c < N_CONN; c++)
                if (S.conn[c] && S.conn_sig[c] == k)
                    S.conn[c] = 0;
        }
        break;
    }
    default: /* bad handles of the wrong type, where the API can tell */
        if (S.ev[0])
            CHECK(cqt_object_new((cqt_thread *)S.ev[0]) == NULL,
                  "cqt_object_new accepted an event as a thread");
        break;
    }
}

static bool counts_back(void)
{
    cqt_live_counts c;
    cqt_debug_live_counts(&c);
    return c.threads == G.base.threads && c.objects == G.base.objects &&
           c.timers == G.base.timers && c.signal_handles == G.base.signal_handles &&
           c.connections == G.base.connections && c.events == G.base.events &&
           c.workers == G.base.workers && c.pending == G.base.pending;
}

static void finish_input(void)
{
    for (int k = 0; k < N_WORKER; k++) {
        if (S.worker[k]) {
            cqt_worker_quit(S.worker[k]);
            cqt_worker_resume(S.worker[k]);
            if (cqt_worker_is_running(S.worker[k]))
                CHECK(cqt_worker_wait(S.worker[k], 30000) == CQT_OK, "worker did not stop");
            cqt_worker_unref(S.worker[k]);
        }
    }
    cqt_axis_clear_fault(G.axis);
    cqt_axis_stop(G.axis);
    for (int i = 0; i < N_OBJ; i++)
        free_object(i);
    for (int k = 0; k < N_EVENT; k++) {
        cqt_event_free(S.ev[k]);
        S.ev[k] = NULL;
    }
    /* Let deferred frees, dropped deliveries and worker releases run. */
    for (int round = 0; round < 20000 && !counts_back(); round++) {
        cqt_app_process_events(1);
    }
    cqt_live_counts c;
    cqt_debug_live_counts(&c);
    CHECK(counts_back(),
          "handles left after the input: objects %lld timers %lld signals %lld connections %lld "
          "events %lld workers %lld pending %lld",
          (long long)(c.objects - G.base.objects), (long long)(c.timers - G.base.timers),
          (long long)(c.signal_handles - G.base.signal_handles),
          (long long)(c.connections - G.base.connections), (long long)(c.events - G.base.events),
          (long long)(c.workers - G.base.workers), (long long)(c.pending - G.base.pending));
    int expected = __atomic_load_n(&S.destroys_expected, __ATOMIC_SEQ_CST);
    int done = __atomic_load_n(&S.destroys_done, __ATOMIC_SEQ_CST);
    CHECK(done == expected, "%d destroy functions expected, %d ran", expected, done);
    for (int i = 0; i < N_OBJ; i++)
        free(S.objrec[i]);
    memset(&S, 0, sizeof S);
}

static void adopt_other_thread(void *arg)
{
    (void)arg;
    (void)cqt_thread_current();
}

int fuzz_api_sequence_init(void)
{
    static int argc = 1;
    static char arg0[] = "fuzz-api-sequence";
    static char *argv[] = {arg0, NULL};
    cqt_set_message_handler(fuzz_quiet_handler, NULL, NULL);
    if (cqt_app_init(&argc, argv, CQT_APP_CORE) != CQT_OK)
        return -1;
    cqt_pool_set_max_threads(3);
    for (int i = 0; i < 2; i++) {
        G.threads[i] = cqt_thread_new(i ? "fuzz-b" : "fuzz-a");
        cqt_thread_start(G.threads[i]);
    }
    cqt_axis_config c;
    cqt_axis_config_init(&c);
    c.name = "fz";
    c.speed = 1000;
    c.min_position = -100;
    c.max_position = 100;
    c.time_scale = 50;
    c.thread = G.threads[0];
    G.axis = cqt_axis_new(&c);
    if (!G.axis)
        return -1;
    pthread_mutex_init(&G.mu, NULL);
    pthread_cond_init(&G.cv, NULL);
    pthread_create(&G.other, NULL, other_main, NULL);
    /* so that the other thread's adopted handle is counted in the base */
    on_other_thread(adopt_other_thread, NULL);
    for (int i = 0; i < 10000; i++) {
        cqt_debug_live_counts(&G.base);
        if (G.base.pending == 0)
            break;
        cqt_app_process_events(1);
    }
    return 0;
}

int fuzz_api_sequence_fini(void)
{
    /* The other thread first: its adopted handle goes as it exits. */
    pthread_mutex_lock(&G.mu);
    G.quit = 1;
    pthread_cond_broadcast(&G.cv);
    pthread_mutex_unlock(&G.mu);
    pthread_join(G.other, NULL);
    cqt_axis_free(G.axis);
    for (int i = 0; i < 2; i++)
        cqt_thread_free(G.threads[i]);
    int rc = cqt_app_shutdown(60000);
    if (rc != CQT_OK) {
        fprintf(stderr, "api_sequence: cqt_app_shutdown: %s (%s)\n", cqt_status_name(rc),
                cqt_last_error());
        return -1;
    }
    cqt_live_counts c;
    cqt_debug_live_counts(&c);
    CHECK(c.threads == 0 && c.objects == 0 && c.timers == 0 && c.signal_handles == 0 &&
              c.connections == 0 && c.events == 0 && c.workers == 0 && c.pending == 0,
          "handles left after shutdown: threads %lld objects %lld timers %lld signals %lld "
          "connections %lld events %lld workers %lld pending %lld",
          (long long)c.threads, (long long)c.objects, (long long)c.timers,
          (long long)c.signal_handles, (long long)c.connections, (long long)c.events,
          (long long)c.workers, (long long)c.pending);
    pthread_mutex_destroy(&G.mu);
    pthread_cond_destroy(&G.cv);
    return 0;
}

int fuzz_api_sequence_run(const uint8_t *data, size_t size)
{
    input in = {data, size};
    for (int steps = 0; in.n > 0 && steps < 256; steps++)
        step(&in);
    finish_input();
    return 0;
}
