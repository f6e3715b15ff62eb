/* SPDX-License-Identifier: MIT */
/* cqt-internal.h — the internals the core shares with cqt's other source
 * files: the shim itself, the pure-C modules of capi/src and
 * libcqt-widgets. C-compatible, never installed, the one header that
 * declares them. It points down only: public headers and libc.
 *
 * A module in capi/src may call the floor services (live counts, handle
 * names) and nothing else from here; everything else it needs
 * from the core is public (tests/headers/check-includes.sh keeps both
 * true). */
#ifndef CQT_INTERNAL_H
#define CQT_INTERNAL_H

#include <cqt/base.h>

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- floor services (error.cpp): the core and the C modules ---------- */

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

/* Writes a handle's name into @dst (@cap bytes, truncated, always
 * terminated): @src when it is non-empty, else "@prefix-@n". Without
 * snprintf: names are made for every object, signal, timer and worker.
 * Thread: any. */
void cqt__make_name(char *dst, size_t cap, const char *src, const char *prefix, uint64_t n);

/* ---- for libcqt-widgets (app.cpp) ------------------------------------ */

/* Makes cqt_app_init(CQT_APP_GUI) create the application through
 * @factory (a QApplication, which lives in QtWidgets: libcqt links QtCore
 * only). The one cqt__ symbol libcqt exports: libcqt-widgets calls it
 * across the library boundary, so it carries CQT_API and
 * tests/symbols/check-exports.sh lists it by name. Thread: main. */
CQT_API void cqt__app_set_gui_factory(void *(*factory)(int *argc, char **argv));

#ifdef __cplusplus
}
#endif

#endif /* CQT_INTERNAL_H */
