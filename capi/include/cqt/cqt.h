/* cqt/cqt.h — the whole public C API of libcqt.
 *
 * cqt gives plain C programs Qt's event loops, threads, timers and queued
 * signals, with thread affinity right by construction. Include this one
 * header; link with `pkg-config --cflags --libs cqt` (Qt 5) or `cqt-qt6`
 * (Qt 6): the same API over either.
 */
#ifndef CQT_CQT_H
#define CQT_CQT_H

#include "base.h"
#include "app.h"
#include "thread.h"
#include "object.h"
#include "value.h"
#include "signal.h"
#include "timer.h"
#include "event.h"
#include "pool.h"
#include "worker.h"
#include "axislink.h"
#include "axis.h"
#include "stage.h"
#include "io.h"
#include "unix.h"
#include "process.h"

#define CQT_VERSION_MAJOR 0
#define CQT_VERSION_MINOR 1
#define CQT_VERSION_MICRO 0

#endif /* CQT_CQT_H */
