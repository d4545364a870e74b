"""The one HTTP GET (sources/http.py) under LHM and weather, against real loopback servers.

Each server misbehaves one way: an endless chunked body, a gzip bomb, a Content-Length over
the cap. The clients must stop at their cap, say so, and hold no more than about the cap.
"""

from __future__ import annotations

import asyncio
import gzip
import json
import threading
import tracemalloc
import zlib

import pytest
from aiohttp import web

from nocturne.config.model import Config
from nocturne.sources import SourceUnavailable
from nocturne.sources.lhm import client as lhm_client
from nocturne.sources.lhm.client import (
    MAX_BODY,
    PARSE_IN_THREAD_ABOVE,
    LhmSource,
    LhmUnavailable,
)
from nocturne.sources.lhm.model import LhmFormatError
from nocturne.sources.weather.client import MAX_BODY as WEATHER_MAX_BODY
from nocturne.sources.weather.client import WeatherSource, WeatherUnavailable

from ...conftest import CAPTURE_0_9_6

MB = 1024 * 1024
ENDLESS_LIMIT = 48 * MB  # the "endless" body ends here, so a client without a cap still ends


class Misbehaving:
    """A loopback HTTP server whose /data.json answers with ``mode``."""

    def __init__(self) -> None:
        self.mode = "endless"
        self.sent = 0  # body bytes written by the endless handler
        self.body = b""
        self._runner: web.AppRunner | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/data.json"

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/data.json", self._handle)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        if self.mode == "endless":
            resp = web.StreamResponse(headers={"Content-Type": "application/json"})
            resp.enable_chunked_encoding()
            await resp.prepare(request)
            chunk = b"[" * (64 * 1024)
            try:
                while self.sent < ENDLESS_LIMIT:
                    await resp.write(chunk)
                    self.sent += len(chunk)
            except (ConnectionResetError, ConnectionError):
                return resp
            await resp.write_eof()
            return resp
        if self.mode == "gzip-bomb":
            return web.Response(
                body=self.body,
                headers={"Content-Type": "application/json", "Content-Encoding": "gzip"},
            )
        if self.mode == "announces-too-much":
            resp = web.StreamResponse(headers={"Content-Type": "application/json"})
            resp.content_length = 10 * MB  # over LHM's 8 MB cap (and under the old 16 MB)
            await resp.prepare(request)
            await resp.write(b"{")
            await asyncio.sleep(5.0)  # the rest never comes: only an early refusal is quick
            return resp
        return web.Response(body=self.body, content_type="application/json")


@pytest.fixture
async def server():
    s = Misbehaving()
    await s.start()
    yield s
    await s.stop()


