"""``pcs``: the PCs the server sees over MQTT, for the PCS scene (pcs_scene.py).

The key is a list of up to ``MAX_PCS`` objects ``{"n": name, "on": bool, "cl", "ct",
"gl", "gt": int, "ru": float}``, a value absent when unknown (PROTOCOL.md, "Several PCs").
A State part (``State.parts``): checked with the rest of the line (a wrong type refuses the
whole line, like ``tp``), formatted into spare lists, shown by the swap. A line without
``pcs`` means none known: the scene then has no rows and the carousel skips it.
"""

from micropython import const
from nocturne_fw.state import DASH, _num_ok, fmt_dec, fmt_int

MAX_PCS = const(8)
NAME_CHARS = const(6)  # what the scene's name column holds (the wire allows 12)
ROWS = const(6)  # rows on one page of the scene
_NUMS = ("cl", "ct", "gl", "gt", "ru")


def _lists():
    return [[DASH] * MAX_PCS for _ in range(len(_NUMS) + 1)]  # name, then _NUMS in order


class Pcs:
    def __init__(self):
        self.n = 0  # PCs on the last line
        self.on = [False] * MAX_PCS
        self._on = [False] * MAX_PCS
        # txt[0][i]: name of PC i; txt[1 + k][i]: its _NUMS[k] as shown (DASH: unknown)
        self.txt = _lists()
        self._txt = _lists()
        self._n = 0

    def pages(self):
        """Pages of ROWS the scene needs (at least 1)."""
        return (self.n + ROWS - 1) // ROWS if self.n > ROWS else 1

    # -- State part --

    def valid(self, obj):
        lst = obj.get("pcs")
        if lst is None:
            return True
        if type(lst) is not list:
            return False
        for p in lst[:MAX_PCS]:
            if type(p) is not dict:
                return False
            n = p.get("n")
            if n is not None and type(n) is not str:
                return False
            on = p.get("on")
            if on is not None and on is not True and on is not False:
                return False
            for k in _NUMS:
                x = p.get(k)
                if x is not None and not _num_ok(x):
                    return False
        return True

    def prepare(self, obj):
        lst = obj.get("pcs") or ()
        txt = self._txt
        n = 0
        for p in lst[:MAX_PCS]:
            name = p.get("n") or "?"
            txt[0][n] = name[:NAME_CHARS].upper()
            on = p.get("on") is not False  # absent: it sent a state, so it is there
            self._on[n] = on
            for k in range(len(_NUMS)):
                x = p.get(_NUMS[k]) if on else None
                if x is None:
                    txt[k + 1][n] = DASH
                elif k == 4:
                    txt[k + 1][n] = fmt_dec(x)
                else:
                    txt[k + 1][n] = fmt_int(x, 3)
            n += 1
        self._n = n

    def swap(self, obj):
        self.txt, self._txt = self._txt, self.txt
        self.on, self._on = self._on, self.on
        self.n = self._n
