/* SPDX-License-Identifier: MIT */
/* bench-axis-link.c — command-to-done over a controller link: how long from
 * cqt_axis_move_to() to the reached event, against cqt-axis-sim over a pty
 * and over TCP loopback, beside the floor of the same exchange done by a
 * raw blocking client on the same kind of link (write MOVE, poll and read
 * until !DONE): the simulator's own timing, which cqt cannot beat.
 *
 * Two kinds of move:
 *  - zero distance (MOVE to where the axis is: OK and !DONE at once): the
 *    round trip alone;
 *  - 1 unit at 100 units/s: the simulator moves for 10 ms of its own
 *    (ticks of 10 ms), so this shows the overhead on top of real motion.
 *
 * Run: CQT_AXIS_SIM=build/.../cqt-axis-sim build/.../bench-axis-link
 * (meson test --benchmark sets it). Prints mean, median and 90th percentile in
 * microseconds. The simulator acts on a 10 ms motion tick (its !DONE of
 * a zero-distance move goes out at the next tick), so both columns are
 * quantised by it; cqt's own cost is the difference of the means. */
#include <cqt/cqt.h>

#include <arpa/inet.h>
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

extern char **environ;

#define ZERO_MOVES 400
#define UNIT_MOVES 100

static int64_t now_us(void)
{
    return cqt_now_ns() / 1000;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void print_row(const char *link, const char *who, const char *kind, double *v, int n)
{
    double sum = 0;
    for (int i = 0; i < n; i++)
        sum += v[i];
    qsort(v, (size_t)n, sizeof *v, cmp_d);
    printf("  %-4s %-10s %-16s mean %8.1f  median %8.1f  p90 %8.1f us (n=%d)\n", link, who, kind, sum / n,
           v[n / 2], v[n * 9 / 10], n);
}

typedef struct sim {
    pid_t pid;
    char where[256];
} sim;

static int sim_start(sim *s, bool tcp)
{
    const char *exe = getenv("CQT_AXIS_SIM");
    if (!exe || !*exe) {
        fprintf(stderr, "bench-axis-link: set CQT_AXIS_SIM to the cqt-axis-sim program\n");
        return -1;
    }
    int out[2];
    if (pipe(out) != 0)
        return -1;
    int devnull = open("/dev/null", O_WRONLY);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    posix_spawn_file_actions_adddup2(&fa, devnull, 2); /* its per-command log */
    char *argv[] = {(char *)exe, tcp ? "--tcp" : "--pty", tcp ? "0" : NULL, NULL, NULL, NULL, NULL, NULL, NULL};
    int k = tcp ? 3 : 2;
    argv[k++] = "--axes";
    argv[k++] = "x";
    argv[k++] = "--speed";
    argv[k++] = "100";
    int rc = posix_spawn(&s->pid, exe, &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(out[1]);
    close(devnull);
    if (rc != 0)
        return -1;
    size_t n = 0;
    while (n + 1 < sizeof s->where && read(out[0], s->where + n, 1) == 1 && s->where[n] != '\n')
        n++;
    s->where[n] = '\0';
    close(out[0]);
    return n > 0 ? 0 : -1;
}

static void sim_stop(sim *s)
{
    kill(s->pid, SIGTERM);
    waitpid(s->pid, NULL, 0);
}

/* ---- cqt ----------------------------------------------------------------- */

static void bench_cqt(const char *name, const char *address)
{
    cqt_axis_link_config lc;
    cqt_axis_link_config_init(&lc);
    lc.address = address;
    cqt_axis_link *l = cqt_axis_link_new(&lc);
    if (!l) {
        fprintf(stderr, "bench-axis-link: %s\n", cqt_last_error());
        return;
    }
    cqt_axis_config ac;
    cqt_axis_config_init(&ac);
    ac.name = "x";
    ac.link = l;
    cqt_axis *a = cqt_axis_new(&ac);
    static double v[ZERO_MOVES];
    /* Settle the POS? of creation first. */
    cqt_axis_move_to(a, 0);
    cqt_event_wait(cqt_axis_reached_event(a), 5000);
    for (int i = 0; i < ZERO_MOVES; i++) {
        int64_t t0 = now_us();
        cqt_axis_move_to(a, 0);
        cqt_event_wait(cqt_axis_reached_event(a), 5000);
        v[i] = (double)(now_us() - t0);
    }
    print_row(name, "cqt", "zero distance", v, ZERO_MOVES);
    for (int i = 0; i < UNIT_MOVES; i++) {
        int64_t t0 = now_us();
        cqt_axis_move_to(a, (i + 1) % 2);
        cqt_event_wait(cqt_axis_reached_event(a), 5000);
        v[i] = (double)(now_us() - t0);
    }
    print_row(name, "cqt", "1 unit (10 ms)", v, UNIT_MOVES);
    cqt_axis_free(a);
    cqt_axis_link_free(l);
}

/* ---- the floor: a blocking client on the same link ----------------------- */

static int raw_open(bool tcp, const char *where)
{
    int fd;
    if (tcp) {
        fd = socket(AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(where))};
        sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0)
            return -1;
    } else {
        fd = open(where, O_RDWR | O_NOCTTY);
        struct termios t;
        tcgetattr(fd, &t);
        cfmakeraw(&t);
        tcsetattr(fd, TCSANOW, &t);
    }
    return fd;
}

