#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# build-reference.py — builds the HTML API reference: first the house rule
# (tests/headers/check-docs.py: every public function has its doc comment,
# its Thread: line and, for a pointer, its ownership word), then Doxygen on
# the same headers through header-filter.py, with every warning an error
# (an undocumented type, field or macro, a bad @name). Either failing fails
# the build and leaves no html directory behind, so the next build retries.
#
#   build-reference.py --doxygen PROG --python PROG --doxyfile FILE
#       --filter SCRIPT --check-docs SCRIPT --mainpage MD --version V
#       --strip DIR [--strip DIR...] --out DIR HEADER...
import argparse
import os
import shlex
import shutil
import subprocess
import sys


def main():
    ap = argparse.ArgumentParser()
    for opt in ('--doxygen', '--python', '--doxyfile', '--filter', '--check-docs', '--mainpage',
                '--version', '--out'):
        ap.add_argument(opt, required=True)
    ap.add_argument('--strip', action='append', default=[])
    ap.add_argument('headers', nargs='+')
    a = ap.parse_args()

    out = os.path.abspath(a.out)
    shutil.rmtree(out, ignore_errors=True)

    r = subprocess.run([a.python, a.check_docs] + a.headers)
    if r.returncode != 0:
        print('build-reference: the headers break the documentation rule (above)', file=sys.stderr)
        return 1

    def q(*words):  # one Doxygen value, quoted for its shell and for Doxygen
        return '"' + ' '.join(shlex.quote(w) for w in words).replace('"', '\\"') + '"'

    config = open(a.doxyfile, encoding='utf-8').read()
    config += '\n# build-reference.py\n' + '\n'.join([
        f'PROJECT_NUMBER = {q(a.version)}',
        f'OUTPUT_DIRECTORY = {q(os.path.dirname(out))}',
        f'HTML_OUTPUT = {q(os.path.basename(out))}',
        'INPUT = ' + ' '.join(q(os.path.abspath(p)) for p in [a.mainpage] + a.headers),
        f'USE_MDFILE_AS_MAINPAGE = {q(os.path.abspath(a.mainpage))}',
        f'INPUT_FILTER = {q(a.python, os.path.abspath(a.filter))}',
        'STRIP_FROM_PATH = ' + ' '.join(q(os.path.abspath(s)) for s in a.strip),
        'STRIP_FROM_INC_PATH = ' + ' '.join(q(os.path.abspath(s)) for s in a.strip),
    ]) + '\n'
    r = subprocess.run([a.doxygen, '-'], input=config, text=True, capture_output=True)
    # QUIET: what Doxygen prints is its warnings (WARN_AS_ERROR makes them
    # "error:") and failures; any of them fails the build.
    msgs = [m for m in (r.stdout + r.stderr).splitlines() if m.strip()]
    for m in msgs:
        print(m, file=sys.stderr)
    if r.returncode != 0 or msgs or not os.path.isfile(os.path.join(out, 'index.html')):
        print(f'build-reference: Doxygen failed (exit status {r.returncode}, {len(msgs)} messages)',
              file=sys.stderr)
        shutil.rmtree(out, ignore_errors=True)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
