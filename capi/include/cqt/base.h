/* SPDX-License-Identifier: MIT */
/* cqt/base.h — status codes, common types and diagnostics shared by every
 * cqt module.
 *
 * Conventions used in every cqt header:
 *  - "Thread: any" means the function may be called from any thread,
 *    including plain pthreads cqt did not start, as long as no other thread
 *    frees the handle meanwhile (a freed handle is never safe to use: that
 *    is a use-after-free, not an error code). "Thread: owner" means only
 *    from the thread the handle lives in; other threads get
 *    CQT_EWRONGTHREAD. "Thread: main" means the thread that called
 *    cqt_app_init().
 *  - Fallible functions return int: CQT_OK (0) or a negative cqt_status.
 *    Constructors return NULL on failure. Either way cqt_last_error() then
 *    holds a message naming the object, its thread and the fix.
 *  - Ownership: "transfer full" means the caller owns the result and
 *    releases it with the named function; "transfer none" means the library
 *    keeps ownership and the pointer stays valid as stated.
 *  - Registrations take (fn, user_data, destroy); destroy, when not NULL,
 *    runs exactly once, also when the registration fails.
 */
#ifndef CQT_BASE_H
#define CQT_BASE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(CQT_BUILDING) && defined(__GNUC__)
#define CQT_API __attribute__((visibility("default")))
#else
#define CQT_API
#endif

#if defined(__GNUC__)
#define CQT_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#else
#define CQT_PRINTF(fmt, args)
#endif

/* One list yields the enum, cqt_strerror() and cqt_status_name(). */
#define CQT_STATUS_MAP(X)                                                      \
    X(OK, 0, "success")                                                        \
    X(EINVAL, -1, "invalid argument")                                          \
    X(EWRONGTHREAD, -2, "called from the wrong thread")                       \
    X(ENOLOOP, -3, "the thread runs no event loop")                           \
    X(ETIMEDOUT, -4, "timed out")                                              \
    X(ECANCELED, -5, "canceled")                                               \
    X(EDEADLK, -6, "the call would deadlock")                                  \
    X(ESTATE, -7, "not allowed in the current state")                         \
    X(ENOMEM, -8, "out of memory")                                             \
    X(ERANGE, -9, "value out of range")                                        \
    X(EFAULT, -10, "the device reported a fault")                             \
    X(EINTERNAL, -11, "internal error")

/* What a fallible call returns: CQT_OK (0) or a negative code;
 * cqt_strerror() and cqt_status_name() name it. */
typedef enum cqt_status {
#define CQT__STATUS_ENUM(name, value, text) CQT_##name = value,
    CQT_STATUS_MAP(CQT__STATUS_ENUM)
#undef CQT__STATUS_ENUM
    CQT__STATUS_LAST = -12
} cqt_status;

/* A timeout meaning "wait as long as it takes". Every other negative
 * timeout is CQT_EINVAL. */
#define CQT_FOREVER (-1)

/* Opaque handles. */
typedef struct cqt_thread cqt_thread;
typedef struct cqt_object cqt_object;
typedef struct cqt_signal cqt_signal;
typedef struct cqt_timer cqt_timer;
typedef struct cqt_event cqt_event;

/* A connection id: 64 bits, never reused in the life of the process;
 * 0 means failure. */
typedef uint64_t cqt_connection;

/* A plain callback: runs a piece of work with its user data. */
typedef void (*cqt_fn)(void *user_data);
/* Releases user data; runs exactly once when a registration ends. */
typedef void (*cqt_destroy_fn)(void *user_data);

/* cqt_strerror:
 * @status: a cqt_status.
 * Returns: a short static description ("timed out"); "unknown status" for
 * codes outside the list. Thread: any. Transfer none (static storage). */
CQT_API const char *cqt_strerror(int status);

/* cqt_status_name:
 * Returns: the code's name ("CQT_ETIMEDOUT"), or "CQT_UNKNOWN".
 * Thread: any. Transfer none (static storage). */
CQT_API const char *cqt_status_name(int status);

/* cqt_last_error:
 * Returns: the message of the last failure in the calling thread, naming
 * the object, its thread and the fix; "" when nothing failed yet. Only
 * failures write it; a success leaves it as it was.
 * Thread: any (thread-local). Transfer none: valid until the next cqt call
 * in this thread. */
CQT_API const char *cqt_last_error(void);

/* cqt_set_last_error:
 * Sets this thread's last-error message (printf format) and returns
 * @status unchanged, so modules built on cqt can report like cqt does:
 * `return cqt_set_last_error(CQT_EINVAL, "axis '%s': ...", name);`.
 * Thread: any. */
CQT_API int cqt_set_last_error(int status, const char *fmt, ...) CQT_PRINTF(2, 3);

/* cqt_now_ns:
 * The clock of every `*_ns` time cqt reports (axis and stage reports,
 * worker times): CLOCK_MONOTONIC, so it never jumps with the wall clock.
 * Compare those times with it, e.g. `cqt_now_ns() - status.command_ns`.
 * Returns: nanoseconds since an arbitrary fixed point (boot on Linux).
 * Thread: any; needs no application. */
CQT_API int64_t cqt_now_ns(void);

/* Severity of a message given to the message handler (Qt's QtMsgType). */
typedef enum cqt_msg_type {
    CQT_MSG_DEBUG = 0,
    CQT_MSG_WARNING = 1,
    CQT_MSG_CRITICAL = 2,
    CQT_MSG_FATAL = 3,
    CQT_MSG_INFO = 4
} cqt_msg_type;

/* A message handler. @category is "qt" for Qt's own messages (its
 * warnings about threads and timers), "cqt" or a module name otherwise. */
typedef void (*cqt_message_fn)(void *user_data, cqt_msg_type type,
                               const char *category, const char *message);

/* cqt_set_message_handler:
 * Routes Qt's warnings and cqt's own reports (for example an error no
 * handler took) to @fn. NULL restores the default, which writes
 * "cqt[category] message" lines to stderr. The previous handler's destroy
 * runs when it is replaced and no call into it is still running.
 * A Qt fatal message still aborts after the handler returns, as Qt does.
 * Thread: any; the handler runs in the thread that logged.
 * Returns: CQT_OK. */
CQT_API int cqt_set_message_handler(cqt_message_fn fn, void *user_data,
                                    cqt_destroy_fn destroy);

/* cqt_log:
 * Sends a message through the current message handler.
 * Thread: any. */
CQT_API void cqt_log(cqt_msg_type type, const char *category, const char *fmt, ...)
    CQT_PRINTF(3, 4);

/* Live handles owned by cqt, for leak tests. */
typedef struct cqt_live_counts {
    int64_t threads;     /* cqt_thread_new() handles not yet freed */
    int64_t objects;     /* cqt_object handles not yet released */
    int64_t timers;      /* cqt_timer handles and object timers */
    int64_t signal_handles; /* cqt_signal handles (not "signals": Qt defines that word as a macro) */
    int64_t connections; /* connections not yet released */
    int64_t events;      /* cqt_event handles */
    int64_t workers;     /* workers not yet released */
    int64_t pending;     /* queued deliveries not yet run or dropped */
} cqt_live_counts;

/* cqt_debug_live_counts:
 * Fills @out with the number of live handles of each kind. Deferred frees
 * (an object freed from a foreign thread) count until their owner thread
 * has run them. Thread: any. */
CQT_API void cqt_debug_live_counts(cqt_live_counts *out);

#ifdef __cplusplus
}
#endif

#endif /* CQT_BASE_H */
