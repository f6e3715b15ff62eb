#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""badinput-catalogue.py — the bad-input catalogue of tests/README.md.

Runs the bad-input test (tests/test-badinput.c) with
CQT_BADINPUT_CATALOGUE set, normalises what varies between runs (pointer
values, thread ids), and writes the table between the catalogue markers of
README; with --check it only compares and fails, printing a diff, when the
committed table differs from a fresh one.

Usage: badinput-catalogue.py TEST-BADINPUT-EXE README.md [--check]
"""
import difflib
import os
import re
import subprocess
import sys
import tempfile

BEGIN = "<!-- badinput-catalogue:begin (generated: do not edit by hand) -->"
END = "<!-- badinput-catalogue:end -->"
HEADER = [
    "| function | bad input | result | message (cqt_last_error) |",
    "|---|---|---|---|",
]


def normalise(msg):
    msg = re.sub(r"0x[0-9a-fA-F]{6,}", "0x…", msg)  # pointers, not flags
    msg = re.sub(r"\(nil\)", "0x…", msg)
    msg = re.sub(r"adopted-\d+", "adopted-N", msg)
    return msg.replace("|", "\\|")


def fresh_table(exe):
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "catalogue.md")
        env = dict(os.environ, CQT_BADINPUT_CATALOGUE=out, CK_VERBOSITY="silent",
                   CK_RUN_SUITE="badinput")
        env.pop("CK_RUN_CASE", None)
        r = subprocess.run([exe], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           text=True)
        if r.returncode != 0:
            sys.exit(f"badinput-catalogue: {exe} failed:\n{r.stdout}")
        rows = []
        with open(out, encoding="utf-8", errors="replace") as f:
            for line in f:
                line = line.rstrip("\n")
                if not line.startswith("| "):
                    continue
                cells = line[2:-2].split(" | ", 3)
                if len(cells) != 4:
                    sys.exit(f"badinput-catalogue: malformed row: {line}")
                rows.append("| " + " | ".join(cells[:3] + [normalise(cells[3])]) + " |")
    return HEADER + rows


def main():
    args = [a for a in sys.argv[1:] if a != "--check"]
    check = "--check" in sys.argv[1:]
    if len(args) != 2:
        sys.exit(__doc__)
    exe, readme = args
    with open(readme, encoding="utf-8") as f:
        text = f.read()
    if BEGIN not in text or END not in text:
        sys.exit(f"badinput-catalogue: {readme} has no catalogue markers")
    head, rest = text.split(BEGIN, 1)
    old, tail = rest.split(END, 1)
    table = fresh_table(exe)
    new_block = "\n" + "\n".join(table) + "\n"
    if check:
        if old == new_block:
            print(f"badinput-catalogue: {readme} is up to date ({len(table) - 2} rows)")
            return
        sys.stdout.writelines(difflib.unified_diff(
            old.splitlines(True), new_block.splitlines(True), "committed", "fresh"))
        sys.exit("badinput-catalogue: the committed table differs from a fresh one; regenerate "
                 "it with `meson compile -C BUILDDIR badinput-catalogue`")
    with open(readme, "w", encoding="utf-8") as f:
        f.write(head + BEGIN + new_block + END + tail)
    print(f"badinput-catalogue: wrote {len(table) - 2} rows to {readme}")


if __name__ == "__main__":
    main()
