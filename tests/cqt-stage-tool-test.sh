#!/bin/sh
# SPDX-License-Identifier: MIT
# cqt-stage-tool-test.sh — the cqt-stage tool's exit status, JSON and
# usage, for a clean run, a stalled run and a run interrupted by a signal;
# its strict command line; its live display on terminals of several widths
# (through cqt-stage-pty.py), on a pipe and with TERM=dumb.
#   usage: cqt-stage-tool-test.sh PATH/TO/cqt-stage [PATH/TO/cqt-axis-sim]
# With the simulator, also --controller against it, a real process, over
# TCP and a pty, and with the connection pulled (the simulator killed).
# JSON is checked with jq, else python3; the test fails if neither exists.
set -u
tool_path=${1:?usage: $0 PATH/TO/cqt-stage [PATH/TO/cqt-axis-sim]}
sim_path=${2:-}
# Under the valgrind test setup the tool runs under memcheck (CQT_VALGRIND,
# see tests/run-valgrind.sh).
tool() { ${CQT_VALGRIND:+"$CQT_VALGRIND"} "$tool_path" "$@"; }
tmp=$(mktemp -d) || exit 1
simpid=
trap '[ -n "$simpid" ] && kill -KILL "$simpid" 2>/dev/null; rm -rf "$tmp"' EXIT INT TERM
failures=0

fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
pass() { echo "ok: $*"; }

# json FILE EXPR: prints the value of a jq-style path (.a.b[0].c).
json() {
    if command -v jq >/dev/null 2>&1; then
        jq -r "$2" "$1"
    elif command -v python3 >/dev/null 2>&1; then
        python3 - "$1" "$2" <<'PY'
import json, re, sys
v = json.load(open(sys.argv[1]))
for key, idx in re.findall(r'\.(\w+)|\[(\d+)\]', sys.argv[2]):
    v = v[key] if key else v[int(idx)]
print({True: 'true', False: 'false', None: 'null'}.get(v, v) if not isinstance(v, (int, float)) or isinstance(v, bool) else v)
PY
    else
        echo "no jq or python3 to read JSON" >&2
        return 1
    fi
}

expect() { # FILE EXPR WANT
    got=$(json "$1" "$2") || { fail "$2: unreadable JSON in $1"; return; }
    if [ "$got" = "$3" ]; then pass "$2 = $3"; else fail "$2 = '$got', want '$3'"; fi
}

# 1. A clean parallel run: exit 0, every axis reached.
tool move x=100 y=650 z=10 --parallel --timeout 10000 --time-scale 100 --json >"$tmp/clean.json" 2>"$tmp/clean.err"
rc=$?
[ $rc -eq 0 ] && pass "clean run exits 0" || fail "clean run exits $rc: $(cat "$tmp/clean.err")"
expect "$tmp/clean.json" .status CQT_OK
expect "$tmp/clean.json" .ok true
expect "$tmp/clean.json" .mode parallel
expect "$tmp/clean.json" '.axes[0].name' x
expect "$tmp/clean.json" '.axes[1].outcome' reached
expect "$tmp/clean.json" '.axes[1].position' 650
expect "$tmp/clean.json" '.axes[2].outcome' reached
expect "$tmp/clean.json" .message ""

# 2. A stall on y: exit 1, y and only y timed out, the message names it.
tool move x=100 y=650 z=10 --stall y --timeout 500 --time-scale 100 --json >"$tmp/stall.json" 2>"$tmp/stall.err"
rc=$?
[ $rc -eq 1 ] && pass "stalled run exits 1" || fail "stalled run exits $rc: $(cat "$tmp/stall.err")"
expect "$tmp/stall.json" .status CQT_ETIMEDOUT
expect "$tmp/stall.json" .ok false
expect "$tmp/stall.json" '.axes[0].outcome' reached
expect "$tmp/stall.json" '.axes[1].outcome' "timed out"
expect "$tmp/stall.json" '.axes[1].detail' stall
expect "$tmp/stall.json" '.axes[1].position' 325
expect "$tmp/stall.json" '.axes[1].arrival_ms' null
expect "$tmp/stall.json" '.axes[2].outcome' reached
expect "$tmp/stall.json" .message "y did not reach 650.000 within 500 ms; stopped at 325.000 (stall)"

