/* SPDX-License-Identifier: MIT */
/* process.c — child processes over posix_spawn, their pipes and pidfd
 * watched with cqt_io_watch in the owner's thread (cqt/process.h).
 *
 * Lifecycle: running (pipes and pidfd watched) -> each pipe closes at EOF,
 * the pidfd fires at exit and the child is reaped there (waitpid, under
 * mu, so a kill never reaches a recycled pid) -> once both pipes are closed
 * and the child reaped, the exit callback runs once -> freed.
 * A free inside one of its own callbacks is finished when that callback
 * returns (cb_depth, owner thread only).
 */
#include <cqt/cqt.h>
#include <cqt/process.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

enum { OUT, ERR, PID, NWATCH };

struct cqt_process {
    pthread_mutex_t mu; /* guards the fields up to free_pending */
    pthread_cond_t idle; /* cb_depth dropped to 0 */
    pid_t pid;
    bool reaped;
    int status;
    bool exit_sent;
    int cb_depth;       /* callbacks running (in the owner's thread) */
    pthread_t cb_thread;
    bool free_pending;  /* freed inside its own callback */
    int fds[NWATCH];         /* owner thread, then the freeing thread */
    cqt_io_watch *w[NWATCH]; /* NULL once stopped */
    cqt_process_output_fn on_output;
    cqt_process_exit_fn on_exit;
    void *user_data;
    cqt_destroy_fn destroy;
};

static void really_free(cqt_process *p);

/* Ends watch @i (in the owner's thread, inside its own callback) and
 * closes its fd. */
static void stop_watch(cqt_process *p, int i)
{
    pthread_mutex_lock(&p->mu);
    cqt_io_watch *w = p->w[i];
    p->w[i] = NULL;
    int fd = p->fds[i];
    p->fds[i] = -1;
    pthread_mutex_unlock(&p->mu);
    if (w)
        cqt_io_watch_free(w);
    if (fd >= 0)
        close(fd);
}

/* Brackets every callback: a free from inside one is finished at the end
 * of the outermost. */
static bool cb_enter(cqt_process *p)
{
    pthread_mutex_lock(&p->mu);
    p->cb_depth++;
    p->cb_thread = pthread_self();
    bool go = !p->free_pending;
    pthread_mutex_unlock(&p->mu);
    return go;
}

static void cb_leave(cqt_process *p)
{
    pthread_mutex_lock(&p->mu);
    bool fin = --p->cb_depth == 0 && p->free_pending;
    if (p->cb_depth == 0)
        pthread_cond_broadcast(&p->idle);
    pthread_mutex_unlock(&p->mu);
    if (fin)
        really_free(p);
}

static void maybe_exit(cqt_process *p)
{
    pthread_mutex_lock(&p->mu);
    bool done = !p->exit_sent && p->reaped && p->fds[OUT] < 0 && p->fds[ERR] < 0;
    if (done)
        p->exit_sent = true;
    int status = p->status;
    pthread_mutex_unlock(&p->mu);
    if (done)
        p->on_exit(p->user_data, p, status);
}

static void on_pipe(void *user_data, cqt_io_watch *w, int fd, unsigned revents)
{
    (void)w;
    cqt_process *p = user_data;
    pthread_mutex_lock(&p->mu);
    int i = fd == p->fds[OUT] ? OUT : ERR;
    pthread_mutex_unlock(&p->mu);
    if (cb_enter(p)) {
        char buf[4096];
        ssize_t n = (revents & CQT_IO_READ) ? read(fd, buf, sizeof buf) : 0;
        if (n > 0 && p->on_output)
            p->on_output(p->user_data, p, i == OUT ? CQT_PROCESS_STDOUT : CQT_PROCESS_STDERR,
                         buf, (size_t)n);
        if (n == 0) { /* end of that stream (EOF, or a hang-up with nothing left) */
            stop_watch(p, i);
            maybe_exit(p);
        }
    }
    cb_leave(p);
}

