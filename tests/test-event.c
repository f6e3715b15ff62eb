/* SPDX-License-Identifier: MIT */
/* test-event.c — cqt_event: set/clear/wait, waits on many events from one
 * thread (P9), when_all/any delivered in the receiver's thread, and misuse.
 *
 * Threads synchronise on events with generous timeouts. Where a test must
 * act while another thread is blocked inside a wait, it polls that thread's
 * state in /proc until the thread sleeps (a condition, not a guessed delay). */
#include "cqt-test.h"

#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define T_MS CQT_TEST_TIMEOUT_MS

/* ---- helpers ------------------------------------------------------------ */

static pid_t current_tid(void)
{
    return (pid_t)syscall(SYS_gettid);
}

static bool tid_sleeping(pid_t tid)
{
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/self/task/%d/stat", (int)tid);
    FILE *f = fopen(path, "r");
    if (!f)
        return false;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    /* "tid (comm) S ...": comm may hold spaces and parentheses. */
    char *p = strrchr(buf, ')');
    return p && p[1] == ' ' && p[2] == 'S';
}

static int64_t now_ms(void)
{
    return cqt_now_ns() / 1000000;
}

/* Returns once @tid has been seen asleep on several polls in a row (so a
 * brief block on some lock on its way into the wait does not count), or
 * false after the generous timeout. */
static bool wait_until_blocked(pid_t tid)
{
    int64_t end = now_ms() + T_MS;
    int streak = 0;
    while (now_ms() < end) {
        streak = tid_sleeping(tid) ? streak + 1 : 0;
        if (streak >= 5)
            return true;
        struct timespec poll = {0, 1000000};
        nanosleep(&poll, NULL);
    }
    return false;
}

static cqt_event *new_event(const char *name)
{
    cqt_event *ev = cqt_event_new(name);
    ck_assert_msg(ev != NULL, "cqt_event_new: %s", cqt_last_error());
    return ev;
}

static void free_events(cqt_event **evs, size_t n)
{
    for (size_t i = 0; i < n; i++)
        cqt_event_free(evs[i]);
}

static int64_t live_events(void)
{
    cqt_live_counts c;
    cqt_debug_live_counts(&c);
    return c.events;
}

static bool no_live_timers(void *arg)
{
    (void)arg;
    cqt_live_counts c;
    cqt_debug_live_counts(&c);
    return c.timers == 0;
}

/* A helper thread that, once @target is blocked, optionally clears, then
 * sets events[0..n) (and clears them again if @clear_after). */
struct setter {
    pthread_t th;
    pid_t target;
    cqt_event **events;
    size_t n;
    bool wait_blocked;
    bool clear_after;
    bool saw_blocked;
    int threads_seen; /* cqt_test_thread_count() while target was blocked */
};

static void *setter_main(void *arg)
{
    struct setter *s = arg;
    if (s->wait_blocked) {
        s->saw_blocked = wait_until_blocked(s->target);
        s->threads_seen = cqt_test_thread_count();
    }
    for (size_t i = 0; i < s->n; i++) {
        cqt_event_set(s->events[i]);
        if (s->clear_after)
            cqt_event_clear(s->events[i]);
    }
    return NULL;
}

static void setter_start(struct setter *s, cqt_event **events, size_t n, bool wait_blocked,
                         bool clear_after)
{
    memset(s, 0, sizeof *s);
    s->target = current_tid();
    s->events = events;
    s->n = n;
    s->wait_blocked = wait_blocked;
    s->clear_after = clear_after;
    ck_assert_int_eq(pthread_create(&s->th, NULL, setter_main, s), 0);
}

static void setter_join(struct setter *s)
{
    pthread_join(s->th, NULL);
    if (s->wait_blocked)
        ck_assert_msg(s->saw_blocked, "the waiting thread never blocked");
}

/* ---- single events (no application needed) ------------------------------ */

/* new/free keep the live count; names are copied; default "event-N". */
START_TEST(test_event_new_free_name)
{
    int64_t before = live_events();
    char name[] = "door";
    cqt_event *a = new_event(name), *b = new_event(NULL);
    name[0] = 'X';
    ck_assert_str_eq(cqt_event_name(a), "door");
    ck_assert_msg(strncmp(cqt_event_name(b), "event-", 6) == 0, "default name '%s'",
                  cqt_event_name(b));
    ck_assert_int_eq(live_events(), before + 2);
    ck_assert(!cqt_event_is_set(a));
    cqt_event_free(a);
    cqt_event_free(b);
    ck_assert_int_eq(live_events(), before);
}
END_TEST

START_TEST(test_event_set_clear_is_set)
{
    cqt_event *ev = new_event("flag");
    ck_assert_int_eq(cqt_event_set(ev), CQT_OK);
    ck_assert(cqt_event_is_set(ev));
    ck_assert_int_eq(cqt_event_set(ev), CQT_OK); /* setting twice is harmless */
    ck_assert(cqt_event_is_set(ev));
    ck_assert_int_eq(cqt_event_wait(ev, 0), CQT_OK);
    ck_assert_int_eq(cqt_event_clear(ev), CQT_OK);
    ck_assert(!cqt_event_is_set(ev));
    ck_assert_int_eq(cqt_event_clear(ev), CQT_OK);
    cqt_event_free(ev);
}
END_TEST

/* Timeout 0 only tests; a timeout is measured and its message names the event. */
START_TEST(test_event_wait_timeout)
{
    cqt_event *ev = new_event("never");
    ck_assert_int_eq(cqt_event_wait(ev, 0), CQT_ETIMEDOUT);
    int64_t t0 = now_ms();
    ck_assert_int_eq(cqt_event_wait(ev, 50), CQT_ETIMEDOUT);
    ck_assert_int_ge(now_ms() - t0, 49);
    ck_assert_msg(strstr(cqt_last_error(), "'never'") != NULL, "message: %s", cqt_last_error());
    cqt_event_free(ev);
}
END_TEST

/* A set from another thread wakes a blocked wait. */
START_TEST(test_event_wait_woken_by_thread)
{
    cqt_event *ev = new_event("wake");
    struct setter s;
    setter_start(&s, &ev, 1, true, false);
    ck_assert_int_eq(cqt_event_wait(ev, T_MS), CQT_OK);
    setter_join(&s);
    cqt_event_free(ev);
}
END_TEST

