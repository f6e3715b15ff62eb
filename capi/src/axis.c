/* axis.c — a simulated motor axis controller (see cqt/axis.h).
 *
 * Threading: the motion state is guarded by one mutex, so getters and the
 * accepting half of move/stop work from any thread. Only the axis thread
 * advances the motion (axis_step, run by the motion timer and by the call
 * each command queues there). Signals are emitted outside the mutex, so
 * slots may call back into the axis. The events are set under it, so a
 * newer command's clear is never undone; as such a set may run a
 * when_all's destroy (its receiver gone), the mutex is recursive and that
 * destroy may call the axis like a slot.
 *
 * Lifecycle of a cqt_axis:
 *
 *   LIVE     cqt_axis_new() .. cqt_axis_free(). Any thread may command it
 *            (move_to, stop, inject/clear fault), read it and connect to
 *            its signals. A command is accepted under the mutex and carried
 *            out by a step in the axis thread, queued there (AUTO: run at
 *            once, nested, when the caller is the axis thread).
 *   FREEING  cqt_axis_free() called in the axis thread while one of its
 *            steps runs: from a slot the step emitted to (DIRECT, or a
 *            receiver living in the axis thread), or from a destroy that
 *            one of its event sets ran (a when_all whose receiver is gone,
 *            as a stage's last reference). The timer stops at once, the
 *            step emits no further signal, every later step (a tick
 *            already due, commands already queued) returns at once, and a
 *            second free from these callbacks is ignored. When the
 *            outermost step has unwound, exactly one release is queued.
 *   RELEASED the axis' object (its timer, its signals and their
 *            connections) is freed in the axis thread, which drops what was
 *            queued after the release; then its events, its own thread
 *            (joined; from inside it, when its loop returns) and memory.
 *            Any use of the handle after that is a use-after-free.
 *
 * cqt_axis_free() from elsewhere: from a foreign thread, the release runs
 * in the axis thread and the caller waits for it, so no step runs
 * concurrently; if the axis thread is itself blocked on the caller
 * (CQT_EDEADLK) the release is queued and runs there once it is back;
 * if its loop has ended, at once. In the axis thread outside any step (a
 * queued slot, a queued call): at once.
 *
 * From inside its own callbacks, in the axis thread: move_to and stop run
 * their step at once, nested (its signals re-enter the slots; the depth
 * counter keeps a free's release outside the outermost step); free is the
 * FREEING transition; getters and fault injection take the mutex. No
 * emission holds it, except a step nested in a destroy that an event set
 * ran: then only this thread holds it, and it is recursive.
 */
#include <cqt/cqt.h>
#include <cqt/axis.h>

#include "axis-private.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define AXIS_NAME_MAX 32
#define AXIS_MAX_SEGS 4
#define AXIS_DEFAULT_HZ 50

enum { CMD_MOVE, CMD_STOP };
enum { PLAN_NONE, PLAN_MOVE, PLAN_STOP };
/* What a step found; decides what is emitted. */
enum { R_NONE, R_ARRIVED, R_HALTED, R_STALLED, R_FAULTED };

/* One piece of a motion profile: constant acceleration for dur seconds. */
typedef struct axis_seg {
    double dur, x0, v0, acc;
} axis_seg;

struct cqt_axis {
    char name[AXIS_NAME_MAX];
    double speed, accel, min, max, time_scale;
    int interval_ms;
    bool own_thread;
    cqt_thread *thread;
    cqt_object *obj;
    cqt_timer *timer;
    cqt_signal *sig_changed, *sig_reached, *sig_stopped, *sig_faulted;
    cqt_event *ev_reached, *ev_settled;
    /* A controller axis over a link (axis-link.c) instead of the motion
     * model; its thread is the link's. */
    cqt_axis_link *link;
    int link_slot;
    bool link_detached; /* set by the (first) cqt_axis_free() */

    pthread_mutex_t mu;
    /* guarded by mu */
    double pos, vel, target;
    cqt_axis_state state;
    cqt_axis_fault fault;
    uint64_t cmd_id, applied_id;
    int cmd_kind;
    double cmd_target;
    int64_t cmd_ns, arrival_ns;
    char message[128];
    int plan_kind;
    axis_seg segs[AXIS_MAX_SEGS];
    int nsegs;
    double plan_x, plan_end;
    int64_t plan_t0;
    double fault_x; /* where an armed stall/error strikes this move */
    int fault_dir;  /* direction of this move: -1, 0, +1 */

    /* axis thread only */
    bool timer_on;
    int depth;          /* nesting of axis_step (slots may re-enter) */
    bool freeing;       /* cqt_axis_free() from inside a step: steps stop */
    bool release_queued; /* ... and the one deferred release is posted */

    /* Commands in flight: cqt_axis_move_to()/cqt_axis_stop() publish their
     * command under mu, then queue the kick that carries it out. Between
     * the two the running motion timer may already carry it out, emit, and
     * a slot free the axis; the release waits here until every such call
     * has stopped touching the axis. Lock order: mu, then calls_mu. */
    pthread_mutex_t calls_mu;
    pthread_cond_t calls_cv;
    int calls; /* guarded by calls_mu */
};

static void axis_lock(const cqt_axis *a)
{
    pthread_mutex_lock((pthread_mutex_t *)&a->mu);
}

