#!/bin/bash
# SPDX-License-Identifier: MIT
# check-abi.sh — the symbols a built library exports, with their versions,
# are exactly the checked-in list: any ABI change (a function added,
# removed, renamed, or moved to another version node) is a visible diff
# that someone must commit on purpose.
#
# Usage: check-abi.sh --nm NM --lib LIBRARY --abi LIST [--update]
#   LIST: tests/symbols/libcqt.abi or libcqt-widgets.abi, one
#   "NAME@@VERSION" per line, sorted (the version nodes themselves appear
#   as a bare "CQT_0.2"). The Qt 5 and Qt 6 flavours, and the sanitizer
#   builds, export the same list.
#   --update: write the library's list to LIST instead of comparing.
#
# After an intended change (see shim/cqt.map for how a new function gets
# its version node), update the lists from a build and commit them:
#   bash tests/symbols/check-abi.sh --nm nm --lib build/test-plain/libcqt.so \
#       --abi tests/symbols/libcqt.abi --update
#   bash tests/symbols/check-abi.sh --nm nm \
#       --lib build/test-plain/shim/widgets/libcqt-widgets.so \
#       --abi tests/symbols/libcqt-widgets.abi --update
set -u

nm_cmd=""
lib=""
abi=""
update=0
while [ $# -gt 0 ]; do
    case "$1" in
        --nm) nm_cmd="$2"; shift 2 ;;
        --lib) lib="$2"; shift 2 ;;
        --abi) abi="$2"; shift 2 ;;
        --update) update=1; shift ;;
        *) echo "check-abi.sh: unknown argument '$1'" >&2; exit 2 ;;
    esac
done
if [ -z "$nm_cmd" ] || [ -z "$lib" ] || [ -z "$abi" ]; then
    echo "usage: check-abi.sh --nm NM --lib LIBRARY --abi LIST [--update]" >&2
    exit 2
fi

if ! out=$("$nm_cmd" -D --defined-only --with-symbol-versions "$lib" 2>&1); then
    echo "check-abi.sh: $nm_cmd -D --defined-only $lib failed:" >&2
    printf '%s\n' "$out" >&2
    exit 1
fi
# "ADDRESS TYPE NAME@@VERSION": keep the last field. A symbol without a
# version keeps its bare name, which the list then shows as such.
built=$(printf '%s\n' "$out" | awk 'NF >= 3 { print $NF }' | LC_ALL=C sort -u)

if [ "$update" = 1 ]; then
    printf '%s\n' "$built" >"$abi"
    echo "wrote $(wc -l <"$abi") symbols of $lib to $abi"
    exit 0
fi

if [ ! -f "$abi" ]; then
    echo "FAIL: no list $abi; create it with --update and commit it"
    exit 1
fi
if diff_out=$(diff -u --label "$abi (checked in)" --label "$lib (built)" "$abi" - <<<"$built"); then
    echo "$lib: $(printf '%s\n' "$built" | wc -l) symbols, as listed in $(basename "$abi")"
    echo ok
    exit 0
fi
echo "FAIL: the symbols $lib exports differ from $abi ('-' listed only, '+' built only):"
printf '%s\n' "$diff_out"
echo "If the change is intended, update the list and commit it:"
echo "  bash $0 --nm $nm_cmd --lib $lib --abi $abi --update"
exit 1
