/* SPDX-License-Identifier: MIT */
/* axis-link.c — one connection to a motor controller (see cqt/axislink.h),
 * speaking docs/controller-protocol.md v1 for the axes on it (axis.c).
 *
 * Lifecycle of a cqt_axis_link:
 *
 *   OPENING   cqt_axis_link_new(): the caller's thread parses the address,
 *             connects and does the HELLO exchange with poll(), bounded by
 *             connect_timeout_ms. Nothing is shared yet; a failure frees
 *             everything there and returns NULL.
 *   CONNECTED the fd is watched in the link thread. Only that thread reads
 *             and writes it, runs the reply timer and calls into the axes.
 *             Any thread may queue commands (axes' moves reach here as
 *             steps of the axis, which lives in the link thread too; fault
 *             commands are queued under the mutex and a pump is invoked).
 *   LOST      EOF, a hang-up, an I/O error: the watch is freed (inside its
 *             own callback, which io.h allows), the fd closed (unless it
 *             is the caller's "fd:" fd), pending commands dropped, every
 *             axis faulted, state_changed emitted. cqt_axis_link_reconnect()
 *             (any thread; run in the link thread, blocking the caller)
 *             opens a new fd and goes back to CONNECTED.
 *   RELEASED  the last reference went (the user's cqt_axis_link_free() and
 *             one per axis on it, in any order): the object (watch, timer,
 *             signals and their connections) is freed in the link thread,
 *             the fd closed, then the own thread is joined and the memory
 *             freed. From a foreign thread that is a blocking call into the
 *             link thread (queued instead when that thread is blocked on
 *             the caller: CQT_EDEADLK). From the link thread inside one of
 *             the link's own callbacks (a slot of state_changed/traffic, or
 *             of an axis the link reported to) the release is queued and
 *             runs once the callback chain has unwound; the callbacks still
 *             on the stack find `freeing` set and do nothing more. The peer
 *             being gone changes nothing here: release never waits for it.
 *
 * Locks: `mu` guards the state, the slots and the pending commands; it is
 * never held while calling an axis or emitting a signal, and axis.c never
 * holds its axis mutex while calling in here.
 */
#include <cqt/cqt.h>
#include <cqt/axislink.h>

#include "axis-private.h"
#include "axis-proto.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#define LINK_ADDR_MAX 256
#define LINK_MSG_MAX 256
#define LINK_DEFAULT_CONNECT_MS 2000
#define LINK_DEFAULT_REPLY_MS 1000
#define LINK_DEFAULT_BAUD 115200

enum { T_TCP, T_SERIAL, T_FD };

typedef struct link_addr {
    int transport;
    char host[LINK_ADDR_MAX];
    char port[8];
    char path[LINK_ADDR_MAX];
    int baud;
    speed_t speed;
    int fd;
} link_addr;

/* One cqt_axis on the link and what it waits to send. Guarded by mu. */
typedef struct link_slot {
    cqt_axis *axis; /* NULL: free slot */
    char remote[AXP_MAX_NAME + 1];
    bool gone;          /* the controller no longer announces it */
    bool move_pending;  /* a MOVE to send (coalesced: the last target) */
    double move_target;
    bool stop_pending;
    int fault_pending;  /* an axp_fault to send; 0: none */
    bool pos_query;     /* POS? to send (after a (re)connect) */
    bool remote_moving; /* OK'd MOVE not yet ended by !DONE/!STOPPED */
} link_slot;

struct cqt_axis_link {
    char address[LINK_ADDR_MAX];
    link_addr addr;
    int connect_ms, reply_ms;
    bool own_thread;
    cqt_thread *thread;
    cqt_object *obj;
    cqt_timer *reply_timer;
    cqt_signal *sig_state, *sig_traffic;

    pthread_mutex_t mu;
    /* guarded by mu */
    int refs;
    bool user_freed;
    cqt_axis_link_state state;
    char message[LINK_MSG_MAX];
    int fd;
    int naxes;
    char axes[AXP_MAX_AXES][AXP_MAX_NAME + 1];
    link_slot slots[AXP_MAX_AXES];
    bool busy; /* a command in flight */
    int busy_slot; /* its slot; -1: none (a link-wide command) */
    int busy_kind; /* 0 MOVE, 1 STOP, 2 FAULT, 3 POS? */
    char busy_line[AXP_MAX_LINE + 1];
    uint64_t busy_gen; /* which command the reply timer is for */

    /* link thread only */
    cqt_io_watch *watch;
    axp_reader rd;
    int rr; /* round robin over the slots */
    int depth; /* nesting of the link's callbacks */
    bool freeing; /* released from inside a callback: callbacks stop */
    bool release_queued;
};

enum { K_MOVE, K_STOP, K_FAULT, K_POS };

static void link_lock(const cqt_axis_link *l)
{
    pthread_mutex_lock((pthread_mutex_t *)&l->mu);
}

static void link_unlock(const cqt_axis_link *l)
{
    pthread_mutex_unlock((pthread_mutex_t *)&l->mu);
}

static int64_t ms_now(void)
{
    return cqt_now_ns() / 1000000;
}

/* ---- addresses ---------------------------------------------------------- */

static const struct {
    int baud;
    speed_t speed;
} bauds[] = {
    {1200, B1200},     {2400, B2400},       {4800, B4800},       {9600, B9600},       {19200, B19200},
    {38400, B38400},   {57600, B57600},     {115200, B115200},   {230400, B230400},   {460800, B460800},
    {500000, B500000}, {576000, B576000},   {921600, B921600},   {1000000, B1000000}, {1500000, B1500000},
    {2000000, B2000000}, {3000000, B3000000}, {4000000, B4000000},
};

static const char *const transports_hint =
    "use tcp:HOST:PORT, serial:/dev/ttyX[,BAUD], fd:N, or sim (no link)";

