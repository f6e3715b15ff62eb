// widgets-private.h — what the libcqt-widgets sources share. C++17, never
// installed. libcqt's own internals are hidden in libcqt, so this library
// reports through the public API (cqt_set_last_error) only.
#ifndef CQT_WIDGETS_PRIVATE_H
#define CQT_WIDGETS_PRIVATE_H

#include <exception>
#include <new>

extern "C" {
#include <cqt/cqt.h>
#include <cqt/widgets.h>
}

namespace cqtw {

// Runs f(); no C++ exception may cross into C, so any becomes a status.
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

template <class F>
void guard_void(const char *fn, F &&f) noexcept
{
    guard(fn, 0, [&]() -> int {
        f();
        return 0;
    });
}

} // namespace cqtw

#endif // CQT_WIDGETS_PRIVATE_H
