"""png.py - reads the PNG screenshots headless Chromium takes, for the
browser tests (test_dash_slow.sh, test_report.sh): no imaging library is
installed for them. Only what Chromium writes: 8-bit RGB or RGBA, not
interlaced, the five row filters."""
import struct, zlib
def load(path):
    """(width, height, rows): each row the pixels' RGB bytes, alpha dropped."""
    d = open(path, 'rb').read()
    assert d[:8] == b'\x89PNG\r\n\x1a\n', 'not a PNG'
    i, idat = 8, b''
    while i < len(d):
        ln, = struct.unpack('>I', d[i:i + 4]); t = d[i + 4:i + 8]; c = d[i + 8:i + 8 + ln]; i += 12 + ln
        if t == b'IHDR': w, h, bd, ct, _, _, il = struct.unpack('>IIBBBBB', c)
        elif t == b'IDAT': idat += c
    assert bd == 8 and ct in (2, 6) and il == 0, (bd, ct, il)
    bpp = 3 if ct == 2 else 4
    raw = zlib.decompress(idat); stride = w * bpp
    prev = bytearray(stride); p = 0; rows = []
    for y in range(h):
        f = raw[p]; line = bytearray(raw[p + 1:p + 1 + stride]); p += 1 + stride
        if f == 1:
            for x in range(bpp, stride): line[x] = (line[x] + line[x - bpp]) & 255
        elif f == 2:
            line = bytearray((a + b) & 255 for a, b in zip(line, prev))
        elif f == 3:
            for x in range(stride): line[x] = (line[x] + (((line[x - bpp] if x >= bpp else 0) + prev[x]) >> 1)) & 255
        elif f == 4:
            for x in range(stride):
                a = line[x - bpp] if x >= bpp else 0; b = prev[x]; c = prev[x - bpp] if x >= bpp else 0
                pa, pb, pc = abs(b - c), abs(a - c), abs(a + b - 2 * c)
                line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        prev = line
        rows.append(bytes(line[x] for x in range(stride) if x % bpp < 3))
    return w, h, rows
def diff(a, b, y0, y1, x0, x1):
    """Pixels that differ between images a and b (load's) in rows y0..y1, columns x0..x1."""
    return sum(1 for y in range(y0, y1) for x in range(x0, x1) if a[2][y][3 * x:3 * x + 3] != b[2][y][3 * x:3 * x + 3])
