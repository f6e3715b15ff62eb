// pool.cpp — the global thread pool (one QThreadPool per application).
#include "shim-private.h"

#include <QtCore/QRunnable>
#include <QtCore/QThreadPool>

namespace cqt {
int g_pool_sync;
}

namespace {

thread_local bool tls_in_pool_task = false;

class Task : public QRunnable {
public:
    Task(cqt_fn fn, void *user_data, cqt_destroy_fn destroy)
        : fn_(fn), user_data_(user_data), destroy_(destroy)
    {
        setAutoDelete(true);
    }
    void run() override
    {
        CQT_TSAN_ACQUIRE(this); // handed over by QThreadPool::start
        tls_in_pool_task = true;
        fn_(user_data_);
        if (destroy_)
            destroy_(user_data_);
        tls_in_pool_task = false;
        CQT_TSAN_RELEASE(&cqt::g_pool_sync); // joined by waitForDone
    }

private:
    cqt_fn fn_;
    void *user_data_;
    cqt_destroy_fn destroy_;
};

} // namespace

using namespace cqt;

extern "C" {

int cqt_pool_run(cqt_fn fn, void *user_data, cqt_destroy_fn destroy)
{
    int rc = guard("cqt_pool_run", int(CQT_EINTERNAL), [&]() -> int {
        if (!require_app("cqt_pool_run"))
            return CQT_ESTATE;
        if (!fn)
            return fail(CQT_EINVAL, "cqt_pool_run: fn is NULL; pass the function to run");
        auto *task = new Task(fn, user_data, destroy);
        destroy = nullptr;
        CQT_TSAN_RELEASE(task); // QThreadPool's queue locks are invisible to TSan
        pool()->start(task);
        return int(CQT_OK);
    });
    if (rc != CQT_OK && destroy)
        destroy(user_data);
    return rc;
}

int cqt_pool_set_max_threads(int n)
{
    return guard("cqt_pool_set_max_threads", int(CQT_EINTERNAL), [&]() -> int {
        if (!require_app("cqt_pool_set_max_threads"))
            return CQT_ESTATE;
        if (n < 1)
            return fail(CQT_EINVAL, "cqt_pool_set_max_threads: %d threads; pass 1 or more", n);
        pool()->setMaxThreadCount(n);
        return int(CQT_OK);
    });
}

int cqt_pool_max_threads(void)
{
    if (!require_app("cqt_pool_max_threads"))
        return CQT_ESTATE;
    return pool()->maxThreadCount();
}

int cqt_pool_busy_threads(void)
{
    if (!require_app("cqt_pool_busy_threads"))
        return CQT_ESTATE;
    return pool()->activeThreadCount();
}

int cqt_pool_wait_idle(int timeout_ms)
{
    return guard("cqt_pool_wait_idle", int(CQT_EINTERNAL), [&]() -> int {
        if (!require_app("cqt_pool_wait_idle"))
            return CQT_ESTATE;
        if (timeout_ms < 0 && timeout_ms != CQT_FOREVER)
            return fail(CQT_EINVAL, "cqt_pool_wait_idle: timeout %d ms is negative; pass "
                                    "milliseconds >= 0 or CQT_FOREVER",
                        timeout_ms);
        if (tls_in_pool_task)
            return fail(CQT_EDEADLK, "cqt_pool_wait_idle: called from a pool task, which would "
                                     "wait for itself; call it from another thread");
        if (!pool()->waitForDone(timeout_ms == CQT_FOREVER ? -1 : timeout_ms))
            return fail(CQT_ETIMEDOUT, "cqt_pool_wait_idle: %d pool task(s) still running after "
                                       "%d ms",
                        pool()->activeThreadCount(), timeout_ms);
        CQT_TSAN_ACQUIRE(&g_pool_sync);
        return int(CQT_OK);
    });
}

} // extern "C"
