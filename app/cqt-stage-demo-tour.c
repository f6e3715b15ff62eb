/* SPDX-License-Identifier: MIT */
/* cqt-stage-demo-tour.c — the scripted runs of cqt-stage-demo.
 *
 * The tour presses the demo's own buttons and keys (cqt_widget_click,
 * cqt_window_send_keys) and checks what comes back. It is driven by the
 * events it waits for (stage reports, worker signals) and by single-shot
 * timers: the GUI thread never blocks, so the heartbeat it reports at the
 * end measures the real main loop. Each step has a watchdog.
 *
 * With --controller the axes are a controller's, moving in real time, and
 * the simulated axes' fault switches do not apply: the tour moves them
 * over the link instead and, given the simulator's pid (--sim-pid), kills
 * it at the first position report of a move — a pulled connection, which
 * must fault every axis ("connection lost") while the window answers.
 *
 * The latency verdict leaves out what a loaded machine adds. Each
 * heartbeat's lateness is reduced by the time the GUI thread spent
 * runnable but waiting for a CPU in that interval (Linux schedstat, read
 * by the heartbeat): what remains is the loop's own doing — blocking on a
 * move (hundreds of ms at the tour's time scale) or computing in the GUI
 * thread. Where schedstat cannot be read, a reference heartbeat stands in:
 * a thread of the tour's own runs the same 20 ms timer and nothing else,
 * beside the busy axis and job threads, and the main loop is judged on how
 * much later than it it was. Both figures and the raw latency are printed.
 */
#include "cqt-stage-demo.h"

#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TOUR_STEP_LIMIT_MS 60000 /* generous: sanitizer builds on a busy machine */
/* How late the main loop may be on its own. The sanitizers slow the GUI
 * thread's own work (painting, the X server's replies) several times over:
 * there the bound is wide, still under the longest wait a blocking call
 * in the GUI thread would show (a timed-out move: 1.5 s). */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define TOUR_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define TOUR_SANITIZED 1
#endif
#endif
#ifdef TOUR_SANITIZED
#define TOUR_LATENCY_LIMIT_MS 1000.0
#else
#define TOUR_LATENCY_LIMIT_MS 500.0 /* 250 failed once at 253 under a load of 26 on 2 cores */
#endif
#define TOUR_REF_PERIOD_MS 20
#define TOUR_FAULT_TIMEOUT_MS 1500

typedef enum tour_step {
    STEP_START,
    STEP_PARALLEL,
    STEP_SEQUENTIAL,
    STEP_STALL,
    STEP_DROP,
    STEP_NAIVE,
    STEP_JOB,   /* job 1: pause, resume, result; job 2 queued meanwhile */
    STEP_ABORT, /* job 2: pause, then abort */
    STEP_SHOWCASE, /* not checked: a stalled move and a paused job 3 for the screenshot */
    /* --controller: these instead of the simulated axes' steps above */
    STEP_LINK_MOVE, /* a parallel move over the link: every axis arrives */
    STEP_LINK_PULL, /* the simulator killed mid-move: every axis faulted, connection lost */
    STEP_LINK_AFTER, /* the window still answers: a shortcut, a refused move */
    STEP_END,
    STEP_DONE,
    /* --script close */
    STEP_CLOSE_START,
    STEP_CLOSE_WAIT
} tour_step;

static const char *const step_names[] = {
    "start", "parallel move", "sequential move", "stalled move", "lost signal",
    "naive QTimer (P1)", "job with pause/resume", "job abort", "showcase",
    "move over the link", "pulled connection", "after the pull", "end", "done",
    "close: start work", "close: wait for work",
};

