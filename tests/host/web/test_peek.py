"""Peek on the server's side (PROTOCOL.md, "Peek"): ``frame:N`` + N raw bytes from a device,
``pk`` to it only while watched, the newest frame as a 1-bit PNG, and "cannot peek" for a
board that never answers. A real DeviceServer on loopback, devices as raw TCP clients."""

from __future__ import annotations

import asyncio
import io
import json
import random
import types

import aiohttp
import pytest
from aiohttp import web
from PIL import Image

from nocturne.devices.server import DeviceServer
from nocturne.snapshot import Snapshot
from nocturne.web import peek
from nocturne.wire.line_splitter import Frame, LineSplitter
from nocturne.wire.protocol import FRAME_BYTES

TIMEOUT = 5.0


def pattern(seed: int) -> bytes:
    """A frame full of newlines and bytes that look like commands."""
    rng = random.Random(seed)
    body = bytearray(rng.randrange(256) for _ in range(FRAME_BYTES))
    body[10:20] = b"\nscreen:7\n"
    return bytes(body)


def test_splitter_takes_a_frame_whole_however_the_bytes_are_cut():
    frame = pattern(1)
    stream = b"HELO\nframe:1024\n" + frame + b"screen:2\nframe:1024\n" + frame[::-1] + b"x\n"
    for cut in (1, 5, 11, 1023, 1500, len(stream)):
        splitter = LineSplitter()
        out = []
        for i in range(0, len(stream), cut):
            out += splitter.feed(stream[i : i + cut])
        assert out == [b"HELO", frame, b"screen:2", frame[::-1], b"x"], cut
        assert isinstance(out[1], Frame) and not isinstance(out[2], Frame)


def test_a_header_out_of_range_is_a_plain_line():
    for header in (b"frame:0", b"frame:4097", b"frame:-1", b"frame:12a", b"frame:"):
        assert LineSplitter().feed(header + b"\nscreen:1\n") == [header, b"screen:1"]


