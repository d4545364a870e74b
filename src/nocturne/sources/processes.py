"""ProcessSource: the busiest processes by CPU and by memory.

Scanning every process costs far more than the other sensors together (see
bench/bench_server.py), so the collector runs it every few seconds and only while a
device shows a scene that uses it.
"""

from __future__ import annotations

import heapq

import psutil

from ..snapshot import Processes, ProcessUsage

MIB = 1024 * 1024
IDLE_NAMES = frozenset({"System Idle Process", "Idle", "idle"})  # Windows' pid 0 and friends


def display_name(name: str) -> str:
    """``chrome.exe`` → ``chrome``: the extension says nothing on a 128-px screen."""
    return name[:-4] if name.lower().endswith(".exe") else name


class ProcessSource:
    name = "processes"
    interval = 3.0  # seconds between scans while a device shows them

    def __init__(self, top_cpu: int = 3, top_ram: int = 2) -> None:
        self.top_cpu = top_cpu
        self.top_ram = top_ram
        self._cpus = psutil.cpu_count() or 1
        self._primed = False

    def read_sync(self) -> Processes:
        """One scan. CPU percentages are of the whole machine (all cores = 100)."""
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
        # The first scan has no earlier sample to measure CPU against: every process reads 0.
        top_cpu = None
        if self._primed:
            cpu = heapq.nlargest(self.top_cpu, rows, key=lambda r: r[1])
            top_cpu = tuple(ProcessUsage(n, cpu_percent=c) for n, c, _ in cpu)
        self._primed = True
        ram = heapq.nlargest(self.top_ram, rows, key=lambda r: r[2])
        return Processes(
            top_cpu=top_cpu,
            top_ram=tuple(ProcessUsage(n, ram_mb=r) for n, _, r in ram),
        )
