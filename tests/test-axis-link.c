/* SPDX-License-Identifier: MIT */
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
static bool is_faulted(void *arg)
{
    return cqt_axis_get_state(arg) == CQT_AXIS_FAULTED;
}

static void expect_fault(cqt_axis *a, const char *needle)
{
    ck_assert_int_eq(cqt_event_wait(cqt_axis_settled_event(a), T), CQT_OK);
    /* An axis at rest has its settled event set already. */
    ck_assert(cqt_test_run_until(is_faulted, a, T));
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
    /* The link first: it lives on until its last axis goes (the fixture
     * checks that nothing is left). */
    cqt_axis_link_free(l);
    ck_assert_int_eq(cqt_axis_link_get_state(l), CQT_AXIS_LINK_CONNECTED);
    ck_assert_int_eq(cqt_axis_move_to(a, 0), CQT_OK);
    ck_assert_int_eq(cqt_event_wait(cqt_axis_reached_event(a), T), CQT_OK);
    cqt_axis_free(a);
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

/* ---- faults from a scripted controller (fd:N over a socketpair) -------- */

typedef struct fake {
    int sv[2]; /* sv[0]: the link's fd; sv[1]: the controller's end */
    char buf[2048];
    size_t n;
} fake;

static cqt_axis_link *fake_open(fake *f, int reply_ms)
{
    memset(f, 0, sizeof *f);
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, f->sv), 0);
    /* The HELLO reply is waiting before the link asks for it. */
    const char *hello = "HELLO CQTAXIS 1 x y\n";
    ck_assert_int_eq(write(f->sv[1], hello, strlen(hello)), (ssize_t)strlen(hello));
    char addr[32];
    snprintf(addr, sizeof addr, "fd:%d", f->sv[0]);
    return open_link(addr, reply_ms);
}

