"""What the server's memory (RSS) is made of, and whether it grows.

    .venv/bin/python bench/bench_memory.py [--seconds 20]     # imports, tracemalloc, configs
    .venv/bin/python bench/bench_memory.py --minutes 10       # RSS slope over a long run

Without ``--minutes`` it prints, each measured in a fresh interpreter:

  * RSS after each import, in the order the server needs them (the dependencies, then ours),
    with what each one added;
  * the running server (`nocturne --console` with one board on the CPU scene, so the process
    scan runs, and its own LHM replay): RSS after ``--seconds`` for a few configs;
  * tracemalloc of the same server run in-process: the Python allocations by package and the
    largest lines (tracemalloc sees Python objects only, not shared libraries or C buffers).

With ``--minutes`` it runs the server that long and prints its RSS every minute and the slope
(MB per hour, least squares over a sample every 5 s after a one-minute warm-up), and the
slope over the second half alone (the allocator still takes a step or two in the first
minutes, then stays flat). Budget (issue 22, aiohttp on both sides and the dashboard): RSS
<= 60 MB with every default on, no growth. Prints figures; asserts nothing. Loopback only.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil
from bench_server import CAPTURE, compile_bytecode, device, wait_port

from nocturne.emulator.rig import free_port

BUDGET_MB = 60.0
# What the server imports, roughly in its own order: the runtime, the dependencies, ours.
IMPORTS = [
    "asyncio",
    "psutil",
    "orjson",
    "aiohttp",
    "aiohttp.web",
    "prometheus_client",
    "dbus_fast",
    "zeroconf",
    "nocturne.config",
    "nocturne.protocol",
    "nocturne.server",
    "nocturne.collector",
    "nocturne.web.server",
    "nocturne.app",
    "nocturne.cli",
]
NOT_IMPORTED = ["asyncio", "PIL.Image"]
CONFIGS = {
    "as bench_system (web off)": {"web": None},
    "defaults (web on, mDNS on)": {},
    "web off, mDNS off": {"web": None, "mdns": False},
}


def rss_mb(pid: int | None = None) -> float:
    return psutil.Process(pid).memory_info().rss / 2**20


# Run as `python -c IMPORTS_CHILD name...`: nothing imported before the first measurement but
# what reading RSS needs (/proc on Linux; psutil elsewhere, counted in the start figure).
IMPORTS_CHILD = r"""
import importlib, sys
def rss():
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * 4096 / 2**20
    except OSError:
        import psutil
        return psutil.Process().memory_info().rss / 2**20
before = rss()
print(f"  {'python, nothing imported':<30}{before:>8.1f} MB")
for name in sys.argv[1:]:
    try:
        importlib.import_module(name)
    except ImportError as exc:
        print(f"  {name:<30}{'':>8}    not installed ({exc.name})")
        continue
    now = rss()
    print(f"  {name:<30}{now:>8.1f} MB  +{now - before:5.1f}")
    before = now