/* A set undone by a clear before the waiter runs still ends the wait. */
START_TEST(test_event_wait_latches_set)
{
    cqt_event *ev = new_event("blink");
    struct setter s;
    setter_start(&s, &ev, 1, true, true);
    int64_t t0 = now_ms();
    ck_assert_msg(cqt_event_wait(ev, T_MS) == CQT_OK, "set-then-clear was missed: %s",
                  cqt_last_error());
    ck_assert_msg(now_ms() - t0 < T_MS / 2, "the latched set did not wake the waiter");
    setter_join(&s);
    ck_assert(!cqt_event_is_set(ev));
    cqt_event_free(ev);
}
END_TEST

/* ---- waits on many ------------------------------------------------------ */

/* Three events, one never set: ETIMEDOUT, results mark it, and the
 * message names it and not the others. */
START_TEST(test_event_wait_all_one_never_set)
{
    cqt_event *evs[3] = {new_event("axis-x"), new_event("axis-y"), new_event("axis-z")};
    cqt_event_set(evs[0]);
    cqt_event_set(evs[1]);
    int results[3] = {42, 42, 42};
    int64_t t0 = now_ms();
    ck_assert_int_eq(cqt_event_wait_all(evs, 3, 100, results), CQT_ETIMEDOUT);
    ck_assert_int_ge(now_ms() - t0, 99);
    ck_assert_int_eq(results[0], CQT_OK);
    ck_assert_int_eq(results[1], CQT_OK);
    ck_assert_int_eq(results[2], CQT_ETIMEDOUT);
    const char *msg = cqt_last_error();
    ck_assert_msg(strstr(msg, "cqt_event_wait_all") && strstr(msg, "'axis-z'"), "message: %s",
                  msg);
    ck_assert_msg(!strstr(msg, "'axis-x'") && !strstr(msg, "'axis-y'"), "message: %s", msg);
    ck_assert_int_eq(cqt_event_wait_all(evs, 3, 0, NULL), CQT_ETIMEDOUT);
    free_events(evs, 3);
}
END_TEST

/* Events set from another thread during the wait complete it. */
START_TEST(test_event_wait_all_woken_by_thread)
{
    cqt_event *evs[3] = {new_event("a"), new_event("b"), new_event("c")};
    int results[3] = {42, 42, 42};
    struct setter s;
    setter_start(&s, evs, 3, true, false);
    ck_assert_int_eq(cqt_event_wait_all(evs, 3, T_MS, results), CQT_OK);
    setter_join(&s);
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(results[i], CQT_OK);
    free_events(evs, 3);
}
END_TEST

/* Set-then-clear of every event during the wait still counts. */
START_TEST(test_event_wait_all_latches_set)
{
    cqt_event *evs[3] = {new_event("a"), new_event("b"), new_event("c")};
    struct setter s;
    setter_start(&s, evs, 3, true, true);
    int64_t t0 = now_ms();
    ck_assert_msg(cqt_event_wait_all(evs, 3, T_MS, NULL) == CQT_OK, "latched sets missed: %s",
                  cqt_last_error());
    ck_assert_msg(now_ms() - t0 < T_MS / 2, "the latched sets did not wake the waiter");
    setter_join(&s);
    for (int i = 0; i < 3; i++)
        ck_assert(!cqt_event_is_set(evs[i]));
    free_events(evs, 3);
}
END_TEST

/* The same event may appear more than once. */
START_TEST(test_event_wait_all_duplicates)
{
    cqt_event *a = new_event("a"), *b = new_event("b");
    cqt_event *evs[4] = {a, b, a, a};
    int results[4];
    cqt_event_set(a);
    ck_assert_int_eq(cqt_event_wait_all(evs, 4, 0, results), CQT_ETIMEDOUT);
    ck_assert_int_eq(results[0], CQT_OK);
    ck_assert_int_eq(results[1], CQT_ETIMEDOUT);
    ck_assert_int_eq(results[2], CQT_OK);
    ck_assert_int_eq(results[3], CQT_OK);
    struct setter s;
    setter_start(&s, &b, 1, true, false);
    ck_assert_int_eq(cqt_event_wait_all(evs, 4, T_MS, results), CQT_OK);
    setter_join(&s);
    cqt_event_free(a);
    cqt_event_free(b);
}
END_TEST

/* wait_any reports the event that was set, from another thread. */
START_TEST(test_event_wait_any_first_index)
{
    cqt_event *evs[3] = {new_event("a"), new_event("b"), new_event("c")};
    size_t index = 77;
    struct setter s;
    setter_start(&s, &evs[2], 1, true, false);
    ck_assert_int_eq(cqt_event_wait_any(evs, 3, T_MS, &index), CQT_OK);
    setter_join(&s);
    ck_assert_uint_eq(index, 2);

    /* Several already set: the lowest index among them. */
    cqt_event_set(evs[1]);
    ck_assert_int_eq(cqt_event_wait_any(evs, 3, 0, &index), CQT_OK);
    ck_assert_uint_eq(index, 1);
    ck_assert_int_eq(cqt_event_wait_any(evs, 3, 0, NULL), CQT_OK);
    free_events(evs, 3);
}
END_TEST

START_TEST(test_event_wait_any_timeout)
{
    cqt_event *evs[2] = {new_event("left"), new_event("right")};
    size_t index = 5;
    ck_assert_int_eq(cqt_event_wait_any(evs, 2, 30, &index), CQT_ETIMEDOUT);
    ck_assert(index == (size_t)-1);
    const char *msg = cqt_last_error();
    ck_assert_msg(strstr(msg, "cqt_event_wait_any") && strstr(msg, "'left'") &&
                      strstr(msg, "'right'"),
                  "message: %s", msg);
    free_events(evs, 2);
}
END_TEST

enum { MANY = 1000 };

/* P9: a wait on 1,000 events starts no thread. The count is taken from the
 * setter thread while this thread is blocked in the wait. */