static int parse_address(const char *fn, const char *address, link_addr *out)
{
    memset(out, 0, sizeof *out);
    out->fd = -1;
    if (!address || !*address)
        return cqt_set_last_error(CQT_EINVAL, "%s: no address; %s", fn, transports_hint);
    if (strlen(address) >= LINK_ADDR_MAX)
        return cqt_set_last_error(CQT_EINVAL, "%s: address is longer than %d bytes", fn, LINK_ADDR_MAX - 1);
    if (!strcmp(address, "sim"))
        return cqt_set_last_error(CQT_EINVAL,
                                  "%s: address 'sim' means no link: create the axes with config.link NULL "
                                  "(cqt_axis_link_address_is_sim())",
                                  fn);
    if (!strncmp(address, "tcp:", 4)) {
        out->transport = T_TCP;
        const char *hp = address + 4;
        const char *colon = strrchr(hp, ':');
        if (!colon || colon == hp)
            return cqt_set_last_error(CQT_EINVAL, "%s: address '%s': want tcp:HOST:PORT, e.g. tcp:127.0.0.1:5000",
                                      fn, address);
        size_t hl = (size_t)(colon - hp);
        /* [::1]:5000 */
        if (hl >= 2 && hp[0] == '[' && hp[hl - 1] == ']') {
            hp++;
            hl -= 2;
        }
        memcpy(out->host, hp, hl);
        out->host[hl] = '\0';
        char *end;
        errno = 0;
        long port = strtol(colon + 1, &end, 10);
        if (!colon[1] || *end || errno)
            return cqt_set_last_error(CQT_EINVAL, "%s: address '%s': port '%s' is not a number; want 1..65535",
                                      fn, address, colon + 1);
        if (port < 1 || port > 65535)
            return cqt_set_last_error(CQT_EINVAL, "%s: address '%s': port %ld is out of range; want 1..65535", fn,
                                      address, port);
        snprintf(out->port, sizeof out->port, "%ld", port);
        return CQT_OK;
    }
    if (!strncmp(address, "serial:", 7)) {
        out->transport = T_SERIAL;
        const char *p = address + 7;
        const char *comma = strchr(p, ',');
        size_t pl = comma ? (size_t)(comma - p) : strlen(p);
        if (pl == 0)
            return cqt_set_last_error(CQT_EINVAL, "%s: address '%s': no device; want serial:/dev/ttyX[,BAUD]", fn,
                                      address);
        memcpy(out->path, p, pl);
        out->path[pl] = '\0';
        out->baud = LINK_DEFAULT_BAUD;
        if (comma) {
            char *end;
            errno = 0;
            long b = strtol(comma + 1, &end, 10);
            if (!comma[1] || *end || errno || b <= 0 || b > INT_MAX)
                b = -1;
            out->baud = (int)b;
        }
        for (size_t i = 0; i < sizeof bauds / sizeof bauds[0]; i++)
            if (bauds[i].baud == out->baud) {
                out->speed = bauds[i].speed;
                return CQT_OK;
            }
        return cqt_set_last_error(CQT_EINVAL,
                                  "%s: address '%s': baud rate '%s' is not a standard rate; use one of "
                                  "9600, 19200, 38400, 57600, 115200, 230400, 460800, 921600 (default 115200)",
                                  fn, address, comma ? comma + 1 : "");
    }
    if (!strncmp(address, "fd:", 3)) {
        out->transport = T_FD;
        char *end;
        errno = 0;
        long fd = strtol(address + 3, &end, 10);
        if (!address[3] || *end || errno || fd < 0 || fd > INT_MAX)
            return cqt_set_last_error(CQT_EINVAL, "%s: address '%s': want fd:N with N an open fd", fn, address);
        if (fcntl((int)fd, F_GETFD) < 0)
            return cqt_set_last_error(CQT_EINVAL, "%s: address '%s': fd %ld is not open; open it first", fn,
                                      address, fd);
        out->fd = (int)fd;
        return CQT_OK;
    }
    const char *colon = strchr(address, ':');
    int tl = colon ? (int)(colon - address) : (int)strlen(address);
    return cqt_set_last_error(CQT_EINVAL, "%s: unknown transport '%.*s' in address '%s'; %s", fn, tl, address,
                              address, transports_hint);
}

/* ---- connecting (any thread, blocking, bounded) ------------------------ */

static int set_nonblock(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    return fl < 0 ? -1 : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

static int open_tcp(const char *fn, const char *address, const link_addr *ad, int64_t deadline, int *out)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *res = NULL;
    int gai = getaddrinfo(ad->host, ad->port, &hints, &res);
    if (gai != 0)
        return cqt_set_last_error(CQT_EINVAL, "%s: address '%s': host '%s' is unknown (%s); check the name",
                                  fn, address, ad->host, gai_strerror(gai));
    int err = 0;
    bool timed_out = false;
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        int s = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol);
        if (s < 0) {
            err = errno;
            continue;
        }
        /* One short command at a time, each waiting for its reply: send
         * at once rather than coalesce (Nagle). */
        int one = 1;
        setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        if (connect(s, ai->ai_addr, ai->ai_addrlen) == 0) {
            freeaddrinfo(res);
            *out = s;
            return CQT_OK;
        }
        err = errno;
        if (err == EINPROGRESS) {
            struct pollfd p = {.fd = s, .events = POLLOUT};
            int left = (int)(deadline - ms_now());
            int r = left > 0 ? poll(&p, 1, left) : 0;
            while (r < 0 && errno == EINTR)
                r = poll(&p, 1, (int)(deadline - ms_now()) > 0 ? (int)(deadline - ms_now()) : 0);
            if (r > 0) {
                socklen_t len = sizeof err;
                if (getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err == 0) {
                    freeaddrinfo(res);
                    *out = s;
                    return CQT_OK;
                }
            } else {
                timed_out = true;
            }
        }
        close(s);
    }
    freeaddrinfo(res);
    if (timed_out)
        return cqt_set_last_error(CQT_ETIMEDOUT,
                                  "%s: address '%s': no connection within the connect timeout; check that the "
                                  "controller is up and reachable",
                                  fn, address);
    if (err == ECONNREFUSED)
        return cqt_set_last_error(CQT_EFAULT,
                                  "%s: address '%s': connection refused; is the controller (e.g. "
                                  "cqt-axis-sim --tcp %s) running and accepting connections?",
                                  fn, address, ad->port);
    return cqt_set_last_error(CQT_EFAULT, "%s: address '%s': cannot connect: %s", fn, address, strerror(err));
}

