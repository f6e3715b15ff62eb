/* SPDX-License-Identifier: MIT */
/* stage.c — several axes moved together (see cqt/stage.h).
 *
 * One "run" carries a move from start to report. The blocking form drives
 * it with cqt_event_wait_all() in the calling thread; the async form with
 * cqt_event_when_all(), continuing in the receiver's thread. Both wait on
 * the axes' settled events (arrival, stop or error), so an error is
 * reported at once instead of at the timeout; a stall or a lost signal
 * never settles and only the deadline reveals it. With equal deadlines a
 * parallel move is exactly one wait; per-axis timeouts that differ add one
 * wait per distinct deadline, still all in one thread.
 *
 * Lifecycle of a cqt_stage: counted references, the handle's one plus one
 * per running move; the busy flag admits one move at a time.
 *
 *   IDLE   any thread may start a move, stop, set timeouts and read it.
 *   BUSY   a move runs: another gets CQT_ESTATE. A blocking move runs in
 *          its caller (refused with CQT_EDEADLK in an axis' own thread,
 *          which would have to run the move it waits for); an async one
 *          continues in the receiver's thread, one when_all after the
 *          other, and is not busy any more when its report fn runs.
 *   FREED  cqt_stage_free() dropped the handle's reference (and stopped
 *          a running async move's axes). The last reference frees the
 *          axes the stage created, in the thread that drops it: the one
 *          that called cqt_stage_free(); the receiver's thread after the
 *          report or after a wait dropped there; the thread that freed
 *          the receiver; or an axis thread, inside that axis' step, when
 *          its event set completed a wait whose receiver was gone. There
 *          the axis' own free is deferred by axis.c until the step has
 *          unwound, and the other axes are freed from that thread (at once
 *          if they live there too, else waiting for their threads).
 *
 * From inside its own report fn (receiver's thread): a new async move may
 * start (the stage is no longer busy); cqt_stage_free() drops the handle,
 * and the run's reference frees the stage once fn and destroy returned;
 * a blocking move works unless the receiver lives in an axis thread.
 */
#include <cqt/cqt.h>
#include <cqt/axis.h>
#include <cqt/stage.h>

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define NO_DEADLINE INT64_MAX

struct cqt_stage {
    char name[32];
    size_t n;
    cqt_axis *axes[CQT_STAGE_MAX_AXES];
    int axis_timeout[CQT_STAGE_MAX_AXES]; /* atomic */
    bool owns_axes;
    int busy; /* atomic: a move runs */
    int refs; /* atomic: the handle, plus each running move */
};

typedef struct stage_run {
    cqt_stage *stage;
    cqt_stage_report rep;
    int64_t deadline[CQT_STAGE_MAX_AXES];
    uint64_t cmd_id[CQT_STAGE_MAX_AXES];
    bool pending[CQT_STAGE_MAX_AXES];
    size_t next; /* SEQUENTIAL: the next axis to start */
    /* the wait under way */
    cqt_event *wait_events[CQT_STAGE_MAX_AXES];
    size_t wait_idx[CQT_STAGE_MAX_AXES];
    size_t wait_count;
    int64_t wait_deadline;
    /* async only */
    cqt_object *receiver;
    cqt_stage_report_fn fn;
    void *user_data;
    cqt_destroy_fn destroy;
    int refs; /* atomic */
    bool delivered;
} stage_run;

static void stage_unref(cqt_stage *s)
{
    if (__atomic_sub_fetch(&s->refs, 1, __ATOMIC_ACQ_REL) != 0)
        return;
    if (s->owns_axes)
        for (size_t i = 0; i < s->n; i++)
            cqt_axis_free(s->axes[i]);
    free(s);
}

