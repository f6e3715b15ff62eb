#!/bin/bash
# SPDX-License-Identifier: MIT
# run-valgrind.sh PROGRAM [ARG...] — the exe_wrapper of the 'valgrind' test
# setup (tests/meson.build, scripts/test --valgrind).
#
# A program runs under memcheck with the project's options. A test that is
# a script (PROGRAM is a shell or python) runs as it is: memcheck on the
# interpreter would check the interpreter (which frees nothing at exit)
# and not trace the cqt program the script starts. A script may run its
# cqt programs through this file instead, found in CQT_VALGRIND:
#     ${CQT_VALGRIND:+"$CQT_VALGRIND"} "$program" ARGS...
# which is a no-op outside the valgrind setup (tests/cqt-stage-tool-test.sh
# does; tests/gui/meson.build says why the GUI scripts do not).
set -u
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
[ $# -ge 1 ] || { echo "usage: $0 PROGRAM [ARG...]" >&2; exit 2; }

case "${1##*/}" in
    sh | bash | dash | python | python3 | python3.*)
        # Memcheck's reports reach the test's log even when the script
        # captures or discards its program's stderr.
        exec {log}>&2
        CQT_VALGRIND="$here/run-valgrind.sh"
        CQT_VALGRIND_LOG_FD=$log
        export CQT_VALGRIND CQT_VALGRIND_LOG_FD
        exec "$@" ;;
esac

opts=(--leak-check=full "--suppressions=$here/valgrind.supp"
    # Distinct from every status the tested programs exit with on purpose
    # (cqt-stage: 0-3; meson: 77 skip, 99 error; timeout: 124).
    --error-exitcode=97)
fd=${CQT_VALGRIND_LOG_FD:-}
if [ -n "$fd" ] && [ -e "/proc/self/fd/$fd" ]; then
    opts+=("--log-fd=$fd")
fi
exec valgrind "${opts[@]}" "$@"
