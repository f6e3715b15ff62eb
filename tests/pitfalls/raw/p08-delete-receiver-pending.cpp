// SPDX-License-Identifier: MIT
// P8: a receiver deleted while queued calls to it are pending. Qt drops
// the calls without a word: a heap payload that the call was to free is
// leaked, and a call queued elsewhere that kept the receiver's raw pointer
// finds it deleted (here a QPointer tells; real code would use freed
// memory).
#include "raw-private.h"

#include <QtCore/QPointer>

#include <atomic>
#include <memory>
#include <thread>

using namespace rawqt;

namespace {
struct Payload {
    std::atomic<bool> freed{false};
};
} // namespace

extern "C" raw_p8 raw_p8_delete_receiver_with_pending_calls(int n)
{
    raw_p8 r{};
    AppScope app;
    Capture cap;
    QObject *receiver = new QObject; // lives in main
    QPointer<QObject> guard(receiver);
    std::vector<Payload *> payloads(size_t(n), nullptr);
    std::vector<std::unique_ptr<Payload>> records;
    for (int i = 0; i < n; i++)
        records.emplace_back(new Payload);
    std::atomic<int> ran{0}, stray{0}, dangling{0};

    std::thread producer([&] {
        for (int i = 0; i < n; i++) {
            Payload *p = records[size_t(i)].get();
            // the call owns p: "it frees it when it runs"
            QMetaObject::invokeMethod(
                receiver, [p, &ran] {
                    ran++;
                    p->freed = true;
                },
                Qt::QueuedConnection);
            // a call queued to the application, holding the receiver's pointer
            QMetaObject::invokeMethod(
                QCoreApplication::instance(), [guard, &stray, &dangling] {
                    stray++;
                    if (guard.isNull())
                        dangling++; // `receiver->...` here would read freed memory
                },
                Qt::QueuedConnection);
        }
    });
    producer.join();
    r.queued = n;
    delete receiver; // in its own thread, before its loop ran the calls
    run_loop_until([&] { return stray.load() >= n; }, 10000);
    r.ran = ran.load();
    for (auto &p : records)
        if (p->freed.load())
            r.payloads_freed++;
    r.payloads_leaked = n - r.payloads_freed; // (records frees them for real)
    r.stray_calls = stray.load();
    r.stray_dangling = dangling.load();
    r.warnings = cap.count();
    return r;
}
