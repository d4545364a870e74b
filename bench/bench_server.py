"""Server steady state: CPU and memory of `nocturne --console` with one device and an LHM replay.

    .venv/bin/python bench/bench_server.py [--seconds 60] [--screen 0]

Runs, side by side for the same time:
  * the server (a real `nocturne --console` process) polling a replayed LHM capture every
    second, with one device connected and reading every line;
  * a baseline process doing only the unavoidable part of that job: one HTTP GET of the same
    data.json per second and a bare json.loads of it.
The replay runs in a third process so its work is counted in neither. Prints CPU % of one
core and RSS for both, and the cost of one process scan (the top-processes list). Budget:
≤ 0.15 % of one core (a monitor must cost the PC it watches next to nothing: the original
NOCTURNE server costs about 1.1 % in the same run) and ≤ 45 MB RSS. Prints figures; asserts
nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests.harness
from tests.harness.rig import free_port

ROOT = Path(__file__).resolve().parents[1]
CAPTURE = ROOT / "tests/fixtures/lhm/amd-r7-7800x3d_rtx4080super_nct6687d_lhm-0.9.6_comma.json"

BASELINE = r"""
import asyncio, json, sys, aiohttp
async def main(url):
    async with aiohttp.ClientSession() as s:
        while True:
            async with s.get(url) as r:
                json.loads(await r.read())
            await asyncio.sleep(1)
asyncio.run(main(sys.argv[1]))
"""


def compile_bytecode() -> None:
    """Compile the package's bytecode, as pip does at install (and the executable holds):
    a checkout run with PYTHONDONTWRITEBYTECODE compiles every module of ours at each start,
    which costs RSS (and start-up CPU) a user never pays."""
    import compileall

    import nocturne

    compileall.compile_dir(Path(nocturne.__file__).parent, quiet=1)


async def wait_port(port: int, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            _, w = await asyncio.open_connection("127.0.0.1", port)
            w.close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.1)


async def device(port: int, screen: int, stop: asyncio.Event, counts: list[int]) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(f"HELO\nscreen:{screen}\n".encode())
    while not stop.is_set():
        line = await reader.readline()
        if not line:
            break
        json.loads(line)
        counts[0] += 1
    writer.close()


def cpu_seconds(proc: psutil.Process) -> float:
    """CPU seconds of the process's threads. On Linux from each thread's schedstat (ns):
    psutil's user + system count 10 ms ticks, ±8 % over a minute at 0.2 % of a core, which
    is the whole margin of a budget. A thread that ends between two readings drops out of
    the sum (the measured processes keep theirs: the event loop, its executor threads)."""
    try:
        tasks = os.listdir(f"/proc/{proc.pid}/task")
    except FileNotFoundError:  # not Linux
        t = proc.cpu_times()
        return t.user + t.system
    total = 0
    for task in tasks:
        try:
            with open(f"/proc/{proc.pid}/task/{task}/schedstat") as f:
                total += int(f.read().split()[0])
        except FileNotFoundError:  # the thread ended just now
            continue
    return total / 1e9


def process_scan_ms(samples: int = 20) -> tuple[float, float]:
    sys.path.insert(0, str(ROOT / "src"))
    from nocturne.sources.processes import ProcessSource

    source = ProcessSource()
    source.read_sync()
    times = []
    for _ in range(samples):
        t0 = time.perf_counter()
        source.read_sync()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times), len(psutil.pids())


async def main(seconds: float, screen: int) -> None:
    lhm_port, port = free_port(), free_port()
    url = f"http://127.0.0.1:{lhm_port}/data.json"
    tmp = Path(tempfile.mkdtemp(prefix="nocturne-bench-"))
    (tmp / "config.json").write_text(
        json.dumps({"host": "127.0.0.1", "port": port, "lhm_url": url, "ping_host": ""}),
        encoding="utf-8",
    )
    env = {k: v for k, v in os.environ.items() if k not in ("LHM_URL", "TCP_HOST", "TCP_PORT")}
    py = sys.executable
    replay = await asyncio.create_subprocess_exec(
        py, "-m", "nocturne.devtools.lhm_replay", str(CAPTURE), "--port", str(lhm_port),
        stdout=asyncio.subprocess.DEVNULL, env=env,
    )  # fmt: skip
    await wait_port(lhm_port)
    server = await asyncio.create_subprocess_exec(
        py, "-m", "nocturne", "--console", "--config", str(tmp / "config.json"),
        stderr=asyncio.subprocess.DEVNULL, env=env, cwd=tmp,
    )  # fmt: skip
    baseline = await asyncio.create_subprocess_exec(py, "-c", BASELINE, url, env=env)
    await wait_port(port)
    stop = asyncio.Event()
    counts = [0]
    dev = asyncio.create_task(device(port, screen, stop, counts))
    procs = {"server": psutil.Process(server.pid), "baseline": psutil.Process(baseline.pid)}
    await asyncio.sleep(5)  # warm-up: imports done, caches filled, first rates computed
    start = {name: cpu_seconds(p) for name, p in procs.items()}
    lines_at_start = counts[0]
    t0 = time.monotonic()
    rss_max = dict.fromkeys(procs, 0)
    while time.monotonic() - t0 < seconds:
        await asyncio.sleep(1)
        for name, p in procs.items():
            rss_max[name] = max(rss_max[name], p.memory_info().rss)
    elapsed = time.monotonic() - t0
    used = {name: cpu_seconds(p) - start[name] for name, p in procs.items()}
    lines = counts[0] - lines_at_start
    stop.set()
    for proc in (server, baseline, replay):
        proc.terminate()
        await proc.wait()
    dev.cancel()
    scan_ms, nprocs = process_scan_ms()

    print(f"bench_server: {elapsed:.0f} s at 1 s polling, 1 device on screen {screen}, "
          f"capture {CAPTURE.name} ({CAPTURE.stat().st_size // 1024} KB)")  # fmt: skip
    print(f"{'process':<34}{'CPU % of one core':>20}{'ms CPU per s':>14}{'max RSS MB':>12}")
    for name, label in (
        ("server", "nocturne --console"),
        ("baseline", "baseline (GET + json.loads only)"),
    ):
        pct = used[name] / elapsed * 100
        ms = used[name] / elapsed * 1000
        print(f"{label:<34}{pct:>20.3f}{ms:>14.2f}{rss_max[name] / 2**20:>12.1f}")
    print(f"lines received by the device: {lines} in {elapsed:.0f} s")
    print("budget: <= 0.15 % of one core, <= 45 MB RSS")
    print(f"one process scan (top processes, {nprocs} processes): {scan_ms:.1f} ms median; "
          f"every {3:g} s only while a device shows CPU/RAM/PROCESSES")  # fmt: skip


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--screen", type=int, default=0, help="scene the device reports")
    args = parser.parse_args()
    asyncio.run(main(args.seconds, args.screen))
