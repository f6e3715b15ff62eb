// SPDX-License-Identifier: MIT
// P5: objects created in a QThread subclass' constructor live in the
// creating thread; objects created in run() live in the new thread. Same
// class, two affinities, no word from Qt.
#include "raw-private.h"

#include <atomic>

using namespace rawqt;

namespace {
class Holder : public QThread {
public:
    QObject *from_ctor;
    std::atomic<QThread *> run_object_thread{nullptr};

    Holder() : from_ctor(new QObject) {}
    ~Holder() override { delete from_ctor; }

protected:
    void run() override
    {
        QObject from_run;
        run_object_thread = from_run.thread();
    }
};
} // namespace

extern "C" raw_p5 raw_p5_objects_in_ctor_vs_run(void)
{
    raw_p5 r{};
    AppScope app;
    Capture cap;
    Holder h;
    track_end(&h);
    h.start();
    join(&h);
    r.ctor_object_in_main = h.from_ctor->thread() == QThread::currentThread();
    r.ctor_object_in_thread = h.from_ctor->thread() == &h;
    r.run_object_in_thread = h.run_object_thread == &h;
    r.warnings = cap.count();
    return r;
}
