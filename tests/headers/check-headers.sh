#!/bin/bash
# SPDX-License-Identifier: MIT
# check-headers.sh — every public header compiles alone, as C99, as C11 and
# as C++17, warning-free under -pedantic. A header that only compiles after
# another one was included, that uses a GNU extension, or that declares a
# function C++ cannot call fails here before a user finds it.
#
# Usage: check-headers.sh --cc "CC CMD" --cxx "CXX CMD" --include DIR...
#   DIR is a directory holding cqt/; every DIR/cqt/*.h is checked, with
#   every DIR on the include path. --include may repeat: the headers in the
#   source tree and the generated ones (cqt/version.h) in the build tree.
# Prints one line per header and standard; on failure prints the compiler
# output and exits 1.
set -u

cc=""
cxx=""
incdirs=()
while [ $# -gt 0 ]; do
    case "$1" in
        --cc) cc="$2"; shift 2 ;;
        --cxx) cxx="$2"; shift 2 ;;
        --include) incdirs+=("$2"); shift 2 ;;
        *) echo "check-headers.sh: unknown argument '$1'" >&2; exit 2 ;;
    esac
done
if [ -z "$cc" ] || [ -z "$cxx" ] || [ ${#incdirs[@]} -eq 0 ]; then
    echo "usage: check-headers.sh --cc CC --cxx CXX --include DIR..." >&2
    exit 2
fi

# The compiler commands may be several words (ccache cc); split them on
# purpose.
read -r -a cc_cmd <<<"$cc"
read -r -a cxx_cmd <<<"$cxx"

shopt -s nullglob
headers=()
iflags=()
for d in "${incdirs[@]}"; do
    headers+=("$d"/cqt/*.h)
    iflags+=(-I"$d")
done
if [ ${#headers[@]} -eq 0 ]; then
    echo "check-headers.sh: no header found in ${incdirs[*]/%//cqt}" >&2
    exit 1
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# -Wstrict-prototypes on top of the brief's flags: "int f()" in a C header
# is an unprototyped declaration, which silently accepts any arguments.
c_flags=(-Wall -Wextra -pedantic -Werror -Wstrict-prototypes)
cxx_flags=(-std=c++17 -Wall -Wextra -pedantic -Werror)

failed=0
checked=0
for h in "${headers[@]}"; do
    name=$(basename "$h")
    # Included twice: the include guard must make the second one a no-op.
    printf '#include <cqt/%s>\n#include <cqt/%s>\n' "$name" "$name" >"$tmp/tu.c"
    cp "$tmp/tu.c" "$tmp/tu.cpp"
    for std in c99 c11 c++17; do
        if [ "$std" = c++17 ]; then
            cmd=("${cxx_cmd[@]}" "${cxx_flags[@]}" "${iflags[@]}" -c "$tmp/tu.cpp" -o "$tmp/tu.o")
        else
            cmd=("${cc_cmd[@]}" -std="$std" "${c_flags[@]}" "${iflags[@]}" -c "$tmp/tu.c" -o "$tmp/tu.o")
        fi
        checked=$((checked + 1))
        if out=$("${cmd[@]}" 2>&1); then
            printf 'ok   %-12s %s\n' "$name" "$std"
        else
            failed=$((failed + 1))
            printf 'FAIL %-12s %s\n' "$name" "$std"
            printf '  command: %s\n' "${cmd[*]}"
            printf '%s\n' "$out" | sed 's/^/  | /'
        fi
    done
done

echo "$checked checks, $failed failed"
[ "$failed" -eq 0 ]
