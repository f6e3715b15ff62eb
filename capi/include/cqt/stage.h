/* SPDX-License-Identifier: MIT */
/* cqt/stage.h — several axes moved together, with timeouts and a report.
 *
 * A stage moves N axes (cqt/axis.h) to N targets, one after another
 * (CQT_STAGE_SEQUENTIAL: start one, wait for it, then the next) or all at
 * once (CQT_STAGE_PARALLEL: start all, then wait on all of them). Waits
 * happen in the calling thread alone, with cqt_event_wait_all() on the
 * axes' settled events: no thread per axis (pitfall P9). The async form
 * waits with cqt_event_when_all() and delivers the report in a receiver's
 * thread, so a GUI never blocks.
 *
 * Timeouts: an overall limit per move, counted from its start, and an
 * optional limit per axis (cqt_stage_set_axis_timeout()), counted from that
 * axis' start, for stages whose axes differ in speed. An axis that times
 * out is left as it is (a stalled axis is at rest; a slow one keeps
 * moving: cqt_stage_stop() stops them).
 *
 * The report says, per axis, what happened and where it ended; its message
 * (also cqt_last_error() after a failed blocking move) names every failed
 * axis, e.g. "y did not reach 650.000 within 10000 ms; stopped at 320.500
 * (stall)"; several failures are joined by " | ".
 */
#ifndef CQT_STAGE_H
#define CQT_STAGE_H

#include "base.h"
#include "axis.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Most axes one stage can hold (the report is a fixed-size struct). */
#define CQT_STAGE_MAX_AXES 16

/* A set of axes moved together (opaque): cqt_stage_new(), cqt_stage_free(). */
typedef struct cqt_stage cqt_stage;

/* How a stage moves its axes. */
typedef enum cqt_stage_mode {
    CQT_STAGE_SEQUENTIAL = 0, /* one after the other, in the stage's order */
    CQT_STAGE_PARALLEL = 1    /* all started at once */
} cqt_stage_mode;

/* What became of one axis of a stage move. */
typedef enum cqt_stage_outcome {
    CQT_STAGE_NOT_STARTED = 0,  /* never sent (an earlier axis failed, or the time ran out) */
    CQT_STAGE_REACHED = 1,      /* arrived and said so */
    CQT_STAGE_TIMED_OUT = 2,    /* no arrival within its time (stall, lost signal, too slow) */
    CQT_STAGE_FAULTED = 3,      /* the axis reported an error */
    CQT_STAGE_OUT_OF_RANGE = 4, /* target outside the soft limits (CQT_ERANGE) or not finite (CQT_EINVAL) */
    CQT_STAGE_STOPPED = 5       /* stopped, or taken over by another command, before arriving */
} cqt_stage_outcome;

/* Per axis. Times are CLOCK_MONOTONIC nanoseconds. */
typedef struct cqt_stage_axis_report {
    char name[32];        /* the axis' name */
    cqt_stage_outcome outcome; /* what became of its move */
    int status;           /* CQT_OK, or why this axis failed */
    double target;        /* where it was sent */
    double position;      /* where it was when the report was made */
    cqt_axis_state state; /* its state then */
    int timeout_ms;       /* the limit it had (CQT_FOREVER: none) */
    int64_t start_ns;     /* when it was sent; 0: not started */
    int64_t arrival_ns;   /* when it arrived; 0: it did not */
    char detail[256];     /* "stall", "reached signal lost", a fault message; "" */
} cqt_stage_axis_report;

/* The outcome of a stage move, for every axis. Times are CLOCK_MONOTONIC
 * nanoseconds. */
typedef struct cqt_stage_report {
    int status;           /* CQT_OK, CQT_ETIMEDOUT, CQT_EFAULT, CQT_ERANGE, CQT_EINVAL,
                             CQT_ECANCELED (stopped) or an axis' start failure */
    cqt_stage_mode mode;  /* as asked */
    size_t n;             /* axes[0..n) are filled */
    int timeout_ms;       /* the overall limit */
    int64_t start_ns;     /* when the move began */
    int64_t end_ns;       /* when the report was made */
    cqt_stage_axis_report axes[CQT_STAGE_MAX_AXES]; /* one per axis, in the stage's order */
    char message[1024];   /* every failed axis; "" when status is CQT_OK */
} cqt_stage_report;

