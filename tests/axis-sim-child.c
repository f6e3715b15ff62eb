/* SPDX-License-Identifier: MIT */
/* axis-sim-child.c — see axis-sim-child.h. */
#include "axis-sim-child.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cqt-test.h"

extern char **environ;

#define LOG_MAX (1 << 20) /* beyond this the log keeps only its first MiB */

struct axis_sim {
    pid_t pid;
    int out_fd, err_fd;
    char address[300];
    int port;
    pthread_t drainer;
    bool drainer_on;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    char *log; /* guarded by mu */
    size_t log_n, seen;
    bool eof;
};

static long long mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void *drain_main(void *arg)
{
    axis_sim *s = arg;
    char buf[4096];
    for (;;) {
        ssize_t k = read(s->err_fd, buf, sizeof buf);
        if (k < 0 && errno == EINTR)
            continue;
        pthread_mutex_lock(&s->mu);
        if (k <= 0) {
            s->eof = true;
            pthread_cond_broadcast(&s->cv);
            pthread_mutex_unlock(&s->mu);
            return NULL;
        }
        size_t room = LOG_MAX - 1 - s->log_n;
        size_t m = (size_t)k < room ? (size_t)k : room;
        memcpy(s->log + s->log_n, buf, m);
        s->log_n += m;
        s->log[s->log_n] = '\0';
        pthread_cond_broadcast(&s->cv);
        pthread_mutex_unlock(&s->mu);
    }
}

/* The first stdout line: the pty path or the port. */
static bool read_where(axis_sim *s, char *line, size_t size)
{
    size_t n = 0;
    long long deadline = mono_ms() + CQT_TEST_TIMEOUT_MS;
    while (n + 1 < size) {
        struct pollfd p = {.fd = s->out_fd, .events = POLLIN};
        long long left = deadline - mono_ms();
        if (left <= 0 || poll(&p, 1, (int)left) <= 0)
            return false;
        char c;
        ssize_t k = read(s->out_fd, &c, 1);
        if (k <= 0)
            return false;
        if (c == '\n') {
            line[n] = '\0';
            return true;
        }
        line[n++] = c;
    }
    return false;
}

axis_sim *axis_sim_start(bool tcp, int port, const char *const *args)
{
    const char *exe = getenv("CQT_AXIS_SIM");
    ck_assert_msg(exe && *exe, "CQT_AXIS_SIM names no simulator (set by meson)");
    char portbuf[16];
    snprintf(portbuf, sizeof portbuf, "%d", port);
    const char *argv[40] = {exe};
    int k = 1;
    if (tcp) {
        argv[k++] = "--tcp";
        argv[k++] = portbuf;
    } else {
        argv[k++] = "--pty";
    }
    for (; args && *args && k < 38; args++)
        argv[k++] = *args;
    argv[k] = NULL;
    axis_sim *s = calloc(1, sizeof *s);
    s->log = calloc(1, LOG_MAX);
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->cv, NULL);
    int out[2], err[2];
    ck_assert_int_eq(pipe2(out, O_CLOEXEC), 0);
    ck_assert_int_eq(pipe2(err, O_CLOEXEC), 0);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    posix_spawn_file_actions_adddup2(&fa, err[1], 2);
    int rc = posix_spawn(&s->pid, exe, &fa, NULL, (char *const *)argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    ck_assert_msg(rc == 0, "posix_spawn %s: %s", exe, strerror(rc));
    close(out[1]);
    close(err[1]);
    s->out_fd = out[0];
    s->err_fd = err[0];
    ck_assert_int_eq(pthread_create(&s->drainer, NULL, drain_main, s), 0);
    s->drainer_on = true;
    char where[256];
    ck_assert_msg(read_where(s, where, sizeof where), "the simulator printed no link; its log:\n%s",
                  axis_sim_log(s));
    if (tcp) {
        s->port = atoi(where);
        snprintf(s->address, sizeof s->address, "tcp:127.0.0.1:%d", s->port);
    } else {
        snprintf(s->address, sizeof s->address, "serial:%s", where);
    }
    return s;
}

const char *axis_sim_address(const axis_sim *s)
{
    return s->address;
}

int axis_sim_port(const axis_sim *s)
{
    return s->port;
}

pid_t axis_sim_pid(const axis_sim *s)
{
    return s->pid;
}

/* The CLOCK_REALTIME time @timeout_ms from now, for the log's condvar. */
static struct timespec deadline_in(int timeout_ms)
{
    struct timespec dl;
    clock_gettime(CLOCK_REALTIME, &dl);
    dl.tv_sec += timeout_ms / 1000;
    dl.tv_nsec += (long)(timeout_ms % 1000) * 1000000;
    if (dl.tv_nsec >= 1000000000) {
        dl.tv_sec++;
        dl.tv_nsec -= 1000000000;
    }
    return dl;
}

