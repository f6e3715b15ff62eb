/* SPDX-License-Identifier: MIT */
/* axis-sim-child.h — cqt-axis-sim as a real child process for the suites
 * that drive axes over a link (test-axis-link.c, and test-axis.c and
 * test-stage.c when CQT_TEST_AXIS_LINK is "pty" or "tcp").
 *
 * Unlike test-axis-sim.c, which reads the simulator from the test's own
 * thread while nothing else runs, these tests run cqt loops while the
 * simulator talks, so a helper thread drains its stderr into a bounded log
 * (it never blocks on a full pipe) and a condition variable wakes whoever
 * waits for a log line. */
#ifndef CQT_AXIS_SIM_CHILD_H
#define CQT_AXIS_SIM_CHILD_H

#include <stdbool.h>
#include <sys/types.h>

#include <cqt/cqt.h>

typedef struct axis_sim axis_sim;

/* Starts $CQT_AXIS_SIM on a pty (@tcp false) or TCP port @port (0: any),
 * with @args (NULL-terminated, nullable) added; waits for its link line
 * on stdout. Fails the test when it cannot. */
axis_sim *axis_sim_start(bool tcp, int port, const char *const *args);
/* "tcp:127.0.0.1:PORT" or "serial:/dev/pts/N". */
const char *axis_sim_address(const axis_sim *s);
int axis_sim_port(const axis_sim *s);
pid_t axis_sim_pid(const axis_sim *s);
/* Waits until the log holds @needle after the last line waited for (up to
 * @timeout_ms); true when it does. */
bool axis_sim_wait_log(axis_sim *s, const char *needle, int timeout_ms);
/* How many times @needle is in the whole log. */
int axis_sim_count_log(axis_sim *s, const char *needle);
/* The log is read from the simulator's stderr by a thread: a line the
 * simulator wrote before its last reply may still be in the pipe. Waits
 * until @needle occurs @n times, the simulator's stderr ends or
 * @timeout_ms pass; returns the count then. */
int axis_sim_wait_log_count(axis_sim *s, const char *needle, int n, int timeout_ms);
/* The log so far (a copy in a static buffer), for failure messages. */
const char *axis_sim_log(axis_sim *s);
/* Sends @sig and reaps the child. */
void axis_sim_kill(axis_sim *s, int sig);
/* Kills (SIGKILL) if still running, joins the drainer, frees. NULL ok. */
void axis_sim_free(axis_sim *s);

/* Link mode of the axis and stage suites: CQT_TEST_AXIS_LINK=pty|tcp.
 * axis_test_link_mode() says whether it is on; the fixture starts the
 * simulator (axes AXIS_TEST_LINK_AXES) and one link before each test and frees them
 * (before the app's teardown checks the live counts) after it. */
bool axis_test_link_mode(void);
const char *axis_test_link_kind(void); /* "pty", "tcp" or "sim" */
void axis_test_link_setup(void);
void axis_test_link_teardown(void);
cqt_axis_link *axis_test_link(void);
/* The simulator's axes in link mode: every name the suites give an axis. */
#define AXIS_TEST_LINK_AXES "x,y,z,a,b,s,w,v"
/* cqt_axis_new(@c) in the current mode: over the link, driving the
 * controller axis of the axis' name, in the link's thread (c->thread is
 * ignored: an axis on a link lives in the link's thread). */
cqt_axis *axis_test_new(cqt_axis_config *c);

#endif /* CQT_AXIS_SIM_CHILD_H */
