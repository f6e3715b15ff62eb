#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""check-png.py FILE WIDTH HEIGHT — the screenshot is a PNG of the window's
size and is not blank.

Decodes the PNG with the standard library only (zlib): 8-bit RGB or RGBA,
not interlaced, which is what Qt writes. "Not blank" means: many distinct
colours, and a good share of pixels differ from the most common one (the
background). Prints what it found; exits 1 when a check fails."""
import struct
import sys
import zlib
from collections import Counter


def paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def decode(path):
    data = open(path, 'rb').read()
    if data[:8] != b'\x89PNG\r\n\x1a\n':
        raise ValueError('not a PNG (bad signature)')
    pos, idat, ihdr = 8, b'', None
    while pos < len(data):
        length, kind = struct.unpack('>I4s', data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b'IHDR':
            ihdr = struct.unpack('>IIBBBBB', body)
        elif kind == b'IDAT':
            idat += body
        elif kind == b'IEND':
            break
        pos += 12 + length
    if not ihdr:
        raise ValueError('no IHDR chunk')
    width, height, depth, ctype, _, _, interlace = ihdr
    if depth != 8 or ctype not in (2, 6) or interlace:
        raise ValueError('unsupported PNG: depth %d, colour type %d, interlace %d'
                         % (depth, ctype, interlace))
    bpp = 3 if ctype == 2 else 4
    raw = zlib.decompress(idat)
    stride = width * bpp
    rows, prev = [], bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        ftype, line = raw[start], bytearray(raw[start + 1:start + 1 + stride])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b, c = prev[i], prev[i - bpp] if i >= bpp else 0
            if ftype == 1:
                line[i] = (line[i] + a) & 255
            elif ftype == 2:
                line[i] = (line[i] + b) & 255
            elif ftype == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif ftype == 4:
                line[i] = (line[i] + paeth(a, b, c)) & 255
        rows.append(bytes(line))
        prev = line
    return width, height, bpp, rows


def main():
    if len(sys.argv) != 4:
        print(__doc__)
        return 2
    path, want_w, want_h = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    try:
        width, height, bpp, rows = decode(path)
    except (OSError, ValueError, zlib.error) as e:
        print('FAIL: %s: %s' % (path, e))
        return 1
    colours = Counter()
    for row in rows[::2]:  # every other row is plenty
        for x in range(0, len(row), bpp * 2):
            colours[row[x:x + 3]] += 1
    total = sum(colours.values())
    background = colours.most_common(1)[0][1]
    share = 1.0 - background / total
    print('%s: %dx%d PNG, %d colours, %.1f%% of pixels off the background'
          % (path, width, height, len(colours), share * 100))
    ok = True
    if (width, height) != (want_w, want_h):
        print('FAIL: the window is %dx%d' % (want_w, want_h))
        ok = False
    if len(colours) < 16 or share < 0.05:
        print('FAIL: the image is (nearly) blank')
        ok = False
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