START_TEST(test_event_wait_all_1000_starts_no_thread)
{
    cqt_event **evs = calloc(MANY, sizeof *evs);
    ck_assert_ptr_nonnull(evs);
    for (int i = 0; i < MANY; i++)
        evs[i] = new_event(NULL);
    struct setter s;
    memset(&s, 0, sizeof s);
    s.events = evs;
    s.n = MANY;
    s.wait_blocked = true;
    s.target = current_tid();
    /* The setter exists before the baseline is taken, so it is counted. */
    ck_assert_int_eq(pthread_create(&s.th, NULL, setter_main, &s), 0);
    int before = cqt_test_thread_count();
    ck_assert_int_gt(before, 0);

    int *results = calloc(MANY, sizeof *results);
    ck_assert_ptr_nonnull(results);
    ck_assert_int_eq(cqt_event_wait_all(evs, MANY, T_MS, results), CQT_OK);
    setter_join(&s);
    ck_assert_msg(s.threads_seen == before, "threads during the wait: %d, before: %d",
                  s.threads_seen, before);
    for (int i = 0; i < MANY; i++)
        ck_assert_int_eq(results[i], CQT_OK);
    free(results);
    free_events(evs, MANY);
    free(evs);
}
END_TEST

/* wait_any over 1,000: the last one set wakes it. */
START_TEST(test_event_wait_any_1000)
{
    cqt_event **evs = calloc(MANY, sizeof *evs);
    ck_assert_ptr_nonnull(evs);
    for (int i = 0; i < MANY; i++)
        evs[i] = new_event(NULL);
    size_t index = 0;
    struct setter s;
    setter_start(&s, &evs[MANY - 1], 1, true, false);
    ck_assert_int_eq(cqt_event_wait_any(evs, MANY, T_MS, &index), CQT_OK);
    setter_join(&s);
    ck_assert_uint_eq(index, MANY - 1);
    free_events(evs, MANY);
    free(evs);
}
END_TEST

/* Engine change (issue 7): a latched waiter node leaves its event's list
 * in cqt_event_set itself. After wait_all / wait_any return, no node of
 * theirs may be left in any list: each event frees at once (a watched one
 * is refused), and sets that come later walk lists without the waiter's
 * stack nodes (ASan would see those). */
START_TEST(test_event_wait_many_leaves_no_watchers)
{
    enum { N = 40 };
    cqt_event *evs[N];
    for (int i = 0; i < N; i++)
        evs[i] = new_event(NULL);
    int results[N];
    struct setter s;
    setter_start(&s, evs, N, true, false);
    ck_assert_int_eq(cqt_event_wait_all(evs, N, T_MS, results), CQT_OK);
    setter_join(&s);
    for (int i = 0; i < N; i++)
        ck_assert_int_eq(results[i], CQT_OK);

    for (int i = 0; i < N; i++)
        cqt_event_clear(evs[i]);
    size_t index = 99;
    setter_start(&s, &evs[N / 2], 1, true, false);
    ck_assert_int_eq(cqt_event_wait_any(evs, N, T_MS, &index), CQT_OK);
    setter_join(&s);
    ck_assert_uint_eq(index, N / 2);
    for (int i = 0; i < N; i++)
        ck_assert_int_eq(cqt_event_set(evs[i]), CQT_OK); /* walks every list */

    int64_t before = live_events();
    free_events(evs, N);
    ck_assert_msg(live_events() == before - N, "%lld events refused to free: %s",
                  (long long)(live_events() - (before - N)), cqt_last_error());
}
END_TEST

/* wait_all latches events already set without a node and registers only
 * from the first clear one: results and the timeout message still go by
 * index, the later sets complete it, and no node is left behind. */
START_TEST(test_event_wait_all_some_already_set)
{
    enum { N = 40, LATE_A = 25, LATE_B = 31 };
    cqt_event *evs[N];
    char name[16];
    for (int i = 0; i < N; i++) {
        snprintf(name, sizeof name, "ev%d", i);
        evs[i] = new_event(name);
        if (i != LATE_A && i != LATE_B)
            cqt_event_set(evs[i]);
    }
    int results[N];
    for (int i = 0; i < N; i++)
        results[i] = 42;
    ck_assert_int_eq(cqt_event_wait_all(evs, N, 0, results), CQT_ETIMEDOUT);
    for (int i = 0; i < N; i++)
        ck_assert_msg(results[i] == (i == LATE_A || i == LATE_B ? CQT_ETIMEDOUT : CQT_OK),
                      "results[%d] = %d", i, results[i]);
    const char *msg = cqt_last_error();
    ck_assert_msg(strstr(msg, "2 of 40") && strstr(msg, "'ev25'") && strstr(msg, "'ev31'") &&
                      !strstr(msg, "'ev24'") && !strstr(msg, "'ev0'"),
                  "message: %s", msg);

    cqt_event *late[2] = {evs[LATE_A], evs[LATE_B]};
    struct setter s;
    setter_start(&s, late, 2, true, false);
    for (int i = 0; i < N; i++)
        results[i] = 42;
    ck_assert_int_eq(cqt_event_wait_all(evs, N, T_MS, results), CQT_OK);
    setter_join(&s);
    for (int i = 0; i < N; i++)
        ck_assert_int_eq(results[i], CQT_OK);

    /* All set: the answer comes from the flags alone. */
    for (int i = 0; i < N; i++)
        results[i] = 42;
    ck_assert_int_eq(cqt_event_wait_all(evs, N, 0, results), CQT_OK);
    for (int i = 0; i < N; i++)
        ck_assert_int_eq(results[i], CQT_OK);

    int64_t before = live_events();
    free_events(evs, N);
    ck_assert_msg(live_events() == before - N, "%lld events refused to free: %s",
                  (long long)(live_events() - (before - N)), cqt_last_error());
}
END_TEST

/* An event still watched is not freed (the waiter would read freed
 * memory): the call is refused with a message and the event stays usable. */
struct blocked_waiter {
    cqt_event *ev, *started;
    pid_t tid;
    int rc;
};

static void *blocked_waiter_main(void *arg)
{
    struct blocked_waiter *w = arg;
    w->tid = current_tid();
    cqt_event_set(w->started);
    w->rc = cqt_event_wait(w->ev, T_MS);
    return NULL;
}

START_TEST(test_event_free_while_watched_is_refused)
{
    struct blocked_waiter w = {new_event("busy"), new_event("started"), 0, 42};
    pthread_t th;
    ck_assert_int_eq(pthread_create(&th, NULL, blocked_waiter_main, &w), 0);
    ck_assert_int_eq(cqt_event_wait(w.started, T_MS), CQT_OK);
    ck_assert(wait_until_blocked(w.tid));
    int64_t before = live_events();
    cqt_event_free(w.ev);
    ck_assert_int_eq(live_events(), before);
    ck_assert_msg(strstr(cqt_last_error(), "cqt_event_free: event 'busy' is still watched"),
                  "message: %s", cqt_last_error());
    ck_assert_int_eq(cqt_event_set(w.ev), CQT_OK);
    pthread_join(th, NULL);
    ck_assert_int_eq(w.rc, CQT_OK);
    cqt_event_free(w.ev);
    cqt_event_free(w.started);
    ck_assert_int_eq(live_events(), before - 2);
}
END_TEST

