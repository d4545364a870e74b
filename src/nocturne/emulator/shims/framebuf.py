"""CPython stand-in for MicroPython's ``framebuf`` module.

Written from the MicroPython documentation of ``framebuf`` (docs.micropython.org,
library/framebuf.html) and checked pixel for pixel against the real module in
the MicroPython WebAssembly port (tests/firmware/test_framebuf_shim.py): every
primitive, its clipping at the edges, blit key and palette handling.

Formats: MONO_VLSB (the SSD1306's native layout: a byte is a vertical run of
8 pixels, LSB on top), MONO_HLSB (a byte is a horizontal run, MSB on the left:
XBM/PBM-style images), MONO_HMSB (horizontal, LSB on the left), GS2_HMSB,
GS4_HMSB, GS8 and RGB565 (little-endian, as on the ESP32).

Semantics kept from MicroPython, because firmware relies on them:

- coordinates, sizes and colours must be integers (a float is a TypeError);
- in the mono formats any non-zero colour sets the pixel;
- ``pixel(x, y)`` outside the buffer returns ``None`` and setting it is a no-op;
- ``blit`` maps the source colour through ``palette`` first, then skips it when
  it equals ``key``;
- ``text`` draws the built-in 8x8 font; every byte of the UTF-8 encoding is one
  cell, bytes outside 32..127 draw glyph 127;
- every method takes positional arguments only (keywords are a TypeError);
- ``FrameBuffer`` has no ``width``/``height`` attributes.

The 8x8 glyphs are MicroPython's built-in font (MIT licence, (c) Damien P.
George and contributors), captured from the real ``FrameBuffer.text`` by
``tools/make_framebuf_font.py``; see ``_font8x8.py``.

The drawing loops here are plain Python; they are a model of behaviour, not of
speed. On the device the same calls run in C.
"""

from operator import index as _int

from _font8x8 import FONT as _FONT
from _framebuf_formats import (  # noqa: F401  (the module's public format names)
    GS2_HMSB,
    GS4_HMSB,
    GS8,
    MONO_HLSB,
    MONO_HMSB,
    MONO_VLSB,
    MVLSB,
    RGB565,
    _geometry,
    _make_get,
    _make_set,
)