/* For cqt_stage_new_from_config(). */
typedef struct cqt_stage_config {
    const char *name;                   /* nullable, copied: used in messages */
    const char *const *axis_names;      /* n names, copied */
    size_t n;                           /* 1..CQT_STAGE_MAX_AXES */
    const cqt_axis_config *axis_config; /* nullable: cqt_axis_config_init() defaults;
                                           its name and thread are ignored */
    cqt_thread *thread;                 /* nullable: each axis gets its own thread;
                                           else every axis lives in this one (a cqt
                                           thread the caller starts and frees after
                                           the stage) — several stages may share it */
} cqt_stage_config;

/* The async form's result: runs once in the receiver's thread. @report is
 * transfer none, valid for the call (copy it to keep it); when its status
 * is not CQT_OK, cqt_last_error() in that thread holds its message. */
typedef void (*cqt_stage_report_fn)(void *user_data, cqt_stage *stage,
                                    const cqt_stage_report *report);

/* cqt_stage_new:
 * Creates a stage over @axes[0..n), which it borrows: they must outlive
 * the stage. An axis may belong to several stages (do not move them at
 * the same time).
 * Returns: transfer full, release with cqt_stage_free(); NULL with
 * CQT_EINVAL in cqt_last_error() for a NULL array or element, n == 0,
 * n > CQT_STAGE_MAX_AXES or an axis given twice.
 * Thread: any. */
CQT_API cqt_stage *cqt_stage_new(cqt_axis *const *axes, size_t n);

/* cqt_stage_new_from_config:
 * Creates a stage and its own axes, named from @config->axis_names.
 * Returns: transfer full, release with cqt_stage_free() (which frees the
 * axes); NULL on failure with the reason in cqt_last_error().
 * Thread: any. */
CQT_API cqt_stage *cqt_stage_new_from_config(const cqt_stage_config *config);

/* cqt_stage_free:
 * Frees the stage and the axes it created. If an async move is still
 * running, its axes are stopped and the release completes when its report
 * was delivered (or dropped), in the thread where that happens: the
 * receiver's, the one that frees the receiver, or an axis thread whose
 * event completed the wait after the receiver was gone (cqt_axis_free()
 * from inside an axis' own update is safe). A blocking move must have
 * returned. NULL is ignored.
 * Thread: any, also the receiver's inside the report fn. */
CQT_API void cqt_stage_free(cqt_stage *stage);

/* cqt_stage_name:
 * Returns: the name ("stage-N" by default), "(null)" for NULL. Transfer
 * none, valid as long as @stage. Thread: any. */
CQT_API const char *cqt_stage_name(const cqt_stage *stage);

/* cqt_stage_axis_count:
 * Returns: the number of axes; 0 for NULL. Thread: any. */
CQT_API size_t cqt_stage_axis_count(const cqt_stage *stage);

/* cqt_stage_axis:
 * Returns: axis @i (transfer none, valid as long as the stage for axes it
 * created); NULL for NULL or @i out of range. Thread: any. */
CQT_API cqt_axis *cqt_stage_axis(const cqt_stage *stage, size_t i);

/* cqt_stage_axis_by_name:
 * Returns: the axis called @name (transfer none), NULL if none.
 * Thread: any. */
CQT_API cqt_axis *cqt_stage_axis_by_name(const cqt_stage *stage, const char *name);

/* cqt_stage_set_axis_timeout:
 * Limits how long axis @i may take, counted from its start, in the moves
 * that start after this call (CQT_FOREVER: only the overall limit, the
 * default).
 * Returns: CQT_OK; CQT_EINVAL for NULL, @i out of range or a negative
 * timeout other than CQT_FOREVER. Thread: any. */
