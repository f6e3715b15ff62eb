// SPDX-License-Identifier: MIT
// pool.cpp — the global thread pool (one QThreadPool per application).
//
// Lifecycle: created by cqt_app_init (open); closed when cqt_app_shutdown
// begins (cqt_pool_run refuses, so the final drain cannot start a task
// shutdown would then wait for without bound); reopened when that shutdown
// times out and the application is kept; destroyed, idle, at the end of a
// shutdown that succeeded. The pointer, the open flag and the count of
// calls using the pool outside the lock are guarded by g_pool_mu: any
// thread may call in while main creates and destroys applications.
#include "shim-private.h"

#include <QtCore/QRunnable>
#include <QtCore/QThreadPool>

namespace cqt {
int g_pool_sync;
}

namespace {

std::mutex g_pool_mu;
std::condition_variable g_pool_cv;
QThreadPool *g_pool = nullptr; // guarded by g_pool_mu
bool g_pool_open = false;      // guarded by g_pool_mu: accepting tasks
int g_pool_users = 0;          // guarded by g_pool_mu: waits using g_pool unlocked

thread_local bool tls_in_pool_task = false;
thread_local bool tls_watched = false; // this pool OS thread's exit is watched

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
        if (!tls_watched) {
            // Pool threads are detached QThreads too: shutdown waits until
            // they are gone from the process, as for cqt threads.
            tls_watched = true;
            cqt::watch_os_thread(&g_pool_mu);
        }
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

int no_pool(const char *fn)
{
    return cqt::fail(CQT_ESTATE,
                     "%s: no application; call cqt_app_init first (and again after "
                     "cqt_app_shutdown)",
                     fn);
}

} // namespace

namespace cqt {

void pool_create()
{
    auto *p = new QThreadPool;
    std::lock_guard<std::mutex> lk(g_pool_mu);
    g_pool = p;
    g_pool_open = true;
}

void pool_set_open(bool open)
{
    std::lock_guard<std::mutex> lk(g_pool_mu);
    g_pool_open = open && g_pool;
}

// Waits for the pool to be idle until @deadline_ns (INT64_MAX: no limit).
// Returns the number of tasks still running, 0 when idle. Main thread,
// with the pool closed.
int pool_wait_done(int64_t deadline_ns)
{
    QThreadPool *p;
    {
        std::lock_guard<std::mutex> lk(g_pool_mu);
        p = g_pool;
    }
    if (!p)
        return 0;
    int ms = -1;
    if (deadline_ns != INT64_MAX) {
        int64_t left = (deadline_ns - cqt_now_ns()) / 1000000;
        ms = left < 0 ? 0 : left > INT32_MAX ? INT32_MAX : int(left);
    }
    if (p->waitForDone(ms)) {
        CQT_TSAN_ACQUIRE(&g_pool_sync);
        return 0;
    }
    int n = p->activeThreadCount();
    return n > 0 ? n : 1;
}

// Destroys the (idle, closed) pool, then waits until its OS threads are
// gone. Main thread, at the end of shutdown.
void pool_destroy()
{
    QThreadPool *p;
    {
        std::unique_lock<std::mutex> lk(g_pool_mu);
        p = g_pool;
        g_pool = nullptr;
        g_pool_open = false;
        // A cqt_pool_wait_idle in another thread still uses it; the pool
        // is idle, so that wait returns at once.
        g_pool_cv.wait(lk, [] { return g_pool_users == 0; });
    }
    delete p; // joins its threads' run()
    join_os_threads(&g_pool_mu);
}

} // namespace cqt

using namespace cqt;

extern "C" {

int cqt_pool_run(cqt_fn fn, void *user_data, cqt_destroy_fn destroy)
{
    int rc = guard("cqt_pool_run", int(CQT_EINTERNAL), [&]() -> int {
        if (!fn)
            return fail(CQT_EINVAL, "cqt_pool_run: fn is NULL; pass the function to run");
        auto *task = new Task(fn, user_data, destroy);
        std::unique_lock<std::mutex> lk(g_pool_mu);
        if (!g_pool || !g_pool_open) {
            bool closing = g_pool != nullptr;
            lk.unlock();
            delete task;
            if (closing)
                return fail(CQT_ESTATE,
                            "cqt_pool_run: the application is shutting down (cqt_app_shutdown "
                            "runs); no new pool tasks start. Do the work before shutdown, or "
                            "check cqt_app_shutdown's status first");
            return no_pool("cqt_pool_run");
        }
        destroy = nullptr;
        CQT_TSAN_RELEASE(task); // QThreadPool's queue locks are invisible to TSan
        g_pool->start(task);    // never runs the task here: it queues or wakes a thread
        return int(CQT_OK);
    });
    if (rc != CQT_OK && destroy)
        destroy(user_data);
    return rc;
}

int cqt_pool_set_max_threads(int n)
{
    return guard("cqt_pool_set_max_threads", int(CQT_EINTERNAL), [&]() -> int {
        if (n < 1)
            return fail(CQT_EINVAL, "cqt_pool_set_max_threads: %d threads; pass 1 or more", n);
        std::lock_guard<std::mutex> lk(g_pool_mu);
        if (!g_pool)
            return no_pool("cqt_pool_set_max_threads");
        g_pool->setMaxThreadCount(n);
        return int(CQT_OK);
    });
}

int cqt_pool_max_threads(void)
{
    return guard("cqt_pool_max_threads", int(CQT_EINTERNAL), [&]() -> int {
        std::lock_guard<std::mutex> lk(g_pool_mu);
        if (!g_pool)
            return no_pool("cqt_pool_max_threads");
        return g_pool->maxThreadCount();
    });
}

int cqt_pool_busy_threads(void)
{
    return guard("cqt_pool_busy_threads", int(CQT_EINTERNAL), [&]() -> int {
        std::lock_guard<std::mutex> lk(g_pool_mu);
        if (!g_pool)
            return no_pool("cqt_pool_busy_threads");
        return g_pool->activeThreadCount();
    });
}

int cqt_pool_wait_idle(int timeout_ms)
{
    return guard("cqt_pool_wait_idle", int(CQT_EINTERNAL), [&]() -> int {
        if (timeout_ms < 0 && timeout_ms != CQT_FOREVER)
            return fail(CQT_EINVAL, "cqt_pool_wait_idle: timeout %d ms is negative; pass "
                                    "milliseconds >= 0 or CQT_FOREVER",
                        timeout_ms);
        if (tls_in_pool_task)
            return fail(CQT_EDEADLK, "cqt_pool_wait_idle: called from a pool task, which would "
                                     "wait for itself; call it from another thread");
        QThreadPool *p;
        {
            std::lock_guard<std::mutex> lk(g_pool_mu);
            if (!g_pool)
                return no_pool("cqt_pool_wait_idle");
            p = g_pool;
            g_pool_users++; // pool_destroy waits for us
        }
        bool idle = p->waitForDone(timeout_ms == CQT_FOREVER ? -1 : timeout_ms);
        int busy = idle ? 0 : p->activeThreadCount();
        {
            std::lock_guard<std::mutex> lk(g_pool_mu);
            if (--g_pool_users == 0)
                g_pool_cv.notify_all();
        }
        if (!idle)
            return fail(CQT_ETIMEDOUT, "cqt_pool_wait_idle: %d pool task(s) still running after "
                                       "%d ms",
                        busy, timeout_ms);
        CQT_TSAN_ACQUIRE(&g_pool_sync);
        return int(CQT_OK);
    });
}

} // extern "C"
