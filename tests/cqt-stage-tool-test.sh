#!/bin/sh
# SPDX-License-Identifier: MIT
# cqt-stage-tool-test.sh — the cqt-stage tool's exit status, JSON and
# usage, for a clean run, a stalled run and a run interrupted by a signal.
#   usage: cqt-stage-tool-test.sh PATH/TO/cqt-stage
# JSON is checked with jq, else python3; the test fails if neither exists.
set -u
tool_path=${1:?usage: $0 PATH/TO/cqt-stage}
# Under the valgrind test setup the tool runs under memcheck (CQT_VALGRIND,
# see tests/run-valgrind.sh).
tool() { ${CQT_VALGRIND:+"$CQT_VALGRIND"} "$tool_path" "$@"; }
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM
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

# 4. Bad arguments: exit 2 with the usage on stderr, nothing on stdout.
for args in "" "jump x=1" "move" "move x=abc" "move x=1 x=2" "move x=1 --timeout -5" \
    "move x=1 --speed y=5" "move x=1 --bogus" "move x=1 --parallel --sequential"; do
    # shellcheck disable=SC2086
    tool $args >"$tmp/bad.out" 2>"$tmp/bad.err"
    rc=$?
    if [ $rc -eq 2 ] && grep -q "^usage: cqt-stage move" "$tmp/bad.err" && [ ! -s "$tmp/bad.out" ]; then
        pass "'$args' exits 2 with usage"
    else
        fail "'$args' exits $rc; stderr: $(head -1 "$tmp/bad.err")"
    fi
done

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
# Not interrupted: the same field, null.
expect "$tmp/clean.json" .interrupted null

[ $failures -eq 0 ] && echo "all passed" || echo "$failures failed"
[ $failures -eq 0 ]
