/* SPDX-License-Identifier: MIT */
/* cqt-stage-demo — three simulated axes, a long job and a live main loop, in C.
 *
 *   cqt-stage-demo [--script tour|close|busy] [--screenshot FILE] [--time-scale K]
 *                  [--job-arrays N] [--array-size N] [--quiet]
 *
 * A Qt Widgets window written in C on libcqt-widgets. The axes live in
 * threads of their own; moves are started with cqt_stage_move_to_async(),
 * so the GUI thread never waits; the long job is a generator worker in the
 * pool. A 20 ms heartbeat timer in the GUI thread measures how late the
 * main loop runs, to show that it never freezes. The "naive QTimer" switch
 * runs the raw Qt mistake of pitfall P1 instead of a move.
 *
 * Without a display (no DISPLAY, no WAYLAND_DISPLAY, no QT_QPA_PLATFORM) it
 * uses Qt's offscreen platform. --script tour runs every feature and exits
 * 0 only if each behaved as expected; --script close closes the window
 * while a move and a job run and exits 0 if shutdown was clean; --script
 * busy starts a move and a job, prints a line "busy: ..." and waits.
 *
 * SIGINT and SIGTERM close the window as Ctrl+Q does (watched with
 * cqt_unix_signal_watch(): the close runs in the main loop, not in the
 * handler), so the one graceful path runs: axes stopped, jobs quit,
 * bounded shutdown. The exit status is then 128 + the signal (130, 143),
 * or 4 if the shutdown was not clean. Once the window has closed the
 * signals get their default dispositions back: another one ends the
 * process at once.
 */
#include "cqt-stage-demo.h"
#include "proc-threads.h"
#include "tool-opts.h"

#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DEMO_LIMIT 1000.0 /* axes travel 0..DEMO_LIMIT mm */
#define DEMO_SPEED 200.0  /* mm per simulated second */

static const char *const axis_names[DEMO_AXES] = {"x", "y", "z"};

long long demo_now_ns(void)
{
    return cqt_now_ns();
}

/* ---- log --------------------------------------------------------------- */

static void append_line(demo *d, const char *line)
{
    if (!d->opt.quiet) {
        fputs(line, stdout);
        fputc('\n', stdout);
        fflush(stdout);
    }
    if (!d->closing)
        cqt_log_view_append(d->log, line);
}

