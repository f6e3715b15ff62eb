/* SPDX-License-Identifier: MIT */
/* bench-io.c — fd readiness: a write in one thread to the callback in a loop
 * thread, cqt_io_watch beside raw QSocketNotifier, GLib g_unix_fd_add,
 * libuv uv_poll and an epoll_wait floor. Two phases per variant: one
 * watched pipe, then one active pipe among 1,000 idle watched ones (does
 * the cost of a wake-up grow with the number of watched fds?).
 *
 * Each round: the driver (the main thread, running no loop) stamps the
 * time, writes one byte and waits on a semaphore; the callback, in the
 * loop thread, stamps its entry, reads the byte and posts the semaphore.
 * One byte is in flight at a time, so every sample is one full wake-up. */
#include "bench.h"
#include "peers/floors.h"
#include "peers/qt-peers.h"

#include <cqt/cqt.h>
#include <glib-unix.h>
#include <glib.h>
#include <uv.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#define ROUNDS 20000L
#define IDLE 1000

/* ---- the shared driver -------------------------------------------------- */

static int g_rfd[IDLE + 1], g_wfd[IDLE + 1];
static int64_t g_sent_at; /* atomic */
static double *g_lat;     /* us */
static long g_n, g_got;
static sem_t g_done;
static int g_bad;

/* The callback's body, the same for every variant: stamp, read, answer. */
static void on_ready(int fd)
{
    int64_t now = bench_now_ns();
    char c;
    ssize_t r = read(fd, &c, 1);
    if (r != 1) {
        if (r < 0 && errno == EAGAIN)
            return; /* spurious: a level-triggered loop asks again */
        g_bad = 1;
    }
    if (fd != g_rfd[0])
        g_bad = 1;
    if (g_got < g_n)
        g_lat[g_got] = (double)(now - __atomic_load_n(&g_sent_at, __ATOMIC_ACQUIRE)) / 1000.0;
    g_got++;
    sem_post(&g_done);
}

static int wait_done(void)
{
    struct timespec dl;
    clock_gettime(CLOCK_REALTIME, &dl);
    dl.tv_sec += 10;
    while (sem_timedwait(&g_done, &dl) != 0)
        if (errno != EINTR)
            return -1;
    return 0;
}

/* Runs in the calling thread while the variant's loop thread watches. */
static int drive(void)
{
    /* Warm-up (also waits until the watch is armed: the byte waits). */
    for (int i = 0; i < 20; i++) {
        __atomic_store_n(&g_sent_at, bench_now_ns(), __ATOMIC_RELEASE);
        if (write(g_wfd[0], "w", 1) != 1 || wait_done() != 0)
            return bench_fail("warm-up wake-up %d never came", i), -1;
    }
    g_got = 0;
    struct rusage r0, r1;
    getrusage(RUSAGE_SELF, &r0);
    for (long i = 0; i < g_n; i++) {
        __atomic_store_n(&g_sent_at, bench_now_ns(), __ATOMIC_RELEASE);
        if (write(g_wfd[0], "x", 1) != 1)
            return bench_fail("write: %s", strerror(errno)), -1;
        if (wait_done() != 0)
            return bench_fail("wake-up %ld of %ld never came", i, g_n), -1;
    }
    getrusage(RUSAGE_SELF, &r1);
    double cpu = (double)(r1.ru_utime.tv_sec - r0.ru_utime.tv_sec + r1.ru_stime.tv_sec -
                          r0.ru_stime.tv_sec) * 1e6 +
                 (double)(r1.ru_utime.tv_usec - r0.ru_utime.tv_usec + r1.ru_stime.tv_usec -
                          r0.ru_stime.tv_usec);
    return cpu < 0 ? -1 : (int)(cpu / (double)g_n * 1000.0); /* ns per wake-up */
}

static int make_pipes(int n)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < (rlim_t)(2 * n + 256)) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    for (int i = 0; i < n; i++) {
        int p[2];
        if (pipe2(p, O_NONBLOCK | O_CLOEXEC) != 0)
            return bench_fail("pipe %d of %d: %s (RLIMIT_NOFILE too low?)", i, n,
                              strerror(errno));
        g_rfd[i] = p[0];
        g_wfd[i] = p[1];
    }
    return 0;
}

static void close_pipes(int n)
{
    for (int i = 0; i < n; i++) {
        close(g_rfd[i]);
        close(g_wfd[i]);
    }
}

