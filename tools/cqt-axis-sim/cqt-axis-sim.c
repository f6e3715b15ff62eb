/* SPDX-License-Identifier: MIT */
/* cqt-axis-sim — a motor controller simulator speaking the line protocol
 * of docs/controller-protocol.md on a pty or a TCP port on 127.0.0.1, with
 * faults on demand. It runs on cqt itself: one event loop in the main
 * thread, the link's fds as cqt_io_watches, motion as an object timer,
 * slow replies as single shots, SIGINT/SIGTERM as cqt_unix_signal watches.
 *
 * Everything happens in the main thread, so nothing here needs a lock.
 * stdout carries one line per link opened (the pty's slave path, or the
 * TCP port); stderr one log line per command received and per event. */
#include <cqt/cqt.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <locale.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "axis-proto.h"
#include "tool-opts.h"

#define PROG "cqt-axis-sim"
#define TICK_MS 10

typedef struct {
    char name[AXP_MAX_NAME + 1];
    double pos, target, vel;
    bool moving, stalled, nodone;
    int error_code; /* the next command to this axis gets ERR <code>; 0: none */
    double last_report;
} sim_axis;

typedef struct {
    sim_axis ax[AXP_MAX_AXES];
    int naxes;
    double speed, accel, limit;
    int report_ms;
    bool tcp;
    int port;
    cqt_object *obj;
    /* the link: a pty master, or an accepted TCP connection */
    int listen_fd;
    cqt_io_watch *listen_w;
    bool listening;
    int link_fd;
    int pty_slave_fd; /* kept open so the master never reads a hang-up */
    cqt_io_watch *link_w;
    unsigned link_gen; /* a delayed reply for an older link is dropped */
    unsigned feed_gen; /* the link whose bytes are being read */
    axp_reader rd;
    /* controller-wide faults */
    int slow_ms;
    bool garbage_next, close_next, refuse;
    int error_all;
    double last_tick;
    int exit_code;
} sim;

static sim S;