/* ---- misuse ------------------------------------------------------------- */

static void assert_einval(int rc, const char *needle)
{
    ck_assert_msg(rc == CQT_EINVAL, "expected CQT_EINVAL, got %s", cqt_status_name(rc));
    ck_assert_msg(strstr(cqt_last_error(), needle) != NULL, "message '%s' lacks '%s'",
                  cqt_last_error(), needle);
}

START_TEST(test_event_bad_input_single)
{
    assert_einval(cqt_event_set(NULL), "cqt_event_set: event is NULL");
    assert_einval(cqt_event_clear(NULL), "cqt_event_clear: event is NULL");
    assert_einval(cqt_event_wait(NULL, 0), "cqt_event_wait: event is NULL");
    ck_assert(!cqt_event_is_set(NULL));
    ck_assert_str_eq(cqt_event_name(NULL), "(null)");
    cqt_event_free(NULL);
    cqt_event *ev = new_event("e");
    assert_einval(cqt_event_wait(ev, -2), "timeout_ms is -2");
    ck_assert_msg(strstr(cqt_last_error(), "'e'"), "message: %s", cqt_last_error());
    assert_einval(cqt_event_wait(ev, -1000), "CQT_FOREVER");
    cqt_event_set(ev);
    ck_assert_int_eq(cqt_event_wait(ev, CQT_FOREVER), CQT_OK);
    cqt_event_free(ev);
}
END_TEST

START_TEST(test_event_bad_input_wait_many)
{
    cqt_event *a = new_event("a"), *b = new_event("b");
    cqt_event *with_null[3] = {a, b, NULL};
    cqt_event *ok[2] = {a, b};
    int results[3];
    size_t index = 3;

    assert_einval(cqt_event_wait_all(NULL, 2, 0, results), "cqt_event_wait_all: events is NULL");
    assert_einval(cqt_event_wait_all(ok, 0, 0, results), "cqt_event_wait_all: n is 0");
    assert_einval(cqt_event_wait_all(with_null, 3, 0, results),
                  "cqt_event_wait_all: events[2] is NULL; pass n live events");
    assert_einval(cqt_event_wait_all(ok, 2, -2, results), "timeout_ms is -2");

    assert_einval(cqt_event_wait_any(NULL, 2, 0, &index), "cqt_event_wait_any: events is NULL");
    ck_assert(index == (size_t)-1);
    assert_einval(cqt_event_wait_any(ok, 0, 0, &index), "cqt_event_wait_any: n is 0");
    assert_einval(cqt_event_wait_any(with_null, 3, 0, &index),
                  "cqt_event_wait_any: events[2] is NULL");
    assert_einval(cqt_event_wait_any(ok, 2, -5, &index), "timeout_ms is -5");

    /* CQT_FOREVER is accepted. */
    cqt_event_set(a);
    cqt_event_set(b);
    ck_assert_int_eq(cqt_event_wait_all(ok, 2, CQT_FOREVER, NULL), CQT_OK);
    ck_assert_int_eq(cqt_event_wait_any(ok, 2, CQT_FOREVER, NULL), CQT_OK);

    /* Set events are answered from their flags, but only after the whole
     * array and the timeout were checked. */
    assert_einval(cqt_event_wait_all(with_null, 3, 0, results),
                  "cqt_event_wait_all: events[2] is NULL; pass n live events");
    assert_einval(cqt_event_wait_all(ok, 2, -2, results), "timeout_ms is -2");
    index = 3;
    assert_einval(cqt_event_wait_any(with_null, 3, 0, &index),
                  "cqt_event_wait_any: events[2] is NULL");
    ck_assert(index == (size_t)-1);
    assert_einval(cqt_event_wait_any(ok, 2, -5, &index), "timeout_ms is -5");
    ck_assert(index == (size_t)-1);
    cqt_event_free(a);
    cqt_event_free(b);
}
END_TEST

/* ---- when_all / when_any (need an application) -------------------------- */

struct probe {
    cqt_test_counter calls, destroys;
    bool destroy_before_fn;
    cqt_thread *thread; /* cqt_thread_current() inside fn */
    int status;
    size_t n, index;
    int results[8];
    cqt_event *delivered; /* set by fn (nullable) */
    cqt_event *destroyed; /* set by destroy (nullable) */
};

static void probe_fn(void *user_data, int status, const int *results, size_t n, size_t index)
{
    struct probe *p = user_data;
    if (cqt_test_counter_get(&p->destroys) != 0)
        p->destroy_before_fn = true;
    p->thread = cqt_thread_current();
    p->status = status;
    p->n = n;
    p->index = index;
    for (size_t i = 0; i < n && i < 8; i++)
        p->results[i] = results[i];
    cqt_test_counter_add(&p->calls, 1);
    if (p->delivered)
        cqt_event_set(p->delivered);
}

static void probe_destroy(void *user_data)
{
    struct probe *p = user_data;
    cqt_test_counter_add(&p->destroys, 1);
    if (p->destroyed)
        cqt_event_set(p->destroyed);
}

static void probe_init(struct probe *p)
{
    memset(p, 0, sizeof *p);
    p->delivered = new_event("delivered");
    p->destroyed = new_event("destroyed");
}

static void probe_fini(struct probe *p)
{
    cqt_event_free(p->delivered);
    cqt_event_free(p->destroyed);
}

static bool probe_called(void *arg)
{
    return cqt_test_counter_get(&((struct probe *)arg)->calls) > 0;
}

static bool probe_destroyed(void *arg)
{
    return cqt_test_counter_get(&((struct probe *)arg)->destroys) > 0;
}

static bool never(void *arg)
{
    (void)arg;
    return false;
}

static cqt_object *new_object(cqt_thread *t)
{
    cqt_object *o = cqt_object_new(t);
    ck_assert_msg(o != NULL, "cqt_object_new: %s", cqt_last_error());
    return o;
}

