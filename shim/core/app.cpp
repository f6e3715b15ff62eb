// SPDX-License-Identifier: MIT
// app.cpp — the application object, the main loop and shutdown.
//
// Lifecycle (one application at a time, per process):
//
//   None/Shutdown --init--> Running --shutdown--> Closing --ok--> Shutdown
//                                                    |
//                                                    +--timed out--> Running
//
// None/Shutdown: only cqt_app_init (and the calls documented to work
//   without an app: quit is ignored, others return CQT_ESTATE) — handles
//   from a previous application stay valid to free, and every other call
//   on them returns CQT_ESTATE (their generation is not the current one).
// Running: init refuses; any thread may use cqt. The main thread (the one
//   that called init) alone runs exec, process_events and shutdown.
// Closing (cqt_app_shutdown runs, in main): cqt_app_is_running() is still
//   true and calls on live handles work (hooks and the final drain need
//   them), but starts are refused with CQT_ESTATE — cqt_thread_start and
//   cqt_pool_run, hence cqt_worker_start — so everything shutdown waits
//   for was begun before it, and its timeout bounds the whole call. Hooks
//   added while the hooks run (from a hook, or any thread) run in this
//   shutdown; once the hooks are done, adding one is refused (CQT_ESTATE,
//   its destroy runs at once). A shutdown that times out returns to
//   Running: starts and hooks are accepted again.
//
// From inside the application's own callbacks (a hook, a delivery or timer
// run by exec, process_events or shutdown's final drain), cqt_app_shutdown
// is refused with CQT_ESTATE: the loop or shutdown under way still uses the
// application. cqt_app_quit from there is fine (any thread, any time).
#include "shim-private.h"
#include "qt-compat.h"

#include <QtCore/QDeadlineTimer>
#include <QtCore/QEventLoop>
#include <QtCore/QTimer>

#include <climits>
#include <string>

namespace cqt {

App g_app;
void qt_message_bridge(QtMsgType type, const QMessageLogContext &ctx, const QString &msg);

bool require_app(const char *fn)
{
    if (app_running())
        return true;
    fail(CQT_ESTATE,
         "%s: no application; call cqt_app_init first (and again after cqt_app_shutdown)", fn);
    return false;
}

bool is_main_thread()
{
    cqt_thread *t = current_thread_if_any();
    return t && t == g_app.main;
}

} // namespace cqt

namespace {

using namespace cqt;

struct Hook {
    cqt_shutdown_fn fn;
    void *user_data;
    cqt_destroy_fn destroy;
};
std::vector<Hook> g_hooks; // guarded by g_app.mu
// Guarded by g_app.mu: Open, or Running while cqt_app_shutdown runs the
// hooks (a hook added now runs in this shutdown), or Closed after that
// until shutdown returns (a hook added now could never run: refused).
enum class HookPhase { Open, Running, Closed };
HookPhase g_hook_phase = HookPhase::Open;

// libcqt-widgets' QApplication factory, or nullptr when it is not loaded:
// found in Qt's type registry, not through an exported symbol
// (cqt-internal.h says why).
using gui_factory_fn = void *(*)(int *argc, char **argv);
gui_factory_fn find_gui_factory()
{
    void *p = metatype_create(CQT__GUI_FACTORY_TYPE);
    if (!p)
        return nullptr;
    gui_factory_fn make = static_cast<cqt__gui_factory *>(p)->make;
    metatype_destroy(CQT__GUI_FACTORY_TYPE, p);
    return make;
}
QtMessageHandler g_prev_handler = nullptr;

int fallback_argc = 1;
char fallback_arg0[] = "cqt";
char *fallback_argv[] = {fallback_arg0, nullptr};

int64_t ms_left(int64_t deadline_ns)
{
    if (deadline_ns == INT64_MAX)
        return INT_MAX;
    int64_t left = (deadline_ns - cqt_now_ns()) / 1000000;
    return left < 0 ? 0 : left;
}

void quit_run(void *)
{
    if (g_app.in_exec && g_app.quit_pending.load())
        QCoreApplication::exit(g_app.quit_code.load());
}

} // namespace

