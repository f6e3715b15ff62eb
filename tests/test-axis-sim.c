/* SPDX-License-Identifier: MIT */
/* test-axis-sim.c — cqt-axis-sim run as a real child process and spoken to
 * over a real pty and a real TCP connection: the HELLO exchange, moves
 * with their reports, stop, queries, the error replies to garbled and
 * oversized commands, each fault of docs/controller-protocol.md section 7,
 * and a clean exit on SIGTERM. Every wait is on a line from the simulator
 * (its link, stdout or stderr log), bounded by a generous deadline; no
 * sleeps, no timing asserts. Each test runs once per link (loop index 0:
 * pty, 1: TCP). */
#include "cqt-test.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "axis-proto.h"

extern char **environ;

#define DEADLINE_MS 30000 /* only bounds a failure; nothing waits this long when it works */

typedef struct {
    int fd;
    char buf[4096];
    size_t n;
    bool eof;
} stream;

typedef struct {
    pid_t pid;
    stream out, err; /* the child's stdout and stderr */
    char log[1 << 16]; /* everything read from stderr (truncated beyond) */
    size_t log_n, log_seen;
    bool tcp;
    char where[256]; /* the pty path or the port, from stdout */
    stream link;
} sim_child;

static sim_child C;

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Reads what is there on @s (non-blocking); stderr also goes to the log. */
static void pump(stream *s)
{
    if (s->fd < 0 || s->eof)
        return;
    char tmp[1024];
    size_t want = sizeof tmp;
    if (s != &C.err && sizeof s->buf - s->n < want)
        want = sizeof s->buf - s->n;
    ssize_t k = read(s->fd, tmp, want);
    if (k == 0 || (k < 0 && errno != EAGAIN && errno != EINTR)) {
        s->eof = true; /* EOF, or EIO: a pty whose master closed */
        return;
    }
    if (k < 0)
        return;
    if (s == &C.err) {
        size_t room = sizeof C.log - 1 - C.log_n;
        size_t m = (size_t)k < room ? (size_t)k : room;
        memcpy(C.log + C.log_n, tmp, m);
        C.log_n += m;
        C.log[C.log_n] = '\0';
        return;
    }
    memcpy(s->buf + s->n, tmp, (size_t)k);
    s->n += (size_t)k;
}

/* Waits until @s has data (or ends), draining the child's stderr so that
 * it never blocks on a full pipe. False at the deadline. */
static bool wait_readable(stream *s, long long deadline)
{
    for (;;) {
        struct pollfd p[2] = {{.fd = s->fd, .events = POLLIN}, {.fd = C.err.eof ? -1 : C.err.fd, .events = POLLIN}};
        long long left = deadline - now_ms();
        if (left <= 0)
            return false;
        int r = poll(p, 2, (int)left);
        if (r < 0 && errno == EINTR)
            continue;
        if (p[1].revents)
            pump(&C.err);
        if (s != &C.err && p[0].revents)
            return true;
        if (s == &C.err && p[1].revents)
            return true;
    }
}

/* The next line of @s, its '\n' included, into @line (NUL-terminated);
 * its length, or -1 at EOF or the deadline. */
static int read_line(stream *s, char *line, size_t size)
{
    long long deadline = now_ms() + DEADLINE_MS;
    for (;;) {
        char *nl = memchr(s->buf, '\n', s->n);
        if (nl) {
            size_t len = (size_t)(nl - s->buf) + 1;
            ck_assert_uint_lt(len, size);
            memcpy(line, s->buf, len);
            line[len] = '\0';
            memmove(s->buf, s->buf + len, s->n - len);
            s->n -= len;
            return (int)len;
        }
        ck_assert_msg(s->n < sizeof s->buf, "a line longer than %zu bytes", sizeof s->buf);
        if (s->eof || !wait_readable(s, deadline))
            return -1;
        pump(s);
    }
}

