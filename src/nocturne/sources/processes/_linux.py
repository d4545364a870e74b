"""Linux: a process scan from ``/proc/PID/stat`` alone (see readers.py)."""

from __future__ import annotations

import os

import psutil

from .readers import IDLE_NAMES, MIB, Sample, display_name, shown_name

_STAT_READ = 4096  # bytes per read of /proc/PID/stat: the whole file (under 1 KB) in one
_COMM_CUT = 15  # a comm this long may be cut short (TASK_COMM_LEN): psutil then asks cmdline


class ProcStatReader:
    """Linux: one read of ``/proc/PID/stat`` per process, and another for each of the few that
    make a top list, for its name as psutil gives it (psutil only for the long names, which it
    takes from ``cmdline``).

    Files are read with ``os.open``/``os.read``: ``open()`` builds a buffered file object per
    file, a third of the scan's cost (bench_processes)."""

    def __init__(self, proc_path: str = "/proc") -> None:
        self.proc_path = proc_path
        self._tick = float(os.sysconf("SC_CLK_TCK"))
        self._page_mb = os.sysconf("SC_PAGE_SIZE") / MIB

    def _stat(self, pid: int | str) -> bytes | None:
        """The bytes of ``/proc/PID/stat``; None when it is gone or hidden (hidepid)."""
        try:
            fd = os.open(f"{self.proc_path}/{pid}/stat", os.O_RDONLY)
        except OSError:
            return None
        try:
            data = os.read(fd, _STAT_READ)
            while len(data) % _STAT_READ == 0 and data:  # a full buffer: there may be more
                more = os.read(fd, _STAT_READ)
                if not more:
                    break
                data += more
        except OSError:
            return None
        finally:
            os.close(fd)
        return data

    def sample(self) -> list[Sample]:
        out: list[Sample] = []
        tick, page_mb, stat = self._tick, self._page_mb, self._stat
        for entry in os.listdir(self.proc_path):
            if not entry.isdigit():
                continue
            data = stat(entry)
            if data is None:  # gone since the listing, or hidden (hidepid)
                continue
            # "pid (comm) state ppid ...": comm may hold spaces and ")"; the fields after
            # the last ")" start at the state (field 3 of proc(5)).
            fields = data.rpartition(b")")[2].split(maxsplit=22)  # up to rss, the rest in one
            if len(fields) < 22 or fields[0] in (b"Z", b"X"):  # a zombie or dead: no process
                continue
            out.append(
                Sample(
                    int(entry),
                    float(fields[19]),  # starttime, clock ticks after boot
                    (int(fields[11]) + int(fields[12])) / tick,  # utime + stime
                    int(fields[21]) * page_mb,  # rss, pages
                )
            )
        return out

    def name(self, pid: int) -> str | None:
        """psutil's ``Process(pid).name()`` without its Process: the ``comm`` of ``stat``
        (decoded as psutil does), read now; a name of 15 characters or more may be cut
        short there, so psutil gives it (from ``cmdline``)."""
        data = self._stat(pid)
        if data is None:
            return None
        name = os.fsdecode(data[data.find(b"(") + 1 : data.rfind(b")")])
        if len(name) >= _COMM_CUT:
            try:
                return shown_name(psutil.Process(pid))
            except psutil.Error:
                return None
        if not name or name in IDLE_NAMES:
            return None
        return display_name(name)
