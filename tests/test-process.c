/* SPDX-License-Identifier: MIT */
/* test-process.c — child processes: output and exit in the owner's thread,
 * kill from another thread, no zombie, refusals. */
#include "cqt-test.h"

#include <cqt/process.h>

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

typedef struct {
    char out[1 << 17];
    size_t nout;
    char err[256];
    size_t nerr;
    int status;
    size_t nout_at_exit, nerr_at_exit;
    cqt_test_counter exits;
    cqt_test_counter wrong_thread;
    cqt_test_counter destroyed;
    cqt_thread *home;
    cqt_event *exited;
} proc_log;

static void on_output(void *user_data, cqt_process *p, int stream, const char *data, size_t n)
{
    (void)p;
    proc_log *l = user_data;
    if (cqt_thread_current() != l->home)
        cqt_test_counter_add(&l->wrong_thread, 1);
    char *buf = stream == CQT_PROCESS_STDOUT ? l->out : l->err;
    size_t cap = stream == CQT_PROCESS_STDOUT ? sizeof l->out : sizeof l->err;
    size_t *len = stream == CQT_PROCESS_STDOUT ? &l->nout : &l->nerr;
    if (*len + n < cap) {
        memcpy(buf + *len, data, n);
        *len += n;
    }
}

static void on_exit_cb(void *user_data, cqt_process *p, int status)
{
    (void)p;
    proc_log *l = user_data;
    if (cqt_thread_current() != l->home)
        cqt_test_counter_add(&l->wrong_thread, 1);
    l->status = status;
    l->nout_at_exit = l->nout;
    l->nerr_at_exit = l->nerr;
    cqt_test_counter_add(&l->exits, 1);
    cqt_event_set(l->exited);
}

static void proc_destroy(void *p)
{
    cqt_test_counter_add(&((proc_log *)p)->destroyed, 1);
}

static void noop(void *p)
{
    (void)p;
}

static void hold(void *go)
{
    cqt_event_wait(go, CQT_TEST_TIMEOUT_MS);
}

static bool pid_gone(int pid)
{
    char path[64];
    struct stat st;
    snprintf(path, sizeof path, "/proc/%d", pid);
    return stat(path, &st) != 0 && errno == ENOENT;
}

/* A child writing a line to stderr and 10,000 numbered lines to stdout:
 * the output arrives whole and in order, then the exit status (and an exit
 * code of 3 from another child), all in the owner's thread; the child is
 * reaped (no zombie in /proc). */
