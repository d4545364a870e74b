"""The user's own scenes (issue 24): ``xs`` defines them, ``xv`` carries their values.

``xs`` (PROTOCOL.md, "Custom scenes") is a list of up to ``SCENES`` scenes, scene id
``CUSTOM_1`` first, each ``[name, layout, slots]``, a slot ``[label, unit, decimals, warn,
critical]``. It comes on a connection's first line and when the config changes; the board
keeps the last one it accepted. A malformed ``xs`` is refused whole and the previous one
stays; the rest of the line applies (custom_xs.py checks it). ``xv`` is a flat list of every
slot's value, scene by scene; a missing value or one of the wrong type is unknown (the
dash), never 0.

A State part (``State.parts``) that applies itself in ``prepare`` (no spare tables: the
heap budget; a line State refuses after that, only for a MemoryError, keeps its custom
scenes), into tables made once, for ``SCENES`` x ``SLOTS`` slots, of small ints: a
draw makes nothing and a line makes no string. An ``xs`` is applied as the next line comes,
and that line's values are the first shown with it (the line that brings it keeps the shown
ones): its checker is then compiled in a heap without the first line of a connection, the
largest (a cover), around it. A value is formatted with its slot's decimals into as
many characters as its box holds (fewer decimals, then text.py's compact K/M/G). A value
>= its slot's
``warn`` shows its label as a tag (dark on a lit box); >= ``critical`` the slot's box
flashes (lit every other ``_BLINK_MS``, as an alert flashes the panel). The graph layout
keeps the last ``GRAPH_N`` values of its slot (graph.py, auto-scaled, 16-bit samples in
the slot's decimals' units: drawn at most 32767, negative as 0), cleared when the scene's
definition changes.

Made when the first ``xs`` that defines a scene arrives (commands.CustomGate stands in
until then: a board whose PC defines none never holds this module). The definition is
checked and copied by custom_xs.py, imported only while an ``xs`` is
handled and dropped afterwards: it comes once per connection.
"""

import sys
from array import array

from micropython import const
from nocturne_fw import font_big, font_medium, font_small, text
from nocturne_fw.clock import ticks_diff
from nocturne_fw.display import DIGITS
from nocturne_fw.scene_ids import CUSTOM_1
from nocturne_fw.state import DASH, _num_ok
from nocturne_fw.text import iround

SCENES = const(4)
SLOTS = const(6)  # preallocated per scene: the most a layout shows
_BLINK_MS = const(500)
_GRAPH_MOST = const(32767)  # a graph's samples are 16-bit (custom_xs.py)

# Layouts by number (custom_xs.LAYOUTS names them): big, two, grid, rows, graph.
# (Names with a _ are not kept in the module's dict: the board's heap.)
_L_TWO = const(1)
_L_GRID = const(2)
_L_GRAPH = const(4)
TAKES = b"\x01\x02\x04\x06\x01"  # slots each layout shows
_MOST = b"\x07\x05\x06\x09\x08"  # characters a value's box holds, per layout
_TENS = (1, 10, 100)
NOLIM = const(-0x40000000)  # no limit (and no graph sample): below any value kept
_UNKNOWN = const(255)  # a value's form when it is not known: the dash
_KMG = ("K", "M", "G")
_DOT = "."
_MINUS = "-"

_LEFT = const(0)  # text.LEFT, _CENTER, _RIGHT
_CENTER = const(1)
_RIGHT = const(2)


