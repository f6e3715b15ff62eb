// SPDX-License-Identifier: MIT
// P9: waiting for several asynchronous events the seeds' way: one helper
// QThread per event, each blocked on its own event, then wait() on every
// helper. N events cost N threads.
#include "raw-private.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <thread>

using namespace rawqt;

namespace {
struct Event {
    std::mutex m;
    std::condition_variable cv;
    bool set = false;
    void fire()
    {
        std::lock_guard<std::mutex> lk(m);
        set = true;
        cv.notify_all();
    }
    bool wait(int ms)
    {
        std::unique_lock<std::mutex> lk(m);
        return cv.wait_for(lk, std::chrono::milliseconds(ms), [this] { return set; });
    }
};
} // namespace

extern "C" raw_p9 raw_p9_wait_thread_per_event(int timeout_ms)
{
    raw_p9 r{};
    AppScope app;
    const int n = 3;
    Event ev[n];
    Event go;
    std::atomic<int> waiting{0}, blocked{0}, peak{0};
    std::atomic<int> results[n];
    for (auto &x : results)
        x = -1;
    // the "devices": events 0 and 2 are set 50 ms after every helper
    // waits, event 1 never (a stalled axis)
    std::thread device([&] {
        go.wait(30000);
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        ev[0].fire();
        ev[2].fire();
    });
    int before = settled_thread_count();
    int64_t start = now_ms();
    std::vector<QThread *> helpers;
    for (int i = 0; i < n; i++) {
        helpers.push_back(QThread::create([&, i] {
            waiting++;
            int now = ++blocked;
            for (int p = peak.load(); now > p && !peak.compare_exchange_weak(p, now);) {
            }
            results[i] = ev[i].wait(timeout_ms) ? 1 : 0;
            blocked--;
        }));
        track_end(helpers.back());
        helpers.back()->start();
    }
    int64_t until = now_ms() + 10000;
    while (waiting.load() < n && now_ms() < until)
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    int during = process_thread_count();
    go.fire(); // the devices report only now, so no helper is gone yet
    for (QThread *h : helpers) {
        join(h);
        delete h;
    }
    r.elapsed_ms = now_ms() - start;
    device.join();
    r.events = n;
    r.helper_threads = int(helpers.size());
    r.thread_delta = during - before;
    r.peak_blocked = peak.load();
    for (auto &x : results) {
        if (x.load() == 1)
            r.events_set++;
        else
            r.timed_out++;
    }
    return r;
}
