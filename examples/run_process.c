/* SPDX-License-Identifier: MIT */
/* run_process.c — runs a command and gets its output and exit status in a
 * worker thread's loop, while main waits for it. Try
 *     ./run_process ls -l /
 * Without arguments it runs a small shell script writing to both streams. */
#include <cqt/cqt.h>
#include <stdio.h>
#include <sys/wait.h>

typedef struct {
    cqt_event *done;
    int status;
} run;

static void on_output(void *user_data, cqt_process *p, int stream, const char *data, size_t n)
{
    (void)user_data;
    printf("[pid %d %s, thread '%s'] %.*s", cqt_process_pid(p),
           stream == CQT_PROCESS_STDOUT ? "stdout" : "stderr",
           cqt_thread_name(cqt_thread_current()), (int)n, data);
}

static void on_exit_cb(void *user_data, cqt_process *p, int wait_status)
{
    (void)p;
    run *r = user_data;
    r->status = wait_status; /* read by main after the event: set last */
    cqt_event_set(r->done);
}

int main(int argc, char **argv)
{
    if (cqt_app_init(&argc, argv, CQT_APP_CORE) != CQT_OK)
        return 1;
    cqt_thread *t = cqt_thread_new("runner");
    cqt_thread_start(t);
    cqt_object *owner = cqt_object_new(t);
    const char *demo[] = {"sh", "-c", "echo hello; echo to stderr >&2; echo bye; exit 2", NULL};
    const char *const *cmd = argc > 1 ? (const char *const *)argv + 1 : demo;
    run r = {.done = cqt_event_new("done")};
    cqt_process *p = cqt_process_spawn(owner, cmd, on_output, on_exit_cb, &r, NULL);
    if (!p) {
        fprintf(stderr, "run_process: %s\n", cqt_last_error());
        return 1;
    }
    int rc = cqt_event_wait(r.done, 30000); /* the callbacks run in 'runner' */
    cqt_process_free(p);
    if (rc == CQT_OK && WIFEXITED(r.status))
        printf("exit code %d\n", WEXITSTATUS(r.status));
    else if (rc == CQT_OK && WIFSIGNALED(r.status))
        printf("killed by signal %d\n", WTERMSIG(r.status));
    cqt_object_free(owner);
    cqt_thread_free(t);
    cqt_event_free(r.done);
    cqt_app_shutdown(5000);
    /* the demo's script exits 2 on purpose */
    return rc != CQT_OK ? 1 : argc > 1 ? WEXITSTATUS(r.status) : WEXITSTATUS(r.status) != 2;
}
