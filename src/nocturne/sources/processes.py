"""ProcessSource: the busiest processes by CPU and by memory.

Scanning every process costs far more than the other sensors together (see
bench/bench_processes.py), so the collector runs it every few seconds and only while a
device shows a scene that uses it, and a scan asks psutil for as little as it can:

* one ``psutil.Process`` per PID, kept from scan to scan (a PID that is gone is dropped, a
  new one gets its own), so a process's CPU share is its CPU time since the last scan over
  the wall time since then, with no second pass and no per-process timer;
* per process only the two readings ranked, CPU times and resident memory (on Linux one
  read of ``/proc/PID/stat`` and one of ``statm``; elsewhere under ``oneshot()``);
* names only for the few processes that make a top list (a name can cost another read,
  ``/proc/PID/cmdline`` for the long ones), read on each scan since ``exec`` can change one.

A reading the OS refuses (another user's process on Windows) is unknown: that process is
left out of that list, never ranked as 0.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import NamedTuple

import psutil

from ..snapshot import Processes, ProcessUsage

MIB = 1024 * 1024
IDLE_NAMES = frozenset({"System Idle Process", "Idle", "idle"})  # Windows' pid 0 and friends
# oneshot() caches what one system call gives for the calls after it: on Windows and macOS CPU
# times and memory can come from one query, on Linux they are two files (stat, statm) and
# the cache's set-up costs about 15 % of a scan for nothing.
ONESHOT_PAYS = not psutil.LINUX


def display_name(name: str) -> str:
    """``chrome.exe`` → ``chrome``: the extension says nothing on a 128-px screen."""
    return name[:-4] if name.lower().endswith(".exe") else name


class _Seen(NamedTuple):
    proc: psutil.Process
    cpu_seconds: float | None  # user + system at the last scan; None: the OS refused it


def _cpu_seconds(proc: psutil.Process) -> float | None:
    try:
        times = proc.cpu_times()
    except psutil.AccessDenied:
        return None
    return times.user + times.system


def _rss(proc: psutil.Process) -> float | None:
    try:
        return proc.memory_info().rss / MIB
    except psutil.AccessDenied:
        return None


def _name(proc: psutil.Process) -> str | None:
    try:
        name = proc.name()
    except psutil.Error:  # gone since its readings, or refused
        return None
    if not name or name in IDLE_NAMES:
        return None
    return display_name(name)


def _top(rows: list[tuple[float, psutil.Process]], count: int) -> list[tuple[str, float]]:
    """The ``count`` largest rows that have a name, largest first (ties: lower PID first)."""
    out: list[tuple[str, float]] = []
    for value, proc in sorted(rows, key=lambda row: row[0], reverse=True):
        if len(out) == count:
            break
        name = _name(proc)
        if name is not None:
            out.append((name, value))
    return out


class ProcessSource:
    name = "processes"
    interval = 3.0  # seconds between scans while a device shows them

    def __init__(
        self, top_cpu: int = 3, top_ram: int = 2, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.top_cpu = top_cpu
        self.top_ram = top_ram
        self._clock = clock
        self._cpus = psutil.cpu_count() or 1
        self._seen: dict[int, _Seen] = {}
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
        before, seen = self._seen, {}
        cpu_rows: list[tuple[float, psutil.Process]] = []
        ram_rows: list[tuple[float, psutil.Process]] = []
        for pid in psutil.pids():
            if pid == 0:  # the idle "process" of Windows and macOS
                continue
            last = before.get(pid)
            try:
                proc = last.proc if last is not None else psutil.Process(pid)
                if ONESHOT_PAYS:
                    with proc.oneshot():
                        cpu, rss = _cpu_seconds(proc), _rss(proc)
                else:
                    cpu, rss = _cpu_seconds(proc), _rss(proc)
            except psutil.NoSuchProcess:  # gone (or a zombie) since the PID list was read
                continue
            except psutil.AccessDenied:  # refused before the first reading (its start time)
                continue
            used = None
            if cpu is not None and last is not None and last.cpu_seconds is not None:
                used = cpu - last.cpu_seconds
                if used < 0:  # less CPU time than before: a new process under a reused PID
                    used = None
                    try:  # a Process of its own (psutil caches a name on Windows)
                        proc = psutil.Process(pid)
                    except psutil.Error:
                        continue
            seen[pid] = _Seen(proc, cpu)
            if rss is not None:
                ram_rows.append((rss, proc))
            if used is not None and scale is not None:
                cpu_rows.append((min(100.0, used * scale), proc))
        self._seen = seen
        top_cpu = None
        if scale is not None:
            top_cpu = tuple(ProcessUsage(n, cpu_percent=c) for n, c in _top(cpu_rows, self.top_cpu))
        return Processes(
            top_cpu=top_cpu,
            top_ram=tuple(ProcessUsage(n, ram_mb=r) for n, r in _top(ram_rows, self.top_ram)),
        )
