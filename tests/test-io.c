/* SPDX-License-Identifier: MIT */
/* test-io.c — fd watches: callbacks in the owner's thread, control from any
 * thread (P14), moves, frees racing readiness, hang-ups and closed fds. */
#include "cqt-test.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static void noop(void *p)
{
    (void)p;
}

/* Returns once everything queued to @o's thread before it has run. */
static void round_trip(cqt_object *o)
{
    ck_assert_int_eq(cqt_invoke(o, noop, NULL, CQT_BLOCKING_QUEUED), CQT_OK);
}

static void make_pipe(int fds[2])
{
    ck_assert_int_eq(pipe2(fds, O_CLOEXEC), 0);
    ck_assert_int_eq(fcntl(fds[0], F_SETFL, O_NONBLOCK), 0);
}

static void count_destroy(void *p)
{
    cqt_test_counter_add(p, 1);
}

/* ---- a stream of numbered words --------------------------------------- */

typedef struct {
    int fd;
    uint32_t n;
} writer_job;

static void *write_words(void *arg)
{
    writer_job *j = arg;
    for (uint32_t i = 0; i < j->n; i++) {
        const char *p = (const char *)&i;
        size_t left = sizeof i;
        while (left) {
            ssize_t k = write(j->fd, p, left);
            if (k < 0 && errno == EINTR)
                continue;
            if (k <= 0)
                return NULL;
            p += k;
            left -= (size_t)k;
        }
    }
    return NULL;
}

typedef struct {
    cqt_object *owner;
    cqt_thread *a, *b;   /* move between these when set */
    int move_every;      /* callbacks between moves (0: never) */
    uint8_t partial[4];
    size_t npartial;
    uint32_t next;       /* the word expected next */
    uint32_t want;
    long bad_order, wrong_thread, calls, moves;
    cqt_thread *expect_thread; /* NULL: the owner's current thread */
    cqt_event *done;
} stream_log;

static void on_stream(void *user_data, cqt_io_watch *w, int fd, unsigned revents)
{
    (void)w;
    stream_log *l = user_data;
    l->calls++;
    cqt_thread *here = cqt_thread_current();
    cqt_thread *want = l->expect_thread ? l->expect_thread : cqt_object_thread(l->owner);
    if (here != want)
        l->wrong_thread++;
    if (!(revents & CQT_IO_READ))
        return;
    uint8_t buf[4096];
    ssize_t k;
    while ((k = read(fd, buf, sizeof buf)) > 0) {
        for (ssize_t i = 0; i < k; i++) {
            l->partial[l->npartial++] = buf[i];
            if (l->npartial == 4) {
                uint32_t v;
                memcpy(&v, l->partial, 4);
                if (v != l->next)
                    l->bad_order++;
                l->next = v + 1;
                l->npartial = 0;
            }
        }
    }
    if (l->next == l->want)
        cqt_event_set(l->done);
    if (l->move_every && l->calls % l->move_every == 0) {
        cqt_thread *to = here == l->a ? l->b : l->a;
        if (cqt_object_move_to_thread(l->owner, to) == CQT_OK)
            l->moves++;
    }
}

/* A pipe written from a plain pthread wakes a watch owned by a cqt thread:
 * every callback runs in that thread and every word arrives, in order. */
START_TEST(test_io_watch_pipe_from_pthread)
{
    cqt_thread *t = cqt_thread_new("io-home");
    ck_assert_int_eq(cqt_thread_start(t), CQT_OK);
    cqt_object *owner = cqt_object_new(t);
    int fds[2];
    make_pipe(fds);
    stream_log l = {.owner = owner, .want = 10000, .expect_thread = t,
                    .done = cqt_event_new("read-all")};
    cqt_io_watch *w = cqt_io_watch_new(owner, fds[0], CQT_IO_READ, on_stream, &l, NULL);
    ck_assert_msg(w != NULL, "%s", cqt_last_error());

    writer_job j = {.fd = fds[1], .n = 10000};
    pthread_t pt;
    pthread_create(&pt, NULL, write_words, &j);
    ck_assert_int_eq(cqt_event_wait(l.done, CQT_TEST_TIMEOUT_MS), CQT_OK);
    pthread_join(pt, NULL);
    round_trip(owner);
    ck_assert_int_eq(l.bad_order, 0);
    ck_assert_int_eq(l.wrong_thread, 0);
    ck_assert_int_eq(l.next, 10000);
    ck_assert_int_eq(l.npartial, 0);

    cqt_io_watch_free(w);
    cqt_object_free(owner);
    cqt_thread_free(t);
    close(fds[0]);
    close(fds[1]);
    cqt_event_free(l.done);
}
END_TEST

