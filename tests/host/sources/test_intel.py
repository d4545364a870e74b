"""Intel i915/xe: busy from DRM clients' fdinfo where readable, else the frequency ratio."""

from __future__ import annotations

import os

import pytest

from nocturne.sources.gpu.intel import FREQ_FEED, IntelGpu
from nocturne.sources.gpu.sysfs import drm_cards

from .conftest import INTEL_IGPU, LAPTOP_BOTH

RENDER_NS = 9288864723  # the fixture's drm-engine-render (the kernel commit's example)


def _intel(root, clock):
    return next(IntelGpu(c, clock) for c in drm_cards(root) if c.driver in ("i915", "xe"))


def _set_render(root, pid: int, fd: int, ns: int, client: int = 7) -> None:
    path = root / "proc" / str(pid) / "fdinfo" / str(fd)
    text = path.read_text()
    lines = [
        f"drm-engine-render:\t{ns} ns"
        if line.startswith("drm-engine-render")
        else f"drm-client-id:\t{client}"
        if line.startswith("drm-client-id")
        else line
        for line in text.splitlines()
    ]
    path.write_text("\n".join(lines) + "\n")


def test_busy_comes_from_the_render_engine_counter_between_two_polls(machine, clock):
    root = machine(INTEL_IGPU)
    gpu = _intel(root, clock)
    first = gpu.read()
    assert first.values.gpu_load is None and "second sample" in first.missing["gpu_load"]
    clock.now += 2.0
    for fd in (9, 10):  # one client open on two fds: counted once
        _set_render(root, 2210, fd, RENDER_NS + 500_000_000)  # 0.5 s busy in 2 s
    second = gpu.read()
    assert second.values.gpu_load == pytest.approx(25.0)
    assert second.feeds["gpu_load"] == "fdinfo engine counters (1 clients)"
    assert (second.name, second.integrated) == ("UHD Graphics", True)
    assert second.extra["clock_mhz"] == 700.0  # gt_act_freq_mhz is already MHz


def test_a_client_that_exits_between_polls_does_not_count(machine, clock):
    root = machine(INTEL_IGPU)
    gpu = _intel(root, clock)
    gpu.read()
    clock.now += 1.0
    for fd in (9, 10):  # the old client is gone; a new one starts with a big counter
        _set_render(root, 2210, fd, 5 * RENDER_NS, client=8)
    assert gpu.read().values.gpu_load == 0.0


def test_without_readable_clients_the_load_is_the_frequency_ratio(machine, clock):
    root = machine(LAPTOP_BOTH)  # no /proc in this tree: no client is readable
    reading = _intel(root, clock).read()
    assert reading.values.gpu_load == pytest.approx(100 * 350 / 1150)
    assert reading.feeds["gpu_load"] == FREQ_FEED
    assert reading.missing["vram_total"] == "shared system memory"


def test_xe_counts_cycles_against_the_gpus_own_clock(machine, clock):
    root = machine(INTEL_IGPU)
    dev = (root / "sys/class/drm/card0/device").resolve()
    os.unlink(dev / "driver")
    os.symlink("../../../bus/pci/drivers/xe", dev / "driver")
    freq = dev / "tile0" / "gt0" / "freq0"
    freq.mkdir(parents=True)
    (freq / "act_freq").write_text("1100\n")
    (freq / "rp0_freq").write_text("2200\n")
    fdinfo = root / "proc/2210/fdinfo/9"

    def xe_info(cycles: int, total: int) -> str:
        return (
            "pos:\t0\nflags:\t02100002\nmnt_id:\t26\nino:\t1160\ndrm-driver:\txe\n"
            "drm-client-id:\t40\ndrm-pdev:\t0000:00:02.0\n"
            f"drm-cycles-rcs:\t{cycles}\ndrm-total-cycles-rcs:\t{total}\n"
        )

    fdinfo.write_text(xe_info(1000, 100000))
    (root / "proc/2210/fdinfo/10").unlink()
    (root / "proc/2210/fd/10").unlink()
    gpu = _intel(root, clock)
    assert gpu.driver == "xe" and gpu.read().extra["clock_mhz"] == 1100.0
    fdinfo.write_text(xe_info(1000 + 40000, 100000 + 100000))
    clock.now += 1.0
    assert gpu.read().values.gpu_load == pytest.approx(40.0)


def test_a_new_client_is_found_by_the_next_walk_of_proc(machine, clock, opened):
    from nocturne.sources.gpu.intel import FULL_SCAN_S

    root = machine(INTEL_IGPU)
    gpu = _intel(root, clock)
    gpu.read()
    os.symlink("/dev/dri/card0", root / "proc/2210/fd/11")
    (root / "proc/2210/fdinfo/11").write_text(
        (root / "proc/2210/fdinfo/9").read_text().replace("drm-client-id:\t7", "drm-client-id:\t9")
    )
    opened.clear()
    clock.now += 1.0
    assert gpu.read().feeds["gpu_load"] == "fdinfo engine counters (1 clients)"
    assert sorted(p.rsplit("/", 1)[1] for p in opened) == ["10", "9", "gt_act_freq_mhz"]
    clock.now += FULL_SCAN_S
    assert gpu.read().feeds["gpu_load"] == "fdinfo engine counters (2 clients)"


def test_a_counter_that_goes_back_counts_nothing_for_that_client(machine, clock):
    root = machine(INTEL_IGPU)
    _set_render(root, 2210, 10, RENDER_NS, client=8)  # two clients, one fd each
    gpu = _intel(root, clock)
    gpu.read()
    clock.now += 1.0
    _set_render(root, 2210, 9, RENDER_NS - 1_000_000_000)  # client 7: a reset
    _set_render(root, 2210, 10, RENDER_NS + 250_000_000, client=8)  # client 8: 0.25 s busy
    assert gpu.read().values.gpu_load == pytest.approx(25.0)
