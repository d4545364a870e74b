"""The LHM/OHM ``data.json`` parser and mapper on every real capture in tests/fixtures/lhm: the
hand-checked table of every field, and the sensors list.

Expected values were read off the JSON files by hand (see SOURCES.md for each file's traps),
not copied from the parser's output.
"""

from __future__ import annotations

import dataclasses

import pytest

from nocturne.snapshot import HARDWARE_FIELDS
from nocturne.sources.lhm.model import Sensor, new_sensor

from .lhm_captures import (
    I3_4160,
    I5_4590_LHM,
    I5_4590_OHM,
    I5_8300H,
    I7_11800H,
    LHM_DIR,
    R7_096,
    R7_097,
    R7_9070,
    R9_5900X,
    _parse,
    _sensor,
)

# --- the hand-checked table ------------------------------------------------------------------
#
# Every Hardware field for every capture. None = the capture does not have it. Sums and means
# are written out as arithmetic on the displayed values; MB -> GB is / 1024 (LHM's MB/GB are
# binary). net_*/disk_read/disk_write are never mapped from LHM.

_NOT_FROM_LHM = {"net_down": None, "net_up": None, "disk_read": None, "disk_write": None}

EXPECTED: dict[str, dict[str, float | None]] = {
    R7_096: {
        "cpu_temp": 54.1,  # "Core (Tctl/Tdie)" (not "Package" 49.4, not board "CPU" 54.0)
        "cpu_load": 8.3,
        "cpu_power": 42.0,  # "Package" (not "CPU PPT" 41.9)
        "cpu_clock": 4474.0,  # "Cores (Average)"
        "gpu_temp": 44.0,
        "gpu_hotspot": 52.2,
        "gpu_load": 50.0,
        "gpu_mem_load": 14.0,
        "gpu_fan": 1102.0,  # "GPU Fan 1"
        "vram_used": 733.0 / 1024,
        "vram_total": 16376.0 / 1024,
        "ram_used": 10.2,  # /ram, not /vram "Virtual Memory" 20.9
        "ram_total": 10.2 + 21.4,
        "sys_disk_usage": 46.7,
        "data_disk_usage": None,  # one disk only
        "cpu_fan": 1008.0,  # "CPU Fan" (not "Pump Fan" 2734)
        "sys_fan1": 1024.0,
        "sys_fan2": 1012.0,
        "chipset_temp": 38.5,  # "PCH"
        **_NOT_FROM_LHM,
    },
    R7_097: {
        "cpu_temp": 55.9,
        "cpu_load": 9.0,
        "cpu_power": 41.4,
        "cpu_clock": 4463.0,
        "gpu_temp": 46.0,
        "gpu_hotspot": 54.7,
        "gpu_load": 50.0,
        "gpu_mem_load": 14.0,
        "gpu_fan": 1102.0,
        "vram_used": 10.4,  # Type Data, displayed "10,4 GB" (raw 11133132800 bytes)
        "vram_total": 16.0,
        "ram_used": 10.4,
        "ram_total": 10.4 + 21.2,
        "sys_disk_usage": 46.7,
        "data_disk_usage": None,
        "cpu_fan": 1008.0,
        "sys_fan1": 1024.0,
        "sys_fan2": 1012.0,
        "chipset_temp": 42.0,
        **_NOT_FROM_LHM,
    },
    R7_9070: {
        "cpu_temp": 58.5,  # the only CPU temperature: "CPU Package"
        "cpu_load": 1.6,
        "cpu_power": 23.2,
        "cpu_clock": (7 * 3233.3 + 4850.0) / 8,  # mean of 8 "CPU Core #n"
        "gpu_temp": 41.0,  # RX 9070 XT, not the empty "AMD Radeon Graphics" before it
        "gpu_hotspot": 44.0,
        "gpu_load": 1.0,
        "gpu_mem_load": None,  # only "GPU Memory" load (occupancy), no controller load
        "gpu_fan": 0.0,  # zero-RPM idle: a real reading
        "vram_used": None,
        "vram_total": None,
        "ram_used": 31.7,
        "ram_total": 31.7 + 31.4,
        "sys_disk_usage": 77.7,
        "data_disk_usage": 86.1,
        "cpu_fan": None,  # mainboard without SuperIO
        "sys_fan1": None,
        "sys_fan2": None,
        "chipset_temp": None,
        **_NOT_FROM_LHM,
    },
    R9_5900X: {
        "cpu_temp": 63.4,  # "CPU Package"
        "cpu_load": 5.2,
        "cpu_power": 74.6,
        "cpu_clock": (5 * 4800.1 + 3840.1 + 6 * 3675.1) / 12,
        "gpu_temp": 42.0,
        "gpu_hotspot": None,
        "gpu_load": 34.0,
        "gpu_mem_load": 10.0,  # OHM "GPU Frame Buffer"
        "gpu_fan": 919.0,  # OHM fan named just "GPU"
        "vram_used": 1607.2 / 1024,
        "vram_total": 10240.0 / 1024,
        "ram_used": 11.4,  # OHM "Used Memory"
        "ram_total": 11.4 + 20.5,
        "sys_disk_usage": 80.0,
        "data_disk_usage": 33.4,
        "cpu_fan": None,  # "Fan #1/#2/#6": no name says CPU
        "sys_fan1": 1450.0,
        "sys_fan2": 2381.0,
        "chipset_temp": None,  # "Temperature #6" -2.0 °C is bogus anyway
        **_NOT_FROM_LHM,
    },
    I3_4160: {
        "cpu_temp": 75.0,  # "CPU Package" (board "CPU Core" 65.5 is only a fallback)
        "cpu_load": 34.2,
        "cpu_power": 26.4,
        "cpu_clock": 3591.7,
        "gpu_temp": 80.0,
        "gpu_hotspot": 80.0,
        "gpu_load": 100.0,
        "gpu_mem_load": None,
        "gpu_fan": 757.0,
        "vram_used": None,
        "vram_total": None,
        "ram_used": 3.9,
        "ram_total": 3.9 + 20.1,
        "sys_disk_usage": 73.5,
        "data_disk_usage": 51.5,
        "cpu_fan": None,
        "sys_fan1": 1223.0,
        "sys_fan2": 1420.0,
        "chipset_temp": None,
        **_NOT_FROM_LHM,
    },
    I5_4590_LHM: {
        "cpu_temp": 47.0,
        "cpu_load": 42.2,
        "cpu_power": 28.5,
        "cpu_clock": 3500.0,
        "gpu_temp": 44.0,
        "gpu_hotspot": None,
        "gpu_load": 14.0,
        "gpu_mem_load": 20.0,
        "gpu_fan": 0.0,
        "vram_used": 880.7 / 1024,
        "vram_total": 2048.0 / 1024,
        "ram_used": 6.5,  # not "Virtual Memory Used" 13.2 in the same node
        "ram_total": 6.5 + 1.3,
        "sys_disk_usage": 86.8,  # /ssd/0
        "data_disk_usage": 83.2,  # /hdd/1
        "cpu_fan": None,
        "sys_fan1": 901.0,
        "sys_fan2": 861.0,
        "chipset_temp": None,
        **_NOT_FROM_LHM,
    },
    I5_4590_OHM: {
        "cpu_temp": 39.0,
        "cpu_load": 35.5,
        "cpu_power": 30.2,
        "cpu_clock": 1500.0,
        "gpu_temp": 40.0,
        "gpu_hotspot": None,
        "gpu_load": 20.0,
        "gpu_mem_load": 24.0,  # "GPU Frame Buffer"
        "gpu_fan": 0.0,
        "vram_used": 975.9 / 1024,
        "vram_total": 2048.0 / 1024,
        "ram_used": 5.8,
        "ram_total": 5.8 + 2.0,
        "sys_disk_usage": 91.2,
        "data_disk_usage": 83.2,
        "cpu_fan": None,
        "sys_fan1": 683.0,
        "sys_fan2": 759.0,
        "chipset_temp": None,
        **_NOT_FROM_LHM,
    },
    I5_8300H: {
        "cpu_temp": 80.0,  # "CPU Package" (listed before "Core Max" 80.0 here)
        "cpu_load": 21.5,
        "cpu_power": 34.6,
        "cpu_clock": 3906.8,
        "gpu_temp": None,  # sleeping dGPU: "0,0 °C"
        "gpu_hotspot": None,
        "gpu_load": 0.0,
        "gpu_mem_load": 0.0,
        "gpu_fan": None,
        "vram_used": 78.0 / 1024,
        "vram_total": 4096.0 / 1024,
        "ram_used": None,  # no memory node
        "ram_total": None,
        "sys_disk_usage": 87.9,  # first disk in tree order: the HDD
        "data_disk_usage": 62.5,
        "cpu_fan": None,  # no mainboard node
        "sys_fan1": None,
        "sys_fan2": None,
        "chipset_temp": None,
        **_NOT_FROM_LHM,
    },
    I7_11800H: {
        "cpu_temp": 63.0,  # "CPU Package", although "Core Max" 64.0 is listed first
        "cpu_load": 8.0,
        "cpu_power": 25.2,
        "cpu_clock": (5 * 4207.3 + 4407.6 + 2103.7 + 4307.5) / 8,
        "gpu_temp": 43.0,  # RTX 3070 Laptop, not the Intel UHD
        "gpu_hotspot": 49.9,
        "gpu_load": 3.0,
        "gpu_mem_load": 1.0,
        "gpu_fan": None,  # no fan sensors anywhere
        "vram_used": 2468.0 / 1024,
        "vram_total": 8192.0 / 1024,
        "ram_used": 19.6,
        "ram_total": 19.6 + 11.9,
        "sys_disk_usage": 57.9,
        "data_disk_usage": 77.5,
        "cpu_fan": None,  # mainboard Children: []
        "sys_fan1": None,
        "sys_fan2": None,
        "chipset_temp": None,
        **_NOT_FROM_LHM,
    },
}