static void on_pidfd(void *user_data, cqt_io_watch *w, int fd, unsigned revents)
{
    (void)w, (void)fd, (void)revents;
    cqt_process *p = user_data;
    if (cb_enter(p)) {
        /* reaped under mu: a kill from another thread never reaches a pid
         * the system gave to someone else since */
        pthread_mutex_lock(&p->mu);
        int st;
        if (!p->reaped && waitpid(p->pid, &st, WNOHANG) == p->pid) {
            p->reaped = true;
            p->status = st;
        }
        bool reaped = p->reaped;
        pthread_mutex_unlock(&p->mu);
        if (reaped) {
            stop_watch(p, PID);
            maybe_exit(p);
        }
    }
    cb_leave(p);
}

static cqt_process *fail_spawn(cqt_process *p, cqt_destroy_fn destroy, void *user_data)
{
    for (int i = 0; i < NWATCH; i++)
        if (p && p->fds[i] >= 0)
            close(p->fds[i]);
    if (p) {
        pthread_mutex_destroy(&p->mu);
        pthread_cond_destroy(&p->idle);
    }
    free(p);
    if (destroy)
        destroy(user_data);
    return NULL;
}

cqt_process *cqt_process_spawn(cqt_object *owner, const char *const *argv,
                               cqt_process_output_fn on_output, cqt_process_exit_fn on_exit,
                               void *user_data, cqt_destroy_fn destroy)
{
    static const char fn[] = "cqt_process_spawn";
    if (!argv || !argv[0] || !argv[0][0]) {
        cqt_set_last_error(CQT_EINVAL, "%s: argv is NULL or empty; pass {\"program\", ..., NULL}",
                           fn);
        return fail_spawn(NULL, destroy, user_data);
    }
    if (!on_exit) {
        cqt_set_last_error(CQT_EINVAL, "%s: on_exit is NULL; pass the function told of '%s' "
                                       "ending", fn, argv[0]);
        return fail_spawn(NULL, destroy, user_data);
    }
    cqt_thread *home = cqt_object_thread(owner);
    if (!home) {
        cqt_set_last_error(CQT_EINVAL, "%s: owner is NULL or not an object; pass an object from "
                                       "cqt_object_new", fn);
        return fail_spawn(NULL, destroy, user_data);
    }
    if (!cqt_thread_has_loop(home)) { /* checked before a child is started */
        cqt_set_last_error(CQT_ENOLOOP, "%s: owner '%s' lives in thread '%s', which runs no "
                                        "event loop; create it in a cqt_thread (cqt_thread_new) "
                                        "or the main thread", fn, cqt_object_name(owner),
                           cqt_thread_name(home));
        return fail_spawn(NULL, destroy, user_data);
    }
    cqt_process *p = calloc(1, sizeof *p);
    if (!p) {
        cqt_set_last_error(CQT_ENOMEM, "%s: out of memory", fn);
        return fail_spawn(NULL, destroy, user_data);
    }
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->idle, NULL);
    for (int i = 0; i < NWATCH; i++)
        p->fds[i] = -1;
    p->on_output = on_output;
    p->on_exit = on_exit;
    p->user_data = user_data;
    p->destroy = destroy;

    int out[2], err[2];
    if (pipe2(out, O_CLOEXEC) != 0) {
        cqt_set_last_error(CQT_EINTERNAL, "%s: pipe2: %s", fn, strerror(errno));
        return fail_spawn(p, destroy, user_data);
    }
    if (pipe2(err, O_CLOEXEC) != 0) {
        close(out[0]), close(out[1]);
        cqt_set_last_error(CQT_EINTERNAL, "%s: pipe2: %s", fn, strerror(errno));
        return fail_spawn(p, destroy, user_data);
    }
    p->fds[OUT] = out[0];
    p->fds[ERR] = err[0];
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    posix_spawn_file_actions_adddup2(&fa, err[1], 2);
    /* glibc reports a failed exec as posix_spawnp's result (not a child that
     * exits 127), so a missing program is a status here */
    int rc = posix_spawnp(&p->pid, argv[0], &fa, NULL, (char *const *)argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(out[1]);
    close(err[1]);
    if (rc != 0) {
        cqt_set_last_error(CQT_EINVAL, "%s: cannot run '%s': %s; check the name and PATH", fn,
                           argv[0], strerror(rc));
        return fail_spawn(p, destroy, user_data);
    }
    p->fds[PID] = (int)syscall(SYS_pidfd_open, p->pid, 0);
    if (p->fds[PID] < 0) { /* kernel < 5.3: cannot wait without SIGCHLD */
        int e = errno;
        kill(p->pid, SIGKILL);
        waitpid(p->pid, NULL, 0);
        cqt_set_last_error(CQT_EINTERNAL, "%s: pidfd_open: %s (needs Linux 5.3 or later)", fn,
                           strerror(e));
        return fail_spawn(p, destroy, user_data);
    }
    fcntl(p->fds[OUT], F_SETFL, O_NONBLOCK);
    fcntl(p->fds[ERR], F_SETFL, O_NONBLOCK);
    fcntl(p->fds[PID], F_SETFD, FD_CLOEXEC);
    /* Locked: a watch may fire in the owner's thread before the loop ends. */
    pthread_mutex_lock(&p->mu);
    for (int i = 0; i < NWATCH; i++) {
        p->w[i] = cqt_io_watch_new(owner, p->fds[i], CQT_IO_READ, i == PID ? on_pidfd : on_pipe,
                                   p, NULL);
        if (!p->w[i]) { /* the owner went or its loop stopped: the message says */
            char msg[400];
            snprintf(msg, sizeof msg, "%s", cqt_last_error());
            pthread_mutex_unlock(&p->mu);
            for (int k = 0; k < i; k++)
                cqt_io_watch_free(p->w[k]);
            kill(p->pid, SIGKILL);
            waitpid(p->pid, NULL, 0);
            cqt_set_last_error(CQT_EINVAL, "%s (process '%s' killed)", msg, argv[0]);
            return fail_spawn(p, destroy, user_data);
        }
    }
    pthread_mutex_unlock(&p->mu);
    return p;
}