static void assert_once(struct probe *p, long calls)
{
    ck_assert_int_eq(cqt_test_counter_get(&p->calls), calls);
    ck_assert_int_eq(cqt_test_counter_get(&p->destroys), 1);
    ck_assert(!p->destroy_before_fn);
}

/* Delivered in the receiver's thread (a cqt thread), once, with results. */
START_TEST(test_event_when_all_delivers_in_receiver_thread)
{
    cqt_thread *t = cqt_thread_new("evt-recv");
    ck_assert_ptr_nonnull(t);
    ck_assert_int_eq(cqt_thread_start(t), CQT_OK);
    cqt_object *recv = new_object(t);
    cqt_event *evs[3] = {new_event("a"), new_event("b"), new_event("c")};
    struct probe p;
    probe_init(&p);
    ck_assert_int_eq(cqt_event_when_all(evs, 3, CQT_FOREVER, recv, probe_fn, &p, probe_destroy),
                     CQT_OK);
    ck_assert_int_eq(cqt_event_wait(p.delivered, 0), CQT_ETIMEDOUT);
    for (int i = 0; i < 3; i++)
        cqt_event_set(evs[i]);
    ck_assert_int_eq(cqt_event_wait(p.delivered, T_MS), CQT_OK);
    ck_assert_int_eq(cqt_event_wait(p.destroyed, T_MS), CQT_OK);
    ck_assert_ptr_eq(p.thread, t);
    ck_assert_ptr_ne(p.thread, cqt_thread_main());
    ck_assert_int_eq(p.status, CQT_OK);
    ck_assert_uint_eq(p.n, 3);
    ck_assert(p.index == (size_t)-1);
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(p.results[i], CQT_OK);
    assert_once(&p, 1);
    cqt_object_free(recv);
    cqt_thread_free(t);
    free_events(evs, 3);
    probe_fini(&p);
}
END_TEST

struct ticker {
    cqt_test_counter ticks;
};

static void tick(void *user_data, cqt_object *o, int id)
{
    (void)o;
    (void)id;
    cqt_test_counter_add(&((struct ticker *)user_data)->ticks, 1);
}

static bool ticked_5(void *arg)
{
    return cqt_test_counter_get(&((struct ticker *)arg)->ticks) >= 5;
}

/* With the receiver in the main thread, the main loop keeps running (a
 * repeating timer ticks) while the when_all is pending, and the result
 * arrives in the main thread when another thread sets the events. */
START_TEST(test_event_when_all_main_loop_keeps_running)
{
    cqt_object *recv = new_object(NULL);
    struct ticker tk = {0};
    int id = cqt_object_start_timer(recv, 5, CQT_TIMER_PRECISE, tick, &tk);
    ck_assert_msg(id > 0, "start_timer: %s", cqt_last_error());
    cqt_event *evs[3] = {new_event("x"), new_event("y"), new_event("z")};
    struct probe p;
    probe_init(&p);
    ck_assert_int_eq(cqt_event_when_all(evs, 3, T_MS, recv, probe_fn, &p, probe_destroy), CQT_OK);

    ck_assert_msg(cqt_test_run_until(ticked_5, &tk, T_MS), "the main loop stopped ticking");
    ck_assert_int_eq(cqt_test_counter_get(&p.calls), 0);

    struct setter s;
    memset(&s, 0, sizeof s);
    s.events = evs;
    s.n = 3;
    ck_assert_int_eq(pthread_create(&s.th, NULL, setter_main, &s), 0);
    ck_assert(cqt_test_run_until(probe_called, &p, T_MS));
    setter_join(&s);
    ck_assert(cqt_test_run_until(probe_destroyed, &p, T_MS));
    ck_assert_ptr_eq(p.thread, cqt_thread_main());
    ck_assert_int_eq(p.status, CQT_OK);
    assert_once(&p, 1);

    long ticks = cqt_test_counter_get(&tk.ticks);
    tk.ticks.value = 0;
    ck_assert(cqt_test_run_until(ticked_5, &tk, T_MS));
    ck_assert_int_ge(ticks, 5);

    cqt_object_free(recv); /* drops the single shot still pending */
    free_events(evs, 3);
    probe_fini(&p);
}
END_TEST

/* Timeout: fn runs once with CQT_ETIMEDOUT and per-event results; a set
 * after that changes nothing. */
START_TEST(test_event_when_all_timeout)
{
    cqt_object *recv = new_object(NULL);
    cqt_event *evs[3] = {new_event("a"), new_event("b"), new_event("late")};
    cqt_event_set(evs[0]);
    struct probe p;
    probe_init(&p);
    ck_assert_int_eq(cqt_event_when_all(evs, 3, 50, recv, probe_fn, &p, probe_destroy), CQT_OK);
    cqt_event_set(evs[1]);
    ck_assert(cqt_test_run_until(probe_called, &p, T_MS));
    ck_assert_int_eq(p.status, CQT_ETIMEDOUT);
    ck_assert_int_eq(p.results[0], CQT_OK);
    ck_assert_int_eq(p.results[1], CQT_OK);
    ck_assert_int_eq(p.results[2], CQT_ETIMEDOUT);
    ck_assert(p.index == (size_t)-1);
    ck_assert_ptr_eq(p.thread, cqt_thread_main());
    cqt_event_set(evs[2]);
    cqt_test_run_until(never, NULL, 50);
    assert_once(&p, 1);
    cqt_object_free(recv);
    free_events(evs, 3);
    probe_fini(&p);
}
END_TEST

/* A timeout never fires early. Qt's coarse timers (what a single shot of
 * 2 s or more is) may fire up to 5% before their interval to align
 * wake-ups; a when_all timeout is a limit ("not set within"), so it waits
 * out the rest. Several intervals at once, since Qt's alignment depends on
 * the interval; each is checked against its own start. */
struct early_probe {
    int64_t armed_ns, fired_ns;
    int status;
    cqt_test_counter calls;
};

static void early_fn(void *user_data, int status, const int *results, size_t n, size_t index)
{
    (void)results;
    (void)n;
    (void)index;
    struct early_probe *e = user_data;
    e->fired_ns = cqt_now_ns();
    e->status = status;
    cqt_test_counter_add(&e->calls, 1);
}

static bool all_early_fired(void *arg)
{
    struct early_probe *e = arg;
    for (int i = 0; i < 4; i++)
        if (cqt_test_counter_get(&e[i].calls) == 0)
            return false;
    return true;
}