static void axis_unlock(const cqt_axis *a)
{
    pthread_mutex_unlock((pthread_mutex_t *)&a->mu);
}

/* ---- motion profile ---------------------------------------------------- */

static void plan_add(cqt_axis *a, double dur, double v0, double acc)
{
    if (dur <= 0)
        return;
    axis_seg *s = &a->segs[a->nsegs++];
    s->dur = dur;
    s->x0 = a->plan_x;
    s->v0 = v0;
    s->acc = acc;
    a->plan_x += v0 * dur + 0.5 * acc * dur * dur;
}

/* Plans from (x, v) to rest at target: brake first when moving away or too
 * fast to stop in time, then accelerate, cruise, decelerate. */
static void plan_move(cqt_axis *a, double x, double v, double target)
{
    double acc = a->accel, vmax = a->speed;
    a->nsegs = 0;
    a->plan_x = x;
    a->plan_end = target;
    double d = target - x;
    if (acc <= 0) {
        if (d != 0)
            plan_add(a, fabs(d) / vmax, copysign(vmax, d), 0);
        return;
    }
    if (v != 0 && (d == 0 || (v > 0) != (d > 0) || v * v / (2 * acc) > fabs(d))) {
        plan_add(a, fabs(v) / acc, v, v > 0 ? -acc : acc);
        v = 0;
        d = target - a->plan_x;
    }
    if (d == 0)
        return;
    double s = d > 0 ? 1.0 : -1.0, dist = fabs(d), u = fabs(v);
    if (u > vmax)
        u = vmax;
    double vp = sqrt(acc * dist + u * u / 2);
    if (vp > vmax)
        vp = vmax;
    if (vp < u)
        vp = u;
    double d_acc = (vp * vp - u * u) / (2 * acc), d_dec = vp * vp / (2 * acc);
    double d_cruise = dist - d_acc - d_dec;
    plan_add(a, (vp - u) / acc, s * u, s * acc);
    if (d_cruise > 0)
        plan_add(a, d_cruise / vp, s * vp, 0);
    plan_add(a, vp / acc, s * vp, -s * acc);
}

/* Where the profile is t simulated seconds after its start; true when done. */
static bool plan_eval(const cqt_axis *a, double t, double *x, double *v)
{
    for (int i = 0; i < a->nsegs; i++) {
        const axis_seg *s = &a->segs[i];
        if (t < s->dur) {
            *x = s->x0 + s->v0 * t + 0.5 * s->acc * t * t;
            *v = s->v0 + s->acc * t;
            return false;
        }
        t -= s->dur;
    }
    *x = a->plan_end;
    *v = 0;
    return true;
}

/* ---- the axis thread ---------------------------------------------------- */

/* Advances the running plan to @now. Called with mu held. */
static int axis_advance(cqt_axis *a, int64_t now)
{
    double t = (double)(now - a->plan_t0) * 1e-9 * a->time_scale;
    int kind = a->plan_kind;
    double x, v;
    bool done = plan_eval(a, t, &x, &v);
    if (kind == PLAN_MOVE && a->fault_dir != 0 &&
        (a->fault == CQT_AXIS_FAULT_STALL || a->fault == CQT_AXIS_FAULT_ERROR)) {
        double dir = a->fault_dir, strike = NAN;
        if (dir * (a->pos - a->fault_x) >= 0)
            strike = a->pos;
        else if (dir * (x - a->fault_x) >= 0)
            strike = a->fault_x;
        if (!isnan(strike)) {
            bool stall = a->fault == CQT_AXIS_FAULT_STALL;
            a->pos = strike;
            a->vel = 0;
            a->plan_kind = PLAN_NONE;
            a->state = stall ? CQT_AXIS_STALLED : CQT_AXIS_FAULTED;
            snprintf(a->message, sizeof a->message, "axis '%s' %s at %.3f on the way to %.3f (injected %s)",
                     a->name, stall ? "stalled" : "drive error", strike, a->target,
                     stall ? "stall" : "error");
            return stall ? R_STALLED : R_FAULTED;
        }
    }
    a->pos = x;
    a->vel = v;
    if (!done)
        return R_NONE;
    a->plan_kind = PLAN_NONE;
    if (kind == PLAN_MOVE) {
        a->state = CQT_AXIS_IDLE;
        a->arrival_ns = now;
        return R_ARRIVED;
    }
    a->state = CQT_AXIS_STOPPED;
    a->target = a->pos;
    return R_HALTED;
}

/* Carries out the last accepted command. Called with mu held. */
static int axis_apply(cqt_axis *a, int64_t now)
{
    a->applied_id = a->cmd_id;
    a->plan_t0 = now;
    if (a->cmd_kind == CMD_MOVE) {
        plan_move(a, a->pos, a->vel, a->cmd_target);
        double d = a->cmd_target - a->pos;
        a->fault_dir = d > 0 ? 1 : d < 0 ? -1 : 0;
        a->fault_x = a->pos + d / 2;
        if (a->nsegs == 0) {
            a->pos = a->cmd_target;
            a->vel = 0;
            a->plan_kind = PLAN_NONE;
            a->state = CQT_AXIS_IDLE;
            a->arrival_ns = now;
            return R_ARRIVED;
        }
        a->plan_kind = PLAN_MOVE;
        a->state = CQT_AXIS_MOVING;
        return R_NONE;
    }
    /* CMD_STOP */
    if (a->vel == 0 || a->accel <= 0) {
        a->vel = 0;
        a->plan_kind = PLAN_NONE;
        a->state = CQT_AXIS_STOPPED;
        a->target = a->pos;
        return R_HALTED;
    }
    a->nsegs = 0;
    a->plan_x = a->pos;
    plan_add(a, fabs(a->vel) / a->accel, a->vel, a->vel > 0 ? -a->accel : a->accel);
    a->plan_end = a->plan_x;
    a->target = a->plan_end;
    a->plan_kind = PLAN_STOP;
    a->fault_dir = 0;
    return R_NONE;
}

