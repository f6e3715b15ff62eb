#!/bin/bash
# SPDX-License-Identifier: MIT
# check-widgets-exports.sh — libcqt-widgets exports every function that
# cqt/widgets.h declares with CQT_WIDGETS_API (the prefix rule itself is
# checked by tests/symbols/check-exports.sh).
# Usage: check-widgets-exports.sh NM LIBRARY HEADER
set -u
nm_cmd=$1 lib=$2 header=$3
exported=$("$nm_cmd" -D --defined-only "$lib" | awk 'NF >= 3 { sub(/@.*/, "", $3); print $3 }')
mapfile -t declared < <(tr '\n' ' ' <"$header" |
    grep -oE 'CQT_WIDGETS_API[^;(]*[^_[:alnum:]]cqt_[_[:alnum:]]+[[:space:]]*\(' |
    grep -oE 'cqt_[_[:alnum:]]+[[:space:]]*\($' | tr -d '( ' | sort -u)
missing=0
for d in "${declared[@]}"; do
    grep -qx "$d" <<<"$exported" || { echo "FAIL: $d is declared but not exported"; missing=1; }
done
echo "${#declared[@]} functions declared in $(basename "$header")"
[ "$missing" -eq 0 ] && echo ok
exit "$missing"
