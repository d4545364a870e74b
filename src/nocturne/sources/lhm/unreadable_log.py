"""Sensors that send no number (NaN, Infinity, 1e400, true): logged once per change, by name."""

from __future__ import annotations

import logging

from nocturne.safe_text import printable

from .model import LhmReading, UnreadableValue

__all__ = ["UnreadableLog"]

_NAMED_PER_LINE = 10  # sensors named in one log line; the rest are counted


class UnreadableLog:
    """Remembers which sensors were unreadable at the last read and logs only what changed.

    A sensor that starts sending no number gets one warning; one that reads a number again
    gets one info line; a sensor that stays unreadable is not logged again, and one that
    leaves the tree is forgotten without a line.
    """

    def __init__(self, log: logging.Logger) -> None:
        self._log = log
        self._bad: dict[str, UnreadableValue] = {}  # Sensor.id -> its last unreadable value

    def update(self, reading: LhmReading) -> None:
        """Log what changed since the previous reading."""
        now = {u.sensor_id: u for u in reading.unreadable}
        started = [u for sid, u in now.items() if sid not in self._bad]
        ended: list[UnreadableValue] = []
        if any(sid not in now for sid in self._bad):
            present = {s.id for s in reading.sensors}
            ended = [u for sid, u in self._bad.items() if sid not in now and sid in present]
        self._bad = now
        if started:
            self._log.warning(
                "LibreHardwareMonitor sends no number for %s; unknown until it does",
                _names(started, with_value=True),
            )
        if ended:
            self._log.info(
                "LibreHardwareMonitor sends numbers again for %s", _names(ended, with_value=False)
            )


def _names(values: list[UnreadableValue], *, with_value: bool) -> str:
    shown = [
        f"{printable(u.path)} ({printable(u.sensor_id)}"
        + (f": {printable(u.value)})" if with_value else ")")
        for u in values[:_NAMED_PER_LINE]
    ]
    more = len(values) - len(shown)
    return "; ".join(shown) + (f"; and {more} more" if more else "")