bool axis_sim_wait_log(axis_sim *s, const char *needle, int timeout_ms)
{
    struct timespec dl = deadline_in(timeout_ms);
    pthread_mutex_lock(&s->mu);
    for (;;) {
        char *hit = strstr(s->log + s->seen, needle);
        if (hit) {
            s->seen = (size_t)(hit - s->log) + strlen(needle);
            pthread_mutex_unlock(&s->mu);
            return true;
        }
        if (s->eof || pthread_cond_timedwait(&s->cv, &s->mu, &dl) == ETIMEDOUT) {
            pthread_mutex_unlock(&s->mu);
            return false;
        }
    }
}

static int count_locked(axis_sim *s, const char *needle)
{
    int n = 0;
    for (const char *p = strstr(s->log, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

int axis_sim_count_log(axis_sim *s, const char *needle)
{
    pthread_mutex_lock(&s->mu);
    int n = count_locked(s, needle);
    pthread_mutex_unlock(&s->mu);
    return n;
}

int axis_sim_wait_log_count(axis_sim *s, const char *needle, int n, int timeout_ms)
{
    struct timespec dl = deadline_in(timeout_ms);
    pthread_mutex_lock(&s->mu);
    int have = count_locked(s, needle);
    while (have < n && !s->eof && pthread_cond_timedwait(&s->cv, &s->mu, &dl) != ETIMEDOUT)
        have = count_locked(s, needle);
    have = count_locked(s, needle);
    pthread_mutex_unlock(&s->mu);
    return have;
}

const char *axis_sim_log(axis_sim *s)
{
    static char copy[8192];
    pthread_mutex_lock(&s->mu);
    size_t n = s->log_n;
    const char *from = s->log;
    if (n >= sizeof copy) { /* the end is what explains a failure */
        from += n - (sizeof copy - 1);
        n = sizeof copy - 1;
    }
    memcpy(copy, from, n);
    copy[n] = '\0';
    pthread_mutex_unlock(&s->mu);
    return copy;
}

void axis_sim_kill(axis_sim *s, int sig)
{
    if (s->pid > 0) {
        kill(s->pid, sig);
        waitpid(s->pid, NULL, 0);
        s->pid = 0;
    }
}

void axis_sim_free(axis_sim *s)
{
    if (!s)
        return;
    axis_sim_kill(s, SIGKILL);
    if (s->drainer_on)
        pthread_join(s->drainer, NULL);
    close(s->out_fd);
    close(s->err_fd);
    pthread_cond_destroy(&s->cv);
    pthread_mutex_destroy(&s->mu);
    free(s->log);
    free(s);
}

/* ---- link mode of the axis and stage suites ------------------------------ */

static axis_sim *mode_sim;
static cqt_axis_link *mode_link;

const char *axis_test_link_kind(void)
{
    const char *m = getenv("CQT_TEST_AXIS_LINK");
    if (m && !strcmp(m, "pty"))
        return "pty";
    if (m && !strcmp(m, "tcp"))
        return "tcp";
    return "sim";
}

bool axis_test_link_mode(void)
{
    return strcmp(axis_test_link_kind(), "sim") != 0;
}

void axis_test_link_setup(void)
{
    cqt_test_app_setup();
    if (!axis_test_link_mode())
        return;
    /* Fast enough that the suites' long moves take a fraction of a second,
     * slow enough that a stop or a retarget lands mid-move. */
    const char *args[] = {"--axes", AXIS_TEST_LINK_AXES, "--speed", "2000", "--report-ms", "10",
                          "--limit", "100000", NULL};
    mode_sim = axis_sim_start(!strcmp(axis_test_link_kind(), "tcp"), 0, args);
    cqt_axis_link_config c;
    cqt_axis_link_config_init(&c);
    c.address = axis_sim_address(mode_sim);
    c.connect_timeout_ms = CQT_TEST_TIMEOUT_MS;
    c.reply_timeout_ms = CQT_TEST_TIMEOUT_MS;
    mode_link = cqt_axis_link_new(&c);
    ck_assert_msg(mode_link != NULL, "cqt_axis_link_new(%s): %s", c.address, cqt_last_error());
}

void axis_test_link_teardown(void)
{
    if (mode_link)
        cqt_axis_link_free(mode_link);
    mode_link = NULL;
    axis_sim_free(mode_sim);
    mode_sim = NULL;
    cqt_test_app_teardown();
}

cqt_axis_link *axis_test_link(void)
{
    return mode_link;
}

cqt_axis *axis_test_new(cqt_axis_config *c)
{
    if (axis_test_link_mode() && !c->link) {
        /* The controller axis of the same name (the suites use these). */
        c->link = mode_link;
        c->thread = NULL;
    }
    return cqt_axis_new(c);
}