EXPECTED_CHOSEN: dict[str, dict[str, str]] = {
    R7_096: {
        "cpu_temp": "/amdcpu/0/temperature/2",
        "cpu_clock": "/amdcpu/0/clock/1",
        "gpu_load": "/gpu-nvidia/0/load/0",
        "gpu_temp": "/gpu-nvidia/0/temperature/0",
        "ram_used": "/ram/data/0",
        "vram_used": "/gpu-nvidia/0/smalldata/1",
        "cpu_fan": "/lpc/nct6687d/0/fan/0",
        "chipset_temp": "/lpc/nct6687d/0/temperature/3",
    },
    R7_097: {
        "vram_used": "/gpu-nvidia/0/data/1",
        "vram_total": "/gpu-nvidia/0/data/2",
        "ram_used": "/ram/data/0",
        "sys_fan2": "/lpc/nct6687d/0/fan/3",
    },
    R7_9070: {
        "cpu_temp": "/ohm/cpu/0/temperature/0",
        "gpu_temp": "/ohm/gpu/1/temperature/0",  # gpu/0 is the empty iGPU node
        "gpu_load": "/ohm/gpu/1/load/0",
        "data_disk_usage": "/ohm/disk/1/load/0",
    },
    R9_5900X: {
        "gpu_mem_load": "/ohm/gpu/0/load/1",
        "sys_fan1": "/ohm/board/1/fan/0",  # board/0 is the mainboard, board/1 the NCT6797D
        "vram_used": "/ohm/gpu/0/smalldata/1",
    },
    I3_4160: {
        "cpu_temp": "/ohm/cpu/0/temperature/2",
        "gpu_hotspot": "/ohm/gpu/0/temperature/6",
    },
    I5_4590_LHM: {
        "sys_disk_usage": "/ssd/0/load/0",
        "data_disk_usage": "/hdd/1/load/0",
        "sys_fan1": "/lpc/it8620e/fan/0",
    },
    I5_4590_OHM: {"ram_used": "/ohm/ram/0/data/0", "gpu_mem_load": "/ohm/gpu/0/load/1"},
    I5_8300H: {"cpu_temp": "/intelcpu/0/temperature/4", "vram_total": "/gpu-nvidia/0/smalldata/3"},
    I7_11800H: {
        "cpu_temp": "/intelcpu/0/temperature/10",
        "gpu_load": "/gpu-nvidia/0/load/0",
        "ram_used": "/ram/data/0",
        "data_disk_usage": "/nvme/1/load/0",
    },
}


