"""The collector: runs every source on its own schedule and keeps the latest Snapshot.

Sensors (LibreHardwareMonitor and psutil) are read once per tick and the snapshot is
published right after, so devices see fresh values; a sensor read that is still running at
the tick's deadline is left to finish in the background and the tick publishes what it has.
The process scan rides along with the local psutil read (one worker-thread call) every few
seconds while a device shows processes. The other feeds run in loops of their own: ping
every few seconds, media every second (cheap when nothing changed: the cover is converted
once per track), weather every ten minutes with a growing back-off after a failure. A source
that raises or hangs never stops the others, and it logs once per change of state.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import time
from collections.abc import Callable
from typing import Any

from ..config.model import DEFAULT_LHM_URL, Config
from ..snapshot import HARDWARE_FIELDS, Hardware, Media, Processes, Snapshot, Weather
from ..sources import Source
from ..sources.gpu.merge import with_direct_sensors
from ..sources.gpu.model import GpuReading
from ..sources.lhm.client import ENABLE_HINT
from ..sources.lhm.model import LhmReading
from ..sources.local import LocalSource
from ..sources.ping import PingSource
from ..sources.processes import ProcessSource
from ..sources.psutil_pass import PsutilPass
from .alerts import AlertRule
from .custom import CustomValues
from .feed import Feed

log = logging.getLogger(__name__)

# Feed roles: which part of the Snapshot a feed fills.
LHM = "lhm"
LOCAL = "local"
PROCESSES = "processes"
WEATHER = "weather"
PING = "ping"
MEDIA = "media"
USER_IDLE = "user_idle"
GPU = "gpu"  # GPUs read directly (NVML, amdgpu, i915/xe): sources/gpu
RAPL = "rapl"  # CPU package power (Linux powercap)
SENSORS = (LOCAL, LHM, GPU, RAPL)  # read on every tick, before the snapshot is published
# Read on every tick too, when their own interval is no longer than the tick's (a change can
# reach a board no sooner than the next line), but not waited for: a slow player or bus must
# not hold up the line. Each own timer would wake the process once more every second.
ON_THE_TICK = (MEDIA, USER_IDLE)

# psutil measures these exactly (the real system drive, every NIC); LHM does not know which
# of its disks is the system one, so its disk usage only fills in when psutil has none.
LOCAL_FIRST = ("net_down", "net_up", "disk_read", "disk_write", "sys_disk_usage", "data_disk_usage")
_LOCAL_FIRST = frozenset(LOCAL_FIRST)

WEATHER_BACKOFF = (30.0, 60.0, 120.0, 300.0, 600.0)  # after 1, 2, 3 ... failures in a row
WEATHER_STALE = 3600.0  # the last good weather is shown this long while reads fail


def lhm_is_optional(url: str, platform: str = sys.platform) -> bool:
    """True where LibreHardwareMonitor (a Windows program) is not expected at ``url``: another
    OS, the default URL. Its absence is then how things are, an info line; a configured URL
    that does not answer stays a problem."""
    return platform != "win32" and url == DEFAULT_LHM_URL


def merge_hardware(lhm: Hardware | None, local: Hardware | None) -> Hardware:
    """LHM's readings first, psutil's where LHM has none, psutil's first for LOCAL_FIRST."""
    if lhm is None:
        return local or Hardware()
    if local is None:
        return lhm
    values = {}
    for name in HARDWARE_FIELDS:  # one Hardware built, not three (this runs every tick)
        first, then = (local, lhm) if name in _LOCAL_FIRST else (lhm, local)
        value = getattr(first, name)
        values[name] = getattr(then, name) if value is None else value
    return Hardware(**values)


