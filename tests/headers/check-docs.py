#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# check-docs.py — every public function keeps the documentation rule of
# shared/STYLE.md: a doc comment of its own right above its declaration,
# that names it, says what it returns (unless void), which threads may call
# it ("Thread:") and, for a pointer result, who owns it ("transfer full" or
# "transfer none"). Also the getter naming rule (README, "Naming"): a
# getter that returns its property is the bare noun (cqt_axis_position,
# cqt_object_name: Qt's style); "get_" marks a getter that fills caller
# storage and returns a status (cqt_axis_get_status, cqt_widget_get_value),
# or one whose bare name is taken by a type or another function
# (cqt_axis_get_state: cqt_axis_state is the enum; cqt_value_get_int:
# cqt_value_int makes a value). Usage: check-docs.py HEADER... ; prints each
# miss as "file:line: function: what is missing" and exits 1 if there was one.
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


TYPE = re.compile(r'\b(?:typedef\b[^;]*?\b|struct\s+|enum\s+|\}\s*)(?P<name>cqt_\w+)\s*[;{]', re.S)


# The one reader that keeps "get_" for its family's sake, and why.
GET_FAMILY = {
    # reads the code of cqt_value_error(), beside the other cqt_value_get_*
    # readers of the cqt_value_* constructors
    'cqt_value_get_error_code',
}


def check_getter_names(paths):
    """cqt_X_get_Y is right when it fills caller storage (a status result
    and a non-const pointer parameter) or cqt_X_Y names something else."""
    names = set()
    decls = []
    for p in paths:
        text = open(p, encoding='utf-8').read()
        for m in DECL.finditer(text):
            names.add(m.group('name'))
            params = text[m.end():text.index(')', m.end())]
            fills = m.group('ret').strip().endswith('int') and any(
                '*' in a and 'const' not in a for a in params.split(','))
            decls.append((p, text.count('\n', 0, m.start()) + 1, m.group('name'), fills))
        names.update(m.group('name') for m in TYPE.finditer(text))
    misses = []
    for p, line, name, fills in decls:
        if '_get_' not in name or fills or name in GET_FAMILY:
            continue
        bare = name.replace('_get_', '_', 1)
        if bare not in names:
            misses.append(f'{p}:{line}: {name}: a getter takes the bare name {bare} '
                          '("get_" only where the bare name is taken)')
    return misses


def main(paths):
    misses = []
    total = 0
    for p in paths:
        m, n = check(p)
        misses += m
        total += n
    misses += check_getter_names(paths)
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
