"""Many emulated boards ticked together in real time, with observers of new frames."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, TypeVar

from .firmware_loader import install_paths

if TYPE_CHECKING:
    from .board import Board

B = TypeVar("B", bound="Board")


class Emulator:
    """Boards ticked together every ``TICK_MS`` of real time, with frame observers."""

    def __init__(self, devices: Iterable[Board] = ()) -> None:
        self.devices: list[Board] = list(devices)
        self.observers: list[Callable[[Board], None]] = []
        self._seen: dict[int, int] = {}
        self.stopped = False

    def add(self, device: B) -> B:
        self.devices.append(device)
        return device

    def tick_all(self) -> None:
        for d in self.devices:
            d.tick()
            if self.observers:
                t = d.panel.transactions
                if self._seen.get(id(d)) != t:
                    self._seen[id(d)] = t
                    for obs in self.observers:
                        obs(d)

    def _tick_ms(self) -> int:
        install_paths()
        from nocturne_fw import app as A

        return A.TICK_MS

    def run(self, seconds: float | None = None, until: Callable[[], bool] | None = None) -> bool:
        """Tick in real time until ``until()`` is true (returns True), ``seconds`` pass
        (returns False) or ``stop()``."""
        period = self._tick_ms() / 1000
        end = None if seconds is None else time.monotonic() + seconds
        nxt = time.monotonic()
        while not self.stopped:
            self.tick_all()
            if until is not None and until():
                return True
            if end is not None and time.monotonic() >= end:
                return False
            nxt += period
            delay = nxt - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            else:
                nxt = time.monotonic()  # behind (a slow frame): do not try to catch up
        return False

    async def arun(
        self, seconds: float | None = None, until: Callable[[], bool] | None = None
    ) -> bool:
        """``run`` for an asyncio program: other tasks (a replay server...) run between ticks."""
        period = self._tick_ms() / 1000
        loop = asyncio.get_running_loop()
        end = None if seconds is None else loop.time() + seconds
        nxt = loop.time()
        while not self.stopped:
            self.tick_all()
            if until is not None and until():
                return True
            if end is not None and loop.time() >= end:
                return False
            nxt += period
            delay = nxt - loop.time()
            if delay <= 0:
                nxt = loop.time()
            await asyncio.sleep(max(delay, 0))
        return False

    def stop(self) -> None:
        self.stopped = True

    def close(self) -> None:
        for d in self.devices:
            d.close()