extern "C" {

int cqt_app_init(int *argc, char **argv, unsigned flags)
{
    return guard("cqt_app_init", int(CQT_EINTERNAL), [&]() -> int {
        // Claim the init without holding a lock while Qt (and, for a GUI,
        // the platform plugin) starts: their warnings reach the message
        // handler, which may call back into cqt.
        bool claimed = false;
        {
            std::lock_guard<std::mutex> lk(g_app.mu);
            if (!app_running() && !g_app.initializing) {
                g_app.initializing = true;
                claimed = true;
            }
        }
        if (!claimed)
            return fail(CQT_ESTATE, "cqt_app_init: an application exists already (one per "
                                    "process); call cqt_app_shutdown before a new init");
        struct Unclaim {
            ~Unclaim()
            {
                std::lock_guard<std::mutex> lk(g_app.mu);
                g_app.initializing = false;
            }
        } unclaim;
        if (flags & ~unsigned(CQT_APP_GUI))
            return fail(CQT_EINVAL, "cqt_app_init: unknown flags 0x%x; use CQT_APP_CORE or "
                                    "CQT_APP_GUI",
                        flags);
        gui_factory_fn gui_factory = (flags & CQT_APP_GUI) ? find_gui_factory() : nullptr;
        if ((flags & CQT_APP_GUI) && !gui_factory)
            return fail(CQT_EINVAL, "cqt_app_init: CQT_APP_GUI needs libcqt-widgets; link it "
                                    "(pkg-config cqt-widgets) or pass CQT_APP_CORE");
        if (QCoreApplication::instance())
            return fail(CQT_ESTATE, "cqt_app_init: a Qt application was created outside cqt; "
                                    "cqt must create it");
        if (!argc || !argv || *argc < 1) {
            argc = &fallback_argc;
            argv = fallback_argv;
        }
        g_app.gen.fetch_add(1);
        g_prev_handler = qInstallMessageHandler(qt_message_bridge);
        if (flags & CQT_APP_GUI)
            g_app.qapp = static_cast<QCoreApplication *>(gui_factory(argc, argv));
        else
            g_app.qapp = new QCoreApplication(*argc, argv);
        if (!g_app.qapp) {
            qInstallMessageHandler(g_prev_handler);
            return fail(CQT_EINTERNAL, "cqt_app_init: Qt could not create the application "
                                       "(no display for CQT_APP_GUI? try QT_QPA_PLATFORM=offscreen)");
        }
        g_app.main = make_main_thread(g_app.qapp->thread());
        pool_create();
        g_app.quit_pending.store(false);
        g_app.in_exec = false;
        g_app.in_shutdown = false;
        g_app.loop_depth = 0;
        g_app.closing.store(false);
        {
            std::lock_guard<std::mutex> lk(g_app.mu);
            g_hook_phase = HookPhase::Open;
        }
        g_app.state.store(int(AppState::Running), std::memory_order_release);
        return int(CQT_OK);
    });
}

bool cqt_app_is_running(void)
{
    return app_running();
}

int cqt_app_exec(void)
{
    return guard("cqt_app_exec", int(CQT_EINTERNAL), [&]() -> int {
        if (!require_app("cqt_app_exec"))
            return CQT_ESTATE;
        if (!is_main_thread())
            return fail(CQT_EWRONGTHREAD, "cqt_app_exec: called from thread '%s'; the main loop "
                                          "runs only in the thread that called cqt_app_init",
                        current_thread() ? current_thread()->name : "?");
        if (g_app.in_exec)
            return fail(CQT_ESTATE, "cqt_app_exec: the main loop is running already");
        if (g_app.quit_pending.exchange(false))
            return g_app.quit_code.load();
        g_app.in_exec = true;
        int rc = QCoreApplication::exec();
        g_app.in_exec = false;
        g_app.quit_pending.store(false);
        return rc;
    });
}

void cqt_app_quit(int exit_code)
{
    guard_void("cqt_app_quit", [&] {
        // Any thread, also while main shuts the application down: the main
        // context is taken with a reference under g_app.mu, which shutdown
        // holds when it marks the application gone (before releasing it).
        cqt_thread *m;
        {
            std::lock_guard<std::mutex> lk(g_app.mu);
            if (!app_running())
                return;
            m = g_app.main;
            thread_ref(m);
        }
        bool expected = false;
        if (g_app.quit_pending.compare_exchange_strong(expected, true)) {
            g_app.quit_code.store(exit_code);
            Delivery d{};
            d.kind = kInternal;
            d.internal.run = quit_run;
            d.internal.drop = nullptr;
            d.internal.arg = nullptr;
            bool wake = false;
            {
                std::lock_guard lk(m->mu);
                if (enqueue_locked(m, d, false, wake) != CQT_OK)
                    wake = false;
            }
            if (wake)
                post_wake(m);
        } // else coalesced: the first code wins
        thread_unref(m);
    });
}

int cqt_app_process_events(int max_ms)
{
    return guard("cqt_app_process_events", int(CQT_EINTERNAL), [&]() -> int {
        if (!require_app("cqt_app_process_events"))
            return CQT_ESTATE;
        if (max_ms < 0)
            return fail(CQT_EINVAL, "cqt_app_process_events: %d ms is negative; pass 0 or more",
                        max_ms);
        cqt_thread *t = current_thread();
        if (t->kind == ThreadKind::Adopted)
            return fail(CQT_ENOLOOP, "cqt_app_process_events: thread '%s' runs no event loop; "
                                     "call it from the main thread or inside a cqt thread",
                        t->name);
        wake_nested_loop(t);
        struct Depth {
            bool main = is_main_thread();
            Depth() { if (main) g_app.loop_depth++; }
            ~Depth() { if (main) g_app.loop_depth--; }
        } depth;
        if (max_ms == 0) {
            QCoreApplication::processEvents(QEventLoop::AllEvents);
            return int(CQT_OK);
        }
        QEventLoop loop;
        QTimer::singleShot(max_ms, Qt::PreciseTimer, &loop, &QEventLoop::quit);
        loop.exec();
        return int(CQT_OK);
    });
}

int cqt_app_add_shutdown_hook(cqt_shutdown_fn fn, void *user_data, cqt_destroy_fn destroy)
{
    int rc = guard("cqt_app_add_shutdown_hook", int(CQT_EINTERNAL), [&]() -> int {
        if (!require_app("cqt_app_add_shutdown_hook"))
            return CQT_ESTATE;
        if (!fn)
            return fail(CQT_EINVAL, "cqt_app_add_shutdown_hook: fn is NULL; pass the hook");
        std::lock_guard<std::mutex> lk(g_app.mu);
        if (g_hook_phase == HookPhase::Closed)
            return fail(CQT_ESTATE,
                        "cqt_app_add_shutdown_hook: the application is shutting down and its "
                        "hooks have run, so this one never would; stop what it would stop now, "
                        "or add hooks before cqt_app_shutdown");
        g_hooks.push_back(Hook{fn, user_data, destroy});
        destroy = nullptr;
        return int(CQT_OK);
    });
    if (rc != CQT_OK && destroy)
        destroy(user_data);
    return rc;
}

int cqt_app_shutdown(int timeout_ms)
{
    return guard("cqt_app_shutdown", int(CQT_EINTERNAL), [&]() -> int {
        static const char fn[] = "cqt_app_shutdown";
        if (!require_app(fn))
            return CQT_ESTATE;
        if (!is_main_thread())
            return fail(CQT_EWRONGTHREAD, "%s: call it from the main thread (the one that called "
                                          "cqt_app_init)", fn);
        // Re-entry would tear the application down under the loop or the
        // shutdown that is using it (the main context released twice, the
        // application deleted inside exec's dispatcher).
        if (g_app.in_shutdown)
            return fail(CQT_ESTATE, "%s: called from inside cqt_app_shutdown (a shutdown hook, or "
                                    "a call its final drain runs); the shutdown under way goes "
                                    "on after you return",
                        fn);
        if (g_app.in_exec)
            return fail(CQT_ESTATE, "%s: called from a callback run by cqt_app_exec; call "
                                    "cqt_app_quit there and cqt_app_shutdown after cqt_app_exec "
                                    "returns",
                        fn);
        // loopLevel: any other QEventLoop running in main (a module's
        // nested loop), whose timers and deliveries may call us.
        if (g_app.loop_depth > 0 || g_app.main->depth > 0 ||
            QThread::currentThread()->loopLevel() > 0)
            return fail(CQT_ESTATE, "%s: called from a callback run by cqt_app_process_events "
                                    "(or another loop or a delivery in main); return from it "
                                    "and call cqt_app_shutdown after the loop returns",
                        fn);
        if (timeout_ms < 0 && timeout_ms != CQT_FOREVER)
            return fail(CQT_EINVAL, "%s: timeout %d ms is negative; pass milliseconds >= 0 or "
                                    "CQT_FOREVER", fn, timeout_ms);
        int64_t deadline = timeout_ms == CQT_FOREVER ? INT64_MAX
                                                     : cqt_now_ns() + int64_t(timeout_ms) * 1000000;
        std::string stragglers;
        auto add = [&](const std::string &s) {
            if (!stragglers.empty())
                stragglers += "; ";
            stragglers += s;
        };

        // Closing: from here on nothing new starts (see the top of the file).
        struct InShutdown {
            InShutdown()
            {
                g_app.in_shutdown = true;
                g_app.closing.store(true);
                pool_set_open(false);
                std::lock_guard<std::mutex> lk(g_app.mu);
                g_hook_phase = HookPhase::Running;
            }
            ~InShutdown()
            {
                g_app.in_shutdown = false;
                if (!app_running())
                    return;
                // Timed out: the application is kept and runs as before.
                {
                    std::lock_guard<std::mutex> lk(g_app.mu);
                    g_hook_phase = HookPhase::Open;
                }
                pool_set_open(true);
                g_app.closing.store(false);
            }
        } in_shutdown;

        // Hooks, newest first; hooks they (or other threads) add meanwhile
        // run after them, unless one failed: then the application is kept
        // and the late ones stay registered for the next shutdown.
        bool hook_failed = false;
        for (;;) {
            std::vector<Hook> hooks;
            {
                std::lock_guard<std::mutex> lk(g_app.mu);
                if (hook_failed || g_hooks.empty()) {
                    g_hook_phase = HookPhase::Closed;
                    break;
                }
                hooks.swap(g_hooks);
            }
            for (auto it = hooks.rbegin(); it != hooks.rend(); ++it) {
                int rc = it->fn(it->user_data, int(ms_left(deadline)));
                if (rc != CQT_OK) {
                    hook_failed = true;
                    add(cqt_last_error());
                }
                if (it->destroy)
                    it->destroy(it->user_data);
            }
        }

        std::vector<cqt_thread *> threads = registry_snapshot();
        for (auto *t : threads)
            if (t->kind == ThreadKind::Cqt && t->qthread)
                exit_loop(t, 0);
        for (auto *t : threads) {
            if (t->kind == ThreadKind::Cqt && t->qthread) {
                int64_t left = ms_left(deadline);
                bool done = deadline == INT64_MAX ? t->qthread->wait()
                                                  : t->qthread->wait(QDeadlineTimer(left));
                if (done)
                    CQT_TSAN_ACQUIRE(t);
                if (!done) {
                    add(std::string("thread '") + t->name + "' (a callback there did not return)");
                } else {
                    // Its OS thread is gone from the process when we return.
                    join_os_threads(t);
                    if (t->free_on_finish && !t->user_freed) {
                        t->user_freed = true;
                        release_finished_thread(t);
                    }
                }
            }
            thread_unref(t);
        }
        if (int busy = pool_wait_done(deadline))
            add(std::to_string(busy) + " pool task(s) still running");
        if (!stragglers.empty())
            return fail(CQT_ETIMEDOUT,
                        "%s: not stopped within %d ms: %s. The application is kept; make the "
                        "stragglers return (check cqt_worker_abort_requested in long loops) and "
                        "call cqt_app_shutdown again",
                        fn, timeout_ms, stragglers.c_str());

        // Everything else has stopped: run what is queued to main (starts
        // there are refused, so nothing new is left to wait for), then
        // tear Qt down.
        cqt_thread *m = g_app.main;
        finish_main_thread(m);
        pool_destroy(); // idle and closed: returns at once
        {
            std::lock_guard<std::mutex> lk(g_app.mu);
            g_app.state.store(int(AppState::Shutdown), std::memory_order_release);
        }
        delete g_app.qapp;
        g_app.qapp = nullptr;
        qInstallMessageHandler(g_prev_handler);
        g_app.main = nullptr;
        set_current_thread(nullptr);
        thread_unref(m);
        return int(CQT_OK);
    });
}

uint64_t cqt_app_generation(void)
{
    return app_running() ? g_app.gen.load() : 0;
}

} // extern "C"
