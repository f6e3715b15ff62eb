// SPDX-License-Identifier: MIT
// P2: a timer in a thread that runs no event loop (a QThread subclass
// whose run() never calls exec()). start() succeeds, isActive() says yes,
// nothing fires and Qt says nothing.
#include "raw-private.h"

#include <QtCore/QSemaphore>
#include <QtCore/QTimer>

#include <atomic>

using namespace rawqt;

namespace {
class LooplessThread : public QThread {
public:
    std::atomic<int> fires{0};
    std::atomic<bool> active{false};
    QSemaphore started_timer;
    QSemaphore release;

protected:
    void run() override
    {
        QTimer timer;
        QObject::connect(&timer, &QTimer::timeout, [this] { fires++; });
        timer.start(10);
        active = timer.isActive();
        started_timer.release();
        // "Doing its job": blocks here instead of returning to a loop.
        release.tryAcquire(1, 30000);
    }
};
} // namespace

extern "C" raw_p2 raw_p2_timer_in_thread_without_loop(int wait_ms)
{
    raw_p2 r{};
    AppScope app;
    Capture cap;
    LooplessThread t;
    track_end(&t);
    t.start();
    t.started_timer.acquire();
    int64_t start = now_ms();
    run_loop_until([&] { return t.fires.load() > 0; }, wait_ms);
    r.waited_ms = int(now_ms() - start);
    r.fires = t.fires.load();
    r.active = t.active.load();
    t.release.release();
    join(&t);
    r.warnings = cap.count();
    if (r.warnings)
        copy_text(r.first_warning, sizeof r.first_warning, cap.lines()[0]);
    return r;
}
