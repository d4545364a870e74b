"""What hostile or broken peers cost the server, each figure next to its budget.

    .venv/bin/python bench/bench_attack.py [--flood-seconds 20]

1. A board that stops reading: a real ``nocturne --console`` process serving a replayed LHM
   capture every 1 s; a client with a board's receive buffer (SO_RCVBUF 5744, lwIP's TCP_WND)
   reads a few lines, then never again. Seconds from its last read until the server logs the
   drop. Budget <= 30 s.
2. A board that vanishes: the server in one private network namespace, the board in another,
   joined by a veth pair (10.213.0.0/30); after a few lines every packet is dropped (blackhole
   qdisc on both ends). Seconds until the server drops it, with a line every 1 s and with
   nothing to send. Budget <= 15 s. Needs root; the namespaces are deleted afterwards.
3. 16 connections that never say anything, then a real device: is it served? Budget: yes.
4. 1,000 connections refused (max_devices full): "Refused" log lines. Budget <= 5.
5. LHM streams an endless chunked body: the server process polls a tiny aiohttp server of
   this bench that never ends its answer, for ``--flood-seconds``; a healthy device's longest
   gap between lines and the server's peak RSS (VmHWM). Budgets: gap <= 2 poll intervals,
   RSS <= 120 MB. (Holds once the LHM client caps the body it reads.)

Prints figures; asserts nothing; stops by itself in a few minutes.
"""

from __future__ import annotations

import _socket
import argparse
import asyncio
import json
import socket
import sys
import tempfile
import time
from pathlib import Path

from aiohttp import web

from nocturne.devices.server import DeviceServer
from nocturne.devtools.lhm_replay import LhmReplay
from nocturne.snapshot import Hardware, Media, Snapshot

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests.harness
from tests.harness.netns import SERVER_ADDRESS, NamespacePair
from tests.harness.rig import ServerProcess, free_port, write_config

CAPTURE = (
    Path(__file__).resolve().parent.parent
    / "tests/fixtures/lhm/amd-r7-7800x3d_rtx4080super_nct6687d_lhm-0.9.6_comma.json"
)
BOARD_WINDOW = 5744
POLL = 1.0
RSS_GUARD_MB = 1024  # the machine is shared: a flood stops here, far past the budget


def row(what: str, value: str, budget: str) -> None:
    print(f"  {what:<58} {value:>12}   budget {budget}", flush=True)


async def connect(port: int, rcvbuf: int | None = None) -> socket.socket:
    sock = socket.socket()
    if rcvbuf:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    sock.setblocking(False)
    loop = asyncio.get_running_loop()
    await loop.sock_connect(sock, ("127.0.0.1", port))
    await loop.sock_sendall(sock, b"HELO\nscreen:0\n")
    return sock


async def read_lines(sock: socket.socket, count: int, timeout: float = 10) -> int:
    loop = asyncio.get_running_loop()
    got = b""
    while got.count(b"\n") < count:
        chunk = await asyncio.wait_for(loop.sock_recv(sock, 65536), timeout)
        if not chunk:
            break
        got += chunk
    return got.count(b"\n")


async def stalled_board(server: ServerProcess, port: int) -> None:
    board = await connect(port, BOARD_WINDOW)
    await read_lines(board, 3)
    last_read = time.monotonic()
    try:
        line = await server.wait_for_log("disconnected", timeout=120)
        took = time.monotonic() - last_read
        row("board stops reading: dropped after (s)", f"{took:.1f}", "<= 30 s")
        print(f"    server: {line.strip()}")
    except AssertionError:
        row("board stops reading: dropped after (s)", "> 120", "<= 30 s")
    finally:
        board.close()


async def idle_connections_then_a_board(port: int) -> None:
    idle = [await asyncio.open_connection("127.0.0.1", port) for _ in range(16)]
    await asyncio.sleep(0.5)
    board = await connect(port)
    try:
        served = await read_lines(board, 1, timeout=5) == 1
    except asyncio.TimeoutError:
        served = False
    row("16 idle connections open: a real device is served", "yes" if served else "NO", "yes")
    board.close()
    for _, writer in idle:
        writer.close()


async def refused_lines(port: int, server: ServerProcess, max_devices: int) -> None:
    held = [await connect(port) for _ in range(max_devices)]
    for sock in held:
        await read_lines(sock, 1)
    before = server.log().count("Refused")
    loop = asyncio.get_running_loop()
    for _ in range(1000):
        sock = await connect(port)
        await loop.sock_recv(sock, 64)  # refused: closed without a line
        sock.close()
    await asyncio.sleep(11)  # the rate limiter's summary comes after its interval
    row(
        '"Refused" log lines per 1,000 refused connects',
        str(server.log().count("Refused") - before),
        "<= 5",
    )
    for sock in held:
        sock.close()


def realistic(temp: int) -> Snapshot:
    media = Media(artist="Artist " * 4, track="Track " * 5, playing=True)
    hardware = Hardware(cpu_temp=temp, gpu_temp=44, cpu_load=8, gpu_load=50, ram_used=10.2)
    return Snapshot(hardware=hardware, media=media)


