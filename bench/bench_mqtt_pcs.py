"""Several PCs through a real Mosquitto: 100 publishing PCs, one aggregating server, one board.

    .venv/bin/python bench/bench_mqtt_pcs.py [--publishers 100] [--rate 1] [--seconds 30]
                                             [--baseline 10] [--poll 1.0]

A Mosquitto of its own on a free loopback port; a real `nocturne --console` process (LHM
replayed from a capture in this process, ``show_pcs`` "*", polling every ``--poll`` s) with a
board attached (a TCP client here that says HELO and reads every line). A child process runs
``--publishers`` light simulated PCs: one aiomqtt client each, in one asyncio loop, each
publishing a retained state (a real capture's readings, ~0.6 KB) ``--rate`` times a second,
each at a random moment of its period (so the samples cover every phase of the poll). Each
publish carries its sequence number in ``ram_used`` so the board's line that first shows it
can be found; the delay is from the publish call to that line's arrival (CLOCK_MONOTONIC is
one clock for both processes). The board shows the first 8 PCs by node id (the server's own
id sorts after them), so their publishes are the samples; the other publishers load the
broker and the server's aggregation alike.

Prints the server's CPU (% of one core) and RSS first without publishers (``--baseline`` s,
the same server and board) and then with them, and the delay's p50 / p99 / max next to the
budget: p99 ≤ one poll interval + 100 ms. Asserts nothing. Loopback only.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from nocturne.devtools.lhm_replay import LhmReplay  # noqa: E402
from nocturne.snapshot import Snapshot  # noqa: E402
from nocturne.snapshot.readings import known_readings  # noqa: E402
from nocturne.sources.lhm.parser import parse_data_json  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests.harness
from tests.harness.rig import ServerProcess, free_port, write_config  # noqa: E402

CAPTURE = ROOT / "tests/fixtures/lhm/amd-r7-7800x3d_rtx4080super_nct6687d_lhm-0.9.6_comma.json"
MOSQUITTO = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
SHOWN = 8  # rows a board gets
OWN_NODE = "zz_aggregator"  # sorts after the simulated PCs: the 8 rows are theirs


def node(i: int) -> str:
    return f"sim_{i:03d}"


def start_broker(directory: Path) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    conf = directory / "mosquitto.conf"
    conf.write_text(
        f"listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n"
        "max_queued_messages 10000\nlog_dest none\n"
    )
    proc = subprocess.Popen([MOSQUITTO, "-c", str(conf)], stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while True:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return proc, port
        if proc.poll() is not None or time.monotonic() > deadline:
            raise SystemExit("mosquitto did not start")
        time.sleep(0.05)


# --- the publishers (child process) ------------------------------------------------------


async def _publish(port: int, count: int, rate: float, seconds: float, state: dict) -> list:
    import aiomqtt

    sent: list[tuple[str, int, float]] = []
    period = 1.0 / rate
    start = time.monotonic() + 1.0

    async def one(i: int) -> None:
        phases = random.Random(i)  # each publish at a random moment of its period
        async with aiomqtt.Client("127.0.0.1", port, identifier=node(i)) as client:
            await client.publish(f"nocturne/{node(i)}/status", "online", qos=1, retain=True)
            k = 0
            while True:
                at = start + (k + phases.random()) * period
                if at - start > seconds:
                    return
                await asyncio.sleep(max(0.0, at - time.monotonic()))
                k += 1
                payload = dict(state, ram_used=(k % 10000) / 10, cpu_load=(i + k) % 100)
                t = time.monotonic()
                await client.publish(
                    f"nocturne/{node(i)}/state", json.dumps(payload), qos=1, retain=True
                )
                sent.append((node(i), k % 10000, t))

    await asyncio.gather(*(one(i) for i in range(count)))
    return sent


def publishers(port: int, count: int, rate: float, seconds: float, state: dict, out) -> None:
    out.put(asyncio.run(_publish(port, count, rate, seconds, state)))


# --- the board and the server ------------------------------------------------------------


class Board:
    def __init__(self) -> None:
        self.first_seen: dict[tuple[str, int], float] = {}
        self.lines = 0

    async def run(self, port: int) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"HELO\nscreen:13\n")
        while raw := await reader.readline():
            t = time.monotonic()
            self.lines += 1
            for pc in json.loads(raw).get("pcs", ()):
                ru = pc.get("ru")
                if ru is not None:
                    self.first_seen.setdefault((pc["n"], round(ru * 10)), t)


def cpu_seconds(proc: psutil.Process) -> float:
    times = proc.cpu_times()
    return times.user + times.system


async def measure(proc: psutil.Process, seconds: float) -> tuple[float, float]:
    """(CPU % of one core, RSS MB) of ``proc`` over the next ``seconds``."""
    cpu0, t0 = cpu_seconds(proc), time.monotonic()
    await asyncio.sleep(seconds)
    cpu = (cpu_seconds(proc) - cpu0) / (time.monotonic() - t0) * 100
    return cpu, proc.memory_info().rss / 2**20


async def main(args: argparse.Namespace) -> None:
    state = known_readings(Snapshot(hardware=parse_data_json(CAPTURE.read_bytes()).hardware))
    with tempfile.TemporaryDirectory(prefix="bench-mqtt-pcs-") as tmp:
        broker, mqtt_port = start_broker(Path(tmp))
        replay = LhmReplay(CAPTURE.read_bytes())
        await replay.start()
        port = free_port()
        mqtt = {"host": "127.0.0.1", "port": mqtt_port, "node_id": OWN_NODE, "interval": 1}
        config = write_config(
            Path(tmp), port, replay.url, poll_interval=args.poll, mqtt=mqtt, show_pcs="*"
        )
        server = ServerProcess(config)
        await server.start()
        await server.wait_for_log("MQTT: publishing to")
        assert server.proc is not None
        proc = psutil.Process(server.proc.pid)
        board = Board()
        reading = asyncio.create_task(board.run(port))
        try:
            await asyncio.sleep(2)  # settle: imports done, first lines out
            base_cpu, base_rss = await measure(proc, args.baseline)
            ctx = multiprocessing.get_context("spawn")
            out = ctx.Queue()
            child = ctx.Process(
                target=publishers,
                args=(mqtt_port, args.publishers, args.rate, args.seconds, state, out),
            )
            child.start()
            await asyncio.sleep(1.5)  # connected; the first publishes start 1 s in
            cpu, rss = await measure(proc, args.seconds - 1.0)
            sent = await asyncio.to_thread(out.get, True, args.seconds + 60)
            child.join(10)
            await asyncio.sleep(args.poll + 0.5)  # the last publishes' lines
        finally:
            reading.cancel()
            await server.stop()
            await replay.stop()
            broker.kill()
            broker.wait()

    shown = {node(i) for i in range(SHOWN)}
    samples = [s for s in sent if s[0] in shown]
    delays = sorted(
        (board.first_seen[(n, k)] - t) * 1000 for n, k, t in samples if (n, k) in board.first_seen
    )
    missed = len(samples) - len(delays)
    budget = args.poll * 1000 + 100
    print(
        f"{args.publishers} publishers x {args.rate:g} Hz for {args.seconds:g} s into one "
        f'Mosquitto; server poll {args.poll:g} s, show_pcs "*", {board.lines} board lines'
    )
    print(f"  publishes: {len(sent)} total, {len(samples)} by the {SHOWN} PCs the board shows")
    print(f"  server without publishers: CPU {base_cpu:5.1f} % of a core, RSS {base_rss:6.1f} MB")
    print(f"  server with publishers:     CPU {cpu:5.1f} % of a core, RSS {rss:6.1f} MB")
    if delays:
        p50 = statistics.median(delays)
        p99 = delays[min(len(delays) - 1, int(len(delays) * 0.99))]
        verdict = "within" if p99 <= budget else "OVER"
        print(
            f"  publish -> board line: p50 {p50:6.1f} ms, p99 {p99:6.1f} ms, max {delays[-1]:6.1f}"
            f" ms ({len(delays)} samples, {missed} never shown: superseded before a line)"
        )
        print(f"  budget: p99 <= poll + 100 ms = {budget:.0f} ms: {verdict}")
    else:
        print("  no publish reached the board")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--publishers", type=int, default=100)
    parser.add_argument("--rate", type=float, default=1.0, help="publishes per second each")
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--baseline", type=float, default=10.0)
    parser.add_argument("--poll", type=float, default=1.0, help="the server's poll_interval")
    asyncio.run(main(parser.parse_args()))
