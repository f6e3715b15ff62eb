#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""check-readme-programs.py — every ```c block in README.md is a whole
program that builds against the built libcqt and runs to exit status 0, or
is marked as a fragment.

The marker is the fence's info string: a block opened with ```c fragment
is a fragment (shown for its shape, not built); any other ```c block must
define main(). ```cpp, ```sh and unlabelled blocks are not C programs and
are not looked at.

Usage: check-readme-programs.py --readme README.md --cc 'CC ARGS' \
           --include DIR [--include DIR] --lib LIBCQT [--lib LIBCQT_WIDGETS] \
           [--cflags 'FLAGS'] --workdir DIR [--timeout SECONDS]

Each program is compiled as README says (`cc example.c` with cqt's flags:
the public headers and the library, nothing else; -Werror with the
project's warnings, so a README program stays warning-free) into WORKDIR,
then run with stdin from /dev/null and a timeout; one that includes
cqt/widgets.h runs on Qt's offscreen platform. Under the valgrind test
setup each program runs under memcheck (CQT_VALGRIND, tests/run-valgrind.sh).
Prints a line per block; exit status 0 when every whole program built and
ran, 1 otherwise, 2 on a usage error.
"""
import argparse
import os
import re
import shlex
import subprocess
import sys

FENCE = re.compile(r"^```(\S*)\s*(.*)$")


def blocks(path):
    """Yields (line number, info words, text) for each ```c block."""
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    i = 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m or not m.group(1):
            if m:  # an unlabelled fence: skip to its end
                i += 1
                while i < len(lines) and not lines[i].startswith("```"):
                    i += 1
            i += 1
            continue
        lang, info, start = m.group(1), m.group(2).split(), i + 1
        body = []
        i += 1
        while i < len(lines) and not lines[i].startswith("```"):
            body.append(lines[i])
            i += 1
        i += 1
        if lang == "c":
            yield start, info, "\n".join(body) + "\n"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--readme", required=True)
    ap.add_argument("--cc", required=True)
    ap.add_argument("--include", action="append", required=True)
    ap.add_argument("--lib", action="append", default=[])
    ap.add_argument("--cflags", default="")
    ap.add_argument("--workdir", required=True)
    ap.add_argument("--timeout", type=float, default=30)
    args = ap.parse_args()

    os.makedirs(args.workdir, exist_ok=True)
    libdirs = sorted({os.path.dirname(os.path.abspath(l)) for l in args.lib})
    cc = shlex.split(args.cc)
    # The compiler's default C dialect, as README's `cc example.c` gets, and
    # the project's warnings (meson.build): a README program is code a user
    # copies, so it builds cleanly.
    flags = ["-Wall", "-Wextra", "-Wno-unused-parameter", "-Werror"]
    for d in args.include:
        flags += ["-I", d]
    flags += shlex.split(args.cflags)
    valgrind = os.environ.get("CQT_VALGRIND")
    log_fd = os.environ.get("CQT_VALGRIND_LOG_FD")
    pass_fds = (int(log_fd),) if log_fd and log_fd.isdigit() else ()
    multiplier = float(os.environ.get("CK_TIMEOUT_MULTIPLIER", "1") or 1)
    if valgrind:
        multiplier *= 10

    built = ran = failed = fragments = 0
    for line, info, text in blocks(args.readme):
        where = "%s:%d" % (os.path.basename(args.readme), line)
        if "fragment" in info:
            fragments += 1
            print("fragment %s (```c fragment): not built" % where)
            continue
        if not re.search(r"^\s*int\s+main\s*\(", text, re.M):
            failed += 1
            print("FAIL %s: a ```c block without main(); make it a whole program "
                  "or mark it ```c fragment" % where)
            continue
        name = "readme-%d" % line
        src = os.path.join(args.workdir, name + ".c")
        exe = os.path.join(args.workdir, name)
        with open(src, "w", encoding="utf-8") as f:
            f.write(text)
        libs = [os.path.abspath(l) for l in args.lib]
        if "cqt/widgets.h" not in text:
            libs = [l for l in libs if "widgets" not in os.path.basename(l)]
        cmd = cc + flags + [src, "-o", exe] + libs + \
            ["-Wl,-rpath," + d for d in libdirs]
        r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           text=True, check=False)
        if r.returncode != 0:
            failed += 1
            print("FAIL %s: does not build (%s)\n%s" % (where, " ".join(cmd), r.stdout))
            continue
        built += 1
        env = dict(os.environ)
        if "cqt/widgets.h" in text:
            env["QT_QPA_PLATFORM"] = "offscreen"
        run = ([valgrind] if valgrind else []) + [exe]
        try:
            r = subprocess.run(run, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True, env=env,
                               timeout=args.timeout * multiplier, pass_fds=pass_fds,
                               check=False)
        except subprocess.TimeoutExpired as e:
            failed += 1
            out = e.stdout.decode(errors="replace") if isinstance(e.stdout, bytes) else (e.stdout or "")
            print("FAIL %s: still running after %.0f s\n%s" % (where, args.timeout * multiplier, out))
            continue
        if r.returncode != 0:
            failed += 1
            print("FAIL %s: exit status %d\n%s" % (where, r.returncode, r.stdout))
            continue
        ran += 1
        print("ok   %s: built and ran; its output:" % where)
        for out_line in r.stdout.splitlines():
            print("       " + out_line)

    print("README ```c blocks: %d programs built, %d ran cleanly, %d fragments, %d failed"
          % (built, ran, fragments, failed))
    if built + failed == 0:
        print("FAIL: no ```c block found in %s" % args.readme)
        return 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
