/* SPDX-License-Identifier: MIT */
// raw-private.h — what the raw-Qt reproductions share (C++ only).
#ifndef CQT_PITFALLS_RAW_PRIVATE_H
#define CQT_PITFALLS_RAW_PRIVATE_H

#include <QtCore/QCoreApplication>
#include <QtCore/QThread>
#include <QtCore/QTimer>

#include <climits>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "raw.h"

// ThreadSanitizer cannot see Qt's own locks (Debian builds Qt without
// -fsanitize=thread; its QMutex is a futex), so a hand-off that Qt orders
// — an object moved to another thread, say — looks like a race between
// our code on both sides. These state the edge Qt provides.
#if defined(__SANITIZE_THREAD__)
#define RAW_UNDER_TSAN 1
extern "C" void __tsan_acquire(void *addr);
extern "C" void __tsan_release(void *addr);
#define RAW_TSAN_ACQUIRE(p) __tsan_acquire((void *)(p))
#define RAW_TSAN_RELEASE(p) __tsan_release((void *)(p))
#else
#define RAW_UNDER_TSAN 0
#define RAW_TSAN_ACQUIRE(p) ((void)0)
#define RAW_TSAN_RELEASE(p) ((void)0)
#endif

namespace rawqt {

int64_t now_ms();

// The QCoreApplication the scenario runs under: the existing one, or one of
// our own for the length of the scenario.
class AppScope {
public:
    AppScope();
    ~AppScope();
    AppScope(const AppScope &) = delete;
    AppScope &operator=(const AppScope &) = delete;

private:
    QCoreApplication *own_ = nullptr;
};

// Captures every Qt message while alive (from any thread), then puts the
// previous handler back.
class Capture {
public:
    Capture();
    ~Capture();
    Capture(const Capture &) = delete;
    Capture &operator=(const Capture &) = delete;
    std::vector<std::string> lines() const;
    int count() const;
    // The first message containing @needle, "" if none.
    std::string find(const char *needle) const;
};

// Runs the calling thread's event loop until @done() or @timeout_ms passed.
// Returns @done()'s last answer.
bool run_loop_until(const std::function<bool()> &done, int timeout_ms);

// A 10 ms precise timer in the calling thread that records the largest
// gap between two of its ticks while it lives.
class Heartbeat {
public:
    Heartbeat();
    ~Heartbeat();
    Heartbeat(const Heartbeat &) = delete;
    Heartbeat &operator=(const Heartbeat &) = delete;
    int64_t max_gap_ms() const { return max_gap_; }
    int ticks() const { return ticks_; }

private:
    QTimer *timer_;
    int64_t last_ = 0;
    int64_t max_gap_ = 0;
    int ticks_ = 0;
};

// Spins (no sleep: the thread is busy, as real work is) for @ms.
int64_t busy_work(int ms);

// QThread::wait() is a join ThreadSanitizer cannot see (Qt's threads are
// detached and signal their end through a QWaitCondition). Call
// track_end() before start(): the thread's end is released on `finished`;
// join() waits and acquires it. Without TSan these are a plain wait().
void track_end(QThread *t);
bool join(QThread *t, unsigned long ms = ULONG_MAX);

// Threads in this process (/proc/self/task).
int process_thread_count();
// The count once it stopped changing (threads of an earlier scenario may
// still be exiting: Qt's threads are detached), waiting at most 2 s.
int settled_thread_count();

void copy_text(char *dst, size_t n, const std::string &s);

// Re-runs this executable with CQT_PITFALL_CHILD=@scenario; the child runs
// the child_* function of that name (p11, p12, p13) and
// _exits. Kills it when it did not end within @deadline_ms.
// @tsan_quiet: under ThreadSanitizer, the child reports no races (for a
// scenario that is a race by design); elsewhere it changes nothing.
// @marker (nullable): once the child printed it, it gets @after_marker_ms
// more before it is killed — so a slow start on a loaded machine does not
// eat into the time the scenario is observed.
raw_child run_child(const char *scenario, int deadline_ms, bool tsan_quiet = false,
                    const char *marker = nullptr, int after_marker_ms = 0);

// Child scenarios (run by the dispatcher in raw-common.cpp before main
// when CQT_PITFALL_CHILD names them); each returns the exit code.
int child_p11_destroy_running_thread();
int child_p12_blocking_queued_deadlock();
int child_p13_widgets_from_worker();

// In the child: every Qt message is written to stdout as "qt: <text>".
void child_print_messages();
// How many messages that handler has printed so far.
int child_message_count();

} // namespace rawqt

#endif