class FrameBuffer:
    """A 2-D drawing surface over a caller-owned buffer, as ``framebuf.FrameBuffer``."""

    # Like MicroPython's C methods, every method takes positional arguments only.
    def __init__(self, buffer, width, height, format, stride=None, /):
        self._setup(buffer, width, height, format, stride, True)

    def _setup(self, buffer, width, height, fmt, stride, writable):
        mv, w, h, fmt, st = _geometry(buffer, width, height, fmt, stride, writable)
        self._buf = mv
        self._w = w
        self._h = h
        self._fmt = fmt
        self._stride = st
        self._get = _make_get(mv, fmt, st)
        self._set = _make_set(mv, fmt, st)

    # -- primitives --------------------------------------------------------

    def _rect(self, x, y, w, h, c):
        """Fill an already-validated rectangle, clipped to the buffer."""
        W = self._w
        H = self._h
        if h < 1 or w < 1 or x + w <= 0 or y + h <= 0 or y >= H or x >= W:
            return
        x1 = min(W, x + w)
        y1 = min(H, y + h)
        x = max(x, 0)
        y = max(y, 0)
        if self._fmt == MONO_VLSB:
            buf = self._buf
            stride = self._stride
            while y < y1:
                # one page (8 rows) at a time: a byte mask per column
                page_end = min((y & ~7) + 8, y1)
                mask = ((1 << (page_end - y)) - 1) << (y & 7)
                base = (y >> 3) * stride
                if c:
                    for i in range(base + x, base + x1):
                        buf[i] |= mask
                else:
                    inv = ~mask & 0xFF
                    for i in range(base + x, base + x1):
                        buf[i] &= inv
                y = page_end
            return
        put = self._set
        for yy in range(y, y1):
            for xx in range(x, x1):
                put(xx, yy, c)

    def fill(self, c, /):
        self._rect(0, 0, self._w, self._h, _int(c))

    def fill_rect(self, x, y, w, h, c, /):
        self._rect(_int(x), _int(y), _int(w), _int(h), _int(c))

    def hline(self, x, y, w, c, /):
        self._rect(_int(x), _int(y), _int(w), 1, _int(c))

    def vline(self, x, y, h, c, /):
        self._rect(_int(x), _int(y), 1, _int(h), _int(c))

    def rect(self, x, y, w, h, c, f=False, /):
        x, y, w, h, c = _int(x), _int(y), _int(w), _int(h), _int(c)
        if f:
            self._rect(x, y, w, h, c)
            return
        self._rect(x, y, w, 1, c)
        self._rect(x, y + h - 1, w, 1, c)
        self._rect(x, y, 1, h, c)
        self._rect(x + w - 1, y, 1, h, c)

    def pixel(self, x, y, c=None, /):
        x = _int(x)
        y = _int(y)
        if c is not None:
            c = _int(c)
        if 0 <= x < self._w and 0 <= y < self._h:
            if c is None:
                return self._get(x, y)
            self._set(x, y, c)
        return None

    def _line(self, x1, y1, x2, y2, c):
        """Bresenham from (x1, y1) to (x2, y2), both ends drawn, clipped per pixel."""
        W = self._w
        H = self._h
        put = self._set
        dx = x2 - x1
        sx = 1
        if dx <= 0:
            dx = -dx
            sx = -1
        dy = y2 - y1
        sy = 1
        if dy <= 0:
            dy = -dy
            sy = -1
        # walk along the major axis; "a" is major, "b" minor
        steep = dy > dx
        if steep:
            a, b, da, db, sa, sb = y1, x1, dy, dx, sy, sx
        else:
            a, b, da, db, sa, sb = x1, y1, dx, dy, sx, sy
        err = 2 * db - da
        for _ in range(da):
            px, py = (b, a) if steep else (a, b)
            if 0 <= px < W and 0 <= py < H:
                put(px, py, c)
            while err >= 0:
                b += sb
                err -= 2 * da
            a += sa
            err += 2 * db
        if 0 <= x2 < W and 0 <= y2 < H:
            put(x2, y2, c)

    def line(self, x1, y1, x2, y2, c, /):
        self._line(_int(x1), _int(y1), _int(x2), _int(y2), _int(c))

    def _plot(self, x, y, c):
        if 0 <= x < self._w and 0 <= y < self._h:
            self._set(x, y, c)

    def _quadrants(self, cx, cy, x, y, c, mask, fill):
        # Quadrants are counted anticlockwise, Q1 top right (mask bit 0).
        if fill:
            if mask & 1:
                self._rect(cx, cy - y, x + 1, 1, c)
            if mask & 2:
                self._rect(cx - x, cy - y, x + 1, 1, c)
            if mask & 4:
                self._rect(cx - x, cy + y, x + 1, 1, c)
            if mask & 8:
                self._rect(cx, cy + y, x + 1, 1, c)
        else:
            if mask & 1:
                self._plot(cx + x, cy - y, c)
            if mask & 2:
                self._plot(cx - x, cy - y, c)
            if mask & 4:
                self._plot(cx - x, cy + y, c)
            if mask & 8:
                self._plot(cx + x, cy + y, c)

    def ellipse(self, x, y, xr, yr, c, f=False, m=0x0F, /):
        """Midpoint ellipse (J. Kennedy, "A Fast Bresenham Type Algorithm for
        Drawing Ellipses"): region 1 steps y while the slope is steep, region 2
        steps x; each step mirrors into the quadrants enabled by ``m``."""
        cx, cy, xr, yr, c = _int(x), _int(y), _int(xr), _int(yr), _int(c)
        fill = bool(f)
        mask = _int(m) & 0x0F
        if xr == 0 and yr == 0:
            # both regions degenerate to the centre point
            self._quadrants(cx, cy, 0, 0, c, mask, fill)
            return
        two_a2 = 2 * xr * xr
        two_b2 = 2 * yr * yr
        # region 1: from (xr, 0) upwards
        px, py = xr, 0
        xchange = yr * yr * (1 - 2 * xr)
        ychange = xr * xr
        err = 0
        stop_x = two_b2 * xr
        stop_y = 0
        while stop_x >= stop_y:
            self._quadrants(cx, cy, px, py, c, mask, fill)
            py += 1
            stop_y += two_a2
            err += ychange
            ychange += two_a2
            if 2 * err + xchange > 0:
                px -= 1
                stop_x -= two_b2
                err += xchange
                xchange += two_b2
        # region 2: from (0, yr) sideways
        px, py = 0, yr
        xchange = yr * yr
        ychange = xr * xr * (1 - 2 * yr)
        err = 0
        stop_x = 0
        stop_y = two_a2 * yr
        while stop_x <= stop_y:
            self._quadrants(cx, cy, px, py, c, mask, fill)
            px += 1
            stop_x += two_b2
            err += xchange
            xchange += two_b2
            if 2 * err + ychange > 0:
                py -= 1
                stop_y -= two_a2
                err += ychange
                ychange += two_a2

    def poly(self, x, y, coords, c, f=False, /):
        """Closed polygon through ``coords`` (x0, y0, x1, y1, ...) offset by (x, y).

        Filled with a scanline even-odd rule: an edge contributes a crossing on
        the rows from its top vertex to just above its bottom vertex; crossings
        round to the nearest pixel; local minima and horizontal edges are drawn
        in so the outline is covered.
        """
        x, y, c = _int(x), _int(y), _int(c)
        pts = [_int(v) for v in coords]
        n = len(pts) // 2
        if n < 1:
            return
        if not f:
            px1, py1 = pts[0], pts[1]
            for i in range(n - 1, -1, -1):
                px2, py2 = pts[2 * i], pts[2 * i + 1]
                self._line(x + px1, y + py1, x + px2, y + py2, c)
                px1, py1 = px2, py2
            return
        ys = pts[1::2]
        for row in range(min(ys), max(ys) + 1):
            nodes = []
            px1, py1 = pts[0], pts[1]
            for i in range(n - 1, -1, -1):
                px2, py2 = pts[2 * i], pts[2 * i + 1]
                if py1 != py2 and ((py1 > row >= py2) or (py1 <= row < py2)):
                    num = 32 * (px2 - px1) * (row - py1)
                    den = py2 - py1
                    q = abs(num) // abs(den)  # C division truncates toward zero
                    if (num < 0) != (den < 0):
                        q = -q
                    t = 32 * px1 + q + 16
                    node = abs(t) // 32
                    if t < 0:
                        node = -node
                    nodes.append(node)
                elif row == max(py1, py2):
                    if py1 < py2:
                        self._plot(x + px2, y + py2, c)
                    elif py2 < py1:
                        self._plot(x + px1, y + py1, c)
                    else:
                        self._line(x + px1, y + py1, x + px2, y + py2, c)
                px1, py1 = px2, py2
            nodes.sort()
            for i in range(0, len(nodes) - 1, 2):
                self._rect(x + nodes[i], y + row, nodes[i + 1] - nodes[i] + 1, 1, c)

    def scroll(self, xstep, ystep, /):
        """Shift the contents by (xstep, ystep); uncovered pixels keep their value."""
        xstep = _int(xstep)
        ystep = _int(ystep)
        W = self._w
        H = self._h
        get = self._get
        put = self._set
        xs = range(W - 1, xstep - 1, -1) if xstep >= 0 else range(0, W + xstep)
        ys = range(H - 1, ystep - 1, -1) if ystep >= 0 else range(0, H + ystep)
        for yy in ys:
            for xx in xs:
                put(xx, yy, get(xx - xstep, yy - ystep))

    def text(self, s, x, y, c=1, /):
        x = _int(x)
        y = _int(y)
        c = _int(c)
        W = self._w
        H = self._h
        put = self._set
        data = s.encode() if isinstance(s, str) else bytes(s)
        for ch in data:
            if ch == 0:
                break  # the C string ends at a NUL
            if ch < 32 or ch > 127:
                ch = 127
            base = (ch - 32) * 8
            for col in range(8):
                bits = _FONT[base + col]
                xx = x + col
                yy = y
                while bits:
                    if bits & 1 and 0 <= xx < W and 0 <= yy < H:
                        put(xx, yy, c)
                    bits >>= 1
                    yy += 1
            x += 8

    def blit(self, fbuf, x, y, key=-1, palette=None, /):
        """Copy ``fbuf`` (a FrameBuffer or (buffer, w, h, format[, stride])) at (x, y)."""
        src = _as_framebuffer(fbuf)
        pal = None if palette is None else _as_framebuffer(palette)
        x = _int(x)
        y = _int(y)
        key = _int(key)
        W = self._w
        H = self._h
        sw = src._w
        sh = src._h
        if x >= W or y >= H or -x >= sw or -y >= sh:
            return
        x0 = max(0, x)
        y0 = max(0, y)
        sx0 = max(0, -x)
        sy = max(0, -y)
        x_end = min(W, x + sw)
        y_end = min(H, y + sh)
        get = src._get
        put = self._set
        pget = pal._get if pal is not None else None
        for yy in range(y0, y_end):
            sx = sx0
            for xx in range(x0, x_end):
                col = get(sx, sy)
                if pget is not None:
                    col = pget(col, 0)
                if col != key:
                    put(xx, yy, col)
                sx += 1
            sy += 1


def _as_framebuffer(obj):
    if isinstance(obj, FrameBuffer):
        return obj
    if isinstance(obj, (tuple, list)) and len(obj) in (4, 5):
        # the tuple form reads its buffer only: bytes are fine here
        fb = FrameBuffer.__new__(FrameBuffer)
        fb._setup(obj[0], obj[1], obj[2], obj[3], obj[4] if len(obj) == 5 else None, False)
        return fb
    raise TypeError


def FrameBuffer1(buffer, width, height, stride=None, /):
    """Deprecated MicroPython alias: a MONO_VLSB FrameBuffer."""
    return FrameBuffer(buffer, width, height, MONO_VLSB, stride)
