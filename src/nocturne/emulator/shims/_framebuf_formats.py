"""The pixel formats of the ``framebuf`` stand-in: their numbers, each format's geometry
checks, and one pixel getter and setter per format (see framebuf.py for the semantics)."""

from operator import index as _int

MVLSB = 0
MONO_VLSB = 0
RGB565 = 1
GS4_HMSB = 2
MONO_HLSB = 3
MONO_HMSB = 4
GS2_HMSB = 5
GS8 = 6

_FORMATS = (MONO_VLSB, RGB565, GS4_HMSB, MONO_HLSB, MONO_HMSB, GS2_HMSB, GS8)


def _geometry(buf, width, height, fmt, stride, writable=True):
    """Validate; return (byte view, width, height, format, stride) like MicroPython does."""
    width = _int(width)
    height = _int(height)
    fmt = _int(fmt)
    stride = width if stride is None else _int(stride)
    if width < 1 or height < 1 or width > 0xFFFF or height > 0xFFFF:
        raise ValueError
    if fmt not in _FORMATS:
        raise ValueError("invalid format")
    bpp = 1
    height_required = height
    if fmt == MONO_VLSB:
        height_required = (height + 7) & ~7
    elif fmt in (MONO_HLSB, MONO_HMSB):
        stride = (stride + 7) & ~7
    elif fmt == GS2_HMSB:
        stride = (stride + 3) & ~3
        bpp = 2
    elif fmt == GS4_HMSB:
        stride = (stride + 1) & ~1
        bpp = 4
    elif fmt == GS8:
        bpp = 8
    elif fmt == RGB565:
        bpp = 16
    mv = memoryview(buf)
    if mv.format != "B" or mv.ndim != 1:
        mv = mv.cast("B")
    if mv.readonly and writable:
        # MicroPython asks for a writable buffer here; bytes are refused
        raise TypeError("object with buffer protocol required")
    if len(mv) < height_required * stride * bpp // 8:
        raise ValueError
    return mv, width, height, fmt, stride


def _make_get(buf, fmt, stride):
    if fmt == MONO_VLSB:

        def get(x, y):
            return (buf[(y >> 3) * stride + x] >> (y & 7)) & 1

    elif fmt == MONO_HLSB:

        def get(x, y):
            return (buf[(x + y * stride) >> 3] >> (7 - (x & 7))) & 1

    elif fmt == MONO_HMSB:

        def get(x, y):
            return (buf[(x + y * stride) >> 3] >> (x & 7)) & 1

    elif fmt == GS2_HMSB:

        def get(x, y):
            return (buf[(x + y * stride) >> 2] >> ((x & 3) << 1)) & 3

    elif fmt == GS4_HMSB:

        def get(x, y):
            b = buf[(x + y * stride) >> 1]
            return b & 0x0F if x & 1 else b >> 4

    elif fmt == GS8:

        def get(x, y):
            return buf[x + y * stride]

    else:  # RGB565, little-endian 16-bit words

        def get(x, y):
            i = (x + y * stride) << 1
            return buf[i] | (buf[i + 1] << 8)

    return get


def _make_set(buf, fmt, stride):
    if fmt == MONO_VLSB:

        def put(x, y, c):
            i = (y >> 3) * stride + x
            m = 1 << (y & 7)
            buf[i] = (buf[i] | m) if c else (buf[i] & ~m)

    elif fmt == MONO_HLSB:

        def put(x, y, c):
            i = (x + y * stride) >> 3
            m = 0x80 >> (x & 7)
            buf[i] = (buf[i] | m) if c else (buf[i] & ~m)

    elif fmt == MONO_HMSB:

        def put(x, y, c):
            i = (x + y * stride) >> 3
            m = 1 << (x & 7)
            buf[i] = (buf[i] | m) if c else (buf[i] & ~m)

    elif fmt == GS2_HMSB:

        def put(x, y, c):
            i = (x + y * stride) >> 2
            s = (x & 3) << 1
            buf[i] = (buf[i] & ~(3 << s) & 0xFF) | ((c & 3) << s)

    elif fmt == GS4_HMSB:

        def put(x, y, c):
            i = (x + y * stride) >> 1
            if x & 1:
                buf[i] = (buf[i] & 0xF0) | (c & 0x0F)
            else:
                buf[i] = (buf[i] & 0x0F) | ((c & 0x0F) << 4)

    elif fmt == GS8:

        def put(x, y, c):
            buf[x + y * stride] = c & 0xFF

    else:

        def put(x, y, c):
            i = (x + y * stride) << 1
            buf[i] = c & 0xFF
            buf[i + 1] = (c >> 8) & 0xFF

    return put
