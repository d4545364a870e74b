"""ProcessSource: the busiest processes by CPU and by memory.

Scanning every process costs far more than the other sensors together (see
bench/bench_processes.py), so the collector runs it every few seconds and only while a
device shows a scene that uses it, and a scan reads as little as it can
(:mod:`.process_readers`):

* each process's CPU time and resident memory, nothing else (on Linux one read of
  ``/proc/PID/stat``; elsewhere psutil, its Process objects kept from scan to scan);
* a process's CPU share is its CPU time since the last scan over the wall time since then:
  no second pass and no per-process timer;
* names only for the few processes that make a top list, read on each scan since ``exec``
  can change one.

A reading the OS refuses (another user's process on Windows) is unknown: that process is
left out of that list, never ranked as 0.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import psutil

from ...snapshot import Processes, ProcessUsage
from .readers import IDLE_NAMES, MIB, ProcessReader, Sample, best_reader, display_name

__all__ = ["IDLE_NAMES", "MIB", "ProcessSource", "display_name"]


class ProcessSource:
    name = "processes"
    interval = 3.0  # seconds between scans while a device shows them

    def __init__(
        self,
        top_cpu: int = 3,
        top_ram: int = 2,
        clock: Callable[[], float] = time.monotonic,
        reader: ProcessReader | None = None,
    ) -> None:
        self.top_cpu = top_cpu
        self.top_ram = top_ram
        self._clock = clock
        self._reader = reader or best_reader()
        self._cpus = psutil.cpu_count() or 1
        self._last: dict[int, Sample] = {}
        self._last_at: float | None = None

    def read_sync(self) -> Processes:
        """One scan. CPU percentages are of the whole machine (all cores = 100).

        The first scan has nothing to measure CPU time against: its top_cpu is None. A process
        new since the last scan has no CPU share yet either and waits for the next one.
        """
        now = self._clock()
        elapsed = None if self._last_at is None else now - self._last_at
        self._last_at = now
        scale = 100.0 / (elapsed * self._cpus) if elapsed else None
        before, seen = self._last, {}
        cpu_rows: list[tuple[float, int]] = []
        ram_rows: list[tuple[float, int]] = []
        for sample in self._reader.sample():
            pid, cpu = sample.pid, sample.cpu_seconds
            seen[pid] = sample
            if sample.rss_mb is not None:
                ram_rows.append((sample.rss_mb, pid))
            last = before.get(pid)
            if scale is None or cpu is None or last is None or last.cpu_seconds is None:
                continue
            used = cpu - last.cpu_seconds
            # Another start, or less CPU time than before: a new process under a reused PID.
            if last.start == sample.start and used >= 0:
                cpu_rows.append((min(100.0, used * scale), pid))
        self._last = seen
        top_cpu = None
        if scale is not None:
            top_cpu = tuple(
                ProcessUsage(n, cpu_percent=c) for n, c in self._top(cpu_rows, self.top_cpu)
            )
        ram = self._top(ram_rows, self.top_ram)
        return Processes(top_cpu=top_cpu, top_ram=tuple(ProcessUsage(n, ram_mb=r) for n, r in ram))

    def _top(self, rows: list[tuple[float, int]], count: int) -> list[tuple[str, float]]:
        """The ``count`` largest rows that have a name, largest first (ties: lower PID first)."""
        out: list[tuple[str, float]] = []
        for value, pid in sorted(rows, key=lambda row: row[0], reverse=True):
            if len(out) == count:
                break
            name = self._reader.name(pid)
            if name is not None:
                out.append((name, value))
        return out
