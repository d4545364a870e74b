"""A device that stops reading, and one that vanishes, are dropped in bounded time: over real
TCP, on loopback and between two private network namespaces."""

from __future__ import annotations

import _socket
import asyncio
import socket

from nocturne.devices.server import DeviceServer
from nocturne.snapshot import Hardware, Media, Snapshot
from tests.harness.netns import CLIENT_ADDRESS, SERVER_ADDRESS, NamespacePair

BOARD_WINDOW = 5744  # lwIP's TCP_WND on the ESP32 firmware: what a board can hold unread


def line(temp: int) -> Snapshot:
    media = Media(artist="Artist " * 4, track="Track " * 5, playing=True)
    return Snapshot(hardware=Hardware(cpu_temp=temp, cpu_load=temp, ram_used=10.5), media=media)


async def read_lines(sock: socket.socket, count: int) -> None:
    loop = asyncio.get_running_loop()
    got = b""
    while got.count(b"\n") < count:
        chunk = await asyncio.wait_for(loop.sock_recv(sock, 4096), 10)
        assert chunk, "the server closed the connection early"
        got += chunk


async def seconds_until_dropped(srv: DeviceServer, limit: float, publish_every: float | None):
    """Publish (or not) until the device is gone; seconds it took, None past ``limit``."""
    loop = asyncio.get_running_loop()
    started = loop.time()
    temp = 0
    while srv.device_count:
        if loop.time() - started > limit:
            return None
        if publish_every is not None:
            temp += 1
            srv.publish(line(temp % 90))
        await asyncio.sleep(publish_every or 0.1)
    return loop.time() - started


async def test_board_that_stops_reading_is_dropped_within_30_s_of_its_last_read():
    srv = DeviceServer("127.0.0.1", 0)  # the default stall_timeout
    await srv.start()
    board = socket.socket()
    try:
        board.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, BOARD_WINDOW)
        board.setblocking(False)
        await asyncio.get_running_loop().sock_connect(board, ("127.0.0.1", srv.port))
        await asyncio.get_running_loop().sock_sendall(board, b"HELO\nscreen:0\n")
        for temp in range(3):  # it reads a few lines, then never again
            srv.publish(line(temp))
            await read_lines(board, 1)
        took = await seconds_until_dropped(srv, 45, publish_every=0.1)
        assert took is not None and took <= 30, took
    finally:
        board.close()
        await srv.stop()


async def vanishing_device(publish_every: float | None) -> float | None:
    with NamespacePair() as nets:
        srv = DeviceServer(SERVER_ADDRESS, 0, listen_socket=nets.server_listener())
        await srv.start()
        device = nets.socket_in(nets.client)
        try:
            loop = asyncio.get_running_loop()
            # The socket lives in a namespace whose only link is the veth to the server's: it
            # cannot reach beyond it, so the suite's loopback guard (on socket.socket) is
            # bypassed for this one connect.
            device.settimeout(5)
            await loop.run_in_executor(
                None, _socket.socket.connect, device, (SERVER_ADDRESS, srv.port)
            )
            device.setblocking(False)
            assert device.getsockname()[0] == CLIENT_ADDRESS
            await loop.sock_sendall(device, b"HELO\nscreen:0\n")
            srv.publish(line(1))
            await read_lines(device, 1)
            nets.drop_all_traffic()
            return await seconds_until_dropped(srv, 40, publish_every)
        finally:
            device.close()
            await srv.stop()


async def test_vanished_device_is_dropped_within_15_s():
    took = await vanishing_device(publish_every=1.0)
    assert took is not None and took <= 15, took


async def test_vanished_idle_device_is_dropped_within_15_s():
    took = await vanishing_device(publish_every=None)  # nothing to send: keepalive finds it
    assert took is not None and took <= 15, took
