#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""count-results.py — turns a meson testlog.json into "N passed, N failed".

A Check runner counts as its test cases: its "NN%: Checks: C, Failures: F,
Errors: E" line gives C - F - E passed and F + E failed. A Check runner
whose cases all passed but that still failed in meson's eyes (a sanitizer
report at exit, a crash in teardown) adds one failure. Any other test, or a
runner that died before printing its summary, counts as one test.
Skipped tests count in neither column; they are listed.

Usage: count-results.py TESTLOG.json
Prints per-test lines on stderr and the totals line on stdout.
"""
import json
import re
import sys

SUMMARY = re.compile(r"\d+%: Checks: (\d+), Failures: (\d+), Errors: (\d+)")
GOOD = {"OK", "EXPECTEDFAIL"}


def main(path):
    passed = failed = 0
    skipped = []
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            t = json.loads(line)
            name = t.get("name", "?")
            result = t.get("result", "?")
            out = t.get("stdout") or ""
            sums = SUMMARY.findall(out)
            if sums:
                c = sum(int(s[0]) for s in sums)
                bad = sum(int(s[1]) + int(s[2]) for s in sums)
                p, fl = c - bad, bad
                if bad == 0 and result not in GOOD:
                    fl += 1
                what = f"Check: {c} cases"
            elif result == "SKIP":
                skipped.append(name)
                print(f"  {name:40} SKIP", file=sys.stderr)
                continue
            else:
                p, fl = (1, 0) if result in GOOD else (0, 1)
                what = "1 test"
            passed += p
            failed += fl
            print(f"  {name:40} {result:8} {what}: {p} passed, {fl} failed",
                  file=sys.stderr)
    if skipped:
        print(f"  skipped: {', '.join(skipped)}", file=sys.stderr)
    print(f"{passed} passed, {failed} failed")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