struct demo_tour {
    tour_step step;
    unsigned generation; /* bumped per step, for the watchdog */
    int passed, failed;
    char failures[2048];
    long long paused_yields;
    bool job1_paused, job1_resumed, job1_returned, job2_paused, job2_aborted, job2_returned;
    bool job2_queued;
    bool showcase_report, showcase_job;
    /* the link steps */
    int link_moves_sent; /* "> MOVE" lines seen in the link's traffic */
    bool pull_armed, pulled, pull_report, link_lost;
    char lost_why[256];
    /* the reference heartbeat: written in its thread, read in the GUI's */
    cqt_thread *ref_thread;
    cqt_object *ref_obj;
    long long ref_last_ns; /* reference thread only */
    atomic_llong ref_max_us;
    atomic_int ref_ticks;
    double judged_main_ms, judged_own_ms, judged_ref_ms; /* what the verdict saw */
    const char *judged_how;
};

static void run_step(void *user_data);

static void fail(demo *d, const char *fmt, ...) CQT_PRINTF(2, 3);
static void fail(demo *d, const char *fmt, ...)
{
    struct demo_tour *t = d->tour;
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    t->failed++;
    size_t len = strlen(t->failures);
    snprintf(t->failures + len, sizeof t->failures - len, "  - %s: %s\n", step_names[t->step],
             msg);
    demo_log(d, "tour: FAILED in '%s': %s", step_names[t->step], msg);
}

static void pass(demo *d, const char *what)
{
    d->tour->passed++;
    demo_log(d, "tour: ok — %s", what);
}

typedef struct watchdog {
    demo *d;
    unsigned generation;
} watchdog;

static void on_watchdog(void *user_data)
{
    watchdog *w = user_data;
    demo *d = w->d;
    struct demo_tour *t = d->tour;
    if (!t || t->generation != w->generation || t->step >= STEP_DONE)
        return;
    fail(d, "nothing happened within %d ms", TOUR_STEP_LIMIT_MS);
    t->step = STEP_END;
    t->generation++;
    cqt_single_shot(0, d->gui, run_step, d);
}

static void on_reference_tick(void *user_data, cqt_object *o, int timer_id)
{
    struct demo_tour *t = user_data;
    (void)o;
    (void)timer_id;
    long long now = demo_now_ns();
    if (t->ref_last_ns) {
        long long late_us = (now - t->ref_last_ns) / 1000 - TOUR_REF_PERIOD_MS * 1000LL;
        if (late_us > atomic_load(&t->ref_max_us))
            atomic_store(&t->ref_max_us, late_us);
    }
    t->ref_last_ns = now;
    atomic_fetch_add(&t->ref_ticks, 1);
}

/* Starts the reference heartbeat; without it the verdict falls back to the
 * plain bound (reference 0). */
static void reference_start(demo *d)
{
    struct demo_tour *t = d->tour;
    t->ref_thread = cqt_thread_new("tour-reference");
    if (!t->ref_thread || cqt_thread_start(t->ref_thread) != CQT_OK ||
        !(t->ref_obj = cqt_object_new(t->ref_thread)) ||
        cqt_object_start_timer(t->ref_obj, TOUR_REF_PERIOD_MS, CQT_TIMER_PRECISE,
                               on_reference_tick, t) <= 0)
        demo_log(d, "tour: no reference heartbeat (%s); judging the main loop alone",
                 cqt_last_error());
}

static void reference_stop(struct demo_tour *t)
{
    cqt_object_free(t->ref_obj); /* no tick starts after this returns */
    t->ref_obj = NULL;
    cqt_thread_free(t->ref_thread);
    t->ref_thread = NULL;
}

static double reference_max_ms(struct demo_tour *t)
{
    long long us = atomic_load(&t->ref_max_us);
    return us > 0 ? (double)us / 1000.0 : 0.0;
}

/* The latency the verdict judges, and what it means. */
static double judged_latency(demo *d, double ref, const char **how)
{
    if (!d->hb_own_unknown) {
        *how = "not spent waiting for a CPU";
        return d->hb_own_max_ms;
    }
    *how = "beyond the reference thread's";
    return d->hb_max_ms - ref;
}

