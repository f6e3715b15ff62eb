/* SPDX-License-Identifier: MIT */
/* cqt-stage — move simulated axes from a terminal and report.
 *
 *   cqt-stage move x=100 y=650 z=0 [--parallel|--sequential] [--timeout MS]
 *             [--speed x=50,...] [--stall y] [--time-scale K] [--json] [--progress]
 *
 * A console program on libcqt alone. The move runs with
 * cqt_stage_move_to_async(), so the main loop stays free to redraw one
 * live line per axis while the axes move in their own threads.
 *
 * The live lines go where the report does not: stdout, or stderr when the
 * report is JSON (stdout then holds nothing but the JSON). They are drawn
 * only on a terminal that moves the cursor (not TERM=dumb) unless --live
 * insists, each line shorter than the terminal is wide (TIOCGWINSZ, asked
 * at every redraw) so none wraps and "cursor up N lines" stays exact.
 *
 * SIGINT and SIGTERM are watched with cqt_unix_signal_watch(): the
 * callback runs in the main loop, not in the handler, so it may stop the
 * stage and let the partial report arrive as any other; the tool then
 * prints it and exits 128 + the signal. A second signal while the axes
 * stop exits at once (the user insists; stopping is normally immediate).
 */
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "cqt-stage-cli.h"
#include "tool-opts.h"

typedef struct tool {
    cqt_stage_cli_options opts;
    cqt_axis_link *link; /* --controller: the connection; NULL: simulated axes */
    cqt_axis *axes[CQT_STAGE_MAX_AXES];
    double start[CQT_STAGE_MAX_AXES];
    bool known[CQT_STAGE_MAX_AXES]; /* over a link: the controller said where the axis is */
    cqt_stage_report report;
    bool live;
    FILE *live_out; /* stdout, or stderr with --json */
    bool drawn;
    cqt_stage *stage;
    bool reported;  /* the move's report arrived */
    int signo;      /* the signal that interrupted the move; 0: none */
    int watches[2]; /* SIGINT's and SIGTERM's watch ids; 0: none */
} tool;

/* The width of the terminal the live lines go to: TIOCGWINSZ, else
 * $COLUMNS (--live on a pipe), else 80. */
