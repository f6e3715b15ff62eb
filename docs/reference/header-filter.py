#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# header-filter.py — Doxygen's INPUT_FILTER for cqt's public headers: turns
# the house comment style (shared/STYLE.md rule 5) into doc blocks, so the
# headers stay plain C comments for people reading them and need no Doxygen
# markup. Usage: header-filter.py HEADER (the filtered text on stdout).
#
# What it rewrites (line count kept, so Doxygen's file:line warnings point
# into the real header):
#  - the comment that opens the file       -> \file block (the module page)
#  - "/* cqt_name:" blocks above a function -> its doc block
#  - a comment right above a declaration   -> that declaration's doc block
#  - a comment after a member on its line  -> "/**<" member doc
#  - "@name:" at the start of a line       -> \param name
#  - "@name" elsewhere                     -> \p name
#  - "Returns:" / "Thread:"                -> \return / the Thread section
#  - the status X-macro inside cqt_status  -> one documented enumerator per
#    code, with the text cqt_strerror() gives
# Any other comment (a section divider followed by a blank line, the
# include guard's) stays an ordinary comment.
import re
import sys


def comments(text):
    """Yields (start, end) of each /* */ comment outside strings."""
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c in '"\'':
            j = i + 1
            while j < n and text[j] != c:
                j += 2 if text[j] == '\\' else 1
            i = j + 1
        elif text.startswith('//', i):
            j = text.find('\n', i)
            i = n if j < 0 else j
        elif text.startswith('/*', i):
            j = text.find('*/', i + 2)
            j = n if j < 0 else j + 2
            yield i, j
            i = j
        else:
            i += 1


# Doxygen's special characters, escaped in prose. Doxygen takes `code
# spans` and "quoted text" literally, so those are left as they are.
SPECIAL = re.compile(r'([\\%#<>&$])')
LITERAL = re.compile(r'`[^`]*`|"[^"]*"')
QUOTED = re.compile(r'"[^"]*"')


def escape_prose(s, code=True):
    if (code and s.count('`') % 2) or s.count('"') % 2:  # unpaired: no literal spans
        return SPECIAL.sub(r'\\\1', s)
    out, last = [], 0
    for m in (LITERAL if code else QUOTED).finditer(s):
        out.append(SPECIAL.sub(r'\\\1', s[last:m.start()]))
        span = m.group(0)
        if span.startswith('`') and "'" in span:
            # Doxygen reads `text' as a quotation, so a code span holding a
            # ' would come out as quotes: an HTML code element instead.
            span = '<code>' + escape_prose(span[1:-1], code=False) + '</code>'
        out.append(span)
        last = m.end()
    out.append(SPECIAL.sub(r'\\\1', s[last:]))
    return ''.join(out)


def doc_body(body, kind):
    """Rewrites the inside of a comment (between /* and */) for Doxygen."""
    body = escape_prose(body)
    if kind == 'file':
        # "cqt/timer.h — timers that ..." : the page's brief is the rest.
        body = re.sub(r'^\s*cqt/[\w.-]+\s+—\s*(\w)', lambda m: '\\file\n * \\brief ' + m.group(1).upper(),
                      body, count=1)
        return re.sub(r'@(\w+)', r'\\p \1', body)
    if kind == 'function':
        body = re.sub(r'^\s*cqt_\w+:[ \t]*', '', body, count=1)
    # "@name: text" opening a line documents a parameter.
    body = re.sub(r'(^|\n)(\s*\*?\s*)@(\w+):', r'\1\2\\param \3', body)
    body = re.sub(r'@(\w+)', r'\\p \1', body)
    body = re.sub(r'\bReturns?:', r'\\return', body)
    body = re.sub(r'(?<!")\bThread:', r'\\cqtthread', body)
    return body


STATUS_MAP = re.compile(r'^\s*X\((\w+),\s*(-?\d+),\s*"([^"]*)"\)', re.M)


