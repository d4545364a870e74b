"""A board that reads flat out while the server floods it (a command or snapshot flood) is
alive: its receive window never reopens, but the bytes it has taken keep growing. Real TCP
on loopback, a client with a small receive buffer reading at a steady pace (issue 27, 5)."""

from __future__ import annotations

import asyncio
import contextlib
import socket

from nocturne.devices.server import DeviceServer
from nocturne.snapshot import Hardware, Snapshot

STALL = 1.0  # seconds: the server's stall_timeout here
READ = 64  # bytes the board reads every PAUSE: slower than the flood, never stopping
PAUSE = 0.005
RUN = 6 * STALL


async def test_a_flooded_board_that_keeps_reading_is_not_dropped_as_stalled():
    server = DeviceServer("127.0.0.1", 0, stall_timeout=STALL)
    await server.start()
    loop = asyncio.get_running_loop()
    board = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    board.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    board.setblocking(False)
    taken = 0
    try:
        await loop.sock_connect(board, ("127.0.0.1", server.port))
        await loop.sock_sendall(board, b"HELO\n")
        while not server.devices():
            await asyncio.sleep(PAUSE)
        # Six stall timeouts of reading at the board's pace while lines keep coming. Its
        # window is shut at most checks (Linux reopens it a half-buffer at a time), which
        # the window check alone took for a board that reads nothing (about one run in two).
        for step in range(int(RUN / PAUSE)):
            server.publish(Snapshot(hardware=Hardware(cpu_temp=40 + step % 50, cpu_load=step)))
            with contextlib.suppress(BlockingIOError):
                taken += len(board.recv(READ))
            await asyncio.sleep(PAUSE)
        assert taken > 0
        assert len(server.devices()) == 1, "a reading board was dropped as stalled"
    finally:
        board.close()
        await server.stop()
