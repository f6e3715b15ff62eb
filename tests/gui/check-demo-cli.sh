#!/bin/bash
# SPDX-License-Identifier: MIT
# check-demo-cli.sh — cqt-stage-demo's command line: --help and --version
# on stdout with exit 0; a usage error is exit 2, nothing on stdout and two
# lines on stderr: what was wrong (strict numbers, getopt_long's cases) and
# where the help is. None of these opens a window.
#
# Usage: check-demo-cli.sh DEMO
set -u
demo=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
pass() { echo "ok: $*"; }

bad() { # WANT-IN-THE-FIRST-LINE ARGS...
    local want=$1
    shift
    # bounded: a demo that took the bad value would open its window and run
    timeout -s KILL 60 "$demo" "$@" >"$tmp/out" 2>"$tmp/err" </dev/null
    local rc=$? first
    first=$(head -1 "$tmp/err")
    if [ $rc -eq 2 ] && [ ! -s "$tmp/out" ] && [ "$(wc -l <"$tmp/err")" -eq 2 ] &&
        [[ $first == "cqt-stage-demo: "*"$want"* ]] &&
        [ "$(sed -n 2p "$tmp/err")" = "Try 'cqt-stage-demo --help' for more information." ]; then
        pass "'$*' exits 2: $first"
    else
        fail "'$*' exits $rc, want 2 and '$want'; stdout: $(head -c 200 "$tmp/out"); stderr: $(head -3 "$tmp/err")"
    fi
}
bad "--time-scale: '2junk' has 'junk' after the number" --time-scale 2junk
bad "--time-scale: '0x10' is not a decimal number" --time-scale 0x10
bad "--time-scale must be > 0 and <= 1000, not '0'" --time-scale 0
bad "--job-arrays: '3x' has 'x' after the number" --job-arrays 3x
bad "--job-arrays: '0' is out of range (min 1)" --job-arrays 0
bad "--array-size: '99999999999' is out of range (max 2147483647)" --array-size 99999999999
bad "--script: unknown script 'bogus'" --script bogus
bad "option '--time-scale' needs a value" --time-scale
bad "unknown option '--bogus'" --quiet --bogus
bad "option '--quiet' takes no value" --quiet=1
bad "unexpected argument 'x'" x
bad "--controller: unknown transport in 'foo:bar'" --controller foo:bar
bad "--time-scale applies to simulated axes only" --controller tcp:127.0.0.1:9 --time-scale 2
bad "--sim-pid needs --script tour and --controller" --controller tcp:127.0.0.1:9 --sim-pid 1234
bad "--sim-pid needs --script tour and --controller" --script tour --sim-pid 1234
bad "--sim-pid: '1' is out of range (min 2)" --sim-pid 1

timeout -s KILL 60 "$demo" --version >"$tmp/out" 2>"$tmp/err" </dev/null
rc=$?
if [ $rc -eq 0 ] && grep -qx "cqt-stage-demo (cqt) [0-9][0-9.]*" "$tmp/out"; then
    pass "--version: $(cat "$tmp/out")"
else
    fail "--version exits $rc: $(cat "$tmp/out" "$tmp/err")"
fi
timeout -s KILL 60 "$demo" --help >"$tmp/out" 2>"$tmp/err" </dev/null
rc=$?
if [ $rc -eq 0 ] && grep -q "^usage: cqt-stage-demo" "$tmp/out" && [ ! -s "$tmp/err" ]; then
    pass "--help exits 0 with the usage on stdout"
else
    fail "--help exits $rc"
fi

[ $failures -eq 0 ] && echo "all passed" || echo "$failures failed"
[ $failures -eq 0 ]
