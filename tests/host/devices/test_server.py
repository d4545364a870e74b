"""The TCP fan-out, over real sockets on loopback."""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import random
import socket

import pytest

from nocturne.devices.server import DeviceServer
from nocturne.snapshot import Hardware, Media, Snapshot
from nocturne.wire.protocol import MAX_LINE

TIMEOUT = 5.0


def snap(temp: float, cover: bytes | None = None) -> Snapshot:
    media = Media(artist="A", track="T", playing=True, cover=cover) if cover else None
    return Snapshot(hardware=Hardware(cpu_temp=temp), media=media)


async def read_json(reader: asyncio.StreamReader) -> dict:
    line = await asyncio.wait_for(reader.readline(), TIMEOUT)
    assert line.endswith(b"\n"), line
    return json.loads(line)


async def wait_until(predicate, timeout: float = TIMEOUT) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        assert loop.time() < deadline, "condition not met in time"
        await asyncio.sleep(0.01)


@pytest.fixture
async def server():
    srv = DeviceServer("127.0.0.1", 0, max_devices=8, stall_timeout=0.5)
    await srv.start()
    yield srv
    await srv.stop()


async def test_device_gets_latest_line_on_connect_then_every_publish(server):
    server.publish(snap(50))
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    writer.write(b"HELO\n")
    assert (await read_json(reader))["ct"] == 50
    for temp in (51, 52, 53):
        server.publish(snap(temp))
        assert (await read_json(reader))["ct"] == temp
    writer.close()


async def test_screen_reports_are_tracked(server):
    _reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    writer.write(b"HELO\n")
    await wait_until(lambda: server.device_count == 1)
    assert server.devices()[0].screen is None
    writer.write(b"screen:5\n")
    await wait_until(lambda: server.devices()[0].screen == 5)
    writer.write(b"screen:9\n")
    await wait_until(lambda: server.devices()[0].screen == 9)
    writer.close()
    await wait_until(lambda: server.device_count == 0)


async def test_cover_on_first_line_and_on_change_only(server):
    cover_a, cover_b = b"\xaa" * 512, b"\x55" * 512
    server.publish(snap(50, cover_a))
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    writer.write(b"HELO\n")
    assert base64.b64decode((await read_json(reader))["cov"]) == cover_a
    server.publish(snap(51, cover_a))
    assert (await read_json(reader))["cov"] is None
    server.publish(snap(52, cover_b))
    assert base64.b64decode((await read_json(reader))["cov"]) == cover_b
    server.publish(snap(53, cover_b))
    assert (await read_json(reader))["cov"] is None
    # A device connecting later gets the current cover on its first line.
    reader2, writer2 = await asyncio.open_connection("127.0.0.1", server.port)
    writer2.write(b"HELO\n")
    assert base64.b64decode((await read_json(reader2))["cov"]) == cover_b
    # The next track has no cover, then nothing plays: each device is told to clear it once.
    server.publish(snap(54, None))
    assert (await read_json(reader))["cov"] == ""
    assert (await read_json(reader2))["cov"] == ""
    server.publish(snap(55, None))
    assert (await read_json(reader))["cov"] is None
    writer.close()
    writer2.close()