static int open_serial(const char *fn, const char *address, const link_addr *ad, int *out)
{
    int fd = open(ad->path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        if (e == ENOENT)
            return cqt_set_last_error(CQT_EFAULT,
                                      "%s: address '%s': no device '%s'; check the path (a pty's is printed "
                                      "by cqt-axis-sim --pty)",
                                      fn, address, ad->path);
        return cqt_set_last_error(CQT_EFAULT, "%s: address '%s': cannot open '%s': %s%s", fn, address, ad->path,
                                  strerror(e), e == EACCES ? "; join the device's group (e.g. dialout)" : "");
    }
    struct termios t;
    if (tcgetattr(fd, &t) != 0) {
        close(fd);
        return cqt_set_last_error(CQT_EFAULT,
                                  "%s: address '%s': '%s' is not a serial device or terminal; for a socket "
                                  "use tcp:, for an fd you opened use fd:N",
                                  fn, address, ad->path);
    }
    /* Raw 8N1, no flow control: the protocol is plain ASCII lines and
     * must see every byte as sent (no echo, no CR/LF mapping). */
    cfmakeraw(&t);
    t.c_cflag &= ~(tcflag_t)(PARENB | CSTOPB | CSIZE | CRTSCTS);
    t.c_cflag |= CS8 | CLOCAL | CREAD;
    t.c_iflag &= ~(tcflag_t)(IXON | IXOFF | IXANY);
    t.c_cc[VMIN] = 0;
    t.c_cc[VTIME] = 0;
    cfsetispeed(&t, ad->speed);
    cfsetospeed(&t, ad->speed);
    if (tcsetattr(fd, TCSANOW, &t) != 0) {
        int e = errno;
        close(fd);
        return cqt_set_last_error(CQT_EFAULT, "%s: address '%s': cannot set %d baud 8N1 raw: %s", fn, address,
                                  ad->baud, strerror(e));
    }
    *out = fd;
    return CQT_OK;
}

/* Writes all of @buf, waiting for room up to @deadline. */
static int write_all(int fd, const char *buf, size_t n, int64_t deadline)
{
    while (n > 0) {
        ssize_t k = write(fd, buf, n);
        if (k > 0) {
            buf += k;
            n -= (size_t)k;
            continue;
        }
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
            return -errno;
        int left = (int)(deadline - ms_now());
        if (left <= 0)
            return -ETIMEDOUT;
        struct pollfd p = {.fd = fd, .events = POLLOUT};
        if (poll(&p, 1, left) < 0 && errno != EINTR)
            return -errno;
    }
    return 0;
}

typedef struct hello_ctx {
    bool done;
    int status;
    axp_reply r;
} hello_ctx;

static void hello_line(void *user_data, const char *line, size_t len, axp_error e)
{
    hello_ctx *h = user_data;
    if (h->done || e != AXP_E_NONE)
        return;
    axp_reply r;
    axp_error pe = axp_parse_reply(line, len, &r);
    if (pe == AXP_E_MAGIC) {
        h->done = true;
        h->status = AXP_E_MAGIC;
        return;
    }
    /* Lines of an earlier session are ignored (protocol, HELLO exchange). */
    if (pe != AXP_E_NONE)
        return;
    if (r.kind == AXP_HELLO || (r.kind == AXP_ERR && !strcmp(r.axis, "*"))) {
        h->done = true;
        h->r = r;
    }
}

/* Connects and does the HELLO exchange; fills the axes. */
static int link_open_fd(cqt_axis_link *l, const char *fn, int *fd_out, int *naxes,
                        char axes[AXP_MAX_AXES][AXP_MAX_NAME + 1])
{
    int64_t deadline = ms_now() + l->connect_ms;
    int fd = -1, rc;
    switch (l->addr.transport) {
    case T_TCP:
        rc = open_tcp(fn, l->address, &l->addr, deadline, &fd);
        break;
    case T_SERIAL:
        rc = open_serial(fn, l->address, &l->addr, &fd);
        break;
    default:
        fd = l->addr.fd;
        rc = set_nonblock(fd) == 0 ? CQT_OK
                                   : cqt_set_last_error(CQT_EINVAL, "%s: address '%s': fd %d: %s", fn,
                                                        l->address, fd, strerror(errno));
        break;
    }
    if (rc != CQT_OK)
        return rc;
    char hello[32];
    int n = axp_format_hello(hello + 1, sizeof hello - 1, AXP_VERSION);
    hello[0] = '\n'; /* ends any half line an earlier session left */
    int w = n > 0 ? write_all(fd, hello, (size_t)n + 1, deadline) : -EINVAL;
    if (w != 0) {
        rc = cqt_set_last_error(w == -ETIMEDOUT ? CQT_ETIMEDOUT : CQT_EFAULT,
                                "%s: address '%s': cannot send HELLO: %s", fn, l->address, strerror(-w));
        goto fail;
    }
    hello_ctx h = {0};
    axp_reader rd;
    axp_reader_init(&rd);
    while (!h.done) {
        int left = (int)(deadline - ms_now());
        if (left <= 0) {
            rc = cqt_set_last_error(CQT_ETIMEDOUT,
                                    "%s: address '%s': no HELLO reply within %d ms; is it a cqt axis "
                                    "controller speaking protocol version %d (docs/controller-protocol.md)?",
                                    fn, l->address, l->connect_ms, AXP_VERSION);
            goto fail;
        }
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int r = poll(&p, 1, left);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            continue;
        char buf[256];
        ssize_t k = read(fd, buf, sizeof buf);
        if (k < 0 && (errno == EAGAIN || errno == EINTR))
            continue;
        if (k <= 0) {
            rc = cqt_set_last_error(CQT_EFAULT, "%s: address '%s': the controller closed the connection during "
                                                "HELLO%s%s; is another host connected?",
                                    fn, l->address, k < 0 ? ": " : "", k < 0 ? strerror(errno) : "");
            goto fail;
        }
        axp_reader_feed(&rd, buf, (size_t)k, hello_line, &h);
    }
    if (h.status == AXP_E_MAGIC) {
        rc = cqt_set_last_error(CQT_EFAULT,
                                "%s: address '%s': the device answered HELLO but is not a cqt axis controller "
                                "(no '%s')",
                                fn, l->address, AXP_MAGIC);
        goto fail;
    }
    if (h.r.kind == AXP_ERR) {
        rc = cqt_set_last_error(CQT_EFAULT, "%s: address '%s': the controller refused the session: ERR %d %s%s",
                                fn, l->address, h.r.code, h.r.message,
                                h.r.code == AXP_ERR_REFUSED ? "; free the other host's link, or clear the refusal" : "");
        goto fail;
    }
    if (h.r.version != AXP_VERSION) {
        rc = cqt_set_last_error(CQT_EFAULT,
                                "%s: address '%s': controller speaks protocol version %d; this driver speaks %d",
                                fn, l->address, h.r.version, AXP_VERSION);
        goto fail;
    }
    *naxes = h.r.naxes;
    memcpy(axes, h.r.axes, sizeof h.r.axes);
    *fd_out = fd;
    return CQT_OK;
fail:
    if (l->addr.transport != T_FD)
        close(fd);
    return rc;
}

