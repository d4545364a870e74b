"""The Windows process reader on a SystemProcessInformation snapshot laid out as the kernel
lays it out (structures chained by NextEntryOffset, names in the caller's buffer)."""

from __future__ import annotations

import ctypes

import pytest

from nocturne.sources.processes import ProcessSource
from nocturne.sources.processes._windows import (
    STATUS_INFO_LENGTH_MISMATCH,
    NtProcessReader,
    SystemProcessInformation,
)
from nocturne.sources.processes.readers import Sample

MIB = 2**20
THREAD_BYTES = 80  # each process entry is followed by its threads (SYSTEM_THREAD_INFORMATION)


class FakeKernel:
    """NtQuerySystemInformation(SystemProcessInformation) over a list of processes."""

    def __init__(self) -> None:
        self.processes: list[dict] = []
        self.calls = 0
        self.status = 0

    def snapshot_size(self) -> int:
        size = ctypes.sizeof(SystemProcessInformation) + 2 * THREAD_BYTES + 64
        return size * len(self.processes)

    def __call__(self, buffer, size: int, returned) -> int:
        self.calls += 1
        need = self.snapshot_size()
        returned._obj.value = need
        if self.status:
            return self.status
        if size < need:
            return STATUS_INFO_LENGTH_MISMATCH
        ctypes.memset(buffer, 0, size)
        base = ctypes.addressof(buffer)
        offset = 0
        for i, proc in enumerate(self.processes):
            info = SystemProcessInformation.from_buffer(buffer, offset)
            name_at = offset + ctypes.sizeof(SystemProcessInformation) + 2 * THREAD_BYTES
            encoded = proc["name"].encode("utf-16-le")
            ctypes.memmove(base + name_at, encoded, len(encoded))
            info.UniqueProcessId = proc["pid"]
            info.CreateTime = proc["create"]
            info.UserTime, info.KernelTime = proc["user"], proc["kernel"]
            info.WorkingSetSize = proc["ws"]
            info.NumberOfThreads = 2
            if encoded:
                info.ImageName.Buffer = base + name_at
                info.ImageName.Length = info.ImageName.MaximumLength = len(encoded)
            entry = name_at + len(encoded) + 2
            entry += -entry % 8
            if i < len(self.processes) - 1:
                info.NextEntryOffset = entry - offset
            offset = entry
        return 0


def process(pid: int, name: str, *, seconds: float = 0.0, ws_mb: float = 1, create: int = 7):
    ticks = int(seconds * 10_000_000)
    return {"pid": pid, "name": name, "create": create, "user": ticks // 2,
            "kernel": ticks - ticks // 2, "ws": int(ws_mb * MIB)}  # fmt: skip


def test_one_snapshot_gives_every_process_its_times_memory_and_name():
    kernel = FakeKernel()
    kernel.processes = [
        process(0, ""),  # the System Idle Process: never listed
        process(4, "", seconds=90, ws_mb=0.1),  # System has no image name
        process(812, "chrome.exe", seconds=12.5, ws_mb=640, create=1234),
        process(9001, "Ünïcode 名前.exe", seconds=1, ws_mb=5),
    ]
    reader = NtProcessReader(kernel)
    assert sorted(reader.sample()) == [
        Sample(4, 7.0, 90.0, pytest.approx(0.1, rel=1e-3)),
        Sample(812, 1234.0, 12.5, 640.0),
        Sample(9001, 7.0, 1.0, 5.0),
    ]
    assert [reader.name(p) for p in (4, 812, 9001, 5)] == ["System", "chrome", "Ünïcode 名前", None]


def test_the_buffer_grows_when_the_system_needs_more():
    kernel = FakeKernel()
    kernel.processes = [process(100 + i, f"p{i}.exe") for i in range(3000)]
    reader = NtProcessReader(kernel)
    assert len(reader.sample()) == 3000 and kernel.calls >= 2
    calls = kernel.calls
    reader.sample()
    assert kernel.calls == calls + 1  # the grown buffer is kept


def test_a_failing_call_is_an_error_not_an_empty_list():
    kernel = FakeKernel()
    kernel.status = -1073741823  # 0xC0000001 STATUS_UNSUCCESSFUL
    with pytest.raises(OSError, match="0xC0000001"):
        NtProcessReader(kernel).sample()


def test_a_scan_ranks_what_the_snapshots_say():
    kernel = FakeKernel()
    now = [0.0]
    kernel.processes = [process(812, "chrome.exe", seconds=10, ws_mb=600),
                        process(900, "game.exe", seconds=50, ws_mb=2000),
                        process(77, "idle.exe", seconds=1, ws_mb=3)]  # fmt: skip
    source = ProcessSource(reader=NtProcessReader(kernel), clock=lambda: now[0])
    source._cpus = 4
    assert source.read_sync().top_cpu is None
    now[0] = 2.0  # 2 s later: chrome used 1 s of CPU, the game 4 s, on 4 cores
    kernel.processes = [process(812, "chrome.exe", seconds=11, ws_mb=600),
                        process(900, "game.exe", seconds=54, ws_mb=2000),
                        process(77, "idle.exe", seconds=1, ws_mb=3, create=99)]  # fmt: skip
    procs = source.read_sync()
    assert [(p.name, p.cpu_percent) for p in procs.top_cpu] == [("game", 50.0), ("chrome", 12.5)]
    assert [(p.name, p.ram_mb) for p in procs.top_ram] == [("game", 2000.0), ("chrome", 600.0)]


def test_windows_picks_the_snapshot_reader_and_psutil_when_it_cannot(monkeypatch):
    import psutil

    from nocturne.sources.processes import _windows as process_readers_windows
    from nocturne.sources.processes import readers as process_readers

    monkeypatch.setattr(psutil, "LINUX", False)
    monkeypatch.setattr(psutil, "WINDOWS", True)
    kernel = FakeKernel()
    kernel.processes = [process(812, "chrome.exe")]
    monkeypatch.setattr(process_readers_windows, "nt_query", lambda: kernel)
    assert isinstance(process_readers.best_reader(), NtProcessReader)
    monkeypatch.undo()
    monkeypatch.setattr(psutil, "LINUX", False)
    monkeypatch.setattr(psutil, "WINDOWS", True)  # and no ntdll here: ctypes.WinDLL is missing
    assert isinstance(process_readers.best_reader(), process_readers.PsutilReader)