/* ---- control from a foreign thread (P14) ------------------------------ */

typedef struct {
    cqt_test_counter calls;
    cqt_test_counter reads;
    cqt_test_counter writes;
    cqt_test_counter destroyed;
    cqt_thread *home;
    cqt_test_counter wrong_thread;
    volatile int stop_writes;
    cqt_event *got;
} ctl_log;

static void on_ctl(void *user_data, cqt_io_watch *w, int fd, unsigned revents)
{
    ctl_log *l = user_data;
    cqt_test_counter_add(&l->calls, 1);
    if (cqt_thread_current() != l->home)
        cqt_test_counter_add(&l->wrong_thread, 1);
    if (revents & CQT_IO_READ) {
        char c;
        while (read(fd, &c, 1) == 1)
            cqt_test_counter_add(&l->reads, 1);
    }
    if (revents & CQT_IO_WRITE) {
        cqt_test_counter_add(&l->writes, 1);
        /* writable all the time: go back to reading only */
        ck_assert_int_eq(cqt_io_watch_set_events(w, CQT_IO_READ), CQT_OK);
    }
    cqt_event_set(l->got);
}

static void ctl_destroy(void *p)
{
    ctl_log *l = p;
    cqt_test_counter_add(&l->destroyed, 1);
}

typedef struct {
    cqt_io_watch *w;
    int op; /* 0 disable, 1 enable, 2 set WRITE|READ, 3 free */
    int rc;
} ctl_job;

static void *ctl_from_pthread(void *arg)
{
    ctl_job *j = arg;
    switch (j->op) {
    case 0: j->rc = cqt_io_watch_disable(j->w); break;
    case 1: j->rc = cqt_io_watch_enable(j->w); break;
    case 2: j->rc = cqt_io_watch_set_events(j->w, CQT_IO_READ | CQT_IO_WRITE); break;
    default: cqt_io_watch_free(j->w); j->rc = CQT_OK; break;
    }
    return NULL;
}

static int ctl(cqt_io_watch *w, int op)
{
    ctl_job j = {.w = w, .op = op, .rc = -100};
    pthread_t pt;
    pthread_create(&pt, NULL, ctl_from_pthread, &j);
    pthread_join(pt, NULL);
    return j.rc;
}

/* Disable, enable and set_events called from a plain pthread take effect
 * in the owner's thread: no callback while disabled, callbacks again once
 * enabled, WRITE reported once asked for. Qt alone ignores these calls
 * with "Socket notifiers cannot be enabled or disabled from another thread". */
