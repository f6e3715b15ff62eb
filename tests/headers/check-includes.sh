#!/bin/bash
# check-includes.sh — the layers point down (DESIGN.md, "Layers and folders").
#
# Usage: check-includes.sh SOURCE_ROOT
#
# Fails when
#   - a file in capi/src includes anything but a public header (<cqt/...>),
#     a system header (<...>), its own module's private header
#     ("<module>-private.h" for <module>.c or <module>-*.c, e.g. the parts
#     of a module split over several files; or X.h for X.c, a part's own
#     interface within its module) or the core's C floor header
#     "cqt-internal.h"; the pure-C modules are built on the public API, as
#     a user's module would be;
#   - a file in capi/src calls a cqt__ internal other than the floor
#     services listed in `floor` below (whatever header declares it) or its
#     own module's (cqt__<module>_*, shared by the files of a split module);
#   - a file in shim/ includes anything from capi/src, or calls a function
#     defined in capi/src (the shim is the floor: nothing in it
#     may depend on a module above it).
set -u

root=${1:?usage: check-includes.sh SOURCE_ROOT}
cd "$root" || exit 2

# The core's floor services a C module may still call, declared in
# shim/core/cqt-internal.h: live counts (cqt_debug_live_counts) and handle
# names (the clock is public: cqt_now_ns). Listed one by one so that a new
# internal cannot slip in unseen.
floor='cqt__live_add|cqt__make_name'

status=0
bad() {
    echo "FAIL: $1"
    status=1
}

nfiles=0
for f in capi/src/*.c capi/src/*.h; do
    [ -e "$f" ] || continue
    nfiles=$((nfiles + 1))
    base=$(basename "$f")
    module=${base%%.*}
    module=${module%%-*}
    while IFS= read -r line; do
        n=${line%%:*}
        inc=$(printf '%s\n' "${line#*:}" | sed -E 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*//')
        case "$inc" in
            "<cqt/"*">") ;;
            "<Q"*|"<q"*) bad "$f:$n: includes a Qt header $inc (capi/src is pure C on the public API)" ;;
            "<"*">") ;;
            "\"cqt-internal.h\"") ;;
            "\"$module-private.h\"")
                [ "$base" != "$module-private.h" ] ||
                    bad "$f:$n: a private header includes itself" ;;
            "\"${base%.c}.h\"")
                # a file's own interface (axis-proto.c: "axis-proto.h"),
                # private to the module like <module>-private.h
                [ "$base" != "${base%.c}" ] && [ -e "capi/src/${base%.c}.h" ] ||
                    bad "$f:$n: includes $inc, which is not its own interface header" ;;
            "\"$module-"*".h\"")
                # another part's interface within the same module
                # (axis-link.c: "axis-proto.h"), private to the module
                h=${inc//\"/}
                [ -e "capi/src/$h" ] ||
                    bad "$f:$n: includes $inc, which is no header of module $module in capi/src" ;;
            *) bad "$f:$n: includes $inc, not a public header (<cqt/...>), a system header, \"cqt-internal.h\" or \"$module-private.h\"" ;;
        esac
    done < <(grep -nE '^[[:space:]]*#[[:space:]]*include' "$f")
    while IFS= read -r line; do
        n=${line%%:*}
        for sym in $(printf '%s\n' "${line#*:}" | grep -oE 'cqt__[_[:alnum:]]+[[:space:]]*\(' | tr -d '( '); do
            # the module's own internals, shared through <module>-private.h
            case "$sym" in "cqt__${module}_"*) continue ;; esac
            printf '%s\n' "$sym" | grep -qxE "$floor" ||
                bad "$f:$n: calls the internal $sym (use the public API)"
        done
    done < <(grep -nE 'cqt__[_[:alnum:]]+[[:space:]]*\(' "$f")
done

nshim=0
while IFS= read -r f; do
    nshim=$((nshim + 1))
    while IFS= read -r line; do
        n=${line%%:*}
        inc=$(printf '%s\n' "${line#*:}" | sed -E 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*//')
        name=$(printf '%s\n' "$inc" | tr -d '<>"')
        case "$name" in
            *capi/src/*) bad "$f:$n: includes $inc from capi/src (the shim must not point up)" ;;
        esac
        # A bare name found in capi/src (the build puts it on the path).
        if [ "${name#*/}" = "$name" ] && [ -e "capi/src/$name" ] && [ ! -e "$(dirname "$f")/$name" ]; then
            bad "$f:$n: includes $inc, which lives in capi/src (the shim must not point up)"
        fi
    done < <(grep -nE '^[[:space:]]*#[[:space:]]*include' "$f")
done < <(find shim -type f \( -name '*.c' -o -name '*.cpp' -o -name '*.h' \) | sort)

# Functions defined (not static) in capi/src: the shim calls none.
mapfile -t upper < <(grep -hoE '^[a-z][^(;=]*[^_[:alnum:]]cqt_[_[:alnum:]]+\(' capi/src/*.c |
    grep -v '^static' | grep -oE 'cqt_[_[:alnum:]]+\($' | tr -d '(' | sort -u)
for fn in "${upper[@]+"${upper[@]}"}"; do
    while IFS= read -r hit; do
        bad "$hit: calls $fn, defined in capi/src (the shim must not point up)"
    done < <(grep -rnE "(^|[^_[:alnum:]])$fn[[:space:]]*\(" shim |
        grep -vE '^[^:]*:[0-9]+:[[:space:]]*(//|/?\*)' | cut -d: -f1,2)
done

# The build must not put capi/src on the shim's include path either.
if grep -nE "include_directories\(.*'capi/src'" meson.build >/dev/null; then
    bad "meson.build: capi/src is on an include path (the shim would see its headers)"
fi

echo "checked $nfiles files in capi/src, $nshim in shim/"
[ "$status" -eq 0 ] && echo "ok"
exit "$status"