"""


def write_config(tmp: Path, extra: dict[str, object]) -> tuple[Path, int, int]:
    lhm, port = free_port(), free_port()
    config = {
        "host": "127.0.0.1",
        "port": port,
        "lhm_url": f"http://127.0.0.1:{lhm}/data.json",
        "ping_host": "",
        **extra,
    }
    if "web" not in extra:
        config["web"] = {"host": "127.0.0.1", "port": free_port()}  # the default, on a free port
    path = tmp / "config.json"
    path.write_text(json.dumps(config), encoding="utf-8")
    return path, lhm, port


async def run_server(
    extra: dict[str, object], seconds: float, sample=None, mappings: bool = False
) -> float:
    """Start replay + server + one CPU board; wait ``seconds``; return the server's RSS
    (with ``mappings``, print what it is made of, by mapping)."""
    tmp = Path(tempfile.mkdtemp(prefix="nocturne-bench-memory-"))
    config, lhm, port = write_config(tmp, extra)
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    replay = subprocess.Popen(
        [sys.executable, "-m", "nocturne.devtools.lhm_replay", str(CAPTURE), "--port", str(lhm)],
        **quiet,
    )
    server = subprocess.Popen(
        [sys.executable, "-m", "nocturne", "--console", "--config", str(config)], cwd=tmp, **quiet
    )
    stop = asyncio.Event()
    board = None
    try:
        await wait_port(lhm)
        await wait_port(port)
        board = asyncio.create_task(device(port, 1, stop, [0]))
        if sample is None:
            await asyncio.sleep(seconds)
        else:
            await sample(server.pid, seconds)
        if mappings and (parts := rss_by_mapping(server.pid)):
            top = sorted(parts.items(), key=lambda kv: -kv[1])[:12]
            shown = sum(mb for _, mb in top)
            print(f"    RSS by mapping (top 12 = {shown:.1f} of {sum(parts.values()):.1f} MB):")
            for path, mb in top:
                print(f"      {mb:6.2f} MB  {path}")
        return rss_mb(server.pid)
    finally:
        stop.set()
        if board is not None:
            board.cancel()
        for proc in (server, replay):
            proc.terminate()
            proc.wait()


def tracemalloc_child(seconds: float) -> None:
    """In a fresh interpreter: the server in-process under tracemalloc, its top allocations."""
    import tracemalloc

    tracemalloc.start(1)

    async def main() -> None:
        from nocturne.app import NocturneServer
        from nocturne.config import load_config

        tmp = Path(tempfile.mkdtemp(prefix="nocturne-bench-memory-"))
        path, lhm, port = write_config(tmp, {"web": None})
        replay = subprocess.Popen(
            [sys.executable, "-m", "nocturne.devtools.lhm_replay", str(CAPTURE), "--port",
             str(lhm)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        await wait_port(lhm)
        server = NocturneServer(load_config(path).config)
        await server.start()
        stop = asyncio.Event()
        board = asyncio.create_task(device(port, 1, stop, [0]))
        await asyncio.sleep(seconds)
        snapshot = tracemalloc.take_snapshot()
        heavy = ("aiohttp", "prometheus_client", "PIL", "zeroconf", "dbus_fast", "ssl")
        loaded = [name for name in heavy if name in sys.modules]
        print(f"  {len(sys.modules)} modules loaded; of the heavy ones: {', '.join(loaded)}")
        stop.set()
        board.cancel()
        await server.stop()
        replay.terminate()
        replay.wait()
        report(snapshot)

    asyncio.run(main())


def report(snapshot) -> None:
    stats = snapshot.statistics("filename")
    total = sum(s.size for s in stats)
    packages: dict[str, int] = {}
    for stat in stats:
        name = stat.traceback[0].filename
        if "site-packages/" in name:
            key = name.split("site-packages/")[1].split("/")[0]
        elif "/src/nocturne/" in name:
            key = "nocturne/" + name.split("/src/nocturne/")[1].split("/")[0]
        elif name.startswith("<"):
            key = name
        else:
            key = "stdlib: " + Path(name).parent.name + "/" + Path(name).name
        packages[key] = packages.get(key, 0) + stat.size
    print(f"  Python allocations traced: {total / 2**20:.1f} MB; by package (top 15):")
    for key, size in sorted(packages.items(), key=lambda kv: -kv[1])[:15]:
        print(f"    {size / 2**20:7.2f} MB  {key}")
    print("  largest lines (top 10):")
    for stat in snapshot.statistics("lineno")[:10]:
        frame = stat.traceback[0]
        where = frame.filename.split("site-packages/")[-1].split("/src/")[-1]
        print(f"    {stat.size / 2**20:7.2f} MB  {stat.count:>7} blocks  {where}:{frame.lineno}")


def rss_by_mapping(pid: int) -> dict[str, float]:
    """Linux: the process's RSS by what is mapped (a file, the heap, anonymous memory), MB."""
    out: dict[str, float] = {}
    name = "?"
    try:
        with open(f"/proc/{pid}/smaps") as smaps:
            for line in smaps:
                parts = line.split()
                if len(parts) >= 5 and "-" in parts[0] and parts[0][0] in "0123456789abcdef":
                    path = parts[5] if len(parts) > 5 else "[anonymous]"
                    name = path.split("site-packages/")[-1] if "/" in path else path
                elif parts[0] == "Rss:":
                    out[name] = out.get(name, 0.0) + int(parts[1]) / 1024
    except OSError:
        return {}
    return out


