"""The collector: runs every source on its own interval and keeps the latest Snapshot.

Sensors (LibreHardwareMonitor and psutil) are read once per tick and the snapshot is
published right after, so devices see fresh values; a sensor read that is still running at
the tick's deadline is left to finish in the background and the tick publishes what it has.
Slower sources run in loops of their own: processes every few seconds while shown, ping
every few seconds, media every second (cheap when nothing changed: the cover is converted
once per track), weather every ten minutes with a growing back-off after a failure. A source
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
from .snapshot import Hardware, Media, Snapshot, Weather
from .sources import SourceUnavailable
from .sources.lhm.client import ENABLE_HINT, LhmSource, LhmUnavailable
from .sources.lhm.model import LhmFormatError, LhmReading
from .sources.local import LocalSource
from .sources.media import MediaSource
from .sources.ping import PingSource
from .sources.processes import ProcessSource
from .sources.weather import CityNotFound, WeatherSource

log = logging.getLogger(__name__)

T = TypeVar("T")

# psutil measures these exactly (the real system drive, every NIC); LHM does not know which
# of its disks is the system one, so its disk usage only fills in when psutil has none.
LOCAL_FIRST = ("net_down", "net_up", "disk_read", "disk_write", "sys_disk_usage", "data_disk_usage")

PROCESS_INTERVAL = 3.0  # seconds between process scans while a device shows them
PING_INTERVAL = 5.0  # seconds between ping measurements
MEDIA_INTERVAL = 1.0  # seconds between looks at the media players
WEATHER_INTERVAL = 600.0  # seconds between weather reads (Open-Meteo updates every 15 min)
WEATHER_BACKOFF = (30.0, 60.0, 120.0, 300.0, 600.0)  # after 1, 2, 3 ... failures in a row
WEATHER_STALE = 3600.0  # the last good weather is shown this long while reads fail


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
        forget_on_failure: bool = False,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.source = source
        self.name: str = source.name
        self.timeout = timeout
        self.stale_after = stale_after
        self._read = read or source.read
        self.down_hint = down_hint
        self.forget_on_failure = forget_on_failure  # unknown at once after a failure
        self._clock = clock
        self.latest: T | None = None
        self.latest_at = float("-inf")
        self.up: bool | None = None  # None until the first poll ends
        self.last_error: str | None = None
        self.last_exception: BaseException | None = None
        self.failures = 0  # failed polls in a row
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
        except (LhmUnavailable, SourceUnavailable) as exc:
            self._failed(str(exc), exc)
        except Exception as exc:
            log.debug("%s failed", self.name, exc_info=True)
            self._failed(f"{exc.__class__.__name__}: {exc}", exc)
        else:
            self.latest = value
            self.latest_at = self._clock()
            if self.up is not True:
                if self.up is False:
                    log.info("%s is back", self.name)
                self.up = True
            self.last_error = None
            self.last_exception = None
            self.failures = 0

    def _failed(self, reason: str, exc: BaseException | None = None) -> None:
        self.last_error = reason
        self.last_exception = exc
        self.failures += 1
        if self.forget_on_failure:
            self.latest = None
            self.latest_at = float("-inf")
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
        weather: WeatherSource | None = None,
        ping: PingSource | None = None,
        media: MediaSource | None = None,
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
        self.weather_interval = WEATHER_INTERVAL
        self.weather_feed: Feed[Weather] | None = (
            Feed(weather, timeout=30.0, stale_after=WEATHER_STALE, clock=clock)
            if weather is not None
            else None
        )
        self.ping_feed: Feed[float] | None = (
            Feed(
                ping,
                timeout=ping.timeout + 1.0,
                stale_after=2 * PING_INTERVAL + ping.timeout,
                forget_on_failure=True,
                clock=clock,
            )
            if ping is not None
            else None
        )
        self.media_feed: Feed[Media | None] | None = (
            Feed(media, timeout=10.0, stale_after=5.0 + 3 * MEDIA_INTERVAL, clock=clock)
            if media is not None
            else None
        )
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
            weather=self.weather_feed.current() if self.weather_feed is not None else None,
            media=self.media_feed.current() if self.media_feed is not None else None,
            ping_ms=self.ping_feed.current() if self.ping_feed is not None else None,
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

    async def poll_weather(self) -> float:
        """Read the weather once; return the seconds to wait before the next read."""
        assert self.weather_feed is not None
        feed = self.weather_feed
        await feed.start_poll()
        if feed.failures == 0:
            return self.weather_interval
        if isinstance(feed.last_exception, CityNotFound):
            return self.weather_interval  # asking again soon will not find it either
        delay = WEATHER_BACKOFF[min(feed.failures, len(WEATHER_BACKOFF)) - 1]
        asked = getattr(feed.last_exception, "retry_after", None)  # HTTP 429 Retry-After
        if asked is not None:
            delay = max(delay, min(float(asked), WEATHER_STALE))
        return min(delay, self.weather_interval)

    async def _weather_loop(self) -> None:
        while True:
            await asyncio.sleep(await self.poll_weather())

    async def _every(self, feed: Feed[Any], interval: float) -> None:
        while True:
            started = self._clock()
            await feed.start_poll()
            await asyncio.sleep(max(0.0, interval - (self._clock() - started)))

    def start(self) -> None:
        self._tasks.append(asyncio.create_task(self._tick_loop()))
        if self.process_feed is not None:
            self._tasks.append(asyncio.create_task(self._process_loop()))
        if self.weather_feed is not None:
            self._tasks.append(asyncio.create_task(self._weather_loop()))
        if self.ping_feed is not None:
            self._tasks.append(asyncio.create_task(self._every(self.ping_feed, PING_INTERVAL)))
        if self.media_feed is not None:
            self._tasks.append(asyncio.create_task(self._every(self.media_feed, MEDIA_INTERVAL)))

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()
        feeds = [
            self.local_feed,
            self.lhm_feed,
            self.process_feed,
            self.weather_feed,
            self.ping_feed,
            self.media_feed,
        ]
        for feed in feeds:
            if feed is not None:
                await feed.cancel()
        for feed in feeds:
            if feed is not None and hasattr(feed.source, "close"):
                await feed.source.close()
