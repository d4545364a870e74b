"""Bitmap-font text on a FrameBuffer: one ``blit`` per glyph, no Python per pixel.

A font is a module made by tools/make_fonts.py (``font_small``, ``font_medium``,
``font_big``): ``HEIGHT`` rows per cell, ``BASELINE`` rows above the baseline,
``CHARS`` (the characters it has), ``WIDTHS`` (advance of each, in pixels) and
``DATA`` (the cells, MONO_HLSB, rows padded to whole bytes, concatenated in
``CHARS`` order).

A font's bitmap is never copied: the first time a glyph is drawn, a blit source
``(memoryview slice of DATA, width, height, MONO_HLSB)`` is made and cached (the
tuple form of ``FrameBuffer.blit`` reads a read-only ``bytes`` buffer, a FrameBuffer
would need a writable copy: ~5.8 KB of heap for the three fonts). From then on
drawing a string allocates nothing.

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
    """Per-font state made once: advances, a view of the bitmap, the glyph cache."""

    def __init__(self, font):
        self.height = font.HEIGHT
        self.chars = font.CHARS
        # the font's advances, and one more: 0 for the zero-width characters' index
        self.widths = bytes(font.WIDTHS) + b"\x00"
        self.none = len(self.chars)
        self.mv = memoryview(font.DATA)  # the font module's bytes, not a copy
        self.glyphs = [None] * len(self.chars)  # type: list  # a blit source once drawn
        q = self.chars.find(PLACEHOLDER)
        if q < 0:
            q = self.chars.find("?")
        self.unknown = q if q >= 0 else 0

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
            ch = _TO[j]
            i = chars.find(ch)
            if i >= 0:
                return i
        i = chars.find(ch.upper())  # e.g. "z" in a digits-and-capitals font
        if i >= 0:
            return i
        return self.unknown

    def glyph(self, i):
        """Blit source for glyph ``i``: made on its first draw (its offset summed then)."""
        g = self.glyphs[i]
        if g is None:
            widths = self.widths
            h = self.height
            off = 0
            for k in range(i):
                off += ((widths[k] + 7) >> 3) * h
            w = widths[i]
            g = (self.mv[off : off + ((w + 7) >> 3) * h], w, h, framebuf.MONO_HLSB)
            self.glyphs[i] = g
        return g


def _face(font):
    f = _faces.get(font)
    if f is None:
        f = _Face(font)
        _faces[font] = f
    return f


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
    f = _face(font)
    if align != LEFT:
        w = text_width(s, font)
        x -= w if align == RIGHT else w >> 1
    x0 = x
    widths = f.widths
    if c:
        key = 0
        pal = _pal1
    else:
        key = 1
        pal = _pal0
    for ch in s:
        i = f.index(ch)
        w = widths[i]
        if w:
            fb.blit(f.glyph(i), x, y, key, pal)
            x += w
    return x - x0


def fit(s, font, width, ellipsis="."):
    """Longest prefix of ``s`` that fits ``width`` px; if cut, it ends in ``ellipsis``.

    Returns ``s`` itself when it fits (no allocation)."""
    if text_width(s, font) <= width:
        return s
    room = width - text_width(ellipsis, font)
    f = _face(font)
    w = 0
    n = 0
    for ch in s:
        cw = f.widths[f.index(ch)]
        if w + cw > room:
            break
        w += cw
        n += 1
    return s[:n] + ellipsis
