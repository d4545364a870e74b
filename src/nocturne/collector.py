"""The collector: runs every source on its own interval and keeps the latest Snapshot.

Sensors (LibreHardwareMonitor and psutil) are read once per tick and the snapshot is
published right after, so devices see fresh values; a sensor read that is still running at
the tick's deadline is left to finish in the background and the tick publishes what it has.
Slower sources (processes, later weather and media) run in loops of their own. A source
that raises or hangs never stops the others, and it logs once per change of state.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any, Generic, TypeVar

from .alerts import AlertRule
from .config import Config
from .snapshot import Hardware, Snapshot
from .sources.lhm.client import ENABLE_HINT, LhmSource, LhmUnavailable
from .sources.lhm.model import LhmFormatError, LhmReading
from .sources.local import LocalSource
from .sources.processes import ProcessSource

log = logging.getLogger(__name__)

T = TypeVar("T")

# psutil measures these exactly (the real system drive, every NIC); LHM does not know which
# of its disks is the system one, so its disk usage only fills in when psutil has none.
LOCAL_FIRST = ("net_down", "net_up", "disk_read", "disk_write", "sys_disk_usage", "data_disk_usage")

PROCESS_INTERVAL = 3.0  # seconds between process scans while a device shows them


def merge_hardware(lhm: Hardware | None, local: Hardware | None) -> Hardware:
    """LHM's readings first, psutil's where LHM has none, psutil's first for LOCAL_FIRST."""
    if lhm is None:
        return local or Hardware()
    if local is None:
        return lhm
    preferred = Hardware(**{name: getattr(local, name) for name in LOCAL_FIRST})
    return preferred.fill_from(lhm).fill_from(local)


