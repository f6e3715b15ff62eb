/* cqt/axis.h — a simulated motor axis controller.
 *
 * An axis lives in a thread with an event loop (its own by default). Its
 * state is an object in that thread and its motion is a cqt_timer there,
 * so cqt_axis_move_to() returns at once from any thread — main, a worker,
 * a plain pthread — and the axis can be moved any number of times in a row
 * (pitfall P6: the naive version needs its timer thread quit and restarted).
 *
 * Motion: at most `speed` units/s; with `acceleration` 0 the speed is
 * reached at once, otherwise the axis follows a trapezoidal profile (and a
 * retarget that reverses the direction decelerates first). Simulated time
 * is the monotonic clock times `time_scale`, so tests run a 10 s move in
 * 10 ms. The position advances `update_hz` times per real second while
 * moving; each advance emits position_changed.
 *
 * Signals (owned by the axis; connect with cqt_connect(), slots run in
 * their receiver's thread):
 *  - position_changed: a double, the position, at each update while moving
 *    (the last one is the final position);
 *  - position_reached: a double, the position, on arrival;
 *  - stopped: a double, the position, when a cqt_axis_stop() completes;
 *  - faulted: an error value (CQT_EFAULT and a message naming the axis).
 * The events (cqt_axis_reached_event(), cqt_axis_settled_event()) are set
 * after the matching signal was emitted, so a waiter that wakes knows the
 * signal is on its way.
 *
 * Injected faults (for tests and demos) arm the axis until cleared; each
 * strikes the current move, or the next, half way to its target (at once
 * when injected after the half-way point):
 *  - STALL: the axis stops there silently and never arrives;
 *  - DROP_SIGNAL: the axis arrives but position_reached and both events
 *    are lost, so only a timeout reveals it;
 *  - ERROR: the axis stops there and emits faulted; moves are refused with
 *    CQT_EFAULT until cqt_axis_clear_fault().
 *
 * Over a controller link (config.link, cqt/axislink.h) the motion model is
 * the controller's: the axis lives in the link's thread, move_to and stop
 * become MOVE and STOP commands (accepted at once, as above, and sent from
 * the link's thread; moves that wait for the link coalesce), position_changed
 * follows the controller's !POS reports, position_reached and the reached
 * event its !DONE, stopped its !STOPPED. Soft limits are checked here,
 * before anything is sent; speed, acceleration, update_hz and time_scale
 * are the controller's business and ignored. The position starts at
 * start_position and is replaced by the controller's answer to a POS?
 * query sent at creation. Injected faults are sent to the controller as
 * the simulator's FAULT command (docs/controller-protocol.md, section 7):
 * STALL as STALL (the axis stays "moving"; a timeout reveals it),
 * DROP_SIGNAL as NODONE (the next arrival sends no !DONE), ERROR as ERROR
 * (the next command is answered ERR, which faults the axis);
 * cqt_axis_clear_fault() also sends FAULT <axis> CLEAR. A real controller
 * answers FAULT with ERR, which faults the axis. The link's own faults
 * (no reply, ERR, garbled lines, connection lost) fault the axis as
 * cqt/axislink.h says.
 */
#ifndef CQT_AXIS_H
#define CQT_AXIS_H

#include "axislink.h"
#include "base.h"
#include "signal.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct cqt_axis cqt_axis;

/* What cqt_axis_new() builds. Fill it with cqt_axis_config_init() and
 * change what you need; a zeroed struct also works when speed is set
 * (zero update_hz and time_scale mean their defaults, zero limits mean
 * none). */