def test_png_is_one_bit_with_the_pixels_where_the_frame_has_them():
    frame = bytearray(FRAME_BYTES)
    frame[0] = 0x01  # column 0, page 0, bit 0: (0, 0)
    frame[128 + 5] = 0x04  # column 5, page 1, bit 2: (5, 10)
    frame[7 * 128 + 127] = 0x80  # the last column's bottom pixel: (127, 63)
    image = Image.open(io.BytesIO(peek.frame_png(bytes(frame), scale=3)))
    assert image.mode == "1" and image.size == (384, 192)
    lit = {(x // 3, y // 3) for x in range(384) for y in range(192) if image.getpixel((x, y))}
    assert lit == {(0, 0), (5, 10), (127, 63)}


@pytest.fixture
async def server():
    srv = DeviceServer("127.0.0.1", 0)
    await srv.start()
    srv.publish(Snapshot())
    yield srv
    await srv.stop()


class Pages:
    """What the hub told each watcher, as the stream would carry it."""

    def __init__(self) -> None:
        self.told: list[tuple[object, dict]] = []

    async def send(self, watcher: object, message: dict) -> None:
        self.told.append((watcher, message))


@pytest.fixture
def pages() -> Pages:
    return Pages()


@pytest.fixture
async def site(server, pages):
    """The peek route on a real aiohttp server on loopback; yields (hub, base URL)."""
    app = web.Application()
    exporter = types.SimpleNamespace(  # the WebExporter's parts peek.register reads
        desk=types.SimpleNamespace(devices=server), stream=pages, peek=None
    )
    hub = peek.register(app, exporter)
    assert exporter.peek is hub
    runner = web.AppRunner(app)
    await runner.setup()
    tcp = web.TCPSite(runner, "127.0.0.1", 0)
    await tcp.start()
    port = runner.addresses[0][1]
    yield hub, f"http://127.0.0.1:{port}"
    await runner.cleanup()


async def until(cond, what: str) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + TIMEOUT
    while not cond():
        assert loop.time() < deadline, what
        await asyncio.sleep(0.01)


class Board:
    """A device over raw TCP that answers ``pk`` with frames only when told to."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def connect(cls, server: DeviceServer) -> tuple[Board, int]:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        writer.write(b"HELO\n")
        await until(lambda: server.devices(), "the board was admitted")
        return cls(reader, writer), server.devices()[-1].id

    async def next_pk(self) -> int:
        """The ``pk`` of the next line that has one."""
        while True:
            line = json.loads(await asyncio.wait_for(self.reader.readline(), TIMEOUT))
            if "pk" in line:
                return line["pk"]

    async def send_frame(self, frame: bytes) -> None:
        self.writer.write(b"frame:%d\n" % len(frame) + frame)
        await self.writer.drain()


async def test_watching_asks_for_frames_and_the_last_watcher_leaving_stops_them(server, site):
    hub, _ = site
    board, dev = await Board.connect(server)
    assert hub.watch("page 1", dev, True)
    assert await board.next_pk() == peek.PERIOD_MS
    assert hub.watch("page 2", dev, True)
    hub.watch("page 1", dev, False)
    hub.forget("page 2")
    assert await board.next_pk() == 0
    assert not hub.watched(dev)
    assert not hub.watch("page 1", dev + 100, True)  # no such board


async def test_a_frame_is_stored_and_served_as_png_and_forgotten_with_its_board(
    server, site, pages
):
    hub, base = site
    board, dev = await Board.connect(server)
    hub.watch("page", dev, True)
    await board.next_pk()
    frame = pattern(2)
    await board.send_frame(frame)
    board.writer.write(b"screen:4\n")
    await until(lambda: hub.frame(dev) == frame, "the frame arrived whole")
    await until(lambda: server.devices()[0].screen == 4, "the line after it counts")
    assert hub.supported(dev) is True
    news = {"type": "frame", "board": dev, "n": 1, "peek": True}
    await until(lambda: pages.told == [("page", news)], "the page was told")
    hub.watch("another page", dev, True)  # told at once about the frame it has not seen
    await until(lambda: pages.told[-1] == ("another page", news), "the new page was told")
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{base}/api/boards/{dev}/frame.png?scale=2") as r:
            assert r.status == 200 and r.content_type == "image/png"
            image = Image.open(io.BytesIO(await r.read()))
        assert image.size == (256, 128)
        assert image.getpixel((0, 0)) == (255 if frame[0] & 1 else 0)
        for query in ("?scale=0", "?scale=9", "?scale=x"):
            async with http.get(f"{base}/api/boards/{dev}/frame.png{query}") as r:
                assert r.status == 400, query
        board.writer.close()
        await until(lambda: not server.devices(), "the board left")
        assert hub.frame(dev) is None
        async with http.get(f"{base}/api/boards/{dev}/frame.png") as r:
            assert r.status == 404


async def test_a_board_that_never_answers_cannot_peek(server, site, pages, monkeypatch):
    monkeypatch.setattr(peek, "ANSWER_S", 0.3)
    hub, _ = site
    board, dev = await Board.connect(server)
    assert hub.supported(dev) is None  # never asked
    hub.watch("page", dev, True)
    await board.next_pk()  # read, ignored: the original firmware
    assert hub.supported(dev) is None  # asked just now
    await until(lambda: hub.supported(dev) is False, "silent board counted as no peek")
    news = {"type": "frame", "board": dev, "n": 0, "peek": False}
    await until(lambda: pages.told == [("page", news)], "the page was told")


async def test_frames_of_another_size_or_before_helo_are_not_kept(server, site):
    hub, _ = site
    _reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    writer.write(b"frame:1024\n" + pattern(3) + b"HELO\n")
    await until(lambda: server.devices(), "HELO after the frame still counts")
    dev = server.devices()[0].id
    writer.write(b"frame:10\n0123456789screen:3\n")
    await until(lambda: server.devices()[0].screen == 3, "the line after it counts")
    assert hub.frame(dev) is None
    writer.close()