START_TEST(test_io_watch_control_from_foreign_thread)
{
    cqt_thread *t = cqt_thread_new("io-ctl");
    ck_assert_int_eq(cqt_thread_start(t), CQT_OK);
    cqt_object *owner = cqt_object_new(t), *sibling = cqt_object_new(t);
    int sv[2];
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv), 0);
    ctl_log l = {.home = t, .got = cqt_event_new("got")};
    cqt_test_capture_start();
    cqt_io_watch *w = cqt_io_watch_new(owner, sv[0], CQT_IO_READ, on_ctl, &l, ctl_destroy);
    ck_assert_msg(w != NULL, "%s", cqt_last_error());

    /* enabled: a byte is read */
    ck_assert_int_eq(write(sv[1], "a", 1), 1);
    ck_assert_int_eq(cqt_event_wait(l.got, CQT_TEST_TIMEOUT_MS), CQT_OK);
    ck_assert_int_eq(cqt_test_counter_get(&l.reads), 1);

    /* disabled from a pthread: the byte stays unread through several turns
     * of the owner's loop */
    ck_assert_int_eq(ctl(w, 0), CQT_OK);
    ck_assert(!cqt_io_watch_is_enabled(w));
    long calls = cqt_test_counter_get(&l.calls);
    ck_assert_int_eq(write(sv[1], "b", 1), 1);
    for (int i = 0; i < 5; i++)
        round_trip(sibling);
    ck_assert_int_eq(cqt_test_counter_get(&l.calls), calls);
    ck_assert_int_eq(cqt_test_counter_get(&l.reads), 1);

    /* enabled from a pthread: it arrives */
    cqt_event_clear(l.got);
    ck_assert_int_eq(ctl(w, 1), CQT_OK);
    ck_assert_int_eq(cqt_event_wait(l.got, CQT_TEST_TIMEOUT_MS), CQT_OK);
    ck_assert_int_eq(cqt_test_counter_get(&l.reads), 2);

    /* set_events from a pthread: WRITE is reported (the callback then goes
     * back to READ by itself, from inside) */
    cqt_event_clear(l.got);
    ck_assert_int_eq(ctl(w, 2), CQT_OK);
    ck_assert_int_eq(cqt_event_wait(l.got, CQT_TEST_TIMEOUT_MS), CQT_OK);
    round_trip(sibling);
    ck_assert_int_ge(cqt_test_counter_get(&l.writes), 1);
    long writes = cqt_test_counter_get(&l.writes);
    for (int i = 0; i < 5; i++)
        round_trip(sibling);
    ck_assert_int_eq(cqt_test_counter_get(&l.writes), writes);

    ck_assert_int_eq(cqt_test_counter_get(&l.wrong_thread), 0);
    ck_assert_msg(!cqt_test_captured_contains("another thread"), "Qt complained: %s",
                  cqt_test_captured());
    cqt_test_capture_stop();
    ck_assert_int_eq(ctl(w, 3), CQT_OK); /* free from a pthread */
    ck_assert_int_eq(cqt_test_counter_get(&l.destroyed), 1);
    cqt_object_free(owner);
    cqt_object_free(sibling);
    cqt_thread_free(t);
    close(sv[0]);
    close(sv[1]);
    cqt_event_free(l.got);
}
END_TEST

/* Moving the owner between two threads while a writer streams: every word
 * is read exactly once, in order, and every callback runs in the thread
 * the owner lives in at that moment. */
START_TEST(test_io_watch_moves_with_owner)
{
    cqt_thread *a = cqt_thread_new("io-a"), *b = cqt_thread_new("io-b");
    ck_assert_int_eq(cqt_thread_start(a), CQT_OK);
    ck_assert_int_eq(cqt_thread_start(b), CQT_OK);
    cqt_object *owner = cqt_object_new(a);
    int fds[2];
    make_pipe(fds);
    stream_log l = {.owner = owner, .a = a, .b = b, .move_every = 3, .want = 50000,
                    .done = cqt_event_new("read-all")};
    cqt_io_watch *w = cqt_io_watch_new(owner, fds[0], CQT_IO_READ, on_stream, &l, NULL);
    ck_assert_msg(w != NULL, "%s", cqt_last_error());
    writer_job j = {.fd = fds[1], .n = 50000};
    pthread_t pt;
    pthread_create(&pt, NULL, write_words, &j);
    ck_assert_int_eq(cqt_event_wait(l.done, CQT_TEST_TIMEOUT_MS * 3), CQT_OK);
    pthread_join(pt, NULL);
    /* the owner's thread is stable now (moves happen only in callbacks) */
    cqt_object *probe = cqt_object_new(a), *probe_b = cqt_object_new(b);
    round_trip(probe);
    round_trip(probe_b);
    ck_assert_int_eq(l.bad_order, 0);
    ck_assert_int_eq(l.wrong_thread, 0);
    ck_assert_int_eq(l.next, 50000);
    ck_assert_int_eq(l.npartial, 0);
    ck_assert_msg(l.moves >= 2, "only %ld moves in %ld callbacks", l.moves, l.calls);
    cqt_io_watch_free(w);
    cqt_object_free(owner);
    cqt_object_free(probe);
    cqt_object_free(probe_b);
    cqt_thread_free(a);
    cqt_thread_free(b);
    close(fds[0]);
    close(fds[1]);
    cqt_event_free(l.done);
}
END_TEST

/* ---- frees racing readiness ------------------------------------------- */

typedef struct {
    cqt_event *held, *go;
} hold_job;