/* Moves to @step after @delay_ms (the loop runs meanwhile). */
static void go(demo *d, tour_step step, int delay_ms)
{
    struct demo_tour *t = d->tour;
    t->step = step;
    t->generation++;
    watchdog *w = malloc(sizeof *w);
    if (w) {
        w->d = d;
        w->generation = t->generation;
        cqt_single_shot_full(TOUR_STEP_LIMIT_MS + delay_ms, d->gui, on_watchdog, w, free);
    }
    cqt_single_shot(delay_ms, d->gui, run_step, d);
}

static void set_targets(demo *d, double x, double y, double z)
{
    cqt_widget_set_value(d->axes[0].target, x);
    cqt_widget_set_value(d->axes[1].target, y);
    cqt_widget_set_value(d->axes[2].target, z);
}

static void press_keys(demo *d, const char *keys)
{
    int rc = cqt_window_send_keys(d->win, keys);
    if (rc != CQT_OK)
        fail(d, "the shortcut %s did nothing: %s", keys, cqt_last_error());
}

static void finish(demo *d)
{
    struct demo_tour *t = d->tour;
    if (d->opt.screenshot && demo_screenshot(d, d->opt.screenshot) != CQT_OK)
        t->failed++;
    char own[32] = "unknown";
    if (!d->hb_own_unknown)
        snprintf(own, sizeof own, "%.1f", t->judged_own_ms);
    printf("tour: %d checks passed, %d failed; largest main-loop latency %.1f ms, largest "
           "not spent waiting for a CPU %s ms, reference thread %.1f ms (%d ticks); limit "
           "%.0f ms on the latency %s\n",
           t->passed, t->failed, t->judged_main_ms, own, t->judged_ref_ms,
           atomic_load(&t->ref_ticks), TOUR_LATENCY_LIMIT_MS,
           t->judged_how ? t->judged_how : "(never judged)");
    if (t->failed)
        printf("tour: failures:\n%s", t->failures);
    fflush(stdout);
    d->exit_code = t->failed ? 1 : 0;
    cqt_app_quit(d->exit_code);
}