def _gzip_bomb(decoded_size: int) -> bytes:
    """A gzip body of ``decoded_size`` spaces, built without holding them (a few hundred KB)."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)  # 31: gzip framing
    block = b" " * MB
    parts = [packer.compress(block) for _ in range(decoded_size // MB)]
    parts.append(packer.flush())
    return b"".join(parts)


async def _peak_while(coro) -> tuple[Exception | None, int]:
    """(what the coroutine raised, the peak of memory allocated while it ran)."""
    error: Exception | None = None
    tracemalloc.start()
    try:
        await coro
    except Exception as exc:  # handed back to the test, which says what it expects
        error = exc
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return error, peak


async def test_endless_chunked_body_stops_at_the_cap(server):
    source = LhmSource(server.url, timeout=10.0)
    try:
        error, peak = await _peak_while(source.read())
    finally:
        await source.close()
    assert isinstance(error, LhmUnavailable), error
    assert isinstance(error, SourceUnavailable)
    assert "more than 8 MB" in str(error) and server.url in str(error)
    assert peak < MAX_BODY + 4 * MB  # the cap plus a read step and buffers, never the stream
    await asyncio.sleep(0.2)
    assert server.sent < ENDLESS_LIMIT  # the connection was dropped, not read to the end


async def test_gzip_bomb_is_refused_by_its_decoded_size(server):
    server.mode = "gzip-bomb"
    server.body = _gzip_bomb(128 * MB)
    assert len(server.body) < MB  # small on the wire: Content-Length alone lets it through
    source = LhmSource(server.url, timeout=10.0)
    try:
        error, peak = await _peak_while(source.read())
    finally:
        await source.close()
    assert isinstance(error, LhmUnavailable), error
    assert "more than 8 MB" in str(error)
    assert peak < MAX_BODY + 8 * MB


async def test_content_length_over_the_cap_is_refused_before_reading(server):
    server.mode = "announces-too-much"
    source = LhmSource(server.url, timeout=3.0)
    try:
        with pytest.raises(LhmUnavailable, match=r"announced 10485760 bytes.*8 MB"):
            await source.read()
    finally:
        await source.close()


async def test_weather_gets_the_same_protection(server):
    weather = WeatherSource(latitude=1.0, longitude=2.0, weather_api_url=server.url)
    try:
        with pytest.raises(WeatherUnavailable, match="more than 1 MB"):
            await weather.read()
        server.mode = "gzip-bomb"
        server.body = _gzip_bomb(32 * MB)
        error, peak = await _peak_while(weather.read())
        assert isinstance(error, WeatherUnavailable) and "more than 1 MB" in str(error), error
        assert peak < WEATHER_MAX_BODY + 4 * MB
    finally:
        await weather.close()


async def test_a_gzipped_body_in_many_segments_is_read_whole(server):
    """A real answer within the cap arrives whole, however it is framed."""
    server.mode = "gzip-bomb"  # a gzip body, here an honest one
    raw = CAPTURE_0_9_6.read_bytes()
    server.body = gzip.compress(raw, compresslevel=6)
    source = LhmSource(server.url)
    try:
        assert await source.fetch() == raw
    finally:
        await source.close()


def _big_capture(at_least: int) -> bytes:
    """The 0.9.6 capture with its hardware repeated until the body is over ``at_least``."""
    tree = json.loads(CAPTURE_0_9_6.read_bytes())
    computer = tree["Children"][0]
    nodes = list(computer["Children"])
    while len(json.dumps(tree)) <= at_least:
        computer["Children"] += nodes
    return json.dumps(tree).encode()


async def test_large_bodies_are_parsed_off_the_event_loop(server, monkeypatch):
    threads: list[threading.Thread] = []
    real_parse = lhm_client.parse_data_json

    def parse_and_note_the_thread(*args, **kwargs):
        threads.append(threading.current_thread())
        return real_parse(*args, **kwargs)

    monkeypatch.setattr(lhm_client, "parse_data_json", parse_and_note_the_thread)
    server.mode = "plain"
    source = LhmSource(server.url, timeout=10.0)
    try:
        server.body = CAPTURE_0_9_6.read_bytes()  # 150 KB: cheaper on the loop than a hop
        small = await source.read()
        server.body = _big_capture(PARSE_IN_THREAD_ABOVE)
        large = await source.read()
    finally:
        await source.close()
    assert threads[0] is threading.main_thread()
    assert threads[1] is not threading.main_thread()
    assert large.hardware.cpu_temp == small.hardware.cpu_temp is not None


async def test_a_body_that_is_not_data_json_says_so_in_one_message(server):
    server.mode = "plain"
    server.body = b"<html>It works!</html>"
    source = LhmSource(server.url)
    try:
        with pytest.raises(LhmFormatError) as info:
            await source.read()
    finally:
        await source.close()
    message = str(info.value)
    assert message.startswith(f"{server.url} sent something that is not data.json: not JSON")
    assert message.endswith("; keeping the last good data")
    assert info.value.reason.startswith("not JSON")
    assert isinstance(info.value, SourceUnavailable)


async def test_nothing_answering_is_a_source_unavailable(server):
    url = server.url
    await server.stop()
    source = LhmSource(url)
    try:
        with pytest.raises(LhmUnavailable, match=f"nothing answers at {url}"):
            await source.read()
    finally:
        await source.close()


def test_from_config_builds_the_source_the_config_describes():
    config = Config(
        lhm_url="http://10.0.0.5:8085/data.json",
        lhm_user="admin",
        lhm_password="secret",
        sensors={"ct": "/amdcpu/0/temperature/2"},
        poll_interval=2.0,
    )
    source = LhmSource.from_config(config)
    assert source is not None
    assert source.url == "http://10.0.0.5:8085/data.json"
    assert source.overrides == {"cpu_temp": "/amdcpu/0/temperature/2"}
    assert source.interval == 2.0 and source.name == "LibreHardwareMonitor"
    assert source._headers["Authorization"] == lhm_client.basic_auth("admin", "secret")
    assert LhmSource.from_config(Config(lhm_url="")) is None
