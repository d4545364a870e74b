"""Drawing engine: the widgets every scene is made of.

128 x 64 px, 1 bit. Layout, in rows: header 0-8 (text 0-6, rule at 8),
content ``TOP``..``BOTTOM``, footer dots 61-63. All text goes through
``text.draw`` (one blit per glyph). Nothing here allocates: numbers are drawn
digit by digit from ``DIGITS``, strings come cached from ``State``.
"""

import framebuf
from micropython import const
from nocturne_fw import font_small, text
from nocturne_fw.state import DASH

W = const(128)
H = const(64)
TOP = const(10)  # first content row
BOTTOM = const(60)  # last content row
HEADER_RULE = const(8)

DIGITS = ("0", "1", "2", "3", "4", "5", "6", "7", "8", "9")
MINUS = "-"

# Link states for the header mark
LINK_DOWN = const(0)  # no WiFi
LINK_WAIT = const(1)  # WiFi, no server yet
LINK_UP = const(2)  # lines arriving
LINK_LOST = const(3)  # was up, silent now


def rssi_bars(rssi):
    """dBm -> 0..4 bars. -55 dBm and better is a full signal on the ESP32's PCB antenna."""
    if rssi is None:
        return 0
    if rssi >= -55:
        return 4
    if rssi >= -65:
        return 3
    if rssi >= -75:
        return 2
    if rssi >= -85:
        return 1
    return 0


