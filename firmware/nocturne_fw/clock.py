"""Millisecond ticks for the tick loop, with a source tests can replace.

MicroPython has ``time.ticks_ms/ticks_diff/ticks_add``: a counter that wraps at
``TICKS_PERIOD`` and must be compared with ``ticks_diff``, never with ``<``. The period
is 2**30 ms (about 12.4 days) on 32-bit ports such as the ESP32's, and 2**62 on 64-bit
builds (the unix port on a PC): wrap-around is tested on the 32-bit WebAssembly port.
CPython lacks them, so this module uses them when present and otherwise emulates the
board's 2**30 counter on ``time.monotonic``.

Every timing rule in the firmware reads ``clock.ticks_ms()`` so a test can
drive it: ``clock.set_source(ManualClock())`` and advance time by hand.
"""

import time

from micropython import const

_MASK = const(0x3FFFFFFF)  # the ESP32's TICKS_PERIOD - 1: 32-bit ports wrap at 2**30
_HALF = const(0x20000000)

if hasattr(time, "ticks_ms"):  # MicroPython: the C implementations
    _hw_ticks_ms = time.ticks_ms
    _hw_sleep_ms = time.sleep_ms
    ticks_diff = time.ticks_diff
    ticks_add = time.ticks_add
else:  # CPython: the same arithmetic in Python, on the board's 2**30 period
    # CPython's clock, looked up by name: the board's time module has no monotonic
    _monotonic = getattr(time, "monotonic", time.time)

    def _py_ticks_ms():
        return int(_monotonic() * 1000) & _MASK

    def _py_sleep_ms(ms):
        time.sleep(ms / 1000)

    def _py_ticks_diff(end, start):
        """Signed ms from ``start`` to ``end``, correct across one wrap."""
        return ((end - start + _HALF) & _MASK) - _HALF

    def _py_ticks_add(ticks, delta):
        """``ticks`` moved by ``delta`` ms (|delta| < 2**29, as MicroPython), wrapped."""
        if delta <= -_HALF or delta >= _HALF:
            raise OverflowError("ticks interval overflow")
        return (ticks + delta) & _MASK

    _hw_ticks_ms = _py_ticks_ms
    _hw_sleep_ms = _py_sleep_ms
    ticks_diff = _py_ticks_diff
    ticks_add = _py_ticks_add


_source = _hw_ticks_ms
_sleep = _hw_sleep_ms


def ticks_ms():
    """Current tick count in ms, in [0, TICKS_PERIOD): 2**30 on the board."""
    return _source()


def sleep_ms(ms):
    """Sleep ``ms``; with a ManualClock installed this just advances it."""
    _sleep(ms)


def set_source(source=None):
    """Use ``source`` (a callable returning ms ticks) for ``ticks_ms``; ``None``
    restores the hardware clock. A source with ``sleep_ms`` also takes over
    ``sleep_ms``."""
    global _source, _sleep
    if source is None:
        _source = _hw_ticks_ms
        _sleep = _hw_sleep_ms
    else:
        _source = source
        _sleep = getattr(source, "sleep_ms", _hw_sleep_ms)


class ManualClock:
    """A clock that moves only when told: ``clock.set_source(ManualClock(start))``."""

    def __init__(self, start=0):
        self.now = start & _MASK

    def __call__(self):
        return self.now

    def advance(self, ms):
        self.now = (self.now + ms) & _MASK
        return self.now

    def sleep_ms(self, ms):
        self.advance(ms)
