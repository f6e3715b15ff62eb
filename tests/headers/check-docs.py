#!/usr/bin/env python3
# check-docs.py — every public function keeps the documentation rule of
# shared/STYLE.md: a doc comment of its own right above its declaration,
# that names it, says what it returns (unless void), which threads may call
# it ("Thread:") and, for a pointer result, who owns it ("transfer full" or
# "transfer none"). Usage: check-docs.py HEADER... ; prints each miss as
# "file:line: function: what is missing" and exits 1 if there was one.
import re
import sys

DECL = re.compile(r'^(CQT_API|CQT_WIDGETS_API)\s+(?P<ret>[^;(]*?)\b(?P<name>cqt_\w+)\s*\(', re.M)


def comment_before(text, pos):
    """The /* ... */ block that ends right before pos (only blank space
    between), or None."""
    head = text[:pos].rstrip()
    if not head.endswith('*/'):
        return None
    start = head.rfind('/*')
    return head[start:] if start >= 0 else None


def check(path):
    text = open(path, encoding='utf-8').read()
    misses = []
    for m in DECL.finditer(text):
        name = m.group('name')
        ret = m.group('ret').strip()
        line = text.count('\n', 0, m.start()) + 1
        doc = comment_before(text, m.start())
        why = []
        if doc is None:
            why.append('no doc comment of its own right above it')
        else:
            if not re.search(r'\b' + re.escape(name) + r'\b', doc):
                why.append('its comment does not name it')
            if not re.search(r'\bThread:', doc):
                why.append('no "Thread:" line')
            if ret not in ('void', 'static void') and not re.search(r'\bReturns?\b', doc, re.I):
                why.append('does not say what it returns')
            # "transfer" may end one comment line and "none" begin the next.
            if '*' in ret and not re.search(r'transfer\s+(\*\s*)?(full|none)\b', doc, re.I):
                why.append('returns a pointer without "transfer full" or "transfer none"')
        for w in why:
            misses.append(f'{path}:{line}: {name}: {w}')
    return misses, len(DECL.findall(text))


def main(paths):
    misses = []
    total = 0
    for p in paths:
        m, n = check(p)
        misses += m
        total += n
    for m in misses:
        print(m)
    bad = len({m.split(': ')[1] for m in misses})
    print(f'check-docs: {total} public functions, {total - bad} keep the rule, {bad} do not')
    return 1 if misses else 0


if __name__ == '__main__':
    if len(sys.argv) < 2:
        print('usage: check-docs.py HEADER...', file=sys.stderr)
        sys.exit(2)
    sys.exit(main(sys.argv[1:]))
