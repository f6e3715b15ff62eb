// SPDX-License-Identifier: MIT
// raw-common.cpp — the helpers every raw-Qt reproduction shares: an
// application scope, message capture, a main-loop heartbeat, and child
// processes for scenarios that deadlock, abort or are undefined.
#include "raw-private.h"
#include "proc-threads.h"

#include <QtCore/QElapsedTimer>
#include <QtCore/QEventLoop>
#include <QtCore/QTimer>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>

extern char **environ;

namespace rawqt {

int64_t now_ms()
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return int64_t(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

namespace {
int app_argc = 1;
char app_arg0[] = "cqt-pitfalls-raw";
char *app_argv[] = {app_arg0, nullptr};
} // namespace

AppScope::AppScope()
{
    if (!QCoreApplication::instance())
        own_ = new QCoreApplication(app_argc, app_argv);
}

AppScope::~AppScope()
{
    delete own_;
}

namespace {
std::mutex capture_mu;
std::vector<std::string> capture_lines;
QtMessageHandler capture_prev = nullptr;

void capture_handler(QtMsgType, const QMessageLogContext &, const QString &msg)
{
    std::lock_guard<std::mutex> lk(capture_mu);
    capture_lines.push_back(msg.toStdString());
}
} // namespace

Capture::Capture()
{
    {
        std::lock_guard<std::mutex> lk(capture_mu);
        capture_lines.clear();
    }
    capture_prev = qInstallMessageHandler(capture_handler);
}

Capture::~Capture()
{
    qInstallMessageHandler(capture_prev);
}

std::vector<std::string> Capture::lines() const
{
    std::lock_guard<std::mutex> lk(capture_mu);
    return capture_lines;
}

int Capture::count() const
{
    std::lock_guard<std::mutex> lk(capture_mu);
    return int(capture_lines.size());
}

std::string Capture::find(const char *needle) const
{
    std::lock_guard<std::mutex> lk(capture_mu);
    for (const auto &l : capture_lines)
        if (l.find(needle) != std::string::npos)
            return l;
    return std::string();
}

bool run_loop_until(const std::function<bool()> &done, int timeout_ms)
{
    int64_t end = now_ms() + timeout_ms;
    while (!done()) {
        int64_t left = end - now_ms();
        if (left <= 0)
            break;
        // A slice of the loop, ended by a timer: the condition is checked
        // at least every 5 ms while events keep being processed.
        QEventLoop loop;
        QTimer::singleShot(int(left < 5 ? left : 5), Qt::PreciseTimer, &loop, &QEventLoop::quit);
        loop.exec();
    }
    return done();
}

Heartbeat::Heartbeat() : timer_(new QTimer)
{
    timer_->setTimerType(Qt::PreciseTimer);
    timer_->setInterval(10);
    last_ = now_ms();
    QObject::connect(timer_, &QTimer::timeout, [this] {
        int64_t t = now_ms();
        if (t - last_ > max_gap_)
            max_gap_ = t - last_;
        last_ = t;
        ticks_++;
    });
    timer_->start();
}

Heartbeat::~Heartbeat()
{
    delete timer_;
}

void track_end(QThread *t)
{
    // direct: runs in the ending thread, after everything it ran
    QObject::connect(t, &QThread::finished, [t] { RAW_TSAN_RELEASE(t); });
}

bool join(QThread *t, unsigned long ms)
{
    bool done = t->wait(ms);
    if (done)
        RAW_TSAN_ACQUIRE(t);
    return done;
}

int64_t busy_work(int ms)
{
    int64_t start = now_ms();
    volatile uint64_t x = 1;
    while (now_ms() - start < ms)
        for (int i = 0; i < 1000; i++)
            x = x * 6364136223846793005ull + 1;
    return now_ms() - start;
}

int process_thread_count()
{
    return proc_thread_count(NULL);
}

int settled_thread_count()
{
    return proc_thread_count_settled(2000);
}

void copy_text(char *dst, size_t n, const std::string &s)
{
    if (!n)
        return;
    size_t len = s.size() < n - 1 ? s.size() : n - 1;
    memcpy(dst, s.data(), len);
    dst[len] = '\0';
}

raw_child run_child(const char *scenario, int deadline_ms, bool tsan_quiet, const char *marker,
                    int after_marker_ms)
{
    raw_child r;
    memset(&r, 0, sizeof r);
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0)
        return r;

    // The child's environment: ours plus the scenario's name.
    std::string var = std::string("CQT_PITFALL_CHILD=") + scenario;
    const char *tsan = getenv("TSAN_OPTIONS");
    std::string tsan_var = std::string("TSAN_OPTIONS=") + (tsan ? tsan : "") + ":report_bugs=0";
    bool quiet = tsan_quiet && RAW_UNDER_TSAN;
    std::vector<char *> env;
    for (char **e = environ; *e; e++)
        if (strncmp(*e, "CQT_PITFALL_CHILD=", 18) != 0 &&
            !(quiet && strncmp(*e, "TSAN_OPTIONS=", 13) == 0))
            env.push_back(*e);
    env.push_back(const_cast<char *>(var.c_str()));
    if (quiet)
        env.push_back(const_cast<char *>(tsan_var.c_str()));
    env.push_back(nullptr);

    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
    posix_spawn_file_actions_adddup2(&fa, fds[1], 2);
    char arg0[] = "cqt-pitfall-child";
    char *argv[] = {arg0, nullptr};
    pid_t pid;
    int64_t start = now_ms();
    // The path, not /proc/self/exe itself: under valgrind that link names
    // valgrind's tool, while readlink() on it is answered with ours.
    char exe[4096];
    ssize_t exe_len = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (exe_len <= 0)
        exe_len = ssize_t(snprintf(exe, sizeof exe, "/proc/self/exe"));
    exe[exe_len] = '\0';
    int rc = posix_spawn(&pid, exe, &fa, nullptr, argv, env.data());
    posix_spawn_file_actions_destroy(&fa);
    close(fds[1]);
    if (rc != 0) {
        close(fds[0]);
        return r;
    }
    r.spawned = true;

    // Read its output until it closes the pipe or the deadline passes.
    size_t len = 0;
    bool open_pipe = true;
    int64_t deadline = start + deadline_ms;
    while (open_pipe) {
        if (marker && deadline == start + deadline_ms) {
            r.output[len] = '\0';
            if (strstr(r.output, marker) && now_ms() + after_marker_ms < deadline)
                deadline = now_ms() + after_marker_ms;
        }
        int64_t left = deadline - now_ms();
        if (left <= 0)
            break;
        struct pollfd p = {fds[0], POLLIN, 0};
        int n = poll(&p, 1, int(left));
        if (n <= 0)
            continue;
        char buf[1024];
        ssize_t got = read(fds[0], buf, sizeof buf);
        if (got <= 0) {
            open_pipe = false;
            break;
        }
        size_t room = sizeof r.output - 1 - len;
        size_t take = size_t(got) < room ? size_t(got) : room;
        memcpy(r.output + len, buf, take);
        len += take;
    }
    r.output[len] = '\0';

    int status = 0;
    pid_t done = 0;
    // The pipe closed: the child is exiting; give it the rest of the deadline.
    while ((done = waitpid(pid, &status, WNOHANG)) == 0 && now_ms() < deadline) {
        struct timespec ts = {0, 2000000};
        nanosleep(&ts, nullptr);
    }
    if (done == 0) {
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
        r.killed = true;
    } else {
        r.finished = true;
    }
    r.elapsed_ms = now_ms() - start;
    // Output written between the deadline and the kill.
    for (;;) {
        struct pollfd p = {fds[0], POLLIN, 0};
        if (poll(&p, 1, 0) <= 0)
            break;
        char buf[1024];
        ssize_t got = read(fds[0], buf, sizeof buf);
        if (got <= 0)
            break;
        size_t room = sizeof r.output - 1 - len;
        size_t take = size_t(got) < room ? size_t(got) : room;
        memcpy(r.output + len, buf, take);
        len += take;
    }
    r.output[len] = '\0';
    close(fds[0]);
    if (r.finished) {
        if (WIFEXITED(status))
            r.exit_code = WEXITSTATUS(status);
        else if (WIFSIGNALED(status))
            r.term_signal = WTERMSIG(status);
    }
    return r;
}

namespace {
std::atomic<int> child_messages{0};

void child_handler(QtMsgType, const QMessageLogContext &, const QString &msg)
{
    child_messages++;
    std::string s = "qt: " + msg.toStdString() + "\n";
    (void)!write(1, s.data(), s.size());
}
} // namespace

void child_print_messages()
{
    qInstallMessageHandler(child_handler);
}

int child_message_count()
{
    return child_messages.load();
}

extern "C" int raw_qt_major(void)
{
    return QT_VERSION_MAJOR;
}

extern "C" const char *raw_qt_description(void)
{
    static char text[96];
    snprintf(text, sizeof text, "built against Qt %s, running on Qt %s", QT_VERSION_STR,
             qVersion());
    return text;
}

namespace {
// The dispatcher: in a child started by run_child(), run the scenario and
// leave before main() (and before any test runner) starts.
__attribute__((constructor)) void child_dispatch()
{
    const char *name = getenv("CQT_PITFALL_CHILD");
    if (!name)
        return;
    std::string which = name;
    unsetenv("CQT_PITFALL_CHILD");
    int rc = 125;
    if (which == "p11")
        rc = child_p11_destroy_running_thread();
    else if (which == "p12")
        rc = child_p12_blocking_queued_deadlock();
    else if (which == "p13")
        rc = child_p13_widgets_from_worker();
    else
        fprintf(stderr, "cqt-pitfall-child: unknown scenario '%s'\n", which.c_str());
    fflush(stdout);
    fflush(stderr);
    _exit(rc);
}
} // namespace

} // namespace rawqt
