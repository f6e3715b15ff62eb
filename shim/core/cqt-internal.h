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

/* ---- from libcqt-widgets (app.cpp) ---------------------------------- */

/* cqt_app_init(CQT_APP_GUI) must create a QApplication, which lives in
 * QtWidgets; libcqt links QtCore only. libcqt-widgets hands its factory
 * over through Qt's type registry, which both libraries share, instead of
 * an exported cqt__ function (an export is ABI any user could call, and
 * libcqt exports nothing but its public API): as it is loaded (and again
 * in cqt_widgets_init) it registers a C++ type under the name
 * CQT__GUI_FACTORY_TYPE whose default-constructed value is a
 * cqt__gui_factory holding its factory. cqt_app_init looks the name up
 * (cqt::metatype_create, qt-compat.h); no such type means libcqt-widgets
 * is not loaded. @make returns a QCoreApplication * (the QApplication) or
 * NULL; it is called in the main thread only. */
#define CQT__GUI_FACTORY_TYPE "cqt::GuiAppFactory"
struct cqt__gui_factory {
    void *(*make)(int *argc, char **argv);
};

#ifdef __cplusplus
}
#endif

#endif /* CQT_INTERNAL_H */