typedef struct {
    hold_job *hold; /* when set, the 20th call waits there (once) */
    cqt_test_counter calls;
    cqt_test_counter after_free;
    cqt_test_counter destroyed;
    volatile int free_returned;
    cqt_event *busy;
} race_log;

/* Reads one byte per call: the fd stays readable, so it is called at
 * every turn of the loop (level-triggered). */
static void on_race(void *user_data, cqt_io_watch *w, int fd, unsigned revents)
{
    (void)w;
    (void)revents;
    race_log *l = user_data;
    if (__atomic_load_n(&l->free_returned, __ATOMIC_SEQ_CST))
        cqt_test_counter_add(&l->after_free, 1);
    char c;
    if (read(fd, &c, 1) != 1) {
        /* never drained in this test */
    }
    if (cqt_test_counter_add(&l->calls, 1), cqt_test_counter_get(&l->calls) >= 20)
        cqt_event_set(l->busy);
    if (l->hold && cqt_test_counter_get(&l->calls) == 20) {
        cqt_event_set(l->hold->held);
        cqt_event_wait(l->hold->go, CQT_TEST_TIMEOUT_MS);
    }
}

static void race_destroy(void *p)
{
    race_log *l = p;
    cqt_test_counter_add(&l->destroyed, 1);
}

static void fill(int fd, size_t n)
{
    char buf[4096];
    memset(buf, 'x', sizeof buf);
    while (n) {
        size_t k = n < sizeof buf ? n : sizeof buf;
        ck_assert_int_eq(write(fd, buf, k), (ssize_t)k);
        n -= k;
    }
}

/* Freeing the watch from another thread while its fd is readable and it is
 * being called: no callback runs after the free returns; destroy once. */
START_TEST(test_io_watch_free_from_foreign_thread_while_readable)
{
    cqt_thread *t = cqt_thread_new("io-race");
    ck_assert_int_eq(cqt_thread_start(t), CQT_OK);
    cqt_object *owner = cqt_object_new(t);
    int fds[2];
    make_pipe(fds);
    fill(fds[1], 60000);
    race_log l = {.busy = cqt_event_new("busy")};
    cqt_io_watch *w = cqt_io_watch_new(owner, fds[0], CQT_IO_READ, on_race, &l, race_destroy);
    ck_assert_msg(w != NULL, "%s", cqt_last_error());
    ck_assert_int_eq(cqt_event_wait(l.busy, CQT_TEST_TIMEOUT_MS), CQT_OK);
    cqt_io_watch_free(w);
    __atomic_store_n(&l.free_returned, 1, __ATOMIC_SEQ_CST);
    ck_assert_int_eq(cqt_test_counter_get(&l.destroyed), 1);
    for (int i = 0; i < 5; i++)
        round_trip(owner);
    ck_assert_int_eq(cqt_test_counter_get(&l.after_free), 0);
    ck_assert_int_eq(cqt_test_counter_get(&l.destroyed), 1);
    cqt_object_free(owner);
    cqt_thread_free(t);
    ck_assert_int_eq(cqt_test_counter_get(&l.destroyed), 1);
    close(fds[0]);
    close(fds[1]);
    cqt_event_free(l.busy);
}
END_TEST

/* Freeing the owner from another thread while its watch is being called:
 * the watch goes with it, destroy runs once (in the owner's thread), and
 * no callback starts after the free returns, although the destruction
 * itself waits for the owner's thread (the free is made while a callback
 * is held there; that one finishes, as for every call into a freed
 * object, and no other may follow). */
