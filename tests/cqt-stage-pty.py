#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""cqt-stage-pty.py — runs a program on a pseudo-terminal of a given size
and checks what a terminal of that size would show (cqt-stage's live
display).

usage: cqt-stage-pty.py [--cols N] [--stdout-file F] [--check live|plain]
                        [--axes N] -- PROGRAM ARGS...

The program's stdin, stderr and (unless --stdout-file) stdout are the pty's
slave, sized N columns (TIOCSWINSZ before it starts). Its output is read
until it exits, then replayed through a small terminal model (printable
characters, CR, LF, ESC[K, ESC[nA, wrapping at the last column the way
xterm does). Exit status: the program's, or 1 when a check failed.

--check live: every live line (written after an erase-line) is at most
  N-1 characters; every
  cursor-up moves by --axes lines; on the final screen each live line
  (two spaces, a name, a '[' bar or a number) appears once: no line
  wrapped, none smeared.
--check plain: not one escape sequence was written (TERM=dumb).
"""
import argparse
import fcntl
import os
import re
import select
import struct
import subprocess
import sys
import termios
import time


def run(cmd, cols, stdout_file):
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, cols, 0, 0))
    out = open(stdout_file, "wb") if stdout_file else slave
    proc = subprocess.Popen(cmd, stdin=slave, stdout=out, stderr=slave, start_new_session=True)
    os.close(slave)
    if stdout_file:
        out.close()
    data = bytearray()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        r, _, _ = select.select([master], [], [], 1.0)
        if not r:
            if proc.poll() is not None:
                break
            continue
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: every slave fd is closed
            break
        if not chunk:
            break
        data += chunk
    try:
        rc = proc.wait(timeout=max(1, deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        print("FAIL: the program did not exit within 120 s")
        rc = 1
    os.close(master)
    return rc, data.decode("utf-8", "replace")


ESC = re.compile(r"\x1b\[([0-9;]*)([A-Za-z])")


def screen_of(text, cols):
    """The lines a terminal of `cols` columns shows after `text`."""
    lines = [[]]
    row = col = 0
    pending = False  # the cursor sits past the last column: the next character wraps
    i = 0
    ups = []
    while i < len(text):
        m = ESC.match(text, i)
        if m:
            n = int(m.group(1) or "1")
            if m.group(2) == "A":
                ups.append(n)
                row = max(0, row - n)
            elif m.group(2) == "K":
                del lines[row][col:]
            pending = False
            i = m.end()
            continue
        c = text[i]
        i += 1
        if c == "\r":
            col, pending = 0, False
        elif c == "\n":
            row += 1
            pending = False
            while len(lines) <= row:
                lines.append([])
        elif c >= " ":
            if pending:
                row, col, pending = row + 1, 0, False
                while len(lines) <= row:
                    lines.append([])
            line = lines[row]
            while len(line) < col:
                line.append(" ")
            if col < len(line):
                line[col] = c
            else:
                line.append(c)
            if col == cols - 1:
                pending = True
            else:
                col += 1
    return ["".join(l) for l in lines], ups


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cols", type=int, default=80)
    ap.add_argument("--stdout-file")
    ap.add_argument("--check", choices=["live", "plain"], required=True)
    ap.add_argument("--axes", type=int, default=0)
    ap.add_argument("--show", action="store_true", help="print the final screen")
    ap.add_argument("cmd", nargs="+")
    a = ap.parse_args()
    rc, text = run(a.cmd, a.cols, a.stdout_file)
    failures = []
    if a.check == "plain":
        if "\x1b" in text:
            failures.append("an escape sequence was written: %r" % text[text.index("\x1b") - 20:][:80])
    else:
        # the live lines: what follows each erase-line up to the line's end
        widest = max((len(re.split(r"[\r\n]", seg)[0]) for seg in text.split("\x1b[K")[1:]), default=0)
        if widest > a.cols - 1:
            failures.append("a line of %d characters on a %d-column terminal" % (widest, a.cols))
        screen, ups = screen_of(text, a.cols)
        if not ups:
            failures.append("no redraw (no cursor-up): was the live display off?")
        bad = [n for n in ups if n != a.axes]
        if bad:
            failures.append("cursor-up by %s, want %d each time" % (sorted(set(bad)), a.axes))
        live = [l for l in screen if re.match(r"  \S+ +(\[|-?\d)", l)]
        names = [l.split()[0] for l in live]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            failures.append("axes shown more than once (a smeared display): %s" % twice)
        if len(set(names)) != a.axes:
            failures.append("%d live lines on the screen, want %d" % (len(set(names)), a.axes))
        if a.show or failures:
            print("final screen (%d columns):" % a.cols)
            for l in screen:
                print("|" + l)
    for f in failures:
        print("FAIL: " + f)
    if failures:
        return 1
    return rc


if __name__ == "__main__":
    sys.exit(main())
