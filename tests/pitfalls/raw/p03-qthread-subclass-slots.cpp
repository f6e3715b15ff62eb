// SPDX-License-Identifier: MIT
// P3: work in a slot of a QThread subclass. The QThread object lives in
// the thread that created it, so its slots run there (the GUI thread),
// not in the thread it starts: the main loop starves for the whole work.
#include "raw-private.h"

#include <atomic>

using namespace rawqt;

namespace {
class WorkThread : public QThread {
public:
    int work_ms = 0;
    std::atomic<bool> done{false};
    QThread *ran_in = nullptr;
    int64_t measured = 0;

    // "A slot": the author expects it to run in the new thread.
    void doWork()
    {
        ran_in = QThread::currentThread();
        measured = busy_work(work_ms);
        done = true;
    }
};
} // namespace

extern "C" raw_p3 raw_p3_slots_of_qthread_subclass(int work_ms)
{
    raw_p3 r{};
    AppScope app;
    WorkThread t;
    t.work_ms = work_ms;
    // started() is emitted in the new thread; the receiver (the QThread
    // object itself) lives in main, so the call is queued to main.
    QObject::connect(&t, &QThread::started, &t, &WorkThread::doWork);
    track_end(&t);
    int64_t beat_ticks = 0;
    {
        Heartbeat beat;
        // a few beats first so the measurement is warm
        run_loop_until([&] { return beat.ticks() >= 3; }, 5000);
        t.start();
        run_loop_until([&] { return t.done.load(); }, work_ms + 10000);
        // one more beat after the work, so the gap that spans it is counted
        int after = beat.ticks();
        run_loop_until([&] { return beat.ticks() > after; }, 5000);
        r.max_latency_ms = beat.max_gap_ms();
        beat_ticks = beat.ticks();
    }
    r.heartbeats = int(beat_ticks);
    r.slot_ran = t.done.load();
    r.slot_in_main = t.ran_in == QCoreApplication::instance()->thread();
    r.slot_in_thread = t.ran_in == &t;
    r.work_ms = t.measured;
    t.quit();
    join(&t);
    return r;
}
