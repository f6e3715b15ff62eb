// SPDX-License-Identifier: MIT
// P14: QSocketNotifier::setEnabled() from a thread other than the
// notifier's. Qt refuses with a warning, but only after storing the new
// state: isEnabled() answers what was asked while the thread's event
// dispatcher goes on as before. An enable never fires, a disable keeps
// firing, and the owner's own call with the same value is then a no-op
// ("no change"), so the owner cannot repair it either.
//
// "Nothing fired" is judged after a control round, never after a sleep: a
// byte written to a second pipe (after the data) wakes a control notifier
// in the owner's thread, which queues a marker there. When the marker runs,
// the owner's loop has polled with the data fd readable and handled all
// that poll reported (the marker is a posted event: it runs in a later
// turn of the loop than the activations of that poll).
#include "raw-private.h"

#include <QtCore/QSocketNotifier>

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <thread>

using namespace rawqt;

namespace {

const char kWarning[] = "Socket notifiers cannot be enabled or disabled from another thread";

// A read notifier that runs @on_ready on each activation (overriding
// event(): the activated signal's signature differs between Qt 5 and 6).
class Watch : public QSocketNotifier {
public:
    Watch(int fd, std::function<void()> on_ready, QObject *parent)
        : QSocketNotifier(fd, QSocketNotifier::Read, parent), on_ready_(std::move(on_ready))
    {
    }

protected:
    bool event(QEvent *e) override
    {
        if (e->type() == QEvent::SockAct)
            on_ready_();
        return QSocketNotifier::event(e);
    }

private:
    std::function<void()> on_ready_;
};

int drain(int fd)
{
    char buf[256];
    int total = 0;
    ssize_t n;
    while ((n = read(fd, buf, sizeof buf)) > 0)
        total += int(n);
    return total;
}

struct Pipe {
    int rd = -1, wr = -1;
    bool open()
    {
        int p[2];
        if (pipe2(p, O_NONBLOCK | O_CLOEXEC) != 0)
            return false;
        rd = p[0];
        wr = p[1];
        return true;
    }
    ~Pipe()
    {
        if (rd >= 0)
            close(rd);
        if (wr >= 0)
            close(wr);
    }
};

// What the owner's thread reports; guarded by mu (a lock TSan sees: Qt's
// events are only the transport).
struct Scene {
    std::mutex mu;
    std::condition_variable cv;
    std::function<void()> job; // for run_in()
    int ran = 0;     // run_in() calls done
    int markers = 0; // control rounds done
    int fires = 0;   // activations of the notifiers under test
    bool outside = false;
    QThread *owner = nullptr;
    QObject *ctx = nullptr; // a Runner, lives in owner
    Pipe one, two, ctl;     // phase 1's data, phase 2's data, control
    Watch *w1 = nullptr, *w2 = nullptr, *wc = nullptr; // owner thread only
    int timeout_ms = 10000;
};

// Runs Scene::job in the owner's thread. A bare posted event, and the job
// handed over under the lock: a functor queued with invokeMethod() would be
// built by the poster and read by the owner through Qt's own (unseen by
// ThreadSanitizer) hand-off.
class Runner : public QObject {
public:
    explicit Runner(Scene &s) : s_(s) {}

protected:
    void customEvent(QEvent *) override
    {
        std::function<void()> job;
        {
            std::lock_guard<std::mutex> lk(s_.mu);
            job.swap(s_.job);
        }
        if (job)
            job();
        std::lock_guard<std::mutex> lk(s_.mu);
        s_.ran++;
        s_.cv.notify_all();
    }

private:
    Scene &s_;
};

bool wait_for(Scene &s, int &counter, int want)
{
    std::unique_lock<std::mutex> lk(s.mu);
    return s.cv.wait_for(lk, std::chrono::milliseconds(s.timeout_ms),
                         [&] { return counter >= want; });
}

// Runs @fn in the owner's thread and waits for it (one at a time).
bool run_in(Scene &s, std::function<void()> fn)
{
    int want;
    {
        std::lock_guard<std::mutex> lk(s.mu);
        want = s.ran + 1;
        s.job = std::move(fn);
    }
    QCoreApplication::postEvent(s.ctx, new QEvent(QEvent::User));
    return wait_for(s, s.ran, want);
}

// Writes @n bytes to @data, then the control byte, and waits for the
// marker (see the top of the file). Returns whether it came back.
bool control_round(Scene &s, const Pipe &data, int n)
{
    int want;
    {
        std::lock_guard<std::mutex> lk(s.mu);
        want = s.markers + 1;
    }
    char buf[64] = {};
    if (n > int(sizeof buf) || write(data.wr, buf, size_t(n)) != n || write(s.ctl.wr, "m", 1) != 1)
        return false;
    return wait_for(s, s.markers, want);
}

int fires(Scene &s)
{
    std::lock_guard<std::mutex> lk(s.mu);
    return s.fires;
}

int count_warnings(const Capture &cap)
{
    int n = 0;
    for (const auto &l : cap.lines())
        n += l.find(kWarning) != std::string::npos;
    return n;
}

} // namespace

