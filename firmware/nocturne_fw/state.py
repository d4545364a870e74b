"""Device state and the protocol v1 line parser.

One JSON object per line (PROTOCOL.md). ``State.feed(line)`` applies a whole line
or nothing: a malformed, truncated or oversize line, or any key with a wrong type,
leaves the last good data untouched and only bumps ``State.bad``.

Key semantics on a good line:

- a key that is absent or ``null`` is *unknown* and shows as ``DASH`` (never 0);
- ``cov`` is the exception: absent or ``null`` keeps the last cover (the server
  sends it only on the first line and on a track change), ``""`` clears it;
- unknown keys are ignored (protocol additions must not break old devices).

Which server sent the line: ours puts ``pv`` (protocol revision) on every line and
leaves out what it does not know, so a 0 is a real 0. A line without ``pv`` is the
original server's, which sends every key and 0 for unknown: there a 0 where 0 cannot be
a reading (``ZERO_UNKNOWN``, used RAM/VRAM of an unknown total) is unknown, weather
with no description (``wd ""``, its fetch failed) is no weather, and a process
percentage (per core there, so 177.0 on a busy machine) is clamped to 100.

Everything a scene draws is formatted here, once per line (≈ 1 Hz), into
``State.txt`` / ``State.unit``, so the draw loop only blits cached strings.
"""

import json
import sys

import framebuf
from micropython import const
from nocturne_fw.scene_ids import ALERT_TARGETS
from nocturne_fw.text import (
    BIG_KEYS,
    MOST_BIG,
    MOST_INT,
    fmt_dec,
    fmt_int,
    fmt_mb,
    fmt_rate,
    intern,
    iround,
)
from nocturne_fw.wire_tables import K_BOOL, K_DEC, K_INT, K_RATE, K_STR, KEYS

MAX_LINE = const(4096)  # protocol v1: a line (newline excluded here) is at most 4096 bytes
COVER_BYTES = const(512)  # 64 x 64 px at 1 bit per pixel
MAX_STR = const(40)  # longest string kept; the server trims to 30, this bounds a hostile one
MAX_NUM = 1e9  # anything larger is garbage (10 GbE is 1.2e6 KB/s)

# MicroPython's json reads a memoryview in place (the Link's line buffer: no copy of the
# line among the line's garbage); CPython's (the emulator) takes bytes only.
_COPY_VIEW = sys.implementation.name != "micropython"

DASH = "\u2014"  # shown for an unknown value; the text writer degrades it if the font lacks it

# Original server (no "pv"): keys where its 0 means "could not read". No PC runs at 0 °C,
# 0 MHz or 0 W; a fan header that reads 0 RPM is one with no fan (the original has no other
# way to say so); no machine has 0 GB of RAM; a system disk at 0 % used holds no system.
ZERO_UNKNOWN = ("ct", "gt", "gh", "ch", "cf", "s1", "s2", "gf", "ra", "vt", "cc", "su", "du", "pw")
PROC_MAX = 100  # percent of the whole CPU; the original sends per-core sums up to 100 x cores

TOP_CPU = const(3)  # tp: up to 3 processes by CPU
TOP_RAM = const(2)  # tr: up to 2 processes by RAM

# Media status
MEDIA_NONE = const(0)  # nothing known
MEDIA_PLAYING = const(1)
MEDIA_PAUSED = const(2)


def _num_ok(x):
    # bool is an int subclass on CPython: type() keeps it out. NaN fails both compares.
    t = type(x)
    return (t is int or t is float) and -MAX_NUM < x < MAX_NUM


def _clip(s):
    return s if len(s) <= MAX_STR else s[:MAX_STR]