/* One phase: @nfds watched fds (fds[0] active), through @runner. */
static int phase(const bench_variant *v, int (*runner)(int nfds), int nfds, const char *prefix)
{
    g_n = bench_scaled(ROUNDS);
    g_got = 0;
    g_lat = calloc((size_t)g_n, sizeof *g_lat);
    sem_init(&g_done, 0, 0);
    if (make_pipes(nfds) != 0)
        return 1;
    int cpu_ns = runner(nfds);
    close_pipes(nfds);
    sem_destroy(&g_done);
    if (cpu_ns < 0 || g_bad || g_got != g_n) {
        free(g_lat);
        return bench_fail("%s: %ld of %ld wake-ups%s", v->name, g_got, g_n,
                          g_bad ? ", a wrong fd or a failed read" : "");
    }
    bench_sort(g_lat, (size_t)g_n);
    char key[64];
    snprintf(key, sizeof key, "%sp50", prefix);
    bench_report(key, bench_percentile(g_lat, (size_t)g_n, 0.5));
    snprintf(key, sizeof key, "%sp99", prefix);
    bench_report(key, bench_percentile(g_lat, (size_t)g_n, 0.99));
    snprintf(key, sizeof key, "%scpu", prefix);
    bench_report(key, cpu_ns / 1000.0);
    free(g_lat);
    return 0;
}

static int run_phases(const bench_variant *v, int (*runner)(int nfds))
{
    if (v->arg2 == 0)
        return phase(v, runner, 1, "");
    return phase(v, runner, IDLE + 1, "idle_");
}

/* ---- cqt: cqt_io_watch in a cqt thread ---------------------------------- */

static void cqt_ready(void *u, cqt_io_watch *w, int fd, unsigned revents)
{
    if (revents & CQT_IO_READ)
        on_ready(fd);
}

static int cqt_runner(int nfds)
{
    cqt_thread *t = cqt_thread_new("io");
    cqt_thread_start(t);
    cqt_object *o = cqt_object_new(t);
    cqt_io_watch **w = calloc((size_t)nfds, sizeof *w);
    for (int i = 0; i < nfds; i++) {
        w[i] = cqt_io_watch_new(o, g_rfd[i], CQT_IO_READ, cqt_ready, NULL, NULL);
        if (!w[i])
            return bench_fail("cqt_io_watch_new: %s", cqt_last_error()), -1;
    }
    int rc = drive();
    cqt_object_free(o); /* frees the watches */
    cqt_thread_free(t);
    free(w);
    return rc;
}

static int run_cqt(const bench_variant *v)
{
    int argc = 1;
    char *argv[] = {"bench", NULL};
    if (cqt_app_init(&argc, argv, CQT_APP_CORE) != CQT_OK)
        return bench_fail("cqt_app_init: %s", cqt_last_error());
    int rc = run_phases(v, cqt_runner);
    cqt_app_shutdown(5000);
    return rc;
}

/* ---- raw Qt: QSocketNotifiers created in a QThread ---------------------- */

static int qt_runner(int nfds)
{
    return qtp_io(g_rfd, nfds, on_ready, drive);
}

static int run_qt(const bench_variant *v)
{
    int argc = 1;
    char *argv[] = {"bench", NULL};
    qtp_app(&argc, argv);
    return run_phases(v, qt_runner);
}

/* ---- GLib: g_unix_fd_source on a GMainContext in its own thread --------- */

static GMainContext *g_ctx;
static GMainLoop *g_loop;

static gboolean glib_ready(gint fd, GIOCondition cond, gpointer u)
{
    if (cond & G_IO_IN)
        on_ready(fd);
    return G_SOURCE_CONTINUE;
}

static gpointer glib_thread(gpointer u)
{
    g_main_context_push_thread_default(g_ctx);
    g_main_loop_run(g_loop);
    g_main_context_pop_thread_default(g_ctx);
    return NULL;
}

static gboolean glib_quit(gpointer u)
{
    g_main_loop_quit(g_loop);
    return G_SOURCE_REMOVE;
}

static int glib_runner(int nfds)
{
    g_ctx = g_main_context_new();
    g_loop = g_main_loop_new(g_ctx, FALSE);
    for (int i = 0; i < nfds; i++) {
        GSource *s = g_unix_fd_source_new(g_rfd[i], G_IO_IN);
        g_source_set_callback(s, (GSourceFunc)(void (*)(void))glib_ready, NULL, NULL);
        g_source_attach(s, g_ctx);
        g_source_unref(s);
    }
    GThread *th = g_thread_new("io", glib_thread, NULL);
    int rc = drive();
    g_main_context_invoke(g_ctx, glib_quit, NULL);
    g_thread_join(th);
    g_main_loop_unref(g_loop);
    g_main_context_unref(g_ctx); /* destroys the sources */
    return rc;
}

