"""Bitmap-font text on a FrameBuffer: one ``blit`` per glyph, no Python per pixel.

A font is a module made by tools/make_fonts.py (``font_small``, ``font_medium``,
``font_big``): ``HEIGHT`` rows per cell, ``BASELINE`` rows above the baseline,
``CHARS`` (the characters it has), ``WIDTHS`` (advance of each, in pixels) and
``DATA`` (the cells, MONO_HLSB, every row of every cell the same whole number of bytes,
concatenated in ``CHARS`` order): a column of cells, one bitmap ``8 x cell bytes`` wide.

Everything text draws with is made when this module is imported, never on a first draw
(a board that first shows SIGNAL LOST when the PC has gone must not need heap for it):
per font a ``_Face`` with its advances, the whole bitmap as one blit source ``(DATA, w,
h, MONO_HLSB)`` (the tuple form of ``FrameBuffer.blit`` reads the module's read-only
``bytes``, never a copy) and a one-cell FrameBuffer. A glyph is drawn in two blits: the
column of cells into the cell at ``-i * HEIGHT`` (C clips it to one glyph), then the cell
onto the frame. A blit source per glyph would cost ~24 KB of heap on the 32-bit port for
the 502 glyphs of the three fonts; this costs a few dozen bytes per font. Characters are
interned before they are drawn (``prepare``, ``intern``).

Characters a font lacks fall back readably: common accented Latin letters and
typographic punctuation to ASCII ("é" -> "e", "–" -> "-", "’" -> "'"), a
lower-case letter to its capital when only that exists, anything else (an emoji, a
script the font lacks) to the font's placeholder ``PLACEHOLDER``, a hollow box as tall
as a capital, or "?" in a font without one (the big digits). The small and medium fonts
have Latin-1 and Cyrillic letters. Never garbage, never an exception.

    from nocturne_fw import text, font_medium
    w = text.draw(fb, "CPU 54°", 0, 10, font_medium)      # returns the width
    text.draw(fb, "—", 127, 10, font_medium, align=text.RIGHT)
"""

import framebuf
from micropython import const
from nocturne_fw import font_big, font_medium, font_small

LEFT = const(0)
CENTER = const(1)
RIGHT = const(2)

PLACEHOLDER = "\ufffd"  # the replacement character: fonts draw it as a box (make_fonts.py)
# Invisible parts of emoji and text: variation selectors, joiners, zero-width space and
# no-break, BOM, skin-tone modifiers. Drawn as nothing, so "👍🏽" or "❤️" is one box.
_ZERO_WIDTH = (
    "\ufe0e\ufe0f\u200b\u200c\u200d\u2060\ufeff\U0001f3fb\U0001f3fc\U0001f3fd\U0001f3fe\U0001f3ff"
)

# Transliteration for characters a font lacks: _FROM[i] is drawn as _TO[i].
_FROM = (
    "ÀÁÂÃÄÅĀĂĄàáâãäåāăąÇĆĈĊČçćĉċčĎďÈÉÊËĒĔĖĘĚèéêëēĕėęěĜĞĠĢĝğġģĤĥÌÍ"
    "ÎÏĨĪĬĮİìíîïĩīĭįĴĵĶķĹĻĽĺļľÑŃŅŇñńņňÒÓÔÕÖŌŎŐòóôõöōŏőŔŖŘŕŗřŚŜŞŠś"
    "ŝşšŢŤţťÙÚÛÜŨŪŬŮŰŲùúûüũūŭůűųŴŵÝŸŶýÿŷŹŻŽźżžÆæŒœßÞþÐðĐđĦħıŁłØøĿ"
    "ŀŦŧ‘’‚‛“”„‟–—―−‐‑…•·×÷°«»‹›¡¿\xa0\u2009\u202f"
)
_TO = (
    "AAAAAAAAAaaaaaaaaaCCCCCcccccDdEEEEEEEEEeeeeeeeeeGGGGggggHhII"
    "IIIIIIIiiiiiiiiJjKkLLLlllNNNNnnnnOOOOOOOOooooooooRRRrrrSSSSs"
    "sssTTttUUUUUUUUUUuuuuuuuuuuWwYYYyyyZZZzzzAaOosPpDdDdHhiLlOoL"
    "lTt''''\"\"\"\"------.*.x/o<><>!?   "
)

_faces = {}  # font module -> _Face