class State:
    """Latest good data from the server, with display strings cached per key."""

    def __init__(self):
        # The shown values and, for each table, a spare that the next line is prepared
        # in; a line that fails half-way leaves only the spare written.
        self.v, self._v = _values(), _values()  # key -> value, None when unknown
        self.txt, self._txt = _texts(), _texts()  # key -> display string (DASH: unknown)
        self.unit, self._unit = _units(), _units()  # K_RATE keys -> "K"/"M"/"G", "": unknown
        # percent keys (and "ram", "vram": used/total) -> int 0..100, -1 unknown
        self.p, self._p = _percents(), _percents()
        self.cover = bytearray(COVER_BYTES)  # XBM rows, MSB first = framebuf MONO_HLSB
        self._cover = bytearray(COVER_BYTES)  # a new cover, decoded here until it is shown
        self.cover_fb = framebuf.FrameBuffer(self.cover, 64, 64, framebuf.MONO_HLSB)  # MEDIA's
        self.has_cover = False
        self.tp_n = 0  # how many top CPU processes are known
        self.tp_name, self._tp_name = [DASH] * TOP_CPU, [DASH] * TOP_CPU
        self.tp_txt, self._tp_txt = [DASH] * TOP_CPU, [DASH] * TOP_CPU  # "12.5"
        self.tp_val, self._tp_val = [0] * TOP_CPU, [0] * TOP_CPU  # percent as int, for bars
        self.tr_n = 0
        self.tr_name, self._tr_name = [DASH] * TOP_RAM, [DASH] * TOP_RAM
        self.tr_txt, self._tr_txt = [DASH] * TOP_RAM, [DASH] * TOP_RAM  # "1.2G"
        self.media = MEDIA_NONE
        self.alert = False  # a CRITICAL alert is active
        self.alert_scene = -1  # scene the alert points at, -1 if none
        self.serial = 0  # good lines applied so far
        self.track_serial = 0  # bumps when artist or track changes
        self.bad = 0  # lines rejected
        self.parts = []  # more keys (commands.py, pcs.py): valid(obj), prepare(obj), swap(obj)

    # -- parsing --------------------------------------------------------------

    def feed(self, line):
        """Apply one line (bytes, a memoryview valid for the call, or str; without its
        newline). Return True if applied."""
        if type(line) is str:
            line = line.encode()
        n = len(line)
        while n and (line[n - 1] == 32 or 9 <= line[n - 1] <= 13):  # trailing blanks, CR
            n -= 1
        # A whole object, first byte to last: catches truncated lines before json does
        # (MicroPython's json is lenient about some malformed input).
        if n > MAX_LINE or n < 2 or line[0] != 123 or line[n - 1] != 125:  # "{" ... "}"
            self.bad += 1
            return False
        if _COPY_VIEW and type(line) is memoryview:
            line = bytes(line)
        try:
            obj = json.loads(line)
        except Exception:  # ValueError, UnicodeError, MemoryError on a full heap
            obj = None
        if type(obj) is not dict or not self._valid(obj):
            self.bad += 1
            return False
        cover = obj.get("cov")
        if cover and not _b64_into(cover, self._cover):  # decoded in place: nothing made
            self.bad += 1
            return False
        try:
            tp_n, tr_n = self._prepare(obj)
        except Exception:  # MemoryError on a full heap, or a bug: the shown state stays
            self.bad += 1
            return False
        self._swap(obj, cover, tp_n, tr_n)
        return True

    def _valid(self, obj):
        for k, kind in KEYS:
            x = obj.get(k)
            if x is None:
                continue
            if kind == K_STR:
                if type(x) is not str:
                    return False
            elif kind == K_BOOL:
                if not (x is True or x is False or (type(x) is int and 0 <= x <= 1)):
                    return False
            elif not _num_ok(x):
                return False
        c = obj.get("cov")
        if c is not None and type(c) is not str:
            return False
        for part in self.parts:
            if not part.valid(obj):
                return False
        return _list_ok(obj.get("tp"), "c", TOP_CPU) and _list_ok(obj.get("tr"), "r", TOP_RAM)

    def _prepare(self, obj):
        """Format the line into the spare tables; return (tp_n, tr_n). Nothing shown changes."""
        v = self._v
        txt = self._txt
        unit = self._unit
        original = "pv" not in obj  # the original server: 0 for unknown (module docstring)
        shown = self.v
        for k, kind in KEYS:
            x = obj.get(k)
            if original and x is not None and _original_unknown(obj, k, x):
                x = None
            if kind == K_STR and x is not None:
                x = _clip(x)
                intern(x)  # its characters, now: a draw makes nothing (text.prepare)
                if not x:
                    x = None
            elif kind == K_BOOL and x is not None:
                x = bool(x)
            if x is not None and x == shown[k]:
                # unchanged: the shown value and strings, not new ones made between the
                # line's garbage (each would outlive it, splitting the free heap)
                v[k] = shown[k]
                txt[k] = self.txt[k]
                if kind == K_RATE:
                    unit[k] = self.unit[k]
                continue
            v[k] = x
            if x is None:
                txt[k] = DASH
                if kind == K_RATE:
                    unit[k] = ""
            elif kind == K_INT:
                txt[k] = fmt_int(x, MOST_BIG if k in BIG_KEYS else MOST_INT)
            elif kind == K_DEC:
                txt[k] = fmt_dec(x)
            elif kind == K_RATE:
                txt[k], unit[k] = fmt_rate(x)
            elif kind == K_STR:
                txt[k] = x
            else:
                txt[k] = "1" if x else "0"
        pct = self._p
        for k in _PCT_KEYS:
            pct[k] = _pct(v[k], 100)
        pct["ram"] = _pct(v["ru"], v["ra"])
        pct["vram"] = _pct(v["vu"], v["vt"])
        for part in self.parts:
            part.prepare(obj)
        return self._procs(obj.get("tp"), obj.get("tr"), original)

    def _swap(self, obj, cover, tp_n, tr_n):
        """Show the prepared line: assignments only, nothing here can fail."""
        v = self._v
        art_changed = v["art"] != self.v["art"] or v["trk"] != self.v["trk"]
        self.v, self._v = v, self.v
        self.txt, self._txt = self._txt, self.txt
        self.unit, self._unit = self._unit, self.unit
        self.p, self._p = self._p, self.p
        self.tp_name, self._tp_name = self._tp_name, self.tp_name
        self.tp_txt, self._tp_txt = self._tp_txt, self.tp_txt
        self.tp_val, self._tp_val = self._tp_val, self.tp_val
        self.tr_name, self._tr_name = self._tr_name, self.tr_name
        self.tr_txt, self._tr_txt = self._tr_txt, self.tr_txt
        self.tp_n = tp_n
        self.tr_n = tr_n
        if art_changed:
            self.track_serial += 1
        if v["mp"]:
            self.media = MEDIA_PLAYING
        elif v["idle"] or v["art"] or v["trk"]:
            self.media = MEDIA_PAUSED
        else:
            self.media = MEDIA_NONE
        if obj.get("cov") is not None:
            if cover:
                self.cover[:] = self._cover
                self.has_cover = True
            else:  # "" clears
                self.has_cover = False
        self.alert = v["alert"] == "CRITICAL"
        target = v["target_screen"]  # the wire names the scene: "CPU" or "GPU"
        self.alert_scene = ALERT_TARGETS.get(target, -1) if self.alert else -1
        for part in self.parts:
            part.swap(obj)
        self._release()
        self.serial += 1

    def _release(self):
        """Point the spare tables at what is shown: the last line's strings and floats
        die now, not one line later, so that only one line's objects outlive a line (two
        generations, made in two places, would keep each other's holes apart)."""
        for k, kind in KEYS:
            self._v[k] = self.v[k]
            self._txt[k] = self.txt[k]
            if kind == K_RATE:
                self._unit[k] = self.unit[k]
        for i in range(TOP_CPU):
            self._tp_name[i] = self.tp_name[i]
            self._tp_txt[i] = self.tp_txt[i]
        for i in range(TOP_RAM):
            self._tr_name[i] = self.tr_name[i]
            self._tr_txt[i] = self.tr_txt[i]

    def _procs(self, tp, tr, original=False):
        """Top processes into the spare lists; return (tp_n, tr_n)."""
        tp_n = 0
        if tp:
            for p in tp:
                if tp_n == TOP_CPU:
                    break
                if not _row_ok(p, "c"):
                    continue  # a bad row is left out, not the line
                c = p.get("c")
                if original and c is not None and c > PROC_MAX:
                    c = PROC_MAX
                self._tp_name[tp_n] = _name(_clip(p.get("n") or "?"), self.tp_name, tp_n)
                self._tp_txt[tp_n] = DASH if c is None else fmt_dec(c)
                self._tp_val[tp_n] = 0 if c is None else iround(c)
                tp_n += 1
        tr_n = 0
        if tr:
            for p in tr:
                if tr_n == TOP_RAM:
                    break
                if not _row_ok(p, "r"):
                    continue
                r = p.get("r")
                self._tr_name[tr_n] = _name(_clip(p.get("n") or "?"), self.tr_name, tr_n)
                self._tr_txt[tr_n] = DASH if r is None else fmt_mb(r)
                tr_n += 1
        return tp_n, tr_n


