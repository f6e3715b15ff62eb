#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# check-man.py — each tool's man page is clean roff and documents exactly
# the long options its --help lists. For every --page PAGE --tool PROGRAM
# pair:
#  - the page has NAME, SYNOPSIS, DESCRIPTION, OPTIONS, EXIT STATUS,
#    EXAMPLES and SEE ALSO, in that order;
#  - groff (-ww, CHECKSTYLE) and, when installed, mandoc -T lint report
#    nothing;
#  - every long option in `PROGRAM --help` appears in the rendered page (a
#    new option without its documentation fails), and every option the
#    page's OPTIONS section lists as an entry is still in --help (a renamed
#    or removed one fails).
# Prints each miss as "PAGE: what" and exits 1 if there was one.
import argparse
import os
import re
import shutil
import subprocess
import sys

SECTIONS = ['NAME', 'SYNOPSIS', 'DESCRIPTION', 'OPTIONS', 'EXIT STATUS', 'EXAMPLES', 'SEE ALSO']
LONG_OPT = re.compile(r'(?<![\w-])--[A-Za-z0-9][A-Za-z0-9-]*')
ENV = dict(os.environ, LC_ALL='C.UTF-8', MANWIDTH='80')


def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, env=ENV, timeout=60, **kw)


def sections(src):
    return [re.sub(r'^"|"$', '', line[4:].strip()) for line in src.splitlines()
            if line.startswith('.SH ')]


def option_entries(src):
    """Long options the OPTIONS section lists as .TP entries (the tag line
    after each .TP)."""
    out, in_opts, after_tp = set(), False, False
    for line in src.splitlines():
        if line.startswith('.SH '):
            in_opts = line.strip() == '.SH OPTIONS'
            continue
        if not in_opts:
            continue
        if line.startswith('.TP'):
            after_tp = True
            continue
        if after_tp:
            tag = line.replace('\\-', '-').replace('\\&', '')
            out.update(LONG_OPT.findall(tag))
            after_tp = False
    return out


def lint(page):
    msgs = []
    r = run(['groff', '-man', '-ww', '-z', '-rCHECKSTYLE=3', page])
    msgs += [f'groff: {m}' for m in (r.stdout + r.stderr).splitlines() if m.strip()]
    if r.returncode != 0:
        msgs.append(f'groff exited with {r.returncode}')
    if shutil.which('mandoc'):
        r = run(['mandoc', '-T', 'lint', '-W', 'warning', page])
        msgs += [f'mandoc: {m}' for m in (r.stdout + r.stderr).splitlines() if m.strip()]
    return msgs


def rendered(page):
    # A line length no paragraph reaches: no option is broken or hyphenated.
    r = run(['groff', '-man', '-Tutf8', '-rLL=2000n', '-P', '-cbou', page])
    return r.stdout


def check(page, tool):
    misses = []
    src = open(page, encoding='utf-8').read()
    found = sections(src)
    wanted = [s for s in SECTIONS if s in found]
    if wanted != SECTIONS:
        misses.append(f'sections {found}: needs {SECTIONS} in that order')
    elif [s for s in found if s in SECTIONS] != SECTIONS:
        misses.append(f'sections out of order: {found}')
    misses += lint(page)

    r = run([tool, '--help'], stdin=subprocess.DEVNULL)
    if r.returncode != 0 or not r.stdout.strip():
        misses.append(f'{tool} --help: exit status {r.returncode}, {len(r.stdout)} bytes on stdout')
        return misses
    help_opts = set(LONG_OPT.findall(r.stdout))
    text = rendered(page).replace('\u2010', '-').replace('\u2212', '-')
    page_opts = set(LONG_OPT.findall(text))
    for o in sorted(help_opts - page_opts):
        misses.append(f'{o} is in {os.path.basename(tool)} --help but not in the page')
    # --help itself answered above, whether or not its text lists it.
    for o in sorted(option_entries(src) - help_opts - {'--help'}):
        misses.append(f'{o} is an entry of OPTIONS but not in {os.path.basename(tool)} --help')
    return misses


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument('--page', action='append', default=[])
    ap.add_argument('--tool', action='append', default=[])
    a = ap.parse_args()
    if not a.page or len(a.page) != len(a.tool):
        print('usage: check-man.py --page PAGE --tool PROGRAM [--page PAGE --tool PROGRAM ...]',
              file=sys.stderr)
        return 2
    if not shutil.which('groff'):
        print('check-man: groff is not installed (Debian: groff-base)', file=sys.stderr)
        return 1
    bad = 0
    for page, tool in zip(a.page, a.tool):
        misses = check(page, tool)
        for m in misses:
            print(f'{page}: {m}')
        bad += bool(misses)
        print(f'check-man: {os.path.basename(page)}: {"FAIL" if misses else "ok"}')
    print(f'check-man: {len(a.page)} pages, {len(a.page) - bad} clean, {bad} not')
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main())