START_TEST(test_event_when_all_timeout_never_early)
{
    static const int ms[4] = {2010, 2270, 2530, 2990};
    cqt_object *recv = new_object(NULL);
    cqt_event *ev = new_event("never");
    struct early_probe e[4];
    memset(e, 0, sizeof e);
    for (int i = 0; i < 4; i++) {
        e[i].armed_ns = cqt_now_ns();
        ck_assert_int_eq(cqt_event_when_all(&ev, 1, ms[i], recv, early_fn, &e[i], NULL), CQT_OK);
    }
    ck_assert(cqt_test_run_until(all_early_fired, e, 3 * T_MS));
    for (int i = 0; i < 4; i++) {
        int64_t waited_ms = (e[i].fired_ns - e[i].armed_ns) / 1000000;
        ck_assert_int_eq(e[i].status, CQT_ETIMEDOUT);
        ck_assert_int_eq(cqt_test_counter_get(&e[i].calls), 1);
        ck_assert_msg(waited_ms >= ms[i], "a %d ms timeout fired after %lld ms", ms[i],
                      (long long)waited_ms);
    }
    cqt_object_free(recv);
    free_events(&ev, 1);
}
END_TEST

/* when_any: the event set first, its index, and the others unset. */
START_TEST(test_event_when_any_first_index)
{
    cqt_object *recv = new_object(NULL);
    cqt_event *evs[3] = {new_event("a"), new_event("b"), new_event("c")};
    struct probe p;
    probe_init(&p);
    ck_assert_int_eq(cqt_event_when_any(evs, 3, T_MS, recv, probe_fn, &p, probe_destroy), CQT_OK);
    cqt_event_set(evs[1]);
    ck_assert(cqt_test_run_until(probe_called, &p, T_MS));
    ck_assert_int_eq(p.status, CQT_OK);
    ck_assert_uint_eq(p.index, 1);
    ck_assert_int_eq(p.results[0], CQT_ETIMEDOUT);
    ck_assert_int_eq(p.results[1], CQT_OK);
    ck_assert_int_eq(p.results[2], CQT_ETIMEDOUT);
    cqt_event_set(evs[0]);
    cqt_test_run_until(never, NULL, 20);
    ck_assert(cqt_test_run_until(probe_destroyed, &p, T_MS));
    assert_once(&p, 1);
    cqt_object_free(recv);
    free_events(evs, 3);
    probe_fini(&p);
}
END_TEST

START_TEST(test_event_when_any_timeout)
{
    cqt_object *recv = new_object(NULL);
    cqt_event *evs[2] = {new_event("a"), new_event("b")};
    struct probe p;
    probe_init(&p);
    ck_assert_int_eq(cqt_event_when_any(evs, 2, 20, recv, probe_fn, &p, probe_destroy), CQT_OK);
    ck_assert(cqt_test_run_until(probe_called, &p, T_MS));
    ck_assert_int_eq(p.status, CQT_ETIMEDOUT);
    ck_assert(p.index == (size_t)-1);
    assert_once(&p, 1);
    cqt_object_free(recv);
    free_events(evs, 2);
    probe_fini(&p);
}
END_TEST

/* Already complete at the call: still delivered later, never inside the call. */
START_TEST(test_event_when_all_already_set_is_queued)
{
    cqt_object *recv = new_object(NULL);
    cqt_event *evs[2] = {new_event("a"), new_event("b")};
    cqt_event_set(evs[0]);
    cqt_event_set(evs[1]);
    struct probe p;
    probe_init(&p);
    ck_assert_int_eq(cqt_event_when_all(evs, 2, CQT_FOREVER, recv, probe_fn, &p, probe_destroy),
                     CQT_OK);
    ck_assert_int_eq(cqt_test_counter_get(&p.calls), 0);
    ck_assert(cqt_test_run_until(probe_destroyed, &p, T_MS));
    ck_assert_int_eq(p.status, CQT_OK);
    assert_once(&p, 1);
    cqt_object_free(recv);
    free_events(evs, 2);
    probe_fini(&p);
}
END_TEST

/* Receiver freed before completion: fn never runs, destroy runs once, and
 * the events are released (free them, set them: nothing happens). */
START_TEST(test_event_when_all_receiver_freed_first)
{
    cqt_object *recv = new_object(NULL);
    cqt_event *evs[2] = {new_event("a"), new_event("b")};
    struct probe p;
    probe_init(&p);
    ck_assert_int_eq(cqt_event_when_all(evs, 2, T_MS, recv, probe_fn, &p, probe_destroy), CQT_OK);
    cqt_event_set(evs[0]);
    cqt_object_free(recv);
    ck_assert(cqt_test_run_until(probe_destroyed, &p, T_MS));
    cqt_event_set(evs[1]);
    cqt_test_run_until(never, NULL, 20);
    assert_once(&p, 0);
    int64_t before = live_events();
    free_events(evs, 2);
    ck_assert_int_eq(live_events(), before - 2); /* no longer watched: really freed */
    probe_fini(&p);
}
END_TEST

/* A wait with no timeout on an event never set: freeing the receiver
 * drops it (destroy once, fn never) and the event is no longer watched. */
START_TEST(test_event_when_all_forever_receiver_freed_drops_the_wait)
{
    cqt_object *recv = new_object(NULL);
    cqt_event *evs[2] = {new_event("a"), new_event("never")};
    struct probe p;
    probe_init(&p);
    ck_assert_int_eq(cqt_event_when_all(evs, 2, CQT_FOREVER, recv, probe_fn, &p, probe_destroy),
                     CQT_OK);
    cqt_event_set(evs[0]);
    cqt_object_free(recv);
    ck_assert_msg(cqt_test_run_until(probe_destroyed, &p, T_MS),
                  "destroy did not run after the receiver was freed");
    cqt_test_run_until(never, NULL, 20);
    assert_once(&p, 0);
    int64_t before = live_events();
    free_events(evs, 2);
    ck_assert_int_eq(live_events(), before - 2); /* no longer watched: really freed */
    probe_fini(&p);
}
END_TEST