class CustomScenes:
    def __init__(self):
        self.n = 0  # scenes defined: ids CUSTOM_1 .. CUSTOM_1 + n - 1
        self.name = [DASH] * SCENES
        self.layout = bytearray(SCENES)
        self.sent = bytearray(SCENES)  # slots each scene has on the wire: its share of xv
        n = SCENES * SLOTS  # slot j of scene s is SLOTS * s + j; only shown slots are kept
        self.label = [""] * n
        self.unit = [""] * n
        self.dec = bytearray(n)
        # warn, critical of each slot in its decimals' units (as values are compared:
        # rounded to them, as the server sends them), NOLIM when none: no float kept
        self.lim = array("i", [NOLIM] * (2 * n))
        # a value as drawn, made of small ints (no string per value): its digits as an int
        # and its form (decimals + 4 * suffix: 1 K, 2 M, 3 G; _UNKNOWN)
        self.num = array("i", bytes(4 * n))
        self.form = bytearray(b"\xff" * n)
        self.level = bytearray(n)  # 0, 1 >= warn, 2 >= critical
        self.dec = bytearray(n)
        # warn, critical of each slot in its decimals' units (as values are compared:
        # rounded to them, as the server sends them), NOLIM when none: no float kept
        self.lim = array("i", [NOLIM] * (2 * n))
        # a graph.Graph for a scene of the graph layout
        self.graphs = [None] * SCENES  # type: list
        self.pending = None  # an xs, applied as the next line comes (module docstring)
        self.refused = 0  # xs refused as malformed

    def defined(self, scene):
        return 0 <= scene - CUSTOM_1 < self.n

    def gone(self, scene):
        """True for a custom scene not defined, with no xs waiting that could define it."""
        return scene >= CUSTOM_1 and self.pending is None and not self.defined(scene)

    def flashing(self, scene):
        """True when a slot shown on ``scene`` is at its critical limit."""
        s = scene - CUSTOM_1
        if 0 <= s < self.n:
            for i in range(SLOTS * s, SLOTS * s + SLOTS):
                if self.level[i] == 2:
                    return True
        return False

    def draw(self, fb, app, scene):
        """Draw custom scene ``scene`` (an id) below the header; the Renderer adds the frame."""
        cs = self
        s = scene - CUSTOM_1
        lay = cs.layout[s]
        n = TAKES[lay] if TAKES[lay] < cs.sent[s] else cs.sent[s]
        lit = (ticks_diff(app.now, app.t0) // _BLINK_MS) & 1 == 0  # a critical box's lit half
        if lay == _L_TWO or lay == _L_GRID:
            fb.hline(0, 34, 128, 1)
            if lay == _L_GRID:
                fb.vline(63, 10, 50, 1)
        elif lay == _L_GRAPH:
            fb.rect(0, 24, 128, 36, 1)
            cs.graphs[s].draw(fb, 1, 25, 126, 34)
        t = _SLOTS
        for j in range(n):
            i = SLOTS * s + j
            o = 12 * (_FIRST[lay] + j)
            c = 1
            if cs.level[i] == 2 and lit:
                fb.fill_rect(t[o], t[o + 1], t[o + 2], t[o + 3], 1)
                c = 0
            f = cs.form[i]
            u = "" if f == _UNKNOWN else cs.unit[i]
            if lay == _L_TWO:  # the unit under the label
                text.draw(fb, u, 127, t[o + 5] + 11, font_small, c, _RIGHT)
                u = ""
            _label(fb, cs.label[i], cs.level[i] and c, t[o + 4], t[o + 5], t[o + 6], c, t[o + 7])
            _value(fb, cs.num[i], f, u, t[o + 8], t[o + 9], _FONTS[t[o + 10]], c, t[o + 11])

    # -- State part: nothing here refuses the line --

    def valid(self, obj):
        return True

    def prepare(self, obj):
        xs = self.pending
        if xs is not None:  # the last line's xs: checked and applied first
            self.pending = None
            from nocturne_fw import custom_xs

            if not custom_xs.define(self, xs):
                self.refused += 1
            sys.modules.pop("nocturne_fw.custom_xs", None)  # its code leaves the heap (net.py)
            sys.modules["nocturne_fw"].__dict__.pop("custom_xs", None)
        xs = obj.get("xs")
        if xs is not None:  # its values count from the next line; the shown ones stay
            self.pending = xs
            return
        xv = obj.get("xv")
        if type(xv) is not list:
            xv = ()
        k = 0  # this scene's first value in xv
        for s in range(SCENES):
            lay = self.layout[s]
            sent = self.sent[s]
            take = TAKES[lay] if TAKES[lay] < sent else sent
            for j in range(SLOTS):
                i = SLOTS * s + j
                x = xv[k + j] if j < take and k + j < len(xv) else None
                if x is None or not _num_ok(x):
                    self.form[i] = _UNKNOWN
                    self.level[i] = 0
                    if j == 0 and self.graphs[s] is not None:
                        self.graphs[s].push(None)
                    continue
                dec = self.dec[i]
                self.form[i] = _fit(self.num, i, x, dec, _MOST[lay])
                t = iround(x * _TENS[dec])
                warn = self.lim[2 * i]
                crit = self.lim[2 * i + 1]
                self.level[i] = 2 if crit != NOLIM and t >= crit else warn != NOLIM and t >= warn
                if j == 0 and self.graphs[s] is not None:
                    self.graphs[s].push(0 if t < 0 else _GRAPH_MOST if t > _GRAPH_MOST else t)
            k += sent

    def swap(self, obj):
        pass  # applied by prepare


def _digits(t, d):
    """How many digits ``t`` (>= 0) is drawn with at ``d`` decimals ("0.05": 3)."""
    n = 1
    while t >= 10:
        t //= 10
        n += 1
    return n if n > d else d + 1


def _fit(num, i, x, dec, most):
    """Put ``x`` into ``num[i]`` as it fits ``most`` characters and return its form: with
    ``dec`` decimals, fewer when it does not fit, then whole thousands, millions, billions
    with K, M, G (as text.py's compact numbers, rounded half away from zero)."""
    while True:
        t = iround(x * _TENS[dec])
        if (t < 0) + _digits(-t if t < 0 else t, dec) + (dec > 0) <= most:
            num[i] = t
            return dec
        if not dec:
            break
        dec -= 1
    k = 1
    while True:
        t = -((-t + 500) // 1000) if t < 0 else (t + 500) // 1000
        if (t < 0) + _digits(-t if t < 0 else t, 0) + 1 <= most or k == 3:
            num[i] = t
            return 4 * k
        k += 1


# -- drawing: tables and strings from the line, nothing made here --

# Where each layout puts its slots: 12 bytes a slot, the layout's first slot at
# 12 * _FIRST[layout]: the slot's box (x, y, w, h: lit when it flashes), its label (x, y,
# width it is fitted to, align) and its value (x, y, font: 0 small 1 medium 2 big, align).
_FIRST = b"\x00\x01\x03\x07\x0d"
_SLOTS = (
    # big: label over a big value, centred
    b"\x00\x0a\x80\x32\x40\x0d\x80\x01\x40\x1c\x02\x01"
    # two: big value at the left, label (and unit below it) at the right; 2 rows
    b"\x00\x0a\x80\x18\x7f\x0d\x34\x02\x00\x0c\x02\x00"
    b"\x00\x23\x80\x18\x7f\x26\x34\x02\x00\x25\x02\x00"
    # grid: label over a medium value in each quarter
    b"\x00\x0a\x3f\x18\x02\x0c\x3c\x00\x02\x15\x01\x00"
    b"\x40\x0a\x40\x18\x42\x0c\x3c\x00\x42\x15\x01\x00"
    b"\x00\x23\x3f\x18\x02\x25\x3c\x00\x02\x2e\x01\x00"
    b"\x40\x23\x40\x18\x42\x25\x3c\x00\x42\x2e\x01\x00"
    # rows: label at the left, small value right-aligned; 6 rows 8 px apart
    b"\x00\x0a\x80\x08\x01\x0b\x34\x00\x7f\x0b\x00\x02"
    b"\x00\x12\x80\x08\x01\x13\x34\x00\x7f\x13\x00\x02"
    b"\x00\x1a\x80\x08\x01\x1b\x34\x00\x7f\x1b\x00\x02"
    b"\x00\x22\x80\x08\x01\x23\x34\x00\x7f\x23\x00\x02"
    b"\x00\x2a\x80\x08\x01\x2b\x34\x00\x7f\x2b\x00\x02"
    b"\x00\x32\x80\x08\x01\x33\x34\x00\x7f\x33\x00\x02"
    # graph: medium value at the left, label at the right, over the graph
    b"\x00\x0a\x80\x0d\x7f\x0d\x34\x02\x01\x0b\x01\x00"
)
_FONTS = (font_small, font_medium, font_big)


def _label(fb, s, tag, x, y, w, c, align):
    """The label, fitted to ``w`` px; a tag (dark on a lit box) above the warn limit."""
    if tag:
        tw = text.text_width(s, font_small)
        tw = w if tw > w else tw
        fb.fill_rect(
            x - (0 if align == _LEFT else tw if align == _RIGHT else tw >> 1) - 1,
            y - 1,
            tw + 1,
            8,
            1,
        )
        c = 0
    text.draw_fit(fb, s, x, y, font_small, w, c, align)


def _value(fb, t, f, u, x, y, font, c, align):
    """The value ``t`` of form ``f`` (or the dash) and its unit ``u`` (small, on the value's
    baseline), drawn a character at a time: nothing is made."""
    cw = text.char_width("0", font)
    if f == _UNKNOWN:
        w = text.char_width(DASH, font)
    else:
        d = f & 3
        neg = t < 0
        if neg:
            t = -t
        n = _digits(t, d)
        w = n * cw
        if neg:
            w += text.char_width(_MINUS, font)
        if d:
            w += text.char_width(_DOT, font)
        if f > 3:
            w += text.char_width(_KMG[(f >> 2) - 1], font)
    uw = text.text_width(u, font_small) + 1 if u else 0
    if align == _RIGHT:
        x -= w + uw
    elif align == _CENTER:
        x -= (w + uw) >> 1
    if u:
        text.draw(fb, u, x + w + 1, y + font.BASELINE - font_small.BASELINE, font_small, c)
    if f == _UNKNOWN:
        text.draw(fb, DASH, x, y, font, c)
        return
    if neg:
        x += text.draw(fb, _MINUS, x, y, font, c)
    p = 1
    for _ in range(n - 1):
        p *= 10
    for k in range(n):
        if d and k == n - d:
            x += text.draw(fb, _DOT, x, y, font, c)
        x += text.draw(fb, DIGITS[(t // p) % 10], x, y, font, c)
        p //= 10
    if f > 3:
        text.draw(fb, _KMG[(f >> 2) - 1], x, y, font, c)