START_TEST(test_io_watch_freed_with_owner_from_foreign_thread)
{
    cqt_thread *t = cqt_thread_new("io-race");
    ck_assert_int_eq(cqt_thread_start(t), CQT_OK);
    cqt_object *owner = cqt_object_new(t), *sibling = cqt_object_new(t);
    int fds[2];
    make_pipe(fds);
    fill(fds[1], 60000);
    hold_job h = {.held = cqt_event_new("held"), .go = cqt_event_new("go")};
    race_log l = {.busy = cqt_event_new("busy"), .hold = &h};
    cqt_io_watch *w = cqt_io_watch_new(owner, fds[0], CQT_IO_READ, on_race, &l, race_destroy);
    ck_assert_msg(w != NULL, "%s", cqt_last_error());
    ck_assert_int_eq(cqt_event_wait(h.held, CQT_TEST_TIMEOUT_MS), CQT_OK);
    cqt_object_free(owner); /* its destroy is queued to the held thread */
    __atomic_store_n(&l.free_returned, 1, __ATOMIC_SEQ_CST);
    cqt_event_set(h.go);
    for (int i = 0; i < 5; i++)
        round_trip(sibling); /* the deferred destroy ran before these */
    ck_assert_int_eq(cqt_test_counter_get(&l.after_free), 0);
    cqt_event_free(h.held);
    cqt_event_free(h.go);
    ck_assert_int_eq(cqt_test_counter_get(&l.destroyed), 1);
    cqt_object_free(sibling);
    cqt_thread_free(t);
    ck_assert_int_eq(cqt_test_counter_get(&l.destroyed), 1);
    close(fds[0]);
    close(fds[1]);
    cqt_event_free(l.busy);
}
END_TEST

/* A watch freed from inside its own callback: destroy runs once, after the
 * callback returned, and nothing runs after. */
static void on_free_self(void *user_data, cqt_io_watch *w, int fd, unsigned revents)
{
    (void)fd;
    (void)revents;
    race_log *l = user_data;
    cqt_test_counter_add(&l->calls, 1);
    cqt_io_watch_free(w);
    if (cqt_test_counter_get(&l->destroyed) != 0)
        cqt_test_counter_add(&l->after_free, 1); /* destroy ran too early */
    cqt_event_set(l->busy);
}

static bool event_is_set(void *ev)
{
    return cqt_event_is_set(ev);
}

START_TEST(test_io_watch_free_inside_callback)
{
    cqt_object *owner = cqt_object_new(NULL);
    int fds[2];
    make_pipe(fds);
    fill(fds[1], 10);
    race_log l = {.busy = cqt_event_new("called")};
    cqt_io_watch *w = cqt_io_watch_new(owner, fds[0], CQT_IO_READ, on_free_self, &l, race_destroy);
    ck_assert_msg(w != NULL, "%s", cqt_last_error());
    ck_assert(cqt_test_run_until(event_is_set, l.busy, CQT_TEST_TIMEOUT_MS));
    cqt_app_process_events(50);
    ck_assert_int_eq(cqt_test_counter_get(&l.calls), 1);
    ck_assert_int_eq(cqt_test_counter_get(&l.after_free), 0);
    ck_assert_int_eq(cqt_test_counter_get(&l.destroyed), 1);
    cqt_object_free(owner);
    close(fds[0]);
    close(fds[1]);
    cqt_event_free(l.busy);
}
END_TEST

/* ---- hang-up and closed fds ------------------------------------------- */

typedef struct {
    cqt_test_counter bytes;
    cqt_test_counter errors;
    cqt_test_counter eofs;
    cqt_test_counter calls;
    cqt_event *ended;
} end_log;

static void on_end(void *user_data, cqt_io_watch *w, int fd, unsigned revents)
{
    (void)w;
    end_log *l = user_data;
    cqt_test_counter_add(&l->calls, 1);
    if (revents & CQT_IO_READ) {
        char buf[2];
        ssize_t k;
        while ((k = read(fd, buf, sizeof buf)) > 0)
            cqt_test_counter_add(&l->bytes, k);
        if (k == 0)
            cqt_test_counter_add(&l->eofs, 1);
    }
    if (revents & CQT_IO_ERROR) {
        cqt_test_counter_add(&l->errors, 1);
        cqt_event_set(l->ended);
    }
}

/* The writer hangs up: the data left is read first, then CQT_IO_ERROR
 * arrives exactly once and the watch is disabled (no spin). */
