// SPDX-License-Identifier: MIT
// P4: moveToThread() called from a thread that does not own the object,
// to pull it over. Qt only lets the owner push: it warns and the object
// stays where it was.
#include "raw-private.h"

#include <thread>

using namespace rawqt;

extern "C" raw_p4 raw_p4_move_to_thread_pull(void)
{
    raw_p4 r{};
    AppScope app;
    Capture cap;
    QObject obj; // lives in main
    QThread *main_thread = QThread::currentThread();
    std::thread t([&] {
        obj.moveToThread(QThread::currentThread()); // the pull
        r.returned = true;
        r.object_moved = obj.thread() == QThread::currentThread();
    });
    t.join();
    r.still_in_main = obj.thread() == main_thread;
    copy_text(r.warning, sizeof r.warning, cap.find("QObject::moveToThread"));
    return r;
}
