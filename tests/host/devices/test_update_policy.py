"""When the server offers an update (issue 23, ``board_updates``): a real DeviceServer on
loopback and boards on real TCP speaking the protocol's lines (PROTOCOL.md, "Updates over
the air"). "auto" starts at connect, not while an alert shows (then once it is gone);
"ask" and "off" send nothing by themselves; a board on the server's version is left alone."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from nocturne.devices.pairing import Pairing
from nocturne.devices.server import DeviceServer
from nocturne.snapshot import Alert, Snapshot
from nocturne.updates.bundle import load_bundle
from nocturne.updates.manager import Updates

TOKEN = "q3M0bnR5LXR3by1ieXRlcy1vZi10b2tlbg"
HELLO = f"HELO {TOKEN}\nfw:0000aaaa\nota:ready 00112233aabbccdd\n".encode()


@pytest.fixture
async def make_server() -> AsyncIterator:
    servers: list[DeviceServer] = []

    async def make(mode: str) -> DeviceServer:
        pairing = Pairing({"desk": TOKEN})
        updates = Updates(mode, token_of=pairing.token_of, bundle=load_bundle())
        srv = DeviceServer("127.0.0.1", 0, pairing=pairing, updates=updates)
        await srv.start()
        servers.append(srv)
        return srv

    yield make
    for srv in servers:
        await srv.stop()


async def update_lines_within(reader: asyncio.StreamReader, seconds: float) -> list[bytes]:
    """The UP lines the board received within ``seconds``."""
    got: list[bytes] = []
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while (left := deadline - loop.time()) > 0:
        try:
            line = await asyncio.wait_for(reader.readline(), left)
        except TimeoutError:
            break
        if line.startswith(b"UP "):
            got.append(line)
    return got


async def connect(srv: DeviceServer, hello: bytes = HELLO):
    reader, writer = await asyncio.open_connection("127.0.0.1", srv.port)
    writer.write(hello)
    await writer.drain()
    return reader, writer


async def test_auto_waits_while_an_alert_shows_then_updates(make_server):
    srv = await make_server("auto")
    srv.publish(Snapshot(alert=Alert("CPU", 96.0)))
    reader, writer = await connect(srv)
    try:
        assert await update_lines_within(reader, 0.5) == []  # the alert shows: not now
        srv.publish(Snapshot())
        lines = await update_lines_within(reader, 2.0)
        assert lines and lines[0].startswith(f"UP m {load_bundle().version} ".encode())
        assert lines[-1] == b"UP z\n"
    finally:
        writer.close()


@pytest.mark.parametrize("mode", ["ask", "off"])
async def test_ask_and_off_send_nothing_by_themselves(make_server, mode):
    srv = await make_server(mode)
    srv.publish(Snapshot())
    reader, writer = await connect(srv)
    try:
        assert await update_lines_within(reader, 0.5) == []
        started = srv.request_update("desk")
        assert started == (["desk"] if mode == "ask" else [])
        if mode == "ask":
            assert (await update_lines_within(reader, 2.0))[-1] == b"UP z\n"
    finally:
        writer.close()


async def test_a_board_on_the_servers_version_is_left_alone(make_server):
    srv = await make_server("auto")
    srv.publish(Snapshot())
    ours = load_bundle().version
    hello = f"HELO {TOKEN}\nfw:{ours}\nota:ready 00112233aabbccdd\n".encode()
    reader, writer = await connect(srv, hello)
    try:
        assert await update_lines_within(reader, 0.5) == []
        assert srv.request_update(None) == []
        [device] = srv.devices()
        assert device.update is not None and device.update["available"] is False
    finally:
        writer.close()
