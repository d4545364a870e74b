# (Comments, not docstrings: MicroPython keeps docstrings in the heap.)
#
# A loop that survives anything (issue 20). An exception in a tick, MemoryError included,
# is caught by App.step: the heap is collected, the failure counted and written to a small
# log on the board's filesystem, the next frames show a mark for MARK_MS, and the next tick
# runs. Only BURST failures within BURST_MS reset the board (machine.reset()), after the
# log says so. The server hears what the board survived on a ``survived:`` line (net.py,
# PROTOCOL.md).
#
# The log, LOG_PATH: ENTRIES lines of ENTRY bytes each (newline included), a ring written
# over in place, so the file never grows. A line is "<seq> <resets> <E|R> <uptime s>
# <exception type>", padded with spaces; seq counts entries ever written (the newest has
# the largest), resets the board's own resets so far, E a failure survived, R the reset it
# caused. The whole ring is kept in a bytearray made at boot and written with one write():
# the error path formats digits and the type's name (a qstr) into it and makes nothing but
# the file object.

from micropython import const
from nocturne_fw.clock import ticks_add, ticks_diff

LOG_PATH = "errors.log"
ENTRIES = const(4)
ENTRY = const(40)
BURST = const(5)  # this many failures ...
BURST_MS = const(60000)  # ... within a minute: reset
MARK_MS = const(4000)  # the mark on the frames after a failure


class Survival:
    def __init__(self, path, now):
        self.path = path
        self.errors = 0  # failures caught since boot
        self.resets = 0  # resets this board made itself, all time (from the log)
        self.kind = ""  # the last failure's exception type
        self.times = [0] * BURST  # when the last BURST failures happened (a ring)
        self.t_last = ticks_add(now, -2 * MARK_MS)  # no mark at boot
        self.t0 = now
        self.seq = 0  # log entries ever written
        self.buf = bytearray(b" " * (ENTRIES * ENTRY))
        for i in range(ENTRIES):
            self.buf[i * ENTRY + ENTRY - 1] = 10
        self._load()

    def _load(self):
        # The ring as the last boot left it (a missing or foreign file: a fresh one).
        if self.path is None:
            return
        try:
            with open(self.path, "rb") as f:
                data = f.read(ENTRIES * ENTRY + 1)
        except OSError:
            return
        if len(data) != ENTRIES * ENTRY:
            return
        best = -1
        for i in range(ENTRIES):
            parts = data[i * ENTRY : (i + 1) * ENTRY].split()
            try:
                seq = int(parts[0])
                resets = int(parts[1])
            except (IndexError, ValueError):
                return
            if seq > best:
                best = seq
                self.resets = resets
        self.buf[:] = data
        self.seq = best + 1

    def marked(self, now):
        # The mark shows on the frames for MARK_MS after a failure.
        return self.errors > 0 and ticks_diff(now, self.t_last) < MARK_MS

    def failed(self, e, now):
        # Count ``e`` and log it; True when it is the BURST-th within BURST_MS (the caller
        # resets the board: the log already says why).
        self.errors += 1
        self.kind = type(e).__name__  # a qstr on MicroPython: nothing made
        self.t_last = now
        n = self.errors
        self.times[n % BURST] = now
        burst = n >= BURST and ticks_diff(now, self.times[(n + 1) % BURST]) <= BURST_MS
        if burst:
            self.resets += 1
        self._log(now, 82 if burst else 69)  # R, E
        return burst

    def _log(self, now, what):
        b = self.buf
        i = (self.seq % ENTRIES) * ENTRY
        end = i + ENTRY - 1
        for k in range(i, end):
            b[k] = 32
        i = _put_int(b, i, self.seq) + 1
        i = _put_int(b, i, self.resets) + 1
        b[i] = what
        i = _put_int(b, i + 2, ticks_diff(now, self.t0) // 1000) + 1
        for ch in self.kind:
            if i >= end:
                break
            c = ord(ch)
            b[i] = c if 32 < c < 127 else 63  # "?"
            i += 1
        self.seq += 1
        if self.path is None:
            return
        try:
            with open(self.path, "wb") as f:
                f.write(b)
        except Exception:  # no room on the filesystem, or no heap for a file: counted
            pass

    def line(self):
        # The device -> server line (PROTOCOL.md): b"survived:<errors> <resets> <type>\n".
        return ("survived:%d %d %s\n" % (self.errors, self.resets, self.kind or "-")).encode()


def _put_int(b, i, n):
    # Digits of ``n`` >= 0 into ``b`` at ``i``; the index after them.
    if n < 0:
        n = 0
    p = 1
    while p * 10 <= n:
        p *= 10
    while p:
        b[i] = 48 + (n // p) % 10
        i += 1
        p //= 10
    return i