static int run_glib(const bench_variant *v)
{
    return run_phases(v, glib_runner);
}

/* ---- libuv: uv_poll handles on a loop in its own thread ----------------- */

static uv_loop_t g_uv;
static uv_async_t g_uv_stop;
static uv_poll_t *g_polls;
static int g_npolls;

static void uv_ready(uv_poll_t *h, int status, int events)
{
    if (status == 0 && (events & UV_READABLE))
        on_ready((int)(intptr_t)h->data);
}

static void uv_stop_cb(uv_async_t *a)
{
    for (int i = 0; i < g_npolls; i++)
        uv_close((uv_handle_t *)&g_polls[i], NULL);
    uv_close((uv_handle_t *)a, NULL);
}

static void uv_thread(void *u)
{
    uv_run(&g_uv, UV_RUN_DEFAULT);
}

static int uv_runner(int nfds)
{
    uv_loop_init(&g_uv);
    g_npolls = nfds;
    g_polls = calloc((size_t)nfds, sizeof *g_polls);
    for (int i = 0; i < nfds; i++) {
        uv_poll_init(&g_uv, &g_polls[i], g_rfd[i]);
        g_polls[i].data = (void *)(intptr_t)g_rfd[i];
        uv_poll_start(&g_polls[i], UV_READABLE, uv_ready);
    }
    uv_async_init(&g_uv, &g_uv_stop, uv_stop_cb);
    uv_thread_t th;
    uv_thread_create(&th, uv_thread, NULL);
    int rc = drive();
    uv_async_send(&g_uv_stop);
    uv_thread_join(&th);
    uv_loop_close(&g_uv);
    free(g_polls);
    return rc;
}

static int run_uv(const bench_variant *v)
{
    return run_phases(v, uv_runner);
}

/* ---- floor: one thread in epoll_wait ------------------------------------ */

static int floor_runner(int nfds)
{
    return floor_epoll_io(g_rfd, nfds, on_ready, drive);
}

static int run_floor(const bench_variant *v)
{
    return run_phases(v, floor_runner);
}

#define VARIANTS(S, I)                                                                    \
    {"cqt_io_watch" S, run_cqt, 0, 0, I},                                                 \
    {"cqt_io_watch, QT_NO_GLIB" S, run_cqt, BENCH_NOGLIB, 0, I},                          \
    {"Qt QSocketNotifier in a QThread" S, run_qt, 0, 0, I},                               \
    {"Qt QSocketNotifier, QT_NO_GLIB" S, run_qt, BENCH_NOGLIB, 0, I},                     \
    {"GLib g_unix_fd_add (own GMainContext thread)" S, run_glib, 0, 0, I},                \
    {"libuv uv_poll (own loop thread)" S, run_uv, 0, 0, I},                               \
    {"floor: epoll_wait thread" S, run_floor, 0, 0, I}

static const bench_variant variants[] = {
    VARIANTS("", 0),
    VARIANTS(" [+1,000 idle]", 1),
};

static const bench_metric metrics[] = {
    {"p50", "fd readiness latency, one watched pipe: median", "us", BENCH_REF_BEST_PEER, false},
    {"p99", "fd readiness latency, one watched pipe: p99", "us", BENCH_REF_BEST_PEER, false},
    {"cpu", "CPU per wake-up, one watched pipe (both threads)", "us", BENCH_REF_BEST_PEER, false},
    {"idle_p50", "one active pipe among 1,000 idle watched pipes: latency median", "us",
     BENCH_REF_BEST_PEER, false},
    {"idle_p99", "one active pipe among 1,000 idle watched pipes: latency p99", "us",
     BENCH_REF_BEST_PEER, false},
    {"idle_cpu", "one active pipe among 1,000 idle watched pipes: CPU per wake-up (both threads)",
     "us", BENCH_REF_BEST_PEER, false},
};

int main(int argc, char **argv)
{
    bench_scenario s = {"fd readiness (io)",
                        "20,000 wake-ups per variant and phase: the main thread stamps the time "
                        "and writes one byte to a pipe; the callback in the loop thread stamps "
                        "its entry, reads the byte and posts a semaphore the main thread waits "
                        "on (one byte in flight). Latency = callback entry - stamp before "
                        "write(). CPU = the process's user+system time over the phase / "
                        "wake-ups (writer and loop thread together). [+1,000 idle]: the same "
                        "with 1,000 more pipes watched by the same loop, never written. Ratios "
                        "are to the best peer of the table (lowest median among the rows not "
                        "named cqt or floor).",
                        variants, sizeof variants / sizeof *variants, metrics,
                        sizeof metrics / sizeof *metrics};
    return bench_main(argc, argv, &s);
}