def test_every_capture_has_a_table_entry() -> None:
    assert sorted(EXPECTED) == sorted(p.name for p in LHM_DIR.glob("*.json"))
    for name, row in EXPECTED.items():
        assert sorted(row) == sorted(HARDWARE_FIELDS), name


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_capture_maps_to_hand_checked_values(name: str) -> None:
    reading = _parse(name)
    got = dataclasses.asdict(reading.hardware)
    for field, want in EXPECTED[name].items():
        if want is None:
            assert got[field] is None, field
        else:
            assert got[field] == pytest.approx(want, abs=1e-9), field
    # chosen names exactly the fields that have a value, each an existing sensor id
    ids = {s.id for s in reading.sensors}
    assert set(reading.chosen) == set(reading.hardware.known())
    assert set(reading.chosen.values()) <= ids
    for field, parts in reading.derived.items():
        assert reading.chosen[field] == parts[0]
        assert set(parts) <= ids


@pytest.mark.parametrize("name", sorted(EXPECTED_CHOSEN))
def test_capture_chosen_ids(name: str) -> None:
    chosen = _parse(name).chosen
    for field, sensor_id in EXPECTED_CHOSEN[name].items():
        assert chosen[field] == sensor_id, field


def test_derived_fields_list_their_parts() -> None:
    reading = _parse(R7_096)
    assert reading.derived["ram_total"] == ("/ram/data/0", "/ram/data/1")
    assert "cpu_clock" not in reading.derived  # "Cores (Average)" is a single sensor
    laptop = _parse(I7_11800H)
    assert laptop.derived["cpu_clock"] == tuple(f"/intelcpu/0/clock/{n}" for n in range(1, 9))


