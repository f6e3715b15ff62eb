/* test-axis-link.c — cqt_axis over a controller link (cqt/axislink.h):
 * against cqt-axis-sim as a real child process over a pty and over TCP
 * (loop index 0: pty, 1: TCP), and against a scripted controller on a
 * socketpair ("fd:N") for the line faults a well-behaved simulator cannot
 * produce (garbled, partial and oversized lines, a reply that never
 * comes). Waits are on events, the simulator's log lines and predicates,
 * bounded by generous deadlines; no sleeps, no timing asserts. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cqt/cqt.h>

#include "axis-sim-child.h"
#include "cqt-test.h"

#define T CQT_TEST_TIMEOUT_MS

static const char *const sim_args[] = {"--axes", "x,y,z,w", "--speed", "2000", "--report-ms", "10", NULL};

static cqt_axis_link *open_link(const char *address, int reply_ms)
{
    cqt_axis_link_config c;
    cqt_axis_link_config_init(&c);
    c.address = address;
    c.connect_timeout_ms = T;
    c.reply_timeout_ms = reply_ms;
    cqt_axis_link *l = cqt_axis_link_new(&c);
    ck_assert_msg(l != NULL, "cqt_axis_link_new(%s): %s", address, cqt_last_error());
    return l;
}

static cqt_axis *link_axis(cqt_axis_link *l, const char *name)
{
    cqt_axis_config c;
    cqt_axis_config_init(&c);
    c.name = name;
    c.link = l;
    cqt_axis *a = cqt_axis_new(&c);
    ck_assert_msg(a != NULL, "cqt_axis_new(%s): %s", name, cqt_last_error());
    return a;
}

/* What the faulted signal carried, seen in the link's thread. */
typedef struct fault_rec {
    pthread_mutex_t mu;
    int count;
    int code;
    char msg[256];
} fault_rec;

static void on_faulted(void *ud, const cqt_value *v)
{
    fault_rec *f = ud;
    pthread_mutex_lock(&f->mu);
    f->count++;
    f->code = cqt_value_get_error_code(v);
    const char *m = cqt_value_get_string(v);
    snprintf(f->msg, sizeof f->msg, "%s", m ? m : "");
    pthread_mutex_unlock(&f->mu);
}

static void fault_watch(fault_rec *f, cqt_axis *a, cqt_object *rx)
{
    memset(f, 0, sizeof *f);
    pthread_mutex_init(&f->mu, NULL);
    ck_assert(cqt_connect(cqt_axis_faulted(a), rx, on_faulted, f, NULL, CQT_AUTO) != 0);
}

static int fault_count(fault_rec *f)
{
    pthread_mutex_lock(&f->mu);
    int n = f->count;
    pthread_mutex_unlock(&f->mu);
    return n;
}

/* Waits until @a is faulted and its status message holds @needle. */
static void expect_fault(cqt_axis *a, const char *needle)
{
    ck_assert_int_eq(cqt_event_wait(cqt_axis_settled_event(a), T), CQT_OK);
    cqt_axis_status st;
    ck_assert_int_eq(cqt_axis_get_status(a, &st), CQT_OK);
    ck_assert_msg(st.state == CQT_AXIS_FAULTED, "axis '%s' is %s, not faulted", cqt_axis_name(a),
                  cqt_axis_state_name(st.state));
    ck_assert_msg(strstr(st.message, needle) && strstr(st.message, cqt_axis_name(a)),
                  "axis '%s': message '%s' lacks '%s'", cqt_axis_name(a), st.message, needle);
    ck_assert_int_eq(cqt_axis_move_to(a, 1), CQT_EFAULT);
}

static bool count_at_least(void *arg)
{
    void **p = arg;
    return fault_count(p[0]) >= *(int *)p[1];
}

static bool axis_past(void *arg)
{
    void **p = arg;
    return cqt_axis_position(p[0]) >= *(double *)p[1];
}

/* ---- over the simulator ----------------------------------------------- */

/* A move over the link answers at once, reports positions and arrives;
 * stop and retarget work; the traffic signal shows the lines. */