# 3. The same stall, sequential, as text: z never starts.
tool move x=100 y=650 z=10 --stall y --sequential --timeout 500 --time-scale 100 >"$tmp/stall.txt" 2>&1
rc=$?
[ $rc -eq 1 ] && pass "stalled text run exits 1" || fail "stalled text run exits $rc"
grep -q "^error: y did not reach 650.000 within 500 ms; stopped at 325.000 (stall)$" "$tmp/stall.txt" &&
    pass "text report names y" || fail "text report: $(cat "$tmp/stall.txt")"
grep -q "^  z  *not started" "$tmp/stall.txt" && pass "z not started" || fail "z line: $(cat "$tmp/stall.txt")"

# 4. Bad arguments: exit 2, nothing on stdout, and on stderr exactly two
# lines: what was wrong (getopt_long's cases and strict numbers each say
# it their way) and where the help is, not the whole help.
bad() { # WANT-IN-THE-FIRST-LINE ARGS...
    want=$1
    shift
    tool "$@" >"$tmp/bad.out" 2>"$tmp/bad.err"
    rc=$?
    first=$(head -1 "$tmp/bad.err")
    if [ $rc -eq 2 ] && [ ! -s "$tmp/bad.out" ] && [ "$(wc -l <"$tmp/bad.err")" -eq 2 ] &&
        case $first in "cqt-stage: "*"$want"*) true ;; *) false ;; esac &&
        [ "$(sed -n 2p "$tmp/bad.err")" = "Try 'cqt-stage --help' for more information." ]; then
        pass "'$*' exits 2: $first"
    else
        fail "'$*' exits $rc, want 2 and '$want'; stderr: $(head -3 "$tmp/bad.err")"
    fi
}
bad "missing command"
bad "unknown command 'jump'" jump x=1
bad "give at least one NAME=TARGET" move
bad "target of 'x': 'abc' is not a decimal number" move x=abc
bad "target of 'x': '0x10' is not a decimal number" move x=0x10
bad "target of 'x': 'inf' is not a decimal number" move x=inf
bad "target of 'x': '1e999' is out of range" move x=1e999
bad "target of 'x': '5junk' has 'junk' after the number" move x=5junk
bad "axis 'x' is given twice" move x=1 x=2
bad "--timeout: '-5' is out of range (min 0)" move x=1 --timeout -5
bad "--timeout: '99999999999999' is out of range (max 2147483647)" move x=1 --timeout 99999999999999
bad "--timeout: '3x' has 'x' after the number" move x=1 --timeout 3x
bad "--timeout: '1.5' is not a whole number" move x=1 --timeout 1.5
bad "--time-scale: '2junk' has 'junk' after the number" move x=1 --time-scale 2junk
bad "--time-scale must be > 0, not '0'" move x=1 --time-scale 0
bad "--speed: x: '0x10' is not a decimal number" move x=1 --speed x=0x10
bad "no target was given for axis 'y'" move x=1 --speed y=5
bad "unknown option '--bogus'" move x=1 --bogus
bad "unknown option '--bogus'" move x=1 --bogus --json
bad "unknown option '-q'" move x=1 -q
bad "option '--timeout' needs a value" move x=1 --timeout
bad "option '--json' takes no value" move x=1 --json=yes
bad "option '--s' is ambiguous" move x=1 --s
bad "exclude each other" move x=1 --parallel --sequential

# 4b. Numbers the strict parser takes: a denormal target (1e-320 is finite)
# and an abbreviated option.
tool move x=1e-320 y=-0.5 --seq --time-scale 100 --json >"$tmp/small.json" 2>"$tmp/small.err"
rc=$?
[ $rc -eq 0 ] && pass "x=1e-320 is taken" || fail "x=1e-320 exits $rc: $(head -2 "$tmp/small.err")"
expect "$tmp/small.json" '.axes[0].target' 1e-320
expect "$tmp/small.json" .mode sequential

# 4c. --version: the project's version on stdout, exit 0.
tool --version >"$tmp/version.out" 2>&1
rc=$?
if [ $rc -eq 0 ] && grep -q "^cqt-stage (cqt) [0-9][0-9.]*$" "$tmp/version.out"; then
    pass "--version: $(cat "$tmp/version.out")"
