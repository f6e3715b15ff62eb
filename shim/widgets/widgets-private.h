/* SPDX-License-Identifier: MIT */
// widgets-private.h — what the libcqt-widgets sources share. C++17, never
// installed. libcqt's own internals are hidden in libcqt, so this library
// reports through the public API (cqt_set_last_error) only.
#ifndef CQT_WIDGETS_PRIVATE_H
#define CQT_WIDGETS_PRIVATE_H

#include "../common/guard.h"

extern "C" {
#include <cqt/cqt.h>
#include <cqt/widgets.h>
}

namespace cqtw {

using cqt_shim::guard;
using cqt_shim::guard_void;

} // namespace cqtw

#endif // CQT_WIDGETS_PRIVATE_H
