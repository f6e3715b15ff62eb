/* SPDX-License-Identifier: MIT */
/* cqt-stage-demo.h — what the demo's two files share: the window's state
 * (cqt-stage-demo.c) and the scripted runs (cqt-stage-demo-tour.c). */
#ifndef CQT_STAGE_DEMO_H
#define CQT_STAGE_DEMO_H

#include <cqt/cqt.h>
#include <cqt/widgets.h>
#include <cqt/worker.h>

#include "demo-naive.h" /* shim/widgets: the naive QTimer, not in any library */

#define DEMO_AXES 3

typedef enum demo_axis_state {
    DEMO_AXIS_IDLE,
    DEMO_AXIS_WAITING, /* a sequential move has not reached it yet */
    DEMO_AXIS_MOVING,
    DEMO_AXIS_REACHED,
    DEMO_AXIS_TIMED_OUT,
    DEMO_AXIS_FAULTED,
    DEMO_AXIS_STOPPED,
    DEMO_AXIS_NOT_STARTED,
    DEMO_AXIS_NAIVE_STUCK /* the naive QTimer move never started */
} demo_axis_state;

typedef struct demo demo;

typedef struct demo_axis_ui {
    demo *d;
    int index;
    const char *name; /* "x", "y", "z" */
    cqt_axis *axis;   /* owned by the stage */
    cqt_widget *target, *bar, *position, *state;
    demo_axis_state st;
} demo_axis_ui;

/* One run of the long job (the generator worker's user data). */
typedef struct demo_job {
    demo *d;
    int number;
    int arrays;
    int array_size;
    unsigned long long seed;
    char body_thread[64]; /* written by the body before its first yield */
    long long yields;     /* yielded values seen in the GUI thread */
    long long start_ns;
} demo_job;

typedef enum demo_script {
    DEMO_SCRIPT_NONE,
    DEMO_SCRIPT_TOUR,  /* every feature, checked; exit status says if all behaved */
    DEMO_SCRIPT_CLOSE, /* close the window while a move and a job run */
    DEMO_SCRIPT_BUSY   /* start a move and a job, say "busy:", wait for a close or a signal */
} demo_script;

typedef struct demo_options {
    demo_script script;
    const char *screenshot; /* nullable */
    double time_scale;      /* axes' simulated seconds per real second */
    int job_arrays;
    int job_array_size;
    int shutdown_timeout_ms;
    bool quiet; /* do not echo log lines to stdout */
    const char *controller; /* --controller: "sim" (simulated axes) or an address */
    bool time_scale_given;  /* --time-scale was on the command line */
    int sim_pid; /* --sim-pid: the controller simulator the tour may kill; 0: none */
} demo_options;

struct demo {
    demo_options opt;
    cqt_object *gui; /* lives in main: the receiver of every delivery */
    cqt_widget *win, *log, *status, *heartbeat;
    cqt_widget *link_state; /* --controller: the connection's state; else NULL */
    cqt_widget *move_parallel, *move_sequential, *stop_all, *timeout;
    cqt_widget *stall_y, *drop_z, *naive;
    cqt_widget *job_start, *job_pause, *job_abort, *job_bar, *job_count, *job_result, *job_queue;
    demo_axis_ui axes[DEMO_AXES];
    cqt_stage *stage;
    cqt_axis_link *link; /* --controller: the axes' connection; NULL: simulated */
    bool moving;
    cqt_stage_report last_report;
    int reports;

    /* the long job */
    cqt_worker *job; /* the running one (a reference), or NULL */
    demo_job *job_ctx;
    int jobs_started;
    int jobs_waiting;
    bool job_paused;

    /* pitfall P1, raw */
    cqt_demo_naive_axis *naive_axis;
    bool naive_running;
    int naive_warnings; /* Qt's "cannot be started from another thread" seen */

    /* heartbeat */
    long long hb_last_ns;
    double hb_latency_ms, hb_window_max_ms, hb_max_ms;
    int hb_ticks;
    /* the part of each lateness the GUI thread did not spend waiting for a
     * CPU (Linux schedstat): what the GUI thread itself caused */
    long long hb_wait_last_ns; /* -1: unknown */
    double hb_own_max_ms;
    bool hb_own_unknown; /* some tick could not read schedstat */

    long long start_ns;
    bool closing;
    int exit_code;
    int signo;         /* the SIGINT/SIGTERM that closed the window; 0: none */
    int watches[2];    /* their cqt_unix_signal_watch() ids; 0: none */
    struct demo_tour *tour; /* NULL unless a script runs */
};

/* Monotonic nanoseconds. */
long long demo_now_ns(void);
/* Appends a line to the log (and stdout), prefixed with the time and the
 * name of the thread that runs this call. GUI thread. */
void demo_log(demo *d, const char *fmt, ...) CQT_PRINTF(2, 3);

/* Actions, as the buttons and shortcuts run them. GUI thread. */
void demo_move(demo *d, cqt_stage_mode mode);
void demo_stop(demo *d);
void demo_job_start(demo *d);
void demo_job_toggle_pause(demo *d);
void demo_job_abort(demo *d);
int demo_screenshot(demo *d, const char *path);

/* The scripts (cqt-stage-demo-tour.c). demo_script_start() runs in the
 * GUI thread once the window is shown; the hooks are called by the demo
 * as things happen and do nothing without a script. */
int demo_script_start(demo *d);
void demo_script_free(demo *d);
void demo_script_on_report(demo *d, const cqt_stage_report *r);
void demo_script_on_naive(demo *d, bool arrived, int warnings);
void demo_script_on_job(demo *d, demo_job *j, const char *what, const cqt_value *arg);
/* The controller link's state (@why: why it was lost, else "") and each
 * line it carried ("> MOVE x 10", "< !POS x 3.5"). */
void demo_script_on_link_state(demo *d, cqt_axis_link_state st, const char *why);
void demo_script_on_link_traffic(demo *d, const char *line);

#endif /* CQT_STAGE_DEMO_H */