START_TEST(test_axis_link_move_stop_retarget)
{
    axis_sim *sim = axis_sim_start(_i == 1, 0, sim_args);
    cqt_axis_link *l = open_link(axis_sim_address(sim), T);
    ck_assert_int_eq(cqt_axis_link_get_state(l), CQT_AXIS_LINK_CONNECTED);
    ck_assert_int_eq(cqt_axis_link_axis_count(l), 4);
    char name[17];
    ck_assert_int_eq(cqt_axis_link_get_axis_name(l, 2, name, sizeof name), CQT_OK);
    ck_assert_str_eq(name, "z");
    cqt_axis *a = link_axis(l, "x");
    ck_assert(cqt_axis_thread(a) == cqt_axis_link_thread(l));

    ck_assert_int_eq(cqt_axis_move_to(a, 12.5), CQT_OK);
    ck_assert(cqt_axis_is_moving(a));
    ck_assert_int_eq(cqt_event_wait(cqt_axis_reached_event(a), T), CQT_OK);
    ck_assert(cqt_axis_position(a) == 12.5);
    ck_assert_int_eq(cqt_axis_get_state(a), CQT_AXIS_IDLE);
    ck_assert(axis_sim_wait_log(sim, "recv: MOVE x 12.500", T));

    /* Stop mid-move. */
    ck_assert_int_eq(cqt_axis_move_to(a, 50000), CQT_OK);
    double past = 20;
    void *pp[2] = {a, &past};
    ck_assert(cqt_test_run_until(axis_past, pp, T)); /* a !POS on the way */
    ck_assert_int_eq(cqt_axis_stop(a), CQT_OK);
    ck_assert_int_eq(cqt_event_wait(cqt_axis_settled_event(a), T), CQT_OK);
    ck_assert_int_eq(cqt_axis_get_state(a), CQT_AXIS_STOPPED);
    double x = cqt_axis_position(a);
    ck_assert(x > 12.5 && x < 50000);
    ck_assert(cqt_axis_target(a) == x);

    /* Retarget mid-move: one arrival, at the second target. */
    ck_assert_int_eq(cqt_axis_move_to(a, 50000), CQT_OK);
    ck_assert_int_eq(cqt_axis_move_to(a, -3), CQT_OK);
    ck_assert_int_eq(cqt_event_wait(cqt_axis_reached_event(a), T), CQT_OK);
    ck_assert(cqt_axis_position(a) == -3);

    /* Soft limits are checked here: nothing reaches the controller. */
    cqt_axis_free(a);
    cqt_axis_config c;
    cqt_axis_config_init(&c);
    c.name = "y";
    c.link = l;
    c.min_position = -1;
    c.max_position = 1;
    a = cqt_axis_new(&c);
    ck_assert_ptr_nonnull(a);
    ck_assert_int_eq(cqt_axis_move_to(a, 2), CQT_ERANGE);
    ck_assert_ptr_nonnull(strstr(cqt_last_error(), "soft limits"));
    cqt_axis_free(a);
    cqt_axis_link_free(l);
    ck_assert_int_eq(axis_sim_count_log(sim, "recv: MOVE y"), 0);
    axis_sim_free(sim);
}
END_TEST

/* ---- moves from every kind of thread ----------------------------------- */

typedef struct mover {
    cqt_axis *axis;
    double target;
    int rc;
    cqt_event *done;
} mover;

static void mover_fn(void *ud)
{
    mover *m = ud;
    m->rc = cqt_axis_move_to(m->axis, m->target);
    cqt_event_set(m->done);
}

static void *mover_pthread(void *ud)
{
    mover_fn(ud);
    return NULL;
}

/* Moves from main, a plain pthread, a pool worker and another cqt thread
 * each reach the controller exactly once and arrive. */
START_TEST(test_axis_link_moves_from_every_thread)
{
    axis_sim *sim = axis_sim_start(_i == 1, 0, sim_args);
    cqt_axis_link *l = open_link(axis_sim_address(sim), T);
    cqt_axis *a = link_axis(l, "y");
    cqt_thread *other = cqt_thread_new("other");
    ck_assert_int_eq(cqt_thread_start(other), CQT_OK);
    cqt_object *in_other = cqt_object_new(other);

    const double targets[4] = {1.25, 2.5, 3.75, 5};
    for (int k = 0; k < 4; k++) {
        mover m = {a, targets[k], -100, cqt_event_new("moved")};
        pthread_t th;
        switch (k) {
        case 0:
            mover_fn(&m);
            break;
        case 1:
            ck_assert_int_eq(pthread_create(&th, NULL, mover_pthread, &m), 0);
            pthread_join(th, NULL);
            break;
        case 2:
            ck_assert_int_eq(cqt_pool_run(mover_fn, &m, NULL), CQT_OK);
            break;
        default:
            ck_assert_int_eq(cqt_invoke(in_other, mover_fn, &m, CQT_QUEUED), CQT_OK);
            break;
        }
        ck_assert_int_eq(cqt_event_wait(m.done, T), CQT_OK);
        ck_assert_int_eq(m.rc, CQT_OK);
        ck_assert_int_eq(cqt_event_wait(cqt_axis_reached_event(a), T), CQT_OK);
        ck_assert(cqt_axis_position(a) == targets[k]);
        char line[64];
        snprintf(line, sizeof line, "recv: MOVE y %.3f\n", targets[k]);
        ck_assert_msg(axis_sim_wait_log(sim, line, T), "no '%s' in the log:\n%s", line, axis_sim_log(sim));
        ck_assert_int_eq(axis_sim_count_log(sim, line), 1);
        cqt_event_free(m.done);
    }
    ck_assert_int_eq(cqt_pool_wait_idle(T), CQT_OK);
    cqt_axis_free(a);
    cqt_axis_link_free(l);
    cqt_object_free(in_other);
    cqt_thread_free(other);
    axis_sim_free(sim);
}
END_TEST