/* ---- the link thread ---------------------------------------------------- */

static void link_on_readable(void *user_data, cqt_io_watch *w, int fd, unsigned revents);

static void emit_traffic(cqt_axis_link *l, char dir, const char *line, size_t len)
{
    char buf[AXP_MAX_LINE + 8];
    while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
        len--;
    if (len > AXP_MAX_LINE)
        len = AXP_MAX_LINE;
    snprintf(buf, sizeof buf, "%c %.*s", dir, (int)len, line);
    cqt_value v = cqt_value_string(buf);
    cqt_emit(l->sig_traffic, &v);
    cqt_value_clear(&v);
}

static void emit_state(cqt_axis_link *l, cqt_axis_link_state s)
{
    cqt_value v = cqt_value_int(s);
    cqt_emit(l->sig_state, &v);
    cqt_value_clear(&v);
}

/* Reports @ev to the axis in @slot, if it is still there. Re-read under
 * the mutex each time: a slot of an earlier report may have freed it. */
static void report(cqt_axis_link *l, int slot, cqt__axis_link_ev ev, double pos, const char *msg)
{
    link_lock(l);
    cqt_axis *a = slot >= 0 && slot < AXP_MAX_AXES ? l->slots[slot].axis : NULL;
    link_unlock(l);
    if (a && !l->freeing)
        cqt__axis_on_link(a, ev, pos, msg);
}

static void report_fault(cqt_axis_link *l, int slot, const char *fmt, const char *what)
{
    link_lock(l);
    cqt_axis *a = slot >= 0 && slot < AXP_MAX_AXES ? l->slots[slot].axis : NULL;
    if (a) { /* the fault ends what the axis asked: nothing more goes out for it */
        l->slots[slot].move_pending = false;
        l->slots[slot].stop_pending = false;
    }
    link_unlock(l);
    if (!a || l->freeing)
        return;
    char msg[LINK_MSG_MAX + 64];
    snprintf(msg, sizeof msg, fmt, cqt_axis_name(a), what);
    cqt__axis_on_link(a, CQT__AXL_FAULT, NAN, msg);
}

static void link_pump(cqt_axis_link *l);

static void link_lose(cqt_axis_link *l, const char *why)
{
    link_lock(l);
    if (l->state == CQT_AXIS_LINK_LOST) {
        link_unlock(l);
        return;
    }
    l->state = CQT_AXIS_LINK_LOST;
    snprintf(l->message, sizeof l->message, "connection lost to %.120s (%.100s)", l->address, why);
    int fd = l->fd;
    l->fd = -1;
    l->busy = false;
    for (int i = 0; i < AXP_MAX_AXES; i++) {
        link_slot *s = &l->slots[i];
        s->move_pending = s->stop_pending = s->pos_query = s->remote_moving = false;
        s->fault_pending = 0;
    }
    char msg[LINK_MSG_MAX];
    memcpy(msg, l->message, sizeof msg);
    link_unlock(l);
    cqt_timer_stop(l->reply_timer);
    if (l->watch) {
        cqt_io_watch_free(l->watch);
        l->watch = NULL;
    }
    if (fd >= 0 && l->addr.transport != T_FD)
        close(fd);
    for (int i = 0; i < AXP_MAX_AXES && !l->freeing; i++) {
        link_lock(l);
        cqt_axis *a = l->slots[i].axis;
        link_unlock(l);
        if (!a)
            continue;
        char m[LINK_MSG_MAX + 96];
        snprintf(m, sizeof m, "axis '%s': %s at last reported position %.3f", cqt_axis_name(a), msg,
                 cqt_axis_position(a));
        report(l, i, CQT__AXL_FAULT, NAN, m);
    }
    if (!l->freeing)
        emit_state(l, CQT_AXIS_LINK_LOST);
}

/* A line the host cannot take (garbled, oversized, unexpected): every
 * axis with a command or a move in flight is faulted. */
static void link_garbled(cqt_axis_link *l, const char *what)
{
    for (int i = 0; i < AXP_MAX_AXES && !l->freeing; i++) {
        link_lock(l);
        cqt_axis *a = l->slots[i].axis;
        bool in_flight = a && ((l->busy && l->busy_slot == i) || l->slots[i].remote_moving ||
                               l->slots[i].move_pending || l->slots[i].stop_pending);
        link_unlock(l);
        if (!in_flight && a)
            in_flight = cqt_axis_is_moving(a);
        if (in_flight)
            report_fault(l, i, "axis '%s': %s", what);
    }
}

static int find_slot(cqt_axis_link *l, const char *name)
{
    for (int i = 0; i < AXP_MAX_AXES; i++)
        if (l->slots[i].axis && !strcmp(l->slots[i].remote, name))
            return i;
    return -1;
}