/* The next controller line, parsed; fails the test if it is not one. */
static void next_reply(axp_reply *r, char *raw, size_t size)
{
    int n = read_line(&C.link, raw, size);
    ck_assert_msg(n > 0, "no line from the simulator within %d ms (log:\n%s)", DEADLINE_MS, C.log);
    axp_error e = axp_parse_reply(raw, (size_t)n, r);
    ck_assert_msg(e == AXP_E_NONE, "garbled line from the simulator (%s): %s", axp_error_name(e), raw);
}

/* The next line that is not a !POS report. */
static void next_non_pos(axp_reply *r)
{
    char raw[512];
    do
        next_reply(r, raw, sizeof raw);
    while (r->kind == AXP_EV_POS);
}

static void wait_log(const char *needle)
{
    long long deadline = now_ms() + DEADLINE_MS;
    for (;;) {
        char *hit = strstr(C.log + C.log_seen, needle);
        if (hit) {
            C.log_seen = (size_t)(hit - C.log) + strlen(needle);
            return;
        }
        ck_assert_msg(!C.err.eof && wait_readable(&C.err, deadline),
                      "the simulator never logged '%s'; its log:\n%s", needle, C.log);
    }
}

static void send_str(const char *s, size_t n)
{
    ck_assert_int_eq(write(C.link.fd, s, n), (ssize_t)n);
}

static void send_line(const char *s)
{
    send_str(s, strlen(s));
}

/* Sends @cmd and expects the reply line @want exactly. */
static void expect(const char *cmd, const char *want)
{
    send_line(cmd);
    axp_reply r;
    char raw[512];
    do
        next_reply(&r, raw, sizeof raw);
    while (r.kind >= AXP_EV_POS && r.kind <= AXP_EV_STOPPED); /* notifications of earlier moves */
    ck_assert_msg(!strcmp(raw, want), "sent %s  got %s  want %s", cmd, raw, want);
}

static int connect_tcp(int port)
{
    int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ck_assert_int_ge(s, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(s, (struct sockaddr *)&a, sizeof a) != 0) {
        int e = errno;
        close(s);
        errno = e;
        return -1;
    }
    return s;
}

static void open_link(void)
{
    if (C.link.fd >= 0)
        close(C.link.fd);
    memset(&C.link, 0, sizeof C.link);
    if (C.tcp) {
        C.link.fd = connect_tcp(atoi(C.where));
        ck_assert_msg(C.link.fd >= 0, "connect to port %s: %s", C.where, strerror(errno));
    } else {
        C.link.fd = open(C.where, O_RDWR | O_NOCTTY | O_CLOEXEC);
        ck_assert_msg(C.link.fd >= 0, "open %s: %s", C.where, strerror(errno));
        struct termios t;
        ck_assert_int_eq(tcgetattr(C.link.fd, &t), 0);
        cfmakeraw(&t);
        ck_assert_int_eq(tcsetattr(C.link.fd, TCSANOW, &t), 0);
    }
    fcntl(C.link.fd, F_SETFL, fcntl(C.link.fd, F_GETFL) | O_NONBLOCK);
}

/* The simulator's next stdout line: where its (next) link is. */
static void read_where(void)
{
    char line[256];
    int n = read_line(&C.out, line, sizeof line);
    ck_assert_msg(n > 1, "the simulator printed no link on stdout; its log:\n%s", C.log);
    line[n - 1] = '\0';
    snprintf(C.where, sizeof C.where, "%s", line);
}

/* Starts the simulator on a pty (@tcp false) or TCP port 0 with @args
 * (NULL-terminated) added, without connecting. */
