"""A hostile neighbour on the broker (issue 27): what the server pays, through a real
Mosquitto, for floods of fake PCs, huge statuses and node ids, and display commands.

    .venv/bin/python bench/bench_mqtt_hostile.py [--seconds 5] [--pcs 10000]

A Mosquitto of its own on a loopback port; a real ``nocturne --console`` process (LHM
replayed, ``show_pcs`` "*", MQTT commands on) with a board attached (a TCP client here that
says HELO and counts lines). A child process is the neighbour. Phases, each ``--seconds``:

1. idle: the baseline (the same server and board, nothing published);
2. PC flood: states for ``--pcs`` different node ids, as fast as one client publishes;
3. big: 3 retained statuses of 30 MB and 1,000 retained states under 60 KB node ids, then
   the RSS once they are through;
4. commands: screen ON/OFF as fast as one client publishes.

Prints per phase the server's CPU (% of one core) and RSS at its end, the messages sent,
how long after the neighbour stopped a command reached the board (the server's backlog),
the lines the board got and the lines the server logged; a last idle phase shows what
stayed. Run it with PYTHONPATH=<other tree>/src to
measure another version of the server next to this one. Asserts nothing. Loopback only.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import shutil
import sys
import tempfile
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))  # tests.harness

from bench_mqtt_pcs import CAPTURE, start_broker  # noqa: E402

from nocturne.devtools.lhm_replay import LhmReplay  # noqa: E402
from tests.harness.rig import ServerProcess, free_port, write_config  # noqa: E402

NODE = "bench_pc"
STATE = b'{"cpu_load": 1e10, "cpu_temp": 55, "gpu_load": 40, "ram_used": 17.5}'
MOSQUITTO = shutil.which("mosquitto")
MARK = b'"cn":7'  # the contrast command that marks the end of a phase


def _neighbour(port: int, phase: str, seconds: float, pcs: int) -> int:
    """Publish as one paho client (its network thread sends; publish() only queues)."""
    import paho.mqtt.client as paho

    client = paho.Client(paho.CallbackAPIVersion.VERSION2)
    client.max_queued_messages_set(0)
    client.connect("127.0.0.1", port)
    client.loop_start()
    sent = 0
    try:
        if phase == "big":
            infos = [
                client.publish(f"nocturne/big{i}/status", b"x" * 30_000_000, qos=1, retain=True)
                for i in range(3)
            ]
            infos += [
                client.publish(f"nocturne/{'n' * 60_000}{i:04d}/state", STATE, qos=1, retain=True)
                for i in range(1000)
            ]
            for info in infos:
                info.wait_for_publish(120)
            return len(infos)
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            for _ in range(200):
                if phase == "flood":
                    client.publish(f"nocturne/fake{sent % pcs:05d}/state", STATE, qos=0)
                else:
                    payload = "ON" if sent % 2 else "OFF"
                    client.publish(f"nocturne/{NODE}/display/screen/set", payload, qos=0)
                sent += 1
            while len(client._out_packet) > 2000:  # paho queues without bound: keep pace
                time.sleep(0.001)
        return sent
    finally:
        time.sleep(0.5)
        client.loop_stop()
        client.disconnect()


def neighbour(port: int, phase: str, seconds: float, pcs: int, out) -> None:
    out.put(_neighbour(port, phase, seconds, pcs))


class Board:
    def __init__(self) -> None:
        self.lines = 0
        self.marked = asyncio.Event()  # a line with the marker command came

    async def run(self, port: int) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"HELO\nscreen:13\n")
        while raw := await reader.readline():
            self.lines += 1
            if MARK in raw:
                self.marked.set()


async def caught_up(board: Board, mqtt_port: int) -> float:
    """Seconds from now until a command published now reaches the board: the server's
    backlog of the neighbour's messages (they share one MQTT connection, in order)."""
    import aiomqtt

    board.marked.clear()
    t0 = time.monotonic()
    async with aiomqtt.Client("127.0.0.1", mqtt_port) as client:
        while time.monotonic() - t0 < 120:  # again each second: a full broker queue drops it
            await client.publish(f"nocturne/{NODE}/display/contrast/set", b"7", qos=1)
            try:
                await asyncio.wait_for(board.marked.wait(), 1.0)
            except TimeoutError:
                continue
            return time.monotonic() - t0
    return float("inf")


def cpu_seconds(proc: psutil.Process) -> float:
    times = proc.cpu_times()
    return times.user + times.system


async def phase(name, server, proc, board, mqtt_port, args) -> str:
    log0, lines0 = server.log().count("\n"), board.lines
    cpu0, t0 = cpu_seconds(proc), time.monotonic()
    sent = 0
    if name != "idle":
        ctx = multiprocessing.get_context("spawn")
        out = ctx.Queue()
        child = ctx.Process(target=neighbour, args=(mqtt_port, name, args.seconds, args.pcs, out))
        child.start()
        sent = await asyncio.to_thread(out.get, True, 600)
        child.join(30)
    sent_for = time.monotonic() - t0
    await asyncio.sleep(max(0.0, args.seconds - sent_for))
    behind = await caught_up(board, mqtt_port)
    took = time.monotonic() - t0
    cpu = (cpu_seconds(proc) - cpu0) / took * 100
    rss = proc.memory_info().rss / 2**20
    logged = server.log().count("\n") - log0
    return (
        f"  {name:9s} {took:5.1f} s: CPU {cpu:5.1f} % of a core, RSS {rss:6.1f} MB, "
        f"{sent:6d} messages ({sent / sent_for:6.0f}/s), caught up {behind:5.1f} s after, "
        f"board {board.lines - lines0:5d} lines, log {logged:5d} lines"
    ) + "".join(
        f"\n      | {line[:150]}" for line in server.log().splitlines()[log0:][: args.show_log]
    )


async def main(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory(prefix="bench-mqtt-hostile-") as tmp:
        broker, mqtt_port = start_broker(Path(tmp))
        replay = LhmReplay(CAPTURE.read_bytes())
        await replay.start()
        port = free_port()
        mqtt = {"host": "127.0.0.1", "port": mqtt_port, "node_id": NODE, "interval": 1}
        config = write_config(Path(tmp), port, replay.url, mqtt=mqtt, show_pcs="*")
        server = ServerProcess(config)
        await server.start()
        await server.wait_for_log("MQTT: publishing to")
        assert server.proc is not None
        proc = psutil.Process(server.proc.pid)
        board = Board()
        reading = asyncio.create_task(board.run(port))
        try:
            await asyncio.sleep(2)
            print(f"server: {server.log().splitlines()[0][:60]}...; --seconds {args.seconds:g}")
            for name in ("idle", "flood", "big", "commands", "idle"):
                print(await phase(name, server, proc, board, mqtt_port, args), flush=True)
        finally:
            reading.cancel()
            await server.stop()
            await replay.stop()
            broker.kill()
            broker.wait()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--pcs", type=int, default=10000, help="node ids in the PC flood")
    parser.add_argument("--show-log", type=int, default=0, help="log lines shown per phase")
    asyncio.run(main(parser.parse_args()))
