"""How a process scan reads every process: the two readings it ranks, as cheaply as the OS
allows (see bench/bench_processes.py).

* :class:`PsutilReader`, any OS: one ``psutil.Process`` per PID kept from scan to scan (so
  nothing but the readings is asked again), CPU times and resident memory, under
  ``oneshot()`` where one query gives both (Windows, macOS).
* ``NtProcessReader`` (_windows.py), Windows: one NtQuerySystemInformation
  snapshot of every process per scan, where psutil opens each process (and takes that same
  snapshot again for each one it may not open).
* ``ProcStatReader`` (_linux.py), Linux: ``/proc/PID/stat`` alone holds the CPU times, the start
  time and the resident pages, so a scan is one read per process (psutil reads ``stat`` and
  ``statm`` through layers of wrappers: nearly twice the cost, bench_processes).

Each sample carries the process's start as its identity: a PID seen again with another start
is a new process. A reading the OS refuses is None (unknown), never 0.
"""

from __future__ import annotations

import os
from typing import NamedTuple, Protocol

import psutil

MIB = 1024 * 1024
IDLE_NAMES = frozenset({"System Idle Process", "Idle", "idle"})  # Windows' pid 0 and friends
# oneshot() caches what one system call gives for the calls after it: on Windows and macOS CPU
# times and memory come from one query; on Linux they are two files (stat, statm) and the
# cache's set-up costs about 15 % of a scan for nothing.
ONESHOT_PAYS = not psutil.LINUX


class Sample(NamedTuple):
    pid: int
    start: float  # when it started (its identity with the PID), in the reader's own units
    cpu_seconds: float | None  # user + system so far; None: the OS refused it
    rss_mb: float | None


class ProcessReader(Protocol):
    def sample(self) -> list[Sample]:
        """Every process but PID 0 (the idle "process" of Windows and macOS)."""
        ...

    def name(self, pid: int) -> str | None:
        """The name of ``pid`` as psutil gives it; None when it is gone or refused."""
        ...


def display_name(name: str) -> str:
    """``chrome.exe`` → ``chrome``: the extension says nothing on a 128-px screen."""
    return name[:-4] if name.lower().endswith(".exe") else name


def shown_name(proc: psutil.Process) -> str | None:
    """The name for a top list; None for a process that is gone, refused or the idle one."""
    try:
        name = proc.name()
    except psutil.Error:
        return None
    if not name or name in IDLE_NAMES:
        return None
    return display_name(name)


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


class PsutilReader:
    """Any OS: the Process objects are kept between scans; a PID gone is dropped."""

    def __init__(self) -> None:
        self.procs: dict[int, tuple[psutil.Process, float | None]] = {}  # pid -> (it, CPU s)

    def sample(self) -> list[Sample]:
        before, self.procs = self.procs, {}
        out: list[Sample] = []
        for pid in psutil.pids():
            if pid == 0:
                continue
            proc, last_cpu = before.get(pid, (None, None))
            try:
                if proc is None:
                    proc = psutil.Process(pid)
                if ONESHOT_PAYS:
                    with proc.oneshot():
                        cpu, rss = _cpu_seconds(proc), _rss(proc)
                else:
                    cpu, rss = _cpu_seconds(proc), _rss(proc)
                if cpu is not None and last_cpu is not None and cpu < last_cpu:
                    # Less CPU time than before: another process under a reused PID (Windows
                    # reuses them soon). A Process of its own: psutil keeps a name per Process.
                    proc = psutil.Process(pid)
                start = proc.create_time()  # kept by the Process: no system call
            except (psutil.NoSuchProcess, psutil.AccessDenied):  # gone, a zombie, refused
                continue
            self.procs[pid] = (proc, cpu)
            out.append(Sample(pid, start, cpu, rss))
        return out

    def name(self, pid: int) -> str | None:
        proc, _ = self.procs.get(pid, (None, None))
        return shown_name(proc) if proc is not None else None


def best_reader() -> ProcessReader:
    """The cheapest reader that works here: /proc on Linux, one system snapshot on Windows
    (_windows.py), psutil elsewhere or when those fail."""
    if psutil.LINUX and os.path.exists("/proc/self/stat"):
        from ._linux import ProcStatReader

        return ProcStatReader()
    if psutil.WINDOWS:
        from ._windows import NtProcessReader

        try:
            reader = NtProcessReader()
            reader.sample()  # it works here, or psutil it is
            return reader
        except (OSError, AttributeError, ValueError):
            pass
    return PsutilReader()
