/* cqt/pool.h — the global thread pool (a QThreadPool) that workers run on.
 *
 * Pool threads run no event loop: inside a task, cqt_thread_current() is an
 * adopted thread, so timers and queued calls aimed at objects living there
 * fail with CQT_ENOLOOP. Create objects in a cqt thread instead, or use a
 * worker's dedicated-thread form.
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

#ifdef __cplusplus
}
#endif

#endif /* CQT_POOL_H */
