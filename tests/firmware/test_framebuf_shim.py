"""The framebuf shim draws byte-for-byte what MicroPython's framebuf draws.

One script draws every primitive (with clipping at all four edges, blit keys
and palettes, HLSB/HMSB sources into VLSB, every format) and prints each
buffer as hex. It runs once in CPython against the shim and once in real
MicroPython (WebAssembly); the outputs must be identical.
"""

import contextlib
import io

import pytest
from mp import run_micropython

SCRIPT = r"""
import framebuf as F

def dump(name, buf):
    print(name, ''.join('%02x' % b for b in buf))

W, H = 20, 13   # odd sizes: partial pages and partial bytes on every edge

def new(fmt=F.MONO_VLSB, w=W, h=H):
    n = {F.MONO_VLSB: w * ((h + 7) // 8), F.MONO_HLSB: ((w + 7) // 8) * h,
         F.MONO_HMSB: ((w + 7) // 8) * h, F.GS2_HMSB: ((w + 3) // 4) * h,
         F.GS4_HMSB: ((w + 1) // 2) * h, F.GS8: w * h, F.RGB565: 2 * w * h}[fmt]
    b = bytearray(n)
    return b, F.FrameBuffer(b, w, h, fmt)

FMTS = (('vlsb', F.MONO_VLSB), ('hlsb', F.MONO_HLSB), ('hmsb', F.MONO_HMSB),
        ('gs2', F.GS2_HMSB), ('gs4', F.GS4_HMSB), ('gs8', F.GS8), ('rgb', F.RGB565))

RECTS = ((0, 0, W, H), (-3, -2, 7, 6), (W - 4, H - 3, 9, 9), (5, 3, 0, 4), (5, 3, 4, -1),
         (-30, 2, 10, 3), (2, -30, 3, 10), (W, 0, 3, 3), (0, H, 3, 3), (3, 1, 1, 1),
         (1, 6, 18, 5), (-1, -1, W + 2, H + 2))

for fname, fmt in FMTS:
    col = 1 if fmt in (F.MONO_VLSB, F.MONO_HLSB, F.MONO_HMSB) else 0x1234 + 1
    for i, r in enumerate(RECTS):
        b, fb = new(fmt)
        fb.fill_rect(r[0], r[1], r[2], r[3], col)
        dump('fill_rect/%s/%d' % (fname, i), b)
        b, fb = new(fmt)
        fb.rect(r[0], r[1], r[2], r[3], col)
        dump('rect/%s/%d' % (fname, i), b)
        b, fb = new(fmt)
        fb.rect(r[0], r[1], r[2], r[3], col, True)
        dump('rectf/%s/%d' % (fname, i), b)
    b, fb = new(fmt)
    fb.fill(col)
    fb.fill_rect(2, 2, 5, 5, 0)
    dump('fill_clear/%s' % fname, b)
    b, fb = new(fmt)
    for x in range(-2, W + 2):
        fb.pixel(x, (x * 7) % (H + 3) - 1, col + x)
    dump('pixel/%s' % fname, b)
    print('getpixel/%s' % fname,
          [fb.pixel(x, y) for x in (-1, 0, 3, W - 1, W) for y in (-1, 0, 5, H - 1, H)])

# colours in mono formats: any non-zero sets
for c in (0, 1, 2, 255, -1, -2, 0x10000):
    b, fb = new()
    fb.fill(c)
    fb.pixel(1, 1, c)
    fb.hline(0, 4, 5, c)
    dump('mono_colour/%d' % c, b)

HV = ((0, 0, 5), (-3, 2, 6), (W - 2, 3, 5), (4, -1, 3), (4, H, 3), (2, 5, 0), (2, 5, -3),
      (0, H - 1, W), (W - 1, 0, H))
for i, (x, y, n) in enumerate(HV):
    b, fb = new()
    fb.hline(x, y, n, 1)
    dump('hline/%d' % i, b)
    b, fb = new()
    fb.vline(x, y, n, 1)
    dump('vline/%d' % i, b)

LINES = ((0, 0, W - 1, H - 1), (W - 1, H - 1, 0, 0), (0, H - 1, W - 1, 0), (3, 3, 3, 3),
         (0, 5, 19, 5), (19, 5, 0, 5), (5, 0, 5, 12), (5, 12, 5, 0), (-5, -5, 30, 20),
         (30, -4, -6, 18), (2, 1, 7, 12), (7, 12, 2, 1), (0, 0, 1, 2), (0, 0, 2, 1),
         (1, 0, 0, 3), (10, 6, -20, 8), (-9, -9, -1, -1), (0, 0, 6, 3), (6, 3, 0, 0),
         (0, 0, 3, 6), (3, 6, 0, 0), (0, 6, 6, 3), (6, 3, 0, 6), (4, 4, 9, 9), (9, 9, 4, 4),
         (0, 12, 12, 0), (12, 0, 0, 12), (0, 0, 4, 2), (4, 2, 0, 0))
for i, l in enumerate(LINES):
    b, fb = new()
    fb.line(l[0], l[1], l[2], l[3], 1)
    dump('line/%d' % i, b)
    b, fb = new(F.MONO_HLSB)
    fb.line(l[0], l[1], l[2], l[3], 1)
    dump('line_hlsb/%d' % i, b)

ELL = ((10, 6, 5, 3), (10, 6, 3, 5), (0, 0, 6, 6), (19, 12, 8, 4), (10, 6, 0, 0), (10, 6, 4, 0),
       (10, 6, 0, 4), (10, 6, 12, 9), (10, 6, 1, 1), (10, 6, 2, 7), (-3, 6, 5, 5))
for i, e in enumerate(ELL):
    for f in (False, True):
        for m in (0xF, 1, 2, 4, 8, 5, 0x1A):
            b, fb = new()
            fb.ellipse(e[0], e[1], e[2], e[3], 1, f, m)
            dump('ellipse/%d/%d/%d' % (i, f, m), b)
    b, fb = new()
    fb.ellipse(e[0], e[1], e[2], e[3], 1)
    dump('ellipse_default/%d' % i, b)

import array
POLYS = ((2, 1, (0, 0, 15, 2, 8, 10)), (0, 0, (5, 0, 10, 5, 5, 10, 0, 5)),
         (1, 1, (0, 0, 16, 0, 16, 10, 8, 4, 0, 10)), (-4, -3, (0, 0, 25, 4, 10, 20)),
         (3, 2, (0, 0, 12, 0, 12, 8, 0, 8)), (0, 0, (3, 3)), (0, 0, (2, 2, 9, 2)),
         (5, 5, (0, 0, -4, 6, 6, 3, -3, -4, 8, -2)), (0, 0, (1, 1, 18, 1, 1, 11, 18, 11)))
for i, (x, y, pts) in enumerate(POLYS):
    for f in (False, True):
        b, fb = new()
        fb.poly(x, y, array.array('h', pts), 1, f)
        dump('poly/%d/%d' % (i, f), b)

TXT = ('Hi!', 'A~\x7f', '0123', ' ')
for i, t in enumerate(TXT):
    for (x, y) in ((0, 0), (-3, -2), (14, 8), (-9, 0), (2, 3)):
        b, fb = new()
        fb.text(t, x, y)
        dump('text/%d/%d/%d' % (i, x, y), b)
b, fb = new(F.MONO_VLSB, 80, 10)
fb.text('\xe9\x01\x7f~', 0, 1)
dump('text_nonascii', b)
b, fb = new(F.GS8, 16, 9)
fb.text('g', 1, 1, 200)
dump('text_gs8', b)

for (dx, dy) in ((1, 0), (-1, 0), (0, 1), (0, -1), (3, -2), (-5, 4), (0, 0), (W, 0), (0, -H),
                 (-W - 1, 0), (7, 9)):
    for fname, fmt in (('vlsb', F.MONO_VLSB), ('hlsb', F.MONO_HLSB), ('gs8', F.GS8)):
        b, fb = new(fmt)
        for k in range(len(b)):
            b[k] = (k * 37 + 11) & 0xFF
        fb.scroll(dx, dy)
        dump('scroll/%s/%d/%d' % (fname, dx, dy), b)

# blit sources: an 11x9 pattern in several formats
SW, SH = 11, 9
srcs = []
for fname, fmt in (('vlsb', F.MONO_VLSB), ('hlsb', F.MONO_HLSB), ('hmsb', F.MONO_HMSB),
                   ('gs8', F.GS8)):
    sb, sfb = new(fmt, SW, SH)
    for y in range(SH):
        for x in range(SW):
            v = (x * 3 + y * 5) % 7
            sfb.pixel(x, y, (v > 2) if fmt != F.GS8 else v)
    srcs.append((fname, fmt, sb, sfb))
POS = ((0, 0), (5, 2), (-4, -3), (W - 5, H - 4), (W, 0), (0, H), (-SW, 0), (0, -SH),
       (-SW + 1, -SH + 1), (W - 1, H - 1))
pb = bytearray(1)
pal = F.FrameBuffer(pb, 2, 1, F.MONO_HLSB)
pal.pixel(0, 0, 1)
pal.pixel(1, 0, 0)
for fname, fmt, sb, sfb in srcs:
    for (x, y) in POS:
        for key in (-1, 0, 1):
            b, fb = new()
            fb.fill_rect(3, 2, 12, 8, 1)
            fb.blit(sfb, x, y, key)
            dump('blit/%s/%d/%d/%d' % (fname, x, y, key), b)
        if fmt != F.GS8:
            b, fb = new()
            fb.fill_rect(0, 0, 9, 13, 1)
            fb.blit(sfb, x, y, 1, pal)
            dump('blit_pal/%s/%d/%d' % (fname, x, y), b)
    b, fb = new(F.GS8)
    fb.blit(sfb, 1, 1, 3 if fmt == F.GS8 else 0)
    dump('blit_to_gs8/%s' % fname, b)
    b, fb = new()
    fb.blit((sb, SW, SH, fmt), 2, 3, 0)
    dump('blit_tuple/%s' % fname, b)
    b, fb = new()
    fb.blit((sb, SW - 3, SH, fmt, SW), 2, 3)
    dump('blit_tuple_stride/%s' % fname, b)

# a 64x64 XBM-style cover (MONO_HLSB) into a 128x64 VLSB screen, as MEDIA does
cov = bytearray(512)
for k in range(512):
    cov[k] = (k * 73 + (k >> 3)) & 0xFF
cfb = F.FrameBuffer(cov, 64, 64, F.MONO_HLSB)
scr = bytearray(1024)
sfb2 = F.FrameBuffer(scr, 128, 64, F.MONO_VLSB)
sfb2.fill(1)
sfb2.blit(cfb, 0, 0)
sfb2.blit(cfb, 100, -10, 0)
dump('cover', scr)

# stride larger than width, and FrameBuffer over a memoryview (driver style)
big = bytearray(1 + 30 * 2)
mv = memoryview(big)[1:]
vfb = F.FrameBuffer(mv, 20, 16, F.MONO_VLSB, 30)
vfb.fill(1)
vfb.line(0, 15, 29, 0, 0)
vfb.text('Z', 12, 4, 0)
dump('memoryview_stride', big)
"""


