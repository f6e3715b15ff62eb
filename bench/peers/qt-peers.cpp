// SPDX-License-Identifier: MIT
// qt-peers.cpp — the raw Qt peers (see qt-peers.h).
#include "qt-peers.h"

#include "../bench.h"

#include <QtCore/QCoreApplication>
#include <QtCore/QRunnable>
#include <QtCore/QSemaphore>
#include <QtCore/QSocketNotifier>
#include <QtCore/QThreadPool>
#include <QtCore/QTimer>

#include <atomic>
#include <functional>
#include <thread>
#include <vector>

static QCoreApplication *g_app;

void QtpPlayer::hit(qint64 v)
{
    if (last && v >= limit) {
        QCoreApplication::quit();
        return;
    }
    Q_EMIT ball(v + 1);
}

void QtpSink::take(qint64 v)
{
    int p = int(v >> 40);
    int64_t seq = v & ((int64_t(1) << 40) - 1);
    if (p < 0 || p >= producers || seq != next[p])
        bad = true;
    else
        next[p]++;
    if (++got == expected)
        QCoreApplication::quit();
}

void QtpGenerator::run()
{
    for (long i = 0; i < count; i++)
        Q_EMIT yielded(qint64(i));
}

extern "C" {

void qtp_app(int *argc, char **argv)
{
    if (!g_app)
        g_app = new QCoreApplication(*argc, argv);
}

double qtp_roundtrip(long n, int use_signal)
{
    QThread th;
    th.start();
    int64_t t0, t1;
    if (use_signal) {
        QtpPlayer a, b;
        a.limit = 2 * n; // the ball gains 2 per round trip
        a.last = true;
        b.moveToThread(&th);
        QObject::connect(&a, &QtpPlayer::ball, &b, &QtpPlayer::hit, Qt::QueuedConnection);
        QObject::connect(&b, &QtpPlayer::ball, &a, &QtpPlayer::hit, Qt::QueuedConnection);
        t0 = bench_now_ns();
        Q_EMIT a.ball(0);
        QCoreApplication::exec();
        t1 = bench_now_ns();
        th.quit();
        th.wait();
    } else {
        QObject a, b;
        b.moveToThread(&th);
        long count = 0;
        std::function<void()> serve;
        serve = [&] {
            QMetaObject::invokeMethod(&b, [&] {
                QMetaObject::invokeMethod(&a, [&] {
                    if (++count == n)
                        QCoreApplication::quit();
                    else
                        serve();
                }, Qt::QueuedConnection);
            }, Qt::QueuedConnection);
        };
        t0 = bench_now_ns();
        serve();
        QCoreApplication::exec();
        t1 = bench_now_ns();
        th.quit();
        th.wait();
        if (count != n)
            return -1;
    }
    return double(t1 - t0);
}

double qtp_throughput(long n, int producers, int use_signal)
{
    QtpSink sink;
    sink.producers = producers;
    long per = n / producers;
    sink.expected = per * producers;
    std::vector<std::thread> threads;
    std::vector<QtpSource *> sources;
    for (int p = 0; p < producers; p++) {
        auto *src = new QtpSource;
        QObject::connect(src, &QtpSource::value, &sink, &QtpSink::take, Qt::QueuedConnection);
        sources.push_back(src);
    }
    int64_t t0 = bench_now_ns();
    for (int p = 0; p < producers; p++) {
        threads.emplace_back([&, p] {
            QtpSource *src = sources[size_t(p)];
            for (long i = 0; i < per; i++) {
                qint64 v = (qint64(p) << 40) | i;
                if (use_signal)
                    Q_EMIT src->value(v);
                else
                    QMetaObject::invokeMethod(&sink, [&sink, v] { sink.take(v); },
                                              Qt::QueuedConnection);
            }
        });
    }
    QCoreApplication::exec();
    int64_t t1 = bench_now_ns();
    for (auto &t : threads)
        t.join();
    for (auto *s : sources)
        delete s;
    if (sink.bad || sink.got != sink.expected)
        return -1;
    return double(t1 - t0);
}

int qtp_timer(int precise, int dur_ms, int64_t *t0, int64_t *stamps, int cap)
{
    QThread th;
    th.start();
    QObject ctx;
    ctx.moveToThread(&th);
    int n = 0;
    QTimer *timer = nullptr;
    int64_t end = 0;
    QMetaObject::invokeMethod(&ctx, [&] {
        timer = new QTimer;
        timer->setTimerType(precise ? Qt::PreciseTimer : Qt::CoarseTimer);
        QObject::connect(timer, &QTimer::timeout, [&] {
            int64_t now = bench_now_ns();
            if (n < cap)
                stamps[n++] = now;
            if (now >= end) {
                timer->stop();
                delete timer;
                th.quit();
            }
        });
        *t0 = bench_now_ns();
        end = *t0 + int64_t(dur_ms) * 1000000 + 2000000;
        timer->start(1);
    }, Qt::QueuedConnection);
    th.wait();
    return n;
}

double qtp_pool(long n)
{
    QObject receiver;
    long got = 0;
    long long sum = 0;
    QThreadPool *pool = QThreadPool::globalInstance();
    int64_t t0 = bench_now_ns();
    for (long i = 0; i < n; i++) {
        pool->start(QRunnable::create([&receiver, &got, &sum, i, n] {
            long long r = (long long)i * 3 + 1; // the tiny work
            QMetaObject::invokeMethod(&receiver, [&got, &sum, r, n] {
                sum += r;
                if (++got == n)
                    QCoreApplication::quit();
            }, Qt::QueuedConnection);
        }));
    }
    QCoreApplication::exec();
    int64_t t1 = bench_now_ns();
    pool->waitForDone();
    long long want = 3LL * (long long)n * (n - 1) / 2 + n;
    if (got != n || sum != want)
        return -1;
    return double(t1 - t0);
}

double qtp_yields(long n)
{
    QtpSink sink;
    sink.expected = n;
    QtpGenerator gen;
    gen.count = n;
    QObject::connect(&gen, &QtpGenerator::yielded, &sink, &QtpSink::take, Qt::QueuedConnection);
    int64_t t0 = bench_now_ns();
    gen.start();
    QCoreApplication::exec();
    int64_t t1 = bench_now_ns();
    gen.wait();
    if (sink.bad || sink.got != n)
        return -1;
    return double(t1 - t0);
}

int qtp_memory(long objects, long threads)
{
    double r0 = bench_rss_bytes();
    std::vector<QObject *> objs;
    objs.reserve(size_t(objects));
    double base = bench_rss_bytes();
    for (long i = 0; i < objects; i++)
        objs.push_back(new QObject);
    double r1 = bench_rss_bytes();
    bench_report("object", (r1 - base) / double(objects));

    std::vector<QTimer *> timers;
    timers.reserve(size_t(objects));
    base = bench_rss_bytes();
    for (long i = 0; i < objects; i++)
        timers.push_back(new QTimer);
    r1 = bench_rss_bytes();
    bench_report("timer_stopped", (r1 - base) / double(objects));
    base = r1;
    for (auto *t : timers)
        t->start(3600 * 1000);
    r1 = bench_rss_bytes();
    bench_report("timer_running", (r1 - base) / double(objects));
    for (auto *t : timers)
        delete t;
    for (auto *o : objs)
        delete o;

    std::vector<QThread *> ths;
    base = bench_rss_bytes();
    for (long i = 0; i < threads; i++) {
        auto *t = new QThread;
        t->start();
        ths.push_back(t);
    }
    // Let every loop reach exec() and sit idle.
    std::vector<QObject *> ctxs;
    for (auto *t : ths) {
        QSemaphore sem;
        auto *ctx = new QObject;
        ctx->moveToThread(t);
        QMetaObject::invokeMethod(ctx, [&sem] { sem.release(); }, Qt::QueuedConnection);
        sem.acquire();
        ctxs.push_back(ctx);
    }
    r1 = bench_rss_bytes();
    bench_report("thread", (r1 - base) / double(threads));
    for (auto *c : ctxs)
        c->deleteLater();
    for (auto *t : ths) {
        t->quit();
        t->wait();
        delete t;
    }
    (void)r0;
    return 0;
}

double qtp_scaling(int nthreads, long receivers, long n, double *bytes_per_receiver)
{
    struct Recv {
        QObject *obj;
        long next;
    };
    std::vector<QThread *> ths;
    double base = bench_rss_bytes();
    for (int i = 0; i < nthreads; i++) {
        auto *t = new QThread;
        t->start();
        ths.push_back(t);
    }
    std::vector<Recv> recv(static_cast<size_t>(receivers));
    for (long i = 0; i < receivers; i++) {
        recv[size_t(i)].obj = new QObject;
        recv[size_t(i)].obj->moveToThread(ths[size_t(i % nthreads)]);
        recv[size_t(i)].next = 0;
    }
    *bytes_per_receiver = (bench_rss_bytes() - base) / double(receivers);
    std::atomic<long> left{n};
    std::atomic<bool> bad{false};
    QSemaphore done;
    int64_t t0 = bench_now_ns();
    for (long i = 0; i < n; i++) {
        long r = i % receivers, seq = i / receivers;
        Recv *rv = &recv[size_t(r)];
        QMetaObject::invokeMethod(rv->obj, [rv, seq, &left, &bad, &done] {
            if (rv->next++ != seq)
                bad = true;
            if (left.fetch_sub(1) == 1)
                done.release();
        }, Qt::QueuedConnection);
    }
    done.acquire();
    int64_t t1 = bench_now_ns();
    for (auto &r : recv)
        r.obj->deleteLater();
    for (auto *t : ths) {
        t->quit();
        t->wait();
        delete t;
    }
    if (bad)
        return -1;
    return double(t1 - t0);
}

int qtp_io(const int *fds, int nfds, void (*ready)(int fd), int (*drive)(void))
{
    // The notifiers are made in the thread that watches (the documented
    // way: a QSocketNotifier must be created and used in its thread).
    QThread th;
    th.start();
    QObject ctx;
    ctx.moveToThread(&th);
    QObject *holder = nullptr;
    QMetaObject::invokeMethod(&ctx, [&] {
        holder = new QObject;
        for (int i = 0; i < nfds; i++) {
            auto *n = new QSocketNotifier(fds[i], QSocketNotifier::Read, holder);
            int fd = fds[i];
            QObject::connect(n, &QSocketNotifier::activated, holder, [ready, fd] { ready(fd); });
        }
    }, Qt::BlockingQueuedConnection);
    int rc = drive();
    QMetaObject::invokeMethod(&ctx, [&] { delete holder; }, Qt::BlockingQueuedConnection);
    th.quit();
    th.wait();
    return rc;
}

} // extern "C"
