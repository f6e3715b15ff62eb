/* SPDX-License-Identifier: MIT */
// qt-peers.h — raw Qt peers of the cqt benchmarks (built against the Qt
// libcqt was configured for, 5 or 6), written the way Qt's
// documentation recommends: objects moved to QThreads running exec(),
// QMetaObject::invokeMethod(ctx, functor, Qt::QueuedConnection), and
// queued signal/slot connections. The C scenarios call the extern "C"
// functions at the bottom; each returns a negative value on a failed check.
#ifndef CQT_BENCH_QT_PEERS_H
#define CQT_BENCH_QT_PEERS_H

#include <stdint.h>

#ifdef __cplusplus
#include <QtCore/QObject>
#include <QtCore/QThread>

// One side of the ping-pong: its slot answers with its own signal.
class QtpPlayer : public QObject {
    Q_OBJECT
public:
    long limit = 0;
    bool last = false; // the side that stops the rally
Q_SIGNALS:
    void ball(qint64 v);
public Q_SLOTS:
    void hit(qint64 v);
};

// Receives payloads in order (throughput, yields).
class QtpSink : public QObject {
    Q_OBJECT
public:
    long expected = 0, got = 0;
    int producers = 1;
    int64_t next[8] = {0};
    bool bad = false;
public Q_SLOTS:
    void take(qint64 v);
};

// Emits payloads from a plain thread (throughput).
class QtpSource : public QObject {
    Q_OBJECT
Q_SIGNALS:
    void value(qint64 v);
};

// Qt's classic "QThread emitting a queued signal per value" (yields).
class QtpGenerator : public QThread {
    Q_OBJECT
public:
    long count = 0;
    void run() override;
Q_SIGNALS:
    void yielded(qint64 v);
};

extern "C" {
#endif

void qtp_app(int *argc, char **argv);
/* Round trips between the main loop and a QThread; total ns, < 0 on error. */
double qtp_roundtrip(long n, int use_signal);
/* n payloads from @producers plain threads to the main loop; total ns. */
double qtp_throughput(long n, int producers, int use_signal);
/* A 1 ms QTimer in a QThread for dur_ms; returns fires, stamps absolute ns. */
int qtp_timer(int precise, int dur_ms, int64_t *t0, int64_t *stamps, int cap);
/* n QRunnables on the global pool, each result queued back; total ns. */
double qtp_pool(long n);
/* A QThread emits n values, received in order in the main loop; total ns. */
double qtp_yields(long n);
/* RSS per object / timer / thread, reported with bench_report. */
int qtp_memory(long objects, long threads);
/* fd readiness: QSocketNotifiers (Read) on @fds, created in a QThread
 * running exec(), call ready(fd) there while drive() runs in the calling
 * thread. Returns drive()'s result. */
int qtp_io(const int *fds, int nfds, void (*ready)(int fd), int (*drive)(void));
/* n invokes spread over @receivers objects in @threads loops; total ns. */
double qtp_scaling(int threads, long receivers, long n, double *bytes_per_receiver);

#ifdef __cplusplus
}
#endif
#endif
