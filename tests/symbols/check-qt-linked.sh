#!/bin/bash
# SPDX-License-Identifier: MIT
# check-qt-linked.sh — each given ELF file really links the Qt major the
# build was configured for (-Dqt), and not the other one: its NEEDED
# entries name libQt<N>Core.so.<N> (or whichever Qt library is asked for)
# and no libQt<M>* of another major. A build that picked up the wrong Qt
# (a stray include path, a pkg-config file of the other flavour) fails
# here instead of loading two Qts at run time or none of the one intended.
#
# Usage: check-qt-linked.sh --readelf READELF --qt N --need MODULE FILE...
#   FILE: a built library or program; MODULE: the Qt library it must
#   need, without the "libQt<N>" prefix (Core, Widgets). --need repeats.
set -u

readelf_cmd=""
major=""
targets=()
while [ $# -gt 0 ]; do
    case "$1" in
        --readelf) readelf_cmd="$2"; shift 2 ;;
        --qt) major="$2"; shift 2 ;;
        --need) targets+=("$3:$2"); shift 3 ;;
        *) echo "check-qt-linked.sh: unknown argument '$1'" >&2; exit 2 ;;
    esac
done
if [ -z "$readelf_cmd" ] || [ -z "$major" ] || [ ${#targets[@]} -eq 0 ]; then
    echo "usage: check-qt-linked.sh --readelf READELF --qt N --need MODULE FILE..." >&2
    exit 2
fi

status=0
for t in "${targets[@]}"; do
    file=${t%:*}
    module=${t##*:}
    if ! dyn=$("$readelf_cmd" -d "$file" 2>&1); then
        echo "check-qt-linked.sh: $readelf_cmd -d $file failed:" >&2
        printf '%s\n' "$dyn" >&2
        exit 1
    fi
    mapfile -t needed < <(printf '%s\n' "$dyn" | sed -n 's/.*(NEEDED).*\[\(.*\)\]$/\1/p')
    want="libQt${major}${module}.so.${major}"
    found=0
    for n in "${needed[@]}"; do
        case "$n" in
            "$want") found=1 ;;
            libQt"$major"*) ;;
            libQt*)
                echo "FAIL: $(basename "$file") needs $n, a Qt other than the Qt $major it was configured for"
                status=1 ;;
        esac
    done
    if [ "$found" = 1 ]; then
        echo "ok: $(basename "$file") needs $want"
    else
        echo "FAIL: $(basename "$file") does not need $want; its NEEDED: ${needed[*]}"
        status=1
    fi
done
exit "$status"