def slope_mb_per_hour(samples: list[tuple[float, float]]) -> float:
    """Least-squares slope of (seconds, MB) samples, in MB per hour."""
    n = len(samples)
    mean_t = sum(t for t, _ in samples) / n
    mean_m = sum(m for _, m in samples) / n
    num = sum((t - mean_t) * (m - mean_m) for t, m in samples)
    den = sum((t - mean_t) ** 2 for t, _ in samples)
    return num / den * 3600 if den else float("nan")


async def long_run(minutes: float) -> None:
    print(f"bench_memory: the server for {minutes:g} min, one CPU board, web off (as bench_system)")
    samples: list[tuple[float, float]] = []

    async def sample(pid: int, seconds: float) -> None:
        await asyncio.sleep(60)  # warm-up: first parses, caches, the first process scans
        start = time.monotonic()
        printed = 0
        while (elapsed := time.monotonic() - start) < seconds - 60:
            samples.append((elapsed, rss_mb(pid)))
            if elapsed >= printed * 60:
                print(f"  {elapsed / 60:5.1f} min  RSS {samples[-1][1]:.2f} MB", flush=True)
                printed += 1
            await asyncio.sleep(5)

    final = await run_server({"web": None}, minutes * 60, sample)
    rss = [m for _, m in samples]
    print(f"  samples: {len(samples)}, RSS min {min(rss):.2f} / max {max(rss):.2f} MB")
    print(f"  RSS at the end: {final:.2f} MB   budget <= {BUDGET_MB:g} MB")
    print(f"  slope: {slope_mb_per_hour(samples):+.3f} MB/hour   budget: no growth")
    half = samples[len(samples) // 2 :]  # the allocator's first steps are behind by then
    print(f"  slope over the second half: {slope_mb_per_hour(half):+.3f} MB/hour")


async def configs(seconds: float) -> None:
    print(f"\nThe running server after {seconds:g} s, one CPU board (processes scanned):")
    for i, (label, extra) in enumerate(CONFIGS.items()):
        print(f"  {label}", flush=True)
        rss = await run_server(extra, seconds, mappings=i == 0)
        print(f"  {label:<30}{rss:>8.1f} MB   budget <= {BUDGET_MB:g} MB", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--minutes", type=float, help="one long run: RSS slope")
    parser.add_argument("--child", choices=("tracemalloc",), help=argparse.SUPPRESS)
    args = parser.parse_args()
    compile_bytecode()  # as installed: our modules' bytecode on disk, not compiled per start
    if args.child == "tracemalloc":
        return tracemalloc_child(args.seconds)
    if args.minutes:
        return asyncio.run(long_run(args.minutes))
    me = [sys.executable, __file__, "--seconds", str(args.seconds)]
    print("bench_memory: RSS after each import (a fresh interpreter)")
    subprocess.run([sys.executable, "-c", IMPORTS_CHILD, *IMPORTS], check=True)
    print("For reference, what the server does not import (the tray's PIL: only with a tray),")
    print("after asyncio:")
    subprocess.run([sys.executable, "-c", IMPORTS_CHILD, *NOT_IMPORTED], check=True)
    asyncio.run(configs(args.seconds))
    print(f"\ntracemalloc: the server in-process after {args.seconds:g} s (web off)")
    subprocess.run([*me, "--child", "tracemalloc"], check=True)


if __name__ == "__main__":
    main()