/* The next command the link sent, skipping the HELLO exchange. */
static void fake_expect(fake *f, const char *want)
{
    long long deadline = 0;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    deadline = (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 + T;
    for (;;) {
        char *nl = memchr(f->buf, '\n', f->n);
        while (nl) {
            size_t len = (size_t)(nl - f->buf);
            char line[256];
            snprintf(line, sizeof line, "%.*s", (int)len, f->buf);
            memmove(f->buf, nl + 1, f->n - len - 1);
            f->n -= len + 1;
            if (*line && strcmp(line, "HELLO 1")) {
                ck_assert_msg(!strcmp(line, want), "the link sent '%s', want '%s'", line, want);
                return;
            }
            nl = memchr(f->buf, '\n', f->n);
        }
        clock_gettime(CLOCK_MONOTONIC, &ts);
        long long left = deadline - ((long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
        ck_assert_msg(left > 0, "the link never sent '%s'", want);
        struct pollfd p = {.fd = f->sv[1], .events = POLLIN};
        if (poll(&p, 1, (int)left) <= 0)
            continue;
        ssize_t k = read(f->sv[1], f->buf + f->n, sizeof f->buf - f->n);
        ck_assert_msg(k > 0, "the link closed before sending '%s'", want);
        f->n += (size_t)k;
    }
}

static void fake_send(fake *f, const char *s)
{
    ck_assert_int_eq(write(f->sv[1], s, strlen(s)), (ssize_t)strlen(s));
}

/* Both axes of the fake, their position queries answered. */
static void fake_axes(fake *f, cqt_axis_link *l, cqt_axis **x, cqt_axis **y)
{
    *x = link_axis(l, "x");
    fake_expect(f, "POS? x");
    fake_send(f, "POS x 0.000\n");
    *y = link_axis(l, "y");
    fake_expect(f, "POS? y");
    fake_send(f, "POS y 0.000\n");
}

/* x is moving and has reported 1.000. */
static void fake_moving(fake *f, cqt_axis *x)
{
    ck_assert_int_eq(cqt_axis_move_to(x, 5), CQT_OK);
    fake_expect(f, "MOVE x 5.000");
    fake_send(f, "OK x\n!POS x 1.000\n");
    double one = 1;
    void *p[2] = {x, &one};
    ck_assert(cqt_test_run_until(axis_past, p, T));
}

/* After a fault, clearing it makes the axis move again over the link. */
static void fake_recover(fake *f, cqt_axis *x)
{
    ck_assert_int_eq(cqt_axis_clear_fault(x), CQT_OK);
    fake_expect(f, "FAULT x CLEAR");
    fake_send(f, "OK x\n");
    ck_assert_int_eq(cqt_axis_move_to(x, 2), CQT_OK);
    fake_expect(f, "MOVE x 2.000");
    fake_send(f, "OK x\n!DONE x 2.000\n");
    ck_assert_int_eq(cqt_event_wait(cqt_axis_reached_event(x), T), CQT_OK);
    ck_assert(cqt_axis_position(x) == 2);
}

static void fake_close(fake *f, cqt_axis_link *l, cqt_axis *x, cqt_axis *y)
{
    cqt_axis_free(x);
    cqt_axis_free(y);
    cqt_axis_link_free(l);
    close(f->sv[0]); /* the caller's fd: the link never closes it */
    if (f->sv[1] >= 0)
        close(f->sv[1]);
}

/* A garbled line while x moves faults x (not the idle y), naming the line;
 * the link reads on, and x moves again once cleared. */
START_TEST(test_axis_link_fault_garbled_line)
{
    fake f;
    cqt_axis_link *l = fake_open(&f, T);
    cqt_axis *x, *y;
    fake_axes(&f, l, &x, &y);
    cqt_object *rx = cqt_object_new(cqt_axis_link_thread(l));
    fault_rec fr;
    fault_watch(&fr, x, rx);
    fake_moving(&f, x);
    fake_send(&f, "!POS x 2\001.0\n");
    expect_fault(x, "garbled line from the controller");
    int one = 1;
    void *p[2] = {&fr, &one};
    ck_assert(cqt_test_run_until(count_at_least, p, T));
    ck_assert_int_eq(fr.code, CQT_EFAULT);
    ck_assert_ptr_nonnull(strstr(fr.msg, "axis 'x'"));
    ck_assert_int_eq(cqt_axis_get_state(y), CQT_AXIS_IDLE);
    ck_assert_int_eq(cqt_axis_link_get_state(l), CQT_AXIS_LINK_CONNECTED);
    fake_recover(&f, x);
    cqt_object_free(rx);
    fake_close(&f, l, x, y);
}
END_TEST

/* A line over 128 bytes is dropped whole and faults the moving axis. */
START_TEST(test_axis_link_fault_oversized_line)
{
    fake f;
    cqt_axis_link *l = fake_open(&f, T);
    cqt_axis *x, *y;
    fake_axes(&f, l, &x, &y);
    fake_moving(&f, x);
    char big[400];
    memset(big, 'A', sizeof big - 2);
    big[sizeof big - 2] = '\n';
    big[sizeof big - 1] = '\0';
    fake_send(&f, big);
    expect_fault(x, "a line over 128 bytes");
    ck_assert_int_eq(cqt_axis_get_state(y), CQT_AXIS_IDLE);
    fake_recover(&f, x);
    fake_close(&f, l, x, y);
}
END_TEST

static void noop_call(void *ud)
{
    (void)ud;
}

static void on_traffic_ok(void *ud, const cqt_value *v)
{
    const char *line = cqt_value_get_string(v);
    if (line && !strcmp(line, "< OK"))
        cqt_event_set(ud);
}

/* A reply that never ends (a partial line) faults the command's axis at
 * the reply timeout, naming the command and the partial line. */
START_TEST(test_axis_link_fault_no_reply_partial_line)
{
    fake f;
    cqt_axis_link *l = fake_open(&f, 200);
    cqt_axis *x, *y;
    fake_axes(&f, l, &x, &y);
    ck_assert_int_eq(cqt_axis_move_to(x, 5), CQT_OK);
    fake_expect(&f, "MOVE x 5.000");
    fake_send(&f, "OK");
    expect_fault(x, "no reply to 'MOVE x 5.000' within 200 ms (partial line held: 'OK')");
    /* The late end of it, a reply to nothing: wait until the link has read
     * it (its traffic signal), so that it cannot strike y's move below. */
    cqt_event *late = cqt_event_new("late");
    cqt_object *rx = cqt_object_new(cqt_axis_link_thread(l));
    ck_assert(cqt_connect(cqt_axis_link_traffic(l), rx, on_traffic_ok, late, NULL, CQT_AUTO) != 0);
    fake_send(&f, "\n");
    ck_assert_int_eq(cqt_event_wait(late, T), CQT_OK);
    /* The traffic signal comes first; a call queued behind it runs once the
     * link is done with that line. */
    ck_assert_int_eq(cqt_invoke(rx, noop_call, NULL, CQT_BLOCKING_QUEUED), CQT_OK);
    cqt_object_free(rx);
    cqt_event_free(late);
    /* The link goes on: y still moves. */
    ck_assert_int_eq(cqt_axis_move_to(y, 1), CQT_OK);
    fake_expect(&f, "MOVE y 1.000");
    fake_send(&f, "OK y\n!DONE y 1.000\n");
    ck_assert_int_eq(cqt_event_wait(cqt_axis_reached_event(y), T), CQT_OK);
    fake_recover(&f, x);
    fake_close(&f, l, x, y);
}
END_TEST

/* ERR answering a command faults its axis with the controller's code and
 * message; !ERR * faults every axis. */
START_TEST(test_axis_link_fault_err_reply_and_notification)
{
    fake f;
    cqt_axis_link *l = fake_open(&f, T);
    cqt_axis *x, *y;
    fake_axes(&f, l, &x, &y);
    ck_assert_int_eq(cqt_axis_move_to(x, 5), CQT_OK);
    fake_expect(&f, "MOVE x 5.000");
    fake_send(&f, "ERR x 4 beyond the travel\n");
    expect_fault(x, "the controller refused 'MOVE x 5.000': ERR 4 beyond the travel");
    ck_assert_int_eq(cqt_axis_get_state(y), CQT_AXIS_IDLE);
    fake_recover(&f, x);
    fake_send(&f, "!ERR * 100 drive overheated\n");
    expect_fault(x, "!ERR * 100 drive overheated");
    expect_fault(y, "!ERR * 100 drive overheated");
    fake_close(&f, l, x, y);
}
END_TEST

static void on_state(void *ud, const cqt_value *v)
{
    cqt_test_counter_add(ud, cqt_value_get_int(v) == CQT_AXIS_LINK_LOST ? 1 : 1000);
}

static bool counter_at_least_one(void *arg)
{
    return cqt_test_counter_get(arg) >= 1;
}

/* The controller's end closing mid-move faults every axis on the link at
 * once, with "connection lost" and the last reported position; the link
 * is lost, says so in state_changed, and an fd link cannot reconnect. */
START_TEST(test_axis_link_fault_connection_dropped)
{
    fake f;
    cqt_axis_link *l = fake_open(&f, T);
    cqt_axis *x, *y;
    fake_axes(&f, l, &x, &y);
    cqt_test_counter lost = {0};
    cqt_object *rx = cqt_object_new(NULL);
    ck_assert(cqt_connect(cqt_axis_link_state_changed(l), rx, on_state, &lost, NULL, CQT_AUTO) != 0);
    fake_moving(&f, x);
    fake_send(&f, "!POS x 2.500\n");
    double p25 = 2.5;
    void *p[2] = {x, &p25};
    ck_assert(cqt_test_run_until(axis_past, p, T));
    close(f.sv[1]);
    f.sv[1] = -1;
    expect_fault(x, "connection lost to fd:");
    expect_fault(x, "at last reported position 2.500");
    expect_fault(y, "connection lost");
    ck_assert_int_eq(cqt_axis_link_get_state(l), CQT_AXIS_LINK_LOST);
    ck_assert(cqt_test_run_until(counter_at_least_one, &lost, T));
    ck_assert_int_eq(cqt_test_counter_get(&lost), 1);
    char msg[256];
    ck_assert_int_eq(cqt_axis_link_get_message(l, msg, sizeof msg), CQT_OK);
    ck_assert_ptr_nonnull(strstr(msg, "connection lost"));
    ck_assert_int_eq(cqt_axis_clear_fault(x), CQT_OK);
    ck_assert_int_eq(cqt_axis_move_to(x, 1), CQT_EFAULT);
    ck_assert_ptr_nonnull(strstr(cqt_last_error(), "cqt_axis_link_reconnect"));
    ck_assert_int_eq(cqt_axis_link_reconnect(l), CQT_ESTATE);
    cqt_object_free(rx);
    fake_close(&f, l, x, y);
}
END_TEST

/* An axis freed while its command is in flight: the reply that comes
 * afterwards is still that command's, not a garbled line that would fault
 * the other axes on the link. */
START_TEST(test_axis_link_free_with_command_in_flight)
{
    fake f;
    cqt_axis_link *l = fake_open(&f, T);
    cqt_axis *x, *y;
    fake_axes(&f, l, &x, &y);
    ck_assert_int_eq(cqt_axis_move_to(y, 5), CQT_OK);
    fake_expect(&f, "MOVE y 5.000");
    fake_send(&f, "OK y\n");
    ck_assert_int_eq(cqt_axis_move_to(x, 3), CQT_OK);
    fake_expect(&f, "MOVE x 3.000");
    cqt_axis_free(x);
    fake_send(&f, "OK x\n!DONE y 5.000\n");
    ck_assert_int_eq(cqt_event_wait(cqt_axis_reached_event(y), T), CQT_OK);
    ck_assert_int_eq(cqt_axis_get_state(y), CQT_AXIS_IDLE);
    cqt_axis_free(y);
    cqt_axis_link_free(l);
    close(f.sv[0]);
    close(f.sv[1]);
}
END_TEST

typedef struct self_free {
    cqt_axis_link *link;
    cqt_event *done;
} self_free;

static void free_link_on_lost(void *ud, const cqt_value *v)
{
    self_free *f = ud;
    if (cqt_value_get_int(v) != CQT_AXIS_LINK_LOST)
        return;
    cqt_axis_link_free(f->link);
    cqt_event_set(f->done);
}

/* The link freed from its own state_changed slot, in its own thread, when
 * the peer is gone: the release waits for the slot to return; nothing is
 * left afterwards (the fixture checks the live counts). */
START_TEST(test_axis_link_free_from_its_own_slot)
{
    fake f;
    cqt_axis_link *l = fake_open(&f, T);
    cqt_object *in_link = cqt_object_new(cqt_axis_link_thread(l));
    self_free sf = {l, cqt_event_new("freed")};
    ck_assert(cqt_connect(cqt_axis_link_state_changed(l), in_link, free_link_on_lost, &sf, NULL, CQT_DIRECT) != 0);
    close(f.sv[1]);
    ck_assert_int_eq(cqt_event_wait(sf.done, T), CQT_OK);
    cqt_object_free(in_link);
    cqt_event_free(sf.done);
    close(f.sv[0]);
}
END_TEST

/* ---- faults with the simulator ----------------------------------------- */

/* An injected ERROR is sent as FAULT: the next command is answered ERR and
 * faults the axis; clear_fault clears it on both sides. */
START_TEST(test_axis_link_fault_injected_error)
{
    axis_sim *sim = axis_sim_start(_i == 1, 0, sim_args);
    cqt_axis_link *l = open_link(axis_sim_address(sim), T);
    cqt_axis *a = link_axis(l, "z");
    ck_assert_int_eq(cqt_axis_inject_fault(a, CQT_AXIS_FAULT_ERROR), CQT_OK);
    ck_assert(axis_sim_wait_log(sim, "recv: FAULT z ERROR", T));
    ck_assert_int_eq(cqt_axis_move_to(a, 3), CQT_OK);
    expect_fault(a, "ERR 9 injected fault");
    ck_assert_int_eq(cqt_axis_clear_fault(a), CQT_OK);
    ck_assert_int_eq(cqt_axis_move_to(a, 3), CQT_OK);
    ck_assert_int_eq(cqt_event_wait(cqt_axis_reached_event(a), T), CQT_OK);
    ck_assert(cqt_axis_position(a) == 3);
    cqt_axis_free(a);
    cqt_axis_link_free(l);
    axis_sim_free(sim);
}
END_TEST

/* A stall injected over the link (FAULT y STALL) and a per-axis timeout:
 * the stage reports y timed out, names y only, and x and z arrive. */
START_TEST(test_axis_link_stage_stall_per_axis_timeout)
{
    axis_sim *sim = axis_sim_start(_i == 1, 0, sim_args);
    cqt_axis_link *l = open_link(axis_sim_address(sim), T);
    cqt_axis *axes[3] = {link_axis(l, "x"), link_axis(l, "y"), link_axis(l, "z")};
    cqt_stage *st = cqt_stage_new(axes, 3);
    ck_assert_int_eq(cqt_stage_set_axis_timeout(st, 1, 300), CQT_OK);
    ck_assert_int_eq(cqt_axis_inject_fault(axes[1], CQT_AXIS_FAULT_STALL), CQT_OK);
    ck_assert(axis_sim_wait_log(sim, "recv: FAULT y STALL", T));
    const double targets[3] = {3, 40, -2};
    cqt_stage_report rep;
    ck_assert_int_eq(cqt_stage_move_to(st, targets, CQT_STAGE_PARALLEL, T, &rep), CQT_ETIMEDOUT);
    ck_assert_int_eq(rep.axes[0].outcome, CQT_STAGE_REACHED);
    ck_assert_int_eq(rep.axes[1].outcome, CQT_STAGE_TIMED_OUT);
    ck_assert_int_eq(rep.axes[2].outcome, CQT_STAGE_REACHED);
    ck_assert_int_eq(rep.axes[1].timeout_ms, 300);
    ck_assert_msg(strstr(rep.message, "y did not reach 40.000 within 300 ms"), "%s", rep.message);
    ck_assert_ptr_null(strstr(rep.message, "x "));
    ck_assert_ptr_null(strstr(rep.message, "z "));
    /* Cleared, y moves again. */
    ck_assert_int_eq(cqt_stage_stop(st), CQT_OK);
    ck_assert_int_eq(cqt_axis_clear_fault(axes[1]), CQT_OK);
    ck_assert(axis_sim_wait_log(sim, "recv: FAULT y CLEAR", T));
    ck_assert_int_eq(cqt_axis_move_to(axes[1], 1), CQT_OK);
    ck_assert_int_eq(cqt_event_wait(cqt_axis_reached_event(axes[1]), T), CQT_OK);
    cqt_stage_free(st);
    for (int i = 0; i < 3; i++)
        cqt_axis_free(axes[i]);
    cqt_axis_link_free(l);
    axis_sim_free(sim);
}
END_TEST

typedef struct killer {
    cqt_event *moving;
    axis_sim *sim;
} killer;

static void on_pos_kill_gate(void *ud, const cqt_value *v)
{
    if (cqt_value_get_double(v) >= 20)
        cqt_event_set(ud);
}

static void *killer_main(void *arg)
{
    killer *k = arg;
    if (cqt_event_wait(k->moving, T) == CQT_OK)
        kill(axis_sim_pid(k->sim), SIGKILL);
    return NULL;
}

/* The simulator killed (SIGKILL) while a stage moves three axes over the
 * link: the blocking stage move returns, every axis faulted with
 * "connection lost", nothing hangs; the fixture checks that the live
 * counts are back to zero after the frees. */
START_TEST(test_axis_link_sigkill_mid_move)
{
    axis_sim *sim = axis_sim_start(_i == 1, 0, sim_args);
    cqt_axis_link *l = open_link(axis_sim_address(sim), T);
    cqt_axis *axes[3] = {link_axis(l, "x"), link_axis(l, "y"), link_axis(l, "z")};
    cqt_stage *st = cqt_stage_new(axes, 3);
    ck_assert_ptr_nonnull(st);
    killer k = {cqt_event_new("moving"), sim};
    cqt_object *in_link = cqt_object_new(cqt_axis_link_thread(l));
    ck_assert(cqt_connect(cqt_axis_position_changed(axes[2]), in_link, on_pos_kill_gate, k.moving, NULL,
                          CQT_AUTO) != 0);
    pthread_t th;
    ck_assert_int_eq(pthread_create(&th, NULL, killer_main, &k), 0);
    double targets[3] = {90000, -90000, 90000};
    cqt_stage_report rep;
    int rc = cqt_stage_move_to(st, targets, CQT_STAGE_PARALLEL, 4 * T, &rep);
    pthread_join(th, NULL);
    ck_assert_msg(rc == CQT_EFAULT, "stage move: %s (%s)", cqt_status_name(rc), rep.message);
    for (int i = 0; i < 3; i++) {
        ck_assert_int_eq(rep.axes[i].outcome, CQT_STAGE_FAULTED);
        ck_assert_msg(strstr(rep.axes[i].detail, "connection lost"), "axis %d: %s", i, rep.axes[i].detail);
        expect_fault(axes[i], "connection lost");
    }
    ck_assert_ptr_nonnull(strstr(rep.message, "connection lost"));
    ck_assert_int_eq(cqt_axis_link_get_state(l), CQT_AXIS_LINK_LOST);
    axis_sim_kill(sim, SIGKILL); /* reap it */
    cqt_stage_free(st);
    for (int i = 0; i < 3; i++)
        cqt_axis_free(axes[i]);
    cqt_axis_link_free(l);
    cqt_object_free(in_link);
    cqt_event_free(k.moving);
    axis_sim_free(sim);
}
END_TEST

/* The controller restarting (TCP: a new simulator on the same port): every
 * axis faulted at once; cqt_axis_link_reconnect() and clear_fault make the
 * axis move again, on the new controller. */
START_TEST(test_axis_link_controller_restart_and_reconnect)
{
    axis_sim *sim = axis_sim_start(true, 0, sim_args);
    int port = axis_sim_port(sim);
    cqt_axis_link *l = open_link(axis_sim_address(sim), T);
    cqt_axis *a = link_axis(l, "w");
    ck_assert_int_eq(cqt_axis_move_to(a, 4), CQT_OK);
    ck_assert_int_eq(cqt_event_wait(cqt_axis_reached_event(a), T), CQT_OK);
    axis_sim_kill(sim, SIGTERM);
    expect_fault(a, "connection lost");
    ck_assert_int_eq(cqt_axis_link_reconnect(l), CQT_EFAULT); /* nobody listens */
    ck_assert_ptr_nonnull(strstr(cqt_last_error(), "connection refused"));
    axis_sim *sim2 = axis_sim_start(true, port, sim_args);
    ck_assert_int_eq(cqt_axis_link_reconnect(l), CQT_OK);
    ck_assert_int_eq(cqt_axis_link_get_state(l), CQT_AXIS_LINK_CONNECTED);
    ck_assert_int_eq(cqt_axis_move_to(a, 1), CQT_EFAULT); /* still faulted */
    ck_assert_int_eq(cqt_axis_clear_fault(a), CQT_OK);
    ck_assert_int_eq(cqt_axis_move_to(a, 1), CQT_OK);
    ck_assert_int_eq(cqt_event_wait(cqt_axis_reached_event(a), T), CQT_OK);
    ck_assert(axis_sim_wait_log(sim2, "recv: MOVE w 1.000", T));
    cqt_axis_free(a);
    cqt_axis_link_free(l);
    axis_sim_free(sim);
    axis_sim_free(sim2);
}
END_TEST

/* ---- many moves -------------------------------------------------------- */

typedef struct burst {
    cqt_axis *axis;
    int done;
    int rc;
} burst;

static void *burst_main(void *arg)
{
    burst *b = arg;
    for (int i = 0; i < 250; i++) {
        double target = (i % 2) ? -(double)(i % 7) - 0.5 : (double)(i % 5) + 0.25;
        b->rc = cqt_axis_move_to(b->axis, target);
        if (b->rc == CQT_OK)
            b->rc = cqt_event_wait(cqt_axis_reached_event(b->axis), T);
        if (b->rc != CQT_OK || cqt_axis_position(b->axis) != target)
            return NULL;
        b->done++;
    }
    return NULL;
}

/* 1,000 moves in a row from 4 threads, one axis each, over one link: every
 * move is answered and arrives; none is lost. */
START_TEST(test_axis_link_1000_moves_from_4_threads)
{
    axis_sim *sim = axis_sim_start(_i == 1, 0, sim_args);
    cqt_axis_link *l = open_link(axis_sim_address(sim), T);
    const char *names[4] = {"x", "y", "z", "w"};
    burst b[4];
    pthread_t th[4];
    for (int i = 0; i < 4; i++) {
        b[i] = (burst){link_axis(l, names[i]), 0, 0};
        ck_assert_int_eq(pthread_create(&th[i], NULL, burst_main, &b[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        ck_assert_msg(b[i].done == 250, "axis %s: %d moves arrived, then %s (%s)", names[i], b[i].done,
                      cqt_status_name(b[i].rc), cqt_last_error());
    }
    for (int i = 0; i < 4; i++)
        cqt_axis_free(b[i].axis);
    cqt_axis_link_free(l);
    /* Every MOVE was answered; its log line may still be in the pipe. */
    ck_assert_int_eq(axis_sim_wait_log_count(sim, "recv: MOVE", 1000, T), 1000);
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
    tcase_add_test(tc, test_axis_link_fault_garbled_line);
    tcase_add_test(tc, test_axis_link_fault_oversized_line);
    tcase_add_test(tc, test_axis_link_fault_no_reply_partial_line);
    tcase_add_test(tc, test_axis_link_fault_err_reply_and_notification);
    tcase_add_test(tc, test_axis_link_fault_connection_dropped);
    tcase_add_test(tc, test_axis_link_free_with_command_in_flight);
    tcase_add_test(tc, test_axis_link_free_from_its_own_slot);
    tcase_add_loop_test(tc, test_axis_link_fault_injected_error, 0, 2);
    tcase_add_loop_test(tc, test_axis_link_stage_stall_per_axis_timeout, 0, 2);
    tcase_add_loop_test(tc, test_axis_link_sigkill_mid_move, 0, 2);
    tcase_add_test(tc, test_axis_link_controller_restart_and_reconnect);
    tcase_add_loop_test(tc, test_axis_link_1000_moves_from_4_threads, 0, 2);
    suite_add_tcase(s, tc);
    return s;
}