static void start_sim_only(bool tcp, const char *const *args)
{
    const char *exe = getenv("CQT_AXIS_SIM");
    ck_assert_msg(exe && *exe, "CQT_AXIS_SIM names no simulator (set by meson)");
    const char *argv[32] = {exe};
    int k = 1;
    if (tcp) {
        argv[k++] = "--tcp";
        argv[k++] = "0";
    } else {
        argv[k++] = "--pty";
    }
    for (; args && *args && k < 30; args++)
        argv[k++] = *args;
    argv[k] = NULL;
    memset(&C, 0, sizeof C);
    C.tcp = tcp;
    C.link.fd = -1;
    int out[2], err[2];
    ck_assert_int_eq(pipe2(out, O_CLOEXEC), 0);
    ck_assert_int_eq(pipe2(err, O_CLOEXEC), 0);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    posix_spawn_file_actions_adddup2(&fa, err[1], 2);
    int rc = posix_spawn(&C.pid, exe, &fa, NULL, (char *const *)argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    ck_assert_msg(rc == 0, "posix_spawn %s: %s", exe, strerror(rc));
    close(out[1]);
    close(err[1]);
    C.out.fd = out[0];
    C.err.fd = err[0];
    fcntl(C.out.fd, F_SETFL, O_NONBLOCK);
    fcntl(C.err.fd, F_SETFL, O_NONBLOCK);
    read_where();
}

static void start_sim(bool tcp, const char *const *args)
{
    start_sim_only(tcp, args);
    open_link();
    /* The HELLO exchange of the protocol: an empty line, then HELLO. */
    send_line("\n");
    expect("HELLO 1\n", "HELLO CQTAXIS 1 x y z\n");
}

/* Waits for the child to exit (its stderr ends first) and returns its
 * wait status. */
static int wait_exit(void)
{
    long long deadline = now_ms() + DEADLINE_MS;
    while (!C.err.eof) {
        ck_assert_msg(wait_readable(&C.err, deadline), "the simulator did not exit; log:\n%s", C.log);
        pump(&C.err);
    }
    int st = 0;
    ck_assert_int_eq(waitpid(C.pid, &st, 0), C.pid);
    C.pid = 0;
    return st;
}

static void teardown(void)
{
    if (C.pid > 0) {
        kill(C.pid, SIGKILL);
        waitpid(C.pid, NULL, 0);
        C.pid = 0;
    }
    if (C.link.fd >= 0)
        close(C.link.fd);
    if (C.out.fd > 0)
        close(C.out.fd);
    if (C.err.fd > 0)
        close(C.err.fd);
    memset(&C, 0, sizeof C);
}

/* The HELLO exchange names the protocol, its version and the axes; a
 * version below 1 is a bad number. */
START_TEST(test_axis_sim_hello)
{
    const char *args[] = {"--axes", "a,b2", NULL};
    start_sim_only(_i == 1, args);
    open_link();
    expect("HELLO 1\n", "HELLO CQTAXIS 1 a b2\n");
    expect("HELLO 7\n", "HELLO CQTAXIS 1 a b2\n"); /* the controller's highest at or below 7 */
    expect("HELLO 0\n", "ERR * 3 bad command (number)\n");
    wait_log("recv: HELLO 0");
}
END_TEST

/* A move answers OK, reports increasing positions on the way and ends with
 * one !DONE at the target; the queries then say where it is. */
START_TEST(test_axis_sim_move_reports_done)
{
    const char *args[] = {"--speed", "20", "--report-ms", "20", NULL};
    start_sim(_i == 1, args);
    expect("MOVE x 2\n", "OK x\n");
    axp_reply r;
    char raw[512];
    int reports = 0;
    double last = 0;
    for (;;) {
        next_reply(&r, raw, sizeof raw);
        ck_assert_str_eq(r.axis, "x");
        if (r.kind == AXP_EV_DONE)
            break;
        ck_assert_int_eq(r.kind, AXP_EV_POS);
        /* "< 2" would be wrong: positions go out with 3 decimals, so one
         * within 0.0005 of the target reads as 2.000 */
        ck_assert_msg(r.position > last && r.position <= 2, "report %d: %.3f after %.3f (%s)", reports,
                      r.position, last, raw);
        last = r.position;
        reports++;
    }
    ck_assert(r.position == 2.0);
    ck_assert_int_gt(reports, 0); /* 2 units at 20/s is 100 ms: several 20 ms reports */
    expect("POS? x\n", "POS x 2.000\n");
    expect("STATUS? x\n", "STATUS x IDLE 2.000 2.000\n");
    expect("STATUS? y\n", "STATUS y IDLE 0.000 0.000\n");
    /* A move to where the axis is: OK, then !DONE at once. */
    expect("MOVE x 2\n", "OK x\n");
    next_non_pos(&r);
    ck_assert_int_eq(r.kind, AXP_EV_DONE);
    wait_log("recv: MOVE x 2");
}
END_TEST

/* With --accel the axis ramps up and down and still ends exactly at the
 * target, with positions that only grow on the way; a retarget back ends
 * at the new target with one !DONE. */
START_TEST(test_axis_sim_accel_move)
{
    const char *args[] = {"--speed", "20", "--accel", "200", "--report-ms", "10", NULL};
    start_sim(_i == 1, args);
    expect("MOVE z 3\n", "OK z\n");
    axp_reply r;
    char raw[512];
    double last = 0;
    for (next_reply(&r, raw, sizeof raw); r.kind == AXP_EV_POS; next_reply(&r, raw, sizeof raw)) {
        /* <= 3: the ramp down ends in tiny steps, and a position within
         * 0.0005 of the target goes out as 3.000 (3 decimals) */
        ck_assert_msg(r.position > last && r.position <= 3, "%.3f after %.3f (%s)", r.position, last, raw);
        last = r.position;
    }
    ck_assert_int_eq(r.kind, AXP_EV_DONE);
    ck_assert(r.position == 3.0);
    expect("MOVE z -1\n", "OK z\n");
    next_non_pos(&r);
    ck_assert_int_eq(r.kind, AXP_EV_DONE);
    ck_assert(r.position == -1.0);
}
END_TEST

/* STOP answers OK, then !STOPPED where the axis stopped, and no !DONE. */
START_TEST(test_axis_sim_stop)
{
    const char *args[] = {"--speed", "1", NULL};
    start_sim(_i == 1, args);
    expect("MOVE y 100\n", "OK y\n");
    axp_reply r;
    char raw[512];
    next_reply(&r, raw, sizeof raw); /* moving: a first report */
    ck_assert_int_eq(r.kind, AXP_EV_POS);
    expect("STOP *\n", "OK *\n");
    next_non_pos(&r);
    ck_assert_int_eq(r.kind, AXP_EV_STOPPED);
    ck_assert_str_eq(r.axis, "y");
    ck_assert(r.position > 0 && r.position < 100);
    char want[128];
    snprintf(want, sizeof want, "STATUS y IDLE %.3f %.3f\n", r.position, r.position);
    expect("STATUS? y\n", want);
    expect("STOP x\n", "OK x\n"); /* not moving: OK and nothing more */
    expect("POS? x\n", "POS x 0.000\n");
}
END_TEST

/* Garbled, oversized and out-of-range commands get the documented error
 * replies, each logged, and the link goes on working. */
START_TEST(test_axis_sim_bad_commands)
{
    const char *args[] = {"--limit", "100", NULL};
    start_sim(_i == 1, args);
    expect("MOVE x 1e3\n", "ERR * 3 bad command (number)\n");
    expect("JUMP x\n", "ERR * 1 bad command (unknown-kind)\n");
    expect("MOVE  x 1\n", "ERR * 1 bad command (fields)\n");
    expect("MOVE x.1 1\n", "ERR * 2 bad command (axis)\n");
    expect("MOVE\xff\x01 x\n", "ERR * 1 bad command (not-ascii)\n");
    expect("MOVE q 1\n", "ERR q 2 no axis 'q'\n");
    expect("MOVE x 200\n", "ERR x 4 target 200.000 outside the travel -100..100\n");
    expect("FAULT x FLY\n", "ERR * 1 bad command (unknown-kind)\n");
    char big[600];
    memset(big, 'M', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    send_line(big); /* no reply before its '\n' */
    expect("\n", "ERR * 5 line too long: more than 128 bytes\n");
    expect("\n\r\nPOS? x\n", "POS x 0.000\n"); /* empty lines: no reply */
    wait_log("recv: JUMP x");
    wait_log("recv: MOVE\\xff\\x01 x");
    wait_log("recv: a line longer than 128 bytes");
}
END_TEST

/* STALL: the axis never arrives (a later, longer move of another axis
 * does), reports STALLED, and moves on to its target once cleared. */
START_TEST(test_axis_sim_fault_stall)
{
    const char *args[] = {"--speed", "20", NULL};
    start_sim(_i == 1, args);
    expect("FAULT x STALL\n", "OK x\n");
    expect("MOVE x 0.5\n", "OK x\n");
    expect("MOVE y 2\n", "OK y\n");
    axp_reply r;
    char raw[512];
    do {
        next_reply(&r, raw, sizeof raw);
        ck_assert_msg(strcmp(r.axis, "x") != 0, "a stalled axis reported: %s", raw);
    } while (r.kind != AXP_EV_DONE);
    ck_assert_str_eq(r.axis, "y");
    expect("STATUS? x\n", "STATUS x STALLED 0.000 0.500\n");
    expect("FAULT x CLEAR\n", "OK x\n");
    next_non_pos(&r);
    ck_assert_int_eq(r.kind, AXP_EV_DONE);
    ck_assert_str_eq(r.axis, "x");
}
END_TEST

/* NODONE: the axis arrives but its !DONE is not sent (once). */
START_TEST(test_axis_sim_fault_nodone)
{
    const char *args[] = {"--speed", "20", NULL};
    start_sim(_i == 1, args);
    expect("FAULT x NODONE\n", "OK x\n");
    expect("MOVE x 0.5\n", "OK x\n");
    expect("MOVE y 2\n", "OK y\n");
    axp_reply r;
    char raw[512];
    do {
        next_reply(&r, raw, sizeof raw);
        ck_assert_msg(!(r.kind == AXP_EV_DONE && !strcmp(r.axis, "x")), "DONE not dropped: %s", raw);
    } while (r.kind != AXP_EV_DONE);
    wait_log("x reached 0.500, its DONE dropped");
    expect("STATUS? x\n", "STATUS x IDLE 0.500 0.500\n");
    expect("MOVE x 0\n", "OK x\n"); /* one-shot: the next arrival reports */
    next_non_pos(&r);
    ck_assert_int_eq(r.kind, AXP_EV_DONE);
    ck_assert_str_eq(r.axis, "x");
}
END_TEST

/* ERROR: the next command is answered with the code and not carried out;
 * the one after works. Also armed from the command line. */
START_TEST(test_axis_sim_fault_error)
{
    const char *args[] = {"--fault", "y:error:77", NULL};
    start_sim(_i == 1, args);
    expect("MOVE y 1\n", "ERR y 77 injected fault\n");
    expect("FAULT x ERROR\n", "OK x\n");
    expect("POS? x\n", "ERR x 9 injected fault\n");
    expect("STATUS? y\n", "STATUS y IDLE 0.000 0.000\n");
    expect("POS? x\n", "POS x 0.000\n");
    expect("FAULT x ERROR 0\n", "ERR x 1 ERROR takes a code >= 1\n");
}
END_TEST

/* SLOW: replies come late, notifications do not: a short move's !DONE
 * overtakes the OK of its own MOVE. */
START_TEST(test_axis_sim_fault_slow)
{
    const char *args[] = {"--speed", "1000", NULL};
    start_sim(_i == 1, args);
    expect("FAULT * SLOW 800\n", "OK *\n");
    send_line("MOVE x 0.1\n");
    axp_reply r;
    char raw[512];
    next_non_pos(&r);
    ck_assert_msg(r.kind == AXP_EV_DONE, "not the !DONE first: %s", raw);
    next_non_pos(&r);
    ck_assert_int_eq(r.kind, AXP_OK);
    expect("FAULT * SLOW 0\n", "OK *\n");
    expect("POS? x\n", "POS x 0.100\n");
}
END_TEST

/* GARBAGE: a line of bytes outside printable ASCII follows the reply. */
START_TEST(test_axis_sim_fault_garbage)
{
    start_sim(_i == 1, NULL);
    expect("FAULT * GARBAGE\n", "OK *\n");
    char raw[512];
    int n = read_line(&C.link, raw, sizeof raw);
    ck_assert_int_gt(n, 0);
    axp_reply r;
    ck_assert_int_eq(axp_parse_reply(raw, (size_t)n, &r), AXP_E_NOT_ASCII);
    expect("POS? z\n", "POS z 0.000\n"); /* one line only */
}
END_TEST

/* CLOSE: the link ends after the reply; a new one works (on a pty, the
 * new pty's path comes on stdout) and the axes kept their state. */
START_TEST(test_axis_sim_fault_close)
{
    const char *args[] = {"--speed", "100", NULL};
    start_sim(_i == 1, args);
    expect("MOVE z 1\n", "OK z\n");
    axp_reply r;
    next_non_pos(&r);
    ck_assert_int_eq(r.kind, AXP_EV_DONE);
    expect("FAULT * CLOSE\n", "OK *\n");
    char raw[512];
    ck_assert_int_eq(read_line(&C.link, raw, sizeof raw), -1);
    ck_assert(C.link.eof);
    if (!C.tcp)
        read_where();
    wait_log(C.tcp ? "closing the connection" : "listening on pty");
    open_link();
    expect("HELLO 1\n", "HELLO CQTAXIS 1 x y z\n");
    expect("POS? z\n", "POS z 1.000\n");
}
END_TEST

/* REFUSE: TCP connects are refused (ECONNREFUSED) and HELLO gets ERR 8;
 * CLEAR accepts again (a second connection is then busy). */
START_TEST(test_axis_sim_fault_refuse)
{
    start_sim(_i == 1, NULL);
    expect("FAULT * REFUSE\n", "OK *\n");
    expect("HELLO 1\n", "ERR * 8 refused: the controller refuses connections\n");
    if (C.tcp) {
        ck_assert_int_eq(connect_tcp(atoi(C.where)), -1);
        ck_assert_int_eq(errno, ECONNREFUSED);
    }
    expect("FAULT * CLEAR\n", "OK *\n");
    expect("HELLO 1\n", "HELLO CQTAXIS 1 x y z\n");
    if (C.tcp) {
        wait_log("accepting connections");
        int s = connect_tcp(atoi(C.where));
        ck_assert_int_ge(s, 0);
        stream saved = C.link;
        memset(&C.link, 0, sizeof C.link);
        C.link.fd = s;
        char raw[512];
        ck_assert_int_gt(read_line(&C.link, raw, sizeof raw), 0);
        ck_assert_str_eq(raw, "ERR * 8 busy: one connection at a time\n");
        close(s);
        C.link = saved;
    }
}
END_TEST

/* --fault *:refuse on the command line: the first connect is refused. */
START_TEST(test_axis_sim_refuse_from_start)
{
    const char *args[] = {"--fault", "*:refuse", NULL};
    start_sim_only(true, args);
    ck_assert_int_eq(connect_tcp(atoi(C.where)), -1);
    ck_assert_int_eq(errno, ECONNREFUSED);
}
END_TEST

/* SIGTERM (and SIGINT) end the simulator cleanly, with exit status 0, also
 * with a host connected and an axis moving. */
START_TEST(test_axis_sim_sigterm_exits_0)
{
    const char *args[] = {"--speed", "0.5", NULL};
    start_sim(_i == 1, args);
    expect("MOVE x 100\n", "OK x\n");
    kill(C.pid, _i == 1 ? SIGTERM : SIGINT);
    int st = wait_exit();
    ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "wait status %#x; log:\n%s", st, C.log);
    ck_assert(strstr(C.log, _i == 1 ? "SIGTERM: exiting" : "SIGINT: exiting"));
}
END_TEST

/* Runs the simulator with @args (NULL-terminated), its stdout and stderr
 * both into the log, and returns its wait status once it exited. */
static int run_sim_args(const char *const *args)
{
    const char *exe = getenv("CQT_AXIS_SIM");
    ck_assert(exe != NULL);
    const char *argv[16] = {exe};
    for (int i = 0; args[i] && i < 14; i++)
        argv[i + 1] = args[i];
    int err[2];
    ck_assert_int_eq(pipe2(err, O_CLOEXEC), 0);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, err[1], 1);
    posix_spawn_file_actions_adddup2(&fa, err[1], 2);
    ck_assert_int_eq(posix_spawn(&C.pid, exe, &fa, NULL, (char *const *)argv, environ), 0);
    posix_spawn_file_actions_destroy(&fa);
    close(err[1]);
    C.err.fd = err[0];
    C.link.fd = -1;
    return wait_exit();
}

