"""Reading text off the glass: is a string drawn, exactly as the firmware draws it?"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


def _rows_as_ints(picture: list[list[int]]) -> list[int]:
    out = []
    for row in picture:
        v = 0
        for x, p in enumerate(row):
            if p:
                v |= 1 << x
        out.append(v)
    return out


def text_patch(s: str, font: Any) -> tuple[int, list[int]]:
    """``s`` drawn by the firmware's own text writer: (width, row bitmasks, bit x = column x)."""
    import framebuf
    from nocturne_fw import text

    w = max(1, text.text_width(s, font))
    h = font.HEIGHT
    buf = bytearray(((h + 7) // 8) * w)
    fb = framebuf.FrameBuffer(buf, w, h, framebuf.MONO_VLSB)
    text.draw(fb, s, 0, 0, font)
    rows = []
    for y in range(h):
        v = 0
        for x in range(w):
            if fb.pixel(x, y):
                v |= 1 << x
        rows.append(v)
    return w, rows


def find_text(picture: list[list[int]], s: str, font: Any = None) -> bool:
    """``s`` appears in ``picture`` exactly as the firmware draws it (lit on dark, or dark on
    lit: an inverted panel or a name tag), glyph cells and the paper between them included."""
    from nocturne_fw import font_big, font_medium, font_small

    fonts: Iterable[Any] = (font_small, font_medium, font_big) if font is None else (font,)
    rows = _rows_as_ints(picture)
    height = len(rows)
    width = len(picture[0]) if picture else 0
    for f in fonts:
        w, patch = text_patch(s, f)
        h = len(patch)
        mask = (1 << w) - 1
        inv = [p ^ mask for p in patch]
        for y in range(height - h + 1):
            first = rows[y]
            for x in range(width - w + 1):
                v = (first >> x) & mask
                if v == patch[0]:
                    cand = patch
                elif v == inv[0]:
                    cand = inv
                else:
                    continue
                if all(((rows[y + i] >> x) & mask) == cand[i] for i in range(1, h)):
                    return True
    return False


# --- every string on the glass, in reading order (``nocturne emulate --text``) -----------

# Lone strings made only of these are taken for pieces of a drawing (a graph's dot, an
# icon's stroke), not text.
_NOISE = frozenset(".,'`_:;|!\"^~")
# A lone dash is the firmware's unknown value ("—"); a small font's "—" has the pixels of a
# bigger font's "-", so a lone one reads as "—" whichever font matched it.
_DASHES = ("-", "\u2014")
_tables: dict[Any, tuple[int, int, int, dict[tuple[int, ...], str]]] = {}


def _glyphs(font: Any) -> tuple[int, int, int, dict[tuple[int, ...], str]]:
    """(cell width, height, baseline, cell rows -> character) of ``font``'s glyphs, lit on
    dark and dark on lit, drawn by the firmware's own text writer."""
    table = _tables.get(font)
    if table is None:
        glyphs: dict[tuple[int, ...], str] = {}
        width = max(font.WIDTHS)
        mask = (1 << width) - 1
        for ch in font.CHARS:
            if ch in " \ufffd" or ord(ch) > 0x2014:  # the box is no text; no Cyrillic
                continue
            w, rows = text_patch(ch, font)
            if w != width or not any(rows):
                continue
            glyphs.setdefault(tuple(rows), ch)  # digits come first: "0" before "O"
            glyphs.setdefault(tuple(r ^ mask for r in rows), ch)
        table = _tables[font] = (width, font.HEIGHT, font.BASELINE, glyphs)
    return table


def _matches(rows: list[int], width: int, font: Any) -> list[tuple[int, int, str, list[int]]]:
    """Every cell of ``font`` on the glass that is one of its glyphs: (x, y, char, ink)."""
    w, h, _, glyphs = _glyphs(font)
    mask = (1 << w) - 1
    out = []
    for y in range(len(rows) - h + 1):
        band = rows[y : y + h]
        some = 0
        every = -1
        for r in band:
            some |= r
            every &= r
        for x in range(width - w + 1):
            if not (some >> x) & mask or (every >> x) & mask == mask:
                continue  # all dark or all lit: no glyph
            cell = tuple((r >> x) & mask for r in band)
            ch = glyphs.get(cell)
            if ch is not None:
                lit = sum(bin(r).count("1") for r in cell) * 2 < w * h
                out.append((x, y, ch, [(r if lit else ~r & mask) << x for r in cell]))
    return out


def read_text(picture: list[list[int]]) -> list[str]:
    """Every string drawn on ``picture`` with the firmware's fonts, in reading order (top to
    bottom by baseline, then left to right). Glyphs of one font on one row, side by side, are
    one string; one space's width apart, one string with a space; further apart, two."""
    from nocturne_fw import font_big, font_medium, font_small

    rows = _rows_as_ints(picture)
    width = len(picture[0]) if picture else 0
    taken = [0] * len(rows)  # pixels already read as part of a glyph
    runs: dict[tuple[int, int], list[tuple[int, str]]] = {}  # (baseline, font) -> glyphs
    fonts = (font_big, font_medium, font_small)
    cells = [
        (number, x, y, ch, ink)
        for number, font in enumerate(fonts)
        for x, y, ch, ink in _matches(rows, width, font)
    ]
    at = {(number, x, y) for number, x, y, _, _ in cells}
    # Where two readings share pixels (a "P" is a "p" one row up), letters and digits win over
    # strokes, then the one with neighbours in its font and row (a word), then the bigger
    # font, then the upper and the left one.
    found = []
    for number, x, y, ch, ink in cells:
        w = _glyphs(fonts[number])[0]
        if (ch in _DASHES or ch in _NOISE) and any(
            bits and rows[y + i] & (bits << 1 | bits >> 1) & ~bits for i, bits in enumerate(ink)
        ):
            continue  # a stroke that goes on beyond its cell is part of a drawn line
        neighbours = ((number, x - w, y) in at) + ((number, x + w, y) in at)
        found.append((ch in _NOISE or ch in _DASHES, -neighbours, number, y, x, ch, ink))
    found.sort(key=lambda m: m[:5])
    for _, _, number, y, x, ch, ink in found:
        if any(taken[y + i] & bits for i, bits in enumerate(ink)):
            continue
        for i, bits in enumerate(ink):
            taken[y + i] |= bits
        baseline = fonts[number].BASELINE
        runs.setdefault((y + baseline, number), []).append((x, ch))
    strings: list[tuple[int, int, str]] = []  # (baseline, x, text)
    for (base, number), glyphs in runs.items():
        w = _glyphs(fonts[number])[0]
        glyphs.sort()
        start, text, end = glyphs[0][0], glyphs[0][1], glyphs[0][0] + w
        for x, ch in glyphs[1:]:
            if x - end > w:
                strings.append((base, start, text))
                start, text = x, ""
            elif x - end > 0:
                text += " "
            text += ch
            end = x + w
        strings.append((base, start, text))
    strings = [
        (base, x, "\u2014" if text in _DASHES else text)
        for base, x, text in strings
        if not set(text) <= {*_NOISE, " "} and (text in _DASHES or not set(text) <= {*_DASHES, " "})
    ]  # a run of dashes is a drawn line
    strings.sort()
    lines: list[list[tuple[int, str]]] = []
    top = None
    for base, x, text in strings:
        if top is None or base - top > 4:
            lines.append([])
            top = base
        lines[-1].append((x, text))
    return [text for line in lines for _, text in sorted(line)]