void demo_log(demo *d, const char *fmt, ...)
{
    char msg[1400], line[1600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    double t = (double)(demo_now_ns() - d->start_ns) / 1e9;
    snprintf(line, sizeof line, "%7.3f  [%s] %s", t, cqt_thread_name(cqt_thread_current()), msg);
    append_line(d, line);
}

/* A line made in another thread, appended in the GUI thread. */
static void forwarded_line(void *user_data)
{
    char **pair = user_data; /* {demo*, line} */
    append_line((demo *)(void *)pair[0], pair[1]);
}

static void free_forwarded(void *user_data)
{
    char **pair = user_data;
    free(pair[1]);
    free(pair);
}

/* cqt's message handler: Qt's warnings arrive here, in the thread that
 * logged. The line names that thread and is sent to the GUI thread. */
static void on_message(void *user_data, cqt_msg_type type, const char *category,
                       const char *message)
{
    demo *d = user_data;
    const char *kind = type == CQT_MSG_WARNING    ? "warning"
                       : type == CQT_MSG_CRITICAL ? "critical"
                       : type == CQT_MSG_FATAL    ? "fatal"
                                                  : "info";
    if (strstr(message, "Timers cannot be started from another thread"))
        __atomic_add_fetch(&d->naive_warnings, 1, __ATOMIC_SEQ_CST);
    if (!strncmp(message, "This plugin does not support", 28)) {
        /* the offscreen platform's notes on window management: noise */
        return;
    }
    char line[1600];
    double t = (double)(demo_now_ns() - d->start_ns) / 1e9;
    snprintf(line, sizeof line, "%7.3f  [%s] %s %s: %s", t,
             cqt_thread_name(cqt_thread_current()), category, kind, message);
    char **pair = malloc(2 * sizeof *pair);
    char *copy = strdup(line);
    if (!pair || !copy) {
        free(pair);
        free(copy);
        return;
    }
    pair[0] = (char *)(void *)d;
    pair[1] = copy;
    if (cqt_invoke_full(d->gui, forwarded_line, pair, free_forwarded, CQT_QUEUED) != CQT_OK)
        fprintf(stderr, "%s\n", line); /* shutting down: stderr is all that is left */
}

/* ---- axes ---------------------------------------------------------------- */

static const char *state_text(demo_axis_state s)
{
    switch (s) {
    case DEMO_AXIS_IDLE: return "idle";
    case DEMO_AXIS_WAITING: return "waiting";
    case DEMO_AXIS_MOVING: return "moving";
    case DEMO_AXIS_REACHED: return "reached";
    case DEMO_AXIS_TIMED_OUT: return "timed out";
    case DEMO_AXIS_FAULTED: return "faulted";
    case DEMO_AXIS_STOPPED: return "stopped";
    case DEMO_AXIS_NOT_STARTED: return "not started";
    case DEMO_AXIS_NAIVE_STUCK: return "never started (P1)";
    }
    return "?";
}

static const char *state_style(demo_axis_state s)
{
    switch (s) {
    case DEMO_AXIS_MOVING: return "color: #0b5cad; font-weight: bold;";
    case DEMO_AXIS_REACHED: return "color: #1a7f37; font-weight: bold;";
    case DEMO_AXIS_TIMED_OUT:
    case DEMO_AXIS_FAULTED:
    case DEMO_AXIS_NAIVE_STUCK: return "color: #c62828; font-weight: bold;";
    case DEMO_AXIS_STOPPED:
    case DEMO_AXIS_NOT_STARTED: return "color: #a15c00; font-weight: bold;";
    default: return "color: #555555;";
    }
}

static void set_axis_state(demo_axis_ui *a, demo_axis_state s)
{
    if (a->d->closing)
        return;
    a->st = s;
    cqt_widget_set_text(a->state, state_text(s));
    cqt_widget_set_style_sheet(a->state, state_style(s));
}

static void show_position(demo_axis_ui *a, double pos)
{
    char text[32];
    if (a->d->closing)
        return;
    snprintf(text, sizeof text, "%.1f mm", pos);
    cqt_widget_set_text(a->position, text);
    cqt_widget_set_value(a->bar, pos);
}

static void on_position_changed(void *user_data, const cqt_value *arg)
{
    demo_axis_ui *a = user_data;
    show_position(a, cqt_value_get_double(arg));
    if (a->st != DEMO_AXIS_MOVING && a->d->moving)
        set_axis_state(a, DEMO_AXIS_MOVING);
}

static void on_position_reached(void *user_data, const cqt_value *arg)
{
    demo_axis_ui *a = user_data;
    show_position(a, cqt_value_get_double(arg));
    set_axis_state(a, DEMO_AXIS_REACHED);
}

static void set_moving(demo *d, bool moving)
{
    d->moving = moving;
    if (d->closing)
        return;
    cqt_widget_set_enabled(d->move_parallel, !moving);
    cqt_widget_set_enabled(d->move_sequential, !moving);
}

static void on_report(void *user_data, cqt_stage *stage, const cqt_stage_report *r)
{
    (void)stage;
    demo *d = user_data;
    d->last_report = *r;
    d->reports++;
    set_moving(d, false);
    double ms = (double)(r->end_ns - r->start_ns) / 1e6;
    char failed[128] = "";
    size_t len = 0;
    for (size_t i = 0; i < r->n && i < DEMO_AXES; i++) {
        demo_axis_ui *a = &d->axes[i];
        show_position(a, r->axes[i].position);
        switch (r->axes[i].outcome) {
        case CQT_STAGE_REACHED: set_axis_state(a, DEMO_AXIS_REACHED); break;
        case CQT_STAGE_TIMED_OUT: set_axis_state(a, DEMO_AXIS_TIMED_OUT); break;
        case CQT_STAGE_FAULTED: set_axis_state(a, DEMO_AXIS_FAULTED); break;
        case CQT_STAGE_STOPPED: set_axis_state(a, DEMO_AXIS_STOPPED); break;
        default: set_axis_state(a, DEMO_AXIS_NOT_STARTED); break;
        }
        if (r->axes[i].outcome != CQT_STAGE_REACHED) {
            int n = snprintf(failed + len, sizeof failed - len, "%s%s", len ? ", " : "",
                             r->axes[i].name);
            if (n > 0 && (size_t)n < sizeof failed - len)
                len += (size_t)n;
        }
    }
    if (r->status == CQT_OK)
        demo_log(d, "%s move: every axis reached its target in %.0f ms",
                 cqt_stage_mode_name(r->mode), ms);
    else {
        demo_log(d, "%s move: %s after %.0f ms; failed axes: %s", cqt_stage_mode_name(r->mode),
                 cqt_status_name(r->status), ms, len ? failed : "none");
        /* the report's message: one failed axis per line */
        char msg[sizeof r->message];
        snprintf(msg, sizeof msg, "%s", r->message);
        for (char *part = msg, *next; part && *part; part = next) {
            next = strstr(part, " | ");
            if (next) {
                *next = '\0';
                next += 3;
            }
            demo_log(d, "  %s", part);
        }
    }
    demo_script_on_report(d, r);
}

/* ---- pitfall P1, raw: the naive QTimer move ------------------------------ */

typedef struct naive_start {
    cqt_demo_naive_axis *axis;
    double target;
} naive_start;

/* Runs in a pool thread: the raw mistake, a QTimer started from a thread
 * that does not own it. Qt warns through the message handler. */
static void naive_start_in_worker(void *user_data)
{
    naive_start *s = user_data;
    cqt_demo_naive_axis_move_to(s->axis, s->target);
}

static void naive_check(void *user_data)
{
    demo *d = user_data;
    d->naive_running = false;
    set_moving(d, false);
    bool arrived = cqt_demo_naive_axis_has_arrived(d->naive_axis);
    int warnings = __atomic_load_n(&d->naive_warnings, __ATOMIC_SEQ_CST);
    if (arrived) {
        demo_log(d, "naive QTimer: the axis arrived (unexpected: the start ran in its own thread)");
    } else {
        set_axis_state(&d->axes[0], DEMO_AXIS_NAIVE_STUCK);
        demo_log(d, "naive QTimer: x never moved (still at %.1f mm); Qt %s, the caller heard nothing",
                 cqt_demo_naive_axis_position(d->naive_axis),
                 warnings ? "only warned (above)" : "refused silently");
        demo_log(d, "the fix: cqt_axis_move_to() and cqt_timer_start() work from any thread;");
        demo_log(d, "  cqt carries the start into the thread that owns the timer");
    }
    if (!d->closing)
        cqt_widget_set_checked(d->naive, false); /* one move only */
    demo_script_on_naive(d, arrived, warnings);
}

static void naive_move(demo *d, int timeout_ms)
{
    double target;
    cqt_widget_get_value(d->axes[0].target, &target);
    /* A fresh naive axis where x is now (its thread starts in a few ms). */
    cqt_demo_naive_axis_free(d->naive_axis);
    d->naive_axis = cqt_demo_naive_axis_new("x", cqt_axis_position(d->axes[0].axis), DEMO_SPEED,
                                            d->opt.time_scale);
    naive_start *s = malloc(sizeof *s);
    if (!d->naive_axis || !s) {
        free(s);
        demo_log(d, "naive QTimer: could not start: %s", cqt_last_error());
        return;
    }
    s->axis = d->naive_axis;
    s->target = target;
    demo_log(d, "naive QTimer (P1): a pool thread starts x's QTimer, which lives in 'naive-x'");
    if (cqt_pool_run(naive_start_in_worker, s, free) != CQT_OK) {
        demo_log(d, "naive QTimer: %s", cqt_last_error());
        return;
    }
    d->naive_running = true;
    set_moving(d, true);
    set_axis_state(&d->axes[0], DEMO_AXIS_MOVING);
    cqt_single_shot(timeout_ms, d->gui, naive_check, d);
}

/* ---- moves -------------------------------------------------------------- */

void demo_move(demo *d, cqt_stage_mode mode)
{
    if (d->moving) {
        demo_log(d, "a move is running; wait for its report or press Stop all");
        return;
    }
    double timeout = 10000;
    cqt_widget_get_value(d->timeout, &timeout);
    bool naive = false;
    cqt_widget_get_checked(d->naive, &naive);
    if (naive) {
        naive_move(d, (int)timeout);
        return;
    }
    double targets[DEMO_AXES];
    for (int i = 0; i < DEMO_AXES; i++)
        cqt_widget_get_value(d->axes[i].target, &targets[i]);
    int rc = cqt_stage_move_to_async(d->stage, targets, mode, (int)timeout, d->gui, on_report, d,
                                     NULL);
    if (rc != CQT_OK) {
        demo_log(d, "move refused: %s — %s", cqt_status_name(rc), cqt_last_error());
        return;
    }
    set_moving(d, true);
    for (int i = 0; i < DEMO_AXES; i++)
        set_axis_state(&d->axes[i], mode == CQT_STAGE_PARALLEL || i == 0 ? DEMO_AXIS_MOVING
                                                                         : DEMO_AXIS_WAITING);
    demo_log(d, "%s move started: x=%.1f y=%.1f z=%.1f, timeout %.0f ms",
             cqt_stage_mode_name(mode), targets[0], targets[1], targets[2], timeout);
}

void demo_stop(demo *d)
{
    int rc = cqt_stage_stop(d->stage);
    demo_log(d, "stop all: %s", rc == CQT_OK ? "sent to every axis" : cqt_last_error());
}

static void on_fault_switch(void *user_data, cqt_widget *w, bool on)
{
    demo_axis_ui *a = user_data;
    cqt_axis_fault f = a->index == 1 ? CQT_AXIS_FAULT_STALL : CQT_AXIS_FAULT_DROP_SIGNAL;
    int rc = on ? cqt_axis_inject_fault(a->axis, f) : cqt_axis_clear_fault(a->axis);
    (void)w;
    demo_log(a->d, "%s %s %s%s%s", on ? "armed" : "cleared",
             f == CQT_AXIS_FAULT_STALL ? "a stall on" : "a lost reached-signal on", a->name,
             rc == CQT_OK ? "" : ": ", rc == CQT_OK ? "" : cqt_last_error());
}

/* ---- the long job: a generator worker ------------------------------------ */

static unsigned long long xorshift(unsigned long long *s)
{
    unsigned long long x = *s;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return *s = x;
}

/* The body, in a pool thread: the mean of many large random arrays (as in
 * napari's thread_worker example), yielding each array's mean. */
static int job_body(void *user_data, cqt_worker *w, cqt_value *result)
{
    demo_job *j = user_data;
    snprintf(j->body_thread, sizeof j->body_thread, "%s", cqt_thread_name(cqt_thread_current()));
    double *a = malloc((size_t)j->array_size * sizeof *a);
    if (!a)
        return cqt_worker_fail(w, CQT_ENOMEM, "job %d: no memory for %d doubles", j->number,
                               j->array_size);
    unsigned long long s = j->seed;
    double sum = 0;
    int done = 0;
    for (int i = 0; i < j->arrays; i++) {
        for (int k = 0; k < j->array_size; k++)
            a[k] = (double)(xorshift(&s) >> 11) * 0x1p-53;
        double acc = 0;
        for (int k = 0; k < j->array_size; k++)
            acc += a[k];
        double mean = acc / j->array_size;
        sum += mean;
        done++;
        cqt_value v = cqt_value_double(mean);
        int rc = cqt_worker_yield(w, &v, NULL);
        cqt_value_clear(&v);
        if (rc == CQT_ECANCELED)
            break; /* quit was asked: the outcome is `aborted` */
    }
    free(a);
    *result = cqt_value_double(done ? sum / done : 0.0);
    return CQT_OK;
}

static void job_update_queue(demo *d)
{
    char text[64];
    if (d->closing)
        return;
    if (d->jobs_waiting)
        snprintf(text, sizeof text, "%d queued", d->jobs_waiting);
    else
        snprintf(text, sizeof text, "none queued");
    cqt_widget_set_text(d->job_queue, text);
    cqt_widget_set_enabled(d->job_pause, d->job != NULL);
    cqt_widget_set_enabled(d->job_abort, d->job != NULL);
    if (!d->job)
        cqt_widget_set_text(d->job_pause, "Pause  (Ctrl+P)");
}

static void on_job_started(void *user_data, cqt_worker *w, const cqt_value *arg)
{
    demo_job *j = user_data;
    (void)w;
    demo_log(j->d, "job %d started: %d arrays of %d random doubles", j->number, j->arrays,
             j->array_size);
    demo_script_on_job(j->d, j, "started", arg);
}

static void on_job_yielded(void *user_data, cqt_worker *w, const cqt_value *arg)
{
    demo_job *j = user_data;
    (void)w;
    j->yields++;
    if (j->yields == 1)
        demo_log(j->d, "job %d: first mean %.6f, from thread '%s'", j->number,
                 cqt_value_get_double(arg), j->body_thread);
    demo_script_on_job(j->d, j, "yielded", arg);
}

static void on_job_progress(void *user_data, cqt_worker *w, const cqt_value *arg)
{
    demo_job *j = user_data;
    demo *d = j->d;
    cqt_worker_progress_info p;
    (void)w;
    if (d->closing || cqt_worker_progress_read(arg, &p) != CQT_OK)
        return;
    char text[96];
    snprintf(text, sizeof text, "job %d: %lld / %lld arrays%s", j->number, (long long)p.done,
             (long long)p.total, d->job_paused ? " (paused)" : "");
    cqt_widget_set_range(d->job_bar, 0, (double)p.total);
    cqt_widget_set_value(d->job_bar, (double)p.done);
    cqt_widget_set_text(d->job_count, text);
}

static void on_job_paused(void *user_data, cqt_worker *w, const cqt_value *arg)
{
    demo_job *j = user_data;
    (void)w;
    j->d->job_paused = true;
    if (!j->d->closing) {
        char text[96];
        cqt_widget_set_text(j->d->job_pause, "Resume  (Ctrl+P)");
        snprintf(text, sizeof text, "job %d: %lld / %d arrays (paused)", j->number, j->yields,
                 j->arrays);
        cqt_widget_set_text(j->d->job_count, text);
    }
    demo_log(j->d, "job %d paused after %lld arrays (its thread waits in cqt_worker_yield)",
             j->number, j->yields);
    demo_script_on_job(j->d, j, "paused", arg);
}

static void on_job_resumed(void *user_data, cqt_worker *w, const cqt_value *arg)
{
    demo_job *j = user_data;
    (void)w;
    j->d->job_paused = false;
    if (!j->d->closing)
        cqt_widget_set_text(j->d->job_pause, "Pause  (Ctrl+P)");
    demo_log(j->d, "job %d resumed", j->number);
    demo_script_on_job(j->d, j, "resumed", arg);
}

static void on_job_returned(void *user_data, cqt_worker *w, const cqt_value *arg)
{
    demo_job *j = user_data;
    demo *d = j->d;
    (void)w;
    double secs = (double)(demo_now_ns() - j->start_ns) / 1e9;
    char text[160];
    snprintf(text, sizeof text, "job %d: mean of %lld arrays = %.6f  (%.2f s)", j->number,
             j->yields, cqt_value_get_double(arg), secs);
    demo_log(d, "%s", text);
    snprintf(text, sizeof text, "last result: job %d, mean %.6f of %lld arrays in %.2f s",
             j->number, cqt_value_get_double(arg), j->yields, secs);
    if (!d->closing)
        cqt_widget_set_text(d->job_result, text);
    demo_script_on_job(d, j, "returned", arg);
}

static void on_job_errored(void *user_data, cqt_worker *w, const cqt_value *arg)
{
    demo_job *j = user_data;
    (void)w;
    demo_log(j->d, "job %d failed: %s", j->number, cqt_value_get_string(arg));
    demo_script_on_job(j->d, j, "errored", arg);
}

static void on_job_aborted(void *user_data, cqt_worker *w, const cqt_value *arg)
{
    demo_job *j = user_data;
    demo *d = j->d;
    (void)w;
    char text[128];
    snprintf(text, sizeof text, "job %d: aborted after %lld of %d arrays", j->number, j->yields,
             j->arrays);
    if (!d->closing)
        cqt_widget_set_text(d->job_count, text);
    demo_log(d, "%s", text);
    demo_script_on_job(d, j, "aborted", arg);
}

static void start_next_job(demo *d);

static void on_job_finished(void *user_data, cqt_worker *w, const cqt_value *arg)
{
    demo_job *j = user_data;
    demo *d = j->d;
    if (d->job == w) {
        cqt_worker_unref(d->job);
        d->job = NULL;
        d->job_ctx = NULL;
        d->job_paused = false;
    }
    demo_script_on_job(d, j, "finished", arg);
    if (d->jobs_waiting > 0 && !d->closing) {
        d->jobs_waiting--;
        start_next_job(d);
    }
    job_update_queue(d);
}

static void start_next_job(demo *d)
{
    demo_job *j = calloc(1, sizeof *j);
    if (!j) {
        demo_log(d, "job: out of memory");
        return;
    }
    j->d = d;
    j->number = ++d->jobs_started;
    j->arrays = d->opt.job_arrays;
    j->array_size = d->opt.job_array_size;
    j->seed = 0x9e3779b97f4a7c15ULL * (unsigned long long)j->number + 1;
    j->start_ns = demo_now_ns();
    char name[32];
    snprintf(name, sizeof name, "job-%d", j->number);
    cqt_worker *w = cqt_worker_new_generator(name, job_body, j, free);
    if (!w) {
        demo_log(d, "job %d: %s", j->number, cqt_last_error());
        return;
    }
    cqt_worker_set_total(w, j->arrays);
    static const struct {
        int which;
        cqt_worker_slot_fn fn;
    } handlers[] = {
        {CQT_WORKER_STARTED, on_job_started},   {CQT_WORKER_YIELDED, on_job_yielded},
        {CQT_WORKER_PROGRESS, on_job_progress}, {CQT_WORKER_PAUSED, on_job_paused},
        {CQT_WORKER_RESUMED, on_job_resumed},   {CQT_WORKER_RETURNED, on_job_returned},
        {CQT_WORKER_ERRORED, on_job_errored},   {CQT_WORKER_ABORTED, on_job_aborted},
        {CQT_WORKER_FINISHED, on_job_finished},
    };
    for (size_t i = 0; i < sizeof handlers / sizeof handlers[0]; i++)
        cqt_worker_connect(w, handlers[i].which, d->gui, handlers[i].fn, j, NULL);
    if (cqt_worker_start(w) != CQT_OK) {
        demo_log(d, "job %d: %s", j->number, cqt_last_error());
        cqt_worker_unref(w);
        return;
    }
    d->job = w;
    d->job_ctx = j;
    job_update_queue(d);
}

void demo_job_start(demo *d)
{
    if (d->job) {
        d->jobs_waiting++;
        demo_log(d, "job %d queued: it starts when job %d has finished",
                 d->jobs_started + d->jobs_waiting, d->job_ctx ? d->job_ctx->number : 0);
        job_update_queue(d);
        return;
    }
    start_next_job(d);
}

void demo_job_toggle_pause(demo *d)
{
    if (!d->job)
        return;
    int rc = cqt_worker_toggle_pause(d->job);
    if (rc != CQT_OK)
        demo_log(d, "pause/resume: %s", cqt_last_error());
}

void demo_job_abort(demo *d)
{
    if (!d->job)
        return;
    demo_log(d, "abort: asking job %d to quit", d->job_ctx ? d->job_ctx->number : 0);
    cqt_worker_quit(d->job);
}

/* ---- heartbeat ------------------------------------------------------------ */

/* How long the calling thread has been runnable but waiting for a CPU, in
 * ns (Linux: /proc/thread-self/schedstat); -1 when unknown. */
static long long runqueue_wait_ns(void)
{
    FILE *f = fopen("/proc/thread-self/schedstat", "r");
    if (!f)
        return -1;
    unsigned long long on_cpu, waiting;
    int n = fscanf(f, "%llu %llu", &on_cpu, &waiting);
    fclose(f);
    return n == 2 ? (long long)waiting : -1;
}

static void on_heartbeat(void *user_data, cqt_object *o, int timer_id)
{
    demo *d = user_data;
    (void)o;
    (void)timer_id;
    long long now = demo_now_ns();
    long long wait = runqueue_wait_ns();
    if (d->hb_last_ns) {
        double late = (double)(now - d->hb_last_ns) / 1e6 - 20.0;
        if (late < 0)
            late = 0;
        d->hb_latency_ms = late;
        if (late > d->hb_window_max_ms)
            d->hb_window_max_ms = late;
        if (late > d->hb_max_ms)
            d->hb_max_ms = late;
        /* A loaded machine makes the loop late by keeping it off the CPU;
         * a GUI thread that blocks or computes is late on its own. */
        if (wait >= 0 && d->hb_wait_last_ns >= 0) {
            double own = late - (double)(wait - d->hb_wait_last_ns) / 1e6;
            if (own > d->hb_own_max_ms)
                d->hb_own_max_ms = own;
        } else {
            d->hb_own_unknown = true;
        }
    }
    d->hb_last_ns = now;
    d->hb_wait_last_ns = wait;
    if (++d->hb_ticks % 10 == 0 && !d->closing) { /* 5 updates a second */
        char text[96];
        snprintf(text, sizeof text, "main loop latency %.0f ms (max %.0f ms)",
                 d->hb_window_max_ms, d->hb_max_ms);
        cqt_widget_set_text(d->heartbeat, text);
        d->hb_window_max_ms = 0;
    }
}

/* ---- window --------------------------------------------------------------- */

static void on_parallel(void *user_data, cqt_widget *w)
{
    (void)w;
    demo_move(user_data, CQT_STAGE_PARALLEL);
}

static void on_sequential(void *user_data, cqt_widget *w)
{
    (void)w;
    demo_move(user_data, CQT_STAGE_SEQUENTIAL);
}

static void on_stop(void *user_data, cqt_widget *w)
{
    (void)w;
    demo_stop(user_data);
}

static void on_job_button(void *user_data, cqt_widget *w)
{
    (void)w;
    demo_job_start(user_data);
}

static void on_pause_button(void *user_data, cqt_widget *w)
{
    (void)w;
    demo_job_toggle_pause(user_data);
}

static void on_abort_button(void *user_data, cqt_widget *w)
{
    (void)w;
    demo_job_abort(user_data);
}

static void on_quit_key(void *user_data, cqt_widget *w)
{
    (void)user_data;
    cqt_window_close(w);
}

static bool on_close(void *user_data, cqt_widget *window)
{
    demo *d = user_data;
    (void)window;
    demo_log(d, "window closed: stopping the axes and the jobs, then shutting down");
    cqt_app_quit(d->exit_code);
    return true;
}

/* GUI thread, from the main loop: a signal closes the window like Ctrl+Q. */
static void on_signal(void *user_data, int signo, unsigned count)
{
    demo *d = user_data;
    const char *name = signo == SIGINT ? "SIGINT" : "SIGTERM";
    (void)count;
    if (d->signo) {
        demo_log(d, "%s again: already closing", name);
        return;
    }
    d->signo = signo;
    d->exit_code = 128 + signo;
    demo_log(d, "%s: closing the window", name);
    if (cqt_window_close(d->win) != CQT_OK)
        cqt_app_quit(d->exit_code);
}

static int watch_signals(demo *d)
{
    static const int signals[2] = {SIGINT, SIGTERM};
    for (int i = 0; i < 2; i++) {
        d->watches[i] = cqt_unix_signal_watch(signals[i], d->gui, on_signal, d, NULL);
        if (d->watches[i] < 0)
            return -1;
    }
    return 0;
}

/* Before the window goes: a late signal must not reach on_signal() then. */
static void unwatch_signals(demo *d)
{
    for (int i = 0; i < 2; i++)
        if (d->watches[i] > 0)
            cqt_unix_signal_unwatch(d->watches[i]);
    d->watches[0] = d->watches[1] = 0;
}

static void on_naive_switch(void *user_data, cqt_widget *w, bool on)
{
    (void)w;
    if (on)
        demo_log(user_data, "naive QTimer armed: the next move starts x with raw Qt from a pool "
                            "thread (pitfall P1)");
}

int demo_screenshot(demo *d, const char *path)
{
    int rc = cqt_widget_grab(d->win, path);
    int w = 0, h = 0;
    cqt_widget_get_size(d->win, &w, &h);
    if (rc == CQT_OK)
        printf("screenshot: %s (%dx%d)\n", path, w, h);
    else
        fprintf(stderr, "cqt-stage-demo: screenshot: %s\n", cqt_last_error());
    fflush(stdout);
    return rc;
}

/* Fusion draws group titles bold but sizes them in the regular font, which
 * clips their end; a bold font on the group box itself keeps them whole. */
static cqt_widget *group(cqt_widget *parent, const char *title)
{
    cqt_widget *g = cqt_group_box_new(parent, title, CQT_VERTICAL);
    cqt_widget_set_style_sheet(g, "QGroupBox { font-weight: bold; }");
    return g;
}

static cqt_widget *header(cqt_widget *grid, const char *text)
{
    cqt_widget *l = cqt_label_new(grid, text);
    cqt_widget_set_style_sheet(l, "font-weight: bold; color: #333333;");
    return l;
}

static cqt_widget *button(demo *d, cqt_widget *parent, const char *text, const char *tip,
                          cqt_widget_fn fn)
{
    cqt_widget *b = cqt_push_button_new(parent, text);
    cqt_widget_set_tooltip(b, tip);
    cqt_widget_on_clicked(b, fn, d, NULL);
    return b;
}

/* The connection's state, at the right of the status bar (its address is
 * in the stage's title). */
static void show_link_state(demo *d, cqt_axis_link_state st)
{
    char text[64];
    snprintf(text, sizeof text, "controller: %s", cqt_axis_link_state_name(st));
    cqt_widget_set_text(d->link_state, text);
    cqt_widget_set_style_sheet(d->link_state, st == CQT_AXIS_LINK_CONNECTED
                                                  ? "color: #1a7f37; padding-right: 12px;"
                                                  : "color: #c62828; font-weight: bold; padding-right: 12px;");
}

static int build_window(demo *d)
{
    d->win = cqt_window_new("cqt-stage-demo — three axes, a long job, a live main loop");
    if (!d->win)
        return -1;

    /* Axes: one row each. */
    char title[200];
    if (d->link)
        snprintf(title, sizeof title, "Stage: three axes of the controller at %s, in the link's thread",
                 d->opt.controller);
    else
        snprintf(title, sizeof title, "Stage: three axes, each in its own thread");
    cqt_widget *stage = group(d->win, title);
    cqt_widget *grid = cqt_grid_new(stage, 5);
    header(grid, "Axis");
    header(grid, "Target");
    header(grid, "Position");
    cqt_widget_set_alignment(header(grid, "mm"), CQT_ALIGN_RIGHT);
    header(grid, "State");
    for (int i = 0; i < DEMO_AXES; i++) {
        demo_axis_ui *a = &d->axes[i];
        char label[8];
        snprintf(label, sizeof label, "%c", 'X' + i);
        cqt_widget *name = cqt_label_new(grid, label);
        cqt_widget_set_style_sheet(name, "font-weight: bold; font-size: 14pt;");
        a->target = cqt_double_spin_box_new(grid, 0, DEMO_LIMIT, 250.0 * (i + 1), 1);
        cqt_widget_set_suffix(a->target, " mm");
        cqt_widget_set_alignment(a->target, CQT_ALIGN_RIGHT);
        cqt_widget_set_minimum_width(a->target, 110);
        a->bar = cqt_progress_bar_new(grid, 0, (int)DEMO_LIMIT);
        cqt_widget_set_text(a->bar, "");
        cqt_widget_set_minimum_width(a->bar, 260);
        a->position = cqt_label_new(grid, "0.0 mm");
        cqt_widget_set_alignment(a->position, CQT_ALIGN_RIGHT);
        cqt_widget_set_minimum_width(a->position, 90);
        cqt_widget_set_style_sheet(a->position, "font-family: monospace;");
        a->state = cqt_label_new(grid, "");
        cqt_widget_set_minimum_width(a->state, 140);
        set_axis_state(a, DEMO_AXIS_IDLE);
    }
    cqt_grid_set_column_stretch(grid, 2, 1);

    cqt_widget *row = cqt_box_new(stage, CQT_HORIZONTAL);
    d->move_parallel = button(d, row, "Move parallel  (F5)",
                              "Start every axis at once; the report comes back when all "
                              "arrived, failed or timed out", on_parallel);
    d->move_sequential = button(d, row, "Move sequential  (F6)",
                                "Move X, then Y, then Z; stop at the first failure", on_sequential);
    d->stop_all = button(d, row, "Stop all  (Esc)", "Stop every axis where it is", on_stop);
    cqt_box_add_stretch(row, 1);
    cqt_label_new(row, "Timeout");
    d->timeout = cqt_spin_box_new(row, 100, 600000, 10000);
    cqt_widget_set_suffix(d->timeout, " ms");
    cqt_widget_set_alignment(d->timeout, CQT_ALIGN_RIGHT);
    cqt_widget_set_tooltip(d->timeout, "How long a whole move may take");

    cqt_widget *faults = cqt_box_new(stage, CQT_HORIZONTAL);
    d->stall_y = cqt_check_box_new(faults, "stall Y (never arrives)", false);
    cqt_widget_on_toggled(d->stall_y, on_fault_switch, &d->axes[1], NULL);
    d->drop_z = cqt_check_box_new(faults, "drop signal Z (arrives silently)", false);
    cqt_widget_on_toggled(d->drop_z, on_fault_switch, &d->axes[2], NULL);
    d->naive = cqt_check_box_new(faults, "naive QTimer for the next move (pitfall P1)", false);
    cqt_widget_on_toggled(d->naive, on_naive_switch, d, NULL);
    cqt_box_add_stretch(faults, 1);

    /* The long job. */
    cqt_widget *job = group(d->win, "Long job: a generator worker in the pool");
    cqt_widget *jrow = cqt_box_new(job, CQT_HORIZONTAL);
    d->job_start = button(d, jrow, "Start job  (Ctrl+J)",
                          "Mean of many large random arrays; a second press queues another",
                          on_job_button);
    d->job_pause = button(d, jrow, "Pause  (Ctrl+P)", "Pause or resume the running job",
                          on_pause_button);
    d->job_abort = button(d, jrow, "Abort  (Ctrl+K)", "Ask the running job to quit",
                          on_abort_button);
    d->job_bar = cqt_progress_bar_new(jrow, 0, 100);
    cqt_widget_set_text(d->job_bar, "%p%");
    cqt_widget_set_minimum_width(d->job_bar, 200);
    d->job_queue = cqt_label_new(jrow, "none queued");
    cqt_widget_set_minimum_width(d->job_queue, 90);
    cqt_widget_set_alignment(d->job_queue, CQT_ALIGN_RIGHT);
    cqt_widget *jinfo = cqt_box_new(job, CQT_HORIZONTAL);
    d->job_count = cqt_label_new(jinfo, "no job yet");
    cqt_widget_set_minimum_width(d->job_count, 220);
    d->job_result = cqt_label_new(jinfo, "");
    cqt_widget_set_style_sheet(d->job_result, "font-weight: bold;");
    cqt_box_add_stretch(jinfo, 1);

    cqt_widget *logbox = group(d->win, "Log — each line names the thread that ran it");
    d->log = cqt_log_view_new(logbox, 500);

    d->status = cqt_window_status_bar(d->win);
    if (d->link) {
        d->link_state = cqt_label_new(d->status, "");
        show_link_state(d, cqt_axis_link_get_state(d->link));
    }
    d->heartbeat = cqt_label_new(d->status, "main loop latency   - ms");
    cqt_widget_set_style_sheet(d->heartbeat, "font-family: monospace; padding-right: 6px;");
    cqt_status_bar_show_message(d->status, "Each button shows its shortcut · Ctrl+Q quits", 0);

    static const struct {
        const char *keys;
        cqt_widget_fn fn;
    } keys[] = {
        {"F5", on_parallel},         {"F6", on_sequential},    {"Esc", on_stop},
        {"Ctrl+J", on_job_button},   {"Ctrl+P", on_pause_button}, {"Ctrl+K", on_abort_button},
    };
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (!cqt_window_add_shortcut(d->win, keys[i].keys, keys[i].fn, d, NULL))
            return -1;
    if (!cqt_window_add_shortcut(d->win, "Ctrl+Q", on_quit_key, d, NULL) ||
        !cqt_window_on_close(d->win, on_close, d, NULL))
        return -1;
    job_update_queue(d);
    cqt_window_resize(d->win, 1000, 720);
    return 0;
}

/* ---- setup and teardown ----------------------------------------------------- */

/* The controller link's state and traffic, in the log (the GUI thread: the
 * link emits in its own). */
static void on_link_state(void *user_data, const cqt_value *arg)
{
    demo *d = user_data;
    if (d->closing)
        return; /* the window is going; so may the link */
    cqt_axis_link_state st = (cqt_axis_link_state)cqt_value_get_int(arg);
    char why[256] = "";
    if (st != CQT_AXIS_LINK_CONNECTED)
        cqt_axis_link_get_message(d->link, why, sizeof why);
    demo_log(d, "controller %s: %s%s%s", cqt_axis_link_address(d->link), cqt_axis_link_state_name(st),
             *why ? ": " : "", why);
    show_link_state(d, st);
    demo_script_on_link_state(d, st, why);
}

static void on_link_traffic(void *user_data, const cqt_value *arg)
{
    demo *d = user_data;
    if (d->closing)
        return;
    const char *line = cqt_value_get_string(arg);
    demo_script_on_link_traffic(d, line ? line : "");
    if (line && strncmp(line, "< !POS ", 7) == 0)
        return; /* position reports, 20 a second per axis: the bars show them */
    demo_log(d, "link %s", line ? line : "");
}

/* --controller: connect (bounded, 2 s) and log the link from now on. */
static int open_controller(demo *d)
{
    if (cqt_axis_link_address_is_sim(d->opt.controller))
        return 0;
    cqt_axis_link_config lc;
    cqt_axis_link_config_init(&lc);
    lc.address = d->opt.controller;
    d->link = cqt_axis_link_new(&lc);
    if (!d->link)
        return -1;
    if (!cqt_connect(cqt_axis_link_state_changed(d->link), d->gui, on_link_state, d, NULL, CQT_AUTO) ||
        !cqt_connect(cqt_axis_link_traffic(d->link), d->gui, on_link_traffic, d, NULL, CQT_AUTO))
        return -1;
    demo_log(d, "controller %s: connected, %d axes", d->opt.controller, cqt_axis_link_axis_count(d->link));
    return 0;
}

static int build_stage(demo *d)
{
    if (open_controller(d) != 0)
        return -1;
    cqt_axis_config cfg;
    cqt_axis_config_init(&cfg);
    cfg.speed = DEMO_SPEED;
    cfg.min_position = 0;
    cfg.max_position = DEMO_LIMIT;
    cfg.time_scale = d->opt.time_scale;
    cfg.link = d->link; /* NULL: simulated; else x, y, z are the controller's */
    cqt_stage_config sc = {
        .name = "xyz",
        .axis_names = axis_names,
        .n = DEMO_AXES,
        .axis_config = &cfg,
        .thread = NULL, /* each axis in a thread of its own */
    };
    d->stage = cqt_stage_new_from_config(&sc);
    if (!d->stage)
        return -1;
    for (int i = 0; i < DEMO_AXES; i++) {
        demo_axis_ui *a = &d->axes[i];
        a->d = d;
        a->index = i;
        a->name = axis_names[i];
        a->axis = cqt_stage_axis(d->stage, (size_t)i);
        if (!cqt_connect(cqt_axis_position_changed(a->axis), d->gui, on_position_changed, a, NULL,
                         CQT_AUTO) ||
            !cqt_connect(cqt_axis_position_reached(a->axis), d->gui, on_position_reached, a, NULL,
                         CQT_AUTO))
            return -1;
    }
    return 0;
}

/* Qt's D-Bus connection manager (started by the xcb platform for its theme
 * and accessibility) keeps one thread for the life of the process by
 * design and ends it in exit(); it is not an application thread. */
static int thread_count(void)
{
    return proc_thread_count("QDBusConnection");
}

/* The names of this process' threads, for messages. */
static void thread_names(char *out, size_t size)
{
    proc_thread_names(out, size, true);
}

static void *nop_thread(void *arg)
{
    return arg;
}

/* The threads there were before the application, after a pthread came and
 * went (a sanitizer's helper thread starts with the first one). */
static int thread_baseline(void)
{
    pthread_t t;
    if (pthread_create(&t, NULL, nop_thread, NULL) == 0)
        pthread_join(t, NULL);
    return thread_count();
}

/* Waits (bounded) for Qt's joined threads to leave the process: QThread's
 * wait returns before the OS thread is gone. */
static int wait_threads(int max, int timeout_ms)
{
    int n = thread_count();
    for (int waited = 0; n > max && waited < timeout_ms; waited += 5) {
        struct timespec ts = {0, 5000000};
        nanosleep(&ts, NULL);
        n = thread_count();
    }
    return n;
}

static void usage(FILE *f)
{
    fputs("usage: cqt-stage-demo [--script tour|close|busy] [--screenshot FILE]\n"
          "                      [--time-scale K] [--job-arrays N] [--array-size N]\n"
          "                      [--quiet] [--controller A] [--sim-pid PID]\n"
          "  --script tour    run every feature, check each; exit 0 only if all behaved\n"
          "  --script close   close the window while a move and a job run\n"
          "  --script busy    start a move and a job, print 'busy: ...' and wait\n"
          "  --screenshot F   save the window to F (PNG) at the end\n"
          "  --time-scale K   simulated seconds per real second for the axes, in\n"
          "                   (0, 1000] (default 1; the tour uses 5 unless given)\n"
          "  --job-arrays N   arrays per job (default 400); --array-size N doubles each\n"
          "                   (default 1000000)\n"
          "  --quiet          do not echo the log to stdout\n"
          "  --controller A   where the axes x, y, z are: sim (simulated, the default),\n"
          "                   tcp:HOST:PORT or serial:/dev/ttyX[,BAUD] (cqt-axis-sim);\n"
          "                   the link's state and the lines it carries (but position\n"
          "                   reports) go to the log\n"
          "  --sim-pid PID    with --script tour and a controller: the pid of its\n"
          "                   cqt-axis-sim; the tour kills it mid-move (SIGKILL) and\n"
          "                   checks every axis is reported faulted, connection lost\n"
          "  -h, --help       show this help and exit\n"
          "  --version        show the version and exit\n"
          "Without a display, Qt's offscreen platform is used.\n"
          "SIGINT or SIGTERM closes the window as Ctrl+Q does (axes stopped, jobs quit,\n"
          "shutdown bounded by 5 s); the exit status is then 128 + the signal (130 for\n"
          "SIGINT, 143 for SIGTERM), 4 if the shutdown was not clean.\n",
          f);
}

#define PROG "cqt-stage-demo"

/* Returns 0 to run, 1 after --help or --version (exit 0), or 2 after a
 * usage error it printed (exit 2). */
static int parse(int argc, char **argv, demo_options *o)
{
    enum { OPT_SCRIPT = 256, OPT_SCREENSHOT, OPT_TIME_SCALE, OPT_JOB_ARRAYS, OPT_ARRAY_SIZE, OPT_QUIET,
           OPT_VERSION, OPT_CONTROLLER, OPT_SIM_PID };
    static const struct option longopts[] = {
        {"script", required_argument, NULL, OPT_SCRIPT},
        {"screenshot", required_argument, NULL, OPT_SCREENSHOT},
        {"time-scale", required_argument, NULL, OPT_TIME_SCALE},
        {"job-arrays", required_argument, NULL, OPT_JOB_ARRAYS},
        {"array-size", required_argument, NULL, OPT_ARRAY_SIZE},
        {"quiet", no_argument, NULL, OPT_QUIET},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, OPT_VERSION},
        {"controller", required_argument, NULL, OPT_CONTROLLER},
        {"sim-pid", required_argument, NULL, OPT_SIM_PID},
        {NULL, 0, NULL, 0},
    };
    o->controller = "sim";
    o->time_scale = 0;
    o->job_arrays = 0;
    o->job_array_size = 0;
    o->shutdown_timeout_ms = 5000;
    char why[160];
    long n;
    int ch;
    opterr = 0; /* our messages, one line */
    while ((ch = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
        switch (ch) {
        case 'h':
            usage(stdout);
            return 1;
        case OPT_VERSION:
            cqt_tool_print_version(PROG, NULL);
            return 1;
        case OPT_QUIET:
            o->quiet = true;
            break;
        case OPT_SCRIPT:
            if (!strcmp(optarg, "tour"))
                o->script = DEMO_SCRIPT_TOUR;
            else if (!strcmp(optarg, "close"))
                o->script = DEMO_SCRIPT_CLOSE;
            else if (!strcmp(optarg, "busy"))
                o->script = DEMO_SCRIPT_BUSY;
            else
                return cqt_tool_usage_error(PROG, "--script: unknown script '%s' (tour, close or busy)",
                                            optarg);
            break;
        case OPT_SCREENSHOT:
            o->screenshot = optarg;
            break;
        case OPT_CONTROLLER:
            if (strcmp(optarg, "sim") != 0 && strncmp(optarg, "tcp:", 4) != 0 &&
                strncmp(optarg, "serial:", 7) != 0)
                return cqt_tool_usage_error(PROG,
                                            "--controller: unknown transport in '%s' (tcp:HOST:PORT, "
                                            "serial:/dev/ttyX[,BAUD] or sim)",
                                            optarg);
            o->controller = optarg;
            break;
        case OPT_SIM_PID:
            if (!cqt_tool_parse_long(optarg, 2, INT_MAX, &n, why, sizeof why))
                return cqt_tool_usage_error(PROG, "--sim-pid: %s", why);
            o->sim_pid = (int)n;
            break;
        case OPT_TIME_SCALE:
            if (!cqt_tool_parse_double(optarg, &o->time_scale, why, sizeof why))
                return cqt_tool_usage_error(PROG, "--time-scale: %s", why);
            if (!(o->time_scale > 0 && o->time_scale <= 1000))
                return cqt_tool_usage_error(PROG, "--time-scale must be > 0 and <= 1000, not '%s'", optarg);
            o->time_scale_given = true;
            break;
        case OPT_JOB_ARRAYS:
        case OPT_ARRAY_SIZE:
            if (!cqt_tool_parse_long(optarg, 1, INT_MAX, &n, why, sizeof why))
                return cqt_tool_usage_error(PROG, "%s: %s", ch == OPT_JOB_ARRAYS ? "--job-arrays" : "--array-size",
                                            why);
            if (ch == OPT_JOB_ARRAYS)
                o->job_arrays = (int)n;
            else
                o->job_array_size = (int)n;
            break;
        default: /* ':' or '?' */
            cqt_tool_getopt_error(ch, argv, longopts, why, sizeof why);
            return cqt_tool_usage_error(PROG, "%s", why);
        }
    }
    if (optind < argc)
        return cqt_tool_usage_error(PROG, "unexpected argument '%s'", argv[optind]);
    if (o->time_scale_given && strcmp(o->controller, "sim") != 0)
        return cqt_tool_usage_error(PROG, "--time-scale applies to simulated axes only; the controller at %s "
                                    "moves in real time", o->controller);
    if (o->sim_pid && (o->script != DEMO_SCRIPT_TOUR || !strcmp(o->controller, "sim")))
        return cqt_tool_usage_error(PROG, "--sim-pid needs --script tour and --controller tcp:... or "
                                    "serial:... (the simulator the tour pulls)");
    bool scripted = o->script != DEMO_SCRIPT_NONE;
    if (o->time_scale == 0)
        o->time_scale = o->script == DEMO_SCRIPT_TOUR ? 5 : 1;
    if (o->job_arrays == 0)
        o->job_arrays = scripted ? 150 : 400;
    if (o->job_array_size == 0)
        o->job_array_size = scripted ? 400000 : 1000000;
    return 0;
}

int main(int argc, char **argv)
{
    static demo d;
    int prc = parse(argc, argv, &d.opt);
    if (prc != 0)
        return prc == 1 ? 0 : 2;
    int baseline = thread_baseline();
    if (!getenv("DISPLAY") && !getenv("WAYLAND_DISPLAY") && !getenv("QT_QPA_PLATFORM")) {
        setenv("QT_QPA_PLATFORM", "offscreen", 1);
        printf("no display: using Qt's offscreen platform (QT_QPA_PLATFORM=offscreen)\n");
    }
    d.start_ns = demo_now_ns();

    /* Qt must not see our options: it gets the program name only. */
    static int qt_argc = 1;
    static char *qt_argv[2];
    qt_argv[0] = argv[0];
    cqt_widgets_init();
    if (cqt_app_init(&qt_argc, qt_argv, CQT_APP_GUI) != CQT_OK) {
        fprintf(stderr, "cqt-stage-demo: %s\n", cqt_last_error());
        return 3;
    }
    d.gui = cqt_object_new(NULL);
    cqt_set_message_handler(on_message, &d, NULL);
    if (!d.gui || build_stage(&d) != 0 || build_window(&d) != 0 || watch_signals(&d) != 0) {
        if (d.opt.controller && strcmp(d.opt.controller, "sim") != 0 && !d.link) {
            fprintf(stderr, "cqt-stage-demo: --controller: %s\n", cqt_last_error());
            return 3;
        }
        fprintf(stderr, "cqt-stage-demo: setup failed: %s\n", cqt_last_error());
        return 3;
    }
    cqt_object_start_timer(d.gui, 20, CQT_TIMER_PRECISE, on_heartbeat, &d);
    cqt_window_show(d.win);
    if (d.link)
        demo_log(&d, "ready: axes x, y, z of the controller at %s, in the link's thread '%s'",
                 d.opt.controller, cqt_thread_name(cqt_axis_link_thread(d.link)));
    else
        demo_log(&d, "ready: axes x, y, z in threads 'axis-x', 'axis-y', 'axis-z'; time scale %g",
                 d.opt.time_scale);
    if (d.opt.script != DEMO_SCRIPT_NONE && demo_script_start(&d) != 0) {
        fprintf(stderr, "cqt-stage-demo: could not start the script: %s\n", cqt_last_error());
        return 3;
    }

    int code = cqt_app_exec();
    unwatch_signals(&d);
    if (d.opt.screenshot && d.opt.script == DEMO_SCRIPT_NONE)
        demo_screenshot(&d, d.opt.screenshot);

    /* Graceful shutdown, whatever still runs: stop the axes, quit the
     * jobs, free the window, then let cqt_app_shutdown() wait (bounded) for
     * every worker and thread. */
    long long t0 = demo_now_ns();
    bool busy_move = d.moving, busy_job = d.job != NULL;
    d.closing = true;
    d.jobs_waiting = 0;
    cqt_stage_stop(d.stage);
    if (d.job)
        cqt_worker_quit(d.job);
    cqt_window_free(d.win);
    cqt_demo_naive_axis_free(d.naive_axis);
    cqt_stage_free(d.stage); /* completes once its report was delivered or dropped */
    cqt_axis_link_free(d.link); /* closed once its axes are gone too */
    int rc = cqt_app_shutdown(d.opt.shutdown_timeout_ms);
    double ms = (double)(demo_now_ns() - t0) / 1e6;
    if (rc != CQT_OK) {
        fprintf(stderr, "cqt-stage-demo: shutdown: %s\n", cqt_last_error());
        return 4;
    }
    cqt_set_message_handler(NULL, NULL, NULL); /* on_message uses d.gui */
    if (d.job)
        cqt_worker_unref(d.job);
    cqt_object_free(d.gui);
    demo_script_free(&d);
    int left = wait_threads(baseline, 5000);
    printf("shutdown: clean in %.0f ms (a move was %srunning, a job was %srunning); threads "
           "left %d of %d before start\n",
           ms, busy_move ? "" : "not ", busy_job ? "" : "not ", left, baseline);
    if (left > baseline) {
        char names[512];
        thread_names(names, sizeof names);
        fprintf(stderr, "cqt-stage-demo: %d thread(s) outlived the shutdown: %s\n",
                left - baseline, names);
        return 4;
    }
    return code;
}