/* The same with the receiver in a cqt thread freed from main, for when_any. */
START_TEST(test_event_when_any_forever_receiver_in_thread_freed_drops_the_wait)
{
    cqt_thread *t = cqt_thread_new("evt-gone");
    ck_assert_int_eq(cqt_thread_start(t), CQT_OK);
    cqt_object *recv = new_object(t);
    cqt_event *ev = new_event("never");
    struct probe p;
    probe_init(&p);
    ck_assert_int_eq(cqt_event_when_any(&ev, 1, CQT_FOREVER, recv, probe_fn, &p, probe_destroy),
                     CQT_OK);
    cqt_object_free(recv);
    ck_assert_int_eq(cqt_event_wait(p.destroyed, T_MS), CQT_OK);
    assert_once(&p, 0);
    cqt_thread_free(t);
    int64_t before = live_events();
    cqt_event_free(ev);
    ck_assert_int_eq(live_events(), before - 1);
    probe_fini(&p);
}
END_TEST

/* A wait with no timeout whose event is never set is dropped at shutdown:
 * destroy runs once and the event can be freed afterwards. */
START_TEST(test_event_when_all_forever_dropped_at_shutdown)
{
    cqt_object *recv = new_object(NULL);
    cqt_event *ev = new_event("never");
    struct probe p;
    probe_init(&p);
    ck_assert_int_eq(cqt_event_when_all(&ev, 1, CQT_FOREVER, recv, probe_fn, &p, probe_destroy),
                     CQT_OK);
    ck_assert_int_eq(cqt_app_shutdown(T_MS), CQT_OK);
    assert_once(&p, 0);
    int64_t before = live_events();
    cqt_event_free(ev);
    ck_assert_int_eq(live_events(), before - 1);
    cqt_object_free(recv);
    probe_fini(&p);
    ck_assert_int_eq(cqt_app_init(NULL, NULL, CQT_APP_CORE), CQT_OK); /* for the teardown */
}
END_TEST

/* A wait settled by its events leaves nothing behind on the receiver:
 * many waits in a row, then the receiver is freed with none pending. */
START_TEST(test_event_when_all_forever_settled_leaves_no_timer)
{
    cqt_object *recv = new_object(NULL);
    cqt_event *ev = new_event("a");
    for (int i = 0; i < 50; i++) {
        struct probe p;
        probe_init(&p);
        cqt_event_clear(ev);
        ck_assert_int_eq(cqt_event_when_all(&ev, 1, CQT_FOREVER, recv, probe_fn, &p, probe_destroy),
                         CQT_OK);
        cqt_event_set(ev);
        ck_assert(cqt_test_run_until(probe_destroyed, &p, T_MS));
        assert_once(&p, 1);
        probe_fini(&p);
    }
    ck_assert(cqt_test_run_until(no_live_timers, NULL, T_MS));
    cqt_object_free(recv);
    cqt_event_free(ev);
}
END_TEST

/* The same, with the receiver in a cqt thread and freed from main. */
START_TEST(test_event_when_any_receiver_in_thread_freed_first)
{
    cqt_thread *t = cqt_thread_new("evt-gone");
    ck_assert_int_eq(cqt_thread_start(t), CQT_OK);
    cqt_object *recv = new_object(t);
    cqt_event *evs[2] = {new_event("a"), new_event("b")};
    struct probe p;
    probe_init(&p);
    ck_assert_int_eq(cqt_event_when_any(evs, 2, T_MS, recv, probe_fn, &p, probe_destroy), CQT_OK);
    cqt_object_free(recv);
    ck_assert_int_eq(cqt_event_wait(p.destroyed, T_MS), CQT_OK);
    assert_once(&p, 0);
    cqt_thread_free(t);
    free_events(evs, 2);
    probe_fini(&p);
}
END_TEST

static void *new_object_here(void *arg)
{
    (void)arg;
    return cqt_object_new(NULL);
}

/* Every failed call runs destroy exactly once and never fn. */
START_TEST(test_event_when_bad_input_destroys_once)
{
    cqt_object *recv = new_object(NULL);
    cqt_event *a = new_event("a"), *b = new_event("b");
    cqt_event *ok[2] = {a, b};
    cqt_event *with_null[3] = {a, NULL, b};
    struct probe p;
    memset(&p, 0, sizeof p);
    long expect = 0;
    typedef int (*when_call)(cqt_event *const *, size_t, int, cqt_object *, cqt_when_fn, void *,
                             cqt_destroy_fn);
    when_call calls[2] = {cqt_event_when_all, cqt_event_when_any};
    const char *names[2] = {"cqt_event_when_all", "cqt_event_when_any"};
    for (int k = 0; k < 2; k++) {
        char want[128];
        snprintf(want, sizeof want, "%s: events is NULL", names[k]);
        assert_einval(calls[k](NULL, 2, 10, recv, probe_fn, &p, probe_destroy), want);
        ck_assert_int_eq(cqt_test_counter_get(&p.destroys), ++expect);
        snprintf(want, sizeof want, "%s: n is 0", names[k]);
        assert_einval(calls[k](ok, 0, 10, recv, probe_fn, &p, probe_destroy), want);
        ck_assert_int_eq(cqt_test_counter_get(&p.destroys), ++expect);
        snprintf(want, sizeof want, "%s: events[1] is NULL", names[k]);
        assert_einval(calls[k](with_null, 3, 10, recv, probe_fn, &p, probe_destroy), want);
        ck_assert_int_eq(cqt_test_counter_get(&p.destroys), ++expect);
        assert_einval(calls[k](ok, 2, -7, recv, probe_fn, &p, probe_destroy), "timeout_ms is -7");
        ck_assert_int_eq(cqt_test_counter_get(&p.destroys), ++expect);
        snprintf(want, sizeof want, "%s: receiver is NULL", names[k]);
        assert_einval(calls[k](ok, 2, 10, NULL, probe_fn, &p, probe_destroy), want);
        ck_assert_int_eq(cqt_test_counter_get(&p.destroys), ++expect);
        snprintf(want, sizeof want, "%s: fn is NULL", names[k]);
        assert_einval(calls[k](ok, 2, 10, recv, NULL, &p, probe_destroy), want);
        ck_assert_int_eq(cqt_test_counter_get(&p.destroys), ++expect);
        /* A NULL destroy is allowed on failure too. */
        assert_einval(calls[k](NULL, 2, 10, recv, probe_fn, &p, NULL), "events is NULL");
    }

    /* A receiver in a plain pthread (an adopted thread) can run no loop. */
    pthread_t th;
    void *adopted_obj = NULL;
    ck_assert_int_eq(pthread_create(&th, NULL, new_object_here, NULL), 0);
    pthread_join(th, &adopted_obj);
    ck_assert_ptr_nonnull(adopted_obj);
    int rc = cqt_event_when_all(ok, 2, 10, adopted_obj, probe_fn, &p, probe_destroy);
    ck_assert_msg(rc == CQT_ENOLOOP, "got %s", cqt_status_name(rc));
    ck_assert_int_eq(cqt_test_counter_get(&p.destroys), ++expect);
    ck_assert_msg(strstr(cqt_last_error(), "no event loop"), "message: %s", cqt_last_error());
    cqt_object_free(adopted_obj);

    cqt_test_run_until(never, NULL, 20);
    ck_assert_int_eq(cqt_test_counter_get(&p.calls), 0);
    cqt_object_free(recv);
    cqt_event_free(a);
    cqt_event_free(b);
}
END_TEST

