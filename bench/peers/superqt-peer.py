#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""superqt peer of bench-pool and bench-yields: superqt's thread_worker used
as its documentation shows, headless (offscreen). Prints "METRIC <key> <ns>"
like the C variants; exits 1 when a value is lost or out of order."""
import os
import sys
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
from qtpy.QtCore import QCoreApplication  # noqa: E402
from superqt.utils import thread_worker  # noqa: E402


def pool(n):
    app = QCoreApplication.instance() or QCoreApplication(sys.argv)
    state = {"got": 0, "sum": 0, "started": 0, "finished": 0}

    @thread_worker
    def tiny(i):
        return i * 3 + 1

    def returned(r):
        state["got"] += 1
        state["sum"] += r

    def started():
        state["started"] += 1

    def finished():
        state["finished"] += 1
        if state["finished"] == n:
            app.quit()

    t0 = time.perf_counter_ns()
    for i in range(n):
        w = tiny(i, _start_thread=False)
        w.started.connect(started)
        w.returned.connect(returned)
        w.finished.connect(finished)
        w.start()
    app.exec_()
    t1 = time.perf_counter_ns()
    want = 3 * n * (n - 1) // 2 + n
    if state["got"] != n or state["sum"] != want:
        print("superqt pool: lost results", file=sys.stderr)
        return 1
    print("METRIC ns_per_worker %d" % ((t1 - t0) // n), flush=True)
    return 0


def yields(n):
    app = QCoreApplication.instance() or QCoreApplication(sys.argv)
    state = {"next": 0, "bad": False}

    @thread_worker
    def gen():
        for i in range(n):
            yield i

    def on_yield(v):
        if v != state["next"]:
            state["bad"] = True
        state["next"] += 1

    w = gen(_start_thread=False)
    w.yielded.connect(on_yield)
    w.finished.connect(app.quit)
    t0 = time.perf_counter_ns()
    w.start()
    app.exec_()
    t1 = time.perf_counter_ns()
    if state["bad"] or state["next"] != n:
        print("superqt yields: %d of %d, order %s" % (state["next"], n, state["bad"]),
              file=sys.stderr)
        return 1
    print("METRIC ns_per_value %d" % ((t1 - t0) // n), flush=True)
    return 0


if __name__ == "__main__":
    what, count = sys.argv[1], int(sys.argv[2])
    sys.exit(pool(count) if what == "pool" else yields(count))
