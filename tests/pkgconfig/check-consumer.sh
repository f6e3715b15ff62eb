#!/bin/bash
# SPDX-License-Identifier: MIT
# check-consumer.sh — a user's program builds and runs against cqt installed
# in a temporary prefix, with nothing but pkg-config's answers:
#   shared: `pkg-config --cflags --libs cqt`, with pkg-config seeing the
#     temporary prefix ALONE when only the shared library is built (no
#     Qt .pc files: cqt.pc must not need them, as no public header names a
#     Qt type), and the program must run;
#   static (when libcqt.a is built, default_library=both or static):
#     `pkg-config --static --libs cqt` with libcqt.a named explicitly, and
#     the program must run without loading libcqt.so.
#
# Usage: check-consumer.sh --meson MESON --build DIR --cc "CC CMD"
#            --name cqt|cqt-qt6 --default-library shared|static|both
#            [--sanitize VALUE]
#   VALUE: the build's b_sanitize; the program is compiled with it too
#   (a sanitized libcqt needs the sanitizer runtime in the program).
set -u

meson_cmd="" build="" cc="" name="" deflib="" sanitize=none
while [ $# -gt 0 ]; do
    case "$1" in
        --meson) meson_cmd="$2"; shift 2 ;;
        --build) build="$2"; shift 2 ;;
        --cc) cc="$2"; shift 2 ;;
        --name) name="$2"; shift 2 ;;
        --default-library) deflib="$2"; shift 2 ;;
        --sanitize) sanitize="$2"; shift 2 ;;
        *) echo "check-consumer.sh: unknown argument '$1'" >&2; exit 2 ;;
    esac
done
if [ -z "$meson_cmd" ] || [ -z "$build" ] || [ -z "$cc" ] || [ -z "$name" ] || [ -z "$deflib" ]; then
    echo "usage: check-consumer.sh --meson MESON --build DIR --cc CC --name NAME --default-library KIND" >&2
    exit 2
fi
read -r -a cc_cmd <<<"$cc"
read -r -a meson_argv <<<"$meson_cmd"
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
extra=()
[ "$sanitize" != none ] && [ -n "$sanitize" ] && extra+=("-fsanitize=$sanitize")

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
dest="$tmp/root"
if ! out=$("${meson_argv[@]}" install -C "$build" --no-rebuild --destdir "$dest" 2>&1); then
    printf '%s\n' "$out"
    echo "FAIL: meson install into $dest failed"
    exit 1
fi
pcfile=$(find "$dest" -name "$name.pc" -path '*/pkgconfig/*' | head -n 1)
if [ -z "$pcfile" ]; then
    echo "FAIL: no $name.pc installed under $dest"
    exit 1
fi
libdir=$(dirname "$(dirname "$pcfile")") # the .pc files live in LIBDIR/pkgconfig
# The .pc files say prefix=/usr/local (or the build's prefix); under
# --destdir the files are below $dest. Copies pointing there, as a user who
# moves a prefix would make (--define-variable would move Qt's too).
pcdir="$tmp/pkgconfig"
mkdir -p "$pcdir"
for f in "$(dirname "$pcfile")"/*.pc; do
    sed "s|^prefix=\(.*\)|prefix=$dest\1|" "$f" >"$pcdir/$(basename "$f")"
done
echo "--- $pcfile"
cat "$pcfile"
pcfile="$pcdir/$name.pc"

status=0
fail() { echo "FAIL: $*"; status=1; }

# --- shared ---------------------------------------------------------------
if [ "$deflib" = shared ]; then
    # The temporary prefix alone: no system .pc file, so none of Qt's.
    pc_env=(env PKG_CONFIG_LIBDIR="$pcdir" PKG_CONFIG_PATH=)
    grep -q '^Requires.private:.*Qt' "$pcfile" &&
        fail "$name.pc names Qt in Requires.private although only the shared library is built"
else
    pc_env=(env PKG_CONFIG_PATH="$pcdir${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}")
fi
if [ "$deflib" != static ]; then
    if ! flags=$("${pc_env[@]}" pkg-config --cflags --libs "$name" 2>&1); then
        fail "pkg-config --cflags --libs $name: $flags"
    else
        echo "shared: pkg-config --cflags --libs $name -> $flags"
        read -r -a f <<<"$flags"
        if ! out=$("${cc_cmd[@]}" "${extra[@]}" "$here/consumer.c" "${f[@]}" -o "$tmp/consumer-shared" 2>&1); then
            printf '%s\n' "$out"
            fail "the shared consumer did not build"
        elif ! out=$(LD_LIBRARY_PATH="$libdir" "$tmp/consumer-shared" 2>&1); then
            printf '%s\n' "$out"
            fail "the shared consumer failed"
        else
            printf '%s\n' "$out"
        fi
    fi
fi

# --- static ---------------------------------------------------------------
if [ "$deflib" != shared ]; then
    lib="lib$name.a"
    if [ ! -f "$libdir/$lib" ]; then
        fail "$lib is not installed in $libdir although default_library=$deflib"
    elif ! cflags=$("${pc_env[@]}" pkg-config --cflags "$name" 2>&1) ||
        ! libs=$("${pc_env[@]}" pkg-config --static --libs "$name" 2>&1); then
        fail "pkg-config --static $name: $cflags $libs"
    else
        # The linker prefers libNAME.so when both are there: name the archive.
        libs=$(sed "s/-l$name\\b/-l:$lib/" <<<"$libs")
        echo "static: $cflags $libs"
        read -r -a c <<<"$cflags"
        read -r -a l <<<"$libs"
        if ! out=$("${cc_cmd[@]}" "${extra[@]}" "$here/consumer.c" "${c[@]}" "${l[@]}" -o "$tmp/consumer-static" 2>&1); then
            printf '%s\n' "$out"
            fail "the static consumer did not link"
        elif readelf -d "$tmp/consumer-static" | grep "NEEDED.*lib$name\\.so" >/dev/null; then
            fail "the static consumer still needs lib$name.so"
        elif ! out=$("$tmp/consumer-static" 2>&1); then
            printf '%s\n' "$out"
            fail "the static consumer failed"
        else
            printf '%s\n' "$out"
        fi
    fi
fi

[ "$status" -eq 0 ] && echo ok
exit "$status"