/* Bad options: exit status 2 and two lines, what was wrong (strict
 * numbers, each getopt_long case named as such) and "Try ... --help". */
static const struct {
    const char *args[4];
    const char *want;
} bad_options[] = {
    {{"--fault", "q:stall"}, "cqt-axis-sim: --fault takes AXIS:KIND"},
    {{"--tcp", "0x10"}, "cqt-axis-sim: --tcp: '0x10' is not a decimal number"},
    {{"--tcp", "99999999999999"}, "cqt-axis-sim: --tcp: '99999999999999' is out of range (max 65535)"},
    {{"--speed", "2junk"}, "cqt-axis-sim: --speed: '2junk' has 'junk' after the number"},
    {{"--report-ms", "5.5"}, "cqt-axis-sim: --report-ms: '5.5' is not a whole number"},
    {{"--speed"}, "cqt-axis-sim: option '--speed' needs a value"},
    {{"--tcp", "0", "--bogus"}, "cqt-axis-sim: unknown option '--bogus'"},
    {{"--pty=1"}, "cqt-axis-sim: option '--pty' takes no value"},
};

START_TEST(test_axis_sim_bad_options)
{
    int st = run_sim_args(bad_options[_i].args);
    ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 2, "status %d; log:\n%s", st, C.log);
    char want[512];
    snprintf(want, sizeof want, "%s", bad_options[_i].want);
    ck_assert_msg(strncmp(C.log, want, strlen(want)) == 0, "want '%s', got:\n%s", want, C.log);
    const char *second = strchr(C.log, '\n');
    ck_assert_msg(second && strcmp(second + 1, "Try 'cqt-axis-sim --help' for more information.\n") == 0,
                  "not one line and the Try line:\n%s", C.log);
}
END_TEST