static void emit_double(cqt_signal *s, double x)
{
    cqt_value v = cqt_value_double(x);
    cqt_emit(s, &v);
    cqt_value_clear(&v);
}

static void axis_finish_free(cqt_axis *a);

/* Called with mu held, in the critical section that publishes a command. */
static void axis_call_begin(cqt_axis *a)
{
    pthread_mutex_lock(&a->calls_mu);
    a->calls++;
    pthread_mutex_unlock(&a->calls_mu);
}

/* The command's caller is done with the axis. */
static void axis_call_end(cqt_axis *a)
{
    pthread_mutex_lock(&a->calls_mu);
    if (--a->calls == 0)
        pthread_cond_broadcast(&a->calls_cv);
    pthread_mutex_unlock(&a->calls_mu);
}

static void axis_release_in_thread(void *user_data)
{
    cqt_axis *a = user_data;
    /* A caller between publishing its command and queueing its kick never
     * waits for this thread, so this wait is short. A call from this very
     * thread cannot be in flight here: its step runs nested inside it, and
     * a free from a step is deferred until the step unwound. */
    pthread_mutex_lock(&a->calls_mu);
    while (a->calls > 0)
        pthread_cond_wait(&a->calls_cv, &a->calls_mu);
    pthread_mutex_unlock(&a->calls_mu);
    cqt_object_free(a->obj);
    a->obj = NULL;
}

/* Frees the controller axis for another cqt_axis as soon as this one is
 * being freed, even when its release is deferred (a free from its own
 * slot): the link reads its slots under its mutex at each report, and the
 * memory stays until the release runs in the link thread. */
static void axis_link_detach_once(cqt_axis *a)
{
    if (a->link && !a->link_detached) {
        a->link_detached = true;
        cqt__axis_link_detach(a->link, a->link_slot);
    }
}

/* A free deferred out of a step: runs once as the queued call, or as its
 * destroy if the call is dropped (the thread quit first). */
typedef struct axis_free_box {
    cqt_axis *axis;
    bool done;
} axis_free_box;

static void axis_deferred_free(void *user_data)
{
    axis_free_box *box = user_data;
    if (box->done)
        return;
    box->done = true;
    axis_release_in_thread(box->axis);
    axis_finish_free(box->axis);
}

static void axis_deferred_free_destroy(void *user_data)
{
    axis_deferred_free(user_data);
    free(user_data);
}

/* Queues the release to the axis thread, behind whatever is queued there
 * already; what is queued after it is dropped with the axis' object. */
static void axis_post_release(cqt_axis *a)
{
    axis_free_box *box = calloc(1, sizeof *box);
    if (!box) {
        axis_release_in_thread(a);
        axis_finish_free(a);
        return;
    }
    box->axis = a;
    /* On failure (the loop has ended) the destroy has already freed it. */
    cqt_invoke_full(a->obj, axis_deferred_free, box, axis_deferred_free_destroy, CQT_QUEUED);
}

/* Freed from inside a step: the release waits for the outermost step to
 * unwind, and exactly one is queued however many steps, ticks or commands
 * were already on their way (those find the axis freeing and do nothing). */
static void axis_queue_release(cqt_axis *a)
{
    if (a->release_queued)
        return;
    a->release_queued = true;
    axis_post_release(a);
}

static void axis_stop_timer(cqt_axis *a)
{
    if (a->timer_on) {
        cqt_timer_stop(a->timer);
        a->timer_on = false;
    }
}

static void axis_emit_result(cqt_axis *a, int r, double pos, double before, uint64_t id, bool drop,
                             const char *msg);
static void axis_link_step(cqt_axis *a);

static void axis_step(cqt_axis *a)
{
    if (a->freeing)
        return; /* a step queued before the release: nothing to do */
    if (a->link) {
        axis_link_step(a);
        return;
    }
    int64_t now = cqt_now_ns();
    char msg[sizeof a->message];
    a->depth++;

    axis_lock(a);
    double before = a->pos;
    int r = R_NONE;
    if (a->plan_kind != PLAN_NONE)
        r = axis_advance(a, now);
    if (r == R_FAULTED)
        a->applied_id = a->cmd_id; /* the fault ends whatever was asked since */
    else if (a->applied_id != a->cmd_id)
        r = axis_apply(a, now); /* supersedes what the old plan did */
    uint64_t id = a->cmd_id;
    double pos = a->pos;
    bool active = a->plan_kind != PLAN_NONE;
    bool drop = a->fault == CQT_AXIS_FAULT_DROP_SIGNAL;
    memcpy(msg, a->message, sizeof msg);
    axis_unlock(a);

    /* The timer runs only while moving: an idle axis costs no wake-ups. */
    if (active && !a->timer_on)
        a->timer_on = cqt_timer_start(a->timer, a->interval_ms) == CQT_OK;
    else if (!active)
        axis_stop_timer(a);

    axis_emit_result(a, r, pos, before, id, drop, msg);
}