static void logf_(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void logf_(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, PROG ": ");
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    fflush(stderr);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void print_link(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void print_link(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
    fflush(stdout);
}

/* --- the link ----------------------------------------------------------- */

static void on_link(void *user_data, cqt_io_watch *w, int fd, unsigned revents);
static void close_link(const char *why);
static void close_link_drained(void);

static int pty_open(void)
{
    int m = posix_openpt(O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
    if (m < 0 || grantpt(m) != 0 || unlockpt(m) != 0) {
        logf_("cannot open a pty: %s", strerror(errno));
        if (m >= 0)
            close(m);
        return -1;
    }
    const char *path = ptsname(m);
    int s = path ? open(path, O_RDWR | O_NOCTTY | O_CLOEXEC) : -1;
    struct termios t;
    if (s < 0 || tcgetattr(s, &t) != 0) {
        logf_("cannot open the pty's slave %s: %s", path ? path : "?", strerror(errno));
        close(m);
        if (s >= 0)
            close(s);
        return -1;
    }
    /* Raw: no echo, no CR/LF translation, bytes as they are. */
    cfmakeraw(&t);
    tcsetattr(s, TCSANOW, &t);
    S.link_fd = m;
    S.pty_slave_fd = s;
    S.link_gen++;
    axp_reader_init(&S.rd);
    S.link_w = cqt_io_watch_new(S.obj, m, CQT_IO_READ, on_link, NULL, NULL);
    if (!S.link_w) {
        logf_("cannot watch the pty: %s", cqt_last_error());
        return -1;
    }
    logf_("listening on pty %s", path);
    print_link("%s", path);
    return 0;
}

/* Writes all of @line or drops it: a host that does not read must not
 * stall the simulator. */
static void write_raw(const char *line, size_t n)
{
    if (S.link_fd < 0)
        return;
    ssize_t k = write(S.link_fd, line, n);
    if (k != (ssize_t)n)
        logf_("output dropped (%s): the host is not reading", k < 0 ? strerror(errno) : "partial");
}

static void send_garbage(void)
{
    static const char garbage[] = "\x01#GaRbAgE\xfe\xff~\x7f 12..3\n";
    logf_("fault: sending a garbage line");
    write_raw(garbage, sizeof garbage - 1);
}

typedef struct {
    unsigned gen;
    size_t n;
    bool garbage, close;
    char line[AXP_MAX_LINE + 1];
} pending_reply;

/* A reply, then what the armed one-shot faults add after it. */
static void emit_reply(const pending_reply *p)
{
    if (p->gen != S.link_gen || S.link_fd < 0)
        return; /* the link it answered is gone */
    write_raw(p->line, p->n);
    if (p->garbage)
        send_garbage();
    if (p->close)
        close_link_drained();
}

static void on_slow_reply(void *user_data)
{
    emit_reply(user_data);
}

static void send_reply(const axp_reply *r)
{
    pending_reply *p = calloc(1, sizeof *p);
    if (!p)
        return;
    int n = axp_format_reply(p->line, sizeof p->line, r);
    if (n < 0) {
        logf_("internal: cannot format a reply of kind %d", (int)r->kind);
        free(p);
        return;
    }
    p->n = (size_t)n;
    p->gen = S.link_gen;
    p->garbage = S.garbage_next;
    p->close = S.close_next;
    S.garbage_next = S.close_next = false;
    if (S.slow_ms > 0 &&
        cqt_single_shot_full(S.slow_ms, S.obj, on_slow_reply, p, free) == CQT_OK)
        return;
    emit_reply(p);
    free(p);
}

static void send_event(axp_kind kind, const sim_axis *a)
{
    axp_reply r = {.kind = kind, .position = a->pos};
    strcpy(r.axis, a->name);
    char line[AXP_MAX_LINE + 1];
    int n = axp_format_reply(line, sizeof line, &r);
    if (n > 0)
        write_raw(line, (size_t)n);
}

static void reply_ok(const char *axis)
{
    axp_reply r = {.kind = AXP_OK};
    snprintf(r.axis, sizeof r.axis, "%s", axis);
    send_reply(&r);
}

static void reply_err(const char *axis, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void reply_err(const char *axis, int code, const char *fmt, ...)
{
    axp_reply r = {.kind = AXP_ERR, .code = code};
    snprintf(r.axis, sizeof r.axis, "%s", axis);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r.message, 96, fmt, ap); /* short enough for any axis name and code */
    va_end(ap);
    for (char *c = r.message; *c; c++)
        if ((unsigned char)*c < 0x20 || (unsigned char)*c > 0x7e)
            *c = '?';
    logf_("reply: ERR %s %d %s", r.axis, code, r.message);
    send_reply(&r);
}

static void on_accept(void *user_data, cqt_io_watch *w, int fd, unsigned revents);

/* Binds 127.0.0.1:S.port (0: a free one, then S.port says which) without
 * listening: connects to a bound port nobody listens on are refused. */
static int bind_port(void)
{
    S.listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (S.listen_fd < 0) {
        logf_("socket: %s", strerror(errno));
        return -1;
    }
    /* The accepted connection still holds the port when refusing rebinds it. */
    int one = 1;
    setsockopt(S.listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)S.port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (bind(S.listen_fd, (struct sockaddr *)&a, sizeof a) != 0 ||
        getsockname(S.listen_fd, (struct sockaddr *)&a, &len) != 0) {
        logf_("cannot bind 127.0.0.1:%d: %s", S.port, strerror(errno));
        return -1;
    }
    S.port = ntohs(a.sin_port);
    S.listen_w = cqt_io_watch_new(S.obj, S.listen_fd, CQT_IO_READ, on_accept, NULL, NULL);
    if (!S.listen_w) {
        logf_("cannot watch the socket: %s", cqt_last_error());
        return -1;
    }
    cqt_io_watch_disable(S.listen_w);
    return 0;
}

static void set_listening(bool on)
{
    if (!S.tcp || S.listen_fd < 0 || S.listening == on)
        return;
    if (on) {
        if (listen(S.listen_fd, 4) != 0) {
            logf_("listen: %s", strerror(errno));
            return;
        }
        cqt_io_watch_enable(S.listen_w);
        logf_("accepting connections on 127.0.0.1:%d", S.port);
    } else {
        /* A listening socket cannot stop listening (Linux keeps a shut
         * down one refusing for good): close it, and keep the port bound
         * by a socket that does not listen. */
        cqt_io_watch_free(S.listen_w);
        S.listen_w = NULL;
        close(S.listen_fd);
        S.listen_fd = -1;
        if (bind_port() != 0)
            logf_("refusing: the port could not be kept");
        logf_("refusing connections on 127.0.0.1:%d", S.port);
    }
    S.listening = on;
}

static void close_link(const char *why)
{
    if (S.link_fd < 0)
        return;
    logf_("%s", why);
    cqt_io_watch_free(S.link_w);
    S.link_w = NULL;
    close(S.link_fd);
    S.link_fd = -1;
    S.link_gen++;
    if (S.pty_slave_fd >= 0) {
        close(S.pty_slave_fd);
        S.pty_slave_fd = -1;
    }
    if (!S.tcp)
        pty_open(); /* a new line to plug into: its path goes to stdout */
}

typedef struct {
    unsigned gen;
    int tries;
} drain_wait;

/* A pty's hang-up throws away what the host has not read yet, so the
 * CLOSE fault waits (at most 1 s) until the host read the reply: the
 * bytes still queued show on the slave side (TIOCINQ), once the kernel
 * has moved them there from the master's side (not at once: hence the
 * first check 50 ms later). TCP delivers what was written before the
 * close. */
static void on_drain_check(void *user_data)
{
    drain_wait *d = user_data;
    if (d->gen != S.link_gen)
        return; /* that link is gone already */
    int queued = 0;
    if (!S.tcp && S.pty_slave_fd >= 0 && ioctl(S.pty_slave_fd, TIOCINQ, &queued) == 0 &&
        (queued > 0 || d->tries == 0) && d->tries < 100) {
        drain_wait *again = malloc(sizeof *again);
        if (again) {
            *again = *d;
            int ms = again->tries++ == 0 ? 50 : 10;
            if (cqt_single_shot_full(ms, S.obj, on_drain_check, again, free) == CQT_OK)
                return;
        }
    }
    close_link("fault: closing the connection");
}

static void close_link_drained(void)
{
    drain_wait d = {S.link_gen, 0};
    on_drain_check(&d);
}

static void on_accept(void *user_data, cqt_io_watch *w, int fd, unsigned revents)
{
    (void)user_data;
    (void)w;
    if (!(revents & CQT_IO_READ))
        return;
    int c = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (c < 0)
        return;
    if (S.link_fd >= 0) {
        static const char busy[] = "ERR * 8 busy: one connection at a time\n";
        logf_("connection refused: busy with another");
        if (write(c, busy, sizeof busy - 1) < 0) {
            /* the refused host is gone already; nothing to tell it */
        }
        close(c);
        return;
    }
    /* A reply and the notification after it are two small writes: without
     * TCP_NODELAY the second waits for the host's delayed ACK (~40 ms). */
    int one = 1;
    setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    S.link_fd = c;
    S.link_gen++;
    axp_reader_init(&S.rd);
    S.link_w = cqt_io_watch_new(S.obj, c, CQT_IO_READ, on_link, NULL, NULL);
    if (!S.link_w) {
        logf_("cannot watch the connection: %s", cqt_last_error());
        close(c);
        S.link_fd = -1;
        return;
    }
    logf_("connected");
}

static int tcp_open(void)
{
    if (bind_port() != 0)
        return -1;
    if (!S.refuse)
        set_listening(true);
    else
        logf_("refusing connections on 127.0.0.1:%d", S.port);
    print_link("%d", S.port);
    return 0;
}

/* --- commands ----------------------------------------------------------- */

static sim_axis *find_axis(const char *name)
{
    for (int i = 0; i < S.naxes; i++)
        if (!strcmp(S.ax[i].name, name))
            return &S.ax[i];
    return NULL;
}

static void clear_faults(sim_axis *a)
{
    if (a) {
        a->stalled = a->nodone = false;
        a->error_code = 0;
        return;
    }
    for (int i = 0; i < S.naxes; i++)
        clear_faults(&S.ax[i]);
    S.slow_ms = 0;
    S.garbage_next = S.close_next = false;
    S.error_all = 0;
    S.refuse = false;
    set_listening(true);
}

/* Arms fault @f on axis @a (NULL: the controller, '*'). Returns false
 * (and says why in @why) when it does not apply. */
static bool arm_fault(sim_axis *a, axp_fault f, long arg, const char **why)
{
    switch (f) {
    case AXP_FAULT_STALL:
    case AXP_FAULT_NODONE:
        if (!a) {
            for (int i = 0; i < S.naxes; i++)
                arm_fault(&S.ax[i], f, arg, why);
            return true;
        }
        if (f == AXP_FAULT_STALL)
            a->stalled = true;
        else
            a->nodone = true;
        return true;
    case AXP_FAULT_ERROR:
        if (arg == 0) {
            *why = "ERROR takes a code >= 1";
            return false;
        }
        if (a)
            a->error_code = arg < 0 ? AXP_ERR_INJECTED : (int)arg;
        else
            S.error_all = arg < 0 ? AXP_ERR_INJECTED : (int)arg;
        return true;
    case AXP_FAULT_SLOW:
        if (arg < 0) {
            *why = "SLOW takes milliseconds";
            return false;
        }
        S.slow_ms = (int)arg;
        return true;
    case AXP_FAULT_GARBAGE:
        S.garbage_next = true;
        return true;
    case AXP_FAULT_CLOSE:
        S.close_next = true;
        return true;
    case AXP_FAULT_REFUSE:
        S.refuse = true;
        set_listening(false);
        return true;
    case AXP_FAULT_CLEAR:
        clear_faults(a);
        return true;
    }
    *why = "unknown fault";
    return false;
}

static void do_command(const axp_command *c)
{
    const char *axis = c->axis[0] ? c->axis : "*";
    if (c->verb == AXP_CMD_HELLO) {
        if (S.refuse) {
            reply_err("*", AXP_ERR_REFUSED, "refused: the controller refuses connections");
            return;
        }
        if (c->version < AXP_VERSION) {
            reply_err("*", AXP_ERR_VERSION, "version %d unsupported; this controller speaks %d",
                      c->version, AXP_VERSION);
            return;
        }
        axp_reply r = {.kind = AXP_HELLO, .version = AXP_VERSION, .naxes = S.naxes};
        for (int i = 0; i < S.naxes; i++)
            strcpy(r.axes[i], S.ax[i].name);
        send_reply(&r);
        return;
    }
    sim_axis *a = NULL;
    if (strcmp(axis, "*") != 0 && !(a = find_axis(axis))) {
        reply_err(axis, AXP_ERR_AXIS, "no axis '%s'", axis);
        return;
    }
    if (c->verb == AXP_CMD_FAULT) {
        const char *why = "";
        if (!arm_fault(a, c->fault, c->arg, &why)) {
            reply_err(axis, AXP_ERR_SYNTAX, "%s", why);
            return;
        }
        logf_("fault %s on %s", axp_fault_name(c->fault), axis);
        reply_ok(axis);
        return;
    }
    /* An injected error answers the next command instead of doing it. */
    int *inj = a && a->error_code ? &a->error_code : S.error_all ? &S.error_all : NULL;
    if (inj) {
        int code = *inj;
        *inj = 0;
        reply_err(axis, code, "injected fault");
        return;
    }
    switch (c->verb) {
    case AXP_CMD_MOVE:
        if (fabs(c->position) > S.limit) {
            reply_err(axis, AXP_ERR_RANGE, "target %.3f outside the travel -%g..%g", c->position,
                      S.limit, S.limit);
            return;
        }
        a->target = c->position;
        if (!a->moving) {
            a->moving = true;
            a->vel = 0;
            a->last_report = now_s();
        }
        reply_ok(axis);
        return;
    case AXP_CMD_STOP:
        reply_ok(axis);
        for (int i = 0; i < S.naxes; i++) {
            sim_axis *s = &S.ax[i];
            if ((a && s != a) || !s->moving)
                continue;
            s->moving = false;
            s->vel = 0;
            s->target = s->pos;
            send_event(AXP_EV_STOPPED, s);
        }
        return;
    case AXP_CMD_POS: {
        axp_reply r = {.kind = AXP_POS, .position = a->pos};
        strcpy(r.axis, a->name);
        send_reply(&r);
        return;
    }
    case AXP_CMD_STATUS: {
        axp_reply r = {.kind = AXP_STATUS, .position = a->pos, .target = a->target};
        r.state = a->stalled ? AXP_STALLED : a->moving ? AXP_MOVING : AXP_IDLE;
        strcpy(r.axis, a->name);
        send_reply(&r);
        return;
    }
    case AXP_CMD_HELLO:
    case AXP_CMD_FAULT:
        break;
    }
}

/* The ERR code a malformed command gets (docs/controller-protocol.md). */
static int code_for(axp_error e)
{
    switch (e) {
    case AXP_E_TOO_LONG:
        return AXP_ERR_TOO_LONG;
    case AXP_E_NUMBER:
        return AXP_ERR_NUMBER;
    case AXP_E_AXIS:
        return AXP_ERR_AXIS;
    default:
        return AXP_ERR_SYNTAX;
    }
}

static void on_line(void *user_data, const char *line, size_t len, axp_error e)
{
    (void)user_data;
    if (S.feed_gen != S.link_gen)
        return; /* a command closed the link: the rest of that read is moot */
    if (e == AXP_E_TOO_LONG) {
        logf_("recv: a line longer than %d bytes (dropped)", AXP_MAX_LINE);
        reply_err("*", AXP_ERR_TOO_LONG, "line too long: more than %d bytes", AXP_MAX_LINE);
        return;
    }
    /* The log shows the line with unprintable bytes escaped. */
    char shown[4 * AXP_MAX_LINE + 1];
    size_t k = 0;
    for (size_t i = 0; i < len && line[i] != '\n'; i++) {
        unsigned char ch = (unsigned char)line[i];
        if (ch >= 0x20 && ch < 0x7f && ch != '\\')
            shown[k++] = (char)ch;
        else
            k += (size_t)snprintf(shown + k, sizeof shown - k, "\\x%02x", ch);
    }
    shown[k] = '\0';
    axp_command c;
    axp_error pe = axp_parse_command(line, len, &c);
    if (pe == AXP_E_EMPTY)
        return; /* an empty line flushes a host's half-sent line: no reply */
    logf_("recv: %s", shown);
    if (pe != AXP_E_NONE) {
        reply_err("*", code_for(pe), "bad command (%s)", axp_error_name(pe));
        return;
    }
    do_command(&c);
}

static void on_link(void *user_data, cqt_io_watch *w, int fd, unsigned revents)
{
    (void)user_data;
    (void)w;
    char buf[512];
    ssize_t n = (revents & CQT_IO_READ) ? read(fd, buf, sizeof buf) : -1;
    if (n > 0) {
        S.feed_gen = S.link_gen;
        axp_reader_feed(&S.rd, buf, (size_t)n, on_line, NULL);
        return;
    }
    if (n < 0 && (errno == EAGAIN || errno == EINTR) && !(revents & CQT_IO_ERROR))
        return;
    close_link(S.tcp ? "disconnected" : "pty hung up");
}

/* --- motion ------------------------------------------------------------- */

static void on_tick(void *user_data, cqt_object *o, int timer_id)
{
    (void)user_data;
    (void)o;
    (void)timer_id;
    double t = now_s();
    double dt = t - S.last_tick;
    S.last_tick = t;
    for (int i = 0; i < S.naxes; i++) {
        sim_axis *a = &S.ax[i];
        if (!a->moving || a->stalled)
            continue;
        double rem = fabs(a->target - a->pos);
        double v = S.speed;
        if (S.accel > 0) {
            /* Ramp up at accel, and down so as to stop at the target. */
            v = fmin(S.speed, fmin(a->vel + S.accel * dt, sqrt(2 * S.accel * rem)));
            v = fmax(v, S.accel * dt);
        }
        a->vel = v;
        double step = v * dt;
        /* Within half a unit of the third decimal the axis is there: a
         * !POS would already print the target (seen: "!POS x 2.000" before
         * "!DONE x 2.000" in test_axis_sim_move_reports_done). */
        if (step >= rem - 0.0005) {
            a->pos = a->target;
            a->moving = false;
            a->vel = 0;
            if (a->nodone) {
                a->nodone = false;
                logf_("fault: %s reached %.3f, its DONE dropped", a->name, a->pos);
            } else {
                send_event(AXP_EV_DONE, a);
            }
            continue;
        }
        a->pos += a->target > a->pos ? step : -step;
        if ((t - a->last_report) * 1000 >= S.report_ms) {
            a->last_report = t;
            send_event(AXP_EV_POS, a);
        }
    }
}

static void on_signal(void *user_data, int signo, unsigned count)
{
    (void)user_data;
    (void)count;
    logf_("%s: exiting", signo == SIGINT ? "SIGINT" : "SIGTERM");
    cqt_app_quit(0);
}

/* --- options ------------------------------------------------------------ */

static void usage(FILE *f)
{
    fprintf(f,
            "Usage: " PROG " [OPTION]...\n"
            "Simulate a motor controller that speaks the cqt axis line protocol\n"
            "(docs/controller-protocol.md) on a pseudo-terminal or a TCP port.\n"
            "\n"
            "The first line on stdout says where to connect: the pty's path\n"
            "(e.g. /dev/pts/7), or the TCP port. After a dropped connection on a\n"
            "pty, a new pty is opened and its path printed. Every command received\n"
            "is logged on stderr. SIGINT or SIGTERM ends it (exit status 0).\n"
            "\n"
            "Link:\n"
            "      --pty             serve on a new pseudo-terminal (the default)\n"
            "      --tcp PORT        serve on 127.0.0.1:PORT; 0 picks a free port\n"
            "Axes:\n"
            "      --axes NAMES      comma-separated axis names (default x,y,z;\n"
            "                        at most 8, each [A-Za-z0-9_-], 16 chars)\n"
            "      --speed V         units per second (default 10)\n"
            "      --accel A         units per second squared; 0 = instant speed\n"
            "                        (default 0)\n"
            "      --limit L         travel is -L..L; further targets get ERR 4\n"
            "                        (default 1000000)\n"
            "      --report-ms MS    !POS reports while moving, every MS ms\n"
            "                        (default 50, at most 100)\n"
            "Faults (also on the link: FAULT AXIS KIND [N]):\n"
            "      --fault AXIS:KIND[:N]  arm a fault before the first connection;\n"
            "                        AXIS is a name or '*' (all); KIND is one of\n"
            "                        stall     the axis stops, never sends !DONE\n"
            "                        nodone    its next !DONE is not sent\n"
            "                        error[:N] the next command gets ERR N (9)\n"
            "                        slow:MS   every reply comes MS ms late\n"
            "                        garbage   a garbage line follows the next reply\n"
            "                        close     the link closes after the next reply\n"
            "                        refuse    TCP connects are refused; HELLO\n"
            "                                  gets ERR 8\n"
            "                        (FAULT * CLEAR on the link ends them all)\n"
            "\n"
            "      --help            show this help and exit\n"
            "      --version         show the version and exit\n"
            "\n"
            "Example:\n"
            "  " PROG " --tcp 0 --axes x,y --speed 50 &   # prints the port, say 40123\n"
            "  printf 'HELLO 1\\nMOVE x 10\\n' | nc 127.0.0.1 40123\n");
}

/* A number option: strict decimal (tool-opts.h), then [@lo, @hi]; a whole
 * number when @whole. On failure prints the usage error and returns false. */
static bool number_option(const char *opt, const char *s, double lo, double hi, bool whole, double *out)
{
    char why[160];
    bool ok;
    if (whole) {
        long v;
        ok = cqt_tool_parse_long(s, (long)lo, (long)hi, &v, why, sizeof why);
        if (ok)
            *out = (double)v;
    } else {
        double v;
        ok = cqt_tool_parse_double(s, &v, why, sizeof why);
        if (ok && !(v >= lo && v <= hi)) {
            snprintf(why, sizeof why, "'%.64s' is out of range (%g to %g)", s, lo, hi);
            ok = false;
        }
        if (ok)
            *out = v;
    }
    if (!ok)
        cqt_tool_usage_error(PROG, "%s: %s", opt, why);
    return ok;
}

static bool parse_axes(const char *list)
{
    S.naxes = 0;
    const char *p = list;
    for (;;) {
        size_t n = strcspn(p, ",");
        if (S.naxes == AXP_MAX_AXES || n == 0 || n > AXP_MAX_NAME)
            return false;
        sim_axis *a = &S.ax[S.naxes];
        memcpy(a->name, p, n);
        a->name[n] = '\0';
        char line[AXP_MAX_LINE + 1];
        if (axp_format_pos_query(line, sizeof line, a->name) < 0 || find_axis(a->name))
            return false; /* not a valid name, or twice */
        S.naxes++;
        if (!p[n])
            return true;
        p += n + 1;
    }
}

/* "AXIS:KIND[:N]" as FAULT AXIS KIND [N]. */
static bool parse_fault(const char *spec)
{
    char buf[AXP_MAX_LINE];
    if (strlen(spec) >= 64)
        return false;
    snprintf(buf, sizeof buf, "FAULT %s\n", spec);
    for (char *c = buf + 6; *c; c++)
        if (*c == ':')
            *c = ' ';
    axp_command c;
    if (axp_parse_command(buf, strlen(buf), &c) != AXP_E_NONE)
        return false;
    sim_axis *a = NULL;
    if (strcmp(c.axis, "*") != 0 && !(a = find_axis(c.axis)))
        return false;
    const char *why = "";
    if (!arm_fault(a, c.fault, c.arg, &why))
        return false;
    logf_("fault %s on %s (command line)", axp_fault_name(c.fault), c.axis);
    return true;
}

int main(int argc, char **argv)
{
    S.speed = 10;
    S.limit = 1e6;
    S.report_ms = 50;
    S.listen_fd = S.link_fd = S.pty_slave_fd = -1;
    parse_axes("x,y,z");
    const char *faults[16];
    int nfaults = 0;
    enum { OPT_PTY = 256, OPT_TCP, OPT_AXES, OPT_SPEED, OPT_ACCEL, OPT_LIMIT, OPT_REPORT,
           OPT_FAULT, OPT_HELP, OPT_VERSION };
    static const struct option opts[] = {
        {"pty", no_argument, NULL, OPT_PTY},           {"tcp", required_argument, NULL, OPT_TCP},
        {"axes", required_argument, NULL, OPT_AXES},   {"speed", required_argument, NULL, OPT_SPEED},
        {"accel", required_argument, NULL, OPT_ACCEL}, {"limit", required_argument, NULL, OPT_LIMIT},
        {"report-ms", required_argument, NULL, OPT_REPORT},
        {"fault", required_argument, NULL, OPT_FAULT}, {"help", no_argument, NULL, OPT_HELP},
        {"version", no_argument, NULL, OPT_VERSION},   {NULL, 0, NULL, 0},
    };
    opterr = 0;
    int ch;
    double d;
    while ((ch = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
        switch (ch) {
        case OPT_PTY:
            S.tcp = false;
            break;
        case OPT_TCP:
            if (!number_option("--tcp", optarg, 0, 65535, true, &d))
                return 2;
            S.tcp = true;
            S.port = (int)d;
            break;
        case OPT_AXES:
            if (!parse_axes(optarg))
                return cqt_tool_usage_error(PROG, "--axes takes 1 to 8 distinct names [A-Za-z0-9_-] of at "
                                            "most 16 characters, separated by commas, not '%s'", optarg);
            break;
        case OPT_SPEED:
            if (!number_option("--speed", optarg, 1e-6, 1e9, false, &S.speed))
                return 2;
            break;
        case OPT_ACCEL:
            if (!number_option("--accel", optarg, 0, 1e12, false, &S.accel))
                return 2;
            break;
        case OPT_LIMIT:
            if (!number_option("--limit", optarg, 0, AXP_MAX_POSITION, false, &S.limit))
                return 2;
            break;
        case OPT_REPORT:
            if (!number_option("--report-ms", optarg, 1, 100, true, &d))
                return 2;
            S.report_ms = (int)d;
            break;
        case OPT_FAULT:
            if (nfaults == 16)
                return cqt_tool_usage_error(PROG, "at most 16 --fault options (%s)", optarg);
            faults[nfaults++] = optarg;
            break;
        case OPT_HELP:
            usage(stdout);
            return 0;
        case OPT_VERSION: {
            char extra[64];
            snprintf(extra, sizeof extra, "controller protocol version %d\n", AXP_VERSION);
            cqt_tool_print_version(PROG, extra);
            return 0;
        }
        default: { /* ':' or '?' */
            char why[160];
            cqt_tool_getopt_error(ch, argv, opts, why, sizeof why);
            return cqt_tool_usage_error(PROG, "%s", why);
        }
        }
    }
    if (optind < argc)
        return cqt_tool_usage_error(PROG, "unexpected argument '%s'", argv[optind]);
    /* Faults after --axes, whatever the order they were given in. */
    for (int i = 0; i < nfaults; i++)
        if (!parse_fault(faults[i]))
            return cqt_tool_usage_error(PROG, "--fault takes AXIS:KIND[:N] with a known axis or '*' and "
                                        "a kind from --help, not '%s'", faults[i]);

    signal(SIGPIPE, SIG_IGN); /* a host gone mid-write is an EPIPE, not a death */
    int qt_argc = 1;
    char *qt_argv[] = {argv[0], NULL};
    if (cqt_app_init(&qt_argc, qt_argv, CQT_APP_CORE) != CQT_OK) {
        fprintf(stderr, PROG ": %s\n", cqt_last_error());
        return 3;
    }
    /* QCoreApplication took the locale from the environment; the log's
     * and the error messages' numbers stay with a decimal point. */
    setlocale(LC_NUMERIC, "C");
    S.obj = cqt_object_new(NULL);
    S.last_tick = now_s();
    int rc = 0;
    if (!S.obj || cqt_object_start_timer(S.obj, TICK_MS, CQT_TIMER_PRECISE, on_tick, NULL) <= 0 ||
        cqt_unix_signal_watch(SIGINT, S.obj, on_signal, NULL, NULL) <= 0 ||
        cqt_unix_signal_watch(SIGTERM, S.obj, on_signal, NULL, NULL) <= 0) {
        logf_("%s", cqt_last_error());
        rc = 3;
    } else if ((S.tcp ? tcp_open() : pty_open()) != 0) {
        rc = 3;
    } else {
        rc = cqt_app_exec();
    }
    if (S.link_w)
        cqt_io_watch_free(S.link_w);
    if (S.listen_w)
        cqt_io_watch_free(S.listen_w);
    if (S.link_fd >= 0)
        close(S.link_fd);
    if (S.pty_slave_fd >= 0)
        close(S.pty_slave_fd);
    if (S.listen_fd >= 0)
        close(S.listen_fd);
    cqt_object_free(S.obj);
    if (cqt_app_shutdown(5000) != CQT_OK) {
        fprintf(stderr, PROG ": shutdown: %s\n", cqt_last_error());
        if (rc == 0)
            rc = 3;
    }
    return rc;
}