START_TEST(test_io_watch_peer_hangup_reported_once)
{
    cqt_thread *t = cqt_thread_new("io-hup");
    ck_assert_int_eq(cqt_thread_start(t), CQT_OK);
    cqt_object *owner = cqt_object_new(t);
    int fds[2];
    make_pipe(fds);
    end_log l = {.ended = cqt_event_new("ended")};
    cqt_io_watch *w = cqt_io_watch_new(owner, fds[0], CQT_IO_READ, on_end, &l, NULL);
    ck_assert_msg(w != NULL, "%s", cqt_last_error());
    ck_assert_int_eq(write(fds[1], "hello", 5), 5);
    close(fds[1]);
    ck_assert_int_eq(cqt_event_wait(l.ended, CQT_TEST_TIMEOUT_MS), CQT_OK);
    for (int i = 0; i < 5; i++)
        round_trip(owner);
    ck_assert_int_eq(cqt_test_counter_get(&l.bytes), 5);
    ck_assert_int_eq(cqt_test_counter_get(&l.errors), 1);
    ck_assert(!cqt_io_watch_is_enabled(w));
    long calls = cqt_test_counter_get(&l.calls);
    for (int i = 0; i < 5; i++)
        round_trip(owner);
    ck_assert_int_eq(cqt_test_counter_get(&l.calls), calls);
    cqt_io_watch_free(w);
    cqt_object_free(owner);
    cqt_thread_free(t);
    close(fds[0]);
    cqt_event_free(l.ended);
}
END_TEST

