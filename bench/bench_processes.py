"""What one process scan costs: the scan before issue 15 next to ProcessSource, in one run.

    .venv/bin/python bench/bench_processes.py [--scans 100] [--extra 200]

The baseline is the old scan, kept here as it was: ``psutil.process_iter`` asking every
process for its name, ``cpu_percent`` and ``memory_info``. The new one is
``nocturne.sources.processes.ProcessSource`` with each of its readers: psutil (what Windows
and macOS run) and, on Linux, ``/proc/PID/stat`` (what Linux runs). All are timed in
alternation (old, new, new, old, ...) on this machine's processes, first as they are, then
with ``--extra`` more idle ones (``sleep``: a Windows desktop has 200-300 processes), as CPU
time of this thread per scan (``time.thread_time``) and wall time. Prints figures and the
ratios; asserts nothing.
"""

from __future__ import annotations

import argparse
import heapq
import statistics
import subprocess
import time

import psutil

from nocturne.snapshot import Processes, ProcessUsage
from nocturne.sources.processes import IDLE_NAMES, MIB, ProcessSource, display_name
from nocturne.sources.processes._linux import ProcStatReader
from nocturne.sources.processes.readers import PsutilReader


class OldProcessScan:
    """The scan as it was before issue 15 (src/nocturne/sources/processes.py at 595348a)."""

    def __init__(self, top_cpu: int = 3, top_ram: int = 2) -> None:
        self.top_cpu = top_cpu
        self.top_ram = top_ram
        self._cpus = psutil.cpu_count() or 1
        self._primed = False

    def read_sync(self) -> Processes:
        rows: list[tuple[str, float, float]] = []
        for proc in psutil.process_iter(["name", "cpu_percent", "memory_info"]):
            info = proc.info
            name = info.get("name")
            if not name or name in IDLE_NAMES or proc.pid == 0:
                continue
            mem = info.get("memory_info")
            rows.append(
                (
                    display_name(name),
                    (info.get("cpu_percent") or 0.0) / self._cpus,
                    mem.rss / MIB if mem is not None else 0.0,
                )
            )
        top_cpu = None
        if self._primed:
            cpu = heapq.nlargest(self.top_cpu, rows, key=lambda r: r[1])
            top_cpu = tuple(ProcessUsage(n, cpu_percent=c) for n, c, _ in cpu)
        self._primed = True
        ram = heapq.nlargest(self.top_ram, rows, key=lambda r: r[2])
        return Processes(
            top_cpu=top_cpu, top_ram=tuple(ProcessUsage(n, ram_mb=r) for n, _, r in ram)
        )


def measure(scans: int) -> dict[str, tuple[float, float]]:
    """Median (thread CPU ms, wall ms) per scan of each, timed in alternation."""
    scanners: dict[str, OldProcessScan | ProcessSource] = {
        "old (process_iter)": OldProcessScan(),
        "new, psutil reader": ProcessSource(reader=PsutilReader()),
    }
    if psutil.LINUX:
        scanners["new, /proc/PID/stat"] = ProcessSource(reader=ProcStatReader())
    for scanner in scanners.values():
        scanner.read_sync()  # primed: the next scans measure CPU against this one
    times: dict[str, tuple[list[float], list[float]]] = {name: ([], []) for name in scanners}
    for _ in range(scans):
        for name, scanner in scanners.items():
            cpu0, wall0 = time.thread_time(), time.perf_counter()
            scanner.read_sync()
            cpu, wall = times[name]
            cpu.append((time.thread_time() - cpu0) * 1000)
            wall.append((time.perf_counter() - wall0) * 1000)
    return {
        name: (statistics.median(cpu), statistics.median(wall))
        for name, (cpu, wall) in times.items()
    }


def report(label: str, scans: int) -> None:
    count = len(psutil.pids())
    figures = measure(scans)
    print(f"\n{label}: {count} processes, {scans} scans each")
    print(f"  {'scan':<22}{'CPU ms/scan':>13}{'wall ms/scan':>14}{'CPU vs old':>12}")
    old_cpu = figures["old (process_iter)"][0]
    for name, (cpu, wall) in figures.items():
        print(f"  {name:<22}{cpu:>13.2f}{wall:>14.2f}{cpu / old_cpu:>12.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scans", type=int, default=100)
    parser.add_argument("--extra", type=int, default=200, help="idle processes added (0: none)")
    args = parser.parse_args()
    print("bench_processes: old scan (baseline) vs ProcessSource, the same run")
    report("this machine", args.scans)
    if args.extra:
        extra = [subprocess.Popen(["sleep", "600"]) for _ in range(args.extra)]
        try:
            report(f"with {args.extra} idle processes more", args.scans)
        finally:
            for proc in extra:
                proc.kill()
            for proc in extra:
                proc.wait()


if __name__ == "__main__":
    main()