static void link_reply(cqt_axis_link *l, const axp_reply *r, const char *line, size_t len)
{
    char shown[AXP_MAX_LINE];
    snprintf(shown, sizeof shown, "%.*s", (int)(len > 0 ? len - 1 : 0), line);
    link_lock(l);
    bool is_reply = r->kind <= AXP_ERR;
    if (is_reply) {
        const char *want = "";
        int slot = l->busy ? l->busy_slot : -1;
        if (slot >= 0)
            want = l->slots[slot].remote;
        bool match = l->busy && (!strcmp(r->axis, want) || (r->kind == AXP_ERR && !strcmp(r->axis, "*")));
        bool kind_ok = (r->kind == AXP_OK && l->busy_kind != K_POS) || (r->kind == AXP_POS && l->busy_kind == K_POS) ||
                       r->kind == AXP_ERR;
        if (!match || !kind_ok) {
            bool busy = l->busy;
            link_unlock(l);
            char what[LINK_MSG_MAX];
            snprintf(what, sizeof what, "garbled line from the controller: '%s' (%s)", shown,
                     busy ? "not the reply to the command in flight" : "a reply with no command in flight");
            link_garbled(l, what);
            return;
        }
        int kind = l->busy_kind;
        char cmd[AXP_MAX_LINE + 1];
        memcpy(cmd, l->busy_line, sizeof cmd);
        cmd[strcspn(cmd, "\n")] = '\0';
        l->busy = false;
        l->busy_gen++;
        bool stopped_at_rest = false;
        if (r->kind == AXP_OK && kind == K_MOVE && slot >= 0)
            l->slots[slot].remote_moving = true;
        if (r->kind == AXP_OK && kind == K_STOP && slot >= 0 && !l->slots[slot].remote_moving)
            stopped_at_rest = true;
        link_unlock(l);
        cqt_timer_stop(l->reply_timer);
        if (r->kind == AXP_ERR) {
            char what[LINK_MSG_MAX + 64];
            snprintf(what, sizeof what, "the controller refused '%s': ERR %d %s", cmd, r->code, r->message);
            report_fault(l, slot, "axis '%s': %s", what);
        } else if (r->kind == AXP_POS) {
            report(l, slot, CQT__AXL_POS_REPLY, r->position, NULL);
        } else if (stopped_at_rest) {
            report(l, slot, CQT__AXL_STOPPED, NAN, NULL);
        }
        return;
    }
    /* A notification. */
    if (!strcmp(r->axis, "*")) { /* only !ERR may name '*' */
        link_unlock(l);
        char what[LINK_MSG_MAX + 64];
        snprintf(what, sizeof what, "controller error: !ERR * %d %s", r->code, r->message);
        for (int i = 0; i < AXP_MAX_AXES && !l->freeing; i++)
            report_fault(l, i, "axis '%s': %s", what);
        return;
    }
    int slot = find_slot(l, r->axis);
    if (slot >= 0 && (r->kind == AXP_EV_DONE || r->kind == AXP_EV_STOPPED))
        l->slots[slot].remote_moving = false;
    link_unlock(l);
    if (slot < 0)
        return; /* an axis of the controller that no cqt_axis drives */
    switch (r->kind) {
    case AXP_EV_POS:
        report(l, slot, CQT__AXL_POS, r->position, NULL);
        break;
    case AXP_EV_DONE:
        report(l, slot, CQT__AXL_DONE, r->position, NULL);
        break;
    case AXP_EV_STOPPED:
        report(l, slot, CQT__AXL_STOPPED, r->position, NULL);
        break;
    default: {
        char what[LINK_MSG_MAX + 64];
        snprintf(what, sizeof what, "controller error: !ERR %s %d %s", r->axis, r->code, r->message);
        report_fault(l, slot, "axis '%s': %s", what);
        break;
    }
    }
}

static void link_line(void *user_data, const char *line, size_t len, axp_error e)
{
    cqt_axis_link *l = user_data;
    if (l->freeing || cqt_axis_link_get_state(l) != CQT_AXIS_LINK_CONNECTED)
        return;
    if (e == AXP_E_TOO_LONG) {
        emit_traffic(l, '<', "(a line over 128 bytes, dropped)", 32);
        link_garbled(l, "garbled line from the controller: a line over 128 bytes (dropped)");
        return;
    }
    emit_traffic(l, '<', line, len);
    if (l->freeing)
        return;
    axp_reply r;
    axp_error pe = axp_parse_reply(line, len, &r);
    if (pe != AXP_E_NONE) {
        char what[LINK_MSG_MAX];
        char shown[AXP_MAX_LINE];
        size_t k = 0;
        for (size_t i = 0; i + 1 < len && k + 1 < sizeof shown; i++) /* printable only */
            shown[k++] = line[i] >= 0x20 && line[i] < 0x7f ? line[i] : '?';
        shown[k] = '\0';
        snprintf(what, sizeof what, "garbled line from the controller (%s): '%s'", axp_error_name(pe), shown);
        link_garbled(l, what);
        return;
    }
    link_reply(l, &r, line, len);
}

static void link_on_readable(void *user_data, cqt_io_watch *w, int fd, unsigned revents)
{
    cqt_axis_link *l = user_data;
    if (l->freeing)
        return;
    l->depth++;
    char buf[512];
    ssize_t k = 0;
    if (revents & CQT_IO_READ) {
        k = read(fd, buf, sizeof buf);
        if (k > 0)
            axp_reader_feed(&l->rd, buf, (size_t)k, link_line, l);
    }
    if (!l->freeing && cqt_axis_link_get_state(l) == CQT_AXIS_LINK_CONNECTED) {
        if (k == 0 && (revents & CQT_IO_READ))
            link_lose(l, l->rd.n ? "end of stream inside a partial line" : "end of stream");
        else if (k < 0 && errno != EAGAIN && errno != EINTR)
            link_lose(l, strerror(errno));
        else if ((revents & CQT_IO_ERROR) && !(revents & CQT_IO_READ))
            link_lose(l, "hang-up");
        else
            link_pump(l);
    }
    l->depth--;
    (void)w;
}

static void link_on_reply_timeout(void *user_data, const cqt_value *arg)
{
    (void)arg;
    cqt_axis_link *l = user_data;
    if (l->freeing)
        return;
    l->depth++;
    link_lock(l);
    if (!l->busy) {
        link_unlock(l);
        l->depth--;
        return;
    }
    int slot = l->busy_slot;
    char what[LINK_MSG_MAX + 64];
    size_t n = strlen(l->busy_line);
    snprintf(what, sizeof what, "no reply to '%.*s' within %d ms%s%.*s%s", (int)(n ? n - 1 : 0), l->busy_line,
             l->reply_ms, l->rd.n ? " (partial line held: '" : "", (int)(l->rd.n > 60 ? 60 : l->rd.n), l->rd.buf,
             l->rd.n ? "')" : "");
    l->busy = false;
    l->busy_gen++;
    link_unlock(l);
    report_fault(l, slot, "axis '%s': %s", what);
    if (!l->freeing)
        link_pump(l);
    l->depth--;
}