def draw_int(fb, n, x, y, font, c=1, align=text.LEFT):
    """Draw integer ``n`` without making a string; return its width."""
    neg = n < 0
    if neg:
        n = -n
    # count digits and the width
    d = 1
    p = 10
    while p <= n:
        d += 1
        p *= 10
    dw = text.char_width("0", font)
    w = d * dw + (text.char_width(MINUS, font) if neg else 0)
    if align == text.RIGHT:
        x -= w
    elif align == text.CENTER:
        x -= w >> 1
    if neg:
        x += text.draw(fb, MINUS, x, y, font, c)
    p //= 10
    while p:
        x += text.draw(fb, DIGITS[(n // p) % 10], x, y, font, c)
        p //= 10
    return w


def wifi_bars(fb, x, y, bars):
    """Four bars, 2 px wide, 2/4/6/7 px tall, bottom at ``y + 6``; unlit ones as a dot."""
    for i in range(4):
        h = 2 + 2 * i if i < 3 else 7
        if i < bars:
            fb.fill_rect(x + 3 * i, y + 7 - h, 2, h, 1)
        else:
            fb.hline(x + 3 * i, y + 6, 2, 1)


def link_mark(fb, x, y, link):
    """5 x 5 mark: filled = linked, hollow = waiting, cross = lost, dot = no WiFi."""
    if link == LINK_UP:
        fb.fill_rect(x, y + 1, 5, 5, 1)
    elif link == LINK_WAIT:
        fb.rect(x, y + 1, 5, 5, 1)
    elif link == LINK_LOST:
        fb.line(x, y + 1, x + 4, y + 5, 1)
        fb.line(x, y + 5, x + 4, y + 1, 1)
    else:
        fb.fill_rect(x + 2, y + 5, 1, 1, 1)


def header(fb, name, bars, link, alert=False, x0=0):
    """Scene name at the left; link mark and WiFi bars at the right; rule below.

    With ``alert`` the name is drawn dark on a lit box, so it reads as a tag."""
    if alert:
        w = text.text_width(name, font_small)
        fb.fill_rect(x0, 0, w + 3, 8, 1)
        text.draw(fb, name, x0 + 1, 1, font_small, 0)
    else:
        text.draw(fb, name, x0 + 1, 0, font_small)
    link_mark(fb, 107, 0, link)
    wifi_bars(fb, 116, 0, bars)
    fb.hline(x0, HEADER_RULE, W - x0, 1)


def footer(fb, count, cur, x0=0, w=W):
    """Scene dots: 2 x 2 each, 5 px apart (4 where that does not fit ``w``, as in MEDIA's
    64 px panel); the current one is a 4 x 3 bar."""
    step = 5 if (count - 1) * 5 + 2 <= w else 4
    x = x0 + (w - (count - 1) * step - 2) // 2
    for i in range(count):
        if i == cur:
            fb.fill_rect(x - 1, 61, 4, 3, 1)
        else:
            fb.fill_rect(x, 62, 2, 2, 1)
        x += step


def bar(fb, x, y, w, h, pct):
    """Progress bar: outline, fill proportional to ``pct`` (0..100); -1 = unknown (hatched)."""
    fb.rect(x, y, w, h, 1)
    if pct < 0:
        # unknown: a dotted centre line, so it never reads as 0 %
        for i in range(x + 2, x + w - 2, 4):
            fb.hline(i, y + (h >> 1), 2, 1)
        return
    if pct > 100:
        pct = 100
    fw = (w - 4) * pct // 100
    if fw > 0:
        fb.fill_rect(x + 2, y + 2, fw, h - 4, 1)


def label_value(fb, x, y, label, value, unit, vfont, lfont=font_small, gap=2):
    """A labelled value block: small label on top, ``gap`` rows, then ``value`` and a
    small ``unit`` on its baseline (no unit after an unknown value's dash).

    Returns the width used by the value line."""
    text.draw(fb, label, x, y, lfont)
    vy = y + lfont.HEIGHT + gap
    w = text.draw(fb, value, x, vy, vfont)
    if unit and value is not DASH:
        # unit sits on the value's baseline
        uy = vy + vfont.BASELINE - lfont.BASELINE
        w += 1 + text.draw(fb, unit, x + w + 1, uy, lfont)
    return w


def value_unit(fb, x, y, value, unit, vfont, ufont=font_small, align=text.LEFT):
    """``value`` then ``unit`` on the same baseline (no unit after a dash); returns
    the total width."""
    if value is DASH:
        unit = ""
    w = text.text_width(value, vfont)
    uw = text.text_width(unit, ufont) + 1 if unit else 0
    if align == text.RIGHT:
        x -= w + uw
    elif align == text.CENTER:
        x -= (w + uw) >> 1
    text.draw(fb, value, x, y, vfont)
    if unit:
        text.draw(fb, unit, x + w + 1, y + vfont.BASELINE - ufont.BASELINE, ufont)
    return w + uw


def alert_frame(fb):
    """Marks a scene under a CRITICAL alert: the header rule doubled into a 3 px bar
    and hazard ticks along the footer row, leaving the content untouched."""
    fb.fill_rect(0, HEADER_RULE - 1, W, 3, 1)
    for x in range(0, 24, 4):
        fb.line(x, 63, x + 2, 61, 1)
        fb.line(W - 24 + x, 63, W - 22 + x, 61, 1)


class Glitch:
    """The occasional glitch: a few 8-row bands shifted sideways, a torn line.

    Bands are copied through one preallocated 128 x 8 scratch FrameBuffer, so it
    works on any FrameBuffer and allocates nothing. Deterministic per ``seed``
    (a tiny LCG, not ``random``), so golden images are stable.
    """

    def __init__(self):
        self.buf = bytearray(W)  # 128 x 8 px, MONO_VLSB: one SSD1306 page
        self.band = framebuf.FrameBuffer(self.buf, W, 8, framebuf.MONO_VLSB)

    def apply(self, fb, seed):
        # ZX81's LCG (x * 75 + 74) mod 65537: products stay small ints, so no bigint
        # allocation on MicroPython (its small ints are 31 bits)
        r = seed % 65537
        for _ in range(3):
            r = (r * 75 + 74) % 65537
            y = r % (H - 8)
            r = (r * 75 + 74) % 65537
            dx = (r % 13) - 6
            if dx == 0:
                dx = 3
            self.band.blit(fb, 0, -y)
            fb.fill_rect(0, y, W, 8, 0)
            fb.blit(self.band, dx, y)
        r = (r * 75 + 74) % 65537
        y = r % H
        r = (r * 75 + 74) % 65537
        fb.hline(r % 64, y, 24 + (r >> 6) % 40, 1)
