"""How fast the boards hear that the PC sleeps and wakes (issue 12), next to the fan-out floor.

    .venv/bin/python bench/bench_power.py [--rounds 30]

In one process: the real server (1 s poll, LHM replay of a 0.9.6 capture, no media), a
private dbus-daemon configured as a system bus with the logind stand-in of the tests
(tests/host/fakes/logind.py), and one device on a loopback TCP socket. Per round:

  * floor, push: ``publish()`` of the current snapshot → the line at the device;
  * sleep: the stand-in emits ``PrepareForSleep(true)`` → the ``pwr`` line at the device
    (through dbus-daemon, the watcher and the responder);
  * floor, read: ``collector.tick()`` (an LHM GET on the open session, parse, publish) →
    the line at the device;
  * wake: ``PrepareForSleep(false)`` → the fresh line at the device (a new LHM session, a
    GET, parse, publish).

Prints the median and the 95th percentile of each, in milliseconds. Asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from nocturne.app import NocturneServer  # noqa: E402
from nocturne.config.model import load_config  # noqa: E402
from nocturne.devtools.lhm_replay import LhmReplay  # noqa: E402
from nocturne.power._linux import LogindWatcher  # noqa: E402
from tests.harness.rig import free_port, write_config  # noqa: E402
from tests.host.fakes.logind import BUS_CONFIG, Logind  # noqa: E402

CAPTURE = ROOT / "tests/fixtures/lhm/amd-r7-7800x3d_rtx4080super_nct6687d_lhm-0.9.6_comma.json"


async def timed(start, reader: asyncio.StreamReader) -> tuple[float, bytes]:
    """Milliseconds from ``start()`` to the next whole line at the device."""
    began = time.perf_counter()
    start()
    line = await asyncio.wait_for(reader.readline(), 10)
    return (time.perf_counter() - began) * 1000, line


async def run(rounds: int, address: str, directory: Path) -> dict[str, list[float]]:
    replay = LhmReplay(CAPTURE.read_bytes())
    await replay.start()
    logind = await Logind(address).start()
    config = load_config(
        write_config(directory, free_port(), replay.url, poll_interval=1), environ={}
    ).config
    server = NocturneServer(config, media=False, power=LogindWatcher(address), user_idle=False)
    await server.start()
    figures: dict[str, list[float]] = {k: [] for k in ("push", "sleep", "read", "wake")}
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.devices.port)
        writer.write(b"HELO\n")
        await reader.readline()
        server.collector._tasks[0].cancel()
        await asyncio.sleep(0.1)
        while len(reader._buffer):
            await reader.readline()
        loop = asyncio.get_running_loop()
        for _ in range(rounds):
            ms, _line = await timed(
                lambda: server.devices.publish(server.collector.snapshot), reader
            )
            figures["push"].append(ms)
            ms, line = await timed(lambda: logind.manager.PrepareForSleep(True), reader)
            assert b'"pwr":"sleep"' in line, line
            figures["sleep"].append(ms)
            await asyncio.sleep(0.05)
            ms, _line = await timed(lambda: loop.create_task(server.collector.tick()), reader)
            assert b'"pwr"' in _line  # still going: a poll keeps pwr
            figures["read"].append(ms)
            ms, line = await timed(lambda: logind.manager.PrepareForSleep(False), reader)
            assert b'"pwr"' not in line, line
            figures["wake"].append(ms)
            await asyncio.sleep(0.05)
        writer.close()
    finally:
        await server.stop()
        await logind.stop()
        await replay.stop()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        conf = directory / "system-bus.conf"
        conf.write_text(BUS_CONFIG.format(socket=directory / "bus"), encoding="utf-8")
        daemon = subprocess.Popen(
            ["dbus-daemon", f"--config-file={conf}", "--nofork", "--nosyslog", "--print-address=1"],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        try:
            address = daemon.stdout.readline().strip()
            figures = asyncio.run(run(args.rounds, address, directory))
        finally:
            daemon.terminate()
            daemon.wait(5)
    labels = {
        "push": "floor: publish() → line at the device",
        "sleep": "PrepareForSleep(true) → pwr line at the device",
        "read": "floor: collector.tick() (LHM GET, same session) → line",
        "wake": "PrepareForSleep(false) → fresh line (new LHM session)",
    }
    print(f"{args.rounds} rounds, milliseconds (median / p95):")
    for key, label in labels.items():
        values = sorted(figures[key])
        p95 = values[min(len(values) - 1, round(0.95 * (len(values) - 1)))]
        print(f"  {label:58s} {statistics.median(values):7.2f} / {p95:7.2f}")


if __name__ == "__main__":
    main()
