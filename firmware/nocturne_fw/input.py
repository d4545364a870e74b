"""PRG button (GPIO0, active low) polled from the tick loop, debounced in time.

Polling (not an IRQ) keeps every timing rule testable with an injected clock.
``Button.poll(now)`` returns one event per call:

- ``DOWN``  the press, once the level has been stable for ``DEBOUNCE_MS``;
- ``LONG``  while still held, once, when held ``LONG_MS`` (800 ms: long enough
  that a hurried click never counts, short enough to feel immediate);
- ``SHORT`` on release, if ``LONG`` was not sent for that press.

The PRG key is a bare tactile switch to ground with the ESP32's pull-up; it
bounces for a few ms, so 30 ms of stable level is plenty and still feels instant.
Poll at least every ~20 ms (the app ticks every 10 ms).
"""

from micropython import const
from nocturne_fw.clock import ticks_diff

DEBOUNCE_MS = const(30)
LONG_MS = const(800)

NONE = const(0)
DOWN = const(1)
SHORT = const(2)
LONG = const(3)


class Button:
    def __init__(self, read, active_low=True):
        """``read()`` returns the pin level (``machine.Pin.value`` fits)."""
        self.read = read
        self.active_low = active_low
        self.raw = False  # last sampled level, as "pressed"
        self.pressed = False  # debounced state
        self.t_raw = 0  # when ``raw`` last changed
        self.t_down = 0  # when the debounced press began
        self.long_sent = False
        self.muted = False  # swallow SHORT/LONG of the current press (used to wake the screen)

    def mute(self):
        """Ignore the rest of the current press (it has been used up, e.g. to wake)."""
        self.muted = True

    def poll(self, now):
        level = self.read()
        p = (level == 0) if self.active_low else (level != 0)
        if p != self.raw:
            self.raw = p
            self.t_raw = now
        if p != self.pressed and ticks_diff(now, self.t_raw) >= DEBOUNCE_MS:
            self.pressed = p
            if p:
                self.t_down = self.t_raw
                self.long_sent = False
                self.muted = False
                return DOWN
            ev = NONE if self.long_sent or self.muted else SHORT
            self.muted = False
            return ev
        if p and self.pressed and not self.long_sent and ticks_diff(now, self.t_down) >= LONG_MS:
            self.long_sent = True
            if not self.muted:
                return LONG
        return NONE
