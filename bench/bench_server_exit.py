"""How long a real ``nocturne --console`` takes to exit after SIGTERM, under each load of
tests/host/test_server_exit.py, next to the idle server's figure from the same run.

    .venv/bin/python bench/bench_server_exit.py             # 3 runs per condition
    .venv/bin/python bench/bench_server_exit.py --runs 5

Conditions: idle (the baseline); 12 boards (every other one not reading) and two web
clients; LibreHardwareMonitor answering after 60 s (a read in flight); a real mosquitto
stopped with SIGSTOP once the server is connected; a broker port that drops the SYN (the
MQTT connect blocked in a worker thread). Times from the signal to the process's end, by
this process's clock; the exit status and whether the server had to cut a part short
("left behind") or leave a busy thread are printed beside them.

Prints figures, asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.host.test_mqtt import Broker  # noqa: E402
from tests.host.test_server_exit import BlackHole, boards, web_clients  # noqa: E402

from nocturne.devtools.lhm_replay import LhmReplay  # noqa: E402
from tests.conftest import CAPTURE_0_9_6  # noqa: E402
from tests.harness.rig import free_port  # noqa: E402

CONDITIONS = ("idle", "boards", "slow-lhm", "silent-broker", "black-hole-broker")


async def one(condition: str, folder: Path) -> tuple[float, int, str]:
    lhm = LhmReplay(CAPTURE_0_9_6.read_bytes())
    await lhm.start()
    broker = hole = None
    port, web_port = free_port(), free_port()
    config = {"host": "127.0.0.1", "port": port, "ping_host": "", "mdns": False, "web": None,
              "lhm_url": lhm.url}  # fmt: skip
    if condition == "slow-lhm":
        lhm.delay = 60.0
    if condition == "silent-broker":
        broker = Broker(folder)
        broker.start()
        config["mqtt"] = {"host": "127.0.0.1", "port": broker.port}
    if condition == "black-hole-broker":
        hole = BlackHole()
        config["mqtt"] = {"host": "127.0.0.1", "port": hole.port}
    if condition == "boards":
        config["web"] = {"host": "127.0.0.1", "port": web_port}
    (folder / "config.json").write_text(json.dumps(config))
    log = folder / "server.log"
    halt = threading.Event()
    with log.open("wb") as out:
        command = [sys.executable, "-m", "nocturne", "--console", "--config"]
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        proc = subprocess.Popen(
            [*command, str(folder / "config.json")],
            stdout=subprocess.DEVNULL, stderr=out, cwd=folder, env=env,
        )  # fmt: skip
    try:
        while "running; press Ctrl+C" not in log.read_text(errors="replace"):
            await asyncio.sleep(0.05)
        if broker is not None:
            while "MQTT: publishing" not in log.read_text(errors="replace"):
                await asyncio.sleep(0.05)
            assert broker.proc is not None
            broker.proc.send_signal(signal.SIGSTOP)
        if condition == "boards":
            await boards(port, 12)
            web_clients(web_port, halt)
        await asyncio.sleep(2.5)
        t0 = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        while proc.poll() is None:
            await asyncio.sleep(0.005)
        took = time.monotonic() - t0
    finally:
        halt.set()
        if proc.poll() is None:
            proc.kill()
        if broker is not None and broker.proc is not None:
            broker.proc.send_signal(signal.SIGCONT)
            broker.stop()
        if hole is not None:
            hole.close()
        await lhm.stop()
    text = log.read_text(errors="replace")
    notes = [n for n in ("left behind", "not waiting for threads", "Did not stop") if n in text]
    return took, proc.returncode, ", ".join(notes) or "-"


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    print(f"{'condition':20} {'median s':>9} {'max s':>7}  status  notes")
    for condition in CONDITIONS:
        results = []
        for _ in range(args.runs):
            with tempfile.TemporaryDirectory(prefix="bench-exit-") as tmp:
                results.append(await one(condition, Path(tmp)))
        times = [r[0] for r in results]
        statuses = sorted({r[1] for r in results})
        notes = sorted({r[2] for r in results})
        print(f"{condition:20} {statistics.median(times):9.2f} {max(times):7.2f}  "
              f"{statuses}  {'; '.join(notes)}", flush=True)  # fmt: skip


if __name__ == "__main__":
    asyncio.run(main())
