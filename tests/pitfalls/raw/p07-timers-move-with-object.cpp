// SPDX-License-Identifier: MIT
// P7: moveToThread() moves the object's running timers with it: they keep
// their ids and keep firing, now in the new thread.
#include "raw-private.h"

#include <atomic>

using namespace rawqt;

namespace {
class Ticker : public QObject {
public:
    std::atomic<QThread *> last_thread{nullptr};
    std::atomic<int> last_id{0};
    std::atomic<int> ticks{0};
    std::atomic<bool> moved{false};
    QThread *home = nullptr;
    std::atomic<int> home_ticks_after_move{0};

    ~Ticker() override { RAW_TSAN_ACQUIRE(this); } // deleteLater's hand-off

protected:
    void timerEvent(QTimerEvent *e) override
    {
        RAW_TSAN_ACQUIRE(this); // the move's hand-off (see raw-private.h)
        last_thread = QThread::currentThread();
        last_id = e->timerId();
        if (moved.load() && QThread::currentThread() == home)
            home_ticks_after_move++;
        ticks++;
    }
};
} // namespace

extern "C" raw_p7 raw_p7_timers_move_with_object(void)
{
    raw_p7 r{};
    AppScope app;
    QThread other;
    track_end(&other);
    other.start();
    Ticker *t = new Ticker; // lives in main
    QThread *main_thread = QThread::currentThread();
    t->home = main_thread;
    r.id_before = t->startTimer(5);
    run_loop_until([&] { return t->ticks.load() >= 2; }, 10000);
    r.fired_in_main_before = t->last_thread.load() == main_thread;

    RAW_TSAN_RELEASE(t);
    t->moveToThread(&other); // a push from the owner: allowed
    t->moved = true;
    int seen = t->ticks.load();
    // wait for several ticks in the new thread
    run_loop_until([&] { return t->ticks.load() >= seen + 3 && t->last_thread.load() == &other; },
                   10000);
    r.fired_in_new_thread_after = t->last_thread.load() == &other;
    r.fired_in_main_after = t->home_ticks_after_move.load() > 0;
    r.id_after = t->last_id.load();
    RAW_TSAN_RELEASE(t);
    t->deleteLater(); // in its new thread, which kills the timer there
    other.quit();
    join(&other);
    return r;
}
