"""One psutil pass per tick: the local counters and, when due, the process scan, in one
worker-thread call.

The collector starts a pass on each tick (:meth:`PsutilPass.start`); the process scan rides
along every ``ProcessSource.interval`` seconds while a device shows processes, so it needs no
timer or thread hop of its own and the two share the tick's wake-up. In the thread the local
reading comes first and is handed back the moment it is read; a slow scan after it never
holds up the tick's hardware figures.

Each reading goes to one reader (:attr:`local_source`, :attr:`process_source`, each a Source
for a Feed). A part still running when the next pass starts is not started twice (the two
would race on the source's counters): its reader waits for the one under way, as
:class:`~nocturne.sources.InThread` does.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from ..handoff import call_in_loop
from ..snapshot import Hardware, Processes
from .cost import COSTS
from .local import LocalSource
from .processes import ProcessSource

T = TypeVar("T")


def _settle(future: asyncio.Future[Any], value: Any, exc: BaseException | None) -> None:
    if future.done():  # its reader gave up (cancelled)
        return
    if exc is not None:
        future.set_exception(exc)
    else:
        future.set_result(value)


class _Slot(Generic[T]):
    """The latest future of one part and whether its reader has taken it."""

    def __init__(self) -> None:
        self.future: asyncio.Future[T] | None = None
        self.taken = True

    def busy(self) -> bool:
        return self.future is not None and not self.future.done()

    def fresh(self, loop: asyncio.AbstractEventLoop) -> asyncio.Future[T]:
        self.future = loop.create_future()
        self.taken = False
        return self.future


class _Part(Generic[T]):
    """One part of the pass as a Source: ``read()`` takes that part's reading."""

    def __init__(self, name: str, interval: float, read: Callable[[], Any]) -> None:
        self.name = name
        self.interval = interval
        self._read = read

    async def read(self) -> T:
        return await self._read()

    async def close(self) -> None:
        return None


class PsutilPass:
    """Runs ``local`` (every pass) and ``processes`` (when asked) in one thread call."""

    def __init__(
        self,
        local: LocalSource,
        processes: ProcessSource | None,
        skip: Callable[[], frozenset[str]] = frozenset,
    ) -> None:
        self.local = local
        self.processes = processes
        self._skip = skip  # fields another source has: LocalSource.read_sync need not read them
        self._local: _Slot[Hardware] = _Slot()
        self._scan: _Slot[Processes] = _Slot()
        self._job: asyncio.Future[None] | None = None
        self.local_source: _Part[Hardware] = _Part(local.name, local.interval, self._read_local)
        self.process_source: _Part[Processes] | None = (
            _Part(processes.name, processes.interval, self._read_scan) if processes else None
        )

    def start(self, *, local: bool = True, scan: bool = False) -> None:
        """Start a pass: the local reading (unless one is under way), then the scan if asked."""
        loop = asyncio.get_running_loop()
        local_future = self._local.fresh(loop) if local and not self._local.busy() else None
        scan = scan and self.processes is not None and not self._scan.busy()
        scan_future = self._scan.fresh(loop) if scan else None
        if local_future is None and scan_future is None:
            return
        skip = self._skip() if local_future is not None else frozenset()
        self._job = loop.run_in_executor(None, self._work, loop, skip, local_future, scan_future)

    def _work(
        self,
        loop: asyncio.AbstractEventLoop,
        skip: frozenset[str],
        local_future: asyncio.Future[Hardware] | None,
        scan_future: asyncio.Future[Processes] | None,
    ) -> None:
        if local_future is not None:
            self._run(loop, local_future, self.local.name, lambda: self.local.read_sync(skip))
        if scan_future is not None and self.processes is not None:
            self._run(loop, scan_future, self.processes.name, self.processes.read_sync)

    @staticmethod
    def _run(
        loop: asyncio.AbstractEventLoop, future: asyncio.Future[T], name: str, read: Callable[[], T]
    ) -> None:
        value: Any = None
        error: BaseException | None = None
        try:
            value = COSTS.call(name, read)  # the thread's CPU time: what the dashboard shows
        except BaseException as exc:  # handed to the reader, whose Feed logs it
            error = exc
        call_in_loop(loop, _settle, future, value, error)  # dropped if the loop closed

    async def _take(self, slot: _Slot[T], **part: bool) -> T:
        if slot.future is None or slot.taken:  # read outside a pass (a test, a first poll)
            self.start(**part)
        slot.taken = True
        assert slot.future is not None
        return await asyncio.shield(slot.future)

    async def _read_local(self) -> Hardware:
        return await self._take(self._local, local=True, scan=False)

    async def _read_scan(self) -> Processes:
        return await self._take(self._scan, local=False, scan=True)

    async def close(self) -> None:
        """Wait a little for a pass under way (a thread cannot be stopped)."""
        if self._job is not None and not self._job.done():
            with contextlib.suppress(Exception):
                await asyncio.wait_for(asyncio.shield(self._job), timeout=5.0)
