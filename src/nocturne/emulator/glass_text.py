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
