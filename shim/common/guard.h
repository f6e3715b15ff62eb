/* SPDX-License-Identifier: MIT */
// guard.h — the exception barrier shared by the C++ shims (libcqt and
// libcqt-widgets). C++17, never installed. No C++ exception may cross into
// C: guard() runs a function body and turns whatever it throws into a
// status and a last-error message, through the public cqt_set_last_error()
// so that a library outside libcqt reports exactly as libcqt does.
#ifndef CQT_SHIM_GUARD_H
#define CQT_SHIM_GUARD_H

#include <exception>
#include <new>

extern "C" {
#include <cqt/base.h>
}

namespace cqt_shim {

// Runs f(). R is the entry point's return type; on_fail is returned when
// f throws (CQT_ENOMEM for bad_alloc, CQT_EINTERNAL for anything else,
// with @fn named in the message).
template <class R, class F>
R guard(const char *fn, R on_fail, F &&f) noexcept
{
    try {
        return f();
    } catch (const std::bad_alloc &) {
        cqt_set_last_error(CQT_ENOMEM, "%s: out of memory", fn);
    } catch (const std::exception &e) {
        cqt_set_last_error(CQT_EINTERNAL, "%s: internal error: %s", fn, e.what());
    } catch (...) {
        cqt_set_last_error(CQT_EINTERNAL, "%s: internal error (unknown exception)", fn);
    }
    return on_fail;
}

// guard() for an entry point that returns nothing.
template <class F>
void guard_void(const char *fn, F &&f) noexcept
{
    guard(fn, 0, [&]() -> int {
        f();
        return 0;
    });
}

} // namespace cqt_shim

#endif // CQT_SHIM_GUARD_H