class Collector:
    """Owns the feeds and the latest Snapshot; calls subscribers after every tick."""

    def __init__(
        self,
        config: Config,
        *,
        lhm: Source[LhmReading] | None,
        local: LocalSource,
        processes: ProcessSource | None = None,
        want_processes: Callable[[], bool] = lambda: True,
        weather: Source[Weather] | None = None,
        ping: PingSource | None = None,
        media: Source[Media | None] | None = None,
        user_idle: Source[float | None] | None = None,
        gpu: Source[GpuReading] | None = None,
        rapl: Source[Hardware] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.config = config
        self._clock = clock
        tick = config.poll_interval
        stale = max(5.0, 3 * tick)
        # psutil's readings in one worker-thread call per tick; the scan rides along when due.
        self._psutil = PsutilPass(local, processes, self._lhm_has)
        self._has_of: LhmReading | None = None  # the reading self._has was taken from
        self._has: frozenset[str] = frozenset()
        self._want_processes = want_processes
        self._scanned_at = float("-inf")
        feeds: dict[str, Feed[Any]] = {
            LOCAL: Feed(
                self._psutil.local_source,
                timeout=2.0,
                stale_after=stale,
                interval=tick,
                clock=clock,
            )
        }
        if lhm is not None:
            optional = lhm_is_optional(getattr(lhm, "url", ""))
            feeds[LHM] = Feed(
                lhm,
                timeout=2.5,
                stale_after=stale,
                interval=tick,
                down_hint=(
                    f"Serving local sensors (psutil) until it is back. {ENABLE_HINT}."
                    if not optional
                    else "This PC's own sensors (psutil) feed the boards (LibreHardwareMonitor "
                    "is a Windows program; set lhm_url to read one on another PC)."
                ),
                down_level=logging.INFO if optional else logging.WARNING,
                clock=clock,
            )
        for role, direct in ((GPU, gpu), (RAPL, rapl)):
            if direct is not None:
                feeds[role] = Feed(
                    direct, timeout=2.0, stale_after=stale, interval=tick, clock=clock
                )
        if self._psutil.process_source is not None:
            feeds[PROCESSES] = Feed(
                self._psutil.process_source,
                timeout=10.0,
                stale_after=3 * processes.interval,
                clock=clock,
            )
        if weather is not None:
            feeds[WEATHER] = Feed(
                weather,
                timeout=30.0,
                stale_after=WEATHER_STALE,
                backoff=WEATHER_BACKOFF,
                clock=clock,
            )
        if ping is not None:
            feeds[PING] = Feed(
                ping,
                timeout=ping.timeout + 1.0,
                stale_after=2 * ping.interval + ping.timeout,
                forget_on_failure=True,
                clock=clock,
            )
        if media is not None:
            feeds[MEDIA] = Feed(
                media, timeout=10.0, stale_after=5.0 + 3 * media.interval, clock=clock
            )
        if user_idle is not None:  # the last value stands 2 polls, then it is unknown
            feeds[USER_IDLE] = Feed(
                user_idle, timeout=2.0, stale_after=2.5 * user_idle.interval, clock=clock
            )
        self.feeds = feeds
        tick = config.poll_interval
        self._on_the_tick = [r for r in ON_THE_TICK if r in feeds and feeds[r].interval <= tick]
        self.alerts = AlertRule(config.limits)
        self.custom = CustomValues(config.custom_scenes)  # its scenes follow config.json
        self.snapshot = Snapshot()
        self._subscribers: list[Callable[[Snapshot], None]] = []
        self._tasks: list[asyncio.Task[None]] = []

    def feed(self, role: str) -> Feed[Any] | None:
        """The feed that fills ``role`` (LHM, WEATHER...), or None when there is none."""
        return self.feeds.get(role)

    def current(self, role: str) -> Any:
        """The current value of the feed for ``role``; None when unknown or not configured."""
        feed = self.feeds.get(role)
        return feed.current() if feed is not None else None

    def _lhm_has(self) -> frozenset[str]:
        """Fields LHM gives now, which psutil need not read (but LOCAL_FIRST ones).

        Only while LHM answers: its last value outlives a failure by ``stale_after``, and
        a psutil reading that skipped what LHM had may still be the latest when that value
        expires (a pass still running at compose time, under load): the field would be
        unknown until the next pass. Reading everything from the first failed poll on
        leaves a whole ``stale_after`` for a complete local reading to arrive.
        """
        lhm: LhmReading | None = self.current(LHM)
        if lhm is None or self.feeds[LHM].up is not True:
            return frozenset()
        if lhm is not self._has_of:  # one set per reading, not one per tick
            self._has_of = lhm
            self._has = frozenset(lhm.hardware.known()).difference(LOCAL_FIRST)
        return self._has

    def subscribe(self, callback: Callable[[Snapshot], None]) -> None:
        self._subscribers.append(callback)

    def compose(self) -> Snapshot:
        """Build the Snapshot from every feed's current value."""
        lhm: LhmReading | None = self.current(LHM)
        local = with_direct_sensors(self.current(LOCAL), self.current(GPU), self.current(RAPL))
        hardware = merge_hardware(lhm.hardware if lhm else None, local)
        processes: Processes | None = self.current(PROCESSES)
        ping_ms = self.current(PING)
        return Snapshot(
            hardware=hardware,
            processes=processes,
            weather=self.current(WEATHER),
            media=self.current(MEDIA),
            ping_ms=ping_ms,
            user_idle=self.current(USER_IDLE),
            alert=self.alerts.update(hardware),
            taken_at=self._clock(),
            lhm_online=lhm is not None,
            custom=self.custom.read(lhm, hardware, self.current(LOCAL), ping_ms),
        )

    def _scan_due(self) -> bool:
        """A process scan on this tick: a device shows processes and the last is old enough."""
        feed = self.feeds.get(PROCESSES)
        if feed is None or not self._want_processes():
            return False
        now = self._clock()
        # Half a tick of slack: ticks that come a little early still scan every interval.
        if now - self._scanned_at < feed.interval - 0.5 * self.config.poll_interval:
            return False
        self._scanned_at = now
        return True

    async def tick(self) -> Snapshot:
        """Read the sensors (waiting at most most of one interval), publish, return it.

        The process scan, when due, runs in the same psutil pass (after the local counters)
        and its lists go out on this tick if they are ready in time.
        """
        scan = self._scan_due()
        self._psutil.start(scan=scan)
        polls = [feed.start_poll() for role, feed in self.feeds.items() if role in SENSORS]
        for role in self._on_the_tick:
            self.feeds[role].start_poll()
        if scan:
            polls.append(self.feeds[PROCESSES].start_poll())
        await asyncio.wait(polls, timeout=0.8 * self.config.poll_interval)
        return self.republish()

    def republish(self) -> Snapshot:
        """Compose the snapshot from what the feeds hold now and hand it to every subscriber
        (each tick does; so does a change the boards must see at once: new custom scenes,
        before a command that shows one of them)."""
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

    def start(self) -> None:
        self._tasks.append(asyncio.create_task(self._tick_loop()))
        by_ticks = {*SENSORS, PROCESSES, *self._on_the_tick}
        for role, feed in self.feeds.items():
            if role not in by_ticks:
                self._tasks.append(asyncio.create_task(feed.run()))

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()
        for feed in self.feeds.values():
            await feed.cancel()
        for feed in self.feeds.values():
            await feed.close()
        await self._psutil.close()
