/* SPDX-License-Identifier: MIT */
/* cqt/pool.h — the global thread pool (a QThreadPool) that workers run on.
 *
 * Pool threads run no event loop: inside a task, cqt_thread_current() is an
 * adopted thread, so timers and queued calls aimed at objects living there
 * fail with CQT_ENOLOOP. Create objects in a cqt thread instead, or use a
 * worker's dedicated-thread form.
 *
 * The pool also lists the workers running on it (cqt_pool_list). Those
 * declarations, and cqt_worker_state which they carry, live here; cqt/worker.h
 * includes this header, so code that includes only cqt/worker.h keeps them.
 */
#ifndef CQT_POOL_H
#define CQT_POOL_H

#include "base.h"

#ifdef __cplusplus
extern "C" {
#endif

/* cqt_pool_run:
 * Runs fn(user_data) in a pool thread, as soon as one is free; tasks start
 * in submission order. @destroy runs once in the pool thread after @fn, or
 * at once when the call fails.
 * Returns: CQT_OK; CQT_EINVAL for NULL @fn; CQT_ESTATE with no app or
 * while cqt_app_shutdown() runs (it waits only for tasks queued before it
 * began, so that its timeout bounds it).
 * Thread: any. */
CQT_API int cqt_pool_run(cqt_fn fn, void *user_data, cqt_destroy_fn destroy);

/* cqt_pool_set_max_threads:
 * Sets how many pool threads may run at once (Qt's default: the number of
 * cores). Lowering it does not stop running tasks.
 * Returns: CQT_OK; CQT_EINVAL for n < 1; CQT_ESTATE with no app.
 * Thread: any. */
CQT_API int cqt_pool_set_max_threads(int n);

/* cqt_pool_max_threads:
 * Returns: the limit; a negative status with no app. Thread: any. */
CQT_API int cqt_pool_max_threads(void);

/* cqt_pool_busy_threads:
 * Returns: pool threads running a task now; a negative status with no app.
 * Thread: any. */
CQT_API int cqt_pool_busy_threads(void);

/* cqt_pool_wait_idle:
 * Waits until no task runs or waits in the pool.
 * Returns: CQT_OK; CQT_ETIMEDOUT; CQT_EDEADLK from inside a pool task;
 * CQT_EINVAL for a bad timeout; CQT_ESTATE with no app.
 * Thread: any but a pool thread. */
CQT_API int cqt_pool_wait_idle(int timeout_ms);

/* Where a worker is in its life (cqt_worker_get_state in cqt/worker.h,
 * cqt_pool_list). */
typedef enum cqt_worker_state {
    CQT_WORKER_STATE_CREATED = 0, /* not started */
    CQT_WORKER_STATE_QUEUED,      /* started, waiting for a pool thread */
    CQT_WORKER_STATE_RUNNING,     /* the body runs */
    CQT_WORKER_STATE_PAUSED,     /* blocked in cqt_worker_yield() by a pause */
    CQT_WORKER_STATE_QUITTING,    /* quit was asked; the body has not returned yet */
    CQT_WORKER_STATE_ABANDONED,   /* return-on-cancel: `aborted` was reported, the
                             * body still runs and its result will be freed */
    CQT_WORKER_STATE_DONE         /* the body returned; the outcome was emitted */
} cqt_worker_state;

/* ---- the workers on the pool ------------------------------------------- */

/* One worker in cqt_pool_list(). */
typedef struct cqt_pool_entry {
    uint64_t id;            /* unique per worker, never reused */
    char name[64];          /* the worker's name (a copy) */
    cqt_worker_state state; /* at the time of the call */
    int64_t running_ms;     /* since the body started; 0 while queued */
} cqt_pool_entry;

/* cqt_pool_active_count:
 * Returns: how many started workers have a body that has not returned
 * (queued, running, paused, quitting, abandoned). Thread: any. */
CQT_API int cqt_pool_active_count(void);

/* cqt_pool_list:
 * Snapshots the active workers (as cqt_pool_active_count), in start order.
 * @out: receives an array (transfer full, release with
 * cqt_pool_list_free(); NULL when the count is 0); @n: its length.
 * Returns: CQT_OK; CQT_EINVAL for NULL arguments; CQT_ENOMEM.
 * Thread: any. */
CQT_API int cqt_pool_list(cqt_pool_entry **out, size_t *n);

/* cqt_pool_list_free:
 * Frees an array from cqt_pool_list(). NULL is ignored. Thread: any. */
CQT_API void cqt_pool_list_free(cqt_pool_entry *list);

#ifdef __cplusplus
}
#endif

#endif /* CQT_POOL_H */