/* Emits what a step found and sets the events; ends the step (depth). */
static void axis_emit_result(cqt_axis *a, int r, double pos, double before, uint64_t id, bool drop,
                             const char *msg)
{
    /* A slot may free the axis (a->freeing): the signals after it are not
     * emitted for a freed axis. */
    if (pos != before || r != R_NONE)
        emit_double(a->sig_changed, pos);
    if (a->freeing) {
        /* no more signals */
    } else if (r == R_ARRIVED && !drop) {
        emit_double(a->sig_reached, pos);
    } else if (r == R_HALTED) {
        emit_double(a->sig_stopped, pos);
    } else if (r == R_FAULTED) {
        cqt_value v = cqt_value_error(CQT_EFAULT, msg);
        cqt_emit(a->sig_faulted, &v);
        cqt_value_clear(&v);
    }

    /* Set only if no newer command cleared them meanwhile, so under the
     * mutex. A set may run a when_all's destroy right here (its receiver
     * gone); the mutex is recursive so that destroy may call the axis,
     * even send it elsewhere: cmd_id then moves on and the next set is
     * skipped. */
    bool arrived = r == R_ARRIVED && !drop;
    axis_lock(a);
    if (arrived && a->cmd_id == id)
        cqt_event_set(a->ev_reached);
    if ((arrived || r == R_HALTED || r == R_FAULTED) && a->cmd_id == id)
        cqt_event_set(a->ev_settled);
    axis_unlock(a);

    /* Freed from one of our own slots: finish outside the emission. May
     * free @a: nothing of it is touched after this. */
    if (--a->depth == 0 && a->freeing)
        axis_queue_release(a);
}

/* ---- over a link (axis-link.c) ------------------------------------------ */

/* Hands the last accepted command to the link; the controller's replies
 * and notifications come back through cqt__axis_on_link(). */
static void axis_link_step(cqt_axis *a)
{
    a->depth++;
    axis_lock(a);
    bool fresh = a->applied_id != a->cmd_id;
    int kind = a->cmd_kind;
    double target = a->cmd_target;
    a->applied_id = a->cmd_id;
    bool moving = a->state == CQT_AXIS_MOVING; /* not ended by a fault since */
    axis_unlock(a);
    if (fresh && moving) {
        char why[256] = "";
        int rc = cqt__axis_link_submit(a->link, a->link_slot, kind == CMD_MOVE ? CQT__AXL_MOVE : CQT__AXL_STOP,
                                       target, why, sizeof why);
        if (rc == 1) {
            cqt__axis_on_link(a, CQT__AXL_STOPPED, NAN, NULL);
        } else if (rc != CQT_OK) {
            char msg[sizeof a->message];
            snprintf(msg, sizeof msg, "axis '%s': %s", a->name, why);
            cqt__axis_on_link(a, CQT__AXL_FAULT, NAN, msg);
        }
    }
    if (--a->depth == 0 && a->freeing)
        axis_queue_release(a);
}

void cqt__axis_on_link(cqt_axis *a, cqt__axis_link_ev ev, double pos, const char *msg)
{
    if (a->freeing)
        return;
    char m[sizeof a->message];
    a->depth++;
    axis_lock(a);
    double before = a->pos;
    int r = R_NONE;
    switch (ev) {
    case CQT__AXL_POS:
        a->pos = pos;
        break;
    case CQT__AXL_POS_REPLY:
        a->pos = pos;
        if (a->cmd_id == 0)
            a->target = a->cmd_target = pos;
        before = pos; /* a query, not a motion: no position_changed */
        break;
    case CQT__AXL_DONE:
        /* Only the arrival of the last accepted command counts: a move
         * accepted since goes out next and gets its own !DONE. The
         * controller writes 3 decimals: the target is where it arrived. */
        if (a->state == CQT_AXIS_MOVING && a->cmd_kind == CMD_MOVE && a->applied_id == a->cmd_id &&
            fabs(pos - a->cmd_target) <= 6e-4) {
            a->pos = a->cmd_target;
            a->vel = 0;
            a->state = CQT_AXIS_IDLE;
            a->arrival_ns = cqt_now_ns();
            r = R_ARRIVED;
        } else {
            a->pos = pos;
        }
        break;
    case CQT__AXL_STOPPED:
        if (!isnan(pos))
            a->pos = pos;
        if (a->state == CQT_AXIS_MOVING && a->cmd_kind == CMD_STOP && a->applied_id == a->cmd_id) {
            a->vel = 0;
            a->state = CQT_AXIS_STOPPED;
            a->target = a->pos;
            r = R_HALTED;
        }
        break;
    case CQT__AXL_FAULT:
        if (a->state != CQT_AXIS_FAULTED) {
            a->state = CQT_AXIS_FAULTED;
            a->vel = 0;
            a->applied_id = a->cmd_id; /* the fault ends whatever was asked */
            snprintf(a->message, sizeof a->message, "%s", msg ? msg : "controller fault");
            r = R_FAULTED;
        }
        break;
    }
    uint64_t id = a->cmd_id;
    double p = a->pos;
    memcpy(m, a->message, sizeof m);
    axis_unlock(a);
    axis_emit_result(a, r, p, before, id, false, m);
}