int cqt_process_kill(cqt_process *p, int signo)
{
    if (!p)
        return cqt_set_last_error(CQT_EINVAL, "cqt_process_kill: the process is NULL; pass a "
                                                  "handle from cqt_process_spawn");
    if (signo <= 0 || signo >= 65)
        return cqt_set_last_error(CQT_EINVAL, "cqt_process_kill: signal %d is out of range; "
                                              "pass SIGTERM, SIGKILL, ...", signo);
    pthread_mutex_lock(&p->mu);
    int rc = CQT_OK;
    if (p->reaped)
        rc = cqt_set_last_error(CQT_ESTATE, "cqt_process_kill: process %d has exited and was "
                                            "reaped; nothing to kill", (int)p->pid);
    else
        kill(p->pid, signo);
    pthread_mutex_unlock(&p->mu);
    return rc;
}

int cqt_process_pid(const cqt_process *p)
{
    return p ? (int)p->pid : -1;
}

static void really_free(cqt_process *p)
{
    for (int i = 0; i < NWATCH; i++) {
        pthread_mutex_lock(&p->mu);
        cqt_io_watch *w = p->w[i];
        p->w[i] = NULL;
        pthread_mutex_unlock(&p->mu);
        if (w)
            cqt_io_watch_free(w); /* waits for a callback running in another thread */
    }
    pthread_mutex_lock(&p->mu);
    /* a callback whose watch was stopped already may still run (its exit
     * callback, say): wait for it unless we are inside it */
    while (p->cb_depth > 0 && !pthread_equal(p->cb_thread, pthread_self()))
        pthread_cond_wait(&p->idle, &p->mu);
    if (!p->reaped) {
        kill(p->pid, SIGKILL);
        waitpid(p->pid, NULL, 0);
        p->reaped = true;
    }
    pthread_mutex_unlock(&p->mu);
    for (int i = 0; i < NWATCH; i++)
        if (p->fds[i] >= 0)
            close(p->fds[i]);
    if (p->destroy)
        p->destroy(p->user_data);
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->idle);
    free(p);
}

void cqt_process_free(cqt_process *p)
{
    if (!p)
        return;
    /* inside one of its own callbacks: finished when that one returns */
    pthread_mutex_lock(&p->mu);
    bool inside = p->cb_depth > 0 && pthread_equal(p->cb_thread, pthread_self());
    if (inside)
        p->free_pending = true;
    pthread_mutex_unlock(&p->mu);
    if (!inside)
        really_free(p);
}