/* ---- races --------------------------------------------------------------- */

enum { RACE_ROUNDS = 300 };

struct race_setter {
    cqt_event **evs;
    size_t n;
    cqt_event *go, *stop;
};

static void *race_setter_main(void *arg)
{
    struct race_setter *r = arg;
    /* Each round: wait for the go, set every event, report it. */
    for (;;) {
        if (cqt_event_wait(r->go, T_MS) != CQT_OK)
            return (void *)1;
        cqt_event_clear(r->go);
        if (cqt_event_is_set(r->stop))
            return NULL;
        for (size_t i = 0; i < r->n; i++)
            cqt_event_set(r->evs[i]);
    }
}

/* Sets race with short timeouts and with the completion: in every round fn
 * and destroy run exactly once, with a consistent report. */
START_TEST(test_event_when_all_races_timeout)
{
    cqt_thread *t = cqt_thread_new("evt-race");
    ck_assert_int_eq(cqt_thread_start(t), CQT_OK);
    cqt_object *recv = new_object(t);
    cqt_event *evs[3] = {new_event("a"), new_event("b"), new_event("c")};
    struct race_setter rs = {evs, 3, new_event("go"), new_event("stop")};
    pthread_t th;
    ck_assert_int_eq(pthread_create(&th, NULL, race_setter_main, &rs), 0);
    int ok = 0, timed_out = 0;
    for (int round = 0; round < RACE_ROUNDS; round++) {
        for (int i = 0; i < 3; i++)
            cqt_event_clear(evs[i]);
        struct probe p;
        probe_init(&p);
        int rc = (round % 2 ? cqt_event_when_any : cqt_event_when_all)(
            evs, 3, round % 3, recv, probe_fn, &p, probe_destroy);
        ck_assert_int_eq(rc, CQT_OK);
        cqt_event_set(rs.go);
        ck_assert_int_eq(cqt_event_wait(p.destroyed, T_MS), CQT_OK);
        assert_once(&p, 1);
        if (p.status == CQT_OK) {
            ok++;
            if (round % 2 == 0)
                for (int i = 0; i < 3; i++)
                    ck_assert_int_eq(p.results[i], CQT_OK);
        } else {
            ck_assert_int_eq(p.status, CQT_ETIMEDOUT);
            timed_out++;
        }
        /* The next round clears the events: the setter must be past this
         * round's sets first. It sets evs[2] last. */
        ck_assert_int_eq(cqt_event_wait(evs[2], T_MS), CQT_OK);
        probe_fini(&p);
    }
    cqt_event_set(rs.stop);
    cqt_event_set(rs.go);
    void *ret;
    pthread_join(th, &ret);
    ck_assert_ptr_null(ret);
    ck_assert_int_eq(ok + timed_out, RACE_ROUNDS);
    cqt_object_free(recv);
    cqt_thread_free(t);
    free_events(evs, 3);
    cqt_event_free(rs.go);
    cqt_event_free(rs.stop);
}
END_TEST

CQT_TEST_SUITE(event_suite)
{
    Suite *s = suite_create("event");

    TCase *single = tcase_create("event-single");
    tcase_add_test(single, test_event_new_free_name);
    tcase_add_test(single, test_event_set_clear_is_set);
    tcase_add_test(single, test_event_wait_timeout);
    tcase_add_test(single, test_event_wait_woken_by_thread);
    tcase_add_test(single, test_event_wait_latches_set);
    tcase_add_test(single, test_event_bad_input_single);
    suite_add_tcase(s, single);

    TCase *many = tcase_create("event-many");
    tcase_add_test(many, test_event_wait_all_one_never_set);
    tcase_add_test(many, test_event_wait_all_woken_by_thread);
    tcase_add_test(many, test_event_wait_all_latches_set);
    tcase_add_test(many, test_event_wait_all_duplicates);
    tcase_add_test(many, test_event_wait_any_first_index);
    tcase_add_test(many, test_event_wait_any_timeout);
    tcase_add_test(many, test_event_wait_all_1000_starts_no_thread);
    tcase_add_test(many, test_event_wait_any_1000);
    tcase_add_test(many, test_event_wait_many_leaves_no_watchers);
    tcase_add_test(many, test_event_wait_all_some_already_set);
    tcase_add_test(many, test_event_free_while_watched_is_refused);
    tcase_add_test(many, test_event_bad_input_wait_many);
    suite_add_tcase(s, many);

    TCase *when = tcase_create("event-when");
    cqt_test_add_app_fixture(when);
    tcase_add_test(when, test_event_when_all_delivers_in_receiver_thread);
    tcase_add_test(when, test_event_when_all_main_loop_keeps_running);
    tcase_add_test(when, test_event_when_all_timeout);
    tcase_add_test(when, test_event_when_any_first_index);
    tcase_add_test(when, test_event_when_any_timeout);
    tcase_add_test(when, test_event_when_all_already_set_is_queued);
    tcase_add_test(when, test_event_when_all_receiver_freed_first);
    tcase_add_test(when, test_event_when_any_receiver_in_thread_freed_first);
    tcase_add_test(when, test_event_when_all_forever_receiver_freed_drops_the_wait);
    tcase_add_test(when, test_event_when_any_forever_receiver_in_thread_freed_drops_the_wait);
    tcase_add_test(when, test_event_when_all_forever_dropped_at_shutdown);
    tcase_add_test(when, test_event_when_all_forever_settled_leaves_no_timer);
    tcase_add_test(when, test_event_when_bad_input_destroys_once);
    tcase_add_test(when, test_event_when_all_races_timeout);
    tcase_add_test(when, test_event_when_all_timeout_never_early);
    suite_add_tcase(s, when);
    return s;
}
