#!/bin/bash
# SPDX-License-Identifier: MIT
# check-exports.sh — libcqt exports the cqt_ prefix and nothing else, and
# every function a public header declares with CQT_API is really exported.
#
# Usage: check-exports.sh --nm NM --lib LIBRARY [--include DIR]
#   LIBRARY: the built libcqt.so; DIR: the directory holding cqt/*.h
#   (optional: without it only the prefix rule is checked).
#
# Exceptions: none. Checked on Debian bookworm (gcc 12, binutils 2.40):
# `nm -D --defined-only` on a shared library lists no linker-provided
# symbol — _init and _fini are local, and this ld no longer exports
# _edata, _end or __bss_start — and libcqt is built with hidden visibility
# plus shim/cqt.map ("local: *"), which would hide them anyway. The
# sanitizer builds add nothing either (their runtimes are separate
# libraries). If a toolchain ever makes such a symbol appear, list it in
# `allowed` below with the reason.
set -u

nm_cmd=""
lib=""
incdir=""
while [ $# -gt 0 ]; do
    case "$1" in
        --nm) nm_cmd="$2"; shift 2 ;;
        --lib) lib="$2"; shift 2 ;;
        --include) incdir="$2"; shift 2 ;;
        *) echo "check-exports.sh: unknown argument '$1'" >&2; exit 2 ;;
    esac
done
if [ -z "$nm_cmd" ] || [ -z "$lib" ]; then
    echo "usage: check-exports.sh --nm NM --lib LIBRARY [--include DIR]" >&2
    exit 2
fi

# Linker-provided symbols tolerated in the dynamic table (see above).
allowed=()
# cqt__ internals exported on purpose, each with its reason; any other
# cqt__ symbol in the table fails. None: libcqt-widgets hands libcqt its
# QApplication factory through Qt's type registry, not an export
# (shim/core/cqt-internal.h).
internal_exports=()

if ! out=$("$nm_cmd" -D --defined-only "$lib" 2>&1); then
    echo "check-exports.sh: $nm_cmd -D --defined-only $lib failed:" >&2
    printf '%s\n' "$out" >&2
    exit 1
fi

# Lines are "ADDRESS TYPE NAME[@VERSION]"; keep NAME.
mapfile -t exported < <(printf '%s\n' "$out" | awk 'NF >= 3 { sub(/@.*/, "", $3); print $3 }' | sort -u)

bad=()
internal=()
ncqt=0
for s in "${exported[@]}"; do
    case "$s" in
        cqt__*)
            for a in "${internal_exports[@]+"${internal_exports[@]}"}"; do
                if [ "$s" = "$a" ]; then ncqt=$((ncqt + 1)); continue 2; fi
            done
            internal+=("$s")
            continue ;;
        cqt_*) ncqt=$((ncqt + 1)); continue ;;
        # The version node itself (shim/cqt.map): an absolute symbol the
        # linker adds for every version it defines, not code or data.
        CQT_[0-9]*.[0-9]*) continue ;;
    esac
    ok=0
    for a in "${allowed[@]+"${allowed[@]}"}"; do
        [ "$s" = "$a" ] && ok=1
    done
    [ "$ok" -eq 1 ] || bad+=("$s")
done

status=0
echo "$lib: ${#exported[@]} exported symbols, $ncqt with the cqt_ prefix"
if [ "$ncqt" -eq 0 ]; then
    echo "FAIL: no cqt_ symbol is exported (wrong file, or visibility broke)"
    status=1
fi
if [ ${#bad[@]} -gt 0 ]; then
    echo "FAIL: ${#bad[@]} exported symbols without the cqt_ prefix:"
    printf '  %s\n' "${bad[@]}"
    echo "  (give them the cqt_ prefix and CQT_API, or make them static / cqt__ internals)"
    status=1
fi

if [ ${#internal[@]} -gt 0 ]; then
    echo "FAIL: ${#internal[@]} cqt__ internals exported without being listed in internal_exports:"
    printf '  %s\n' "${internal[@]}"
    echo "  (give them CQT_API only when another cqt library calls them, and list them with the reason)"
    status=1
fi

if [ -n "$incdir" ]; then
    # Every "CQT_API <type> cqt_name(" in a public header must be exported;
    # a declaration without a definition, or a definition that lost
    # CQT_API, would otherwise only show up when a user links.
    mapfile -t declared < <(cat "$incdir"/cqt/*.h | tr '\n' ' ' |
        grep -oE 'CQT_API[^;(]*[^_[:alnum:]]cqt_[_[:alnum:]]+[[:space:]]*\(' |
        grep -oE 'cqt_[_[:alnum:]]+[[:space:]]*\($' | tr -d '( ' | sort -u)
    missing=()
    for d in "${declared[@]}"; do
        found=0
        for s in "${exported[@]}"; do
            if [ "$s" = "$d" ]; then found=1; break; fi
        done
        [ "$found" -eq 1 ] || missing+=("$d")
    done
    echo "${#declared[@]} functions declared with CQT_API in $incdir/cqt"
    if [ ${#missing[@]} -gt 0 ]; then
        echo "FAIL: ${#missing[@]} declared functions are not exported:"
        printf '  %s\n' "${missing[@]}"
        status=1
    fi
fi

[ "$status" -eq 0 ] && echo "ok"
exit "$status"