def _run_cpython(script: str) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(script, "<framebuf-script>", "exec"), {"__name__": "__script__"})
    return out.getvalue()


@pytest.fixture(scope="module")
def outputs():
    return _run_cpython(SCRIPT), run_micropython(SCRIPT)


def test_script_covers_cases(outputs):
    shim, _ = outputs
    assert len(shim.splitlines()) > 700


def test_shim_matches_micropython_byte_for_byte(outputs):
    shim, real = outputs
    shim_lines = shim.splitlines()
    real_lines = real.splitlines()
    mismatches = [(a, b) for a, b in zip(shim_lines, real_lines, strict=False) if a != b]
    assert not mismatches, (
        "\n".join(f"shim: {a}\nreal: {b}" for a, b in mismatches[:10])
        + f"\n({len(mismatches)} mismatching cases)"
    )
    assert len(shim_lines) == len(real_lines)


def test_errors_match_micropython():
    import framebuf

    with pytest.raises(TypeError):
        framebuf.FrameBuffer(bytearray(8), 8, 8, framebuf.MONO_VLSB).pixel(1.0, 2)
    with pytest.raises(ValueError):
        framebuf.FrameBuffer(bytearray(7), 8, 8, framebuf.MONO_VLSB)
    with pytest.raises(ValueError):
        framebuf.FrameBuffer(bytearray(7), 9, 7, framebuf.MONO_HLSB)  # stride rounds to 16


def test_keyword_arguments_refused_like_micropython():
    """MicroPython's framebuf methods take no keywords; firmware must not use them."""
    import framebuf

    b = bytearray(8)
    fb = framebuf.FrameBuffer(b, 8, 8, framebuf.MONO_VLSB)
    for call in (
        lambda: fb.rect(0, 0, 2, 2, 1, f=True),
        lambda: fb.blit(fb, 0, 0, key=0),
        lambda: framebuf.FrameBuffer(b, 8, 8, framebuf.MONO_VLSB, stride=8),
        lambda: fb.text("a", 0, 0, c=1),
        lambda: fb.ellipse(1, 1, 1, 1, 1, True, m=1),
    ):
        with pytest.raises(TypeError):
            call()