class _Face:
    """Per-font state, made once: advances, the bitmap as a blit source, one glyph cell."""

    def __init__(self, font):
        self.height = h = font.HEIGHT
        self.chars = chars = font.CHARS
        # the font's advances, and one more: 0 for the zero-width characters' index
        self.widths = bytes(font.WIDTHS) + b"\x00"
        n = len(chars)
        self.none = n
        row = len(font.DATA) // (n * h)  # bytes per row of a cell, the same for every glyph
        if row * n * h != len(font.DATA):
            raise ValueError("font cells differ in size (tools/make_fonts.py pads them)")
        self.strip = (font.DATA, 8 * row, n * h, framebuf.MONO_HLSB)
        self.cell = framebuf.FrameBuffer(bytearray(row * h), 8 * row, h, framebuf.MONO_HLSB)
        q = chars.find(PLACEHOLDER)
        if q < 0:
            q = chars.find("?")
        self.unknown = q if q >= 0 else 0
        self.cut_w = 0  # _cut's second result

    def index(self, ch):
        """Glyph index for ``ch``, after fallback; always valid."""
        chars = self.chars
        i = chars.find(ch)
        if i >= 0:
            return i
        if _ZERO_WIDTH.find(ch) >= 0:
            return self.none
        j = _FROM.find(ch)
        if j >= 0:  # accented letter or typographic sign: its ASCII stand-in
            i = chars.find(_TO[j])
            if i >= 0:
                return i
            ch = _TO[j]
        if "a" <= ch <= "z":  # e.g. "z" in a digits-and-capitals font
            i = chars.find(_UPPER[ord(ch) - 97])
            if i >= 0:
                return i
        return self.unknown


_UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_interned = [False]


def prepare():
    """Intern the characters the firmware's own strings use, once (the Renderer does, as
    the board is built). MicroPython makes a one-character ``str`` by interning it, so the
    first string drawn with a new character would grow the qstr pool in the draw; strings
    from the server are interned as they are parsed (``intern``). Not every glyph of the
    fonts: ~31 bytes a character on the 64-bit port, 14 KB for all of them."""
    if _interned[0]:
        return
    _interned[0] = True
    for c in range(32, 127):
        intern(chr(c))
    intern(PLACEHOLDER + "\u00b0\u2014")


def intern(s):
    """Make every character of ``s`` a qstr now, as a line is parsed (state.py, pcs.py,
    net.py, discovery.py), so that drawing it later makes nothing."""
    for _ch in s:
        pass


def _face(font):
    f = _faces.get(font)
    if f is None:  # a font other than the three below (tests); the board's are all made
        f = _Face(font)
        _faces[font] = f
    return f


for _font in (font_small, font_medium, font_big):
    _faces[_font] = _Face(_font)


# Palettes for blitting a 1-bit glyph: ink pixels (1) are drawn, paper (0) is
# skipped via the blit key. _INK0 maps ink to colour 0 for dark-on-light text.
_pal1 = framebuf.FrameBuffer(bytearray(1), 2, 1, framebuf.MONO_HLSB)
_pal1.pixel(0, 0, 0)
_pal1.pixel(1, 0, 1)
_pal0 = framebuf.FrameBuffer(bytearray(1), 2, 1, framebuf.MONO_HLSB)
_pal0.pixel(0, 0, 1)
_pal0.pixel(1, 0, 0)


def height(font):
    """Cell height of ``font`` in pixels."""
    return font.HEIGHT


def text_width(s, font):
    """Width in pixels of ``s`` drawn in ``font`` (after fallback)."""
    f = _face(font)
    widths = f.widths
    w = 0
    for ch in s:
        w += widths[f.index(ch)]
    return w


def char_width(ch, font):
    f = _face(font)
    return f.widths[f.index(ch)]


def draw(fb, s, x, y, font, c=1, align=LEFT):
    """Draw ``s`` with its cell's top at ``y``; return its width.

    ``align``: LEFT (``x`` is the left edge), CENTER (``x`` is the middle) or
    RIGHT (``x`` is the last column drawn + 1). ``c`` is the ink colour; the
    paper is left as it was (draw a ``fill_rect`` first for a background).
    Clipping is the FrameBuffer's: text may run off any edge.
    """
    if align != LEFT:
        w = text_width(s, font)
        x -= w if align == RIGHT else w >> 1
    return _run(fb, s, x, y, _face(font), c, -1)


