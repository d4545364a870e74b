"""Windows: every process's CPU times, working set, start and image name from one system call.

psutil asks each process on its own (OpenProcess, GetProcessTimes, GetProcessMemoryInfo),
and for a process it may not open (services, protected processes) it falls back to
``NtQuerySystemInformation(SystemProcessInformation)``, a snapshot of *every* process, once
per such process. :class:`NtProcessReader` takes that snapshot once per scan and reads all it
ranks from it: no handle opened, nothing refused, so no process is left out.

Importable anywhere (ctypes only); the system call is looked up only when the reader is made
on Windows. The parsing of the snapshot is plain ctypes over a buffer, tested on any OS.
"""

from __future__ import annotations

import ctypes
from collections.abc import Callable
from ctypes import c_int32, c_int64, c_size_t, c_uint16, c_uint32, c_uint64, c_void_p
from typing import Any, NamedTuple

from .readers import IDLE_NAMES, MIB, Sample, display_name

SYSTEM_PROCESS_INFORMATION_CLASS = 5
STATUS_INFO_LENGTH_MISMATCH = -1073741820  # 0xC0000004 as the signed NTSTATUS
FIRST_BUFFER = 512 * 1024  # a desktop with 300 processes and their threads needs ~400 KB
TICKS_PER_SECOND = 10_000_000  # the snapshot counts times in 100 ns units


class UnicodeString(ctypes.Structure):
    _fields_ = [("Length", c_uint16), ("MaximumLength", c_uint16), ("Buffer", c_void_p)]


class SystemProcessInformation(ctypes.Structure):
    """The head of SYSTEM_PROCESS_INFORMATION (winternl.h / phnt), up to WorkingSetSize."""

    _fields_ = [
        ("NextEntryOffset", c_uint32),
        ("NumberOfThreads", c_uint32),
        ("WorkingSetPrivateSize", c_int64),
        ("HardFaultCount", c_uint32),
        ("NumberOfThreadsHighWatermark", c_uint32),
        ("CycleTime", c_uint64),
        ("CreateTime", c_int64),
        ("UserTime", c_int64),
        ("KernelTime", c_int64),
        ("ImageName", UnicodeString),
        ("BasePriority", c_int32),
        ("UniqueProcessId", c_void_p),
        ("InheritedFromUniqueProcessId", c_void_p),
        ("HandleCount", c_uint32),
        ("SessionId", c_uint32),
        ("UniqueProcessKey", c_size_t),
        ("PeakVirtualSize", c_size_t),
        ("VirtualSize", c_size_t),
        ("PageFaultCount", c_uint32),
        ("PeakWorkingSetSize", c_size_t),
        ("WorkingSetSize", c_size_t),
    ]


class Entry(NamedTuple):
    pid: int
    create: int  # 100 ns units since 1601
    cpu: int  # user + kernel, 100 ns units
    working_set: int  # bytes (what psutil calls rss on Windows)
    name_at: int  # address of the UTF-16 image name in the buffer (0: none)
    name_length: int  # in bytes


def entries(buffer: Any, length: int) -> list[Entry]:
    """The processes in a SystemProcessInformation snapshot of ``length`` bytes."""
    out: list[Entry] = []
    offset = 0
    size = ctypes.sizeof(SystemProcessInformation)
    while offset + size <= length:
        info = SystemProcessInformation.from_buffer(buffer, offset)
        name = info.ImageName
        out.append(
            Entry(
                info.UniqueProcessId or 0,
                info.CreateTime,
                info.UserTime + info.KernelTime,
                info.WorkingSetSize,
                name.Buffer or 0,
                name.Length,
            )
        )
        if not info.NextEntryOffset:
            break
        offset += info.NextEntryOffset
    return out


# query(buffer, size, returned) -> NTSTATUS: NtQuerySystemInformation for the process class.
Query = Callable[[Any, int, Any], int]


def nt_query() -> Query:
    """NtQuerySystemInformation(SystemProcessInformation, ...) from ntdll (Windows only)."""
    ntdll = ctypes.WinDLL("ntdll")  # type: ignore[attr-defined]
    call = ntdll.NtQuerySystemInformation
    call.restype = c_int32
    call.argtypes = [c_uint32, c_void_p, c_uint32, ctypes.POINTER(c_uint32)]
    return lambda buffer, size, returned: call(
        SYSTEM_PROCESS_INFORMATION_CLASS, buffer, size, returned
    )


class NtProcessReader:
    """One snapshot per scan; the buffer is kept and grows when the system asks for more."""

    def __init__(self, query: Query | None = None) -> None:
        self._query = query or nt_query()
        self._buffer = ctypes.create_string_buffer(FIRST_BUFFER)
        self._names: dict[int, tuple[int, int]] = {}

    def _snapshot(self) -> int:
        returned = c_uint32(0)
        for _ in range(8):  # processes start while it grows: a few tries
            status = self._query(self._buffer, len(self._buffer), ctypes.byref(returned))
            if status == STATUS_INFO_LENGTH_MISMATCH:
                grown = max(returned.value, len(self._buffer)) * 2
                self._buffer = ctypes.create_string_buffer(grown)
                continue
            if status < 0:
                code = status & 0xFFFFFFFF
                raise OSError(f"NtQuerySystemInformation failed (NTSTATUS 0x{code:08X})")
            return returned.value
        raise OSError("NtQuerySystemInformation: the process list kept outgrowing the buffer")

    def sample(self) -> list[Sample]:
        length = self._snapshot()
        self._names = {}
        out: list[Sample] = []
        for e in entries(self._buffer, length):
            if e.pid == 0:  # the System Idle Process
                continue
            self._names[e.pid] = (e.name_at, e.name_length)
            out.append(
                Sample(e.pid, float(e.create), e.cpu / TICKS_PER_SECOND, e.working_set / MIB)
            )
        return out

    def name(self, pid: int) -> str | None:
        """The image name from the last snapshot ("System" for PID 4, which has none)."""
        at, length = self._names.get(pid, (0, 0))
        if not at or not length:
            return "System" if pid == 4 else None
        name = ctypes.string_at(at, length).decode("utf-16-le", "replace")  # any wchar_t size
        return None if name in IDLE_NAMES else display_name(name)