static void run_step(void *user_data)
{
    demo *d = user_data;
    struct demo_tour *t = d->tour;
    if (!t || d->closing)
        return;
    switch (t->step) {
    case STEP_START:
        d->hb_max_ms = 0; /* measure from here: window creation is not the tour */
        d->hb_own_max_ms = 0;
        d->hb_own_unknown = false;
        reference_start(d);
        demo_log(d, "tour: start (every step is checked; the GUI thread never waits)");
        go(d, d->link ? STEP_LINK_MOVE : STEP_PARALLEL, 100);
        break;
    case STEP_PARALLEL:
        set_targets(d, 300, 600, 900);
        cqt_widget_click(d->move_parallel);
        break;
    case STEP_SEQUENTIAL:
        set_targets(d, 100, 200, 300);
        press_keys(d, "F6");
        break;
    case STEP_STALL:
        cqt_widget_set_checked(d->stall_y, true);
        cqt_widget_set_value(d->timeout, TOUR_FAULT_TIMEOUT_MS);
        set_targets(d, 500, 500, 500);
        press_keys(d, "F5");
        break;
    case STEP_DROP:
        cqt_widget_set_checked(d->drop_z, true);
        cqt_widget_set_value(d->timeout, TOUR_FAULT_TIMEOUT_MS);
        set_targets(d, 200, 200, 800);
        cqt_widget_click(d->move_parallel);
        break;
    case STEP_NAIVE:
        cqt_widget_set_checked(d->naive, true);
        cqt_widget_set_value(d->timeout, 800);
        set_targets(d, 700, 200, 800);
        cqt_widget_click(d->move_parallel);
        break;
    case STEP_JOB:
        press_keys(d, "Ctrl+J");
        cqt_widget_click(d->job_start); /* a second job, queued */
        if (d->jobs_waiting == 1) {
            t->job2_queued = true;
            pass(d, "a second job is queued while the first runs");
        } else {
            fail(d, "the second job was not queued (%d waiting)", d->jobs_waiting);
        }
        break;
    case STEP_ABORT:
        break; /* job 2 starts from the queue; its handlers drive this step */
    case STEP_SHOWCASE:
        /* The state the screenshot shows: a move whose report names the
         * stalled axis, and a job paused half way (quit at shutdown). */
        cqt_widget_set_checked(d->stall_y, true);
        cqt_widget_set_value(d->timeout, TOUR_FAULT_TIMEOUT_MS);
        set_targets(d, 250, 500, 750);
        cqt_widget_click(d->move_parallel);
        cqt_widget_click(d->job_start);
        break;
    case STEP_LINK_MOVE:
        t->link_moves_sent = 0;
        cqt_widget_set_value(d->timeout, 20000); /* real time, a loaded machine */
        set_targets(d, 300, 600, 900);
        cqt_widget_click(d->move_parallel);
        break;
    case STEP_LINK_PULL:
        /* Back towards 0: the connection is pulled at the first position
         * report of this move, so it drops mid-move. */
        t->pull_armed = true;
        set_targets(d, 0, 0, 0);
        cqt_widget_click(d->move_parallel);
        break;
    case STEP_LINK_AFTER: {
        /* The window still takes keys: F5 starts a move, which the
         * faulted axes refuse (at once, or in a report of failed axes). */
        int before = d->reports;
        set_targets(d, 500, 500, 500);
        press_keys(d, "F5");
        if (!d->moving) {
            if (d->reports != before)
                fail(d, "a report came for a move that was refused");
            else
                pass(d, "after the pull the window answers F5; the faulted axes refused the move");
            go(d, STEP_END, 200);
        } /* else its report (on_report) checks it */
        break;
    }
    case STEP_END: {
        double ref = reference_max_ms(t);
        reference_stop(t);
        const char *how;
        double judged = judged_latency(d, ref, &how);
        t->judged_main_ms = d->hb_max_ms;
        t->judged_own_ms = d->hb_own_max_ms;
        t->judged_ref_ms = ref;
        t->judged_how = how;
        if (judged <= TOUR_LATENCY_LIMIT_MS) {
            char what[200];
            snprintf(what, sizeof what,
                     "main loop never late by over %.0f ms %s (%.1f; largest latency %.1f, "
                     "reference thread %.1f)",
                     TOUR_LATENCY_LIMIT_MS, how, judged, d->hb_max_ms, ref);
            pass(d, what);
        } else {
            fail(d, "the main loop was late by %.1f ms %s (limit %.0f ms; largest latency "
                    "%.1f ms, reference thread %.1f ms)",
                 judged, how, TOUR_LATENCY_LIMIT_MS, d->hb_max_ms, ref);
        }
        demo_log(d, "tour: %d checks passed, %d failed", t->passed, t->failed);
        t->step = STEP_DONE;
        t->generation++;
        /* Let the last lines paint before the screenshot. */
        cqt_single_shot(300, d->gui, run_step, d);
        break;
    }
    case STEP_DONE:
        finish(d);
        break;
    case STEP_CLOSE_START:
        set_targets(d, 1000, 1000, 1000);
        cqt_widget_click(d->move_parallel);
        cqt_widget_click(d->job_start);
        t->step = STEP_CLOSE_WAIT;
        break;
    case STEP_CLOSE_WAIT:
        break;
    }
}

static bool outcome_is(demo *d, const cqt_stage_report *r, size_t i, cqt_stage_outcome want)
{
    if (r->n <= i || r->axes[i].outcome == want)
        return r->n > i;
    fail(d, "axis %s: %s, expected %s", r->axes[i].name,
         cqt_stage_outcome_name(r->axes[i].outcome), cqt_stage_outcome_name(want));
    return false;
}

