// SPDX-License-Identifier: MIT
// naive.cpp — DEMO ONLY: pitfall P1 reproduced with raw Qt, on purpose.
//
// cqt-stage-demo's "naive QTimer" switch needs the real mistake, live: a
// QTimer living in one thread, started from another. The demo is C, and
// the mistake can only be written in C++, so it lives here behind the
// cqt_demo_naive_axis_* functions (demo-naive.h), in a private static
// library the demo and tests/gui link: libcqt-widgets does not export it.
// Nothing else in cqt uses it; do not copy it.
#include "widgets-private.h"
#include "demo-naive.h"

#include <QtCore/QCoreApplication>
#include <QtCore/QElapsedTimer>
#include <QtCore/QThread>
#include <QtCore/QTimer>

#include <atomic>
#include <cmath>
#include <condition_variable>
#include <mutex>
#include <cstring>
#include <string>

namespace {

class NaiveMover : public QObject {
public:
    QTimer timer{this};
    QElapsedTimer clock;
    double speed = 1, time_scale = 1;
    std::atomic<double> position{0}, target{0};
    std::atomic<bool> arrived{false};

    void step()
    {
        double dt = clock.isValid() ? double(clock.nsecsElapsed()) * 1e-9 : 0.0;
        clock.restart();
        double pos = position.load(), tgt = target.load();
        double d = speed * time_scale * dt;
        if (std::fabs(tgt - pos) <= d) {
            position.store(tgt);
            arrived.store(true);
            timer.stop();
            return;
        }
        position.store(pos + (tgt > pos ? d : -d));
    }
};

} // namespace

struct cqt_demo_naive_axis {
    QThread *thread = nullptr;
    NaiveMover *mover = nullptr;
    std::mutex mu; // "the loop runs", told with std primitives ThreadSanitizer sees
    std::condition_variable cv;
    bool running = false;
    bool finished = false;
};

extern "C" {

cqt_demo_naive_axis *cqt_demo_naive_axis_new(const char *name, double position, double speed,
                                             double time_scale)
{
    static const char fn[] = "cqt_demo_naive_axis_new";
    return cqtw::guard(fn, static_cast<cqt_demo_naive_axis *>(nullptr),
                       [&]() -> cqt_demo_naive_axis * {
        if (!cqt_app_is_running()) {
            cqt_set_last_error(CQT_ESTATE, "%s: no application; call cqt_app_init first", fn);
            return nullptr;
        }
        if (!std::isfinite(position) || !(speed > 0) || !std::isfinite(speed) ||
            !(time_scale > 0) || !std::isfinite(time_scale)) {
            cqt_set_last_error(CQT_EINVAL, "%s: position %g, speed %g, time_scale %g; pass a "
                                           "finite position and positive speed and scale",
                               fn, position, speed, time_scale);
            return nullptr;
        }
        auto *a = new cqt_demo_naive_axis;
        a->mover = new NaiveMover;
        a->mover->speed = speed;
        a->mover->time_scale = time_scale;
        a->mover->position.store(position);
        a->mover->target.store(position);
        a->mover->timer.setTimerType(Qt::PreciseTimer);
        QObject::connect(&a->mover->timer, &QTimer::timeout, a->mover,
                         [m = a->mover] { m->step(); });
        a->thread = new QThread;
        a->thread->setObjectName(QString::fromUtf8("naive-") +
                                 QString::fromUtf8(name ? name : "axis"));
        // The usual Qt recipe: the controller and its timer live in the
        // axis thread.
        a->mover->moveToThread(a->thread);
        // Both connections are made before the thread starts (so the start
        // orders them) and run in the thread itself: `started` once its
        // event dispatcher exists, `finished` as its last act, where
        // deleting the mover and its timer is allowed.
        QObject::connect(a->thread, &QThread::started, a->thread, [a] {
            std::lock_guard<std::mutex> lk(a->mu);
            a->running = true;
            a->cv.notify_all();
        }, Qt::DirectConnection);
        QObject::connect(a->thread, &QThread::finished, a->thread, [a] {
            std::lock_guard<std::mutex> lk(a->mu); // after the caller's last use
            delete a->mover;
            a->mover = nullptr;
            a->finished = true;
        }, Qt::DirectConnection);
        a->thread->start();
        // Wait until the thread has its event dispatcher: before that Qt
        // refuses every timer with a different warning, hiding P1's.
        std::unique_lock<std::mutex> lk(a->mu);
        a->cv.wait(lk, [a] { return a->running; });
        return a;
    });
}

int cqt_demo_naive_axis_move_to(cqt_demo_naive_axis *a, double target)
{
    static const char fn[] = "cqt_demo_naive_axis_move_to";
    return cqtw::guard(fn, int(CQT_EINTERNAL), [&]() -> int {
        if (!a)
            return cqt_set_last_error(CQT_EINVAL, "%s: axis is NULL", fn);
        if (!std::isfinite(target))
            return cqt_set_last_error(CQT_EINVAL, "%s: target %g is not finite", fn, target);
        a->mover->target.store(target);
        a->mover->arrived.store(false);
        // THE MISTAKE (pitfall P1): QTimer::start() from whatever thread
        // called us. Unless that is the axis thread, Qt prints "Timers
        // cannot be started from another thread" and the timer never fires.
        a->mover->timer.start(20);
        return int(CQT_OK);
    });
}

double cqt_demo_naive_axis_position(const cqt_demo_naive_axis *a)
{
    return a ? a->mover->position.load() : NAN;
}

bool cqt_demo_naive_axis_has_arrived(const cqt_demo_naive_axis *a)
{
    return a && a->mover->arrived.load();
}

void cqt_demo_naive_axis_free(cqt_demo_naive_axis *a)
{
    cqtw::guard_void("cqt_demo_naive_axis_free", [&] {
        if (!a)
            return;
        // The thread deletes the mover as it finishes (see _new). Qt's quit
        // and wait order nothing ThreadSanitizer can see; the mutex does.
        {
            std::lock_guard<std::mutex> lk(a->mu);
        }
        a->thread->quit();
        a->thread->wait();
        {
            std::lock_guard<std::mutex> lk(a->mu);
        }
        delete a->thread;
        delete a;
    });
}

} // extern "C"