static bool stage_try_busy(cqt_stage *s, const char *fn)
{
    int expected = 0;
    if (__atomic_compare_exchange_n(&s->busy, &expected, 1, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
        return true;
    cqt_set_last_error(CQT_ESTATE, "%s: stage '%s' is already moving; wait for its report first", fn,
                       s->name);
    return false;
}

static void stage_unbusy(cqt_stage *s)
{
    __atomic_store_n(&s->busy, 0, __ATOMIC_RELEASE);
}

/* ---- creation ----------------------------------------------------------- */

static cqt_stage *stage_alloc(const char *name)
{
    static int64_t counter;
    cqt_stage *s = calloc(1, sizeof *s);
    if (!s) {
        cqt_set_last_error(CQT_ENOMEM, "cqt_stage_new: out of memory");
        return NULL;
    }
    if (name)
        snprintf(s->name, sizeof s->name, "%s", name);
    else
        snprintf(s->name, sizeof s->name, "stage-%lld",
                 (long long)__atomic_add_fetch(&counter, 1, __ATOMIC_RELAXED));
    for (size_t i = 0; i < CQT_STAGE_MAX_AXES; i++)
        s->axis_timeout[i] = CQT_FOREVER;
    s->refs = 1;
    return s;
}

cqt_stage *cqt_stage_new(cqt_axis *const *axes, size_t n)
{
    const char *fn = "cqt_stage_new";
    if (!axes) {
        cqt_set_last_error(CQT_EINVAL, "%s: axes is NULL", fn);
        return NULL;
    }
    if (n == 0 || n > CQT_STAGE_MAX_AXES) {
        cqt_set_last_error(CQT_EINVAL, "%s: %zu axes; a stage holds 1..%d", fn, n, CQT_STAGE_MAX_AXES);
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        if (!axes[i]) {
            cqt_set_last_error(CQT_EINVAL, "%s: axes[%zu] is NULL", fn, i);
            return NULL;
        }
        for (size_t j = 0; j < i; j++)
            if (axes[j] == axes[i]) {
                cqt_set_last_error(CQT_EINVAL, "%s: axis '%s' is given twice (axes[%zu] and axes[%zu])",
                                   fn, cqt_axis_name(axes[i]), j, i);
                return NULL;
            }
    }
    cqt_stage *s = stage_alloc(NULL);
    if (!s)
        return NULL;
    s->n = n;
    memcpy(s->axes, axes, n * sizeof *axes);
    return s;
}

cqt_stage *cqt_stage_new_from_config(const cqt_stage_config *config)
{
    const char *fn = "cqt_stage_new_from_config";
    if (!config || !config->axis_names) {
        cqt_set_last_error(CQT_EINVAL, "%s: %s is NULL", fn, config ? "config->axis_names" : "config");
        return NULL;
    }
    if (config->n == 0 || config->n > CQT_STAGE_MAX_AXES) {
        cqt_set_last_error(CQT_EINVAL, "%s: %zu axes; a stage holds 1..%d", fn, config->n,
                           CQT_STAGE_MAX_AXES);
        return NULL;
    }
    for (size_t i = 0; i < config->n; i++) {
        if (!config->axis_names[i] || !config->axis_names[i][0]) {
            cqt_set_last_error(CQT_EINVAL, "%s: axis_names[%zu] is NULL or empty", fn, i);
            return NULL;
        }
        for (size_t j = 0; j < i; j++)
            if (strcmp(config->axis_names[i], config->axis_names[j]) == 0) {
                cqt_set_last_error(CQT_EINVAL, "%s: axis name '%s' is given twice", fn,
                                   config->axis_names[i]);
                return NULL;
            }
    }
    cqt_stage *s = stage_alloc(config->name);
    if (!s)
        return NULL;
    s->owns_axes = true;
    cqt_axis_config ac;
    if (config->axis_config)
        ac = *config->axis_config;
    else
        cqt_axis_config_init(&ac);
    ac.thread = config->thread;
    for (size_t i = 0; i < config->n; i++) {
        ac.name = config->axis_names[i];
        s->axes[i] = cqt_axis_new(&ac);
        if (!s->axes[i]) {
            char why[512];
            snprintf(why, sizeof why, "%s", cqt_last_error());
            s->n = i;
            stage_unref(s);
            cqt_set_last_error(CQT_EINVAL, "%s: stage '%s': %s", fn, config->name ? config->name : "",
                               why);
            return NULL;
        }
        s->n = i + 1;
    }
    return s;
}

void cqt_stage_free(cqt_stage *stage)
{
    if (!stage)
        return;
    /* A running async move holds a reference: stopping the axes lets it
     * report soon, and the last reference frees. */
    if (cqt_stage_is_busy(stage))
        cqt_stage_stop(stage);
    stage_unref(stage);
}

const char *cqt_stage_name(const cqt_stage *stage)
{
    return stage ? stage->name : "(null)";
}

size_t cqt_stage_axis_count(const cqt_stage *stage)
{
    return stage ? stage->n : 0;
}

cqt_axis *cqt_stage_axis(const cqt_stage *stage, size_t i)
{
    return stage && i < stage->n ? stage->axes[i] : NULL;
}

cqt_axis *cqt_stage_axis_by_name(const cqt_stage *stage, const char *name)
{
    if (!stage || !name)
        return NULL;
    for (size_t i = 0; i < stage->n; i++)
        if (strcmp(cqt_axis_name(stage->axes[i]), name) == 0)
            return stage->axes[i];
    return NULL;
}

int cqt_stage_set_axis_timeout(cqt_stage *stage, size_t i, int timeout_ms)
{
    const char *fn = "cqt_stage_set_axis_timeout";
    if (!stage)
        return cqt_set_last_error(CQT_EINVAL, "%s: stage is NULL", fn);
    if (i >= stage->n)
        return cqt_set_last_error(CQT_EINVAL, "%s: stage '%s' has %zu axes; index %zu is out of range", fn,
                                  stage->name, stage->n, i);
    if (timeout_ms < 0 && timeout_ms != CQT_FOREVER)
        return cqt_set_last_error(CQT_EINVAL, "%s: stage '%s': timeout %d ms; use >= 0 or CQT_FOREVER", fn,
                                  stage->name, timeout_ms);
    __atomic_store_n(&stage->axis_timeout[i], timeout_ms, __ATOMIC_RELEASE);
    return CQT_OK;
}

int cqt_stage_stop(cqt_stage *stage)
{
    if (!stage)
        return cqt_set_last_error(CQT_EINVAL, "cqt_stage_stop: stage is NULL");
    int first = CQT_OK;
    for (size_t i = 0; i < stage->n; i++) {
        int rc = cqt_axis_stop(stage->axes[i]);
        if (rc != CQT_OK && first == CQT_OK)
            first = rc;
    }
    return first;
}

bool cqt_stage_is_busy(const cqt_stage *stage)
{
    return stage && __atomic_load_n(&stage->busy, __ATOMIC_ACQUIRE) != 0;
}

const char *cqt_stage_outcome_name(cqt_stage_outcome outcome)
{
    switch (outcome) {
    case CQT_STAGE_NOT_STARTED:
        return "not started";
    case CQT_STAGE_REACHED:
        return "reached";
    case CQT_STAGE_TIMED_OUT:
        return "timed out";
    case CQT_STAGE_FAULTED:
        return "faulted";
    case CQT_STAGE_OUT_OF_RANGE:
        return "out of range";
    case CQT_STAGE_STOPPED:
        return "stopped";
    }
    return "unknown";
}

const char *cqt_stage_mode_name(cqt_stage_mode mode)
{
    switch (mode) {
    case CQT_STAGE_SEQUENTIAL:
        return "sequential";
    case CQT_STAGE_PARALLEL:
        return "parallel";
    }
    return "unknown";
}

/* ---- the run ------------------------------------------------------------ */

static int check_args(const char *fn, cqt_stage *stage, const double *targets, cqt_stage_mode mode,
                      int timeout_ms)
{
    if (!stage)
        return cqt_set_last_error(CQT_EINVAL, "%s: stage is NULL", fn);
    if (!targets)
        return cqt_set_last_error(CQT_EINVAL, "%s: stage '%s': targets is NULL (give %zu)", fn,
                                  stage->name, stage->n);
    if (mode != CQT_STAGE_SEQUENTIAL && mode != CQT_STAGE_PARALLEL)
        return cqt_set_last_error(CQT_EINVAL,
                                  "%s: stage '%s': unknown mode %d; use CQT_STAGE_SEQUENTIAL or "
                                  "CQT_STAGE_PARALLEL",
                                  fn, stage->name, (int)mode);
    if (timeout_ms < 0 && timeout_ms != CQT_FOREVER)
        return cqt_set_last_error(CQT_EINVAL, "%s: stage '%s': timeout %d ms; use >= 0 or CQT_FOREVER", fn,
                                  stage->name, timeout_ms);
    return CQT_OK;
}

static void run_init(stage_run *r, cqt_stage *s, const double *targets, cqt_stage_mode mode, int timeout_ms)
{
    r->stage = s;
    memset(&r->rep, 0, sizeof r->rep);
    r->rep.mode = mode;
    r->rep.n = s->n;
    r->rep.timeout_ms = timeout_ms;
    r->rep.start_ns = cqt_now_ns();
    for (size_t i = 0; i < s->n; i++) {
        cqt_stage_axis_report *ar = &r->rep.axes[i];
        snprintf(ar->name, sizeof ar->name, "%s", cqt_axis_name(s->axes[i]));
        ar->outcome = CQT_STAGE_NOT_STARTED;
        ar->target = targets[i];
        ar->position = cqt_axis_position(s->axes[i]);
        ar->state = cqt_axis_get_state(s->axes[i]);
        ar->timeout_ms = CQT_FOREVER;
        r->deadline[i] = NO_DEADLINE;
        r->pending[i] = false;
    }
}

/* Every target is checked before anything moves. */
static int run_check_targets(stage_run *r)
{
    int rc = CQT_OK;
    for (size_t i = 0; i < r->rep.n; i++) {
        cqt_stage_axis_report *ar = &r->rep.axes[i];
        double lo, hi;
        cqt_axis_limits(r->stage->axes[i], &lo, &hi);
        int st = CQT_OK;
        if (!isfinite(ar->target)) {
            st = CQT_EINVAL;
            snprintf(ar->detail, sizeof ar->detail, "target %f is not a finite number", ar->target);
        } else if (ar->target < lo || ar->target > hi) {
            st = CQT_ERANGE;
            snprintf(ar->detail, sizeof ar->detail, "target %.3f is outside the soft limits [%.3f, %.3f]",
                     ar->target, lo, hi);
        }
        if (st != CQT_OK) {
            ar->outcome = CQT_STAGE_OUT_OF_RANGE;
            ar->status = st;
            if (rc != CQT_EINVAL)
                rc = st;
        }
    }
    return rc;
}

/* Sends axis i on its way; false if it could not be. */
static bool run_start_axis(stage_run *r, size_t i)
{
    cqt_stage *s = r->stage;
    cqt_stage_axis_report *ar = &r->rep.axes[i];
    int64_t now = cqt_now_ns();
    int64_t overall = r->rep.timeout_ms == CQT_FOREVER
                          ? NO_DEADLINE
                          : r->rep.start_ns + (int64_t)r->rep.timeout_ms * 1000000;
    int axis_ms = __atomic_load_n(&s->axis_timeout[i], __ATOMIC_ACQUIRE);
    int64_t own = axis_ms == CQT_FOREVER ? NO_DEADLINE : now + (int64_t)axis_ms * 1000000;
    if (own < overall) {
        r->deadline[i] = own;
        ar->timeout_ms = axis_ms;
    } else {
        r->deadline[i] = overall;
        ar->timeout_ms = r->rep.timeout_ms;
    }
    if (overall != NO_DEADLINE && now >= overall && r->rep.timeout_ms > 0) {
        ar->status = CQT_ETIMEDOUT;
        snprintf(ar->detail, sizeof ar->detail, "the stage's %d ms ran out before its turn",
                 r->rep.timeout_ms);
        return false;
    }
    ar->start_ns = now;
    int rc = cqt_axis_move_to(s->axes[i], ar->target);
    if (rc != CQT_OK) {
        ar->status = rc;
        ar->outcome = rc == CQT_EFAULT ? CQT_STAGE_FAULTED : CQT_STAGE_NOT_STARTED;
        ar->start_ns = 0;
        snprintf(ar->detail, sizeof ar->detail, "%s", cqt_last_error());
        return false;
    }
    cqt_axis_status st;
    cqt_axis_get_status(s->axes[i], &st);
    r->cmd_id[i] = st.command_id;
    r->pending[i] = true;
    return true;
}

static void run_settled(stage_run *r, size_t i)
{
    cqt_stage_axis_report *ar = &r->rep.axes[i];
    cqt_axis_status st;
    cqt_axis_get_status(r->stage->axes[i], &st);
    ar->position = st.position;
    ar->state = st.state;
    r->pending[i] = false;
    if (st.state == CQT_AXIS_FAULTED) {
        ar->outcome = CQT_STAGE_FAULTED;
        ar->status = CQT_EFAULT;
        snprintf(ar->detail, sizeof ar->detail, "%s", st.message);
    } else if (st.command_id == r->cmd_id[i] && st.state == CQT_AXIS_IDLE && st.arrival_ns != 0) {
        ar->outcome = CQT_STAGE_REACHED;
        ar->status = CQT_OK;
        ar->arrival_ns = st.arrival_ns;
    } else {
        ar->outcome = CQT_STAGE_STOPPED;
        ar->status = CQT_ECANCELED;
        snprintf(ar->detail, sizeof ar->detail, "%s",
                 st.state == CQT_AXIS_STOPPED ? "stopped" : "another command took the axis over");
    }
}

static void run_timed_out(stage_run *r, size_t i)
{
    cqt_stage_axis_report *ar = &r->rep.axes[i];
    cqt_axis_status st;
    cqt_axis_get_status(r->stage->axes[i], &st);
    ar->position = st.position;
    ar->state = st.state;
    ar->outcome = CQT_STAGE_TIMED_OUT;
    ar->status = CQT_ETIMEDOUT;
    r->pending[i] = false;
    const char *why;
    switch (st.state) {
    case CQT_AXIS_STALLED:
        why = "stall";
        break;
    case CQT_AXIS_MOVING:
        why = "still moving";
        break;
    case CQT_AXIS_IDLE:
        why = st.command_id == r->cmd_id[i] && st.arrival_ns ? "reached signal lost" : "idle";
        break;
    default:
        why = cqt_axis_state_name(st.state);
        break;
    }
    snprintf(ar->detail, sizeof ar->detail, "%s", why);
}

/* Gathers the pending axes and the nearest deadline among them. */
static size_t run_gather(stage_run *r, int *timeout_ms)
{
    int64_t nearest = NO_DEADLINE;
    r->wait_count = 0;
    for (size_t i = 0; i < r->rep.n; i++) {
        if (!r->pending[i])
            continue;
        r->wait_idx[r->wait_count] = i;
        r->wait_events[r->wait_count] = cqt_axis_settled_event(r->stage->axes[i]);
        r->wait_count++;
        if (r->deadline[i] < nearest)
            nearest = r->deadline[i];
    }
    r->wait_deadline = nearest;
    if (nearest == NO_DEADLINE) {
        *timeout_ms = CQT_FOREVER;
    } else {
        int64_t left = nearest - cqt_now_ns();
        *timeout_ms = left <= 0 ? 0 : (int)((left + 999999) / 1000000);
    }
    return r->wait_count;
}

static void run_after_wait(stage_run *r, const int *results)
{
    for (size_t k = 0; k < r->wait_count; k++) {
        size_t i = r->wait_idx[k];
        if (results[k] == CQT_OK)
            run_settled(r, i);
        else if (r->deadline[i] <= r->wait_deadline)
            run_timed_out(r, i);
    }
}

/* After a wait: starts the next axis of a sequential move if the previous
 * one arrived. Returns true while something is pending. */
static bool run_advance(stage_run *r)
{
    for (size_t i = 0; i < r->rep.n; i++)
        if (r->pending[i])
            return true;
    if (r->rep.mode != CQT_STAGE_SEQUENTIAL)
        return false;
    while (r->next < r->rep.n) {
        if (r->next > 0 && r->rep.axes[r->next - 1].outcome != CQT_STAGE_REACHED)
            return false;
        size_t i = r->next++;
        if (run_start_axis(r, i))
            return true;
    }
    return false;
}

/* Starts what a move starts first. Returns true while something is pending. */
static bool run_begin(stage_run *r)
{
    if (r->rep.mode == CQT_STAGE_PARALLEL) {
        for (size_t i = 0; i < r->rep.n; i++)
            run_start_axis(r, i);
        r->next = r->rep.n;
    }
    return run_advance(r);
}

static int status_rank(int st)
{
    switch (st) {
    case CQT_OK:
        return 0;
    case CQT_EINVAL:
        return 6;
    case CQT_ERANGE:
        return 5;
    case CQT_EFAULT:
        return 4;
    case CQT_ETIMEDOUT:
        return 3;
    case CQT_ECANCELED:
        return 1;
    default:
        return 2;
    }
}

static void msg_append(cqt_stage_report *rep, const char *fmt, ...) CQT_PRINTF(2, 3);
static void msg_append(cqt_stage_report *rep, const char *fmt, ...)
{
    size_t len = strlen(rep->message);
    if (len + 1 >= sizeof rep->message)
        return;
    if (len > 0) {
        snprintf(rep->message + len, sizeof rep->message - len, " | ");
        len = strlen(rep->message);
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(rep->message + len, sizeof rep->message - len, fmt, ap);
    va_end(ap);
}

static void run_finish(stage_run *r)
{
    cqt_stage_report *rep = &r->rep;
    rep->end_ns = cqt_now_ns();
    rep->status = CQT_OK;
    rep->message[0] = '\0';
    for (size_t i = 0; i < rep->n; i++) {
        cqt_stage_axis_report *ar = &rep->axes[i];
        if (status_rank(ar->status) > status_rank(rep->status))
            rep->status = ar->status;
        switch (ar->outcome) {
        case CQT_STAGE_REACHED:
            break;
        case CQT_STAGE_TIMED_OUT:
            if (ar->state == CQT_AXIS_MOVING)
                msg_append(rep, "%s did not reach %.3f within %d ms; still moving at %.3f", ar->name,
                           ar->target, ar->timeout_ms, ar->position);
            else
                msg_append(rep, "%s did not reach %.3f within %d ms; stopped at %.3f (%s)", ar->name,
                           ar->target, ar->timeout_ms, ar->position, ar->detail);
            break;
        case CQT_STAGE_FAULTED:
            msg_append(rep, "%s faulted at %.3f before reaching %.3f: %s", ar->name, ar->position,
                       ar->target, ar->detail);
            break;
        case CQT_STAGE_OUT_OF_RANGE:
            msg_append(rep, "%s: %s; nothing moved", ar->name, ar->detail);
            break;
        case CQT_STAGE_STOPPED:
            msg_append(rep, "%s was stopped at %.3f before reaching %.3f (%s)", ar->name, ar->position,
                       ar->target, ar->detail);
            break;
        case CQT_STAGE_NOT_STARTED:
            if (ar->status != CQT_OK)
                msg_append(rep, "%s was not started: %s", ar->name, ar->detail);
            break;
        }
    }
}

/* ---- blocking ----------------------------------------------------------- */

/* A blocking move waits in its caller: in an axis' own thread it would
 * block the very loop that has to carry that axis' move out. */
static int check_not_in_axis_thread(const char *fn, const cqt_stage *s)
{
    cqt_thread *here = cqt_thread_current();
    for (size_t i = 0; i < s->n; i++)
        if (cqt_axis_thread(s->axes[i]) == here)
            return cqt_set_last_error(CQT_EDEADLK,
                                      "%s: stage '%s': called in thread '%s', where axis '%s' lives; "
                                      "waiting there would stop the move it waits for; use "
                                      "cqt_stage_move_to_async() or call from another thread",
                                      fn, s->name, cqt_thread_name(here), cqt_axis_name(s->axes[i]));
    return CQT_OK;
}

int cqt_stage_move_to(cqt_stage *stage, const double *targets, cqt_stage_mode mode, int timeout_ms,
                      cqt_stage_report *report)
{
    const char *fn = "cqt_stage_move_to";
    if (report)
        memset(report, 0, sizeof *report);
    int rc = check_args(fn, stage, targets, mode, timeout_ms);
    if (rc == CQT_OK)
        rc = check_not_in_axis_thread(fn, stage);
    if (rc == CQT_OK && !stage_try_busy(stage, fn))
        rc = CQT_ESTATE;
    if (rc != CQT_OK) {
        if (report) {
            report->status = rc;
            report->mode = mode;
            snprintf(report->message, sizeof report->message, "%s", cqt_last_error());
        }
        return rc;
    }
    stage_run *r = calloc(1, sizeof *r);
    if (!r) {
        stage_unbusy(stage);
        return cqt_set_last_error(CQT_ENOMEM, "%s: stage '%s': out of memory", fn, stage->name);
    }
    __atomic_add_fetch(&stage->refs, 1, __ATOMIC_ACQ_REL);
    run_init(r, stage, targets, mode, timeout_ms);
    if (run_check_targets(r) == CQT_OK) {
        bool more = run_begin(r);
        int results[CQT_STAGE_MAX_AXES];
        while (more) {
            int wait_ms;
            size_t count = run_gather(r, &wait_ms);
            int wrc = cqt_event_wait_all(r->wait_events, count, wait_ms, results);
            if (wrc != CQT_OK && wrc != CQT_ETIMEDOUT) {
                /* The wait itself failed: report the axes as not awaited. */
                for (size_t k = 0; k < count; k++) {
                    cqt_stage_axis_report *ar = &r->rep.axes[r->wait_idx[k]];
                    r->pending[r->wait_idx[k]] = false;
                    ar->status = wrc;
                    snprintf(ar->detail, sizeof ar->detail, "the wait failed: %s", cqt_last_error());
                }
                break;
            }
            run_after_wait(r, results);
            more = run_advance(r);
        }
    }
    run_finish(r);
    rc = r->rep.status;
    if (report)
        *report = r->rep;
    if (rc != CQT_OK)
        cqt_set_last_error(rc, "%s", r->rep.message);
    free(r);
    stage_unbusy(stage);
    stage_unref(stage);
    return rc;
}

/* ---- async -------------------------------------------------------------- */

static void async_unref(void *user_data)
{
    stage_run *r = user_data;
    if (__atomic_sub_fetch(&r->refs, 1, __ATOMIC_ACQ_REL) != 0)
        return;
    if (!r->delivered)
        stage_unbusy(r->stage); /* dropped: the receiver went first */
    if (r->destroy)
        r->destroy(r->user_data);
    stage_unref(r->stage);
    free(r);
}

/* In the receiver's thread. */
static void async_deliver(stage_run *r)
{
    run_finish(r);
    r->delivered = true;
    stage_unbusy(r->stage);
    if (r->rep.status != CQT_OK)
        cqt_set_last_error(r->rep.status, "%s", r->rep.message);
    r->fn(r->user_data, r->stage, &r->rep);
}

static void async_deliver_call(void *user_data)
{
    async_deliver(user_data);
}

static void async_on_when(void *user_data, int status, const int *results, size_t n, size_t index);

/* Arms the next wait, or delivers when nothing is pending. @in_receiver:
 * called in the receiver's thread (deliver directly) or not (queue it).
 * Returns CQT_OK or why it could not go on (nothing was armed). */
static int async_continue(stage_run *r, bool more, bool in_receiver)
{
    __atomic_add_fetch(&r->refs, 1, __ATOMIC_ACQ_REL); /* for the registration below */
    if (!more) {
        if (in_receiver) {
            async_deliver(r);
            async_unref(r);
            return CQT_OK;
        }
        return cqt_invoke_full(r->receiver, async_deliver_call, r, async_unref, CQT_QUEUED);
    }
    int wait_ms;
    size_t count = run_gather(r, &wait_ms);
    /* Nothing of r may be touched after this call succeeds: the wait can
     * complete in the receiver's thread at once. */
    return cqt_event_when_all(r->wait_events, count, wait_ms, r->receiver, async_on_when, r, async_unref);
}

static void async_on_when(void *user_data, int status, const int *results, size_t n, size_t index)
{
    (void)status;
    (void)index;
    stage_run *r = user_data;
    if (n != r->wait_count)
        return; /* cannot happen: when_all reports the events it was given */
    run_after_wait(r, results);
    bool more = run_advance(r);
    int rc = async_continue(r, more, true);
    if (rc != CQT_OK) {
        /* Could not wait again (the loop is going away): report now. */
        for (size_t i = 0; i < r->rep.n; i++) {
            if (!r->pending[i])
                continue;
            r->pending[i] = false;
            r->rep.axes[i].status = rc;
            snprintf(r->rep.axes[i].detail, sizeof r->rep.axes[i].detail, "the wait failed: %s",
                     cqt_strerror(rc));
        }
        async_deliver(r);
    }
}

int cqt_stage_move_to_async(cqt_stage *stage, const double *targets, cqt_stage_mode mode, int timeout_ms,
                            cqt_object *receiver, cqt_stage_report_fn fn, void *user_data,
                            cqt_destroy_fn destroy)
{
    const char *name = "cqt_stage_move_to_async";
    int rc = check_args(name, stage, targets, mode, timeout_ms);
    if (rc == CQT_OK && (!receiver || !fn))
        rc = cqt_set_last_error(CQT_EINVAL, "%s: stage '%s': %s is NULL", name, stage->name,
                                receiver ? "fn" : "receiver");
    if (rc == CQT_OK && !cqt_thread_has_loop(cqt_object_thread(receiver)))
        rc = cqt_set_last_error(CQT_ENOLOOP,
                                "%s: stage '%s': the receiver lives in thread '%s', which runs no event "
                                "loop, so the report could never be delivered; use an object in the "
                                "main thread or a cqt thread",
                                name, stage->name, cqt_thread_name(cqt_object_thread(receiver)));
    stage_run *r = NULL;
    if (rc == CQT_OK && !(r = calloc(1, sizeof *r)))
        rc = cqt_set_last_error(CQT_ENOMEM, "%s: stage '%s': out of memory", name, stage->name);
    if (rc == CQT_OK) {
        run_init(r, stage, targets, mode, timeout_ms);
        rc = run_check_targets(r);
        if (rc != CQT_OK) {
            run_finish(r);
            cqt_set_last_error(rc, "%s: %s", name, r->rep.message);
        }
    }
    if (rc == CQT_OK && !stage_try_busy(stage, name))
        rc = CQT_ESTATE;
    if (rc != CQT_OK) {
        free(r);
        if (destroy)
            destroy(user_data);
        return rc;
    }
    __atomic_add_fetch(&stage->refs, 1, __ATOMIC_ACQ_REL);
    r->receiver = receiver;
    r->fn = fn;
    r->user_data = user_data;
    r->destroy = destroy;
    r->refs = 1; /* this call's own, dropped before returning */

    bool more = run_begin(r);
    rc = async_continue(r, more, false);
    if (rc != CQT_OK) {
        /* The registration's destroy has run; ours still holds r. Undo. */
        char why[512];
        snprintf(why, sizeof why, "%s", cqt_last_error());
        cqt_stage_stop(stage);
        r->delivered = true; /* never will be: unbusy here, destroy below */
        stage_unbusy(stage);
        async_unref(r);
        return cqt_set_last_error(rc, "%s: stage '%s': cannot wait for the axes: %s", name, stage->name,
                                  why);
    }
    async_unref(r);
    return CQT_OK;
}