/* Writes @cmd and reads until a line starting with @until. */
static void raw_exchange(int fd, const char *cmd, const char *until, char *buf, size_t *n, size_t size)
{
    if (write(fd, cmd, strlen(cmd)) < 0)
        return;
    for (;;) {
        char *nl;
        while ((nl = memchr(buf, '\n', *n))) {
            size_t len = (size_t)(nl - buf) + 1;
            bool hit = !strncmp(buf, until, strlen(until));
            memmove(buf, nl + 1, *n - len);
            *n -= len;
            if (hit)
                return;
        }
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, 5000) <= 0)
            return;
        ssize_t k = read(fd, buf + *n, size - *n);
        if (k <= 0)
            return;
        *n += (size_t)k;
    }
}

static void bench_raw(const char *name, bool tcp, const char *where)
{
    int fd = raw_open(tcp, where);
    if (fd < 0)
        return;
    char buf[4096];
    size_t n = 0;
    raw_exchange(fd, "\nHELLO 1\n", "HELLO", buf, &n, sizeof buf);
    raw_exchange(fd, "MOVE x 0\n", "!DONE", buf, &n, sizeof buf);
    static double v[ZERO_MOVES];
    for (int i = 0; i < ZERO_MOVES; i++) {
        int64_t t0 = now_us();
        raw_exchange(fd, "MOVE x 0\n", "!DONE", buf, &n, sizeof buf);
        v[i] = (double)(now_us() - t0);
    }
    print_row(name, "raw client", "zero distance", v, ZERO_MOVES);
    for (int i = 0; i < UNIT_MOVES; i++) {
        int64_t t0 = now_us();
        raw_exchange(fd, (i % 2) ? "MOVE x 0\n" : "MOVE x 1\n", "!DONE", buf, &n, sizeof buf);
        v[i] = (double)(now_us() - t0);
    }
    print_row(name, "raw client", "1 unit (10 ms)", v, UNIT_MOVES);
    close(fd);
}

int main(int argc, char **argv)
{
    if (cqt_app_init(&argc, argv, CQT_APP_CORE) != CQT_OK)
        return 1;
    printf("bench-axis-link: move_to -> reached event, against cqt-axis-sim\n");
    for (int tcp = 0; tcp < 2; tcp++) {
        const char *name = tcp ? "tcp" : "pty";
        /* A simulator each: it serves one connection at a time and may not
         * have seen the previous one close yet. */
        for (int who = 0; who < 2; who++) {
            sim s;
            if (sim_start(&s, tcp) != 0) {
                cqt_app_shutdown(1000);
                return 1;
            }
            char address[300];
            snprintf(address, sizeof address, tcp ? "tcp:127.0.0.1:%s" : "serial:%s", s.where);
            if (who == 0)
                bench_raw(name, tcp, s.where);
            else
                bench_cqt(name, address);
            sim_stop(&s);
        }
    }
    cqt_app_shutdown(5000);
    return 0;
}