/* Sends the next pending command if none is in flight. Link thread. */
static void link_pump(cqt_axis_link *l)
{
    if (l->freeing)
        return;
    char line[AXP_MAX_LINE + 1];
    int n = -1;
    link_lock(l);
    if (l->busy || l->state != CQT_AXIS_LINK_CONNECTED) {
        link_unlock(l);
        return;
    }
    for (int k = 0; k < AXP_MAX_AXES && n < 0; k++) {
        int i = (l->rr + k) % AXP_MAX_AXES;
        link_slot *s = &l->slots[i];
        if (!s->axis || s->gone)
            continue;
        int kind = -1;
        /* The position query of a (re)connect goes first: it was asked
         * before anything the axis' user can ask (an injected ERROR armed
         * ahead of it would strike the query instead of the next move). */
        if (s->pos_query) {
            n = axp_format_pos_query(line, sizeof line, s->remote);
            s->pos_query = false;
            kind = K_POS;
        } else if (s->fault_pending) {
            n = axp_format_fault(line, sizeof line, s->remote, (axp_fault)s->fault_pending, -1);
            s->fault_pending = 0;
            kind = K_FAULT;
        } else if (s->stop_pending) {
            n = axp_format_stop(line, sizeof line, s->remote);
            s->stop_pending = false;
            kind = K_STOP;
        } else if (s->move_pending) {
            n = axp_format_move(line, sizeof line, s->remote, s->move_target);
            s->move_pending = false;
            kind = K_MOVE;
        }
        if (n > 0) {
            l->busy = true;
            l->busy_slot = i;
            l->busy_kind = kind;
            l->busy_gen++;
            memcpy(l->busy_line, line, (size_t)n + 1);
            l->rr = (i + 1) % AXP_MAX_AXES;
        }
    }
    int fd = l->fd;
    link_unlock(l);
    if (n <= 0)
        return;
    int w = write_all(fd, line, (size_t)n, ms_now() + l->reply_ms);
    emit_traffic(l, '>', line, (size_t)n);
    if (l->freeing)
        return;
    if (w != 0) {
        link_lose(l, w == -ETIMEDOUT ? "the controller takes no more bytes" : strerror(-w));
        return;
    }
    cqt_timer_start(l->reply_timer, l->reply_ms);
}

static void link_pump_call(void *user_data)
{
    cqt_axis_link *l = user_data;
    if (l->freeing)
        return;
    l->depth++;
    link_pump(l);
    l->depth--;
}

/* ---- axis.c's side (axis-private.h) -------------------------------------- */

int cqt__axis_link_attach(cqt_axis_link *l, cqt_axis *axis, const char *remote)
{
    link_lock(l);
    int known = -1;
    for (int i = 0; i < l->naxes; i++)
        if (!strcmp(l->axes[i], remote))
            known = i;
    if (known < 0) {
        char list[AXP_MAX_AXES * (AXP_MAX_NAME + 1) + 1] = "";
        for (int i = 0; i < l->naxes; i++) {
            strcat(list, i ? " " : "");
            strcat(list, l->axes[i]);
        }
        link_unlock(l);
        return cqt_set_last_error(CQT_EINVAL,
                                  "cqt_axis_new: axis '%s': the controller at %s has no axis '%s' (it has: %s); "
                                  "set config.remote_name to one of them",
                                  cqt_axis_name(axis), l->address, remote, list);
    }
    int free_slot = -1;
    for (int i = AXP_MAX_AXES - 1; i >= 0; i--) {
        if (l->slots[i].axis && !strcmp(l->slots[i].remote, remote)) {
            const char *other = cqt_axis_name(l->slots[i].axis);
            link_unlock(l);
            return cqt_set_last_error(CQT_ESTATE,
                                      "cqt_axis_new: axis '%s': controller axis '%s' on %s is already driven by "
                                      "axis '%s'; free that one first",
                                      cqt_axis_name(axis), remote, l->address, other);
        }
        if (!l->slots[i].axis)
            free_slot = i;
    }
    link_slot *s = &l->slots[free_slot]; /* at most 8 names, 8 slots: always one */
    memset(s, 0, sizeof *s);
    s->axis = axis;
    snprintf(s->remote, sizeof s->remote, "%s", remote);
    s->pos_query = true; /* learn where it is */
    l->refs++;
    link_unlock(l);
    cqt_invoke(l->obj, link_pump_call, l, CQT_QUEUED);
    return free_slot;
}

void cqt__axis_link_detach(cqt_axis_link *l, int slot)
{
    link_lock(l);
    /* The remote name stays: the reply to a command of this slot still in
     * flight must match it, not look garbled to the other axes. */
    link_slot *s = &l->slots[slot];
    s->axis = NULL;
    s->move_pending = s->stop_pending = s->pos_query = false;
    s->fault_pending = 0;
    link_unlock(l);
}

int cqt__axis_link_submit(cqt_axis_link *l, int slot, cqt__axis_link_cmd cmd, double target, char *why,
                          size_t why_size)
{
    link_lock(l);
    link_slot *s = &l->slots[slot];
    if (l->state != CQT_AXIS_LINK_CONNECTED || s->gone) {
        snprintf(why, why_size, "%s", s->gone ? "the controller no longer has this axis" : l->message);
        link_unlock(l);
        return CQT_EFAULT;
    }
    int rc = CQT_OK;
    if (cmd == CQT__AXL_MOVE) {
        s->move_pending = true;
        s->move_target = target;
        s->stop_pending = false;
    } else {
        s->move_pending = false; /* not sent yet: nothing to stop for it */
        bool move_in_flight = l->busy && l->busy_slot == slot && l->busy_kind == K_MOVE;
        if (s->remote_moving || move_in_flight)
            s->stop_pending = true;
        else
            rc = 1;
    }
    link_unlock(l);
    if (rc == CQT_OK)
        link_pump_call(l);
    return rc;
}

int cqt__axis_link_send_fault(cqt_axis_link *l, int slot, cqt_axis_fault fault, bool clear)
{
    axp_fault f = clear ? AXP_FAULT_CLEAR
                        : fault == CQT_AXIS_FAULT_STALL ? AXP_FAULT_STALL
                        : fault == CQT_AXIS_FAULT_DROP_SIGNAL ? AXP_FAULT_NODONE
                                                              : AXP_FAULT_ERROR;
    link_lock(l);
    if (l->state != CQT_AXIS_LINK_CONNECTED) {
        link_unlock(l);
        return CQT_EFAULT;
    }
    l->slots[slot].fault_pending = (int)f;
    link_unlock(l);
    return cqt_invoke(l->obj, link_pump_call, l, CQT_AUTO);
}

bool cqt__axis_link_usable(const cqt_axis_link *l, char *why, size_t why_size)
{
    link_lock(l);
    bool ok = l->state == CQT_AXIS_LINK_CONNECTED;
    if (!ok && why)
        snprintf(why, why_size, "%s", l->message);
    link_unlock(l);
    return ok;
}

/* ---- public API --------------------------------------------------------- */

void cqt_axis_link_config_init(cqt_axis_link_config *config)
{
    if (!config)
        return;
    memset(config, 0, sizeof *config);
    config->connect_timeout_ms = LINK_DEFAULT_CONNECT_MS;
    config->reply_timeout_ms = LINK_DEFAULT_REPLY_MS;
}

bool cqt_axis_link_address_is_sim(const char *address)
{
    return !address || !strcmp(address, "sim");
}