def expand_status_enum(text):
    """Replaces the X-macro line inside the cqt_status enum with the
    enumerators it makes, each documented by its message, on one line."""
    codes = STATUS_MAP.findall(text)
    if not codes:
        return text
    items = ' '.join(f'CQT_{name} = {value}, /* {msg} */'
                     for name, value, msg in codes)
    return re.sub(r'^(\s*)CQT_STATUS_MAP\(CQT__STATUS_ENUM\)\s*$', lambda m: m.group(1) + items,
                  text, count=1, flags=re.M)


def next_code_line(text, pos):
    """The line after the one holding pos, or '' (blank means none)."""
    eol = text.find('\n', pos)
    if eol < 0:
        return ''
    nxt = text.find('\n', eol + 1)
    return text[eol + 1:nxt if nxt >= 0 else len(text)]


def documents_next(line):
    """Is this line the start of something a doc block above it describes?"""
    s = line.strip()
    if not s or s.startswith(('/*', '//', '}', 'extern "C"')):
        return False
    if s.startswith('#'):
        return s.startswith('#define')
    return True


def group_end(text, pos):
    """When the declaration after a doc comment ending at pos is several
    items (opaque handles typedef'd in a row, version macros, fields
    declared together), the position where that run ends; else None."""
    eol = text.find('\n', pos)
    run_end, count, i = None, 0, eol
    while i >= 0 and i + 1 < len(text):
        j = text.find('\n', i + 1)
        j = len(text) if j < 0 else j
        line = text[i + 1:j]
        s = line.strip()
        if not s or '/*' in s or '{' in s or '}' in s or (s.startswith('#') and not s.startswith('#define')):
            break
        if s.startswith('#define'):
            count += 1
        else:
            depth = 0
            for c in s:
                depth += c in '(['
                depth -= c in ')]'
                count += (c == ';') or (c == ',' and depth == 0)
        run_end, i = j, j
    return run_end if count > 1 else None


def transform(text):
    edits = []  # (start, end, replacement), in order, never overlapping
    first = True
    for start, end in comments(text):
        line_start = text.rfind('\n', 0, start) + 1
        before = text[line_start:start]
        eol = text.find('\n', end)
        after = text[end:eol if eol >= 0 else len(text)]
        body = text[start + 2:end - 2]
        kind = None
        if first and not text[:start].strip():
            kind = 'file'
        elif before.strip():
            # A comment after code on its line documents that member, unless
            # the code is a directive (#endif /* CQT_X_H */).
            d = before.strip()
            kind = 'member' if not d.startswith('#') or d.startswith('#define') else None
        elif not after.strip() and documents_next(next_code_line(text, end)):
            kind = 'function' if re.match(r'\s*cqt_\w+:\s*\n', body) else 'decl'
        first = False
        if kind is None:
            continue
        opener = '/**<' if kind == 'member' else '/**'
        doc = opener + doc_body(body, kind) + '*/'
        gend = group_end(text, end) if kind == 'decl' else None
        if gend is None:
            edits.append((start, end, doc))
        else:
            # A member group: with DISTRIBUTE_GROUP_DOC each item of the run
            # gets the comment. (Doxygen 1.9.4 distributes only with the
            # group's braces inside doc blocks, not as /*@{*/ on the line.)
            # The closer goes on the line after the run (blank, a comment
            # or a directive): after a #define it would be its value.
            edits.append((start, end, doc[:-2] + ' @{ */'))
            close = min(gend + 1, len(text))
            edits.append((close, close, '/** @} */'))
    out, last = [], 0
    for a, b, rep in sorted(edits, key=lambda e: e[0]):
        out.append(text[last:a])
        out.append(rep)
        last = b
    out.append(text[last:])
    return ''.join(out)


def main(argv):
    if len(argv) != 2:
        print('usage: header-filter.py HEADER', file=sys.stderr)
        return 2
    with open(argv[1], encoding='utf-8') as f:
        text = f.read()
    sys.stdout.write(transform(expand_status_enum(text)))
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