async def vanished(publish: bool) -> float | None:
    with NamespacePair() as nets:
        srv = DeviceServer(SERVER_ADDRESS, 0, listen_socket=nets.server_listener())
        await srv.start()
        device = nets.socket_in(nets.client)
        loop = asyncio.get_running_loop()
        try:
            device.settimeout(5)
            await loop.run_in_executor(
                None, _socket.socket.connect, device, (SERVER_ADDRESS, srv.port)
            )
            device.setblocking(False)
            await loop.sock_sendall(device, b"HELO\nscreen:0\n")
            srv.publish(realistic(50))
            await read_lines(device, 1)
            nets.drop_all_traffic()
            started = loop.time()
            temp = 50
            while srv.device_count:
                if loop.time() - started > 60:
                    return None
                if publish:
                    temp = temp % 90 + 1
                    srv.publish(realistic(temp))
                await asyncio.sleep(POLL)
            return loop.time() - started
        finally:
            device.close()
            await srv.stop()


class EndlessLhm:
    """Answers /data.json with a chunked body that never ends (a broken or hostile LHM)."""

    def __init__(self) -> None:
        self.port = free_port()
        self.runner: web.AppRunner | None = None

    async def _data(self, request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "application/json"})
        response.enable_chunked_encoding()
        await response.prepare(request)
        chunk = b'{"Children":[' + b'{"Text":"x","Children":[],"Value":"1"},' * 1600
        try:
            while True:
                await response.write(chunk)
        except ConnectionError:  # the client gave up on the body: that is the good outcome
            pass
        return response

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/data.json", self._data)
        self.runner = web.AppRunner(app)
        await self.runner.setup()
        await web.TCPSite(self.runner, "127.0.0.1", self.port).start()

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()


def _status_mb(pid: int, key: str) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key):
            return int(line.split()[1]) / 1024
    return float("nan")


def peak_rss_mb(pid: int) -> float:
    return _status_mb(pid, "VmHWM:")


def current_rss_mb(pid: int) -> float:
    return _status_mb(pid, "VmRSS:")


async def endless_lhm(seconds: float) -> None:
    lhm = EndlessLhm()
    await lhm.start()
    with tempfile.TemporaryDirectory() as tmp:
        port = free_port()
        server = ServerProcess(
            write_config(Path(tmp), port, f"http://127.0.0.1:{lhm.port}/data.json")
        )
        await server.start()
        device = await connect(port)
        loop = asyncio.get_running_loop()
        longest = 0.0
        lines = 0
        last = loop.time()
        end = last + seconds
        buffered = b""
        try:
            while loop.time() < end:
                if server.proc and current_rss_mb(server.proc.pid) > RSS_GUARD_MB:
                    print(f"    stopped early: the server's RSS passed {RSS_GUARD_MB} MB")
                    break
                try:
                    chunk = await asyncio.wait_for(
                        loop.sock_recv(device, 65536), min(0.25, end - loop.time())
                    )
                except asyncio.TimeoutError:
                    continue
                if not chunk:
                    break
                buffered += chunk
                while b"\n" in buffered:
                    one, buffered = buffered.split(b"\n", 1)
                    json.loads(one)
                    now = loop.time()
                    longest = max(longest, now - last)
                    last, lines = now, lines + 1
            longest = max(longest, loop.time() - last)
            rss = peak_rss_mb(server.proc.pid) if server.proc else float("nan")
        finally:
            device.close()
            await server.stop()
            await lhm.stop()
    row(
        f"endless LHM body, {seconds:g} s: longest gap between lines (s)",
        f"{longest:.2f}",
        f"<= {2 * POLL:g} s",
    )
    row("endless LHM body: server peak RSS (MB)", f"{rss:.0f}", "<= 120 MB")
    print(f"    ({lines} lines received)")


async def main(args: argparse.Namespace) -> None:
    print("bench_attack: hostile and broken peers (loopback and two private namespaces)")
    replay = LhmReplay(CAPTURE.read_bytes())
    await replay.start()
    max_devices = 16
    with tempfile.TemporaryDirectory() as tmp:
        port = free_port()
        config = write_config(Path(tmp), port, replay.url, max_devices=max_devices)
        server = ServerProcess(config)
        await server.start()
        try:
            await stalled_board(server, port)
            await idle_connections_then_a_board(port)
            await refused_lines(port, server, max_devices)
        finally:
            await server.stop()
            await replay.stop()
    for publish, what in ((True, "a line every 1 s"), (False, "nothing to send")):
        took = await vanished(publish)
        shown = f"{took:.1f}" if took is not None else "> 60"
        row(f"board vanishes ({what}): dropped after (s)", shown, "<= 15 s")
    await endless_lhm(args.flood_seconds)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--flood-seconds", type=float, default=20.0)
    asyncio.run(main(parser.parse_args()))
