"""One grid for the server's periodic timers: each sleeps to the next multiple of its period.

Every timer that fires wakes the process, and a wake-up costs more than the work it does
once the PC's other programs have cooled the caches (40-60 µs each, measured in the server).
Timers on one grid fire together: the tick and the device watch share one wake-up a second.
"""

from __future__ import annotations

__all__ = ["next_beat"]


def next_beat(now: float, period: float) -> float:
    """The first multiple of ``period`` after ``now`` (both in the event loop's clock)."""
    return (now // period + 1.0) * period