static void axis_on_timeout(void *user_data, const cqt_value *arg)
{
    (void)arg;
    axis_step(user_data);
}

static void axis_on_command(void *user_data)
{
    axis_step(user_data);
}

static void axis_set_object_name(void *user_data)
{
    cqt_axis *a = user_data;
    cqt_object_set_name(a->obj, a->name);
}

/* ---- public API --------------------------------------------------------- */

void cqt_axis_config_init(cqt_axis_config *config)
{
    if (!config)
        return;
    memset(config, 0, sizeof *config);
    config->speed = 10.0;
    config->min_position = -INFINITY;
    config->max_position = INFINITY;
    config->update_hz = AXIS_DEFAULT_HZ;
    config->time_scale = 1.0;
}

static int axis_check_config(const cqt_axis_config *c, const char *name)
{
    const char *fn = "cqt_axis_new";
    if (!(c->speed > 0) || !isfinite(c->speed))
        return cqt_set_last_error(CQT_EINVAL, "%s: axis '%s': speed %g must be a finite number > 0", fn,
                                  name, c->speed);
    if (!(c->acceleration >= 0) || !isfinite(c->acceleration))
        return cqt_set_last_error(CQT_EINVAL,
                                  "%s: axis '%s': acceleration %g must be finite and >= 0 (0: instant)",
                                  fn, name, c->acceleration);
    if (isnan(c->min_position) || isnan(c->max_position) || c->min_position > c->max_position)
        return cqt_set_last_error(CQT_EINVAL, "%s: axis '%s': soft limits [%g, %g] need min <= max", fn,
                                  name, c->min_position, c->max_position);
    if (!isfinite(c->start_position))
        return cqt_set_last_error(CQT_EINVAL, "%s: axis '%s': start position %g is not finite", fn, name,
                                  c->start_position);
    bool no_limits = c->min_position == 0 && c->max_position == 0;
    if (!no_limits && (c->start_position < c->min_position || c->start_position > c->max_position))
        return cqt_set_last_error(CQT_ERANGE,
                                  "%s: axis '%s': start position %.3f is outside the soft limits [%.3f, %.3f]",
                                  fn, name, c->start_position, c->min_position, c->max_position);
    if (c->update_hz < 0 || c->update_hz > 1000)
        return cqt_set_last_error(CQT_EINVAL, "%s: axis '%s': update_hz %d must be 1..1000 (0: default %d)",
                                  fn, name, c->update_hz, AXIS_DEFAULT_HZ);
    if (c->time_scale < 0 || !isfinite(c->time_scale))
        return cqt_set_last_error(CQT_EINVAL, "%s: axis '%s': time_scale %g must be finite and > 0 (0: 1)",
                                  fn, name, c->time_scale);
    if (c->link && c->thread && c->thread != cqt_axis_link_thread(c->link))
        return cqt_set_last_error(CQT_EINVAL,
                                  "%s: axis '%s': an axis on a link lives in the link's thread '%s', not in "
                                  "'%s'; leave config.thread NULL (or pass the link's thread)",
                                  fn, name, cqt_thread_name(cqt_axis_link_thread(c->link)),
                                  cqt_thread_name(c->thread));
    if (c->link && c->remote_name && (!*c->remote_name || strlen(c->remote_name) > 16))
        return cqt_set_last_error(CQT_EINVAL,
                                  "%s: axis '%s': remote_name '%s' is no controller axis name (1 to 16 "
                                  "bytes)",
                                  fn, name, c->remote_name);
    if (!c->link && c->thread && !cqt_thread_has_loop(c->thread))
        return cqt_set_last_error(CQT_ENOLOOP,
                                  "%s: axis '%s': thread '%s' runs no event loop, so the motion timer "
                                  "could never fire; pass a cqt_thread_new() thread or NULL for its own",
                                  fn, name, cqt_thread_name(c->thread));
    return CQT_OK;
}

static void axis_destroy_parts(cqt_axis *a)
{
    if (a->obj)
        cqt_object_free(a->obj); /* its thread has not started: at once */
    if (a->own_thread && a->thread)
        cqt_thread_free(a->thread);
    cqt_event_free(a->ev_reached);
    cqt_event_free(a->ev_settled);
    pthread_mutex_destroy(&a->mu);
    pthread_cond_destroy(&a->calls_cv);
    pthread_mutex_destroy(&a->calls_mu);
    free(a);
}