static void link_destroy_parts(cqt_axis_link *l)
{
    if (l->obj)
        cqt_object_free(l->obj);
    if (l->own_thread && l->thread)
        cqt_thread_free(l->thread);
    pthread_mutex_destroy(&l->mu);
    free(l);
}

static int link_watch(cqt_axis_link *l, int fd)
{
    axp_reader_init(&l->rd);
    l->watch = cqt_io_watch_new(l->obj, fd, CQT_IO_READ, link_on_readable, l, NULL);
    return l->watch ? CQT_OK : CQT_EINTERNAL;
}

cqt_axis_link *cqt_axis_link_new(const cqt_axis_link_config *config)
{
    const char *fn = "cqt_axis_link_new";
    if (!config) {
        cqt_set_last_error(CQT_EINVAL, "%s: config is NULL; fill one with cqt_axis_link_config_init()", fn);
        return NULL;
    }
    if (config->connect_timeout_ms < 0 || config->reply_timeout_ms < 0) {
        cqt_set_last_error(CQT_EINVAL, "%s: address '%s': timeouts must be > 0 ms (0: the default)", fn,
                           config->address ? config->address : "(null)");
        return NULL;
    }
    link_addr ad;
    if (parse_address(fn, config->address, &ad) != CQT_OK)
        return NULL;
    if (!cqt_app_is_running()) {
        cqt_set_last_error(CQT_ESTATE, "%s: no application; call cqt_app_init() first", fn);
        return NULL;
    }
    if (config->thread && !cqt_thread_has_loop(config->thread)) {
        cqt_set_last_error(CQT_ENOLOOP,
                           "%s: address '%s': thread '%s' runs no event loop, so the link could never read; "
                           "pass a cqt_thread_new() thread or NULL for its own",
                           fn, config->address, cqt_thread_name(config->thread));
        return NULL;
    }
    cqt_axis_link *l = calloc(1, sizeof *l);
    if (!l) {
        cqt_set_last_error(CQT_ENOMEM, "%s: out of memory", fn);
        return NULL;
    }
    snprintf(l->address, sizeof l->address, "%s", config->address);
    l->addr = ad;
    l->connect_ms = config->connect_timeout_ms > 0 ? config->connect_timeout_ms : LINK_DEFAULT_CONNECT_MS;
    l->reply_ms = config->reply_timeout_ms > 0 ? config->reply_timeout_ms : LINK_DEFAULT_REPLY_MS;
    l->refs = 1;
    l->fd = -1;
    pthread_mutex_init(&l->mu, NULL);

    int fd = -1;
    if (link_open_fd(l, fn, &fd, &l->naxes, l->axes) != CQT_OK) {
        pthread_mutex_destroy(&l->mu);
        free(l);
        return NULL;
    }
    l->fd = fd;
    l->state = CQT_AXIS_LINK_CONNECTED;
    if (config->thread) {
        l->thread = config->thread;
    } else {
        l->thread = cqt_thread_new("axis-link");
        l->own_thread = true;
        if (!l->thread)
            goto fail;
    }
    l->obj = cqt_object_new(l->thread);
    if (!l->obj)
        goto fail;
    l->reply_timer = cqt_timer_new(l->obj, "axis-link.reply");
    l->sig_state = cqt_signal_new(l->obj, "state_changed");
    l->sig_traffic = cqt_signal_new(l->obj, "traffic");
    if (!l->reply_timer || !l->sig_state || !l->sig_traffic)
        goto fail;
    if (cqt_timer_set_single_shot(l->reply_timer, true) != CQT_OK ||
        cqt_connect(cqt_timer_timeout(l->reply_timer), l->obj, link_on_reply_timeout, l, NULL, CQT_AUTO) == 0)
        goto fail;
    if (link_watch(l, fd) != CQT_OK)
        goto fail;
    if (l->own_thread && cqt_thread_start(l->thread) != CQT_OK)
        goto fail;
    return l;

fail : {
    char why[256];
    snprintf(why, sizeof why, "%s", cqt_last_error());
    if (l->own_thread && l->thread) {
        cqt_thread_free(l->thread);
        l->thread = NULL;
    }
    if (l->addr.transport != T_FD)
        close(fd);
    l->watch = NULL; /* freed with the object */
    link_destroy_parts(l);
    cqt_set_last_error(CQT_EINTERNAL, "%s: address '%s': %s", fn, config->address, why);
    return NULL;
}
}

static void link_release_in_thread(void *user_data)
{
    cqt_axis_link *l = user_data;
    l->freeing = true;
    if (l->watch) {
        cqt_io_watch_free(l->watch);
        l->watch = NULL;
    }
    cqt_object_free(l->obj); /* the timer, the signals and their connections */
    l->obj = NULL;
    if (l->fd >= 0 && l->addr.transport != T_FD)
        close(l->fd);
    l->fd = -1;
}

static void link_finish_free(cqt_axis_link *l)
{
    if (l->own_thread)
        cqt_thread_free(l->thread); /* from inside it: released when its loop returns */
    l->own_thread = false;
    link_destroy_parts(l);
}

typedef struct link_free_box {
    cqt_axis_link *link;
    bool done;
} link_free_box;

static void link_deferred_free(void *user_data)
{
    link_free_box *box = user_data;
    if (box->done)
        return;
    box->done = true;
    link_release_in_thread(box->link);
    link_finish_free(box->link);
}

static void link_deferred_free_destroy(void *user_data)
{
    link_deferred_free(user_data);
    free(user_data);
}

static void link_post_release(cqt_axis_link *l)
{
    if (l->release_queued)
        return;
    l->release_queued = true;
    l->freeing = true;
    link_free_box *box = calloc(1, sizeof *box);
    if (!box) {
        link_release_in_thread(l);
        link_finish_free(l);
        return;
    }
    box->link = l;
    cqt_invoke_full(l->obj, link_deferred_free, box, link_deferred_free_destroy, CQT_QUEUED);
}

/* The last reference is gone: release as the top of this file says. */
static void link_release(cqt_axis_link *l)
{
    if (cqt_object_thread(l->obj) == cqt_thread_current()) {
        if (l->depth > 0) {
            link_post_release(l);
            return;
        }
        link_release_in_thread(l);
    } else {
        int rc = cqt_invoke(l->obj, link_release_in_thread, l, CQT_BLOCKING_QUEUED);
        if (rc == CQT_EDEADLK) {
            link_post_release(l);
            return;
        }
        if (rc != CQT_OK) /* its loop has ended: nothing can race this */
            link_release_in_thread(l);
    }
    link_finish_free(l);
}