def _run(fb, s, x, y, f, c, n):
    """Draw the first ``n`` characters of ``s`` (all: -1) at ``x``; return the width."""
    x0 = x
    widths = f.widths
    if c:
        key = 0
        pal = _pal1
    else:
        key = 1
        pal = _pal0
    strip = f.strip
    cell = f.cell
    h = f.height
    for ch in s:
        if n == 0:
            break
        n -= 1
        i = f.index(ch)
        w = widths[i]
        if w:
            cell.blit(strip, 0, -i * h)  # no key: the whole cell is overwritten
            fb.blit(cell, x, y, key, pal)
            x += w
    return x - x0


def _cut(s, f, room):
    """Characters in the longest prefix of ``s`` no wider than ``room``; its width goes
    to ``f.cut_w`` (a tuple returned would be allocated)."""
    widths = f.widths
    w = 0
    n = 0
    for ch in s:
        cw = widths[f.index(ch)]
        if w + cw > room:
            break
        w += cw
        n += 1
    f.cut_w = w
    return n


def draw_fit(fb, s, x, y, font, width, c=1, align=LEFT, ellipsis="."):
    """Draw what ``fit`` would return, without making it: ``s`` if it fits ``width`` px,
    else its longest prefix that fits with ``ellipsis`` after it. Returns the width."""
    if text_width(s, font) <= width:
        return draw(fb, s, x, y, font, c, align)
    f = _face(font)
    ew = text_width(ellipsis, font)
    n = _cut(s, f, width - ew)
    w = f.cut_w
    if align != LEFT:
        x -= w + ew if align == RIGHT else (w + ew) >> 1
    _run(fb, s, x, y, f, c, n)
    return w + _run(fb, ellipsis, x + w, y, f, c, -1)


def fit(s, font, width, ellipsis="."):
    """Longest prefix of ``s`` that fits ``width`` px; if cut, it ends in ``ellipsis``.

    Returns ``s`` itself when it fits (no allocation); ``draw_fit`` never allocates."""
    if text_width(s, font) <= width:
        return s
    n = _cut(s, _face(font), width - text_width(ellipsis, font))
    return s[:n] + ellipsis


# --- numbers as the panel shows them: each fits the box it is drawn in (compact K/M/G
# or one decimal), rounded half away from zero identically on CPython and MicroPython ---


def iround(x):
    """Round half away from zero, identically on CPython and MicroPython."""
    if x < 0:
        return -int(-x + 0.5)
    return int(x + 0.5)


# Widest text a number may become, in characters: what its box on the panel holds.
MOST_INT = const(4)  # "4650" MHz, "1180" RPM, "-999"
MOST_BIG = const(3)  # temperatures in the 14 px big font: "-40", "100" + "°" in 62 px
MOST_DEC = const(5)  # "999.9" GB
BIG_KEYS = ("ct", "gt", "wt")  # drawn in the big font on their scene
_SUFFIXES = ("K", "M", "G")


def _compact(n, most):
    """Integer ``n`` in at most ``most`` characters: plain, else thousands with K, M, G.
    |n| < 1e9 (State refuses more), so "G" always fits in 3 characters."""
    s = "%d" % n
    if len(s) <= most:
        return s
    for suffix in _SUFFIXES:
        n = -((-n + 500) // 1000) if n < 0 else (n + 500) // 1000
        s = "%d" % n
        if len(s) + 1 <= most:
            return s + suffix
    return s + "G"


def fmt_int(x, most=MOST_INT):
    return _compact(iround(x), most)


def fmt_dec(x):
    if -99.95 < x < 999.95:
        t = iround(x * 10)
        if t < 0:
            return "-%d.%d" % (-t // 10, -t % 10)
        return "%d.%d" % (t // 10, t % 10)
    return fmt_int(x, MOST_DEC - 1)


def fmt_rate(kb):
    """KB/s -> (number, unit): 3 significant characters at most, 1 MB = 1024 KB."""
    if kb < 0:
        return fmt_int(kb, MOST_INT), "K"
    if kb < 999.5:
        return fmt_int(kb), "K"
    mb = kb / 1024
    if mb < 9.95:
        return fmt_dec(mb), "M"
    if mb < 999.5:
        return fmt_int(mb), "M"
    gb = mb / 1024
    if gb < 9.95:
        return fmt_dec(gb), "G"
    return fmt_int(gb), "G"


def fmt_mb(mb):
    """RAM of a process in MB -> compact text."""
    if mb < 999.5:
        return fmt_int(mb, MOST_INT - 1) + "M"
    return fmt_dec(mb / 1024) + "G"