cqt_axis *cqt_axis_new(const cqt_axis_config *config)
{
    static int64_t counter;
    if (!config) {
        cqt_set_last_error(CQT_EINVAL, "cqt_axis_new: config is NULL; fill one with cqt_axis_config_init()");
        return NULL;
    }
    char name[AXIS_NAME_MAX];
    if (config->name)
        snprintf(name, sizeof name, "%s", config->name);
    else
        snprintf(name, sizeof name, "axis-%lld", (long long)__atomic_add_fetch(&counter, 1, __ATOMIC_RELAXED));
    if (axis_check_config(config, name) != CQT_OK)
        return NULL;
    if (!cqt_app_is_running()) {
        cqt_set_last_error(CQT_ESTATE, "cqt_axis_new: axis '%s': no application; call cqt_app_init() first",
                           name);
        return NULL;
    }

    cqt_axis *a = calloc(1, sizeof *a);
    if (!a) {
        cqt_set_last_error(CQT_ENOMEM, "cqt_axis_new: axis '%s': out of memory", name);
        return NULL;
    }
    memcpy(a->name, name, sizeof name);
    a->speed = config->speed;
    a->accel = config->acceleration;
    a->min = config->min_position;
    a->max = config->max_position;
    if (a->min == 0 && a->max == 0) {
        a->min = -INFINITY;
        a->max = INFINITY;
    }
    a->time_scale = config->time_scale > 0 ? config->time_scale : 1.0;
    int hz = config->update_hz > 0 ? config->update_hz : AXIS_DEFAULT_HZ;
    a->interval_ms = (int)lround(1000.0 / hz);
    if (a->interval_ms < 1)
        a->interval_ms = 1;
    a->pos = a->target = a->cmd_target = config->start_position;
    a->state = CQT_AXIS_IDLE;
    pthread_mutexattr_t attr;
    pthread_mutexattr_init(&attr);
    /* Recursive for the event sets in axis_step only (see there). */
    pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
    pthread_mutex_init(&a->mu, &attr);
    pthread_mutexattr_destroy(&attr);
    pthread_mutex_init(&a->calls_mu, NULL);
    pthread_cond_init(&a->calls_cv, NULL);

    char buf[AXIS_NAME_MAX + 16];
    if (config->link) {
        a->link = config->link;
        a->thread = cqt_axis_link_thread(config->link);
    } else if (config->thread) {
        a->thread = config->thread;
    } else {
        snprintf(buf, sizeof buf, "axis-%s", name);
        a->thread = cqt_thread_new(buf);
        a->own_thread = true;
        if (!a->thread)
            goto fail;
    }
    a->obj = cqt_object_new(a->thread);
    if (!a->obj)
        goto fail;
    snprintf(buf, sizeof buf, "%s.motion", name);
    a->timer = cqt_timer_new(a->obj, buf);
    a->sig_changed = cqt_signal_new(a->obj, "position_changed");
    a->sig_reached = cqt_signal_new(a->obj, "position_reached");
    a->sig_stopped = cqt_signal_new(a->obj, "stopped");
    a->sig_faulted = cqt_signal_new(a->obj, "faulted");
    if (!a->timer || !a->sig_changed || !a->sig_reached || !a->sig_stopped || !a->sig_faulted)
        goto fail;
    if (cqt_timer_set_type(a->timer, CQT_TIMER_PRECISE) != CQT_OK)
        goto fail;
    /* Emitted in the axis thread, so AUTO is direct: no queue hop per tick. */
    if (cqt_connect(cqt_timer_timeout(a->timer), a->obj, axis_on_timeout, a, NULL, CQT_AUTO) == 0)
        goto fail;
    snprintf(buf, sizeof buf, "%s.reached", name);
    a->ev_reached = cqt_event_new(buf);
    snprintf(buf, sizeof buf, "%s.settled", name);
    a->ev_settled = cqt_event_new(buf);
    if (!a->ev_reached || !a->ev_settled)
        goto fail;
    cqt_event_set(a->ev_reached);
    cqt_event_set(a->ev_settled);
    if (a->own_thread && cqt_thread_start(a->thread) != CQT_OK)
        goto fail;
    /* set_name is owner-only; a queued call runs it there. Best effort. */
    cqt_invoke(a->obj, axis_set_object_name, a, CQT_QUEUED);
    if (a->link) {
        /* Last: from here on the link may report to the axis. */
        int slot = cqt__axis_link_attach(a->link, a, config->remote_name ? config->remote_name : name);
        if (slot < 0) {
            char why[256];
            snprintf(why, sizeof why, "%s", cqt_last_error());
            a->link = NULL;
            cqt_axis_free(a);
            cqt_set_last_error(slot, "%s", why);
            return NULL;
        }
        a->link_slot = slot;
    }
    return a;

fail : {
    /* Keep the first failure's message: the cleanup below may overwrite it. */
    char why[256];
    snprintf(why, sizeof why, "%s", cqt_last_error());
    if (a->own_thread && a->thread) {
        cqt_thread_free(a->thread); /* joins it: the object can go at once */
        a->thread = NULL;
    }
    axis_destroy_parts(a);
    cqt_set_last_error(CQT_EINTERNAL, "cqt_axis_new: axis '%s': %s", name, why);
    return NULL;
}
}

static bool axis_in_own_thread(const cqt_axis *a)
{
    return a->obj && cqt_object_thread(a->obj) == cqt_thread_current();
}

static void axis_finish_free(cqt_axis *a)
{
    if (a->own_thread)
        cqt_thread_free(a->thread); /* from inside it, released when its loop returns */
    a->own_thread = false;
    a->obj = NULL;
    cqt_axis_link *link = a->link;
    axis_destroy_parts(a);
    if (link) /* may release the link (its last axis, the user's free done) */
        cqt__axis_link_unref(link);
}

