// SPDX-License-Identifier: MIT
// error.cpp — status codes, the thread-local last error, the message
// handler (Qt's warnings included) and the live-handle counters.
#include "shim-private.h"

#include <QtCore/QtGlobal>

#include <cstdio>
#include <cstring>
#include <ctime>
#include <memory>

namespace {

thread_local char tls_error[512];

std::atomic<int64_t> g_live[CQT__LIVE_N];

// The installed handler; replaced as a whole so a call in flight keeps the
// record it started with (shared_ptr), and destroy runs after the last one.
struct Handler {
    cqt_message_fn fn = nullptr;
    void *user_data = nullptr;
    cqt_destroy_fn destroy = nullptr;
    ~Handler()
    {
        if (destroy)
            destroy(user_data);
    }
};
std::mutex g_handler_mu;
std::shared_ptr<Handler> g_handler;

const char *type_word(cqt_msg_type type)
{
    switch (cqt::enum_int(type)) {
    case CQT_MSG_DEBUG: return "debug";
    case CQT_MSG_INFO: return "info";
    case CQT_MSG_WARNING: return "warning";
    case CQT_MSG_CRITICAL: return "critical";
    case CQT_MSG_FATAL: return "fatal";
    }
    return "message";
}

} // namespace

namespace cqt {

int vfail(int status, const char *fmt, va_list ap)
{
    // Formatted aside first: an argument may be cqt_last_error() itself
    // ("...: %s", cqt_last_error()), which writing in place would garble.
    char buf[sizeof tls_error];
    vsnprintf(buf, sizeof buf, fmt, ap);
    memcpy(tls_error, buf, sizeof buf);
    return status;
}

int fail(int status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfail(status, fmt, ap);
    va_end(ap);
    return status;
}

void copy_name(char (&dst)[kNameMax], const char *src, const char *prefix, uint64_t n)
{
    cqt__make_name(dst, kNameMax, src, prefix, n);
}

void log_message(cqt_msg_type type, const char *category, const char *message)
{
    std::shared_ptr<Handler> h;
    {
        std::lock_guard<std::mutex> lk(g_handler_mu);
        h = g_handler;
    }
    if (h && h->fn) {
        h->fn(h->user_data, type, category ? category : "cqt", message ? message : "");
        return;
    }
    fprintf(stderr, "cqt[%s] %s: %s\n", category ? category : "cqt", type_word(type),
            message ? message : "");
}

} // namespace cqt

extern "C" {

void cqt__live_add(int kind, int64_t delta)
{
    if (kind >= 0 && kind < CQT__LIVE_N)
        g_live[kind].fetch_add(delta, std::memory_order_relaxed);
}

void cqt__make_name(char *dst, size_t cap, const char *src, const char *prefix, uint64_t n)
{
    if (cap == 0)
        return;
    if (src && *src) {
        size_t len = strnlen(src, cap - 1);
        memcpy(dst, src, len);
        dst[len] = 0;
        return;
    }
    char digits[24];
    size_t nd = 0;
    do {
        digits[nd++] = char('0' + n % 10);
        n /= 10;
    } while (n);
    size_t len = strnlen(prefix, cap - 1);
    memcpy(dst, prefix, len);
    if (len + 1 + nd < cap) {
        dst[len++] = '-';
        while (nd)
            dst[len++] = digits[--nd];
    }
    dst[len] = 0;
}

int64_t cqt_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return int64_t(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}


const char *cqt_strerror(int status)
{
    switch (status) {
#define CQT__STATUS_TEXT(name, value, text) \
    case value: return text;
        CQT_STATUS_MAP(CQT__STATUS_TEXT)
#undef CQT__STATUS_TEXT
    }
    return "unknown status";
}

const char *cqt_status_name(int status)
{
    switch (status) {
#define CQT__STATUS_NAME(name, value, text) \
    case value: return "CQT_" #name;
        CQT_STATUS_MAP(CQT__STATUS_NAME)
#undef CQT__STATUS_NAME
    }
    return "CQT_UNKNOWN";
}

const char *cqt_last_error(void)
{
    return tls_error;
}

int cqt_set_last_error(int status, const char *fmt, ...)
{
    if (!fmt) {
        tls_error[0] = '\0';
        return status;
    }
    va_list ap;
    va_start(ap, fmt);
    cqt::vfail(status, fmt, ap);
    va_end(ap);
    return status;
}

int cqt_set_message_handler(cqt_message_fn fn, void *user_data, cqt_destroy_fn destroy)
{
    return cqt::guard("cqt_set_message_handler", int(CQT_ENOMEM), [&] {
        std::shared_ptr<Handler> h;
        if (fn) {
            try {
                h = std::make_shared<Handler>();
            } catch (...) {
                if (destroy)
                    destroy(user_data);
                throw;
            }
            h->fn = fn;
            h->user_data = user_data;
            h->destroy = destroy;
        } else if (destroy) {
            destroy(user_data); // nothing to register: release at once
        }
        std::shared_ptr<Handler> old;
        {
            std::lock_guard<std::mutex> lk(g_handler_mu);
            old = std::move(g_handler);
            g_handler = std::move(h);
        }
        old.reset(); // the old destroy runs here or after its last call
        return int(CQT_OK);
    });
}

void cqt_log(cqt_msg_type type, const char *category, const char *fmt, ...)
{
    char buf[1024];
    if (!fmt)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    int t = cqt::enum_int(type);
    if (t < CQT_MSG_DEBUG || t > CQT_MSG_INFO)
        t = CQT_MSG_WARNING; // an unknown severity is still reported
    cqt::guard_void("cqt_log", [&] { cqt::log_message(cqt_msg_type(t), category, buf); });
}

void cqt_debug_live_counts(cqt_live_counts *out)
{
    if (!out)
        return;
    out->threads = g_live[CQT__LIVE_THREADS].load();
    out->objects = g_live[CQT__LIVE_OBJECTS].load();
    out->timers = g_live[CQT__LIVE_TIMERS].load();
    out->signal_handles = g_live[CQT__LIVE_SIGNALS].load();
    out->connections = g_live[CQT__LIVE_CONNECTIONS].load();
    out->events = g_live[CQT__LIVE_EVENTS].load();
    out->workers = g_live[CQT__LIVE_WORKERS].load();
    out->pending = cqt::guard("cqt_debug_live_counts", int64_t(-1),
                              [] { return cqt::registry_pending(); });
}

} // extern "C"

namespace cqt {

void io_qt_warning(const char *msg); // io.cpp

// Qt's messages reach the C handler with category "qt".
void qt_message_bridge(QtMsgType type, const QMessageLogContext &, const QString &msg)
{
    cqt_msg_type t = CQT_MSG_DEBUG;
    switch (type) {
    case QtDebugMsg: t = CQT_MSG_DEBUG; break;
    case QtInfoMsg: t = CQT_MSG_INFO; break;
    case QtWarningMsg: t = CQT_MSG_WARNING; break;
    case QtCriticalMsg: t = CQT_MSG_CRITICAL; break;
    case QtFatalMsg: t = CQT_MSG_FATAL; break;
    }
    try {
        QByteArray utf8 = msg.toUtf8();
        if (t == CQT_MSG_WARNING)
            io_qt_warning(utf8.constData()); // a closed fd under a watch (io.cpp)
        log_message(t, "qt", utf8.constData());
    } catch (...) {
        // A message handler must not throw into Qt.
    }
}

} // namespace cqt