void demo_script_on_report(demo *d, const cqt_stage_report *r)
{
    struct demo_tour *t = d->tour;
    if (!t)
        return;
    bool ok = true;
    switch (t->step) {
    case STEP_PARALLEL:
    case STEP_SEQUENTIAL: {
        cqt_stage_mode want = t->step == STEP_PARALLEL ? CQT_STAGE_PARALLEL : CQT_STAGE_SEQUENTIAL;
        if (r->status != CQT_OK || r->mode != want) {
            fail(d, "%s move: %s (%s)", cqt_stage_mode_name(r->mode), cqt_status_name(r->status),
                 r->message);
            ok = false;
        }
        for (size_t i = 0; i < DEMO_AXES; i++)
            ok &= outcome_is(d, r, i, CQT_STAGE_REACHED);
        if (ok)
            pass(d, want == CQT_STAGE_PARALLEL ? "parallel move: every axis reached"
                                               : "sequential move (F6): every axis reached");
        go(d, t->step == STEP_PARALLEL ? STEP_SEQUENTIAL : STEP_STALL, 200);
        break;
    }
    case STEP_STALL:
    case STEP_DROP: {
        size_t bad = t->step == STEP_STALL ? 1 : 2;
        const char *name = bad == 1 ? "y" : "z";
        if (r->status != CQT_ETIMEDOUT) {
            fail(d, "expected CQT_ETIMEDOUT, got %s", cqt_status_name(r->status));
            ok = false;
        }
        for (size_t i = 0; i < DEMO_AXES; i++)
            ok &= outcome_is(d, r, i, i == bad ? CQT_STAGE_TIMED_OUT : CQT_STAGE_REACHED);
        char needle[8];
        snprintf(needle, sizeof needle, "%s ", name);
        if (strncmp(r->message, needle, strlen(needle)) != 0 || strstr(r->message, " | ")) {
            fail(d, "the report should name %s alone: \"%s\"", name, r->message);
            ok = false;
        }
        if (ok)
            pass(d, bad == 1 ? "stalled move: timed out, the report names y alone"
                             : "lost reached-signal: timed out, the report names z alone");
        cqt_widget_set_checked(bad == 1 ? d->stall_y : d->drop_z, false);
        cqt_widget_set_value(d->timeout, 10000);
        go(d, t->step == STEP_STALL ? STEP_DROP : STEP_NAIVE, 200);
        break;
    }
    case STEP_SHOWCASE:
        t->showcase_report = true;
        if (t->showcase_job)
            go(d, STEP_END, 200);
        break;
    case STEP_LINK_MOVE:
        if (r->status != CQT_OK) {
            fail(d, "move over the link: %s (%s)", cqt_status_name(r->status), r->message);
            ok = false;
        }
        for (size_t i = 0; i < DEMO_AXES; i++) {
            ok &= outcome_is(d, r, i, CQT_STAGE_REACHED);
            double want = 300.0 * (double)(i + 1);
            if (i < r->n && !(fabs(r->axes[i].position - want) < 0.01)) {
                fail(d, "axis %s reported at %.3f, not %.0f", r->axes[i].name, r->axes[i].position,
                     want);
                ok = false;
            }
        }
        if (t->link_moves_sent < DEMO_AXES) {
            fail(d, "the link carried %d MOVE lines, expected %d", t->link_moves_sent, DEMO_AXES);
            ok = false;
        }
        if (ok)
            pass(d, "move over the link: MOVE sent for x, y, z; each reached its target");
        if (d->opt.sim_pid > 0) {
            go(d, STEP_LINK_PULL, 200);
        } else {
            demo_log(d, "tour: no --sim-pid: the connection is not pulled");
            go(d, STEP_END, 200);
        }
        break;
    case STEP_LINK_PULL:
        if (!t->pulled) {
            fail(d, "the move ended (%s) before the connection was pulled",
                 cqt_status_name(r->status));
            go(d, STEP_END, 200);
            break;
        }
        if (r->status == CQT_OK) {
            fail(d, "the move succeeded with the connection pulled");
            ok = false;
        }
        for (size_t i = 0; i < DEMO_AXES; i++) {
            ok &= outcome_is(d, r, i, CQT_STAGE_FAULTED);
            cqt_axis_state st = cqt_axis_get_state(d->axes[i].axis);
            if (st != CQT_AXIS_FAULTED) {
                fail(d, "axis %s is %s, not faulted", d->axes[i].name, cqt_axis_state_name(st));
                ok = false;
            }
        }
        /* the report's message: one part per failed axis, each naming it
         * and the lost connection */
        for (size_t i = 0; i < DEMO_AXES; i++) {
            char needle[32];
            snprintf(needle, sizeof needle, "axis '%s': connection lost", d->axes[i].name);
            if (!strstr(r->message, needle)) {
                fail(d, "the report does not say \"%s\": \"%s\"", needle, r->message);
                ok = false;
            }
        }
        if (ok)
            pass(d, "pulled connection: every axis faulted, the report says connection lost");
        t->pull_report = true;
        if (t->link_lost)
            go(d, STEP_LINK_AFTER, 200);
        break;
    case STEP_LINK_AFTER: {
        bool refused = r->status != CQT_OK;
        for (size_t i = 0; i < r->n && i < DEMO_AXES; i++)
            refused &= r->axes[i].outcome != CQT_STAGE_REACHED;
        if (refused)
            pass(d, "after the pull the window answers F5; the faulted axes refused the move");
        else
            fail(d, "a move after the pull: %s (%s)", cqt_status_name(r->status), r->message);
        go(d, STEP_END, 200);
        break;
    }
    default:
        break;
    }
}