void cqt_axis_free(cqt_axis *axis)
{
    if (!axis)
        return;
    if (axis_in_own_thread(axis)) {
        if (axis->freeing)
            return; /* already on its way out: a second free from our slots */
        axis_link_detach_once(axis);
        if (axis->depth > 0) {
            /* Inside one of our own steps (a slot, or a destroy that an
             * event set ran): stop moving now, release once it unwound. */
            axis->freeing = true;
            axis_stop_timer(axis);
            return;
        }
        axis_release_in_thread(axis);
    } else {
        axis_link_detach_once(axis);
        int rc = cqt_invoke(axis->obj, axis_release_in_thread, axis, CQT_BLOCKING_QUEUED);
        if (rc == CQT_EDEADLK) {
            /* The axis thread is blocked on this one (maybe inside a step):
             * waiting would deadlock and releasing here would pull the
             * axis from under it. It releases itself once it is back. */
            axis_post_release(axis);
            return;
        }
        if (rc != CQT_OK) /* its loop has ended: no step can race this */
            axis_release_in_thread(axis);
    }
    axis_finish_free(axis);
}

const char *cqt_axis_name(const cqt_axis *axis)
{
    return axis ? axis->name : "(null)";
}

cqt_thread *cqt_axis_thread(const cqt_axis *axis)
{
    return axis ? axis->thread : NULL;
}

static int axis_null(const char *fn)
{
    return cqt_set_last_error(CQT_EINVAL, "%s: axis is NULL", fn);
}

/* Queues the step that carries out the command just accepted. */
static int axis_kick(cqt_axis *a, const char *fn)
{
    int rc = cqt_invoke(a->obj, axis_on_command, a, CQT_AUTO);
    if (rc == CQT_OK)
        return CQT_OK;
    return cqt_set_last_error(rc, "%s: axis '%s': its thread '%s' runs no loop now (%s); start it, or "
                                  "create the axis with its own thread",
                              fn, a->name, cqt_thread_name(a->thread), cqt_strerror(rc));
}

int cqt_axis_move_to(cqt_axis *axis, double target)
{
    const char *fn = "cqt_axis_move_to";
    if (!axis)
        return axis_null(fn);
    if (!isfinite(target))
        return cqt_set_last_error(CQT_EINVAL,
                                  "%s: axis '%s': target %f is not a finite number; soft limits are "
                                  "[%.3f, %.3f]",
                                  fn, axis->name, target, axis->min, axis->max);
    if (target < axis->min || target > axis->max)
        return cqt_set_last_error(CQT_ERANGE,
                                  "%s: axis '%s': target %.3f is outside the soft limits [%.3f, %.3f]", fn,
                                  axis->name, target, axis->min, axis->max);
    if (axis->link && fabs(target) > 1e9)
        return cqt_set_last_error(CQT_ERANGE,
                                  "%s: axis '%s': target %.3f is beyond what the controller protocol carries "
                                  "(-1e9..1e9)",
                                  fn, axis->name, target);
    axis_lock(axis);
    if (axis->state == CQT_AXIS_FAULTED) {
        int rc = cqt_set_last_error(CQT_EFAULT,
                                    "%s: axis '%s' is faulted (%s); clear it with cqt_axis_clear_fault()",
                                    fn, axis->name, axis->message);
        axis_unlock(axis);
        return rc;
    }
    char why[256];
    if (axis->link && !cqt__axis_link_usable(axis->link, why, sizeof why)) {
        int rc = cqt_set_last_error(CQT_EFAULT,
                                    "%s: axis '%s': its link %s is lost (%s); call cqt_axis_link_reconnect()",
                                    fn, axis->name, cqt_axis_link_address(axis->link), why);
        axis_unlock(axis);
        return rc;
    }
    cqt_axis_state prev_state = axis->state;
    double prev_target = axis->target;
    uint64_t prev_applied = axis->applied_id;
    bool reached = cqt_event_is_set(axis->ev_reached), settled = cqt_event_is_set(axis->ev_settled);
    uint64_t id = ++axis->cmd_id;
    axis->cmd_kind = CMD_MOVE;
    axis->cmd_target = target;
    axis->target = target;
    axis->state = CQT_AXIS_MOVING;
    axis->cmd_ns = cqt_now_ns();
    axis->arrival_ns = 0;
    cqt_event_clear(axis->ev_reached);
    cqt_event_clear(axis->ev_settled);
    axis_call_begin(axis);
    axis_unlock(axis);

    int rc = axis_kick(axis, fn);
    if (rc != CQT_OK) {
        /* Nothing will carry the command out: take it back. */
        axis_lock(axis);
        if (axis->cmd_id == id && axis->applied_id == prev_applied) {
            axis->applied_id = id;
            axis->state = prev_state;
            axis->target = prev_target;
            if (reached)
                cqt_event_set(axis->ev_reached);
            if (settled)
                cqt_event_set(axis->ev_settled);
        }
        axis_unlock(axis);
    }
    axis_call_end(axis);
    return rc;
}

int cqt_axis_stop(cqt_axis *axis)
{
    if (!axis)
        return axis_null("cqt_axis_stop");
    axis_lock(axis);
    if (axis->state != CQT_AXIS_MOVING) {
        axis_unlock(axis);
        return CQT_OK;
    }
    ++axis->cmd_id;
    axis->cmd_kind = CMD_STOP;
    axis->cmd_ns = cqt_now_ns();
    axis->arrival_ns = 0;
    axis_call_begin(axis);
    axis_unlock(axis);
    int rc = axis_kick(axis, "cqt_axis_stop");
    axis_call_end(axis);
    return rc;
}