async def test_garbage_flood_is_dropped_and_others_keep_every_line(server, caplog):
    caplog.set_level(logging.WARNING, logger="nocturne.devices.server")
    good_r, good_w = await asyncio.open_connection("127.0.0.1", server.port)
    _bad_r, bad_w = await asyncio.open_connection("127.0.0.1", server.port)
    good_w.write(b"HELO\n")
    bad_w.write(b"HELO\n")
    await wait_until(lambda: server.device_count == 2)
    rng = random.Random(1234)
    chunks = [
        b"x" * (MAX_LINE * 3) + b"\n",  # one line far over the limit
        b"\xff\xfe\xfd\n" * 50,  # invalid UTF-8
        b"screen:abc\n" * 50,
        bytes(rng.getrandbits(8) for _ in range(200_000)),
    ]
    received = []

    async def flood():
        for _ in range(5):
            for chunk in chunks:
                bad_w.write(chunk)
                await bad_w.drain()

    async def publish_and_read():
        for temp in range(40, 60):
            server.publish(snap(temp))
            received.append((await read_json(good_r))["ct"])

    await asyncio.gather(flood(), publish_and_read())
    assert received == list(range(40, 60))
    # The garbage sender is still served too: nothing it sent was a reason to drop it.
    bad_w.write(b"\nscreen:3\n")  # the newline ends the random bytes' unfinished line
    await wait_until(lambda: any(d.screen == 3 for d in server.devices()))
    warnings = [r for r in caplog.records if "unrecognised" in r.getMessage()]
    assert 1 <= len(warnings) <= 8, len(warnings)  # a handful, not one per line
    good_w.close()
    bad_w.close()


async def test_device_that_never_reads_is_dropped_and_never_delays_others(server, caplog):
    caplog.set_level(logging.INFO, logger="nocturne.devices.server")
    # An ESP32's lwIP receive window is about 5.7 KB; a socket with a small receive buffer
    # that is never read behaves the same way.
    stalled = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    stalled.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    stalled.setblocking(False)
    await asyncio.get_running_loop().sock_connect(stalled, ("127.0.0.1", server.port))
    await asyncio.get_running_loop().sock_sendall(stalled, b"HELO\n")
    good_r, good_w = await asyncio.open_connection("127.0.0.1", server.port)
    good_w.write(b"HELO\n")
    await wait_until(lambda: server.device_count == 2)
    big = Snapshot(media=Media(artist="x" * 30, track="y" * 30, playing=True), hardware=Hardware())
    temps = []
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 30
    temp = 0
    while server.device_count == 2:
        assert loop.time() < deadline, "the stalled device was never dropped"
        temp += 1
        server.publish(Snapshot(hardware=Hardware(cpu_temp=temp), media=big.media))
        temps.append((await read_json(good_r))["ct"])
        await asyncio.sleep(0.002)
    assert temps == list(range(1, temp + 1))  # the good device got every line, in order
    assert any("stalled" in r.getMessage() for r in caplog.records)
    server.publish(snap(99))
    assert (await read_json(good_r))["ct"] == 99
    stalled.close()
    good_w.close()


async def test_connections_over_the_cap_are_refused(caplog):
    srv = DeviceServer("127.0.0.1", 0, max_devices=2)
    await srv.start()
    try:
        conns = [await asyncio.open_connection("127.0.0.1", srv.port) for _ in range(2)]
        for _, w in conns:
            w.write(b"HELO\n")
        await wait_until(lambda: srv.device_count == 2)
        reader, writer = await asyncio.open_connection("127.0.0.1", srv.port)
        writer.write(b"HELO\n")
        assert await asyncio.wait_for(reader.read(), TIMEOUT) == b""  # closed at once
        assert srv.device_count == 2
        assert "max_devices" in caplog.text
        for _, w in conns:
            w.close()
    finally:
        await srv.stop()


async def test_stop_closes_every_device():
    srv = DeviceServer("127.0.0.1", 0)
    await srv.start()
    srv.publish(snap(50))
    conns = [await asyncio.open_connection("127.0.0.1", srv.port) for _ in range(3)]
    for reader, writer in conns:
        writer.write(b"HELO\n")
        await read_json(reader)
    await srv.stop()
    for reader, writer in conns:
        assert await asyncio.wait_for(reader.read(), TIMEOUT) == b""
        writer.close()


async def test_port_in_use_names_the_address():
    first = DeviceServer("127.0.0.1", 0)
    await first.start()
    second = DeviceServer("127.0.0.1", first.port)
    try:
        with pytest.raises(OSError, match=f"cannot listen on 127.0.0.1:{first.port}"):
            await second.start()
    finally:
        await first.stop()