/* --version: the project's version and the protocol's, exit status 0. */
START_TEST(test_axis_sim_version)
{
    const char *args[] = {"--version", NULL};
    int st = run_sim_args(args);
    ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "status %d; log:\n%s", st, C.log);
    ck_assert_msg(strncmp(C.log, "cqt-axis-sim (cqt) ", 19) == 0 && C.log[19] >= '0' && C.log[19] <= '9' &&
                      strstr(C.log, "\ncontroller protocol version 1\n"),
                  "%s", C.log);
}
END_TEST

CQT_TEST_SUITE(axis_sim_suite)
{
    Suite *s = suite_create("axis-sim");
    TCase *tc = tcase_create("link");
    tcase_add_checked_fixture(tc, NULL, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, test_axis_sim_hello, 0, 2);
    tcase_add_loop_test(tc, test_axis_sim_move_reports_done, 0, 2);
    tcase_add_loop_test(tc, test_axis_sim_accel_move, 0, 2);
    tcase_add_loop_test(tc, test_axis_sim_stop, 0, 2);
    tcase_add_loop_test(tc, test_axis_sim_bad_commands, 0, 2);
    tcase_add_loop_test(tc, test_axis_sim_fault_stall, 0, 2);
    tcase_add_loop_test(tc, test_axis_sim_fault_nodone, 0, 2);
    tcase_add_loop_test(tc, test_axis_sim_fault_error, 0, 2);
    tcase_add_loop_test(tc, test_axis_sim_fault_slow, 0, 2);
    tcase_add_loop_test(tc, test_axis_sim_fault_garbage, 0, 2);
    tcase_add_loop_test(tc, test_axis_sim_fault_close, 0, 2);
    tcase_add_loop_test(tc, test_axis_sim_fault_refuse, 0, 2);
    tcase_add_test(tc, test_axis_sim_refuse_from_start);
    tcase_add_loop_test(tc, test_axis_sim_sigterm_exits_0, 0, 2);
    tcase_add_loop_test(tc, test_axis_sim_bad_options, 0, (int)(sizeof bad_options / sizeof bad_options[0]));
    tcase_add_test(tc, test_axis_sim_version);
    suite_add_tcase(s, tc);
    return s;
}