double cqt_axis_position(const cqt_axis *axis)
{
    if (!axis) {
        axis_null("cqt_axis_position");
        return NAN;
    }
    axis_lock(axis);
    double x = axis->pos;
    axis_unlock(axis);
    return x;
}

double cqt_axis_target(const cqt_axis *axis)
{
    if (!axis) {
        axis_null("cqt_axis_target");
        return NAN;
    }
    axis_lock(axis);
    double x = axis->target;
    axis_unlock(axis);
    return x;
}

bool cqt_axis_is_moving(const cqt_axis *axis)
{
    return cqt_axis_get_state(axis) == CQT_AXIS_MOVING;
}

cqt_axis_state cqt_axis_get_state(const cqt_axis *axis)
{
    if (!axis)
        return CQT_AXIS_IDLE;
    axis_lock(axis);
    cqt_axis_state s = axis->state;
    axis_unlock(axis);
    return s;
}

const char *cqt_axis_state_name(cqt_axis_state state)
{
    switch (state) {
    case CQT_AXIS_IDLE:
        return "idle";
    case CQT_AXIS_MOVING:
        return "moving";
    case CQT_AXIS_STOPPED:
        return "stopped";
    case CQT_AXIS_STALLED:
        return "stalled";
    case CQT_AXIS_FAULTED:
        return "faulted";
    }
    return "unknown";
}

int cqt_axis_get_status(const cqt_axis *axis, cqt_axis_status *out)
{
    if (!axis)
        return axis_null("cqt_axis_get_status");
    if (!out)
        return cqt_set_last_error(CQT_EINVAL, "cqt_axis_get_status: axis '%s': out is NULL", axis->name);
    axis_lock(axis);
    out->position = axis->pos;
    out->velocity = axis->vel;
    out->target = axis->target;
    out->state = axis->state;
    out->fault = axis->fault;
    out->command_id = axis->cmd_id;
    out->command_ns = axis->cmd_ns;
    out->arrival_ns = axis->arrival_ns;
    memcpy(out->message, axis->message, sizeof out->message);
    axis_unlock(axis);
    return CQT_OK;
}

int cqt_axis_limits(const cqt_axis *axis, double *min, double *max)
{
    if (!axis)
        return axis_null("cqt_axis_limits");
    if (min)
        *min = axis->min;
    if (max)
        *max = axis->max;
    return CQT_OK;
}

double cqt_axis_speed(const cqt_axis *axis)
{
    if (!axis) {
        axis_null("cqt_axis_speed");
        return NAN;
    }
    return axis->speed;
}

cqt_event *cqt_axis_reached_event(cqt_axis *axis)
{
    return axis ? axis->ev_reached : NULL;
}

cqt_event *cqt_axis_settled_event(cqt_axis *axis)
{
    return axis ? axis->ev_settled : NULL;
}

cqt_signal *cqt_axis_position_changed(cqt_axis *axis)
{
    return axis ? axis->sig_changed : NULL;
}

cqt_signal *cqt_axis_position_reached(cqt_axis *axis)
{
    return axis ? axis->sig_reached : NULL;
}

cqt_signal *cqt_axis_stopped(cqt_axis *axis)
{
    return axis ? axis->sig_stopped : NULL;
}

cqt_signal *cqt_axis_faulted(cqt_axis *axis)
{
    return axis ? axis->sig_faulted : NULL;
}

int cqt_axis_inject_fault(cqt_axis *axis, cqt_axis_fault fault)
{
    if (!axis)
        return axis_null("cqt_axis_inject_fault");
    if (fault == CQT_AXIS_FAULT_NONE)
        return cqt_axis_clear_fault(axis);
    if (fault != CQT_AXIS_FAULT_STALL && fault != CQT_AXIS_FAULT_DROP_SIGNAL &&
        fault != CQT_AXIS_FAULT_ERROR)
        return cqt_set_last_error(CQT_EINVAL,
                                  "cqt_axis_inject_fault: axis '%s': unknown fault %d; use a "
                                  "CQT_AXIS_FAULT_* value",
                                  axis->name, (int)fault);
    if (axis->link) {
        int rc = cqt__axis_link_send_fault(axis->link, axis->link_slot, fault, false);
        if (rc != CQT_OK)
            return cqt_set_last_error(CQT_EFAULT,
                                      "cqt_axis_inject_fault: axis '%s': its link %s is lost; call "
                                      "cqt_axis_link_reconnect() first",
                                      axis->name, cqt_axis_link_address(axis->link));
    }
    axis_lock(axis);
    axis->fault = fault;
    axis_unlock(axis);
    return CQT_OK;
}

int cqt_axis_clear_fault(cqt_axis *axis)
{
    if (!axis)
        return axis_null("cqt_axis_clear_fault");
    if (axis->link) /* best effort: a lost link has no fault armed to clear */
        cqt__axis_link_send_fault(axis->link, axis->link_slot, CQT_AXIS_FAULT_NONE, true);
    axis_lock(axis);
    axis->fault = CQT_AXIS_FAULT_NONE;
    if (axis->state == CQT_AXIS_STALLED || axis->state == CQT_AXIS_FAULTED) {
        axis->state = CQT_AXIS_STOPPED;
        axis->target = axis->pos;
    }
    axis->message[0] = '\0';
    axis_unlock(axis);
    return CQT_OK;
}