typedef struct cqt_axis_config {
    const char *name;      /* nullable, copied (at most 31 bytes kept); NULL: "axis-N" */
    double speed;          /* units per simulated second, > 0 */
    double acceleration;   /* units/s^2, >= 0; 0: full speed at once */
    double min_position;   /* soft limits, min <= max; -INFINITY/INFINITY: none */
    double max_position;   /*   (both 0: none) */
    double start_position; /* within the limits */
    int update_hz;         /* position updates per real second, 1..1000; 0: 50 */
    double time_scale;     /* simulated seconds per real second, > 0; 0: 1 */
    cqt_thread *thread;    /* nullable: the axis starts and owns a thread of its
                              own; else a cqt thread (or main) that the caller
                              starts, and which must outlive the axis. With a
                              link: NULL or the link's thread */
    cqt_axis_link *link;   /* nullable: NULL simulates the motion (above); else
                              the controller connection that drives this axis
                              (the axis takes a reference: the link lives on
                              until its last axis is freed) */
    const char *remote_name; /* with a link: the controller's axis name (1..16
                              bytes, copied); NULL: the axis' name */
} cqt_axis_config;

/* What the axis is doing. */
typedef enum cqt_axis_state {
    CQT_AXIS_IDLE = 0,    /* at rest where it was last sent (or started) */
    CQT_AXIS_MOVING = 1,  /* a move or a stop is under way */
    CQT_AXIS_STOPPED = 2, /* at rest after cqt_axis_stop(), short of its target */
    CQT_AXIS_STALLED = 3, /* at rest short of its target by an injected stall */
    CQT_AXIS_FAULTED = 4  /* at rest after an error; moves refused until cleared */
} cqt_axis_state;

/* Injectable faults. */
typedef enum cqt_axis_fault {
    CQT_AXIS_FAULT_NONE = 0,
    CQT_AXIS_FAULT_STALL = 1,
    CQT_AXIS_FAULT_DROP_SIGNAL = 2,
    CQT_AXIS_FAULT_ERROR = 3
} cqt_axis_fault;

/* A consistent snapshot of an axis (cqt_axis_get_status()). Times are
 * CLOCK_MONOTONIC nanoseconds. */
typedef struct cqt_axis_status {
    double position;        /* at the last update */
    double velocity;        /* units per simulated second, signed */
    double target;          /* last commanded target (the halt point after a stop) */
    cqt_axis_state state;
    cqt_axis_fault fault;   /* the armed fault */
    uint64_t command_id;    /* counts accepted move/stop commands; 0: none yet */
    int64_t command_ns;     /* when the last command was accepted */
    int64_t arrival_ns;     /* when command_id arrived (signalled or not); 0: not */
    char message[128];      /* the last fault's message; "" when none */
} cqt_axis_status;

/* cqt_axis_config_init:
 * Fills @config with defaults: no name, speed 10, acceleration 0, no
 * limits, start 0, 50 Hz, time_scale 1, own thread. NULL is ignored.
 * Thread: any. */
CQT_API void cqt_axis_config_init(cqt_axis_config *config);

/* cqt_axis_new:
 * Creates an axis at rest at config->start_position; its reached and
 * settled events start set. With config->thread NULL the axis starts a
 * thread named "axis-NAME" and owns it.
 * Returns: transfer full, release with cqt_axis_free(); NULL on failure
 * with cqt_last_error() naming the bad field (CQT_EINVAL), an adopted
 * thread that runs no loop (CQT_ENOLOOP) or no app (CQT_ESTATE); with a
 * link, CQT_EINVAL for a remote_name the controller does not announce (the
 * message lists its axes), CQT_ESTATE for one another axis already drives.
 * Thread: any. */
CQT_API cqt_axis *cqt_axis_new(const cqt_axis_config *config);

/* cqt_axis_free:
 * Stops the axis and frees it, its signals (their connections' destroy
 * functions run), its events and its own thread. Moves still queued are
 * dropped. The axis must not be used, nor its events waited on, after or
 * during this call. NULL is ignored.
 * Thread: any. From a foreign thread it waits for the axis thread to run
 * the release there, so no update runs concurrently once it returns;
 * but when the axis thread is itself blocked on the caller (a blocking
 * call into it), waiting would deadlock, so the release is queued to the
 * axis thread and completes after this returns. From inside the axis'
 * own callbacks in the axis thread (a slot its update emitted to, a
 * destroy that its event set ran) the axis stops at once: that update
 * emits no further signal, updates and moves already queued do nothing,
 * a second call from those callbacks is ignored, and the release runs in
 * the axis thread once the callback chain has returned. Such a callback
 * may free the axis while the cqt_axis_move_to() or cqt_axis_stop() that
 * led to it is still returning in another thread: the release waits for
 * that call to be done with the axis. */
