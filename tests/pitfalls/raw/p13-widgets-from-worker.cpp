// SPDX-License-Identifier: MIT
// P13: widgets touched from a thread that is not the GUI thread. Qt does
// not check most widget calls: QLabel::setText from a worker just runs,
// racing with the GUI thread (undefined behaviour, usually a crash later).
// The one check that does fire is the parent's: a child widget created in
// the worker is refused its parent and left an orphan. In a child process
// on the offscreen platform, so the undefined part cannot hurt the caller.
#include "raw-private.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>

#ifdef CQT_PITFALLS_HAVE_WIDGETS
#include <QtGui/QScreen>
#include <QtWidgets/QApplication>
#include <QtWidgets/QLabel>

#include <atomic>
#include <thread>
#endif

using namespace rawqt;

extern "C" raw_p13 raw_p13_widget_from_worker_thread(void)
{
    raw_p13 r{};
#ifdef CQT_PITFALLS_HAVE_WIDGETS
    r.available = true;
    r.child = run_child("p13", 20000);
    const char *out = r.child.output;
    r.set_text_accepted = strstr(out, "set_text_ran=1") != nullptr;
    const char *n = strstr(out, "set_text_warnings=");
    r.set_text_warnings = n ? atoi(n + strlen("set_text_warnings=")) : -1;
    r.child_orphaned = strstr(out, "orphaned=1") != nullptr;
    const char *w = strstr(out, "qt: QObject::setParent");
    if (w) {
        const char *end = strchr(w, '\n');
        std::string line = end ? std::string(w, size_t(end - w)) : std::string(w);
        copy_text(r.warning, sizeof r.warning, line.substr(4));
    }
#endif
    return r;
}

#ifdef CQT_PITFALLS_HAVE_WIDGETS
namespace {
// volatile: the stores must happen although nothing reads them back
QScreen *volatile pinned[16];
} // namespace
#endif

extern "C" void raw_pin_qt_screens(void)
{
#ifdef CQT_PITFALLS_HAVE_WIDGETS
    if (!qobject_cast<QGuiApplication *>(QCoreApplication::instance()))
        return;
    int i = 0;
    for (QScreen *s : QGuiApplication::screens()) {
        if (i == 16)
            break;
        pinned[i++] = s;
    }
#endif
}

namespace rawqt {
int child_p13_widgets_from_worker()
{
#ifdef CQT_PITFALLS_HAVE_WIDGETS
    child_print_messages();
    setenv("QT_QPA_PLATFORM", "offscreen", 1);
    int argc = 1;
    char arg0[] = "cqt-pitfall-child";
    char *argv[] = {arg0, nullptr};
    QApplication app(argc, argv);
    QLabel *label = new QLabel("main");
    label->show();
    QCoreApplication::processEvents();
    QLabel *orphan = nullptr;
    int before = 0, after = 0;
    bool ran = false;
    std::thread worker([&] {
        before = child_message_count();
        label->setText("from the worker"); // unchecked: just runs
        after = child_message_count();
        ran = label->text() == QLatin1String("from the worker");
        orphan = new QLabel("child", label); // Qt refuses the parent
    });
    worker.join();
    printf("set_text_ran=%d\n", ran ? 1 : 0);
    printf("set_text_warnings=%d\n", after - before);
    printf("orphaned=%d\n", orphan && !orphan->parent() ? 1 : 0);
    fflush(stdout);
    return 0;
#else
    return 125;
#endif
}
} // namespace rawqt
