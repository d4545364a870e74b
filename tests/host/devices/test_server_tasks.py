"""No task of the server outlives its connection, however the connection ends."""

from __future__ import annotations

import asyncio
import gc
import logging
import socket
import struct

from nocturne.devices.server import DeviceServer
from nocturne.snapshot import Hardware, Snapshot

TIMEOUT = 10.0


async def settle(baseline: set[asyncio.Task], server: DeviceServer) -> set[asyncio.Task]:
    """The server's tasks beyond ``baseline`` once its connections are gone (or the deadline)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + TIMEOUT
    while True:
        extra = {t for t in asyncio.all_tasks() if t not in baseline and not t.done()}
        if (not extra and server.device_count == 0) or loop.time() > deadline:
            return extra
        await asyncio.sleep(0.02)


def destroyed_pending(caplog) -> list[str]:
    gc.collect()
    return [
        r.getMessage() for r in caplog.records if "destroyed but it is pending" in r.getMessage()
    ]


async def test_half_closed_connections_leave_no_task_behind(caplog):
    caplog.set_level(logging.ERROR, logger="asyncio")
    srv = DeviceServer("127.0.0.1", 0)
    await srv.start()
    try:
        srv.publish(Snapshot(hardware=Hardware(cpu_temp=50)))
        await asyncio.sleep(0.05)
        baseline = set(asyncio.all_tasks())
        for _ in range(30):
            reader, writer = await asyncio.open_connection("127.0.0.1", srv.port)
            writer.write(b"HELO\n")
            await writer.drain()
            writer.write_eof()  # shutdown(SHUT_WR): the device is done talking
            srv.publish(Snapshot(hardware=Hardware(cpu_temp=51)))
            await asyncio.wait_for(reader.read(), TIMEOUT)  # the server closes its side
            writer.close()
        assert await settle(baseline, srv) == set()
        assert destroyed_pending(caplog) == []
    finally:
        await srv.stop()


async def test_rapid_connect_and_close_leaves_no_task_behind(caplog):
    caplog.set_level(logging.ERROR, logger="asyncio")
    srv = DeviceServer("127.0.0.1", 0)
    await srv.start()
    loop = asyncio.get_running_loop()
    try:
        srv.publish(Snapshot(hardware=Hardware(cpu_temp=50)))
        await asyncio.sleep(0.05)
        baseline = set(asyncio.all_tasks())
        for i in range(200):
            sock = socket.socket()
            sock.setblocking(False)
            await loop.sock_connect(sock, ("127.0.0.1", srv.port))
            await loop.sock_sendall(sock, b"HELO\n")
            if i % 2:  # half of them reset instead of closing
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            sock.close()
            if i % 10 == 0:
                srv.publish(Snapshot(hardware=Hardware(cpu_temp=i % 90)))
                await asyncio.sleep(0)
        assert await settle(baseline, srv) == set()
        assert destroyed_pending(caplog) == []
    finally:
        await srv.stop()