static int live_columns(FILE *f)
{
    struct winsize ws;
    if (ioctl(fileno(f), TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
        return ws.ws_col;
    const char *env = getenv("COLUMNS");
    long cols;
    if (env && cqt_tool_parse_long(env, 1, 10000, &cols, NULL, 0))
        return (int)cols;
    return 80;
}

static void draw_live(tool *t)
{
    char line[256];
    FILE *f = t->live_out;
    int columns = live_columns(f);
    if (t->drawn)
        fprintf(f, "\033[%zuA", t->opts.n); /* back to the first line: none wrapped */
    for (size_t i = 0; i < t->opts.n; i++) {
        cqt_axis_status st;
        cqt_axis_get_status(t->axes[i], &st);
        cqt_stage_cli_format_live(t->opts.axes[i].name, t->start[i], t->opts.axes[i].target, st.position,
                                  st.state, columns, line, sizeof line);
        fprintf(f, "\r\033[K%s\n", line);
    }
    t->drawn = true;
    fflush(f);
}

/* Whether the live lines are drawn on @f (auto mode): a terminal whose
 * TERM can move the cursor. */
static bool live_terminal(FILE *f)
{
    const char *term = getenv("TERM");
    return isatty(fileno(f)) && term && *term && strcmp(term, "dumb") != 0;
}

/* --progress: one machine-readable line per tick on stderr, so a script
 * (or a test) can see that the axes move without a terminal. */
static void print_progress(tool *t)
{
    fputs("progress:", stderr);
    for (size_t i = 0; i < t->opts.n; i++)
        fprintf(stderr, " %s=%.3f", t->opts.axes[i].name, cqt_axis_position(t->axes[i]));
    fputc('\n', stderr);
    fflush(stderr);
}

static void on_tick(void *user_data, const cqt_value *arg)
{
    (void)arg;
    tool *t = user_data;
    if (t->live)
        draw_live(t);
    if (t->opts.progress)
        print_progress(t);
}

static void on_report(void *user_data, cqt_stage *stage, const cqt_stage_report *report)
{
    (void)stage;
    tool *t = user_data;
    t->report = *report;
    t->reported = true;
    cqt_app_quit(0);
}

/* Main thread, from the main loop (never in the signal handler). */
static void on_signal(void *user_data, int signo, unsigned count)
{
    (void)count; /* signals that came together count as one request to stop */
    tool *t = user_data;
    const char *name = signo == SIGINT ? "SIGINT" : "SIGTERM";
    if (t->reported)
        return; /* the move ended first: its whole report stands */
    if (t->signo) {
        fprintf(stderr, "cqt-stage: %s again while stopping: exiting now\n", name);
        fflush(stdout);
        _exit(cqt_stage_cli_signal_status(t->signo));
    }
    t->signo = signo;
    fprintf(stderr, "cqt-stage: %s: stopping every axis\n", name);
    t->drawn = false; /* the live block goes on below this line, not over it */
    if (cqt_stage_stop(t->stage) != CQT_OK)
        fprintf(stderr, "cqt-stage: stop: %s\n", cqt_last_error());
    /* The stopped axes complete the move: on_report() ends the loop. */
}

static void watch_signals(tool *t, cqt_object *receiver)
{
    static const int signals[2] = {SIGINT, SIGTERM};
    for (int i = 0; i < 2; i++) {
        int id = cqt_unix_signal_watch(signals[i], receiver, on_signal, t, NULL);
        if (id > 0)
            t->watches[i] = id;
        else
            fprintf(stderr, "cqt-stage: cannot watch signal %d: %s\n", signals[i], cqt_last_error());
    }
}

/* Gives the signals their dispositions back: once the move is over, a
 * signal ends the tool as it would any program. */
static void unwatch_signals(tool *t)
{
    for (int i = 0; i < 2; i++)
        if (t->watches[i] > 0)
            cqt_unix_signal_unwatch(t->watches[i]);
    t->watches[0] = t->watches[1] = 0;
}

/* Link traffic, in the main thread: a "< POS NAME P" line is the reply to
 * the query the link sends for each new axis. */
static void on_traffic(void *user_data, const cqt_value *arg)
{
    tool *t = user_data;
    const char *line = cqt_value_get_string(arg);
    if (!line || strncmp(line, "< POS ", 6) != 0)
        return;
    const char *name = line + 6;
    size_t len = strcspn(name, " ");
    for (size_t i = 0; i < t->opts.n; i++)
        if (strlen(t->opts.axes[i].name) == len && memcmp(t->opts.axes[i].name, name, len) == 0)
            t->known[i] = true;
}

/* --controller: connects and does the HELLO exchange (bounded: 2 s; the
 * parser checked the address' form). Returns 0, or 4 when the controller
 * cannot be reached (the message printed: exit 3). */
static int open_controller(tool *t, cqt_object *receiver)
{
    if (cqt_axis_link_address_is_sim(t->opts.controller))
        return 0;
    cqt_axis_link_config lc;
    cqt_axis_link_config_init(&lc);
    lc.address = t->opts.controller;
    t->link = cqt_axis_link_new(&lc);
    if (t->link && cqt_connect(cqt_axis_link_traffic(t->link), receiver, on_traffic, t, NULL, CQT_AUTO) != 0)
        return 0;
    fprintf(stderr, "cqt-stage: --controller: %s\n", cqt_last_error());
    return 4; /* reported: 3 without a second message */
}

static bool all_known(const tool *t)
{
    for (size_t i = 0; i < t->opts.n; i++)
        if (!t->known[i])
            return false;
    return true;
}

/* A new axis on a link learns where it is from the controller's reply to
 * a query the link sends (after any move: moves go first). The live bars
 * need each axis' start, so wait for those replies before moving: bounded
 * by the link's reply timeout (1 s) and some slack; an axis whose reply
 * did not come starts its bar where the first report puts it. */
static void wait_positions(tool *t)
{
    int64_t deadline = cqt_now_ns() + 3000 * (int64_t)1000000;
    while (!all_known(t) && cqt_now_ns() < deadline)
        cqt_app_process_events(20);
}

static int create_axes(tool *t, cqt_object *main_obj)
{
    int orc = open_controller(t, main_obj);
    if (orc)
        return orc;
    cqt_axis_config cfg;
    for (size_t i = 0; i < t->opts.n; i++) {
        const cqt_stage_cli_axis *a = &t->opts.axes[i];
        cqt_axis_config_init(&cfg);
        cfg.name = a->name;
        cfg.speed = a->speed;
        cfg.acceleration = a->acceleration;
        cfg.min_position = -CQT_STAGE_CLI_LIMIT;
        cfg.max_position = CQT_STAGE_CLI_LIMIT;
        cfg.time_scale = t->opts.time_scale;
        cfg.link = t->link; /* NULL: simulated */
        t->axes[i] = cqt_axis_new(&cfg);
        if (!t->axes[i])
            return 3;
    }
    if (t->link)
        wait_positions(t);
    for (size_t i = 0; i < t->opts.n; i++) {
        const cqt_stage_cli_axis *a = &t->opts.axes[i];
        t->start[i] = cqt_axis_position(t->axes[i]);
        if (a->fault != CQT_AXIS_FAULT_NONE && cqt_axis_inject_fault(t->axes[i], a->fault) != CQT_OK)
            return 3;
    }
    return 0;
}

static int run(tool *t)
{
    cqt_object *main_obj = cqt_object_new(NULL);
    if (!main_obj)
        return 3;
    int crc = create_axes(t, main_obj);
    if (crc) {
        cqt_object_free(main_obj);
        return crc;
    }
    cqt_stage *stage = cqt_stage_new(t->axes, t->opts.n);
    if (!stage) {
        cqt_object_free(main_obj);
        return 3;
    }
    double targets[CQT_STAGE_MAX_AXES];
    for (size_t i = 0; i < t->opts.n; i++)
        targets[i] = t->opts.axes[i].target;

    int status = 0;
    if (t->live || t->opts.progress) {
        cqt_timer *timer = cqt_timer_new(main_obj, "live");
        if (timer && cqt_connect(cqt_timer_timeout(timer), main_obj, on_tick, t, NULL, CQT_AUTO) != 0)
            cqt_timer_start(timer, 50);
        if (t->live)
            draw_live(t);
    }
    t->stage = stage;
    watch_signals(t, main_obj);
    int rc = cqt_stage_move_to_async(stage, targets, t->opts.mode, t->opts.timeout_ms, main_obj, on_report,
                                     t, NULL);
    if (rc == CQT_OK) {
        cqt_app_exec();
        if (t->live)
            draw_live(t);
    } else if (rc == CQT_ERANGE || rc == CQT_EINVAL) {
        /* A target out of range: report it like any failed move. Nothing
         * moves, so the blocking form returns at once. */
        cqt_stage_move_to(stage, targets, t->opts.mode, t->opts.timeout_ms, &t->report);
    } else {
        status = 3;
    }
    unwatch_signals(t);
    cqt_object_free(main_obj); /* its timer goes with it */
    cqt_stage_free(stage);
    t->stage = NULL;
    if (status)
        return status;

    char small[8192];
    size_t (*format)(const cqt_stage_report *, int, char *, size_t) =
        t->opts.json ? cqt_stage_cli_format_json_interrupted : cqt_stage_cli_format_text_interrupted;
    size_t need = format(&t->report, t->signo, small, sizeof small);
    char *text = need < sizeof small ? small : malloc(need + 1);
    if (text && text != small)
        format(&t->report, t->signo, text, need + 1);
    fputs(text ? text : small, stdout);
    if (text != small)
        free(text);
    return t->signo ? cqt_stage_cli_signal_status(t->signo) : cqt_stage_cli_exit_status(&t->report);
}

int main(int argc, char **argv)
{
    static tool t;
    char err[256];
    int prc = cqt_stage_cli_parse(argc, (const char *const *)argv, &t.opts, err, sizeof err);
    if (prc == CQT_STAGE_CLI_HELP) {
        fputs(cqt_stage_cli_usage(), stdout);
        return 0;
    }
    if (prc == CQT_STAGE_CLI_VERSION) {
        cqt_tool_print_version("cqt-stage", NULL);
        return 0;
    }
    if (prc != CQT_STAGE_CLI_OK)
        return cqt_tool_usage_error("cqt-stage", "%s", err);
    t.live_out = t.opts.json ? stderr : stdout;
    /* --progress lines go to stderr too: with --json they would break the
     * block's cursor-up count, so auto mode leaves the live lines out */
    t.live = t.opts.live == CQT_STAGE_CLI_LIVE_ON ||
             (t.opts.live == CQT_STAGE_CLI_LIVE_AUTO && live_terminal(t.live_out) &&
              !(t.opts.progress && t.live_out == stderr));

    /* Qt must not see our options: give it the program name only. */
    static int qt_argc = 1;
    static char *qt_argv[] = {NULL, NULL};
    qt_argv[0] = argv[0];
    if (cqt_app_init(&qt_argc, qt_argv, CQT_APP_CORE) != CQT_OK) {
        fprintf(stderr, "cqt-stage: %s\n", cqt_last_error());
        return 3;
    }
    /* QCoreApplication set the locale from the environment: the report's
     * numbers (JSON above all) keep a decimal point. */
    setlocale(LC_NUMERIC, "C");
    int status = run(&t);
    if (status == 3)
        fprintf(stderr, "cqt-stage: %s\n", cqt_last_error());
    else if (status == 4)
        status = 3;
    for (size_t i = 0; i < t.opts.n; i++)
        cqt_axis_free(t.axes[i]);
    cqt_axis_link_free(t.link); /* closed once its axes are gone too */
    if (cqt_app_shutdown(10000) != CQT_OK && status == 0) {
        fprintf(stderr, "cqt-stage: shutdown: %s\n", cqt_last_error());
        status = 3;
    }
    return status;
}
