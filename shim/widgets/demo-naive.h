/* SPDX-License-Identifier: MIT */
/* demo-naive.h — DEMO ONLY, never installed: pitfall P1 reproduced with raw
 * Qt for cqt-stage-demo's "naive QTimer" switch and tests/gui. Built into
 * the private static library cqt-demo-naive (shim/widgets/meson.build),
 * which the demo and the tests link; no installed library exports it, so
 * it is no part of cqt's API or ABI. */
#ifndef CQT_DEMO_NAIVE_H
#define CQT_DEMO_NAIVE_H

#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A deliberately WRONG axis, for cqt-stage-demo's "naive QTimer" switch
 * and for tests that show pitfall P1 live. Do not copy this pattern: it is
 * the raw-Qt mistake cqt exists to remove. The axis is a QObject living in
 * a QThread of its own, moved by a QTimer living there;
 * cqt_demo_naive_axis_move_to() calls QTimer::start() right from the
 * calling thread, as naive Qt code does. From any thread but the axis'
 * own, Qt refuses with the warning "QObject::startTimer: Timers cannot be
 * started from another thread" (it reaches cqt's message handler,
 * category "qt"), returns nothing to the caller, and the axis never moves.
 * cqt's axes (cqt_axis_move_to) marshal the start to the axis' thread
 * instead. These functions touch no widget: Thread: any. */

typedef struct cqt_demo_naive_axis cqt_demo_naive_axis;

/* cqt_demo_naive_axis_new:
 * Starts a QThread named "naive-NAME" (@name nullable, copied) with the
 * axis in it, at @position, moving at @speed (> 0) units per simulated
 * second, simulated time running @time_scale (> 0) times the real one.
 * Returns: transfer full, release with cqt_demo_naive_axis_free(); NULL
 * on failure (CQT_EINVAL for a bad number, CQT_ESTATE with no app).
 * Thread: any. */
cqt_demo_naive_axis *cqt_demo_naive_axis_new(const char *name, double position,
                                             double speed, double time_scale);

/* cqt_demo_naive_axis_move_to:
 * The raw pattern: stores @target and calls QTimer::start() from the
 * calling thread. Qt reports nothing to the caller, so neither does this.
 * Returns: CQT_OK (even when Qt refused); CQT_EINVAL for NULL or a
 * non-finite @target. Thread: any (the point is that only the axis'
 * own thread works). */
int cqt_demo_naive_axis_move_to(cqt_demo_naive_axis *axis, double target);

/* cqt_demo_naive_axis_position:
 * Returns: the position now; NaN for NULL. Thread: any. */
double cqt_demo_naive_axis_position(const cqt_demo_naive_axis *axis);

/* cqt_demo_naive_axis_has_arrived:
 * Returns: true once a move reached its target; false for NULL.
 * Thread: any. */
bool cqt_demo_naive_axis_has_arrived(const cqt_demo_naive_axis *axis);

/* cqt_demo_naive_axis_free:
 * Deletes the axis in its thread, quits and joins the thread, frees the
 * handle. NULL is ignored. Call it before cqt_app_shutdown() (cqt does not
 * know this raw QThread). Thread: any. */
void cqt_demo_naive_axis_free(cqt_demo_naive_axis *axis);

#ifdef __cplusplus
}
#endif

#endif /* CQT_DEMO_NAIVE_H */
