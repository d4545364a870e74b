"""A feed: one source's latest good value, how long it stays usable, its state and schedule.

A feed logs once per change of state (up → down → up), never once per poll, keeps the last
good value until it is older than ``stale_after``, and turns whatever a read raises into
that state: a SourceUnavailable's message as it is, anything else by its class and text.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from typing import Generic, TypeVar

from ..safe_text import printable
from ..sources import Source, SourceUnavailable
from ..sources.cost import COSTS

_timeout = getattr(asyncio, "timeout", None)

log = logging.getLogger("nocturne.collect.collector")

T = TypeVar("T")

GATE_RECHECK = 1.0  # seconds between looks at a closed gate (a feed read only while wanted)


class Feed(Generic[T]):
    """One source, polled by the collector."""

    def __init__(
        self,
        source: Source[T],
        *,
        timeout: float,
        stale_after: float,
        interval: float | None = None,
        backoff: tuple[float, ...] = (),
        down_hint: str = "",
        down_level: int = logging.WARNING,
        forget_on_failure: bool = False,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.source = source
        self.name: str = source.name
        self.timeout = timeout
        self.stale_after = stale_after
        self.interval = source.interval if interval is None else interval
        self.backoff = backoff  # seconds to wait after 1, 2, 3 ... failures in a row
        self.down_hint = down_hint
        self.down_level = down_level  # INFO for a source whose absence is how things are
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

    async def poll_once(self) -> float:
        """Read once; return the seconds to wait before the next read.

        After a failure: the next back-off step (never more than the interval), at least as
        long as the origin asked (Retry-After, up to ``stale_after``), or the whole interval
        when asking again soon cannot help.
        """
        await self.start_poll()
        exc = self.last_exception
        if self.failures == 0 or not self.backoff:
            return self.interval
        if isinstance(exc, SourceUnavailable) and exc.lasting:
            return self.interval
        delay = self.backoff[min(self.failures, len(self.backoff)) - 1]
        asked = getattr(exc, "retry_after", None)
        if asked is not None:
            delay = max(delay, min(float(asked), self.stale_after))
        return min(delay, self.interval)

    async def run(self, wanted: Callable[[], bool] | None = None) -> None:
        """Poll forever on the feed's schedule; while ``wanted()`` is false, do not read."""
        while True:
            if wanted is not None and not wanted():
                await asyncio.sleep(min(GATE_RECHECK, self.interval))
                continue
            started = self._clock()
            delay = await self.poll_once()
            await asyncio.sleep(max(0.0, delay - (self._clock() - started)))

    async def _read(self) -> T:
        if _timeout is None:  # Python 3.10
            return await asyncio.wait_for(self._metered_read(), self.timeout)
        # asyncio.timeout (3.11): wait_for would run the read in a task of its own, a task
        # more per poll of every feed, several times a second
        async with _timeout(self.timeout):
            return await COSTS.metered(self.name, self.source.read())

    async def _metered_read(self) -> T:
        return await COSTS.metered(self.name, self.source.read())

    async def _poll(self) -> None:
        try:
            value = await self._read()
        except asyncio.TimeoutError:
            self._failed(f"no answer within {self.timeout:g} s")
        except SourceUnavailable as exc:
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
            log.log(self.down_level, "%s unavailable: %s.%s", self.name, printable(reason), hint)
            self.up = False

    async def cancel(self) -> None:
        if self._inflight is not None and not self._inflight.done():
            self._inflight.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._inflight

    async def close(self) -> None:
        """Stop the read under way and release the source."""
        await self.cancel()
        await self.source.close()
