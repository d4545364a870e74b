"""ProcessSource on this machine's real processes: children of the test with names of their own."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from nocturne.snapshot import Processes
from nocturne.sources.processes import IDLE_NAMES, ProcessSource, display_name
from nocturne.sources.processes._linux import ProcStatReader
from nocturne.sources.processes.readers import PsutilReader, Sample

pytestmark = pytest.mark.skipif(not psutil.LINUX, reason="names set through the executable's name")

READY = "import time; print('ready', flush=True)\n"  # started up: its CPU use is its own from here
BURN = READY + "end = time.monotonic() + 60\nwhile time.monotonic() < end: pass\n"
IDLE = READY + "time.sleep(60)\n"


@pytest.fixture
def spawn(tmp_path: Path) -> Iterator:
    """spawn(name, code) -> Popen: Python under ``name`` (the kernel names it after the link)."""
    children: list[subprocess.Popen] = []

    def start(name: str, code: str) -> subprocess.Popen:
        link = tmp_path / name
        if not link.exists():
            link.symlink_to(os.path.realpath(sys.executable))
        child = subprocess.Popen([str(link), "-S", "-c", code], stdout=subprocess.PIPE)
        children.append(child)
        assert child.stdout is not None and child.stdout.readline() == b"ready\n"
        assert psutil.Process(child.pid).name() == name
        return child

    yield start
    for child in children:
        child.kill()
    for child in children:
        child.wait()


READERS = {"proc-stat": ProcStatReader, "psutil": PsutilReader}


@pytest.fixture(params=sorted(READERS))
def reader(request):
    """Each test runs with both readers: /proc/PID/stat (Linux) and psutil (every OS)."""
    return READERS[request.param]


def everything(reader=PsutilReader) -> ProcessSource:
    return ProcessSource(top_cpu=100_000, top_ram=100_000, reader=reader())


def cpu_of(procs: Processes, name: str) -> list[float]:
    assert procs.top_cpu is not None
    return [p.cpu_percent for p in procs.top_cpu if p.name == name and p.cpu_percent is not None]


def ram_of(procs: Processes, name: str) -> list[float]:
    assert procs.top_ram is not None
    return [p.ram_mb for p in procs.top_ram if p.name == name and p.ram_mb is not None]


def cpu_seconds(pid: int) -> float:
    times = psutil.Process(pid).cpu_times()
    return times.user + times.system


def test_busy_children_are_found_with_their_share_of_the_machine(spawn, reader):
    burners = [spawn("nocburn", BURN), spawn("nocburn", BURN)]
    idle = spawn("nocidle", IDLE)
    source = everything(reader)
    start = {b.pid: cpu_seconds(b.pid) for b in burners}
    t0 = time.monotonic()
    first = source.read_sync()
    assert first.top_cpu is None  # nothing to measure against yet: unknown, not 0
    assert len(ram_of(first, "nocburn")) == 2 and len(ram_of(first, "nocidle")) == 1
    time.sleep(0.6)
    second = source.read_sync()
    elapsed = time.monotonic() - t0
    # What psutil says the two used over about the same time, as a share of all cores.
    used = sum(cpu_seconds(b.pid) - start[b.pid] for b in burners)
    expected = used / elapsed / (psutil.cpu_count() or 1) * 100
    found = cpu_of(second, "nocburn")
    assert len(found) == 2 and all(0 < c <= 100 for c in found)
    assert sum(found) == pytest.approx(expected, rel=0.3, abs=3)
    assert cpu_of(second, "nocidle") == [pytest.approx(0, abs=1)]
    # Busiest first; resident memory as psutil reads it.
    assert [p.cpu_percent for p in second.top_cpu] == sorted(
        (p.cpu_percent for p in second.top_cpu), reverse=True
    )
    rss = psutil.Process(idle.pid).memory_info().rss / 2**20
    assert ram_of(second, "nocidle") == [pytest.approx(rss, rel=0.2)]


def test_the_default_lists_are_the_busiest_three_and_largest_two(spawn, reader):
    spawn("nocburn", BURN)
    source = ProcessSource(reader=reader())
    source.read_sync()
    time.sleep(0.3)
    procs = source.read_sync()
    assert procs.top_cpu is not None and len(procs.top_cpu) == 3
    assert procs.top_ram is not None and len(procs.top_ram) == 2
    everyone = everything(reader)
    everyone.read_sync()
    largest = everyone.read_sync().top_ram
    assert largest is not None and procs.top_ram[0].ram_mb >= largest[2].ram_mb


def test_exited_processes_leave_and_new_ones_join(spawn, reader):
    gone = spawn("nocgone", IDLE)
    source = everything(reader)
    source.read_sync()
    assert gone.pid in source._last
    gone.kill()
    gone.wait()
    spawn("nocnew", IDLE)
    procs = source.read_sync()
    assert gone.pid not in source._last  # forgotten with it (its Process too)
    assert gone.pid not in getattr(source._reader, "procs", {})
    assert ram_of(procs, "nocgone") == [] and cpu_of(procs, "nocgone") == []
    assert len(ram_of(procs, "nocnew")) == 1
    assert cpu_of(procs, "nocnew") == []  # new since the last scan: no share measured yet
    time.sleep(0.1)
    assert len(cpu_of(source.read_sync(), "nocnew")) == 1


def test_psutil_process_objects_serve_every_scan(spawn):
    child = spawn("nocidle", IDLE)
    source = everything(PsutilReader)
    source.read_sync()
    kept = source._reader.procs[child.pid][0]
    source.read_sync()
    assert source._reader.procs[child.pid][0] is kept


def test_a_refused_reading_leaves_that_process_out_of_that_list(spawn, monkeypatch):
    child = spawn("nocdenied", IDLE)
    source = everything(PsutilReader)
    source.read_sync()
    real = psutil.Process.memory_info

    def memory_info(self: psutil.Process):
        if self.pid == child.pid:
            raise psutil.AccessDenied(self.pid)
        return real(self)

    monkeypatch.setattr(psutil.Process, "memory_info", memory_info)
    time.sleep(0.05)
    procs = source.read_sync()
    assert ram_of(procs, "nocdenied") == []  # unknown, not ranked as 0 MB
    assert len(cpu_of(procs, "nocdenied")) == 1


def test_a_reused_pid_gets_no_share_from_the_old_process(spawn, reader):
    child = spawn("nocreused", IDLE)
    source = everything(reader)
    source.read_sync()
    last = source._last[child.pid]
    source._last[child.pid] = last._replace(start=last.start - 1)  # another process had it
    procs = source.read_sync()
    assert cpu_of(procs, "nocreused") == []
    assert len(ram_of(procs, "nocreused")) == 1


def test_psutil_less_cpu_time_than_before_is_a_new_process(spawn, monkeypatch):
    child = spawn("nocreused", IDLE)
    source = everything(PsutilReader)
    source.read_sync()
    first, _ = source._reader.procs[child.pid]
    source._reader.procs[child.pid] = (first, 1000.0)  # the old process had used far more
    source._last[child.pid] = source._last[child.pid]._replace(cpu_seconds=1000.0)
    procs = source.read_sync()
    assert cpu_of(procs, "nocreused") == []
    assert source._reader.procs[child.pid][0] is not first  # a Process of its own
    assert len(ram_of(procs, "nocreused")) == 1


def write_stat(root: Path, pid: int, comm: str, state: str, utime: int, start: int, rss: int):
    """A /proc/PID/stat line as proc(5) lays it out (52 fields)."""
    fields = [str(pid), f"({comm})", state, "1", str(pid), str(pid), "0", "-1", "4194304"]
    fields += ["100", "0", "0", "0", str(utime), "7", "0", "0", "20", "0", "1", "0", str(start)]
    fields += ["123456789", str(rss)] + ["0"] * 28
    (root / str(pid)).mkdir()
    (root / str(pid) / "stat").write_text(" ".join(fields) + "\n")


def test_proc_stat_fields_are_read_where_proc5_puts_them(tmp_path):
    import os

    write_stat(tmp_path, 42, "tmux: server", "S", utime=250, start=9000, rss=1024)
    write_stat(tmp_path, 43, "a) b (c", "R", utime=0, start=9100, rss=10)  # ")" in the name
    write_stat(tmp_path, 44, "defunct", "Z", utime=5, start=9200, rss=0)  # a zombie: no process
    (tmp_path / "self").mkdir()  # not a PID
    (tmp_path / "45").mkdir()  # gone between the listing and the read: no stat
    samples = sorted(ProcStatReader(str(tmp_path)).sample())
    tick, page = os.sysconf("SC_CLK_TCK"), os.sysconf("SC_PAGE_SIZE")
    assert samples == [
        Sample(42, 9000.0, (250 + 7) / tick, 1024 * page / 2**20),
        Sample(43, 9100.0, 7 / tick, 10 * page / 2**20),
    ]


def test_proc_stat_agrees_with_psutil_on_a_real_process(spawn):
    child = spawn("nocidle", IDLE)
    fast = {s.pid: s for s in ProcStatReader().sample()}[child.pid]
    proc = psutil.Process(child.pid)
    times, rss = proc.cpu_times(), proc.memory_info().rss / 2**20
    assert fast.cpu_seconds == pytest.approx(times.user + times.system, abs=0.02)
    assert fast.rss_mb == pytest.approx(rss, rel=0.05)
    assert ProcStatReader().name(child.pid) == "nocidle"


def test_proc_stat_names_are_psutils_for_every_process_here(spawn):
    """The name from ``stat`` is the one psutil gives, long names (from cmdline) included."""
    spawn("nocidle", IDLE)
    spawn("nocturne-a-long-process-name", IDLE)  # comm keeps 15 characters, cmdline the rest
    reader = ProcStatReader()
    pids = [s.pid for s in reader.sample()]
    assert len(pids) > 3
    names, want = {}, {}
    for pid in pids:
        # psutil's name on both sides of ours: a process here may exec (a new name) or end
        # at any moment, and one that did so between the reads is no evidence either way
        try:
            proc = psutil.Process(pid)
            before = proc.name()
            ours = reader.name(pid)
            after = proc.name()
            alive = proc.is_running()  # the same process (its start time), not a reused PID
        except psutil.NoSuchProcess:  # one that ended during the test
            continue
        if before != after or not alive:
            continue
        names[pid] = ours
        want[pid] = None if not after or after in IDLE_NAMES else display_name(after)
    assert "nocturne-a-long-process-name" in names.values()
    assert len(names) > 3
    assert names == want


def test_proc_stat_names_of_the_odd_ones(tmp_path):
    write_stat(tmp_path, 42, "a) b (c", "S", utime=0, start=1, rss=1)  # ")" in the name
    write_stat(tmp_path, 43, "game.exe", "S", utime=0, start=1, rss=1)  # Wine
    write_stat(tmp_path, 44, "Idle", "S", utime=0, start=1, rss=1)
    write_stat(tmp_path, 45, "", "S", utime=0, start=1, rss=1)
    (tmp_path / "46").mkdir()  # gone: no stat
    reader = ProcStatReader(str(tmp_path))
    assert [reader.name(pid) for pid in (42, 43, 44, 45, 46, 47)] == [
        "a) b (c",
        "game",
        None,
        None,
        None,
        None,
    ]


def test_a_stat_longer_than_one_read_is_read_whole(tmp_path):
    write_stat(tmp_path, 42, "x" * 9000, "S", utime=3, start=77, rss=5)
    [sample] = ProcStatReader(str(tmp_path)).sample()
    assert (sample.pid, sample.start) == (42, 77.0)
