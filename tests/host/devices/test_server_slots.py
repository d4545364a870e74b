"""Device slots: silent sockets and closed connections never lock a board out, and refusals
cost a few log lines, not one each."""

from __future__ import annotations

import asyncio
import json
import logging
import socket

from nocturne.devices.server import DeviceServer
from nocturne.snapshot import Hardware, Snapshot

TIMEOUT = 5.0


async def board_gets_a_line(port: int) -> bool:
    """Connect as a board does (HELO at once); True when a data line comes back."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"HELO\nscreen:0\n")
    try:
        line = await asyncio.wait_for(reader.readline(), TIMEOUT)
        return bool(line) and "ct" in json.loads(line)
    finally:
        writer.close()


async def test_silent_connections_hold_no_slot_and_are_closed():
    srv = DeviceServer("127.0.0.1", 0, max_devices=16)  # default hello_timeout
    await srv.start()
    try:
        srv.publish(Snapshot(hardware=Hardware(cpu_temp=50)))
        idle = [await asyncio.open_connection("127.0.0.1", srv.port) for _ in range(16)]
        await asyncio.sleep(0.2)
        assert await board_gets_a_line(srv.port)  # served while all 16 are open
        loop = asyncio.get_running_loop()
        started = loop.time()
        for reader, _ in idle:  # each one closed by the server, within a few seconds
            assert await asyncio.wait_for(reader.read(), 15) == b""
        assert loop.time() - started < 15
        for _, writer in idle:
            writer.close()
    finally:
        await srv.stop()


async def test_closed_connections_free_their_slot_at_once(caplog):
    caplog.set_level(logging.WARNING, logger="nocturne.devices.server")
    srv = DeviceServer("127.0.0.1", 0, max_devices=4)
    await srv.start()
    loop = asyncio.get_running_loop()
    try:
        srv.publish(Snapshot(hardware=Hardware(cpu_temp=50)))

        async def churn() -> None:  # never more than one of its connections open at a time
            for _ in range(100):
                sock = socket.socket()
                sock.setblocking(False)
                await loop.sock_connect(sock, ("127.0.0.1", srv.port))
                await loop.sock_sendall(sock, b"HELO\n")
                sock.close()

        await asyncio.gather(*(churn() for _ in range(3)))  # 3 at a time, 4 slots
        assert await board_gets_a_line(srv.port)
        assert "Refused" not in caplog.text
        assert srv.refused_count == 0
    finally:
        await srv.stop()


async def test_refusals_are_counted_and_rate_limited(caplog):
    caplog.set_level(logging.WARNING, logger="nocturne.devices.server")
    srv = DeviceServer("127.0.0.1", 0, max_devices=2)
    await srv.start()
    try:
        srv.publish(Snapshot(hardware=Hardware(cpu_temp=50)))
        held = [await asyncio.open_connection("127.0.0.1", srv.port) for _ in range(2)]
        for _, writer in held:
            writer.write(b"HELO\n")
        for reader, _ in held:
            await asyncio.wait_for(reader.readline(), TIMEOUT)
        for _ in range(300):
            reader, writer = await asyncio.open_connection("127.0.0.1", srv.port)
            writer.write(b"HELO\n")
            assert await asyncio.wait_for(reader.read(), TIMEOUT) == b""  # refused: closed
            writer.close()
        assert srv.device_count == 2
        assert srv.refused_count == 300
        refused_lines = [r for r in caplog.records if "Refused" in r.getMessage()]
        assert 1 <= len(refused_lines) <= 2, [r.getMessage() for r in refused_lines]
        assert "max_devices" in refused_lines[0].getMessage()
        for _, writer in held:
            writer.close()
    finally:
        await srv.stop()
