"""Commands (gs, so, cn from Home Assistant) reach each board at most ``LINES_PER_S`` times
a second: a command that comes sooner after the last line it woke waits for the next slot,
and every command in between only updates the keys that line carries (the last value of
each wins). A flood of 8,000 commands a second then costs a board 4 lines a second, not
8,000, and its screen does not strobe."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

LINES_PER_S = 4.0  # lines a second a board may get for commands alone
GAP = 1.0 / LINES_PER_S


class CommandPacer:
    """Per device id: when its last command line was woken, and the wake-up still due."""

    def __init__(self) -> None:
        self._woken_at: dict[int, float] = {}
        self._due: dict[int, asyncio.TimerHandle] = {}

    def wake(self, device_id: int, wake: Callable[[], None]) -> None:
        """Call ``wake`` now, or once at the device's next slot (a later call in between
        changes nothing: the keys it brought go on that same line)."""
        if device_id in self._due:
            return
        loop = asyncio.get_running_loop()
        now = loop.time()
        wait = self._woken_at.get(device_id, -GAP) + GAP - now
        if wait <= 0:
            self._woken_at[device_id] = now
            wake()
            return

        def due() -> None:
            del self._due[device_id]
            self._woken_at[device_id] = loop.time()
            wake()

        self._due[device_id] = loop.call_later(wait, due)

    def forget(self, device_id: int) -> None:
        self._woken_at.pop(device_id, None)
        handle = self._due.pop(device_id, None)
        if handle is not None:
            handle.cancel()