else
    fail "--version exits $rc: $(cat "$tmp/version.out")"
fi

# 5. An out-of-range target: a report, exit 1, nothing moved.
tool move x=100 y=5000 --json >"$tmp/range.json" 2>/dev/null
rc=$?
[ $rc -eq 1 ] && pass "out of range exits 1" || fail "out of range exits $rc"
expect "$tmp/range.json" .status CQT_ERANGE
expect "$tmp/range.json" '.axes[1].outcome' "out of range"
expect "$tmp/range.json" '.axes[0].outcome' "not started"

tool --help >"$tmp/help.out" 2>&1 && grep -q "^usage:" "$tmp/help.out" &&
    pass "--help exits 0" || fail "--help"

# 6. A signal mid-move stops every axis where it is: the partial report
# names each one between its start (0) and its target, and the exit status
# is 128 + the signal. The tool runs in the background (directly, so that
# $! is its pid) and the signal is sent once --progress shows every axis
# has left 0: a bounded poll of its stderr, not a sleep.
moving() { # FILE: a progress line in which every axis has left 0
    [ -f "$1" ] || return 1 # the background tool may not have opened it yet
    awk '/^progress:/ { ok = 1; for (i = 2; i <= NF; i++) { split($i, kv, "="); if (kv[2] + 0 <= 0) ok = 0 }
                        if (ok) found = 1 } END { exit !found }' "$1"
}
interrupt() { # NAME SIGNAL[xN] WANT_STATUS ARGS...: runs a long move, signals it (N times) once it moves
    name=$1 sig=${2%x*} times=1 want=$3
    case $2 in *x*) times=${2#*x} ;; esac
    shift 3
    : >"$tmp/$name.err" # emptied before the job starts: the loop below reads it at once
    ${CQT_VALGRIND:+"$CQT_VALGRIND"} "$tool_path" move x=900 y=800 z=700 --speed x=10,y=10,z=10 \
        --timeout 600000 --progress "$@" >"$tmp/$name.out" 2>"$tmp/$name.err" &
    pid=$!
    i=0
    while ! moving "$tmp/$name.err" && [ $i -lt 1200 ] && kill -0 $pid 2>/dev/null; do
        sleep 0.05 # a poll of the output (up to 60 s), not the synchronisation itself
        i=$((i + 1))
    done
    if ! moving "$tmp/$name.err"; then
        kill -KILL $pid 2>/dev/null
        wait $pid
        fail "$name: the axes never started moving: $(head -3 "$tmp/$name.err")"
        return 1
    fi
    k=0
    while [ $k -lt "$times" ]; do kill -"$sig" $pid 2>/dev/null; k=$((k + 1)); done
    wait $pid
    rc=$?
    [ $rc -eq "$want" ] && pass "$name: SIG$sig mid-move exits $want" ||
        fail "$name: SIG$sig mid-move exits $rc, want $want; stderr: $(grep -v '^progress:' "$tmp/$name.err" | head -5)"
}
stopped_between() { # NAME: the text report has every axis stopped in (0, target)
    for axis in x:900 y:800 z:700; do
        n=${axis%%:*} target=${axis#*:}
        if awk -v n="$n" -v t="$target" '$1 == n && $2 == "stopped" && $3 + 0 == t && $4 + 0 > 0 && $4 + 0 < t \
                { found = 1 } END { exit !found }' "$tmp/$1.out"; then
            pass "$1: $n stopped between 0 and $target"
        else
            fail "$1: no '$n stopped' line between 0 and $target: $(cat "$tmp/$1.out")"
        fi
    done
}
if interrupt sigint INT 130; then
    stopped_between sigint
    grep -q "^interrupted: SIGINT" "$tmp/sigint.out" && pass "sigint: the report says SIGINT" ||
        fail "sigint: no 'interrupted: SIGINT' line: $(cat "$tmp/sigint.out")"
fi
if interrupt sigterm TERM 143; then
    stopped_between sigterm
    grep -q "^interrupted: SIGTERM" "$tmp/sigterm.out" && pass "sigterm: the report says SIGTERM" ||
        fail "sigterm: no 'interrupted: SIGTERM' line: $(cat "$tmp/sigterm.out")"
fi
if interrupt sigint-json INT 130 --json; then
    if command -v python3 >/dev/null 2>&1; then
        if python3 - "$tmp/sigint-json.out" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
assert r["interrupted"] == "SIGINT", r["interrupted"]
assert r["status"] == "CQT_ECANCELED" and r["ok"] is False, r["status"]
want = {"x": 900, "y": 800, "z": 700}
assert [a["name"] for a in r["axes"]] == list(want), r["axes"]
for a in r["axes"]:
    assert a["outcome"] == "stopped", a
    assert a["target"] == want[a["name"]] and 0 < a["position"] < a["target"], a
PY
        then pass "sigint-json: valid JSON, interrupted by SIGINT, every axis stopped between 0 and its target"
        else fail "sigint-json: $(cat "$tmp/sigint-json.out")"
        fi
    else
        fail "no python3 to read the interrupted JSON"
    fi
fi
# Two SIGINTs back to back: whether they coalesce into one request to stop
# (the report) or the second finds the axes stopping (an immediate exit),
# the status is 130 and the tool neither hangs nor crashes.
interrupt sigint-twice INTx2 130
grep -q "AddressSanitizer\|runtime error\|ThreadSanitizer" "$tmp/sigint-twice.err" &&
    fail "sigint-twice: $(cat "$tmp/sigint-twice.err")"

# 7. JSON numbers in their shortest round-trip form (20.698073, not
# 20.698073000000001): no number token has more digits than 15 or than
# Python's repr (the shortest that reads back) of the same double.
if python3 - "$tmp/clean.json" "$tmp/stall.json" <<'PY'
import re, sys
for path in sys.argv[1:]:
    text = open(path).read()
    # numbers outside strings (the report's strings hold none of these shapes after ':')
    for tok in re.findall(r'(?<=[:\[,])-?\d[\d.eE+-]*', text):
        v = float(tok)
        shortest = repr(v)
        digits = lambda s: len(re.sub(r'[eE].*', '', s).replace('-', '').replace('.', '').lstrip('0'))
        assert digits(tok) <= max(15, digits(shortest)), (path, tok, shortest)
PY
then pass "JSON numbers are in shortest round-trip form"
else fail "JSON numbers are longer than needed: $(head -c 300 "$tmp/clean.json")"
fi

# 8. The live display. --live --json: the lines go to stderr, stdout is
# valid JSON.
tool move x=100 y=50 --time-scale 10 --live --json >"$tmp/livejson.out" 2>"$tmp/livejson.err"
rc=$?
if [ $rc -eq 0 ] && python3 -m json.tool "$tmp/livejson.out" >/dev/null 2>&1 && grep -q "\[" "$tmp/livejson.err"; then
    pass "--live --json: JSON on stdout, live lines on stderr"
else
    fail "--live --json exits $rc; stdout: $(head -c 200 "$tmp/livejson.out")"
fi
# Every report is valid JSON for python3 -m json.tool.
for f in clean stall range small; do
    python3 -m json.tool "$tmp/$f.json" >/dev/null 2>&1 && pass "$f.json is valid JSON" ||
        fail "$f.json is not valid JSON: $(head -c 200 "$tmp/$f.json")"
done
# Not a terminal (a pipe): no escape sequence, whatever TERM says.
TERM=xterm tool move x=100 y=50 --time-scale 10 >"$tmp/pipe.out" 2>&1
if grep -q "$(printf '\033')" "$tmp/pipe.out"; then fail "escape sequences written to a pipe"
else pass "no live display on a pipe"
fi
# On an 80-column pty: lines of at most 79 characters, cursor-up by the
# number of axes, nothing smeared (cqt-stage-pty.py models the terminal).
pty=$(dirname "$0")/cqt-stage-pty.py
live_args="move x=100 long_axis_name1=-80 z=20 --time-scale 2"
for cols in 80 60 30; do
    # shellcheck disable=SC2086
    if TERM=xterm python3 "$pty" --cols $cols --check live --axes 3 -- \
        ${CQT_VALGRIND:+"$CQT_VALGRIND"} "$tool_path" $live_args >"$tmp/pty.out" 2>&1; then
        pass "live display on a $cols-column terminal"
    else
        fail "live display on a $cols-column terminal: $(cat "$tmp/pty.out")"
    fi
done
# --json on a terminal: the live lines on the terminal (stderr), the JSON in
# its file untouched.
# shellcheck disable=SC2086
if TERM=xterm python3 "$pty" --cols 80 --check live --axes 3 --stdout-file "$tmp/ptyjson.out" -- \
    ${CQT_VALGRIND:+"$CQT_VALGRIND"} "$tool_path" $live_args --json >"$tmp/pty.out" 2>&1 &&
    python3 -m json.tool "$tmp/ptyjson.out" >/dev/null 2>&1; then
    pass "--json on a terminal: live lines on stderr, valid JSON on stdout"
else
    fail "--json on a terminal: $(cat "$tmp/pty.out") $(head -c 200 "$tmp/ptyjson.out")"
fi
# TERM=dumb: a terminal that cannot move the cursor gets no live display.
# shellcheck disable=SC2086
if TERM=dumb python3 "$pty" --cols 80 --check plain -- \
    ${CQT_VALGRIND:+"$CQT_VALGRIND"} "$tool_path" $live_args >"$tmp/pty.out" 2>&1; then
    pass "TERM=dumb: no live display"
else
    fail "TERM=dumb: $(cat "$tmp/pty.out")"
fi

# --json --progress on a terminal: the progress lines share stderr with
# the live block and would break its cursor-up count: no live block.
# shellcheck disable=SC2086
if TERM=xterm python3 "$pty" --cols 80 --check plain --stdout-file "$tmp/ptyprog.out" -- \
    ${CQT_VALGRIND:+"$CQT_VALGRIND"} "$tool_path" $live_args --json --progress >"$tmp/pty.out" 2>&1; then
    pass "--json --progress on a terminal: no live display"
else
    fail "--json --progress on a terminal: $(head -c 300 "$tmp/pty.out")"
fi

# 9. --controller: the form of the address is checked with the other
# arguments (exit 2); with a controller the simulated-axis options are
# errors.
bad "--controller: unknown transport in 'foo:bar'" move x=1 --controller foo:bar
bad "--controller: 'tcp:127.0.0.1:0x10': the port '0x10' is not a number 1..65535" move x=1 --controller tcp:127.0.0.1:0x10
bad "--controller: 'tcp:localhost' is not tcp:HOST:PORT" move x=1 --controller tcp:localhost
bad "--speed applies to simulated axes only" move x=1 --controller tcp:127.0.0.1:9 --speed x=5

# Against cqt-axis-sim, a real process: a move, and a pulled connection.
start_sim() { # ARGS...: starts the simulator; sets simpid and where (its port or pty)
    # Emptied here, not by the background job's own redirection: that one
    # runs in the child after the fork, and the loop below could read the
    # previous simulator's line first (a pty path taken for a port).
    : >"$tmp/sim.out"
    : >"$tmp/sim.err"
    "$sim_path" "$@" >>"$tmp/sim.out" 2>>"$tmp/sim.err" &
    simpid=$!
    where=
    i=0
    while [ $i -lt 600 ] && kill -0 "$simpid" 2>/dev/null; do # up to 60 s: a bounded poll of its output
        where=$(head -1 "$tmp/sim.out" | sed -n 's/^\([0-9][0-9]*\)$/\1/p; s/^\(\/dev\/.*\)$/\1/p')
        [ -n "$where" ] && return 0
        sleep 0.1
        i=$((i + 1))
    done
    fail "cqt-axis-sim did not say where it listens: $(cat "$tmp/sim.out" "$tmp/sim.err")"
    kill -KILL "$simpid" 2>/dev/null
    wait "$simpid" 2>/dev/null
    simpid=
    return 1
}
stop_sim() {
    kill -TERM "$simpid" 2>/dev/null
    wait "$simpid" 2>/dev/null
    simpid=
}
if [ -n "$sim_path" ]; then
    # over TCP: every axis arrives, each MOVE reaches the controller once
    if start_sim --tcp 0 --speed 400; then
        tool move x=100 y=-50 z=20 --controller "tcp:127.0.0.1:$where" --json >"$tmp/tcp.json" 2>"$tmp/tcp.err"
        rc=$?
        [ $rc -eq 0 ] && pass "--controller tcp: exits 0" || fail "--controller tcp: exits $rc: $(cat "$tmp/tcp.err")"
        expect "$tmp/tcp.json" .status CQT_OK
        expect "$tmp/tcp.json" '.axes[0].position' 100
        expect "$tmp/tcp.json" '.axes[1].position' -50
        expect "$tmp/tcp.json" '.axes[2].outcome' reached
        for m in "MOVE x 100" "MOVE y -50" "MOVE z 20"; do
            n=$(grep -c "recv: $m" "$tmp/sim.err")
            [ "$n" -eq 1 ] && pass "the simulator received '$m' once" ||
                fail "the simulator received '$m' $n times: $(cat "$tmp/sim.err")"
        done
        # an axis the controller does not have: exit 3, the message lists its axes
        tool move q=1 --controller "tcp:127.0.0.1:$where" >"$tmp/q.out" 2>"$tmp/q.err"
        rc=$?
        [ $rc -eq 3 ] && grep -q "has no axis 'q' (it has: x y z)" "$tmp/q.err" &&
            pass "an axis the controller lacks: exit 3, its axes named" ||
            fail "an axis the controller lacks: exit $rc: $(cat "$tmp/q.err")"
        stop_sim
    fi
    # over a pty, as a serial line
    if start_sim --pty --speed 400; then
        tool move x=30 --controller "serial:$where" --json >"$tmp/pty.json" 2>"$tmp/pty.err"
        rc=$?
        [ $rc -eq 0 ] && pass "--controller serial:$where exits 0" ||
            fail "--controller serial:$where exits $rc: $(cat "$tmp/pty.err")"
        expect "$tmp/pty.json" '.axes[0].position' 30
        stop_sim
    fi
    # the connection pulled mid-move (the simulator killed): every axis is
    # faulted, the report says "connection lost", exit 1, no hang
    if start_sim --tcp 0 --speed 10; then
        port=$where
        ${CQT_VALGRIND:+"$CQT_VALGRIND"} "$tool_path" move x=100 y=50 --controller "tcp:127.0.0.1:$port" \
            --timeout 600000 --progress --json >"$tmp/lost.json" 2>"$tmp/lost.err" &
        pid=$!
        i=0
        while ! moving "$tmp/lost.err" && [ $i -lt 1200 ] && kill -0 $pid 2>/dev/null; do
            sleep 0.05 # a bounded poll of its progress lines
            i=$((i + 1))
        done
        kill -KILL "$simpid"
        wait "$simpid" 2>/dev/null
        simpid=
        # bounded: a tool that never noticed would be killed after 60 s
        i=0
        while kill -0 $pid 2>/dev/null && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done
        kill -KILL $pid 2>/dev/null
        wait $pid
        rc=$?
        [ $rc -eq 1 ] && pass "connection lost: exits 1" || fail "connection lost: exits $rc: $(grep -v '^progress' "$tmp/lost.err")"
        expect "$tmp/lost.json" .status CQT_EFAULT
        expect "$tmp/lost.json" '.axes[0].outcome' faulted
        expect "$tmp/lost.json" '.axes[1].outcome' faulted
        if python3 - "$tmp/lost.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
assert "connection lost" in r["message"], r["message"]
for a in r["axes"]:
    assert "connection lost" in a["detail"] and 0 < a["position"] < a["target"], a
PY
        then pass "connection lost: the report says so, each axis where it was last reported"
        else fail "connection lost: $(cat "$tmp/lost.json")"
        fi
        # nobody listens there now: exit 3 and a message naming the address
        tool move x=1 --controller "tcp:127.0.0.1:$port" >"$tmp/refused.out" 2>"$tmp/refused.err"
        rc=$?
        [ $rc -eq 3 ] && grep -q "^cqt-stage: --controller: .*127.0.0.1:$port" "$tmp/refused.err" &&
            pass "no controller: exit 3: $(head -1 "$tmp/refused.err")" ||
            fail "no controller: exit $rc: $(cat "$tmp/refused.err")"
    fi
fi

# Not interrupted: the same field, null.
expect "$tmp/clean.json" .interrupted null

[ $failures -eq 0 ] && echo "all passed" || echo "$failures failed"
[ $failures -eq 0 ]