# --- sensors list --------------------------------------------------------------------------


def test_sensors_in_tree_order_with_kinds_and_units() -> None:
    reading = _parse(R7_096)
    first = reading.sensors[0]
    assert first == Sensor(
        "/lpc/nct6687d/0/voltage/0", "+12V", "Nuvoton NCT6687D", "board", "Voltage", 12.072, "V"
    )
    tctl = _sensor(reading, "/amdcpu/0/temperature/2")
    assert (tctl.name, tctl.kind, tctl.type, tctl.value, tctl.unit) == (
        "Core (Tctl/Tdie)",
        "cpu",
        "Temperature",
        54.1,
        "°C",
    )
    assert reading.sensors[-1].id == "/usbhid/0C70/F00D/26386-20527/flow/0"
    assert reading.sensors[-1].unit == "L/h"
    kinds = {s.hardware: s.kind for s in reading.sensors}
    assert kinds["Virtual Memory"] == "vram"
    assert kinds["Total Memory"] == "ram"
    assert kinds["Corsair - CMH32GX5M2B6000Z30 (#1)"] == "memory-dimm"
    assert kinds["Samsung SSD 990 EVO Plus 2TB"] == "disk"
    assert kinds["Ethernet"] == "nic"
    assert kinds["QUADRO"] == "other"
    assert reading.version is None


def test_sensor_values_none_for_dash_and_factor_values_unitless() -> None:
    reading = _parse(R7_096)
    dash = _sensor(reading, "/usbhid/0C70/F00D/26386-20527/temperature/1")
    assert (dash.value, dash.unit) == (None, "")
    factor = _sensor(reading, "/nvme/0/factor/23")  # "389,000": decimal comma, not 389000
    assert (factor.value, factor.unit, factor.type) == (389.0, "", "Factor")
    controls = [s for s in _parse(I5_4590_LHM).sensors if s.type == "Control"]
    assert [s.value for s in controls if s.kind == "board"] == [None, None, None]


def test_new_sensor_is_a_real_frozen_sensor() -> None:
    a = new_sensor("/x/0", "n", "hw", "cpu", "Load", 1.5, "%")
    b = Sensor("/x/0", "n", "hw", "cpu", "Load", 1.5, "%")
    assert type(a) is Sensor and a == b and hash(a) == hash(b) and repr(a) == repr(b)
    with pytest.raises(dataclasses.FrozenInstanceError):
        a.value = 2.0  # type: ignore[misc]
