/* cqt-private.h — internals shared between cqt's own source files (C and
 * the C++ shim). Never installed; nothing here is exported. */
#ifndef CQT_PRIVATE_H
#define CQT_PRIVATE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Kinds counted by cqt_debug_live_counts(). */
enum cqt__live_kind {
    CQT__LIVE_THREADS,
    CQT__LIVE_OBJECTS,
    CQT__LIVE_TIMERS,
    CQT__LIVE_SIGNALS,
    CQT__LIVE_CONNECTIONS,
    CQT__LIVE_EVENTS,
    CQT__LIVE_WORKERS,
    CQT__LIVE_PENDING,
    CQT__LIVE_N
};

/* Adds @delta to the live count of @kind. Thread: any. */
void cqt__live_add(int kind, int64_t delta);

/* Keeps @o's handle readable after cqt_object_free() until the matching
 * unref: calls on it then fail with "was freed" (and a queued call's
 * destroy runs) instead of reading freed memory. For modules that hold a
 * receiver across an unbounded wait. Thread: any. */
struct cqt_object;
void cqt__object_ref(struct cqt_object *o);
void cqt__object_unref(struct cqt_object *o);

/* Writes a handle's name into @dst (@cap bytes, truncated, always
 * terminated): @src when it is non-empty, else "@prefix-@n". Without
 * snprintf: names are made for every object, signal, timer and worker.
 * Thread: any. */
void cqt__make_name(char *dst, size_t cap, const char *src, const char *prefix, uint64_t n);

/* Monotonic clock in nanoseconds. Thread: any. */
int64_t cqt__now_ns(void);

/* The running application's generation: a number that differs for every
 * cqt_app_init(); 0 when no application runs. A module stores it with a
 * handle to refuse the handle in a later application. Thread: any. */
uint64_t cqt__app_generation(void);

#ifdef __cplusplus
}
#endif

#endif /* CQT_PRIVATE_H */