_PCT_KEYS = ("cl", "gl", "gv", "su", "du")


def _name(name, shown, i):
    """A process name: the shown one when unchanged (no second copy kept), else ``name``
    with its characters interned."""
    if name == shown[i]:
        return shown[i]
    intern(name)
    return name


def _original_unknown(obj, k, x):
    """True when the original server's value ``x`` for ``k`` means unknown."""
    if k in ZERO_UNKNOWN:
        return x == 0
    if k == "ru":  # 0.0 used of a total it could not read either
        return x == 0 and not obj.get("ra")
    if k == "vu":
        return x == 0 and not obj.get("vt")
    if k == "wt" or k == "wi":  # its failed fetch: wt 0, wd "", wi 0
        return not obj.get("wd")
    return False


_B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


def _b64_into(s, out):
    """Decode the base64 text ``s`` into ``out``; False unless it fills ``out`` exactly.
    Characters outside the alphabet are skipped, as binascii does; ``=`` ends it. No bytes
    object is made (binascii's result, and on the WebAssembly port ~21 KB of its Python)."""
    size = len(out)
    n = acc = bits = 0
    for ch in s:
        if ch == "=":
            break
        v = _B64.find(ch)
        if v < 0:
            continue
        acc = ((acc << 6) | v) & 0xFFFFFF
        bits += 6
        if bits >= 8:
            bits -= 8
            if n == size:
                return False
            out[n] = (acc >> bits) & 255
            n += 1
    return n == size


def _pct(x, total):
    """x / total as an int percent clamped to 0..100; -1 when either is unknown."""
    if x is None or total is None or total <= 0:
        return -1
    # Compared before dividing: x / total overflows to inf for a tiny total (1e-308).
    if x <= 0:
        return 0
    if x >= total:
        return 100
    return iround(x * 100 / total)


def _values():
    d = {}
    for k, _ in KEYS:
        d[k] = None
    return d


def _texts():
    d = {}
    for k, _ in KEYS:
        d[k] = DASH
    return d


def _units():
    d = {}
    for k, kind in KEYS:
        if kind == K_RATE:
            d[k] = ""
    return d


def _percents():
    d = {"ram": -1, "vram": -1}
    for k in _PCT_KEYS:
        d[k] = -1
    return d


def _list_ok(lst, vkey, most):
    """tp / tr: a list (of {"n": str, vkey: number} rows; a bad row is skipped by _procs,
    not the line refused: one hostile row would freeze every reading)."""
    return lst is None or type(lst) is list


def _row_ok(p, vkey):
    if type(p) is not dict:
        return False
    n = p.get("n")
    if n is not None and type(n) is not str:
        return False
    x = p.get(vkey)
    return x is None or _num_ok(x)
