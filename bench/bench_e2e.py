"""End to end: a change in a replayed LHM capture → `nocturne --console` → the emulated board's
framebuffer; and the server's fan-out to 100 connections with one stalled.

    .venv/bin/python bench/bench_e2e.py [--changes 100] [--poll 1.0] [--connections 100]
                                        [--lines 20]

1. Latency. A LibreHardwareMonitor replay (aiohttp, in this process) serves a capture; a real
   `nocturne --console` process polls it every ``--poll`` s; one emulated board (the unchanged
   firmware, ticking every 10 ms like the real one) is connected. The CPU temperature of the
   capture is changed ``--changes`` times, each at a random phase of the poll; the time until
   the new value is in the board's framebuffer is measured, split into the wait for the
   server's next LHM poll (unavoidable: it is the poll interval) and the pipeline after it
   (server parse + line + TCP + the board's tick + drawing + the I2C frame).
2. Fan-out. ``--connections`` devices connect (HELO, screen:0); one stalls from the start
   (ESP32-sized 5.7 KB receive window, never reads); the others read with epoll in this
   process. For ``--lines`` polls, the time from the LHM request to each live device having
   the complete line: the slowest of them per line (median, worst) and the spread.

Budget: with 100 devices, one of them stalled, the others get every line within 20 ms of the
snapshot (a board redraws every 10 ms tick, so 20 ms is two ticks: a stalled neighbour must
cost a live board no visible delay). Prints figures; asserts nothing. Loopback only.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import socket
import statistics
import sys
import tempfile
import time
from pathlib import Path

from aiohttp import web

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from nocturne.devtools.lhm_replay import LhmReplay  # noqa: E402
from nocturne.emulator.device import Device, Emulator, install_paths  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests.harness
from tests.harness.rig import (  # noqa: E402
    CaptureEditor,
    ServerProcess,
    free_port,
    write_config,
)

CAPTURE = ROOT / "tests/fixtures/lhm/amd-r7-7800x3d_rtx4080super_nct6687d_lhm-0.9.6_comma.json"


class TimedReplay(LhmReplay):
    """The replay, noting when each request was answered."""

    def __init__(self, body: bytes) -> None:
        super().__init__(body)
        self.served: list[float] = []

    async def _data(self, request: web.Request) -> web.StreamResponse:
        response = await super()._data(request)
        self.served.append(time.monotonic())
        return response

    def served_after(self, t: float) -> float | None:
        for s in self.served:
            if s >= t:
                return s
        return None


def ms(values: list[float]) -> str:
    return (
        f"median {statistics.median(values) * 1000:7.1f} ms   "
        f"worst {max(values) * 1000:7.1f} ms   (n={len(values)})"
    )


async def latency(replay: TimedReplay, port: int, changes: int, poll: float) -> None:
    install_paths()
    from nocturne_fw import font_medium

    editor = CaptureEditor(replay.body)
    with tempfile.TemporaryDirectory() as fs:
        (Path(fs) / "settings.json").write_text('{"carousel": false}')
        dev = Device("127.0.0.1", port, fs_dir=fs)
        emu = Emulator([dev])
        ok = await emu.arun(15, until=lambda: dev.screen == 0 and dev.app.state.serial > 0)
        if not ok:
            raise SystemExit(f"the board did not come up: {dev.status()}")
        rng = random.Random(4)
        total, wait, pipeline = [], [], []
        value = int(dev.app.state.txt["ct"])
        checked = 0
        for _ in range(changes):
            await emu.arun(rng.uniform(0, poll))  # a random phase of the server's poll
            value = 40 + (value - 40 + rng.randint(1, 30)) % 34  # 40..73: below the alert
            editor.set("cpu_temp", value)
            t0 = time.monotonic()
            replay.body = editor.body()
            want = str(value)
            if not await emu.arun(5 * poll + 2, until=lambda w=want: dev.app.state.txt["ct"] == w):
                raise SystemExit(f"value {value} never arrived: {dev.status()}")
            t1 = time.monotonic()  # the tick that took the line also drew and sent the frame
            served = replay.served_after(t0) or t1
            total.append(t1 - t0)
            wait.append(served - t0)
            pipeline.append(t1 - served)
            if checked < 5 and dev.find_text(want, font_medium):  # really on the glass
                checked += 1
        emu.close()
    print(f"capture change -> framebuffer, {changes} changes, server poll {poll:g} s:")
    print(f"  total               {ms(total)}")
    print(f"  wait for the poll   {ms(wait)}")
    print(f"  pipeline after it   {ms(pipeline)}")
    print(f"  (value found in the decoded pixels with the firmware's font: {checked}/5 checked)")


async def fanout(replay: TimedReplay, port: int, connections: int, lines: int, poll: float):
    loop = asyncio.get_running_loop()
    stalled = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    stalled.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 5760)  # lwIP's window
    stalled.connect(("127.0.0.1", port))
    stalled.sendall(b"HELO\nscreen:0\n")
    socks = []
    arrivals: dict[int, list[float]] = {}

    def readable(s: socket.socket) -> None:
        try:
            data = s.recv(65536)
        except BlockingIOError:
            return
        if not data:
            loop.remove_reader(s.fileno())
            return
        now = time.monotonic()
        arrivals[s.fileno()].extend([now] * data.count(b"\n"))

    for _ in range(connections - 1):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.connect(("127.0.0.1", port))
        s.sendall(b"HELO\nscreen:0\n")
        s.setblocking(False)
        arrivals[s.fileno()] = []
        loop.add_reader(s.fileno(), readable, s)
        socks.append(s)
    await asyncio.sleep(2 * poll)  # everyone connected and past the first line
    start = time.monotonic()
    await asyncio.sleep(lines * poll + poll / 2)
    slowest, spread, missing = [], [], 0
    for t_req in [t for t in replay.served if t >= start][:lines]:
        firsts = []
        for times in arrivals.values():
            after = [t for t in times if t >= t_req]
            if not after or after[0] - t_req > poll / 2:
                missing += 1
                continue
            firsts.append(after[0] - t_req)
        if firsts:
            slowest.append(max(firsts))
            spread.append(max(firsts) - min(firsts))
    for s in socks:
        loop.remove_reader(s.fileno())
        s.close()
    stalled.close()
    print(
        f"fan-out, {connections} connections ({connections - 1} reading, 1 stalled), "
        f"{len(slowest)} lines, from the LHM request to the line in each device's socket:"
    )
    print(f"  slowest device      {ms(slowest)}")
    print(f"  first-to-last       {ms(spread)}")
    print(f"  lines missed by a live device: {missing}")


async def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--changes", type=int, default=100)
    p.add_argument("--poll", type=float, default=1.0, help="server poll_interval, s")
    p.add_argument("--connections", type=int, default=100)
    p.add_argument("--lines", type=int, default=20)
    args = p.parse_args()
    replay = TimedReplay(CAPTURE.read_bytes())
    await replay.start()
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        server = ServerProcess(
            write_config(Path(tmp), port, replay.url, poll_interval=args.poll, max_devices=128)
        )
        await server.start()
        try:
            await latency(replay, port, args.changes, args.poll)
            await fanout(replay, port, args.connections, args.lines, args.poll)
        finally:
            await server.stop()
            await replay.stop()
        if "Traceback" in server.log():
            print(server.log())


if __name__ == "__main__":
    asyncio.run(main())
