// SPDX-License-Identifier: MIT
// P6: the seeds' axis controller. Each move sets a target and calls
// start() on the axis' timer thread, whose started() signal starts the
// motion timer. Nobody quits that thread when a move ends, so the next
// move's start() finds it running and does nothing: started() is not
// emitted again and the second move never completes.
#include "raw-private.h"

#include <QtCore/QTimer>

#include <atomic>
#include <cmath>
#include <thread>

using namespace rawqt;

namespace {
class NaiveAxis {
public:
    std::atomic<double> position{0.0};
    std::atomic<double> target{0.0};
    std::atomic<int> arrivals{0};
    std::atomic<int> started{0};

    NaiveAxis() : timer_(new QTimer)
    {
        track_end(&thread_);
        timer_->setInterval(5);
        timer_->moveToThread(&thread_);
        QObject::connect(&thread_, &QThread::started, timer_, [this] {
            started++;
            timer_->start();
        });
        QObject::connect(timer_, &QTimer::timeout, timer_, [this] {
            double p = position.load(), t = target.load();
            double step = 2.0; // units per tick
            p = std::fabs(t - p) <= step ? t : p + (t > p ? step : -step);
            position = p;
            if (p == t) {
                timer_->stop();
                arrivals++;
            }
        });
    }
    ~NaiveAxis()
    {
        timer_->deleteLater(); // run by the thread as it finishes
        thread_.quit();
        join(&thread_);
    }
    void move_to(double t)
    {
        target = t;
        thread_.start(); // a no-op when the thread still runs
    }

private:
    QThread thread_;
    QTimer *timer_;
};
} // namespace

extern "C" raw_p6 raw_p6_axis_moved_twice(int wait_ms)
{
    raw_p6 r{};
    AppScope app;
    {
        NaiveAxis axis;
        axis.move_to(10.0);
        r.first_move_done = run_loop_until([&] { return axis.arrivals.load() >= 1; }, 10000);
        // the second move comes from another thread (a worker, a button's
        // handler elsewhere): same code path
        std::thread mover([&] { axis.move_to(20.0); });
        mover.join();
        int64_t start = now_ms();
        r.second_move_done = run_loop_until([&] { return axis.arrivals.load() >= 2; }, wait_ms);
        r.waited_ms = int(now_ms() - start);
        r.started_count = axis.started.load();
        r.position = axis.position.load();
    }
    return r;
}
