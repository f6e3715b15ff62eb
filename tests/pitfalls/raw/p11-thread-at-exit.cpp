// P11: quitting while a thread still works. quit() only stops an event
// loop and requestInterruption() is only a flag, so a thread that checks
// neither keeps running: wait() times out (without a timeout, exit hangs),
// and deleting the QThread then is fatal.
#include "raw-private.h"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
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
    return r;
}

namespace rawqt {
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
    printf("deleting the running thread\n");
    fflush(stdout);
    delete t; // Qt: qFatal, abort()
    printf("delete returned\n");
    fflush(stdout);
    forever = true;
    return 0;
}
} // namespace rawqt
