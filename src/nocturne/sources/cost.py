"""What each source costs the server in CPU time, measured where the work runs.

A coroutine's work on the event loop is the sum of its steps (each ``send`` into it runs
until its next ``await``): :meth:`CostMeter.metered` times each step with
``time.thread_time``, so what other tasks do while it waits is not counted. Work in a worker
thread is timed around the call (:meth:`CostMeter.call`). Not counted: the bytes aiohttp
parses in its protocol callbacks before the body reaches the reader.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Awaitable, Callable, Coroutine, Generator
from typing import Any, TypeVar

T = TypeVar("T")

_clock = time.thread_time


class _Metered:
    """Awaits ``coro``, charging the CPU time of each of its steps to ``name``."""

    __slots__ = ("coro", "meter", "name")

    def __init__(self, meter: CostMeter, name: str, coro: Coroutine[Any, Any, Any]) -> None:
        self.meter, self.name, self.coro = meter, name, coro

    def __await__(self) -> Generator[Any, Any, Any]:
        coro, send, error = self.coro, None, None
        while True:
            started = _clock()
            try:
                step = coro.send(send) if error is None else coro.throw(error)
            except StopIteration as done:
                self.meter.charge(self.name, _clock() - started)
                return done.value
            except BaseException:
                self.meter.charge(self.name, _clock() - started)
                raise
            self.meter.charge(self.name, _clock() - started)
            try:
                send, error = (yield step), None
            except BaseException as exc:  # cancelled, a timeout: passed into the coroutine
                send, error = None, exc


class CostMeter:
    """CPU seconds per name since start (a process keeps one: :data:`COSTS`)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._lock = threading.Lock()

    def charge(self, name: str, seconds: float) -> None:
        with self._lock:  # worker threads charge too
            self.seconds[name] = self.seconds.get(name, 0.0) + seconds

    def metered(self, name: str, coro: Coroutine[Any, Any, T]) -> Awaitable[T]:
        return _Metered(self, name, coro)

    def call(self, name: str, work: Callable[[], T]) -> T:
        started = _clock()
        try:
            return work()
        finally:
            self.charge(name, _clock() - started)

    def snapshot(self) -> dict[str, float]:
        with self._lock:
            return dict(self.seconds)


COSTS = CostMeter()
