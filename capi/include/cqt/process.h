/* SPDX-License-Identifier: MIT */
/* cqt/process.h — child processes whose output and exit arrive in an
 * object's thread.
 *
 * cqt_process_spawn() starts argv with its stdout and stderr on pipes. The
 * pipes and the child's pidfd are cqt_io_watches owned by @owner, so the
 * output callback and then the exit callback run in @owner's thread. The
 * child is reaped there as soon as it exits: no zombie is left, and no
 * SIGCHLD handler is installed. stdin is /dev/null.
 *
 * Order: every byte of stdout and stderr is delivered (in order per
 * stream) before the exit callback, which runs exactly once.
 *
 * Lifecycle: running -> exited (exit callback ran) -> freed. Kill works
 * from any thread while running. cqt_process_free() from any thread; a
 * child still running then is killed (SIGKILL) and reaped.
 */
#ifndef CQT_PROCESS_H
#define CQT_PROCESS_H

#include "base.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A child process and its pipes (opaque). */
typedef struct cqt_process cqt_process;

/* Which stream an output chunk came from. */
typedef enum cqt_process_stream {
    CQT_PROCESS_STDOUT = 1,
    CQT_PROCESS_STDERR = 2
} cqt_process_stream;

/* A chunk of output (not NUL-terminated; any size, not split on lines).
 * @data is valid during the call. Runs in the owner's thread. */
typedef void (*cqt_process_output_fn)(void *user_data, cqt_process *p, int stream,
                                      const char *data, size_t n);
/* The child ended: @wait_status as waitpid(2) gives it (WIFEXITED,
 * WEXITSTATUS, WIFSIGNALED, WTERMSIG). Runs once in the owner's thread. */
typedef void (*cqt_process_exit_fn)(void *user_data, cqt_process *p, int wait_status);

/* cqt_process_spawn:
 * Starts argv[0] (searched in PATH) with the arguments @argv (NULL
 * terminated). @on_output may be NULL (output is read and dropped).
 * Returns: transfer full, release with cqt_process_free(); NULL on failure
 * with cqt_last_error() naming the program: CQT_EINVAL for a NULL or empty
 * @argv, a NULL @on_exit, an invalid @owner or a program that cannot be
 * run (not found, not executable); CQT_ENOLOOP when @owner's thread runs no
 * event loop. On failure no callback runs and @destroy runs at once.
 * @destroy runs once, in the thread calling cqt_process_free().
 * Thread: any. */
CQT_API cqt_process *cqt_process_spawn(cqt_object *owner, const char *const *argv,
                                       cqt_process_output_fn on_output,
                                       cqt_process_exit_fn on_exit, void *user_data,
                                       cqt_destroy_fn destroy);

/* cqt_process_kill:
 * Sends @signo (SIGTERM, SIGKILL, ...) to the child.
 * Returns: CQT_OK; CQT_ESTATE when it has been reaped already (its pid may
 * belong to another process by now, so nothing is sent); CQT_EINVAL for
 * NULL or a bad @signo.
 * Thread: any. */
CQT_API int cqt_process_kill(cqt_process *p, int signo);

/* cqt_process_pid:
 * Returns: the child's pid; -1 for NULL. Thread: any. */
CQT_API int cqt_process_pid(const cqt_process *p);

/* cqt_process_free:
 * Stops the watches (no callback runs after this returns: from another
 * thread it waits for one running in the owner's thread), kills and reaps
 * a child still running, closes the pipes, runs destroy. Free the process
 * before its owner. NULL is ignored.
 * Thread: any, except inside its own callbacks. */
CQT_API void cqt_process_free(cqt_process *p);

#ifdef __cplusplus
}
#endif

#endif /* CQT_PROCESS_H */
