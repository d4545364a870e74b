"""Every source has one shape (name, interval, read, close) and fails one way."""

from __future__ import annotations

import asyncio
import inspect
import threading

import pytest

from nocturne.collect.feed import Feed
from nocturne.config.model import Config
from nocturne.sources import InThread, SourceUnavailable
from nocturne.sources.lhm.client import LhmSource, LhmUnavailable
from nocturne.sources.lhm.model import LhmFormatError
from nocturne.sources.local import LocalSource
from nocturne.sources.media import MediaSource
from nocturne.sources.ping import PingSource, PingUnreachable
from nocturne.sources.processes import ProcessSource
from nocturne.sources.weather import CityNotFound, WeatherFormatError, WeatherSource
from nocturne.sources.weather.client import WeatherUnavailable


class _Backend:
    async def now_playing(self):
        return None

    async def close(self) -> None:
        return None


def _sources() -> list[object]:
    return [
        LhmSource("http://127.0.0.1:9/data.json"),
        WeatherSource(latitude=1.0, longitude=2.0),
        PingSource("127.0.0.1", 9),
        MediaSource(_Backend()),
        InThread(LocalSource()),
        InThread(ProcessSource()),
    ]


@pytest.mark.parametrize("index", range(6))
async def test_every_source_has_the_source_shape(index):
    source = _sources()[index]
    assert isinstance(source.name, str) and source.name
    assert isinstance(source.interval, float) and source.interval > 0
    assert inspect.iscoroutinefunction(source.read)
    assert inspect.iscoroutinefunction(source.close)
    await source.close()


@pytest.mark.parametrize(
    "error",
    [
        LhmUnavailable,
        LhmFormatError,
        WeatherUnavailable,
        WeatherFormatError,
        CityNotFound,
        PingUnreachable,
    ],
)
def test_every_source_failure_is_a_source_unavailable(error):
    assert issubclass(error, SourceUnavailable)


class _Blocking:
    name = "blocking"
    interval = 1.0

    def __init__(self, release: threading.Event) -> None:
        self.release = release
        self.running = 0
        self.most_at_once = 0
        self.calls = 0

    def read_sync(self) -> str:
        self.calls += 1
        self.running += 1
        self.most_at_once = max(self.most_at_once, self.running)
        try:
            # Released by a coroutine: only possible while the event loop is free.
            return "loop was free" if self.release.wait(5.0) else "loop was blocked"
        finally:
            self.running -= 1


async def test_a_blocking_read_runs_off_the_event_loop():
    release = threading.Event()
    source = InThread(_Blocking(release))

    async def release_soon() -> None:
        await asyncio.sleep(0.05)
        release.set()

    helper = asyncio.create_task(release_soon())
    assert await source.read() == "loop was free"
    await helper


async def test_the_local_sensors_read_in_a_thread_so_their_timeout_fires(monkeypatch):
    from nocturne.collect.collector import Collector

    release = threading.Event()
    local = LocalSource()
    monkeypatch.setattr(local, "read_sync", lambda skip=frozenset(): release.wait(30.0) and None)
    collector = Collector(Config(ping_host=""), lhm=None, local=local)
    feed = collector.feed("local")
    feed.timeout = 0.2
    try:
        await feed.start_poll()
        assert feed.up is False and "no answer within 0.2 s" in (feed.last_error or "")
    finally:
        release.set()
        await collector.stop()


async def test_a_read_that_outlives_its_timeout_is_not_started_twice():
    release = threading.Event()
    blocking = _Blocking(release)
    feed = Feed(InThread(blocking), timeout=0.05, stale_after=10.0)
    await feed.start_poll()  # times out; the thread keeps running
    await feed.start_poll()  # waits for that one rather than starting another
    assert feed.failures == 2
    release.set()
    await feed.start_poll()
    assert blocking.most_at_once == 1 and blocking.calls == 1
    assert feed.latest == "loop was free"
    await feed.close()
