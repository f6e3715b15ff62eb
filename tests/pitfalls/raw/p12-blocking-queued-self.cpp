// SPDX-License-Identifier: MIT
// P12: a Qt::BlockingQueuedConnection whose receiver lives in the emitting
// thread. Qt 5.15 notices and warns, then posts the call to its own queue
// and blocks until that queue runs it — which it never will.
#include "raw-private.h"

#include <cstdio>
#include <cstring>

using namespace rawqt;

extern "C" raw_p12 raw_p12_blocking_queued_into_own_thread(int wait_ms)
{
    raw_p12 r{};
    // killed @wait_ms after Qt's warning (or after 30 s if it never comes)
    r.child = run_child("p12", 30000, false, "Dead lock detected", wait_ms);
    const char *w = strstr(r.child.output, "Qt: Dead lock detected while activating a BlockingQueuedConnection");
    r.warned = w != nullptr;
    if (w) {
        const char *end = strchr(w, '\n');
        copy_text(r.warning, sizeof r.warning, end ? std::string(w, size_t(end - w)) : std::string(w));
    }
    r.emit_returned = strstr(r.child.output, "emit returned") != nullptr;
    r.slot_ran = strstr(r.child.output, "slot ran") != nullptr;
    return r;
}

namespace rawqt {
int child_p12_blocking_queued_deadlock()
{
    child_print_messages();
    int argc = 1;
    char arg0[] = "cqt-pitfall-child";
    char *argv[] = {arg0, nullptr};
    QCoreApplication app(argc, argv);
    QObject sender, receiver; // both in this (the main) thread
    QObject::connect(
        &sender, &QObject::objectNameChanged, &receiver,
        [] {
            printf("slot ran\n");
            fflush(stdout);
        },
        Qt::BlockingQueuedConnection);
    printf("emitting\n");
    fflush(stdout);
    sender.setObjectName("go"); // emits objectNameChanged
    printf("emit returned\n");
    fflush(stdout);
    return 0;
}
} // namespace rawqt
