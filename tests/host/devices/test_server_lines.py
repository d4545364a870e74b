"""What the server reads from a device: lines capped at 4096 bytes, the whole line dropped."""

from __future__ import annotations

import asyncio
import logging

import pytest

from nocturne.devices.server import DeviceServer
from nocturne.wire.line_splitter import LineSplitter
from nocturne.wire.protocol import MAX_LINE

TIMEOUT = 5.0


@pytest.fixture
async def server():
    srv = DeviceServer("127.0.0.1", 0)
    await srv.start()
    yield srv
    await srv.stop()


async def screens_seen(server: DeviceServer, caplog, send: list[bytes], last: int) -> list[int]:
    """Every scene the server recorded, in order, while a device sends ``send`` (chunk by
    chunk) followed by ``screen:<last>``."""
    caplog.set_level(logging.DEBUG, logger="nocturne.devices.server")
    _reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    writer.write(b"HELO\n")
    for chunk in send:
        writer.write(chunk)
        await writer.drain()
        await asyncio.sleep(0.01)  # separate reads on the server's side
    writer.write(f"screen:{last}\n".encode())
    loop = asyncio.get_running_loop()
    deadline = loop.time() + TIMEOUT
    while not server.devices() or server.devices()[0].screen != last:
        assert loop.time() < deadline, "the last screen never arrived"
        await asyncio.sleep(0.01)
    writer.close()
    return [
        int(r.getMessage().rsplit(" ", 1)[1])
        for r in caplog.records
        if "shows screen" in r.getMessage()
    ]


async def test_tail_of_an_overlong_line_is_not_a_command(server, caplog):
    seen = await screens_seen(server, caplog, [b"B" * 8192, b"screen:7\n"], last=3)
    assert seen == [3]
    assert any("over 4096 bytes" in r.getMessage() for r in caplog.records)


async def test_overlong_line_arriving_in_many_pieces_is_dropped_whole(server, caplog):
    pieces = [b"screen:8" + b"C" * 3000, b"C" * 3000, b"screen:7\nscreen:2\n"]
    assert await screens_seen(server, caplog, pieces, last=4) == [2, 4]


async def test_line_of_exactly_4096_bytes_counts_and_one_more_does_not(server, caplog):
    at_cap = b"screen:5" + b" " * (MAX_LINE - len(b"screen:5") - 1) + b"\n"
    over_cap = b"screen:6" + b" " * (MAX_LINE - len(b"screen:6")) + b"\n"
    assert len(at_cap) == MAX_LINE and len(over_cap) == MAX_LINE + 1
    pieces = [at_cap, over_cap, b"D" * (MAX_LINE + 1), b"screen:6\n"]
    assert await screens_seen(server, caplog, pieces, last=1) == [5, 1]


def test_splitter_returns_whole_lines_however_the_bytes_are_cut():
    stream = b"HELO\r\nscreen:1\n" + b"x" * 5000 + b"screen:9\nscreen:2\n"
    for cut in (1, 7, 4096, 4097, len(stream)):
        splitter = LineSplitter()
        lines = []
        for i in range(0, len(stream), cut):
            lines += splitter.feed(stream[i : i + cut])
        assert lines == [b"HELO\r", b"screen:1", None, b"screen:2"], cut
