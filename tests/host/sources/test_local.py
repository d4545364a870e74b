"""LocalSource on this machine, and its hwmon choices on psutil's own result types."""

from __future__ import annotations

import time

import psutil
import pytest

from nocturne.sources.local import (
    CPU_TEMP_CHIPS,
    GPU_TEMP_CHIPS,
    LocalSource,
    chipset_temperature,
    fan_speeds,
    pick_temperature,
)
from nocturne.sources.processes import ProcessSource, display_name

try:  # the types psutil.sensors_* return; their module moved in psutil 7
    from psutil._ntuples import sfan, shwtemp
except ImportError:
    from psutil._common import sfan, shwtemp

# Shaped like psutil.sensors_temperatures() on an Intel desktop with an AMD GPU.
INTEL_AMDGPU = {
    "acpitz": [shwtemp("", 27.8, None, None)],
    "pch_cannonlake": [shwtemp("", 41.0, None, None)],
    "coretemp": [
        shwtemp("Core 0", 45.0, 80.0, 100.0),
        shwtemp("Package id 0", 47.0, 80.0, 100.0),
    ],
    "amdgpu": [
        shwtemp("edge", 38.0, 100.0, 110.0),
        shwtemp("junction", 44.0, 110.0, 115.0),
        shwtemp("mem", 46.0, 100.0, 105.0),
    ],
    "nvme": [shwtemp("Composite", 33.9, 84.8, 84.8)],
}
# A Ryzen: k10temp lists Tctl and Tdie (Zen 1 adds an offset to Tctl).
RYZEN = {"k10temp": [shwtemp("Tctl", 60.0, None, None), shwtemp("Tdie", 50.0, None, None)]}


def test_cpu_and_gpu_temperatures_from_hwmon():
    assert pick_temperature(INTEL_AMDGPU, CPU_TEMP_CHIPS) == 47.0
    assert pick_temperature(INTEL_AMDGPU, GPU_TEMP_CHIPS) == 38.0
    assert pick_temperature(RYZEN, CPU_TEMP_CHIPS) == 50.0
    assert chipset_temperature(INTEL_AMDGPU) == 41.0


def test_no_cpu_sensor_is_unknown_not_another_reading():
    only_disk_and_acpi = {k: INTEL_AMDGPU[k] for k in ("acpitz", "nvme")}
    assert pick_temperature(only_disk_and_acpi, CPU_TEMP_CHIPS) is None
    assert pick_temperature({}, GPU_TEMP_CHIPS) is None
    assert chipset_temperature({}) is None


def test_fans_cpu_first_then_spinning_system_fans():
    fans = {
        "nct6798": [
            sfan("", 0),  # not connected
            sfan("", 812),
            sfan("CPU Fan", 1204),
            sfan("", 640),
            sfan("", 700),
        ]
    }
    assert fan_speeds(fans) == (1204.0, 812.0, 640.0)
    assert fan_speeds({"thinkpad": [sfan("", 2900)]}) == (2900.0, None, None)
    assert fan_speeds({}) == (None, None, None)


def test_local_source_reads_this_machine():
    source = LocalSource()
    first = source.read_sync()
    assert first.net_down is None  # a rate needs two samples
    time.sleep(0.3)
    second = source.read_sync()
    mem = psutil.virtual_memory()
    assert second.ram_total == pytest.approx(mem.total / 1024**3)
    assert 0 < second.ram_used < second.ram_total
    assert second.cpu_load is not None and 0 <= second.cpu_load <= 100
    assert second.net_down is not None and second.net_down >= 0
    assert second.sys_disk_usage == pytest.approx(psutil.disk_usage("/").percent, abs=1)
    assert second.cpu_power is None  # psutil cannot know; never a made-up 0


def test_rates_follow_the_counters(monkeypatch):
    now = [100.0]
    source = LocalSource(clock=lambda: now[0])
    counters = iter([(1000, 2000, 0, 0), (1000 + 2048 * 2, 2000 + 1024, 4096, 0)])

    def fake_counters(self):
        recv, sent, read, write = next(counters)
        from nocturne.sources.local import _Counters

        return _Counters(now[0], recv, sent, read, write)

    monkeypatch.setattr(LocalSource, "_counters", fake_counters)
    assert source.read_sync().net_down is None
    now[0] += 2.0
    hw = source.read_sync()
    assert (hw.net_down, hw.net_up, hw.disk_read, hw.disk_write) == (2.0, 0.5, 2.0, 0.0)


def test_process_scan_finds_this_process():
    source = ProcessSource()
    first = source.read_sync()
    assert first.top_cpu is None  # CPU use needs a second scan
    assert len(first.top_ram) == 2
    burn_until = time.monotonic() + 0.3
    while time.monotonic() < burn_until:
        pass
    second = source.read_sync()
    assert second.top_cpu is not None and len(second.top_cpu) == 3
    assert all(p.cpu_percent is not None and p.cpu_percent >= 0 for p in second.top_cpu)
    assert second.top_cpu[0].cpu_percent >= second.top_cpu[-1].cpu_percent


def test_display_name():
    assert display_name("chrome.exe") == "chrome"
    assert display_name("Discord.EXE") == "Discord"
    assert display_name("python3") == "python3"


def test_fields_another_source_has_are_not_read():
    source = LocalSource()
    time.sleep(0.2)
    skip = frozenset({"cpu_load", "cpu_clock", "ram_total", "ram_used", "cpu_temp", "cpu_fan"})
    source.read_sync(skip)
    time.sleep(0.1)
    hw = source.read_sync(skip)
    assert (hw.cpu_load, hw.cpu_clock, hw.ram_total, hw.ram_used) == (None, None, None, None)
    assert hw.net_down is not None and hw.sys_disk_usage is not None  # psutil's own, always