static int64_t cpu_ns(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ((int64_t)ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000 +
           ((int64_t)ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000;
}

/* The fd is closed while watched: CQT_IO_ERROR once, the watch disabled,
 * enable refused with a status, and the process does not spin (CPU time
 * over a window stays far below the window). */
START_TEST(test_io_watch_closed_fd_no_spin)
{
    cqt_thread *t = cqt_thread_new("io-closed");
    ck_assert_int_eq(cqt_thread_start(t), CQT_OK);
    cqt_object *owner = cqt_object_new(t);
    int fds[2];
    make_pipe(fds);
    end_log l = {.ended = cqt_event_new("ended")};
    cqt_test_capture_start(); /* Qt warns about the invalid socket */
    cqt_io_watch *w = cqt_io_watch_new(owner, fds[0], CQT_IO_READ, on_end, &l, NULL);
    ck_assert_msg(w != NULL, "%s", cqt_last_error());
    round_trip(owner); /* armed */
    close(fds[0]);
    /* the owner's loop must notice: a round trip turns it */
    round_trip(owner);
    ck_assert_int_eq(cqt_event_wait(l.ended, CQT_TEST_TIMEOUT_MS), CQT_OK);
    ck_assert_int_eq(cqt_test_counter_get(&l.errors), 1);

    cqt_event *never = cqt_event_new("never");
    int64_t c0 = cpu_ns(), w0 = cqt_now_ns();
    ck_assert_int_eq(cqt_event_wait(never, 500), CQT_ETIMEDOUT); /* the window */
    int64_t dc = cpu_ns() - c0, dw = cqt_now_ns() - w0;
    ck_assert_msg(dc < dw / 2, "the process used %lld ns of CPU in %lld ns", (long long)dc,
                  (long long)dw);
    round_trip(owner);
    ck_assert_int_eq(cqt_test_counter_get(&l.errors), 1);
    ck_assert(!cqt_io_watch_is_enabled(w));
    ck_assert_int_eq(cqt_io_watch_enable(w), CQT_EINVAL);
    ck_assert_msg(strstr(cqt_last_error(), "closed") != NULL, "%s", cqt_last_error());
    cqt_test_capture_stop();
    cqt_io_watch_free(w);
    cqt_object_free(owner);
    cqt_thread_free(t);
    close(fds[1]);
    cqt_event_free(l.ended);
    cqt_event_free(never);
}
END_TEST

/* ---- refusals ---------------------------------------------------------- */

static void on_nothing(void *user_data, cqt_io_watch *w, int fd, unsigned revents)
{
    (void)user_data;
    (void)w;
    (void)fd;
    (void)revents;
}

typedef struct {
    cqt_io_watch *w;
    char msg[512];
    long destroyed;
} adopted_job;

static void adopted_destroy(void *p)
{
    ((adopted_job *)p)->destroyed++;
}

static void *watch_in_adopted_thread(void *arg)
{
    adopted_job *j = arg;
    int fds[2];
    if (pipe(fds) != 0)
        return NULL;
    cqt_object *o = cqt_object_new(NULL);
    j->w = cqt_io_watch_new(o, fds[0], CQT_IO_READ, on_nothing, j, adopted_destroy);
    snprintf(j->msg, sizeof j->msg, "%s", cqt_last_error());
    cqt_object_free(o);
    close(fds[0]);
    close(fds[1]);
    return NULL;
}

/* An owner in a thread that can never run a loop: refused (ENOLOOP
 * message naming the fix), destroy run once. Bad arguments: a message
 * naming the fix, destroy run once. */
START_TEST(test_io_watch_refusals)
{
    adopted_job j = {0};
    pthread_t pt;
    pthread_create(&pt, NULL, watch_in_adopted_thread, &j);
    pthread_join(pt, NULL);
    ck_assert_ptr_null(j.w);
    ck_assert_msg(strstr(j.msg, "runs no event loop") != NULL, "%s", j.msg);
    ck_assert_msg(strstr(j.msg, "cqt_thread_new") != NULL, "%s", j.msg);
    ck_assert_int_eq(j.destroyed, 1);

    cqt_object *o = cqt_object_new(NULL);
    int fds[2];
    make_pipe(fds);
    cqt_test_counter d = {0};
    ck_assert_ptr_null(cqt_io_watch_new(o, -1, CQT_IO_READ, on_nothing, &d, count_destroy));
    ck_assert_msg(strstr(cqt_last_error(), "negative") != NULL, "%s", cqt_last_error());
    ck_assert_ptr_null(cqt_io_watch_new(o, fds[0], 0x40, on_nothing, &d, count_destroy));
    ck_assert_msg(strstr(cqt_last_error(), "CQT_IO_READ") != NULL, "%s", cqt_last_error());
    ck_assert_ptr_null(cqt_io_watch_new(o, fds[0], CQT_IO_ERROR, on_nothing, &d, count_destroy));
    ck_assert_ptr_null(cqt_io_watch_new(o, fds[0], CQT_IO_READ, NULL, &d, count_destroy));
    ck_assert_msg(strstr(cqt_last_error(), "fn is NULL") != NULL, "%s", cqt_last_error());
    ck_assert_ptr_null(cqt_io_watch_new(NULL, fds[0], CQT_IO_READ, on_nothing, &d, count_destroy));
    ck_assert_msg(strstr(cqt_last_error(), "cqt_object_new") != NULL, "%s", cqt_last_error());
    int closed = dup(fds[0]);
    close(closed);
    ck_assert_ptr_null(cqt_io_watch_new(o, closed, CQT_IO_READ, on_nothing, &d, count_destroy));
    ck_assert_msg(strstr(cqt_last_error(), "not open") != NULL, "%s", cqt_last_error());
    ck_assert_int_eq(cqt_test_counter_get(&d), 6);

    cqt_io_watch *w = cqt_io_watch_new(o, fds[0], CQT_IO_READ, on_nothing, &d, count_destroy);
    ck_assert_ptr_nonnull(w);
    ck_assert_int_eq(cqt_io_watch_set_events(w, 0x100), CQT_EINVAL);
    ck_assert_int_eq(cqt_io_watch_set_events(w, 0), CQT_EINVAL);
    ck_assert_int_eq(cqt_io_watch_fd(w), fds[0]);
    cqt_io_watch_free(w);
    ck_assert_int_eq(cqt_test_counter_get(&d), 7);
    cqt_object_free(o);
    close(fds[0]);
    close(fds[1]);
}
END_TEST

CQT_TEST_SUITE(io_suite)
{
    Suite *s = suite_create("io");
    TCase *tc = tcase_create("io");
    cqt_test_add_app_fixture(tc);
    tcase_add_test(tc, test_io_watch_pipe_from_pthread);
    tcase_add_test(tc, test_io_watch_control_from_foreign_thread);
    tcase_add_test(tc, test_io_watch_moves_with_owner);
    tcase_add_test(tc, test_io_watch_free_from_foreign_thread_while_readable);
    tcase_add_test(tc, test_io_watch_freed_with_owner_from_foreign_thread);
    tcase_add_test(tc, test_io_watch_free_inside_callback);
    tcase_add_test(tc, test_io_watch_peer_hangup_reported_once);
    tcase_add_test(tc, test_io_watch_closed_fd_no_spin);
    tcase_add_test(tc, test_io_watch_refusals);
    suite_add_tcase(s, tc);
    return s;
}
