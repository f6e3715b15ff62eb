// SPDX-License-Identifier: MIT
// P11: quitting while a thread still works. quit() only stops an event
// loop and requestInterruption() is only a flag, so a thread that checks
// neither keeps running: wait() times out (without a timeout, exit hangs),
// and deleting the QThread then is fatal in Qt 5 (qFatal, abort). Qt 6's
// QThread::create() thread instead requests interruption, quits and waits
// in its destructor, so the same delete blocks until the function returns:
// exit hangs. The child shows either: a watchdog lets the function return
// if the delete is still blocked after kBlockedMs.
#include "raw-private.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <thread>

using namespace rawqt;

extern "C" raw_p11 raw_p11_thread_running_at_exit(int wait_ms)
{
    raw_p11 r{};
    {
        AppScope app;
        std::atomic<bool> release{false};
        QThread *t = QThread::create([&] {
            while (!release.load()) // never looks at isInterruptionRequested()
                std::this_thread::sleep_for(std::chrono::milliseconds(2));
        });
        track_end(t);
        t->start();
        // what an application does on its way out
        t->requestInterruption();
        t->quit();
        int64_t start = now_ms();
        r.wait_timed_out = !join(t, unsigned(wait_ms));
        r.waited_ms = now_ms() - start;
        r.still_running = t->isRunning();
        release = true;
        join(t);
        delete t;
    }
    // Deleting it while it runs instead: qFatal, in a child process. That
    // child frees the thread's storage under its feet — a race by design,
    // so under ThreadSanitizer it runs with race reports off.
    r.destroy = run_child("p11", 20000, true);
    r.child_tsan_quiet = RAW_UNDER_TSAN;
    r.fatal_seen = strstr(r.destroy.output, "QThread: Destroyed while thread is still running") != nullptr;
    r.delete_blocked = strstr(r.destroy.output, "delete still blocked") != nullptr &&
                       strstr(r.destroy.output, "delete returned") != nullptr;
    return r;
}

namespace rawqt {
// How long the delete may take before the child calls it blocked: far
// longer than tearing down a finished thread takes, far shorter than
// run_child's deadline.
constexpr int kBlockedMs = 2000;

int child_p11_destroy_running_thread()
{
    child_print_messages();
    int argc = 1;
    char arg0[] = "cqt-pitfall-child";
    char *argv[] = {arg0, nullptr};
    QCoreApplication app(argc, argv);
    std::atomic<bool> forever{false};
    QThread *t = QThread::create([&] {
        while (!forever.load())
            std::this_thread::sleep_for(std::chrono::milliseconds(2));
    });
    t->start();
    std::mutex m;
    std::condition_variable cv;
    bool deleted = false;
    std::thread watchdog([&] {
        std::unique_lock<std::mutex> lock(m);
        if (!cv.wait_for(lock, std::chrono::milliseconds(kBlockedMs), [&] { return deleted; })) {
            printf("delete still blocked after %d ms; letting the thread function return\n",
                   kBlockedMs);
            fflush(stdout);
            forever = true;
        }
    });
    printf("deleting the running thread\n");
    fflush(stdout);
    delete t; // Qt 5: qFatal, abort(); Qt 6: waits for the function to return
    {
        std::lock_guard<std::mutex> lock(m);
        deleted = true;
    }
    cv.notify_one();
    watchdog.join();
    printf("delete returned\n");
    fflush(stdout);
    forever = true;
    return 0;
}
} // namespace rawqt