START_TEST(test_process_output_in_order_then_exit)
{
    cqt_thread *t = cqt_thread_new("proc-home");
    ck_assert_int_eq(cqt_thread_start(t), CQT_OK);
    cqt_object *owner = cqt_object_new(t);
    proc_log *l = calloc(1, sizeof *l);
    l->home = t;
    l->exited = cqt_event_new("exited");
    /* The owner's thread is held while the child writes (less than a pipe
     * holds) and exits: then the pidfd and the pipes are ready together, and
     * the exit must still come after all the output. */
    cqt_event *go = cqt_event_new("go");
    ck_assert_int_eq(cqt_invoke(owner, hold, go, CQT_QUEUED), CQT_OK);
    const char *argv[] = {"sh", "-c", "echo oops >&2; exec seq 1 10000", NULL};
    cqt_process *p = cqt_process_spawn(owner, argv, on_output, on_exit_cb, l, proc_destroy);
    ck_assert_msg(p != NULL, "%s", cqt_last_error());
    int pid = cqt_process_pid(p);
    ck_assert_int_gt(pid, 0);
    siginfo_t info;
    ck_assert_int_eq(waitid(P_PID, (id_t)pid, &info, WEXITED | WNOWAIT), 0); /* not reaped */
    cqt_event_set(go);
    ck_assert_int_eq(cqt_event_wait(l->exited, CQT_TEST_TIMEOUT_MS), CQT_OK);
    cqt_event_free(go);
    ck_assert_int_eq(cqt_invoke(owner, noop, NULL, CQT_BLOCKING_QUEUED), CQT_OK);
    ck_assert(WIFEXITED(l->status));
    ck_assert_int_eq(WEXITSTATUS(l->status), 0);
    ck_assert_int_eq(cqt_test_counter_get(&l->exits), 1);
    ck_assert_int_eq(cqt_test_counter_get(&l->wrong_thread), 0);
    /* every line, in order */
    char *s = l->out;
    for (int i = 1; i <= 10000; i++) {
        char want[16];
        int n = snprintf(want, sizeof want, "%d\n", i);
        ck_assert_msg(strncmp(s, want, (size_t)n) == 0, "line %d: '%.10s'", i, s);
        s += n;
    }
    ck_assert_int_eq((int)(s - l->out), (int)l->nout);
    /* all of it before the exit callback */
    ck_assert_int_eq((int)l->nout_at_exit, (int)l->nout);
    ck_assert_int_eq((int)l->nerr_at_exit, (int)l->nerr);
    ck_assert_int_eq((int)l->nerr, 5);
    ck_assert(memcmp(l->err, "oops\n", 5) == 0);
    ck_assert_msg(pid_gone(pid), "process %d is still in /proc (zombie?)", pid);
    ck_assert_int_eq(cqt_process_kill(p, SIGTERM), CQT_ESTATE);
    cqt_process_free(p);
    ck_assert_int_eq(cqt_test_counter_get(&l->destroyed), 1);

    /* the exit code comes through */
    cqt_event_clear(l->exited);
    const char *three[] = {"sh", "-c", "exit 3", NULL};
    p = cqt_process_spawn(owner, three, on_output, on_exit_cb, l, proc_destroy);
    ck_assert_msg(p != NULL, "%s", cqt_last_error());
    ck_assert_int_eq(cqt_event_wait(l->exited, CQT_TEST_TIMEOUT_MS), CQT_OK);
    ck_assert_int_eq(cqt_invoke(owner, noop, NULL, CQT_BLOCKING_QUEUED), CQT_OK);
    ck_assert(WIFEXITED(l->status));
    ck_assert_int_eq(WEXITSTATUS(l->status), 3);
    cqt_process_free(p);
    ck_assert_int_eq(cqt_test_counter_get(&l->destroyed), 2);
    cqt_object_free(owner);
    cqt_thread_free(t);
    cqt_event_free(l->exited);
    free(l);
}
END_TEST

typedef struct {
    cqt_process *p;
    int rc;
} kill_job;

static void *kill_from_pthread(void *arg)
{
    kill_job *j = arg;
    j->rc = cqt_process_kill(j->p, SIGTERM);
    return NULL;
}

/* A long-running child killed from a plain pthread: the exit callback
 * reports SIGTERM, and the child is reaped. */
START_TEST(test_process_kill_from_foreign_thread)
{
    cqt_thread *t = cqt_thread_new("proc-home");
    ck_assert_int_eq(cqt_thread_start(t), CQT_OK);
    cqt_object *owner = cqt_object_new(t);
    proc_log *l = calloc(1, sizeof *l);
    l->home = t;
    l->exited = cqt_event_new("exited");
    const char *argv[] = {"sleep", "60", NULL};
    cqt_process *p = cqt_process_spawn(owner, argv, on_output, on_exit_cb, l, proc_destroy);
    ck_assert_msg(p != NULL, "%s", cqt_last_error());
    int pid = cqt_process_pid(p);
    kill_job j = {.p = p, .rc = -100};
    pthread_t pt;
    pthread_create(&pt, NULL, kill_from_pthread, &j);
    pthread_join(pt, NULL);
    ck_assert_int_eq(j.rc, CQT_OK);
    ck_assert_int_eq(cqt_event_wait(l->exited, CQT_TEST_TIMEOUT_MS), CQT_OK);
    ck_assert_int_eq(cqt_invoke(owner, noop, NULL, CQT_BLOCKING_QUEUED), CQT_OK);
    ck_assert(WIFSIGNALED(l->status));
    ck_assert_int_eq(WTERMSIG(l->status), SIGTERM);
    ck_assert_int_eq(cqt_test_counter_get(&l->wrong_thread), 0);
    ck_assert_msg(pid_gone(pid), "process %d is still in /proc (zombie?)", pid);
    cqt_process_free(p);
    ck_assert_int_eq(cqt_test_counter_get(&l->destroyed), 1);
    cqt_object_free(owner);
    cqt_thread_free(t);
    cqt_event_free(l->exited);
    free(l);
}
END_TEST

/* Freed while the child still runs (from the main thread, the owner being
 * in another): killed and reaped, no callback afterwards, destroy once. */
