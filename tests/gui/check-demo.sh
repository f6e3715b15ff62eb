#!/bin/bash
# check-demo.sh — runs cqt-stage-demo's scripts and checks what they leave.
#
# Usage: check-demo.sh DEMO PYTHON tour|close [WRAPPER...]
#   tour:  the tour passes (exit 0, every step ok, heartbeat within its
#          bound) and the screenshot is a PNG of the window's size, not blank;
#   close: closing the window while a move and a job run exits 0 after a
#          clean, bounded shutdown with no thread left behind.
# WRAPPER (e.g. "xvfb-run -a") runs the demo; without one the environment
# chooses the platform (meson sets QT_QPA_PLATFORM=offscreen).
set -u
demo=$1 python=$2 script=$3
shift 3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

case "$script" in
    tour) args=(--script tour --screenshot "$tmp/shot.png") ;;
    close) args=(--script close) ;;
    *) echo "check-demo.sh: unknown script '$script'" >&2; exit 2 ;;
esac

# The demo's own shutdown is bounded (5 s); this outer limit only turns a
# hang into a failure instead of a stuck test.
rc=0
timeout 300 "$@" "$demo" "${args[@]}" >"$tmp/out" 2>&1 || rc=$?
cat "$tmp/out"
if [ "$rc" -ne 0 ]; then
    echo "FAIL: cqt-stage-demo --script $script exited with $rc$([ "$rc" -eq 124 ] && echo ' (hung)')"
    exit 1
fi
if ! grep -q '^shutdown: clean' "$tmp/out"; then
    echo "FAIL: no clean shutdown reported"
    exit 1
fi
if [ "$script" = close ]; then
    grep -q 'a move was running, a job was running' "$tmp/out" || {
        echo "FAIL: the window closed before both a move and a job were running"
        exit 1
    }
    echo "ok: closed during a move and a job; shutdown was clean"
    exit 0
fi
grep -q '^tour: [0-9]* checks passed, 0 failed' "$tmp/out" || { echo "FAIL: tour"; exit 1; }
size=$(sed -n 's/^screenshot: .* (\([0-9]*\)x\([0-9]*\))$/\1 \2/p' "$tmp/out")
[ -n "$size" ] || { echo "FAIL: no screenshot line"; exit 1; }
read -r w h <<<"$size"
"$python" "$(dirname "$0")/check-png.py" "$tmp/shot.png" "$w" "$h" || exit 1
echo "ok: tour passed; screenshot checked"