class Feed(Generic[T]):
    """One source: its latest good value, for how long that value stays usable, its state."""

    def __init__(
        self,
        source: Any,
        *,
        timeout: float,
        stale_after: float,
        read: Callable[[], Awaitable[T]] | None = None,
        down_hint: str = "",
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.source = source
        self.name: str = source.name
        self.timeout = timeout
        self.stale_after = stale_after
        self._read = read or source.read
        self.down_hint = down_hint
        self._clock = clock
        self.latest: T | None = None
        self.latest_at = float("-inf")
        self.up: bool | None = None  # None until the first poll ends
        self.last_error: str | None = None
        self._inflight: asyncio.Task[None] | None = None

    def current(self) -> T | None:
        """The latest good value, or None once it is older than ``stale_after``."""
        if self._clock() - self.latest_at > self.stale_after:
            return None
        return self.latest

    def start_poll(self) -> asyncio.Task[None]:
        """Start a read unless one is still running; return the running one."""
        if self._inflight is None or self._inflight.done():
            self._inflight = asyncio.create_task(self._poll())
        return self._inflight

    async def _poll(self) -> None:
        try:
            value = await asyncio.wait_for(self._read(), self.timeout)
        except asyncio.CancelledError:
            raise
        except asyncio.TimeoutError:
            self._failed(f"no answer within {self.timeout:g} s")
        except LhmFormatError as exc:
            self._failed(f"sent something that is not data.json: {exc}; keeping the last good data")
        except LhmUnavailable as exc:
            self._failed(str(exc))
        except Exception as exc:
            log.debug("%s failed", self.name, exc_info=True)
            self._failed(f"{exc.__class__.__name__}: {exc}")
        else:
            self.latest = value
            self.latest_at = self._clock()
            if self.up is not True:
                if self.up is False:
                    log.info("%s is back", self.name)
                self.up = True
            self.last_error = None

    def _failed(self, reason: str) -> None:
        self.last_error = reason
        if self.up is not False:
            hint = f" {self.down_hint}" if self.down_hint else ""
            log.warning("%s unavailable: %s.%s", self.name, reason, hint)
            self.up = False

    async def cancel(self) -> None:
        if self._inflight is not None and not self._inflight.done():
            self._inflight.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._inflight


class Collector:
    """Owns the feeds and the latest Snapshot; calls subscribers after every tick."""

    def __init__(
        self,
        config: Config,
        *,
        lhm: LhmSource | None,
        local: LocalSource,
        processes: ProcessSource | None = None,
        want_processes: Callable[[], bool] = lambda: True,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.config = config
        self._clock = clock
        interval = config.poll_interval
        stale = max(5.0, 3 * interval)
        self.lhm_feed: Feed[LhmReading] | None = (
            Feed(
                lhm,
                timeout=2.5,
                stale_after=stale,
                down_hint=f"Serving local sensors (psutil) until it is back. {ENABLE_HINT}.",
                clock=clock,
            )
            if lhm is not None
            else None
        )
        self.local_feed: Feed[Hardware] = Feed(
            local,
            timeout=2.0,
            stale_after=stale,
            read=lambda: local.read(self._lhm_has()),
            clock=clock,
        )
        self.process_feed: Feed[Any] | None = None
        if processes is not None:
            self.process_feed = Feed(
                processes,
                timeout=10.0,
                stale_after=3 * PROCESS_INTERVAL,
                read=lambda: asyncio.to_thread(processes.read_sync),
                clock=clock,
            )
        self.want_processes = want_processes
        self.alerts = AlertRule(config.limits)
        self.snapshot = Snapshot()
        self._subscribers: list[Callable[[Snapshot], None]] = []
        self._tasks: list[asyncio.Task[None]] = []

    def _lhm_has(self) -> frozenset[str]:
        """Fields LHM gives now, which psutil need not read (but LOCAL_FIRST ones)."""
        lhm = self.lhm_feed.current() if self.lhm_feed is not None else None
        if lhm is None:
            return frozenset()
        return frozenset(lhm.hardware.known()).difference(LOCAL_FIRST)

    def subscribe(self, callback: Callable[[Snapshot], None]) -> None:
        self._subscribers.append(callback)

    def compose(self) -> Snapshot:
        """Build the Snapshot from every feed's current value."""
        lhm = self.lhm_feed.current() if self.lhm_feed is not None else None
        hardware = merge_hardware(lhm.hardware if lhm else None, self.local_feed.current())
        processes = self.process_feed.current() if self.process_feed is not None else None
        return Snapshot(
            hardware=hardware,
            processes=processes,
            alert=self.alerts.update(hardware),
            taken_at=self._clock(),
            lhm_online=lhm is not None,
        )

    async def tick(self) -> Snapshot:
        """Read the sensors (waiting at most most of one interval), publish, return it."""
        feeds = [self.local_feed] + ([self.lhm_feed] if self.lhm_feed is not None else [])
        polls = [feed.start_poll() for feed in feeds]
        await asyncio.wait(polls, timeout=0.8 * self.config.poll_interval)
        self.snapshot = self.compose()
        for callback in self._subscribers:
            try:
                callback(self.snapshot)
            except Exception:
                log.exception("A snapshot subscriber failed")
        return self.snapshot

    async def _tick_loop(self) -> None:
        interval = self.config.poll_interval
        next_at = self._clock()
        while True:
            await self.tick()
            next_at += interval
            delay = next_at - self._clock()
            if delay < 0:  # fell behind (suspend, overload): start again from now
                next_at = self._clock()
                delay = 0
            await asyncio.sleep(delay)

    async def _process_loop(self) -> None:
        assert self.process_feed is not None
        while True:
            if self.want_processes():
                await self.process_feed.start_poll()
                await asyncio.sleep(PROCESS_INTERVAL)
            else:
                await asyncio.sleep(min(1.0, PROCESS_INTERVAL))

    def start(self) -> None:
        self._tasks.append(asyncio.create_task(self._tick_loop()))
        if self.process_feed is not None:
            self._tasks.append(asyncio.create_task(self._process_loop()))

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()
        feeds = [self.local_feed, self.lhm_feed, self.process_feed]
        for feed in feeds:
            if feed is not None:
                await feed.cancel()
        for feed in feeds:
            if feed is not None and hasattr(feed.source, "close"):
                await feed.source.close()
