"""Quick menu: short press = next item, long press = change / do the item.

It edits ``Settings`` in place; the app applies the effect (contrast, flip)
and saves when the menu closes. ``press_long`` returns what the app must do.
The menu closes by itself after ``TIMEOUT_MS`` without a press.
"""

from micropython import const
from nocturne_fw.settings import CONTRAST_NAMES

TIMEOUT_MS = const(20000)

I_CAROUSEL = const(0)
I_INTERVAL = const(1)
I_SCREEN_OFF = const(2)
I_CONTRAST = const(3)
I_FLIP = const(4)
I_LED = const(5)
I_NIGHT = const(6)
I_EXIT = const(7)
COUNT = const(8)

LABELS = ("CAROUSEL", "INTERVAL", "SCREEN OFF", "CONTRAST", "FLIP", "LED ALERTS", "NIGHT", "EXIT")

# What the app must do after a long press
A_NONE = const(0)  # nothing (a setting changed: re-apply and redraw)
A_EXIT = const(1)
A_SCREEN_OFF = const(2)

_ON_OFF = ("OFF", "ON")
_INTERVALS = {5: "5 S", 10: "10 S", 15: "15 S"}
_NIGHT = ("NO", "DIM", "CLOCK", "BLANK")  # settings.NIGHT_*: what the night schedule does


class Menu:
    def __init__(self, settings):
        self.settings = settings
        self.open = False
        self.sel = 0

    def show(self):
        self.open = True
        self.sel = 0

    def close(self):
        self.open = False

    def press_short(self):
        self.sel = (self.sel + 1) % COUNT

    def press_long(self):
        s = self.settings
        i = self.sel
        if i == I_CAROUSEL:
            s.toggle("carousel")
        elif i == I_INTERVAL:
            s.next_interval()
        elif i == I_SCREEN_OFF:
            self.open = False
            return A_SCREEN_OFF
        elif i == I_CONTRAST:
            s.next_contrast()
        elif i == I_FLIP:
            s.toggle("flip")
        elif i == I_LED:
            s.toggle("led")
        elif i == I_NIGHT:
            s.next_night()
        else:
            self.open = False
            return A_EXIT
        return A_NONE

    def value(self, i):
        """The item's current value as a constant string ("" for actions)."""
        s = self.settings
        if i == I_CAROUSEL:
            return _ON_OFF[s.carousel]
        if i == I_INTERVAL:
            return _INTERVALS.get(s.interval, "?")
        if i == I_CONTRAST:
            return CONTRAST_NAMES[s.contrast_level()]
        if i == I_FLIP:
            return _ON_OFF[s.flip]
        if i == I_LED:
            return _ON_OFF[s.led]
        if i == I_NIGHT:
            return _NIGHT[s.night_m]
        return ""
