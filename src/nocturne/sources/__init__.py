"""Sources: each knows one origin of data and returns typed values (None = unknown).

Every source has the same shape (:class:`Source`): a ``name`` for people, an ``interval``
hint (the seconds between reads it is made for), ``read()`` and ``close()``. A read that
fails raises a :class:`SourceUnavailable` subclass whose message says why. Sources whose
work blocks (psutil) implement :class:`BlockingSource` and run through :class:`InThread`,
so they never hold up the event loop and their timeout can fire.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Generic, Protocol, TypeVar

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)


class SourceUnavailable(Exception):
    """A source could not read this time; the message says why, in words a user can act on.

    The collector logs the message as it is (once per change of state), without a traceback.
    """

    retry_after: float | None = None  # the origin asked to be left alone this long (seconds)
    lasting: bool = False  # asking again soon gets the same answer: wait a whole interval


class Source(Protocol[T_co]):
    """What the collector runs: one origin of data."""

    name: str
    interval: float  # seconds between reads this source is made for

    async def read(self) -> T_co:
        """One reading; raises SourceUnavailable (or a subclass) when there is none."""
        ...

    async def close(self) -> None:
        """Release what the source holds (sessions, buses)."""
        ...


class BlockingSource(Protocol[T_co]):
    """A source whose reading blocks (system calls): run it through InThread."""

    name: str
    interval: float

    def read_sync(self) -> T_co: ...


class InThread(Generic[T]):
    """A BlockingSource as a Source: each read runs in a worker thread.

    A thread cannot be cancelled, so a read that outlives its caller's timeout keeps
    running, and the next ``read()`` waits for that one instead of starting a second
    (two at once would race on the source's counters).
    """

    def __init__(self, source: BlockingSource[T], read_sync: Callable[[], T] | None = None) -> None:
        self.source = source
        self.name = source.name
        self.interval = source.interval
        self._read_sync = read_sync or source.read_sync
        self._pending: asyncio.Future[T] | None = None

    async def read(self) -> T:
        if self._pending is None or self._pending.done():
            self._pending = asyncio.ensure_future(asyncio.to_thread(self._read_sync))
        return await asyncio.shield(self._pending)

    async def close(self) -> None:
        if self._pending is not None and not self._pending.done():
            with contextlib.suppress(Exception):
                await asyncio.wait_for(asyncio.shield(self._pending), timeout=5.0)