/* ---- bad configuration ------------------------------------------------- */

static void expect_bad(const char *address, int status, const char *needle)
{
    cqt_axis_link_config c;
    cqt_axis_link_config_init(&c);
    c.address = address;
    c.connect_timeout_ms = T;
    cqt_axis_link *l = cqt_axis_link_new(&c);
    ck_assert_msg(l == NULL, "cqt_axis_link_new(%s) succeeded", address ? address : "NULL");
    ck_assert_msg(strstr(cqt_last_error(), needle), "%s: '%s' lacks '%s'", address ? address : "NULL",
                  cqt_last_error(), needle);
    (void)status;
}

/* Unknown transport, "sim", missing device, bad baud, port out of range,
 * connection refused, not a terminal, a closed fd: NULL and a message
 * naming the fix; no thread or object is left behind. */
START_TEST(test_axis_link_bad_config)
{
    ck_assert_ptr_null(cqt_axis_link_new(NULL));
    expect_bad(NULL, CQT_EINVAL, "no address");
    expect_bad("usb:/dev/x", CQT_EINVAL, "unknown transport 'usb'");
    expect_bad("sim", CQT_EINVAL, "config.link NULL");
    ck_assert(cqt_axis_link_address_is_sim("sim"));
    ck_assert(cqt_axis_link_address_is_sim(NULL));
    ck_assert(!cqt_axis_link_address_is_sim("tcp:a:1"));
    expect_bad("serial:/dev/no-such-tty-here", CQT_EFAULT, "no device '/dev/no-such-tty-here'");
    expect_bad("serial:/dev/null,12345", CQT_EINVAL, "not a standard rate");
    expect_bad("serial:/dev/null,fast", CQT_EINVAL, "not a standard rate");
    expect_bad("serial:/dev/null", CQT_EFAULT, "not a serial device");
    expect_bad("tcp:127.0.0.1:70000", CQT_EINVAL, "out of range");
    expect_bad("tcp:127.0.0.1:0", CQT_EINVAL, "out of range");
    expect_bad("tcp:127.0.0.1:x", CQT_EINVAL, "not a number");
    expect_bad("tcp:127.0.0.1", CQT_EINVAL, "tcp:HOST:PORT");
    expect_bad("fd:987654", CQT_EINVAL, "not open");
    expect_bad("fd:-1", CQT_EINVAL, "fd:N");

    /* A port nobody listens on: bind one, close it, connect. */
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ck_assert_int_eq(bind(s, (struct sockaddr *)&sa, sizeof sa), 0);
    socklen_t len = sizeof sa;
    getsockname(s, (struct sockaddr *)&sa, &len);
    close(s);
    char addr[64];
    snprintf(addr, sizeof addr, "tcp:127.0.0.1:%d", ntohs(sa.sin_port));
    expect_bad(addr, CQT_EFAULT, "connection refused");

    /* The simulator refusing the session. */
    const char *args[] = {"--fault", "*:REFUSE", NULL};
    axis_sim *sim = axis_sim_start(false, 0, args);
    expect_bad(axis_sim_address(sim), CQT_EFAULT, "refused the session");
    axis_sim_free(sim);

    /* An axis the controller does not have. */
    sim = axis_sim_start(true, 0, sim_args);
    cqt_axis_link *l = open_link(axis_sim_address(sim), T);
    cqt_axis_config c;
    cqt_axis_config_init(&c);
    c.name = "q";
    c.link = l;
    ck_assert_ptr_null(cqt_axis_new(&c));
    ck_assert_ptr_nonnull(strstr(cqt_last_error(), "has no axis 'q' (it has: x y z w)"));
    cqt_axis *a = link_axis(l, "x");
    c.name = "x-again";
    c.remote_name = "x";
    ck_assert_ptr_null(cqt_axis_new(&c));
    ck_assert_ptr_nonnull(strstr(cqt_last_error(), "already driven by axis 'x'"));
    cqt_axis_free(a);
    cqt_axis_link_free(l);
    axis_sim_free(sim);
}
END_TEST

CQT_TEST_SUITE(axis_link_suite)
{
    Suite *s = suite_create("axis-link");
    TCase *tc = tcase_create("link");
    cqt_test_add_app_fixture(tc);
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, test_axis_link_move_stop_retarget, 0, 2);
    tcase_add_loop_test(tc, test_axis_link_moves_from_every_thread, 0, 2);
    tcase_add_test(tc, test_axis_link_bad_config);
    suite_add_tcase(s, tc);
    return s;
}
