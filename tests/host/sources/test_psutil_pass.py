"""The local psutil read and the process scan share one worker-thread call per tick."""

from __future__ import annotations

import asyncio
import threading

from nocturne.collect.collector import LOCAL, PROCESSES, Collector
from nocturne.config.model import Config
from nocturne.snapshot import Hardware, Processes
from nocturne.sources.local import LocalSource
from nocturne.sources.processes import ProcessSource


class RecordingLocal(LocalSource):
    def __init__(self, calls: list[tuple[str, int]]) -> None:
        super().__init__()
        self.calls = calls

    def read_sync(self, skip: frozenset[str] = frozenset()) -> Hardware:
        self.calls.append(("local", threading.get_ident()))
        return super().read_sync(skip)


class RecordingScan(ProcessSource):
    def __init__(self, calls: list[tuple[str, int]]) -> None:
        super().__init__()
        self.calls = calls
        self.gate: threading.Event | None = None  # set: the scan waits for it
        self.fail = False

    def read_sync(self) -> Processes:
        self.calls.append(("scan", threading.get_ident()))
        if self.gate is not None:
            self.gate.wait(30)
        if self.fail:
            raise RuntimeError("no process list")
        return super().read_sync()


def make(wanted: list[bool]) -> tuple[Collector, list[tuple[str, int]], RecordingScan, list[float]]:
    calls: list[tuple[str, int]] = []
    now = [100.0]
    scan = RecordingScan(calls)
    collector = Collector(
        Config(ping_host=""),
        lhm=None,
        local=RecordingLocal(calls),
        processes=scan,
        want_processes=lambda: wanted[0],
        clock=lambda: now[0],
    )
    return collector, calls, scan, now


def kinds(calls: list[tuple[str, int]]) -> list[str]:
    return [kind for kind, _ in calls]


async def test_one_thread_call_reads_the_counters_then_the_processes():
    collector, calls, _, now = make([True])
    loop = asyncio.get_running_loop()
    hops = []
    real = loop.run_in_executor

    def run_in_executor(executor, func, *args):
        hops.append(func)
        return real(executor, func, *args)

    loop.run_in_executor = run_in_executor  # type: ignore[method-assign]
    try:
        snapshot = await collector.tick()
        assert kinds(calls) == ["local", "scan"] and len(hops) == 1  # one worker call, not two
        assert calls[0][1] == calls[1][1] != threading.get_ident()
        assert snapshot.hardware.ram_total is not None
        assert snapshot.processes is not None and snapshot.processes.top_ram
        for _ in range(1, 7):  # 1 s ticks: a scan every 3 s (ProcessSource.interval)
            now[0] += 1.0
            await collector.tick()
        assert kinds(calls).count("local") == 7 and kinds(calls).count("scan") == 3
        scans = [i for i, kind in enumerate(kinds(calls)) if kind == "scan"]
        assert all(kinds(calls)[i - 1] == "local" and calls[i - 1][1] == calls[i][1] for i in scans)
        assert len(hops) == 7  # one a tick, the scans included
    finally:
        del loop.run_in_executor
        await collector.stop()


async def test_no_scan_while_no_device_shows_processes():
    wanted = [False]
    collector, calls, _, now = make(wanted)
    try:
        for _ in range(5):
            snapshot = await collector.tick()
            now[0] += 1.0
        assert kinds(calls) == ["local"] * 5 and snapshot.processes is None
        wanted[0] = True
        snapshot = await collector.tick()
        assert kinds(calls)[-2:] == ["local", "scan"] and snapshot.processes is not None
    finally:
        await collector.stop()


async def test_a_slow_scan_never_holds_up_the_counters():
    collector, calls, scan, now = make([True])
    scan.gate = threading.Event()
    try:
        snapshot = await collector.tick()  # the scan blocks; the tick publishes without it
        assert snapshot.hardware.ram_total is not None and snapshot.processes is None
        assert collector.feeds[LOCAL].up is True
        now[0] += 1.0
        await collector.tick()  # counters read again (a call of their own), no second scan
        assert kinds(calls) == ["local", "scan", "local"]
        scan.gate.set()
        for _ in range(200):
            now[0] += 1.0
            snapshot = await collector.tick()
            if snapshot.processes is not None:
                break
            await asyncio.sleep(0.01)
        assert snapshot.processes is not None
    finally:
        scan.gate.set()
        await collector.stop()


async def test_a_failing_scan_is_that_feed_down_only():
    collector, _, scan, _ = make([True])
    scan.fail = True
    try:
        snapshot = await collector.tick()
        assert collector.feeds[PROCESSES].up is False
        assert "no process list" in (collector.feeds[PROCESSES].last_error or "")
        assert collector.feeds[LOCAL].up is True and snapshot.hardware.ram_total is not None
    finally:
        await collector.stop()