START_TEST(test_process_free_while_running)
{
    cqt_thread *t = cqt_thread_new("proc-home");
    ck_assert_int_eq(cqt_thread_start(t), CQT_OK);
    cqt_object *owner = cqt_object_new(t);
    proc_log *l = calloc(1, sizeof *l);
    l->home = t;
    l->exited = cqt_event_new("exited");
    const char *argv[] = {"sh", "-c", "while :; do echo y; done", NULL};
    cqt_process *p = cqt_process_spawn(owner, argv, on_output, on_exit_cb, l, proc_destroy);
    ck_assert_msg(p != NULL, "%s", cqt_last_error());
    int pid = cqt_process_pid(p);
    cqt_process_free(p);
    ck_assert_int_eq(cqt_test_counter_get(&l->destroyed), 1);
    ck_assert_msg(pid_gone(pid), "process %d is still in /proc (zombie?)", pid);
    ck_assert_int_eq(cqt_invoke(owner, noop, NULL, CQT_BLOCKING_QUEUED), CQT_OK);
    ck_assert_int_eq(cqt_test_counter_get(&l->exits), 0);
    cqt_object_free(owner);
    cqt_thread_free(t);
    cqt_event_free(l->exited);
    free(l);
}
END_TEST

static void *spawn_in_adopted(void *arg)
{
    int *res = arg;
    cqt_object *o = cqt_object_new(NULL);
    const char *argv[] = {"true", NULL};
    proc_log l = {0};
    cqt_process *p = cqt_process_spawn(o, argv, NULL, on_exit_cb, &l, proc_destroy);
    res[0] = p == NULL;
    res[1] = strstr(cqt_last_error(), "runs no event loop") != NULL;
    res[2] = (int)cqt_test_counter_get(&l.destroyed);
    cqt_object_free(o);
    return NULL;
}

/* A program that does not exist: NULL, a message naming it and the
 * reason, destroy once, nothing left running. Other refusals likewise. */
START_TEST(test_process_spawn_refusals)
{
    cqt_object *o = cqt_object_new(NULL);
    proc_log l = {0};
    const char *missing[] = {"cqt-no-such-program-xyz", "arg", NULL};
    ck_assert_ptr_null(cqt_process_spawn(o, missing, on_output, on_exit_cb, &l, proc_destroy));
    ck_assert_msg(strstr(cqt_last_error(), "cqt-no-such-program-xyz") != NULL, "%s",
                  cqt_last_error());
    ck_assert_msg(strstr(cqt_last_error(), "No such file") != NULL, "%s", cqt_last_error());
    ck_assert_int_eq(cqt_test_counter_get(&l.destroyed), 1);
    ck_assert_int_eq(waitpid(-1, NULL, WNOHANG), -1); /* no child left behind */
    const char *empty[] = {NULL};
    ck_assert_ptr_null(cqt_process_spawn(o, empty, NULL, on_exit_cb, &l, proc_destroy));
    ck_assert_ptr_null(cqt_process_spawn(o, NULL, NULL, on_exit_cb, &l, proc_destroy));
    const char *ok[] = {"true", NULL};
    ck_assert_ptr_null(cqt_process_spawn(o, ok, NULL, NULL, &l, proc_destroy));
    ck_assert_ptr_null(cqt_process_spawn(NULL, ok, NULL, on_exit_cb, &l, proc_destroy));
    ck_assert_int_eq(cqt_test_counter_get(&l.destroyed), 5);
    ck_assert_int_eq(cqt_process_kill(NULL, SIGTERM), CQT_EINVAL);
    ck_assert_int_eq(cqt_process_pid(NULL), -1);
    cqt_process_free(NULL);
    int res[3] = {0};
    pthread_t pt;
    pthread_create(&pt, NULL, spawn_in_adopted, res);
    pthread_join(pt, NULL);
    ck_assert(res[0] && res[1]);
    ck_assert_int_eq(res[2], 1);
    cqt_object_free(o);
}
END_TEST

CQT_TEST_SUITE(process_suite)
{
    Suite *s = suite_create("process");
    TCase *tc = tcase_create("process");
    cqt_test_add_app_fixture(tc);
    tcase_add_test(tc, test_process_output_in_order_then_exit);
    tcase_add_test(tc, test_process_kill_from_foreign_thread);
    tcase_add_test(tc, test_process_free_while_running);
    tcase_add_test(tc, test_process_spawn_refusals);
    suite_add_tcase(s, tc);
    return s;
}
