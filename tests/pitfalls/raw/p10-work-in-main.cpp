// SPDX-License-Identifier: MIT
// P10: long work in a slot of the main (GUI) thread: the loop does
// nothing else until it returns — the window freezes.
#include "raw-private.h"

#include <atomic>

using namespace rawqt;

extern "C" raw_p10 raw_p10_long_work_in_main(int work_ms)
{
    raw_p10 r{};
    AppScope app;
    std::atomic<bool> done{false};
    QObject button; // "the button's clicked() handler"
    Heartbeat beat;
    run_loop_until([&] { return beat.ticks() >= 3; }, 5000);
    QMetaObject::invokeMethod(
        &button, [&] {
            r.work_in_main = QThread::currentThread() == QCoreApplication::instance()->thread();
            r.work_ms = busy_work(work_ms);
            done = true;
        },
        Qt::QueuedConnection);
    run_loop_until([&] { return done.load(); }, work_ms + 10000);
    int after = beat.ticks();
    run_loop_until([&] { return beat.ticks() > after; }, 5000);
    r.max_latency_ms = beat.max_gap_ms();
    r.heartbeats = beat.ticks();
    return r;
}
