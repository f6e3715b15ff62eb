#!/bin/bash
# SPDX-License-Identifier: MIT
# check-demo.sh — runs cqt-stage-demo's scripts and checks what they leave.
#
# Usage: check-demo.sh DEMO PYTHON tour|close|sigterm|sigint [WRAPPER...]
#        check-demo.sh DEMO PYTHON link SIM [WRAPPER...]
#   tour:  the tour passes (exit 0, every step ok, heartbeat within its
#          bound) and the screenshot is a PNG of the window's size, not blank;
#   link:  the same tour against a cqt-axis-sim process SIM (TCP, a port of
#          its choosing): a move over the link arrives, then the tour kills
#          the simulator mid-move (--sim-pid) and sees every axis faulted,
#          "connection lost" in the log, the window still answering;
#   close: closing the window while a move and a job run exits 0 after a
#          clean, bounded shutdown with no thread left behind;
#   sigterm, sigint: the signal, sent once a move and a job run (the demo's
#          "busy:" line), closes the window the same way: a clean, bounded
#          shutdown, exit 128 + the signal (143, 130), no sanitizer report.
# WRAPPER (e.g. "xvfb-run -a") runs the demo; without one the environment
# chooses the platform (meson sets QT_QPA_PLATFORM=offscreen).
set -u
demo=$1 python=$2 script=$3
shift 3
sim=
if [ "$script" = link ]; then
    sim=$1
    shift
fi
tmp=$(mktemp -d)
simpid=
# The simulator is killed by the tour; this only covers a tour that never got there.
trap '[ -z "$simpid" ] || kill -KILL "$simpid" 2>/dev/null; rm -rf "$tmp"' EXIT

case "$script" in
    tour) args=(--script tour --screenshot "$tmp/shot.png") ;;
    link)
        # Fast axes (500 units/s): the tour's moves take a second or two.
        "$sim" --tcp 0 --speed 500 >"$tmp/sim.out" 2>"$tmp/sim.err" &
        simpid=$!
        port=
        # A bounded poll of its first line, the port (up to 60 s).
        for ((i = 0; i < 600; i++)); do
            port=$(sed -n '1s/^\([0-9][0-9]*\)$/\1/p' "$tmp/sim.out")
            [ -n "$port" ] && break
            kill -0 "$simpid" 2>/dev/null || break
            sleep 0.1
        done
        [ -n "$port" ] || { cat "$tmp/sim.out" "$tmp/sim.err"; echo "FAIL: cqt-axis-sim printed no port"; exit 1; }
        args=(--script tour --screenshot "$tmp/shot.png" --controller "tcp:127.0.0.1:$port"
            --sim-pid "$simpid")
        ;;
    close) args=(--script close) ;;
    sigterm|sigint) ;;
    *) echo "check-demo.sh: unknown script '$script'" >&2; exit 2 ;;
esac

if [ "$script" = sigterm ] || [ "$script" = sigint ]; then
    sig=${script#sig}
    sig=${sig^^}
    want=$([ "$sig" = TERM ] && echo 143 || echo 130)
    # A move that would take 500 s and a job far longer: both still run
    # when the signal comes. The demo runs directly in the background so
    # that $! is its pid.
    "$@" "$demo" --script busy --time-scale 0.01 --job-arrays 1000000 >"$tmp/out" 2>&1 &
    pid=$!
    # Bounded polls of its output and of its life (not sleeps as
    # synchronisation): up to 120 s to come up, 120 s to exit.
    for ((i = 0; i < 1200; i++)); do
        grep -q '\] busy: ' "$tmp/out" && break
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if ! grep -q '\] busy: ' "$tmp/out"; then
        kill -KILL "$pid" 2>/dev/null
        wait "$pid"
        cat "$tmp/out"
        echo "FAIL: the demo never said it was busy"
        exit 1
    fi
    kill -"$sig" "$pid"
    for ((i = 0; i < 1200; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    hung=0
    if kill -0 "$pid" 2>/dev/null; then
        hung=1
        kill -KILL "$pid"
    fi
    rc=0
    wait "$pid" || rc=$?
    cat "$tmp/out"
    [ $hung -eq 0 ] || { echo "FAIL: still running 120 s after SIG$sig"; exit 1; }
    [ "$rc" -eq "$want" ] || { echo "FAIL: SIG$sig: exit status $rc, want $want"; exit 1; }
    grep -q "a move was running, a job was running" "$tmp/out" || {
        echo "FAIL: SIG$sig: no clean shutdown during a move and a job"
        exit 1
    }
    if grep -q 'Sanitizer\|runtime error:' "$tmp/out"; then
        echo "FAIL: SIG$sig: a sanitizer report"
        exit 1
    fi
    echo "ok: SIG$sig during a move and a job: clean, bounded shutdown, exit $want"
    exit 0
fi

# The demo's own shutdown is bounded (5 s); this outer limit only turns a
# hang into a failure instead of a stuck test.
rc=0
timeout 300 "$@" "$demo" "${args[@]}" >"$tmp/out" 2>&1 || rc=$?
cat "$tmp/out"
if [ "$rc" -ne 0 ]; then
    echo "FAIL: cqt-stage-demo ${args[*]:0:2} ($script) exited with $rc$([ "$rc" -eq 124 ] && echo ' (hung)')"
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
if [ "$script" = link ]; then
    # The tour's own checks passed; these say they were the link's.
    for want in 'tour: ok — move over the link' 'tour: ok — pulled connection' \
        'controller tcp:127.0.0.1:[0-9]*: lost: connection lost' 'tour: ok — after the pull'; do
        grep -q "$want" "$tmp/out" || { echo "FAIL: link tour: no line '$want'"; exit 1; }
    done
    rc=0
    wait "$simpid" || rc=$?
    simpid=
    [ "$rc" -eq 137 ] || { echo "FAIL: the simulator was not killed by the tour (exit status $rc)"; exit 1; }
    echo "the simulator's log:"
    cat "$tmp/sim.err"
fi
size=$(sed -n 's/^screenshot: .* (\([0-9]*\)x\([0-9]*\))$/\1 \2/p' "$tmp/out")
[ -n "$size" ] || { echo "FAIL: no screenshot line"; exit 1; }
read -r w h <<<"$size"
"$python" "$(dirname "$0")/check-png.py" "$tmp/shot.png" "$w" "$h" || exit 1
echo "ok: tour passed; screenshot checked"