CQT_API void cqt_axis_free(cqt_axis *axis);

/* cqt_axis_name:
 * Returns: the name; "(null)" for NULL. Transfer none, valid as long as
 * @axis. Thread: any. */
CQT_API const char *cqt_axis_name(const cqt_axis *axis);

/* cqt_axis_thread:
 * Returns: the thread the axis lives in (transfer none, valid as long as
 * @axis); NULL for NULL. Thread: any. */
CQT_API cqt_thread *cqt_axis_thread(const cqt_axis *axis);

/* cqt_axis_move_to:
 * Sends the axis to @target and returns at once. The command is accepted
 * here (is_moving() is true, target() is @target and both events are
 * cleared when this returns) and carried out in the axis thread; a move
 * already under way is retargeted. Repeated calls before the axis thread
 * ran coalesce: the last target wins.
 * Returns: CQT_OK; CQT_EINVAL for NULL or a NaN/infinite @target;
 * CQT_ERANGE for a target outside the soft limits (over a link also
 * beyond +-1e9, what the protocol carries); CQT_EFAULT while the axis is
 * faulted or its link is lost; CQT_ENOLOOP when the axis thread stopped. On failure
 * nothing moves and cqt_last_error() names the axis (and its limits).
 * Thread: any. In the axis thread (a slot of the axis included) the
 * command's first update runs before this returns, nested: its signals
 * reach DIRECT and axis-thread slots from inside this call. */
CQT_API int cqt_axis_move_to(cqt_axis *axis, double target);

/* cqt_axis_stop:
 * Stops the axis: at once with acceleration 0, else decelerating. When it
 * is at rest `stopped` is emitted and the settled event set (the reached
 * event stays clear). Stopping an axis at rest does nothing.
 * Returns: CQT_OK; CQT_EINVAL for NULL; CQT_ENOLOOP when the axis thread
 * stopped. Thread: any; in the axis thread it takes effect before it
 * returns, as cqt_axis_move_to(). */
CQT_API int cqt_axis_stop(cqt_axis *axis);

/* cqt_axis_position:
 * Returns: the position at the last update (at most one update period
 * old); NaN for NULL (CQT_EINVAL in cqt_last_error()). Thread: any. */
CQT_API double cqt_axis_position(const cqt_axis *axis);

/* cqt_axis_target:
 * Returns: the last commanded target (the start position before any move;
 * a cqt_axis_stop() makes it where the axis comes to rest, and
 * cqt_axis_clear_fault() on a stalled or faulted axis its position); NaN
 * for NULL (CQT_EINVAL in cqt_last_error()). Thread: any. */
CQT_API double cqt_axis_target(const cqt_axis *axis);

/* cqt_axis_is_moving:
 * Returns: true from an accepted move until the axis is at rest again;
 * false for NULL. Thread: any. */
CQT_API bool cqt_axis_is_moving(const cqt_axis *axis);

/* cqt_axis_get_state:
 * Returns: the axis' state; CQT_AXIS_IDLE for NULL. Thread: any. */
CQT_API cqt_axis_state cqt_axis_get_state(const cqt_axis *axis);

/* cqt_axis_state_name:
 * Returns: "idle", "moving", "stopped", "stalled", "faulted"; "unknown"
 * otherwise. Transfer none: static storage, valid for the life of the
 * process. Thread: any. */
CQT_API const char *cqt_axis_state_name(cqt_axis_state state);

/* cqt_axis_get_status:
 * Fills @out with a consistent snapshot.
 * Returns: CQT_OK; CQT_EINVAL for NULL. Thread: any. */
