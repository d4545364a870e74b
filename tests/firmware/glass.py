"""Read a 128 x 64 MONO_VLSB frame like an eye would: where does a string appear?

``find(frame, s, font)`` draws ``s`` with the firmware's own text writer into a scratch
buffer and returns every (x, y) where the frame holds exactly that picture: the ink
and the paper of the whole text cell, so a "0" is not found inside an "8"."""

import framebuf
from nocturne_fw import text

W = 128
H = 64


def pixels(frame):
    """Frame bytes (SSD1306 page layout) -> rows of 0/1, ``[y][x]``."""
    return [[(frame[(y >> 3) * W + x] >> (y & 7)) & 1 for x in range(W)] for y in range(H)]


def picture(s, font):
    """``s`` as the panel would show it: rows of 0/1, one text cell tall."""
    w = text.text_width(s, font)
    h = font.HEIGHT
    buf = bytearray(w * ((h + 7) // 8))
    fb = framebuf.FrameBuffer(buf, w, h, framebuf.MONO_VLSB)
    text.draw(fb, s, 0, 0, font)
    return [[fb.pixel(x, y) for x in range(w)] for y in range(h)]


def find(frame, s, font):
    """Top-left corners where ``s`` in ``font`` is drawn (paper included)."""
    rows = pixels(frame)
    pic = picture(s, font)
    h = len(pic)
    w = len(pic[0]) if h else 0
    first = pic[0]
    hits = []
    for y in range(H - h + 1):
        for x in range(W - w + 1):
            if rows[y][x : x + w] != first:
                continue
            if all(rows[y + j][x : x + w] == pic[j] for j in range(1, h)):
                hits.append((x, y))
    return hits