void demo_script_on_naive(demo *d, bool arrived, int warnings)
{
    struct demo_tour *t = d->tour;
    if (!t || t->step != STEP_NAIVE)
        return;
    if (arrived)
        fail(d, "the naive axis arrived; Qt should have refused the start");
    else if (warnings < 1)
        fail(d, "Qt's warning \"Timers cannot be started from another thread\" never came");
    else
        pass(d, "naive QTimer: Qt warned and the axis never moved (pitfall P1, live)");
    cqt_widget_set_value(d->timeout, 10000);
    go(d, STEP_JOB, 200);
}

static void check_paused(void *user_data)
{
    demo *d = user_data;
    struct demo_tour *t = d->tour;
    demo_job *j = d->job_ctx;
    if (!t || !j || t->step != STEP_JOB)
        return;
    if (j->yields != t->paused_yields)
        fail(d, "job 1 yielded %lld values while paused", j->yields - t->paused_yields);
    else
        pass(d, "job 1 paused: no value came while paused");
    cqt_widget_click(d->job_pause); /* resume */
}

void demo_script_on_job(demo *d, demo_job *j, const char *what, const cqt_value *arg)
{
    struct demo_tour *t = d->tour;
    if (!t)
        return;
    if (t->step == STEP_CLOSE_WAIT) {
        if (!strcmp(what, "yielded") && j->yields == 3 && d->moving) {
            if (d->opt.script == DEMO_SCRIPT_BUSY) {
                /* The readiness line a test waits for before it signals. */
                demo_log(d, "busy: the axes move and job %d runs; waiting for a close, SIGINT or "
                            "SIGTERM", j->number);
                return;
            }
            demo_log(d, "close script: closing the window while the axes move and job %d runs",
                     j->number);
            cqt_window_close(d->win);
        }
        return;
    }
    if (t->step == STEP_JOB && j->number == 1) {
        if (!strcmp(what, "started")) {
            press_keys(d, "Ctrl+P"); /* takes effect at its next yield */
        } else if (!strcmp(what, "paused")) {
            t->job1_paused = true;
            t->paused_yields = j->yields;
            cqt_single_shot(400, d->gui, check_paused, d);
        } else if (!strcmp(what, "resumed")) {
            t->job1_resumed = true;
        } else if (!strcmp(what, "returned")) {
            double mean = cqt_value_get_double(arg);
            t->job1_returned = true;
            if (j->yields != j->arrays)
                fail(d, "job 1 returned after %lld of %d values", j->yields, j->arrays);
            else if (!(fabs(mean - 0.5) < 0.01))
                fail(d, "job 1's mean is %.6f, not about 0.5", mean);
            else
                pass(d, "job 1 returned the mean of its arrays (about 0.5)");
        } else if (!strcmp(what, "finished")) {
            if (!t->job1_paused || !t->job1_resumed || !t->job1_returned)
                fail(d, "job 1 finished without pause (%d), resume (%d) and result (%d)",
                     t->job1_paused, t->job1_resumed, t->job1_returned);
            else
                pass(d, "job 1: paused, resumed and returned");
            go(d, STEP_ABORT, 0);
        }
        return;
    }
    if (t->step == STEP_ABORT && j->number == 2) {
        if (!strcmp(what, "started")) {
            pass(d, "job 2 started from the queue when job 1 finished");
            cqt_widget_click(d->job_pause);
        } else if (!strcmp(what, "paused")) {
            t->job2_paused = true;
            press_keys(d, "Ctrl+K");
        } else if (!strcmp(what, "returned")) {
            t->job2_returned = true;
        } else if (!strcmp(what, "aborted")) {
            t->job2_aborted = true;
        } else if (!strcmp(what, "finished")) {
            if (!t->job2_aborted || t->job2_returned)
                fail(d, "job 2: aborted %d, returned %d; expected aborted only", t->job2_aborted,
                     t->job2_returned);
            else
                pass(d, "job 2 aborted while paused: `aborted`, never `returned`");
            go(d, STEP_SHOWCASE, 200);
        }
        return;
    }
    if (t->step == STEP_SHOWCASE && j->number == 3) {
        if (!strcmp(what, "yielded") && j->yields == j->arrays / 2)
            cqt_widget_click(d->job_pause);
        else if (!strcmp(what, "paused") || !strcmp(what, "finished")) {
            if (!t->showcase_job && t->showcase_report)
                go(d, STEP_END, 200);
            t->showcase_job = true;
        }
    }
}