CQT_API int cqt_stage_set_axis_timeout(cqt_stage *stage, size_t i, int timeout_ms);

/* cqt_stage_move_to:
 * Moves axis i to @targets[i] for every i, in @mode, and waits (in this
 * thread, with cqt_event_wait_all()) until every axis arrived, failed or
 * ran out of time. All targets are checked first: if any is out of its
 * axis' limits or not finite, nothing moves. SEQUENTIAL stops at the first
 * axis that fails; the rest are CQT_STAGE_NOT_STARTED.
 * @timeout_ms: the overall limit, or CQT_FOREVER.
 * @report: nullable; filled whatever the result (after a bad argument
 * other than the stage itself, with n == 0).
 * Returns: CQT_OK when every axis arrived; CQT_ETIMEDOUT; CQT_EFAULT;
 * CQT_ERANGE or CQT_EINVAL (a bad target: nothing moved); CQT_ECANCELED
 * when an axis was stopped; CQT_ESTATE when a move of this stage is
 * already running; CQT_EINVAL for NULL @stage or @targets, an unknown
 * mode or a bad timeout; CQT_EDEADLK in the thread of one of its axes
 * (nothing moved). On failure cqt_last_error() names every failed
 * axis. Thread: any but the threads its axes live in, where waiting
 * would stop the move it waits for: use cqt_stage_move_to_async() there. */
CQT_API int cqt_stage_move_to(cqt_stage *stage, const double *targets, cqt_stage_mode mode,
                              int timeout_ms, cqt_stage_report *report);

/* cqt_stage_move_to_async:
 * As cqt_stage_move_to(), but returns at once: the axes are started (the
 * first one, for SEQUENTIAL) before it returns, and @fn runs once with the
 * report in @receiver's thread, whose loop keeps running meanwhile. The
 * stage is busy until @fn is called.
 * @destroy (nullable) runs once with @user_data: after @fn (in
 * @receiver's thread), when the report is dropped (@receiver freed or its
 * thread stopped first; in the thread that freed it, @receiver's, or the
 * axis thread whose update completed the move: see
 * cqt_axis_settled_event()), or before this returns on failure.
 * Returns: CQT_OK; on failure @fn is never called: CQT_EINVAL (NULL
 * argument, unknown mode, bad timeout, a non-finite target), CQT_ERANGE (a
 * target out of range: nothing moved), CQT_ESTATE (a move is running),
 * CQT_ENOLOOP (@receiver's thread runs no loop).
 * Thread: any. */
CQT_API int cqt_stage_move_to_async(cqt_stage *stage, const double *targets, cqt_stage_mode mode,
                                    int timeout_ms, cqt_object *receiver, cqt_stage_report_fn fn,
                                    void *user_data, cqt_destroy_fn destroy);

/* cqt_stage_stop:
 * Stops every axis of the stage (cqt_axis_stop()); a running move then
 * reports them as CQT_STAGE_STOPPED.
 * Returns: CQT_OK, or the first axis' failure; CQT_EINVAL for NULL.
 * Thread: any. */
CQT_API int cqt_stage_stop(cqt_stage *stage);

/* cqt_stage_is_busy:
 * Returns: true while a move (blocking or async) of @stage runs; false for
 * NULL. Thread: any. */
CQT_API bool cqt_stage_is_busy(const cqt_stage *stage);

/* cqt_stage_outcome_name:
 * Returns: "not started", "reached", "timed out", "faulted", "out of
 * range", "stopped"; "unknown" otherwise. Transfer none: static storage,
 * valid for the life of the process. Thread: any. */
CQT_API const char *cqt_stage_outcome_name(cqt_stage_outcome outcome);

/* cqt_stage_mode_name:
 * Returns: "sequential", "parallel"; "unknown" otherwise. Transfer none:
 * static storage, valid for the life of the process. Thread: any. */
CQT_API const char *cqt_stage_mode_name(cqt_stage_mode mode);

#ifdef __cplusplus
}
#endif

#endif /* CQT_STAGE_H */
