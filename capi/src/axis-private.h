/* SPDX-License-Identifier: MIT */
/* axis-private.h — what axis.c (the axis) and axis-link.c (the controller
 * connection) tell each other. Never installed.
 *
 * Threads: every cqt__axis_link_* call marked "link thread" runs in the
 * link's thread, which is also the thread of every axis on it. The link
 * calls cqt__axis_on_link() without holding its own mutex; axis.c calls
 * the link without holding the axis mutex. So the two locks never nest.
 */
#ifndef CQT_AXIS_PRIVATE_H
#define CQT_AXIS_PRIVATE_H

#include <cqt/axis.h>
#include <cqt/axislink.h>

/* What the link reports to an axis. */
typedef enum cqt__axis_link_ev {
    CQT__AXL_POS,       /* !POS: a position on the way */
    CQT__AXL_POS_REPLY, /* the reply to POS?: where it is (after a (re)connect) */
    CQT__AXL_DONE,      /* !DONE: arrived at @pos */
    CQT__AXL_STOPPED,   /* !STOPPED, or the OK of a STOP for an axis at rest */
    CQT__AXL_FAULT      /* a fault of the link or the controller; @msg says which */
} cqt__axis_link_ev;

/* What an axis asks of the link. */
typedef enum cqt__axis_link_cmd {
    CQT__AXL_MOVE,
    CQT__AXL_STOP
} cqt__axis_link_cmd;

/* Called by cqt_axis_new(): takes a reference on @link and claims the
 * controller axis @remote for @axis. Returns the slot (>= 0) or a status
 * with cqt_last_error() set. Thread: any. */
int cqt__axis_link_attach(cqt_axis_link *link, cqt_axis *axis, const char *remote);
/* Gives the slot up (the axis is being released). Link thread, or any
 * thread once the link's loop has ended. */
void cqt__axis_link_detach(cqt_axis_link *link, int slot);
/* Drops the reference attach took; may free the link. Thread: any. */
void cqt__axis_link_unref(cqt_axis_link *link);
/* Hands the axis' last accepted command to the link. Link thread.
 * Returns CQT_OK; 1 when a STOP finds the controller axis at rest (the
 * axis halts at once); CQT_EFAULT when the link is lost, with @why filled. */
int cqt__axis_link_submit(cqt_axis_link *link, int slot, cqt__axis_link_cmd cmd, double target, char *why,
                          size_t why_size);
/* Sends FAULT <axis> <fault> for cqt_axis_inject_fault()/clear_fault().
 * Returns CQT_OK or CQT_EFAULT (lost). Thread: any. */
int cqt__axis_link_send_fault(cqt_axis_link *link, int slot, cqt_axis_fault fault, bool clear);
/* Whether commands can flow; fills @why (nullable) when not. Thread: any. */
bool cqt__axis_link_usable(const cqt_axis_link *link, char *why, size_t why_size);

/* The link's report to @axis. Link thread. */
void cqt__axis_on_link(cqt_axis *axis, cqt__axis_link_ev ev, double pos, const char *msg);

#endif /* CQT_AXIS_PRIVATE_H */
