// SPDX-License-Identifier: MIT
// P1: QTimer::start() from a thread other than the timer's. Qt refuses
// (QObject::startTimer warns) and the timer never fires.
#include "raw-private.h"

#include <QtCore/QTimer>

#include <atomic>
#include <thread>

using namespace rawqt;

extern "C" raw_p1 raw_p1_timer_started_from_other_thread(int wait_ms)
{
    raw_p1 r{};
    AppScope app;
    Capture cap;
    QTimer timer; // lives in the main thread
    std::atomic<int> fires{0};
    QObject::connect(&timer, &QTimer::timeout, [&] { fires++; });

    // The classic mistake: a worker thread "starts the UI's timer".
    // (A std::thread: its join is an edge ThreadSanitizer can see.)
    std::thread t([&] {
        timer.start(10);
        r.started_in_other_thread = QThread::currentThread() != timer.thread();
    });
    t.join();

    int64_t start = now_ms();
    run_loop_until([&] { return fires.load() > 0; }, wait_ms);
    r.waited_ms = int(now_ms() - start);
    r.fires = fires.load();
    copy_text(r.warning, sizeof r.warning, cap.find("Timers cannot be started"));
    return r;
}
