# shellcheck shell=bash
# SPDX-License-Identifier: MIT
# common.sh — what scripts/test and scripts/demo share: finding the
# project, installing missing Debian packages, configuring a fresh build.
# Sourced, not run.

CQT_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export CQT_ROOT

# Packages every build needs (Debian bookworm names), without Qt.
# fonts-dejavu-core: readable text in the demo's window and screenshot
# under Xvfb and the offscreen platform.
CQT_COMMON_PACKAGES=(meson ninja-build pkg-config check xvfb xauth gcc g++ fonts-dejavu-core)
# Each Qt's development packages. qt6-base-dev brings what Qt6Gui and
# Qt6Widgets need to be found (libgl-dev, libvulkan-dev, the platform
# plugins); meson finds both Qts through pkg-config.
CQT_QT5_PACKAGES=(qtbase5-dev qtbase5-dev-tools)
CQT_QT6_PACKAGES=(qt6-base-dev qt6-base-dev-tools)
# shellcheck disable=SC2034  # used by the scripts that source this file
CQT_BASE_PACKAGES=("${CQT_QT5_PACKAGES[@]}" "${CQT_COMMON_PACKAGES[@]}")

# cqt_select_qt MAJOR: the scripts' --qt option. Sets CQT_QT (5 or 6),
# CQT_QT_SUFFIX (appended to build directory names: "" for Qt 5, the
# default, "-qt6" for Qt 6), CQT_QT_MESON_OPT (-Dqt=N: always explicit, so
# a build never picks the other Qt by itself) and CQT_BASE_PACKAGES (the
# common packages plus that Qt's).
# shellcheck disable=SC2034  # CQT_BASE_PACKAGES: used by the sourcing scripts
cqt_select_qt() {
    case "$1" in
        5) CQT_QT=5; CQT_QT_SUFFIX=""; CQT_BASE_PACKAGES=("${CQT_QT5_PACKAGES[@]}" "${CQT_COMMON_PACKAGES[@]}") ;;
        6) CQT_QT=6; CQT_QT_SUFFIX="-qt6"; CQT_BASE_PACKAGES=("${CQT_QT6_PACKAGES[@]}" "${CQT_COMMON_PACKAGES[@]}") ;;
        *) printf 'error: --qt takes 5 or 6, not %s\n' "'$1'" >&2; exit 1 ;;
    esac
    CQT_QT_MESON_OPT="-Dqt=$CQT_QT"
    export CQT_QT CQT_QT_SUFFIX CQT_QT_MESON_OPT
}
cqt_select_qt 5

# Extra packages of scripts/fuzz: clang 14 and its libFuzzer/sanitizer runtimes.
# shellcheck disable=SC2034  # used by scripts/fuzz
CQT_FUZZ_PACKAGES=(clang libclang-rt-14-dev)

cqt_log() { printf '==> %s\n' "$*" >&2; }
cqt_die() { printf 'error: %s\n' "$*" >&2; exit 1; }

cqt_apt_updated=0

# cqt_need_packages PKG...: installs the packages that are missing. As root
# it runs apt-get (update once per script run); otherwise it names the
# packages and the sudo command and exits 2.
cqt_need_packages() {
    local missing=() p
    if ! command -v dpkg-query >/dev/null 2>&1; then
        cqt_log "no dpkg-query: not a Debian system; make sure these are installed: $*"
        return 0
    fi
    for p in "$@"; do
        if [ "$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null)" != installed ]; then
            missing+=("$p")
        fi
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    if [ "$(id -u)" -ne 0 ]; then
        {
            echo "cqt needs these Debian packages, which are not installed:"
            echo "    ${missing[*]}"
            echo "Install them with:"
            echo "    sudo apt-get update && sudo apt-get install -y ${missing[*]}"
            echo "then run this command again."
        } >&2
        exit 2
    fi
    cqt_log "installing: ${missing[*]}"
    if [ "$cqt_apt_updated" -eq 0 ]; then
        DEBIAN_FRONTEND=noninteractive apt-get update </dev/null ||
            cqt_die "apt-get update failed"
        cqt_apt_updated=1
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}" </dev/null ||
        cqt_die "apt-get install failed for: ${missing[*]}"
}

# cqt_fresh_build DIR KEEP [MESON_OPTION...]: configures DIR (wiped first
# unless KEEP is 1) and builds it. Returns non-zero if either step fails.
cqt_fresh_build() {
    local dir=$1 keep=$2
    shift 2
    if [ "$keep" != 1 ] && [ -e "$dir" ]; then
        cqt_log "wiping $dir"
        rm -rf "$dir"
    fi
    if [ -f "$dir/meson-private/coredata.dat" ]; then
        cqt_log "reconfiguring $dir $*"
        meson setup --reconfigure "$dir" "$CQT_ROOT" "$@" || return 1
    else
        cqt_log "configuring $dir $*"
        meson setup "$dir" "$CQT_ROOT" "$@" || return 1
    fi
    cqt_log "building $dir"
    meson compile -C "$dir" || return 1
}

# cqt_with_display CMD...: runs CMD with an X display: the current one, or
# a private Xvfb when there is none (CI, ssh). QtCore alone never needs it;
# the GUI suite and the demo do.
cqt_with_display() {
    if [ -n "${DISPLAY:-}" ] || [ -n "${WAYLAND_DISPLAY:-}" ] || ! command -v xvfb-run >/dev/null 2>&1; then
        "$@"
    else
        xvfb-run -a -s "-screen 0 1280x1024x24" "$@"
    fi
}
