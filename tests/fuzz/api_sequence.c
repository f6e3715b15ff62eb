/* SPDX-License-Identifier: MIT */
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
 * Further operation kinds (callbacks that free or shut down what runs
 * them, races between threads, restarts) are off unless CQT_FUZZ_NEW_OPS
 * names them: see "new operation kinds" below.
 *
 * Built two ways (tests/fuzz/meson.build): as the libFuzzer target with
 * clang (scripts/fuzz), and, in every build, linked to a small driver that
 * replays tests/fuzz/corpus and tests/fuzz/regressions as a normal test. */
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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

static void on_loose_call(void *user_data)
{
    (void)user_data;
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

/* ---- new operation kinds --------------------------------------------------
 *
 * Calls from inside callbacks, races between threads, and application
 * restarts: the kinds an adversarial pass found bugs with. Each is off
 * unless CQT_FUZZ_NEW_OPS names it ("1" or "all": every kind; else a comma
 * list of the names below); scripts/fuzz turns them all on. With a kind
 * off its opcode bytes decode as before, so the older corpus and
 * regression inputs replay the same steps; the replay driver turns kinds
 * on for an input named "newops-KINDS-..." (fuzz_api_sequence_set_kinds).
 *
 * An opcode byte from NEW_OP_BASE up picks kind (op - NEW_OP_BASE) %
 * N_NEW_OPS when that kind is on. Each kind builds what it needs (its own
 * axes, stages, threads, objects), waits with a deadline for the callbacks
 * it armed, and leaves nothing behind. */
enum {
    NOP_AXIS_SELF_FREE,       /* an axis freed from its own position_changed slot */
    NOP_OBJECT_SELF_FREE,     /* an object freed from its own call, tick or slot */
    NOP_STAGE_FREE_ASYNC,     /* a stage freed during its async move, or from its report */
    NOP_SHUTDOWN_IN_CALLBACK, /* cqt_app_shutdown() from a callback, then init again */
    NOP_THREAD_IN_CALLBACK,   /* thread start/quit/free from a callback */
    NOP_MOVE_IN_CALLBACK,     /* an object with a running timer moves itself */
    NOP_THREAD_RACE,          /* start, start and quit of one thread from three threads */
    NOP_TIMER_CHANGE_RUNNING, /* single shot / type / interval changed on a running timer */
    NOP_MOVE_VS_BLOCKING,     /* a move racing BLOCKING_QUEUED calls into the object */
    NOP_NAME_RACE,            /* an object's name read elsewhere while its owner renames it */
    NOP_POOL_VS_INIT,         /* pool calls from a thread across shutdown/init cycles */
    N_NEW_OPS
};

static const char *const new_op_names[N_NEW_OPS] = {
    "axis_self_free", "object_self_free", "stage_free_async", "shutdown_in_callback",
    "thread_in_callback", "move_in_callback", "thread_race", "timer_change_running",
    "move_vs_blocking", "name_race", "pool_vs_init",
};

#define NEW_OP_BASE 0xE8 /* 232..255: 24 opcodes, two per kind (and two spare) */
#define NEW_OP_WAIT_MS 10000 /* what a callback gets to run: far beyond need */

static unsigned g_new_ops; /* bit k: kind k is on */

/* Sets the kinds that are on from @spec: NULL, "" or "0": none; "1" or
 * "all": every kind; else names separated by ',', ' ' or '+'. Returns -1
 * (and changes nothing) for a name it does not know. */
int fuzz_api_sequence_set_kinds(const char *spec, bool verbose)
{
    unsigned mask = 0;
    if (spec && *spec && strcmp(spec, "0") != 0) {
        if (!strcmp(spec, "1") || !strcmp(spec, "all")) {
            mask = (1u << N_NEW_OPS) - 1;
        } else {
            char buf[512];
            snprintf(buf, sizeof buf, "%s", spec);
            for (char *save = NULL, *tok = strtok_r(buf, ", +", &save); tok;
                 tok = strtok_r(NULL, ", +", &save)) {
                int k = 0;
                while (k < N_NEW_OPS && strcmp(tok, new_op_names[k]) != 0)
                    k++;
                if (k == N_NEW_OPS) {
                    fprintf(stderr, "api_sequence: unknown operation kind '%s'; the kinds:", tok);
                    for (k = 0; k < N_NEW_OPS; k++)
                        fprintf(stderr, " %s", new_op_names[k]);
                    fprintf(stderr, "\n");
                    return -1;
                }
                mask |= 1u << k;
            }
        }
    }
    g_new_ops = mask;
    if (verbose && mask) {
        fprintf(stderr, "api_sequence: new operation kinds on:");
        for (int k = 0; k < N_NEW_OPS; k++)
            if (mask & (1u << k))
                fprintf(stderr, " %s", new_op_names[k]);
        fprintf(stderr, "\n");
    }
    return 0;
}

static int64_t mono_ms(void)
{
    return cqt_now_ns() / 1000000;
}

/* Runs main's loop (or sleeps, with no app) until *flag or @ms passed. */
static bool wait_flag(const int *flag, int ms)
{
    int64_t end = mono_ms() + ms;
    while (!__atomic_load_n(flag, __ATOMIC_SEQ_CST) && mono_ms() < end) {
        if (cqt_app_is_running()) {
            cqt_app_process_events(1);
        } else {
            struct timespec ts = {0, 1000000};
            nanosleep(&ts, NULL);
        }
    }
    return __atomic_load_n(flag, __ATOMIC_SEQ_CST) != 0;
}

static void run_loop_ms(int ms)
{
    int never = 0;
    (void)wait_flag(&never, ms);
}

static void set_flag(int *flag)
{
    __atomic_store_n(flag, 1, __ATOMIC_SEQ_CST);
}

static cqt_axis *new_test_axis(const char *name, cqt_thread *t)
{
    cqt_axis_config c;
    cqt_axis_config_init(&c);
    c.name = name;
    c.speed = 1000;
    c.min_position = -100;
    c.max_position = 100;
    c.time_scale = 50;
    c.thread = t;
    cqt_axis *a = cqt_axis_new(&c);
    CHECK(a, "cqt_axis_new: %s", cqt_last_error());
    return a;
}

/* -- axis_self_free -- */
static struct {
    cqt_axis *axis;
    int calls, freed;
} g_asf;

static void asf_slot(void *user_data, const cqt_value *arg)
{
    (void)user_data;
    (void)arg;
    if (__atomic_fetch_add(&g_asf.calls, 1, __ATOMIC_SEQ_CST) == 0) {
        cqt_axis_free(g_asf.axis);
        set_flag(&g_asf.freed);
    }
}

static void op_axis_self_free(input *in)
{
    uint8_t v = byte(in);
    memset(&g_asf, 0, sizeof g_asf);
    /* its own thread, or one of the shared ones */
    g_asf.axis = new_test_axis("self", v & 1 ? G.threads[1] : NULL);
    /* the slot in the axis thread: direct (receiver in main), or auto or
     * queued on a receiver living there (queued: after the step returned) */
    static const cqt_conn how[] = {CQT_DIRECT, CQT_AUTO, CQT_QUEUED};
    cqt_conn conn = how[(v >> 1) % 3];
    cqt_object *rx = cqt_object_new(conn == CQT_DIRECT ? NULL : cqt_axis_thread(g_asf.axis));
    CHECK(rx, "cqt_object_new: %s", cqt_last_error());
    /* its position_changed, position_reached or stopped signal */
    int which = (v >> 3) % 3;
    cqt_signal *sig = which == 0   ? cqt_axis_position_changed(g_asf.axis)
                      : which == 1 ? cqt_axis_position_reached(g_asf.axis)
                                   : cqt_axis_stopped(g_asf.axis);
    cqt_connection c = cqt_connect(sig, rx, asf_slot, NULL, NULL, conn);
    int rc = c ? cqt_axis_move_to(g_asf.axis, 5 + byte(in) % 80) : CQT_EINVAL;
    if (rc == CQT_OK && which == 2)
        rc = cqt_axis_stop(g_asf.axis);
    if (rc == CQT_OK)
        CHECK(wait_flag(&g_asf.freed, NEW_OP_WAIT_MS),
              "axis_self_free: the position_changed slot never ran");
    else
        cqt_axis_free(g_asf.axis);
    cqt_object_free(rx);
}

/* -- object_self_free -- */
static struct {
    cqt_object *o;
    int freed;
} g_osf;

static void osf_free_once(void)
{
    if (__atomic_exchange_n(&g_osf.freed, 1, __ATOMIC_SEQ_CST) == 0)
        cqt_object_free(g_osf.o);
}

static void osf_call(void *user_data)
{
    (void)user_data;
    osf_free_once();
}

static void osf_tick(void *user_data, cqt_object *o, int id)
{
    (void)user_data;
    (void)o;
    (void)id;
    osf_free_once();
}

static void osf_slot(void *user_data, const cqt_value *arg)
{
    (void)user_data;
    (void)arg;
    osf_free_once();
}

static void op_object_self_free(input *in)
{
    uint8_t v = byte(in);
    memset(&g_osf, 0, sizeof g_osf);
    cqt_thread *t = v % 3 == 0 ? cqt_thread_main() : G.threads[v % 3 - 1];
    g_osf.o = cqt_object_new(t);
    CHECK(g_osf.o, "cqt_object_new: %s", cqt_last_error());
    int rc;
    switch ((v >> 2) % 5) {
    case 0: rc = cqt_invoke(g_osf.o, osf_call, NULL, CQT_QUEUED); break;
    case 1: rc = cqt_single_shot(byte(in) % 3, g_osf.o, osf_call, NULL); break;
    case 2:
        rc = cqt_object_start_timer(g_osf.o, byte(in) % 3, CQT_TIMER_PRECISE, osf_tick, NULL);
        rc = rc > 0 ? CQT_OK : rc;
        break;
    case 3: { /* a cqt_timer's timeout slot frees the timer's owner */
        cqt_timer *tm = cqt_timer_new(g_osf.o, "self");
        rc = cqt_connect(cqt_timer_timeout(tm), g_osf.o, osf_slot, NULL, NULL, CQT_AUTO)
                 ? cqt_timer_start(tm, byte(in) % 3)
                 : CQT_EINVAL;
        break;
    }
    default: { /* a signal of its own, emitted from main */
        cqt_signal *s = cqt_signal_new(g_osf.o, "self");
        rc = cqt_connect(s, g_osf.o, osf_slot, NULL, NULL, (cqt_conn)(byte(in) % 3))
                 ? cqt_emit(s, NULL)
                 : CQT_EINVAL;
        break;
    }
    }
    check_status("object_self_free: arming", rc);
    if (rc == CQT_OK)
        CHECK(wait_flag(&g_osf.freed, NEW_OP_WAIT_MS), "object_self_free: the callback never ran");
    else
        osf_free_once();
}

/* -- stage_free_async -- */
static struct {
    cqt_stage *s;
    int free_in_fn;
    int reported, destroyed;
} g_sfa;

static void sfa_report(void *user_data, cqt_stage *stage, const cqt_stage_report *r)
{
    (void)user_data;
    (void)r;
    CHECK(stage == g_sfa.s, "stage report for another stage");
    set_flag(&g_sfa.reported);
    if (g_sfa.free_in_fn)
        cqt_stage_free(stage);
}

static void sfa_destroy(void *user_data)
{
    (void)user_data;
    CHECK(__atomic_add_fetch(&g_sfa.destroyed, 1, __ATOMIC_SEQ_CST) == 1,
          "stage_free_async: the report's destroy ran twice");
}

static void sfa_free_elsewhere(void *arg)
{
    cqt_stage_free(arg);
}

static void op_stage_free_async(input *in)
{
    uint8_t v = byte(in);
    memset(&g_sfa, 0, sizeof g_sfa);
    static const char *const names[] = {"sa", "sb"};
    cqt_axis_config ac;
    cqt_axis_config_init(&ac);
    ac.speed = 1000;
    ac.min_position = -100;
    ac.max_position = 100;
    ac.time_scale = 50;
    cqt_stage_config sc = {"fz-stage", names, 1 + (v & 1), &ac, v & 2 ? G.threads[1] : NULL};
    g_sfa.s = cqt_stage_new_from_config(&sc);
    CHECK(g_sfa.s, "cqt_stage_new_from_config: %s", cqt_last_error());
    cqt_object *rx = cqt_object_new(v & 4 ? G.threads[0] : NULL);
    double targets[2] = {(double)(int8_t)byte(in), (double)(int8_t)byte(in)};
    int how = (v >> 3) % 6;
    g_sfa.free_in_fn = how == 1;
    int rc = cqt_stage_move_to_async(g_sfa.s, targets, (cqt_stage_mode)((v >> 5) & 1),
                                     1 + byte(in) * 8, rx, sfa_report, NULL, sfa_destroy);
    check_status("cqt_stage_move_to_async", rc);
    bool freed = false;
    if (rc == CQT_OK) {
        switch (how) {
        case 0: cqt_stage_free(g_sfa.s); freed = true; break; /* during the move */
        case 1: break;                                        /* from the report */
        case 2: on_other_thread(sfa_free_elsewhere, g_sfa.s); freed = true; break;
        case 3:
            cqt_stage_stop(g_sfa.s);
            cqt_stage_free(g_sfa.s);
            freed = true;
            break;
        case 4: /* the receiver first: the report is dropped */
            cqt_object_free(rx);
            rx = NULL;
            cqt_stage_free(g_sfa.s);
            freed = true;
            break;
        default: /* the stage, then at once its receiver */
            cqt_stage_free(g_sfa.s);
            cqt_object_free(rx);
            rx = NULL;
            freed = true;
            break;
        }
        CHECK(wait_flag(&g_sfa.destroyed, NEW_OP_WAIT_MS),
              "stage_free_async: the report never ended (reported %d)", g_sfa.reported);
        if (g_sfa.free_in_fn && !g_sfa.reported)
            cqt_stage_free(g_sfa.s); /* dropped report: nobody freed it */
        freed = true;
    }
    if (!freed)
        cqt_stage_free(g_sfa.s);
    cqt_object_free(rx);
}

/* -- the shared setup, torn down and rebuilt by the restarting kinds -- */
static int g_setup(void);
static void g_teardown(void);
static void g_rebase(void);
static void finish_input(void);

/* -- shutdown_in_callback -- */
static struct {
    int ran, rc;
} g_sic;

static void sic_call(void *user_data)
{
    g_sic.rc = cqt_app_shutdown((int)(intptr_t)user_data);
    check_status("cqt_app_shutdown in a callback", g_sic.rc); /* the message is this thread's */
    set_flag(&g_sic.ran);
}

static void op_shutdown_in_callback(input *in)
{
    uint8_t v = byte(in);
    finish_input(); /* the tables empty: the restart must not strand them */
    g_teardown();
    memset(&g_sic, 0, sizeof g_sic);
    cqt_thread *t = NULL;
    if (v & 1) { /* from a callback in another cqt thread: refused, never done */
        t = cqt_thread_new("fz-sd");
        cqt_thread_start(t);
    }
    cqt_object *o = cqt_object_new(t);
    CHECK(o, "cqt_object_new: %s", cqt_last_error());
    void *timeout = (void *)(intptr_t)(100 + byte(in) * 20);
    int rc = v & 2 ? cqt_single_shot(0, o, sic_call, timeout)
                   : cqt_invoke(o, sic_call, timeout, CQT_QUEUED);
    check_status("shutdown_in_callback: arming", rc);
    if (rc == CQT_OK) {
        CHECK(wait_flag(&g_sic.ran, NEW_OP_WAIT_MS), "shutdown_in_callback: never ran");
        if (t)
            CHECK(g_sic.rc == CQT_EWRONGTHREAD, "cqt_app_shutdown off main gave %s",
                  cqt_status_name(g_sic.rc));
    }
    cqt_object_free(o); /* handles stay valid to free after a shutdown */
    cqt_thread_free(t);
    CHECK(g_setup() == 0, "init after shutdown_in_callback failed: %s", cqt_last_error());
}

/* -- thread_in_callback -- */
static struct {
    cqt_thread *t;
    int mode, ran, freed_inside;
    int rc[2];
} g_tic;

static void tic_call(void *user_data)
{
    (void)user_data;
    switch (g_tic.mode) {
    case 0: g_tic.rc[0] = cqt_thread_start(g_tic.t); g_tic.rc[1] = cqt_thread_quit(g_tic.t); break;
    case 1: g_tic.rc[0] = cqt_thread_start(g_tic.t); break;
    case 2: /* in t itself: free it (released when its loop returns) */
        cqt_thread_free(g_tic.t);
        g_tic.freed_inside = 1;
        break;
    default: g_tic.rc[0] = cqt_thread_quit(g_tic.t); g_tic.rc[1] = cqt_thread_wait(g_tic.t, 0); break;
    }
    if (g_tic.mode != 2) {
        check_status("thread op in a callback", g_tic.rc[0]);
        check_status("thread op in a callback", g_tic.rc[1]);
    }
    set_flag(&g_tic.ran);
}

static void op_thread_in_callback(input *in)
{
    uint8_t v = byte(in);
    memset(&g_tic, 0, sizeof g_tic);
    g_tic.t = cqt_thread_new("fz-cb");
    CHECK(g_tic.t, "cqt_thread_new: %s", cqt_last_error());
    g_tic.mode = v % 4;
    cqt_thread *where = G.threads[(v >> 2) & 1];
    if (g_tic.mode >= 2) {
        cqt_thread_start(g_tic.t);
        where = g_tic.mode == 2 || (v & 8) ? g_tic.t : where; /* quit from inside or outside */
    }
    cqt_object *o = cqt_object_new(where);
    CHECK(o, "cqt_object_new: %s", cqt_last_error());
    int rc = cqt_invoke(o, tic_call, NULL, CQT_QUEUED);
    check_status("thread_in_callback: arming", rc);
    if (rc == CQT_OK) {
        CHECK(wait_flag(&g_tic.ran, NEW_OP_WAIT_MS), "thread_in_callback: never ran");
    }
    cqt_object_free(o);
    if (!g_tic.freed_inside)
        cqt_thread_free(g_tic.t);
}

/* -- move_in_callback -- */
static struct {
    cqt_object *o;
    cqt_thread *target;
    int ran, rc, stop;
} g_mic;

static void mic_tick(void *user_data, cqt_object *o, int id)
{
    (void)user_data;
    (void)id;
    if (__atomic_load_n(&g_mic.stop, __ATOMIC_SEQ_CST))
        return;
    /* A tick runs in the thread its object lives in, as that object says. */
    CHECK(cqt_thread_current() == cqt_object_thread(o),
          "a timer of an object in thread '%s' ran in thread '%s'",
          cqt_thread_name(cqt_object_thread(o)), cqt_thread_name(cqt_thread_current()));
}

static void mic_call(void *user_data)
{
    (void)user_data;
    g_mic.rc = cqt_object_move_to_thread(g_mic.o, g_mic.target);
    check_status("cqt_object_move_to_thread in a callback", g_mic.rc);
    set_flag(&g_mic.ran);
}

static void op_move_in_callback(input *in)
{
    uint8_t v = byte(in);
    memset(&g_mic, 0, sizeof g_mic);
    cqt_thread *fresh = NULL;
    g_mic.o = cqt_object_new(G.threads[v & 1]);
    CHECK(g_mic.o, "cqt_object_new: %s", cqt_last_error());
    switch ((v >> 1) % 4) {
    case 0: g_mic.target = cqt_thread_main(); break;
    case 1: g_mic.target = G.threads[!(v & 1)]; break;
    case 2: g_mic.target = fresh = cqt_thread_new("fz-idle"); break; /* never started */
    default:
        g_mic.target = fresh = cqt_thread_new("fz-dest");
        cqt_thread_start(fresh);
        break;
    }
    int id = cqt_object_start_timer(g_mic.o, byte(in) % 3, CQT_TIMER_PRECISE, mic_tick, NULL);
    check_status("move_in_callback: timer", id);
    int rc = cqt_invoke(g_mic.o, mic_call, NULL, CQT_QUEUED);
    check_status("move_in_callback: arming", rc);
    if (rc == CQT_OK) {
        CHECK(wait_flag(&g_mic.ran, NEW_OP_WAIT_MS), "move_in_callback: never ran");
        run_loop_ms(byte(in) % 8);
    }
    set_flag(&g_mic.stop);
    cqt_object_free(g_mic.o);
    cqt_thread_free(fresh);
}

/* -- thread_race -- */
typedef struct {
    cqt_thread *t;
    pthread_barrier_t *go;
    int what, rc;
} race_arg;

static void *race_main(void *arg)
{
    race_arg *a = arg;
    pthread_barrier_wait(a->go);
    switch (a->what) {
    case 0: a->rc = cqt_thread_start(a->t); break;
    case 1: a->rc = cqt_thread_quit(a->t); break;
    case 2: a->rc = cqt_thread_wait(a->t, 50); break;
    default: (void)cqt_thread_is_running(a->t); a->rc = CQT_OK; break; /* the starts alone */
    }
    check_status("thread_race", a->rc);
    return NULL;
}

static void op_thread_race(input *in)
{
    uint8_t v = byte(in);
    cqt_thread *t = cqt_thread_new("fz-race");
    CHECK(t, "cqt_thread_new: %s", cqt_last_error());
    /* a few rounds on one thread: each starts it fresh, running, or
     * finished (started, quit and waited for: a start must first wait for
     * the old run to end) */
    for (int round = 0; round < 4 + (v >> 4) % 13; round++) {
        switch ((v + round) % 3) {
        case 0: break;
        case 1: cqt_thread_start(t); break;
        default:
            cqt_thread_start(t);
            cqt_thread_quit(t);
            cqt_thread_wait(t, NEW_OP_WAIT_MS);
            break;
        }
        pthread_barrier_t go;
        pthread_barrier_init(&go, NULL, 3);
        /* two starts and a quit, a wait, nothing or a third start */
        int third = (v + round) % 4;
        race_arg a[3] = {{t, &go, 0, 0}, {t, &go, 0, 0}, {t, &go, third == 3 ? 0 : 1 + third, 0}};
        pthread_t th[3];
        for (int k = 0; k < 3; k++)
            pthread_create(&th[k], NULL, race_main, &a[k]);
        for (int k = 0; k < 3; k++)
            pthread_join(th[k], NULL);
        pthread_barrier_destroy(&go);
        check_status("thread_race: quit", cqt_thread_quit(t));
        check_status("thread_race: wait", cqt_thread_wait(t, NEW_OP_WAIT_MS));
    }
    cqt_thread_free(t);
}

/* -- timer_change_running -- */
static struct {
    int fires;
} g_tcr;

static void tcr_slot(void *user_data, const cqt_value *arg)
{
    (void)user_data;
    (void)arg;
    __atomic_add_fetch(&g_tcr.fires, 1, __ATOMIC_SEQ_CST);
}

static int tcr_fires(void)
{
    return __atomic_load_n(&g_tcr.fires, __ATOMIC_SEQ_CST);
}

/* Runs the loop until the timer fired again; false after @ms. */
static bool tcr_fires_again(int ms)
{
    int64_t end = mono_ms() + ms;
    int f = tcr_fires();
    while (tcr_fires() == f && mono_ms() < end)
        cqt_app_process_events(1);
    return tcr_fires() != f;
}

static void op_timer_change_running(input *in)
{
    uint8_t v = byte(in);
    memset(&g_tcr, 0, sizeof g_tcr);
    cqt_object *o = cqt_object_new(v & 1 ? G.threads[0] : NULL);
    CHECK(o, "cqt_object_new: %s", cqt_last_error());
    cqt_timer *t = cqt_timer_new(o, "running");
    CHECK(t && cqt_connect(cqt_timer_timeout(t), o, tcr_slot, NULL, NULL, CQT_AUTO),
          "timer_change_running: setup: %s", cqt_last_error());
    cqt_timer_set_type(t, CQT_TIMER_PRECISE);
    cqt_live_counts c0;
    cqt_debug_live_counts(&c0);
    check_status("cqt_timer_start", cqt_timer_start(t, 1 + byte(in) % 4));
    tcr_fires_again(NEW_OP_WAIT_MS);
    /* up to three changes while it runs, from main or from the other thread */
    for (int k = 0; k < 3; k++) {
        uint8_t c = byte(in);
        switch (c % 4) {
        case 0: check_status("set_single_shot", cqt_timer_set_single_shot(t, c & 4)); break;
        case 1: check_status("set_type", cqt_timer_set_type(t, (c >> 2) % 3)); break;
        case 2: check_status("restart", cqt_timer_start(t, (c >> 2) % 5)); break;
        default: run_loop_ms(c % 5); break;
        }
    }
    /* A timer that says it runs fires; one that says it stopped does not. */
    if (cqt_timer_is_active(t)) {
        CHECK(tcr_fires_again(NEW_OP_WAIT_MS) || !cqt_timer_is_active(t),
              "an active timer (interval %d) never fired", cqt_timer_interval_ms(t));
    }
    /* (one fire already under way in the owner's thread may still land) */
    if (!cqt_timer_is_active(t)) {
        int f = tcr_fires();
        run_loop_ms(30 + 4 * cqt_timer_interval_ms(t));
        CHECK(cqt_timer_is_active(t) || tcr_fires() - f <= 1,
              "an inactive timer fired %d times", tcr_fires() - f);
    }
    check_status("cqt_timer_stop", cqt_timer_stop(t));
    int f = tcr_fires();
    run_loop_ms(30);
    CHECK(tcr_fires() - f <= 1, "a stopped timer fired %d times", tcr_fires() - f);
    CHECK(!cqt_timer_is_active(t), "a stopped timer is active");
    /* and its Qt timer is gone: a run the handle forgot about would keep
     * waking its thread (nothing else here starts timers meanwhile; some
     * of earlier steps may end) */
    cqt_live_counts c1;
    int64_t end = mono_ms() + 2000;
    do {
        cqt_app_process_events(1);
        cqt_debug_live_counts(&c1);
    } while (c1.timers > c0.timers && mono_ms() < end);
    CHECK(c1.timers <= c0.timers, "a stopped timer still runs: %lld timers live, %lld before it",
          (long long)c1.timers, (long long)c0.timers);
    cqt_object_free(o);
}

/* -- move_vs_blocking -- */
static struct {
    cqt_object *o;
    cqt_thread *target;
    int n, moved, calls;
    int rc[8];
} g_mvb;

static void mvb_move(void *user_data)
{
    (void)user_data;
    (void)cqt_object_move_to_thread(g_mvb.o, g_mvb.target);
    set_flag(&g_mvb.moved);
}

static void mvb_call(void *user_data)
{
    (void)user_data;
    __atomic_add_fetch(&g_mvb.calls, 1, __ATOMIC_SEQ_CST);
}

static void mvb_blocking(void *arg)
{
    (void)arg;
    for (int k = 0; k < g_mvb.n; k++) {
        g_mvb.rc[k] = cqt_invoke(g_mvb.o, mvb_call, NULL, CQT_BLOCKING_QUEUED);
        check_status("a BLOCKING_QUEUED call racing a move", g_mvb.rc[k]);
    }
}

static void op_move_vs_blocking(input *in)
{
    uint8_t v = byte(in);
    memset(&g_mvb, 0, sizeof g_mvb);
    cqt_thread *fresh = NULL;
    g_mvb.o = cqt_object_new(G.threads[0]);
    CHECK(g_mvb.o, "cqt_object_new: %s", cqt_last_error());
    switch (v % 4) {
    case 0: g_mvb.target = G.threads[1]; break;
    case 1: g_mvb.target = cqt_thread_main(); break;
    case 2: g_mvb.target = fresh = cqt_thread_new("fz-idle"); break; /* never started */
    default:
        g_mvb.target = fresh = cqt_thread_new("fz-stopped");
        cqt_thread_start(fresh);
        cqt_thread_quit(fresh);
        cqt_thread_wait(fresh, NEW_OP_WAIT_MS);
        break;
    }
    g_mvb.n = 1 + (v >> 2) % 8;
    check_status("move_vs_blocking: arming", cqt_invoke(g_mvb.o, mvb_move, NULL, CQT_QUEUED));
    /* Each blocking call runs or is refused; none may wait forever. */
    on_other_thread(mvb_blocking, NULL);
    wait_flag(&g_mvb.moved, NEW_OP_WAIT_MS);
    cqt_object_free(g_mvb.o);
    cqt_thread_free(fresh);
}

/* -- name_race -- */
static struct {
    cqt_object *o;
    int seed, started, done;
} g_nr;

/* In the owner's thread: rename it many times, while the other thread reads. */
static void nr_rename(void *user_data)
{
    (void)user_data;
    set_flag(&g_nr.started);
    for (int k = 0; k < 400; k++) {
        char name[80];
        size_t len = 1 + (size_t)(g_nr.seed + 7 * k) % 70;
        memset(name, 'a' + (int)(len % 26), len);
        name[len] = '\0';
        (void)cqt_object_set_name(g_nr.o, name);
    }
    set_flag(&g_nr.done);
}

static void nr_read(void *arg)
{
    (void)arg;
    /* start reading once the renames run, and read until they end */
    for (int k = 0; k < 100000 && !__atomic_load_n(&g_nr.started, __ATOMIC_SEQ_CST); k++)
        sched_yield();
    for (int k = 0; k < 100000 && !__atomic_load_n(&g_nr.done, __ATOMIC_SEQ_CST); k++) {
        const char *n = cqt_object_name(g_nr.o);
        CHECK(strlen(n) < 64, "a name longer than 63 bytes was read");
    }
}

static void op_name_race(input *in)
{
    memset(&g_nr, 0, sizeof g_nr);
    g_nr.o = cqt_object_new(G.threads[byte(in) & 1]);
    CHECK(g_nr.o, "cqt_object_new: %s", cqt_last_error());
    g_nr.seed = byte(in);
    check_status("name_race: arming", cqt_invoke(g_nr.o, nr_rename, NULL, CQT_QUEUED));
    on_other_thread(nr_read, NULL);
    wait_flag(&g_nr.done, NEW_OP_WAIT_MS);
    cqt_object_free(g_nr.o);
}

/* -- pool_vs_init -- */
static struct {
    int stop;
    long calls;
} g_pvi;

static void pvi_task(void *user_data)
{
    (void)user_data;
}

static void *pvi_main(void *arg)
{
    (void)arg;
    while (!__atomic_load_n(&g_pvi.stop, __ATOMIC_SEQ_CST)) {
        /* any answer a status can give, with its message; never a crash */
        check_status("cqt_pool_run racing init/shutdown", cqt_pool_run(pvi_task, NULL, NULL));
        int rc = cqt_pool_busy_threads();
        CHECK(rc >= 0 || rc > CQT__STATUS_LAST, "cqt_pool_busy_threads: %d", rc);
        rc = cqt_pool_max_threads();
        CHECK(rc > 0 || (rc < 0 && rc > CQT__STATUS_LAST), "cqt_pool_max_threads: %d", rc);
        g_pvi.calls++;
    }
    return NULL;
}

static void op_pool_vs_init(input *in)
{
    int cycles = 1 + byte(in) % 2;
    finish_input();
    g_teardown();
    memset(&g_pvi, 0, sizeof g_pvi);
    pthread_t th;
    pthread_create(&th, NULL, pvi_main, NULL);
    for (int k = 0; k < cycles; k++) {
        int rc = cqt_app_shutdown(NEW_OP_WAIT_MS);
        CHECK(rc == CQT_OK, "cqt_app_shutdown with pool calls racing: %s (%s)",
              cqt_status_name(rc), cqt_last_error());
        CHECK(g_setup() == 0, "init after shutdown: %s", cqt_last_error());
        if (k + 1 < cycles)
            g_teardown();
    }
    __atomic_store_n(&g_pvi.stop, 1, __ATOMIC_SEQ_CST);
    pthread_join(th, NULL);
    g_rebase(); /* without the racing thread's adopted handle */
}

static void new_step(int kind, input *in)
{
    switch (kind) {
    case NOP_AXIS_SELF_FREE: op_axis_self_free(in); break;
    case NOP_OBJECT_SELF_FREE: op_object_self_free(in); break;
    case NOP_STAGE_FREE_ASYNC: op_stage_free_async(in); break;
    case NOP_SHUTDOWN_IN_CALLBACK: op_shutdown_in_callback(in); break;
    case NOP_THREAD_IN_CALLBACK: op_thread_in_callback(in); break;
    case NOP_MOVE_IN_CALLBACK: op_move_in_callback(in); break;
    case NOP_THREAD_RACE: op_thread_race(in); break;
    case NOP_TIMER_CHANGE_RUNNING: op_timer_change_running(in); break;
    case NOP_MOVE_VS_BLOCKING: op_move_vs_blocking(in); break;
    case NOP_NAME_RACE: op_name_race(in); break;
    default: op_pool_vs_init(in); break;
    }
}

/* ---- one step ------------------------------------------------------------ */

static void step(input *in)
{
    uint8_t op = byte(in);
    int i = byte(in) % N_OBJ;
    int rc;
    cqt_set_last_error(CQT_OK, NULL);
    if (op >= NEW_OP_BASE && g_new_ops) {
        int kind = (op - NEW_OP_BASE) % N_NEW_OPS;
        if (g_new_ops & (1u << kind)) {
            new_step(kind, in);
            return;
        }
    }
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
    case 17: { /* single shot; an empty slot: the receiver-less form (the calling thread) */
        expect_destroy();
        rc = cqt_single_shot_full((int)(int8_t)byte(in) % 4, S.obj[i],
                                  S.obj[i] ? on_call : on_loose_call,
                                  S.obj[i] ? S.objrec[i] : NULL, on_destroy_any);
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

static int g_argc = 1;
static char g_arg0[] = "fuzz-api-sequence";
static char *g_argv[] = {g_arg0, NULL};

/* The live counts an input must return to. */
static void g_rebase(void)
{
    for (int i = 0; i < 10000; i++) {
        cqt_debug_live_counts(&G.base);
        if (G.base.pending == 0)
            break;
        cqt_app_process_events(1);
    }
}

/* The application (unless it runs), the shared threads and the axis. */
static int g_setup(void)
{
    cqt_set_message_handler(fuzz_quiet_handler, NULL, NULL);
    if (!cqt_app_is_running() && cqt_app_init(&g_argc, g_argv, CQT_APP_CORE) != CQT_OK)
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
    /* so that the other thread's adopted handle is counted in the base */
    on_other_thread(adopt_other_thread, NULL);
    g_rebase();
    return 0;
}

static void g_teardown(void)
{
    cqt_axis_free(G.axis);
    G.axis = NULL;
    for (int i = 0; i < 2; i++) {
        cqt_thread_free(G.threads[i]);
        G.threads[i] = NULL;
    }
}

int fuzz_api_sequence_init(void)
{
    if (fuzz_api_sequence_set_kinds(getenv("CQT_FUZZ_NEW_OPS"), true) != 0)
        return -1;
    pthread_mutex_init(&G.mu, NULL);
    pthread_cond_init(&G.cv, NULL);
    pthread_create(&G.other, NULL, other_main, NULL);
    return g_setup();
}

int fuzz_api_sequence_fini(void)
{
    /* The other thread first: its adopted handle goes as it exits. */
    pthread_mutex_lock(&G.mu);
    G.quit = 1;
    pthread_cond_broadcast(&G.cv);
    pthread_mutex_unlock(&G.mu);
    pthread_join(G.other, NULL);
    g_teardown();
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
