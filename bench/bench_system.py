"""What the user's PC pays: our server plus LibreHardwareMonitor's work for it, side by side
with the floor of the job.

    .venv/bin/python bench/bench_system.py [--seconds 60]

Two phases of ``--seconds`` each, at 1 s polling. In each, two pairs of processes run at the
same time, each pair with an LHM replay of its own (``nocturne.devtools.lhm_replay``, which
answers like LHM's web server: gzip whenever the request asks for it, at .NET's level):

  * ours: `nocturne --console` and its replay, with one device that reports HUB
    (``screen:0``) in the first phase and CPU (``screen:1``: process lists shown) in the second;
  * the floor: a process that only GETs data.json once a second (aiohttp, kept alive, asking
    for ``identity`` as our server asks a loopback LHM, so neither pays gzip) and
    ``orjson.loads`` it, and its replay.

The system cost of each pair is the CPU-seconds of both its processes over the phase. The
budgets (issue 15): ours ≤ 1.5× the floor with a HUB board, ≤ 2× with a CPU board. Prints
figures and ratios; asserts nothing. Loopback only.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import psutil
from bench_server import CAPTURE, compile_bytecode, cpu_seconds, device, wait_port

from nocturne.emulator.rig import free_port

FLOOR = r"""
import asyncio, sys, aiohttp, orjson
async def main(url):
    async with aiohttp.ClientSession() as s:
        while True:
            async with s.get(url, headers={"Accept-Encoding": "identity"}) as r:
                orjson.loads(await r.read())
            await asyncio.sleep(1)
asyncio.run(main(sys.argv[1]))
"""
BUDGETS = {0: 1.5, 1: 2.0}  # screen -> most system cost, as a multiple of the floor's


LOGS = Path(tempfile.mkdtemp(prefix="nocturne-bench-system-logs-"))
LOG_OF: dict[int, Path] = {}  # pid -> the file its stderr goes to


async def start(
    *args: str, env: dict[str, str], cwd: Path | None = None
) -> asyncio.subprocess.Process:
    """A child whose stderr goes to a file of its own under LOGS (shown if it dies early)."""
    path = LOGS / f"{len(LOG_OF)}.log"
    with open(path, "wb") as log:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, *args, env=env, cwd=cwd,
            stdout=asyncio.subprocess.DEVNULL, stderr=log,
        )  # fmt: skip
    LOG_OF[proc.pid] = path
    return proc


async def stop_all(procs: dict[str, asyncio.subprocess.Process]) -> None:
    """Terminate the children; one that had exited on its own is named, with its log's end."""
    for name, p in procs.items():
        if p.returncode is None:
            p.terminate()
        else:
            tail = LOG_OF[p.pid].read_text(errors="replace")[-3000:]
            print(f"  !! {name} exited on its own (code {p.returncode}):\n{tail}")
    for p in procs.values():
        await p.wait()


async def phase(screen: int, seconds: float, env: dict[str, str]) -> dict[str, float]:
    """CPU-seconds per second of each process and pair during one phase."""
    ours_lhm, floor_lhm, port = free_port(), free_port(), free_port()
    tmp = Path(tempfile.mkdtemp(prefix="nocturne-bench-system-"))
    config = tmp / "config.json"
    config.write_text(
        json.dumps(
            {
                "host": "127.0.0.1",
                "port": port,
                "lhm_url": f"http://127.0.0.1:{ours_lhm}/data.json",
                "ping_host": "",
                "web": None,
            }
        ),
        encoding="utf-8",
    )
    replay = ("-m", "nocturne.devtools.lhm_replay", str(CAPTURE), "--port")
    procs = {
        "ours: replay": await start(*replay, str(ours_lhm), env=env),
        "floor: replay": await start(*replay, str(floor_lhm), env=env),
    }
    await wait_port(ours_lhm)
    await wait_port(floor_lhm)
    procs["ours: server"] = await start(
        "-m", "nocturne", "--console", "--config", str(config), env=env, cwd=tmp
    )
    procs["floor: GET + orjson"] = await start(
        "-c", FLOOR, f"http://127.0.0.1:{floor_lhm}/data.json", env=env
    )
    await wait_port(port)
    stop = asyncio.Event()
    counts = [0]
    board = asyncio.create_task(device(port, screen, stop, counts))
    watched = {name: psutil.Process(p.pid) for name, p in procs.items()}
    await asyncio.sleep(5)  # warm-up: imports done, first rates and process samples taken
    before = {name: cpu_seconds(p) for name, p in watched.items()}
    t0 = time.monotonic()
    await asyncio.sleep(seconds)
    elapsed = time.monotonic() - t0
    used = {name: (cpu_seconds(p) - before[name]) / elapsed for name, p in watched.items()}
    rss = watched["ours: server"].memory_info().rss / 2**20
    stop.set()
    await stop_all(procs)
    board.cancel()
    used["ours"] = used["ours: server"] + used["ours: replay"]
    used["floor"] = used["floor: GET + orjson"] + used["floor: replay"]
    used["server RSS MB"] = rss
    return used


async def main(seconds: float) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("LHM_URL", "TCP_HOST", "TCP_PORT")}
    size = CAPTURE.stat().st_size // 1024
    print(
        f"bench_system: {seconds:g} s per phase at 1 s polling, capture {CAPTURE.name} ({size} KB)"
    )
    for screen, label in ((0, "HUB board (screen:0)"), (1, "CPU board (screen:1, processes)")):
        used = await phase(screen, seconds, env)
        print(f"\n{label}")
        print(f"  {'process':<26}{'% of one core':>16}")
        for name in ("ours: server", "ours: replay", "floor: GET + orjson", "floor: replay"):
            print(f"  {name:<26}{used[name] * 100:>16.3f}")
        ratio = used["ours"] / used["floor"] if used["floor"] else float("nan")
        print(f"  {'system cost, ours':<26}{used['ours'] * 100:>16.3f}")
        print(f"  {'system cost, the floor':<26}{used['floor'] * 100:>16.3f}")
        print(f"  ratio ours / floor: {ratio:.2f}   budget <= {BUDGETS[screen]:g}")
        print(f"  server RSS at the end: {used['server RSS MB']:.1f} MB   budget <= 60 MB")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60)
    compile_bytecode()  # as installed: our modules' bytecode on disk, not compiled per start
    asyncio.run(main(parser.parse_args().seconds))