void demo_script_on_link_traffic(demo *d, const char *line)
{
    struct demo_tour *t = d->tour;
    if (!t)
        return;
    if (t->step == STEP_LINK_MOVE && strncmp(line, "> MOVE ", 7) == 0)
        t->link_moves_sent++;
    if (t->step == STEP_LINK_PULL && t->pull_armed && !t->pulled &&
        strncmp(line, "< !POS ", 7) == 0) {
        t->pulled = true;
        demo_log(d, "tour: pulling the connection mid-move: SIGKILL to the simulator (pid %d)",
                 d->opt.sim_pid);
        if (kill((pid_t)d->opt.sim_pid, SIGKILL) != 0)
            fail(d, "could not kill the simulator (pid %d)", d->opt.sim_pid);
    }
}

void demo_script_on_link_state(demo *d, cqt_axis_link_state st, const char *why)
{
    struct demo_tour *t = d->tour;
    if (!t || t->step != STEP_LINK_PULL || st != CQT_AXIS_LINK_LOST || t->link_lost)
        return;
    t->link_lost = true;
    snprintf(t->lost_why, sizeof t->lost_why, "%s", why);
    if (!t->pulled)
        fail(d, "the link was lost before the tour pulled it: %s", why);
    else if (!strstr(why, "connection lost"))
        fail(d, "the link's lost message does not say connection lost: \"%s\"", why);
    else
        pass(d, "the link went to 'lost' and the log says why (connection lost)");
    if (t->pull_report)
        go(d, STEP_LINK_AFTER, 200);
}

int demo_script_start(demo *d)
{
    d->tour = calloc(1, sizeof *d->tour);
    if (!d->tour)
        return cqt_set_last_error(CQT_ENOMEM, "tour: out of memory");
    /* Let the window appear and settle first. */
    go(d, d->opt.script == DEMO_SCRIPT_TOUR ? STEP_START : STEP_CLOSE_START, 300);
    return 0;
}

void demo_script_free(demo *d)
{
    if (d->tour)
        reference_stop(d->tour);
    free(d->tour);
    d->tour = NULL;
}