CQT_API int cqt_axis_get_status(const cqt_axis *axis, cqt_axis_status *out);

/* cqt_axis_limits:
 * Stores the soft limits in @min and @max (each nullable).
 * Returns: CQT_OK; CQT_EINVAL for a NULL axis. Thread: any. */
CQT_API int cqt_axis_limits(const cqt_axis *axis, double *min, double *max);

/* cqt_axis_speed:
 * Returns: the configured speed; NaN for NULL. Thread: any. */
CQT_API double cqt_axis_speed(const cqt_axis *axis);

/* cqt_axis_reached_event:
 * Returns: the event cleared by each accepted move and set when the axis
 * arrived at its target (after position_reached was emitted). Transfer
 * none, valid as long as @axis; do not free it. NULL for NULL.
 * Thread: any. */
CQT_API cqt_event *cqt_axis_reached_event(cqt_axis *axis);

/* cqt_axis_settled_event:
 * Returns: the event cleared by each accepted move and set when the move
 * ended in a way the controller reports: arrival, a completed stop, or an
 * error fault. A stall or a dropped signal never sets it. Transfer none,
 * valid as long as @axis. NULL for NULL. Thread: any.
 * The axis sets both events in its thread. A when_all/any whose receiver
 * is already gone when such a set completes it runs its destroy inside
 * that set (cqt/event.h), so in the axis thread: that destroy may call
 * the axis (read it, move it, free it) as a slot of the axis may. */
CQT_API cqt_event *cqt_axis_settled_event(cqt_axis *axis);

/* cqt_axis_position_changed:
 * Returns: the axis' position_changed signal (a double, the position, at
 * each update while moving; see the top of this file); NULL for NULL.
 * Transfer none: valid as long as @axis, freed with it. Thread: any; it is
 * emitted in the axis thread. */
CQT_API cqt_signal *cqt_axis_position_changed(cqt_axis *axis);

/* cqt_axis_position_reached:
 * Returns: the axis' position_reached signal (a double, the position, on
 * arrival; see the top of this file); NULL for NULL. Transfer none: valid
 * as long as @axis, freed with it. Thread: any; it is emitted in the axis
 * thread. */
CQT_API cqt_signal *cqt_axis_position_reached(cqt_axis *axis);

/* cqt_axis_stopped:
 * Returns: the axis' stopped signal (a double, the position, when a
 * cqt_axis_stop() completes; see the top of this file); NULL for NULL.
 * Transfer none: valid as long as @axis, freed with it. Thread: any; it is
 * emitted in the axis thread. */
CQT_API cqt_signal *cqt_axis_stopped(cqt_axis *axis);

/* cqt_axis_faulted:
 * Returns: the axis' faulted signal (an error value, CQT_EFAULT; see the
 * top of this file); NULL for NULL. Transfer none: valid as long as @axis,
 * freed with it. Thread: any; it is emitted in the axis thread. */
CQT_API cqt_signal *cqt_axis_faulted(cqt_axis *axis);

/* cqt_axis_inject_fault:
 * Arms @fault (see the top of this file); CQT_AXIS_FAULT_NONE is
 * cqt_axis_clear_fault(). Replaces a fault armed before.
 * Returns: CQT_OK; CQT_EINVAL for NULL or an unknown fault; over a link,
 * CQT_EFAULT when the link is lost (the fault is sent as a FAULT command:
 * see the top of this file).
 * Thread: any; takes effect at the next update. */
CQT_API int cqt_axis_inject_fault(cqt_axis *axis, cqt_axis_fault fault);

/* cqt_axis_clear_fault:
 * Disarms the fault; a stalled or faulted axis becomes CQT_AXIS_STOPPED
 * where it is (it does not resume: move it again).
 * Returns: CQT_OK; CQT_EINVAL for NULL. Thread: any. */
CQT_API int cqt_axis_clear_fault(cqt_axis *axis);

#ifdef __cplusplus
}
#endif

#endif /* CQT_AXIS_H */
