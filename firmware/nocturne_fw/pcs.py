"""``pcs``: the PCs the server sees over MQTT, for the PCS scene (pcs_scene.py).

The key is a list of up to ``MAX_PCS`` objects ``{"n": name, "on": bool, "cl", "ct",
"gl", "gt": int, "ru": float}``, a value absent when unknown (PROTOCOL.md, "Commands and
several PCs"). A State part (``State.parts``): checked and stored in the spare tables with
the rest of the line (``pcs`` not a list refuses the line; a bad row is skipped and a bad
reading is unknown, so one hostile row never freezes the rest), shown by the swap.
A line without ``pcs`` means none known: the scene then has no rows and the carousel skips
it. The readings are kept as small integers (not heap objects in MicroPython; RAM in
tenths of a GB), which the scene draws digit by digit: 8 PCs cost their 8 names and a few
lists, and nothing is formatted per line.
"""

from micropython import const
from nocturne_fw.state import DASH, _num_ok, iround
from nocturne_fw.text import intern

MAX_PCS = const(8)
NAME_CHARS = const(6)  # what the scene's name column holds (the wire allows 12)
ROWS = const(6)  # rows on one page of the scene
UNKNOWN = const(-1048576)  # a reading not known (or its PC offline)
COLS = const(5)  # readings per PC in ``Pcs.val``, in _NUMS order
MOST = const(999)  # a column holds 3 characters ("-99" .. "999"); RAM 999.9
_NUMS = ("cl", "ct", "gl", "gt", "ru")


class Pcs:
    def __init__(self):
        self.n = 0  # PCs on the last line
        self.name = [DASH] * MAX_PCS  # the first NAME_CHARS of each, upper case
        self.on = [False] * MAX_PCS
        # val[COLS * i + k]: PC i's _NUMS[k], an integer (ru: tenths), or UNKNOWN
        self.val = [UNKNOWN] * (COLS * MAX_PCS)
        self._name = [DASH] * MAX_PCS
        self._on = [False] * MAX_PCS
        self._val = [UNKNOWN] * (COLS * MAX_PCS)
        self._n = 0

    def pages(self):
        """Pages of ROWS the scene needs (at least 1)."""
        return (self.n + ROWS - 1) // ROWS if self.n > ROWS else 1

    # -- State part: prepare raises on a bad pcs, and State refuses the whole line --

    def valid(self, obj):
        return True  # checked while prepared

    def prepare(self, obj):
        lst = obj.get("pcs")
        if lst is None:
            lst = ()
        elif type(lst) is not list:
            raise ValueError
        val = self._val
        n = 0
        for p in lst:
            if n == MAX_PCS:
                break
            if type(p) is not dict:
                continue  # a bad row is left out, not the line (the readings stay live)
            name = p.get("n") or "?"
            on = p.get("on")
            if type(name) is not str or (on is not None and on is not True and on is not False):
                continue
            on = on is not False  # absent: it sent a state, so it is there
            self._on[n] = on
            name = name[:NAME_CHARS].upper()
            intern(name)  # its characters, now, not in a draw (text.prepare)
            # unchanged: the shown string, so both tables hold one copy of it
            self._name[n] = self.name[n] if name == self.name[n] else name
            for k in range(COLS):
                x = p.get(_NUMS[k])
                if x is None or not on or not _num_ok(x):  # a bad reading: unknown
                    val[COLS * n + k] = UNKNOWN
                elif k == 4:  # RAM in tenths, 0 .. 999.9
                    x = iround(x * 10)
                    val[COLS * n + k] = 0 if x < 0 else MOST * 10 + 9 if x > MOST * 10 else x
                else:
                    x = iround(x)
                    val[COLS * n + k] = -99 if x < -99 else MOST if x > MOST else x
            n += 1
        self._n = n

    def swap(self, obj):
        self.name, self._name = self._name, self.name
        self.on, self._on = self._on, self.on
        self.val, self._val = self._val, self.val
        self.n = self._n
        for i in range(MAX_PCS):  # the last line's names die now (State._release)
            self._name[i] = self.name[i]