extern "C" raw_p14 raw_p14_socket_notifier_from_other_thread(int writes, int timeout_ms)
{
    raw_p14 r{};
    AppScope app;
    Scene s;
    s.timeout_ms = timeout_ms;
    if (!s.one.open() || !s.two.open() || !s.ctl.open())
        return r;
    QThread owner;
    s.owner = &owner;
    track_end(&owner);
    s.ctx = new Runner(s); // before start(): the thread's creation orders it
    s.ctx->moveToThread(&owner);
    owner.start();

    auto on_data = [&s](int fd) {
        drain(fd);
        std::lock_guard<std::mutex> lk(s.mu);
        s.fires++;
        s.outside |= QThread::currentThread() != s.owner;
    };
    bool ok = run_in(s, [&] {
        s.wc = new Watch(s.ctl.rd, [&s] {
            drain(s.ctl.rd);
            // posted now, so it runs after every activation of this poll
            QMetaObject::invokeMethod(
                s.ctx,
                [&s] {
                    std::lock_guard<std::mutex> lk(s.mu);
                    s.markers++;
                    s.cv.notify_all();
                },
                Qt::QueuedConnection);
        }, s.ctx);
        s.w1 = new Watch(s.one.rd, [&, fd = s.one.rd] { on_data(fd); }, s.ctx);
        s.w1->setEnabled(false); // in its own thread: honoured
        s.w2 = new Watch(s.two.rd, [&, fd = s.two.rd] { on_data(fd); }, s.ctx); // enabled
    });
    r.set_up = ok;
    bool rounds = ok;
    Capture cap;
    int others = 0;
    if (ok) {
        // 1. enabled from another thread, then written to
        std::thread([&] { s.w1->setEnabled(true); }).join();
        r.enable_warnings = count_warnings(cap);
        rounds &= run_in(s, [&] { r.enable_claimed = s.w1->isEnabled(); });
        int before = fires(s);
        rounds &= control_round(s, s.one, 8);
        r.enable_fires = fires(s) - before;
        // the owner's own call, as a repair
        rounds &= run_in(s, [&] { s.w1->setEnabled(true); });
        before = fires(s);
        rounds &= control_round(s, s.one, 8);
        r.enable_owner_fires = fires(s) - before;

        // 2. disabled from another thread, then written to @writes times
        int warned = count_warnings(cap);
        std::thread([&] { s.w2->setEnabled(false); }).join();
        r.disable_warnings = count_warnings(cap) - warned;
        rounds &= run_in(s, [&] { r.disable_claimed = !s.w2->isEnabled(); });
        before = fires(s);
        for (int i = 0; i < writes; i++)
            rounds &= control_round(s, s.two, 1);
        r.disable_writes = writes;
        r.disable_fires = fires(s) - before;
        rounds &= run_in(s, [&] { s.w2->setEnabled(false); });
        before = fires(s);
        rounds &= control_round(s, s.two, 1);
        r.disable_owner_fires = fires(s) - before;
        others = cap.count() - count_warnings(cap);
    }
    r.rounds_completed = rounds;
    r.other_messages = others;
    copy_text(r.warning, sizeof r.warning, cap.find(kWarning));

    // w2 is still registered with the dispatcher, though it says it is
    // disabled, and its destructor's setEnabled(false) would be the same
    // no-op: deleted now, a readable fd would reach freed memory. So the
    // thread ends first (its dispatcher goes with it), then the notifiers.
    owner.quit();
    join(&owner);
    delete s.ctx;
    r.enable_unread = drain(s.one.rd);
    {
        std::lock_guard<std::mutex> lk(s.mu);
        r.fired_outside_owner = s.outside;
    }
    return r;
}
