"""The NIC and disk byte counters: /proc read directly gives psutil's numbers, step by step."""

from __future__ import annotations

import os
from pathlib import Path

import psutil
import pytest

from nocturne.sources.io_counters import IoCounters, ProcCounters, PsutilCounters

pytestmark = pytest.mark.skipif(not psutil.LINUX, reason="/proc/net/dev and /proc/diskstats")

NET_HEAD = (
    "Inter-|   Receive                                                |  Transmit\n"
    " face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs"
    " drop fifo colls carrier compressed\n"
)


def net_dev(nics: dict[str, tuple[int, int]]) -> str:
    lines = [
        f"{nic:>6}: {recv} 10 0 0 0 0 0 0 {sent} 20 0 0 0 0 0 0\n"
        for nic, (recv, sent) in nics.items()
    ]
    return NET_HEAD + "".join(lines)


def diskstats(disks: dict[str, tuple[int, int]], style: int = 20) -> str:
    """Lines of ``style`` fields: 14 (2.6), 18 (4.18), 20 (5.5), 7 (a 2.6 partition)."""
    out = []
    for i, (name, (read, written)) in enumerate(disks.items()):
        if style == 7:
            out.append(f"   8 {i} {name} 5 {read} 6 {written}\n")
            continue
        extra = " 0" * (style - 14)
        out.append(f"   8 {i} {name} 5 1 {read} 9 6 2 {written} 8 0 7 3{extra}\n")
    return "".join(out)


@pytest.fixture
def fake_proc(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """write(nics, disks, style) puts /proc/net/dev and /proc/diskstats under tmp_path, where
    psutil reads them too (PROCFS_PATH); its wrap memory starts empty."""
    (tmp_path / "net").mkdir()
    monkeypatch.setattr(psutil, "PROCFS_PATH", str(tmp_path))
    psutil.net_io_counters.cache_clear()
    psutil.disk_io_counters.cache_clear()

    def write(nics, disks, style=20):
        (tmp_path / "net" / "dev").write_text(net_dev(nics))
        (tmp_path / "diskstats").write_text(diskstats(disks, style))

    yield write
    psutil.net_io_counters.cache_clear()
    psutil.disk_io_counters.cache_clear()


def real_disks() -> list[str]:
    """Whole-disk names of this machine (psutil asks /sys/block, whatever PROCFS_PATH says)."""
    names = sorted(n for n in os.listdir("/sys/block") if "!" not in n)
    if len(names) < 2:
        pytest.skip("needs two block devices in /sys/block")
    return names[:2]


def test_every_step_gives_psutils_sums_wraps_and_devices_coming_and_going(fake_proc):
    a, b = real_disks()
    steps = [
        ({"lo": (999, 999), "eth0": (100, 50)}, {a: (10, 20), f"{a}1": (7, 7), b: (1, 1)}),
        ({"lo": (5, 5), "eth0": (300, 80), "wlan0": (9, 9)}, {a: (15, 30), b: (2, 2)}),
        ({"eth0": (40, 90), "wlan0": (19, 3)}, {a: (3, 31), b: (4, 2)}),  # some wrap
        ({"eth0": (60, 95), "wlan0": (25, 8)}, {a: (6, 40), b: (5, 3)}),
        ({"eth0": (10, 100)}, {a: (9, 41)}),  # wlan0 and b gone, eth0 wraps again
        ({"eth0": (20, 110), "wlan0": (1, 1)}, {a: (12, 42), b: (1, 1)}),  # back from 0
        ({"eth0": (30, 120), "wlan0": (2, 2)}, {}),  # no disk at all; wlan0 counts anew
        ({"eth0": (35, 125), "wlan0": (3, 3)}, {a: (1, 50)}),
    ]
    ours = ProcCounters(proc_path=psutil.PROCFS_PATH)
    seen = []
    for nics, disks in steps:
        fake_proc(nics, disks)
        got, want = ours.read(), PsutilCounters().read()
        assert got == want
        seen.append(got)
    assert seen[2].net_recv == 40 + 300 + 19  # eth0 went from 300 to 40: it wrapped
    # eth0 wrapped again (60 to 10); wlan0's wrap (sent 9 to 3) went when it did
    assert seen[6] == IoCounters(30 + 300 + 60 + 2, 120 + 2, None, None)
    assert seen[7].net_sent == 125 + 3


@pytest.mark.parametrize("style", [14, 18, 20, 7])
def test_each_diskstats_layout_reads_as_psutil_reads_it(fake_proc, style):
    a, b = real_disks()
    fake_proc({"eth0": (1, 2)}, {a: (100, 200), b: (3, 4), f"{a}p1": (50, 50)}, style)
    got = ProcCounters(proc_path=psutil.PROCFS_PATH).read()
    assert got == PsutilCounters().read()
    assert (got.disk_read, got.disk_write) == (103 * 512, 204 * 512)


def test_a_device_with_a_slash_is_found_under_its_sysfs_name(tmp_path):
    (tmp_path / "net").mkdir()
    (tmp_path / "net" / "dev").write_text(net_dev({"eth0": (1, 1)}))
    (tmp_path / "diskstats").write_text(diskstats({"cciss/c0d0": (8, 9), "cciss/c0d0p1": (1, 1)}))
    block = tmp_path / "block"
    block.mkdir()
    (block / "cciss!c0d0").mkdir()
    got = ProcCounters(proc_path=str(tmp_path), sys_block=str(block)).read()
    assert got == IoCounters(1, 1, 8 * 512, 9 * 512)


def test_a_line_psutil_would_not_read_is_an_error(tmp_path):
    (tmp_path / "net").mkdir()
    (tmp_path / "net" / "dev").write_text(NET_HEAD + "  eth0: 1 2 3 4 5 6 7 8 9 10 11 12\n")
    (tmp_path / "diskstats").write_text("")
    with pytest.raises(ValueError, match="/proc/net/dev"):
        ProcCounters(proc_path=str(tmp_path)).read()


def test_this_machine_agrees_with_psutil():
    """Counters only grow, so ours, read between two psutil reads, lies between them: no retry
    needed however busy the machine is (an equality of two reads taken apart in time was
    flaky under load)."""
    psutil.net_io_counters.cache_clear()
    psutil.disk_io_counters.cache_clear()
    before = PsutilCounters().read()
    ours = ProcCounters().read()
    after = PsutilCounters().read()
    for name in ("net_recv", "net_sent", "disk_read", "disk_write"):
        low, mid, high = (getattr(c, name) for c in (before, ours, after))
        assert (low is None) == (mid is None) == (high is None), name
        if mid is not None:
            assert low <= mid <= high, f"{name}: psutil {low}..{high}, ours {mid}"
