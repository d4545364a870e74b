"""The server's answer to power events: tell the boards at once, and wake up fresh.

About to sleep or shut down: every line from now on carries ``pwr`` ("sleep"/"off"), and one
is pushed to every board at once (not at the next poll); the future a watcher waits on is
done when those lines have left (or after ANNOUNCE_TIMEOUT). Awake again: ``pwr`` goes, the
LibreHardwareMonitor session is dropped (LHM loses sensors across a wake on some machines; a
new connection gets its current tree) and the sensors are read and published at once, so the
boards are live within one poll. With MQTT, the PC's status goes "offline" before the sleep
and "online" after it, so Home Assistant does not show the last readings as current.
Callable from any thread: the work runs on the server's loop.

A sleep that never came (vetoed, failed, a wake the OS did not report) must not leave the
boards on their clock for good: still running STILL_AWAKE_AFTER seconds (of the event loop's
clock, which on Linux stands still while the PC sleeps) after "sleep" counts as a wake.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from concurrent.futures import Future
from typing import TYPE_CHECKING

from ..handoff import run_in_loop
from . import ANNOUNCE_TIMEOUT, OFF, SLEEP

if TYPE_CHECKING:
    from ..collect.collector import Collector
    from ..devices.server import DeviceServer

log = logging.getLogger(__name__)

STILL_AWAKE_AFTER = 60.0


class PowerResponder:
    """A PowerEvents for one running server."""

    def __init__(
        self,
        devices: DeviceServer,
        collector: Collector,
        loop: asyncio.AbstractEventLoop,
        online: Callable[[bool], Awaitable[None]] | None = None,
        *,
        reopen: str,
    ) -> None:
        self.devices = devices
        self.online = online  # MQTT's status: online(False) before a sleep, True after
        self.collector = collector
        self.reopen = reopen  # the feed whose source opens a new session after a wake
        self.loop = loop
        self.resumes = 0  # wakes handled (re-reads done), for tests and the log
        self.still_awake_after = STILL_AWAKE_AFTER
        self._still_awake: asyncio.TimerHandle | None = None

    def sleeping(self, going: bool) -> Future[None]:
        return self._run(self._announce(SLEEP) if going else self._resume())

    def shutting_down(self, going: bool) -> Future[None]:
        return self._run(self._announce(OFF) if going else self._resume())

    def _run(self, work: object) -> Future[None]:
        return run_in_loop(self.loop, work)  # type: ignore[arg-type]

    async def _announce(self, state: str) -> None:
        count = self.devices.device_count
        log.info("The PC is going (%s): telling %d board(s)", state, count)
        self.devices.set_power(state)
        if self._still_awake is not None:
            self._still_awake.cancel()
        if state == SLEEP:
            self._still_awake = self.loop.call_later(self.still_awake_after, self._no_sleep)
            if self.online is not None:
                await self.online(False)
        if not await self.devices.drained(ANNOUNCE_TIMEOUT):
            log.warning("Not every board took the %r line within %g s", state, ANNOUNCE_TIMEOUT)

    def _no_sleep(self) -> None:
        self._still_awake = None
        if self.devices.power == SLEEP:
            log.info(
                "Still running %g s after the sleep was announced: awake", self.still_awake_after
            )
            self._run(self._resume())

    async def _resume(self) -> None:
        if self._still_awake is not None:
            self._still_awake.cancel()
            self._still_awake = None
        log.info("The PC is awake: reading the sensors again")
        self.devices.set_power(None, push=False)
        feed = self.collector.feed(self.reopen)
        if feed is not None:
            await feed.cancel()
            await feed.source.close()  # the next read opens a new session
        self.resumes += 1
        await self.collector.tick()
        if self.online is not None:  # after the boards' fresh line: a dead link may take a while
            await self.online(True)
