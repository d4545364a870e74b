"""Custom scenes' ``xs``: checked whole, then copied into the board's tables (issue 24).

Imported by custom_scene.py only while an ``xs`` is handled (``define``), and dropped from
the heap afterwards: ``xs`` comes on a connection's first line and when the config changes.

Well formed: a list of at most ``SCENES`` scenes ``[name, layout, slots]`` (name a string
of at most ``NAME_CHARS``, layout one of ``LAYOUTS``, slots a list of at most ``SLOTS``),
each slot ``[label, unit, decimals, warn, critical]`` (strings of at most ``LABEL_CHARS`` and
``UNIT_CHARS``, decimals 0-2, the limits a number or null). Items after those, a later
protocol's, are ignored. Anything else refuses the whole ``xs``.
"""

from array import array

from micropython import const
from nocturne_fw.custom_scene import NOLIM, SCENES, SLOTS, TAKES
from nocturne_fw.graph import Graph
from nocturne_fw.state import DASH, _num_ok
from nocturne_fw.text import intern, iround

NAME_CHARS = const(8)
LABEL_CHARS = const(10)
UNIT_CHARS = const(4)
_L_GRAPH = const(4)
GRAPH_N = const(126)  # the graph layout's samples: one per column inside its frame
LIM_MOST = const(0x3FFFFFFF)  # a limit's magnitude is clamped to this

LAYOUTS = ("big", "two", "grid", "rows", "graph")  # in custom_scene's numbers


def _str_ok(s, most):
    if type(s) is not str or len(s) > most:
        return False
    intern(s)  # its characters, now, not in a draw (text.prepare)
    return True


def _limit_ok(x):
    return x is None or _num_ok(x)


def _limit(x, dec):
    """A limit in the slot's decimals' units, clamped; NOLIM for none."""
    if x is None:
        return NOLIM
    t = iround(x * (1, 10, 100)[dec])
    return LIM_MOST if t > LIM_MOST else -LIM_MOST if t < -LIM_MOST else t


def _ok(xs):
    """True when ``xs`` is well formed (its strings' characters are then interned)."""
    if type(xs) is not list or len(xs) > SCENES:
        return False
    for sc in xs:
        if type(sc) is not list or len(sc) < 3:
            return False
        layout = sc[1]
        slots = sc[2]
        if not _str_ok(sc[0], NAME_CHARS) or type(layout) is not str or layout not in LAYOUTS:
            return False
        if type(slots) is not list or len(slots) > SLOTS:
            return False
        for sl in slots:
            if type(sl) is not list or len(sl) < 5:
                return False
            d = sl[2]
            if not _str_ok(sl[0], LABEL_CHARS) or not _str_ok(sl[1], UNIT_CHARS):
                return False
            if type(d) is not int or not 0 <= d <= 2:
                return False
            if not _limit_ok(sl[3]) or not _limit_ok(sl[4]):
                return False
    return True


def define(cs, xs):
    """Copy ``xs`` into ``cs`` (a CustomScenes) if it is well formed, else change nothing;
    return whether it was. Kept: the slots each layout shows; a unit equal to one kept
    already as that one (one copy). A scene of the graph layout gets a history, kept while
    its first slot stays the same; the histories are made before anything changes."""
    if not _ok(xs):
        return False
    n = len(xs)
    graphs = [None] * SCENES  # type: list
    for s in range(n):
        lay = LAYOUTS.index(xs[s][1])
        slots = xs[s][2]
        if lay == _L_GRAPH and slots:
            g = cs.graphs[s]
            i0 = SLOTS * s
            if (
                g is None
                or cs.layout[s] != lay
                or slots[0][0] != cs.label[i0]
                or slots[0][2] != cs.dec[i0]
            ):
                g = Graph(1, 0, 1)  # its ring, 16-bit (graph.py's are 32-bit): half the heap
                g.n = GRAPH_N
                g.buf = array("h", bytes(2 * GRAPH_N))
                g.clear()
            graphs[s] = g
    for s in range(SCENES):
        i0 = SLOTS * s
        name = DASH
        lay = sent = take = 0
        slots = ()
        if s < n:
            name, slots = xs[s][0], xs[s][2]
            lay = LAYOUTS.index(xs[s][1])
            sent = len(slots)
            take = TAKES[lay] if TAKES[lay] < sent else sent
        cs.graphs[s] = graphs[s]
        cs.name[s] = name
        cs.layout[s] = lay
        cs.sent[s] = sent
        for j in range(SLOTS):
            i = i0 + j
            if j < take:
                sl = slots[j]
                unit = sl[1]
                for k in range(i):
                    if cs.unit[k] == unit:
                        unit = cs.unit[k]
                        break
                cs.label[i] = sl[0]
                cs.unit[i] = unit
                cs.dec[i] = sl[2]
                cs.lim[2 * i] = _limit(sl[3], sl[2])
                cs.lim[2 * i + 1] = _limit(sl[4], sl[2])
            else:
                cs.label[i] = cs.unit[i] = ""
                cs.lim[2 * i] = cs.lim[2 * i + 1] = NOLIM
    cs.n = n
    return True