void cqt__axis_link_unref(cqt_axis_link *l)
{
    link_lock(l);
    bool last = --l->refs == 0;
    link_unlock(l);
    if (last)
        link_release(l);
}

void cqt_axis_link_free(cqt_axis_link *link)
{
    if (!link)
        return;
    link_lock(link);
    bool twice = link->user_freed;
    link->user_freed = true;
    link_unlock(link);
    if (twice) {
        cqt_log(CQT_MSG_WARNING, "cqt", "cqt_axis_link_free: link '%s' freed twice; ignored", link->address);
        return;
    }
    cqt__axis_link_unref(link);
}

typedef struct reconnect_call {
    cqt_axis_link *link;
    int rc;
    char err[512];
} reconnect_call;

static void link_reconnect_in_thread(void *user_data)
{
    reconnect_call *c = user_data;
    cqt_axis_link *l = c->link;
    const char *fn = "cqt_axis_link_reconnect";
    if (cqt_axis_link_get_state(l) == CQT_AXIS_LINK_CONNECTED) {
        c->rc = CQT_OK;
        return;
    }
    int fd = -1, naxes = 0;
    char axes[AXP_MAX_AXES][AXP_MAX_NAME + 1];
    c->rc = link_open_fd(l, fn, &fd, &naxes, axes);
    if (c->rc != CQT_OK) {
        snprintf(c->err, sizeof c->err, "%s", cqt_last_error());
        return;
    }
    link_lock(l);
    l->fd = fd;
    l->naxes = naxes;
    memcpy(l->axes, axes, sizeof axes);
    l->state = CQT_AXIS_LINK_CONNECTED;
    l->message[0] = '\0';
    l->busy = false;
    for (int i = 0; i < AXP_MAX_AXES; i++) {
        link_slot *s = &l->slots[i];
        if (!s->axis)
            continue;
        s->gone = true;
        for (int k = 0; k < naxes; k++)
            if (!strcmp(axes[k], s->remote))
                s->gone = false;
        s->pos_query = !s->gone;
    }
    link_unlock(l);
    if (link_watch(l, fd) != CQT_OK) {
        snprintf(c->err, sizeof c->err, "%s", cqt_last_error());
        c->rc = CQT_EINTERNAL;
        link_lose(l, "cannot watch the new connection");
        return;
    }
    l->depth++;
    emit_state(l, CQT_AXIS_LINK_CONNECTED);
    link_pump(l);
    l->depth--;
}

int cqt_axis_link_reconnect(cqt_axis_link *link)
{
    const char *fn = "cqt_axis_link_reconnect";
    if (!link)
        return cqt_set_last_error(CQT_EINVAL, "%s: link is NULL", fn);
    if (link->addr.transport == T_FD)
        return cqt_set_last_error(CQT_ESTATE,
                                  "%s: link '%s' runs on an fd the caller opened, which cannot be reopened; "
                                  "open a new fd and make a new link",
                                  fn, link->address);
    reconnect_call c = {.link = link, .rc = CQT_EINTERNAL};
    int rc = cqt_invoke(link->obj, link_reconnect_in_thread, &c, CQT_BLOCKING_QUEUED);
    if (rc == CQT_EDEADLK)
        return cqt_set_last_error(CQT_EDEADLK,
                                  "%s: link '%s': its thread '%s' is blocked on this one; call it from "
                                  "another thread or from the link's thread",
                                  fn, link->address, cqt_thread_name(link->thread));
    if (rc != CQT_OK)
        return cqt_set_last_error(rc, "%s: link '%s': its thread '%s' runs no loop now", fn, link->address,
                                  cqt_thread_name(link->thread));
    if (c.rc != CQT_OK)
        return cqt_set_last_error(c.rc, "%s", c.err);
    return CQT_OK;
}

cqt_axis_link_state cqt_axis_link_get_state(const cqt_axis_link *link)
{
    if (!link)
        return CQT_AXIS_LINK_LOST;
    link_lock(link);
    cqt_axis_link_state s = link->state;
    link_unlock(link);
    return s;
}

const char *cqt_axis_link_state_name(cqt_axis_link_state state)
{
    switch (state) {
    case CQT_AXIS_LINK_CONNECTED:
        return "connected";
    case CQT_AXIS_LINK_LOST:
        return "lost";
    }
    return "unknown";
}

const char *cqt_axis_link_address(const cqt_axis_link *link)
{
    return link ? link->address : "(null)";
}

cqt_thread *cqt_axis_link_thread(const cqt_axis_link *link)
{
    return link ? link->thread : NULL;
}

int cqt_axis_link_axis_count(const cqt_axis_link *link)
{
    if (!link)
        return -1;
    link_lock(link);
    int n = link->naxes;
    link_unlock(link);
    return n;
}

int cqt_axis_link_get_axis_name(const cqt_axis_link *link, int index, char *buf, size_t size)
{
    const char *fn = "cqt_axis_link_get_axis_name";
    if (!link || !buf || size == 0)
        return cqt_set_last_error(CQT_EINVAL, "%s: link or buf is NULL, or size is 0", fn);
    link_lock(link);
    if (index < 0 || index >= link->naxes) {
        int n = link->naxes;
        link_unlock(link);
        return cqt_set_last_error(CQT_ERANGE, "%s: link '%s': index %d is out of range 0..%d", fn, link->address,
                                  index, n - 1);
    }
    size_t len = strlen(link->axes[index]);
    if (len >= size) {
        link_unlock(link);
        return cqt_set_last_error(CQT_EINVAL, "%s: link '%s': buf of %zu bytes is too small (17 suffice)", fn,
                                  link->address, size);
    }
    memcpy(buf, link->axes[index], len + 1);
    link_unlock(link);
    return CQT_OK;
}

int cqt_axis_link_get_message(const cqt_axis_link *link, char *buf, size_t size)
{
    if (!link || !buf || size == 0)
        return cqt_set_last_error(CQT_EINVAL, "cqt_axis_link_get_message: link or buf is NULL, or size is 0");
    link_lock(link);
    snprintf(buf, size, "%s", link->message);
    link_unlock(link);
    return CQT_OK;
}

cqt_signal *cqt_axis_link_state_changed(cqt_axis_link *link)
{
    return link ? link->sig_state : NULL;
}

cqt_signal *cqt_axis_link_traffic(cqt_axis_link *link)
{
    return link ? link->sig_traffic : NULL;
}
