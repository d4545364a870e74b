"""The LHM/OHM ``data.json`` parser and mapper, on every real capture in tests/fixtures/lhm.

Expected values were read off the JSON files by hand (see SOURCES.md for each file's traps),
not copied from the parser's output.
"""

from __future__ import annotations

import copy
import dataclasses
import gc
import json
import random
from pathlib import Path
from typing import Any

import pytest

from nocturne.snapshot import HARDWARE_FIELDS, Hardware
from nocturne.sources.lhm import parser
from nocturne.sources.lhm.model import LhmFormatError, LhmReading, Sensor, new_sensor
from nocturne.sources.lhm.parser import parse_data_json, parse_tree
from nocturne.sources.lhm.values import parse_value as _parse_value

LHM_DIR = Path(__file__).resolve().parent.parent.parent / "fixtures" / "lhm"

R7_096 = "amd-r7-7800x3d_rtx4080super_nct6687d_lhm-0.9.6_comma.json"
R7_097 = "amd-r7-7800x3d_rtx4080super_nct6687d_lhm-0.9.7-nightly_comma_raw-numbers.json"
R7_9070 = "amd-r7-7800x3d_rx9070xt_ohm_comma_no-sensorid.json"
R9_5900X = "amd-r9-5900x_rtx3080_x570-nct6797d_ohm_dot.json"
I3_4160 = "intel-i3-4160_rx580_nct6791d_ohm_dot.json"
I5_4590_LHM = "intel-i5-4590_gtx950_it8620e_lhm-2020_comma.json"
I5_4590_OHM = "intel-i5-4590_gtx950_it8620e_ohm_comma.json"
I5_8300H = "intel-i5-8300h_gtx1050ti-laptop_lhm-2020_comma.json"
I7_11800H = "intel-i7-11800h_rtx3070-laptop_uhd-igpu_battery_lhm.json"


def _raw(name: str) -> bytes:
    return (LHM_DIR / name).read_bytes()


def _parse(name: str, overrides: dict[str, str] | None = None) -> LhmReading:
    return parse_data_json(_raw(name), overrides)


def _sensor(reading: LhmReading, sensor_id: str) -> Sensor:
    return next(s for s in reading.sensors if s.id == sensor_id)


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


# --- traps ---------------------------------------------------------------------------------


def test_virtual_memory_is_not_ram() -> None:
    for name in (R7_096, R7_097):
        reading = _parse(name)
        assert reading.chosen["ram_used"] == "/ram/data/0"
        vram_node = [s for s in reading.sensors if s.id.startswith("/vram/")]
        assert [s.name for s in vram_node] == ["Memory", "Memory Used", "Memory Available"]
        assert all(s.kind == "vram" for s in vram_node)
    old = _parse(I7_11800H)  # virtual memory inside the /ram node itself
    assert _sensor(old, "/ram/data/2").name == "Virtual Memory Used"
    assert old.hardware.ram_used == 19.6


def test_gpu_core_clock_temp_and_load_are_told_apart() -> None:
    reading = _parse(R7_096)
    core = [s for s in reading.sensors if s.name == "GPU Core"]
    assert [(s.type, s.value) for s in core] == [
        ("Clock", 2895.0),
        ("Temperature", 44.0),
        ("Load", 50.0),
    ]
    hw = reading.hardware
    assert (hw.gpu_temp, hw.gpu_load) == (44.0, 50.0)


def _without(tree: dict[str, Any], *texts: str) -> dict[str, Any]:
    tree = copy.deepcopy(tree)
    computer = tree["Children"][0]
    computer["Children"] = [n for n in computer["Children"] if n["Text"] not in texts]
    return tree


def test_discrete_gpu_wins_over_integrated_in_any_order() -> None:
    tree = json.loads(_raw(I7_11800H))
    nodes = tree["Children"][0]["Children"]
    names = [n["Text"] for n in nodes]
    i_nv, i_uhd = (
        names.index("NVIDIA GeForce RTX 3070 Laptop GPU"),
        names.index("Intel(R) UHD Graphics"),
    )
    assert i_nv < i_uhd
    nodes[i_nv], nodes[i_uhd] = nodes[i_uhd], nodes[i_nv]  # iGPU first now
    reading = parse_tree(tree)
    assert reading.chosen["gpu_temp"] == "/gpu-nvidia/0/temperature/0"
    assert reading.hardware.gpu_load == 3.0
    uhd = [s for s in reading.sensors if s.hardware == "Intel(R) UHD Graphics"]
    assert uhd and all(s.kind == "gpu" for s in uhd)
    assert uhd[0].id.startswith("/gpu-intel-integrated/%5C%5C%3F%5CPCI%23VEN_8086")


def test_integrated_gpu_alone_gives_load_but_no_temperature() -> None:
    tree = _without(json.loads(_raw(I7_11800H)), "NVIDIA GeForce RTX 3070 Laptop GPU")
    hw = parse_tree(tree).hardware
    assert hw.gpu_load == 1.6  # "D3D 3D": all an Intel iGPU offers
    assert hw.gpu_temp is None and hw.gpu_hotspot is None and hw.gpu_fan is None
    assert hw.vram_used is None  # shared memory is not VRAM


def test_empty_gpu_node_never_wins() -> None:
    reading = _parse(R7_9070)
    empty = [s for s in reading.sensors if s.hardware == "AMD Radeon Graphics"]
    assert empty == []
    assert {s.hardware for s in reading.sensors if s.id == reading.chosen["gpu_temp"]} == {
        "AMD Radeon RX 9070 XT"
    }


def test_no_gpu_temperature_means_no_gpu_temp() -> None:
    """Never a battery, board or disk temperature in the GPU's place."""
    tree = json.loads(_raw(I7_11800H))
    tree = _without(tree, "NVIDIA GeForce RTX 3070 Laptop GPU", "Intel(R) UHD Graphics")
    hw = parse_tree(tree).hardware
    assert hw.gpu_temp is None and hw.gpu_load is None and hw.vram_total is None
    assert hw.cpu_temp == 63.0


def test_sleeping_laptop_dgpu_zero_degrees_is_unknown() -> None:
    reading = _parse(I5_8300H)
    assert _sensor(reading, "/gpu-nvidia/0/temperature/0").value == 0.0  # raw reading kept
    assert reading.hardware.gpu_temp is None
    assert "gpu_temp" not in reading.chosen


def test_duplicate_sensor_ids_are_kept_and_first_wins() -> None:
    reading = _parse(I7_11800H)
    dup = [s for s in reading.sensors if s.id == "/gpu-nvidia/0/load/3"]
    assert [(s.name, s.value) for s in dup] == [("GPU Memory", 30.1), ("GPU Bus", 0.0)]
    forced = _parse(I7_11800H, {"gpu_mem_load": "/gpu-nvidia/0/load/3"})
    assert forced.hardware.gpu_mem_load == 30.1
    assert _parse(R7_096, {"gpu_load": "/gpu-nvidia/0/load/3"}).hardware.gpu_load == 4.5


def test_escaped_degree_sign_and_negative_temperatures() -> None:
    raw = _raw(R9_5900X)
    assert b"\\u00b0C" in raw and "°".encode() not in raw
    reading = parse_data_json(raw)
    temps = [s for s in reading.sensors if s.type == "Temperature"]
    assert temps and all(s.unit == "°C" for s in temps)
    bogus = next(s for s in temps if s.name == "Temperature #6")
    assert (bogus.value, bogus.kind) == (-2.0, "board")
    assert -2.0 not in dataclasses.asdict(reading.hardware).values()


def test_bogus_superio_temperatures_never_mapped() -> None:
    reading = _parse(I3_4160)
    board = {
        s.name: s.value for s in reading.sensors if s.kind == "board" and s.type == "Temperature"
    }
    assert board["Temperature #2"] == -9.0
    assert reading.hardware.chipset_temp is None
    # without the CPU node the board's "CPU Core" temperature is the fallback
    fallback = parse_tree(_without(json.loads(_raw(I3_4160)), "Intel Core i3-4160"))
    assert fallback.hardware.cpu_temp == 65.5
    assert fallback.chosen["cpu_temp"] == "/ohm/board/1/temperature/0"
    assert fallback.hardware.cpu_load is None


def test_implausible_candidate_falls_through_to_the_next() -> None:
    tree = _tree(
        _hw(
            "Intel Core i9",
            "/intelcpu/0",
            "cpu.png",
            (
                "Temperatures",
                [
                    ("CPU Package", "-9,0 °C", "Temperature"),
                    ("Core Max", "130,0 °C", "Temperature"),
                    ("Core Average", "61,5 °C", "Temperature"),
                ],
            ),
            ("Load", [("CPU Total", "104,0 %", "Load")]),
        )
    )
    reading = parse_tree(tree)
    assert reading.hardware.cpu_temp == 61.5
    assert reading.chosen["cpu_temp"] == "/intelcpu/0/temperature/2"
    assert reading.hardware.cpu_load is None


def test_ohm_ids_are_synthesized_stable_and_unique() -> None:
    for name in (R7_9070, R9_5900X, I3_4160, I5_4590_OHM):
        a, b = _parse(name), _parse(name)
        ids = [s.id for s in a.sensors]
        assert ids == [s.id for s in b.sensors]
        assert len(set(ids)) == len(ids), name
        assert all(i.startswith("/ohm/") for i in ids)
    reading = _parse(R9_5900X)
    assert _sensor(reading, "/ohm/cpu/0/temperature/0").name == "CPU Package"
    assert _sensor(reading, "/ohm/board/1/temperature/4").value == -2.0
    assert _sensor(reading, "/ohm/gpu/0/fan/0").name == "GPU"
    # OHM has no Type: derived from the group; a "Data" sensor in MB is SmallData
    assert _sensor(reading, "/ohm/ram/0/data/0").type == "Data"
    assert _sensor(reading, "/ohm/gpu/0/smalldata/2").name == "GPU Memory Total"
    assert _sensor(reading, "/ohm/gpu/0/throughput/0").unit == "MB/s"  # group icon power.png


def test_lhm_0_9_7_version_and_raw_numbers() -> None:
    reading = _parse(R7_097)
    assert reading.version == "0.9.7"
    nvme = _sensor(reading, "/nvme/0/data/21")  # "18,3 TB", raw 20115863100000.0
    assert (nvme.value, nvme.unit) == (18.3, "TB")
    dash = _sensor(reading, "/usbhid/0C70/F00D/26386-20527/temperature/1")  # RawValue null
    assert dash.value is None


def test_raw_value_used_only_when_value_is_unreadable_and_unit_is_certain() -> None:
    tree = _tree(
        _hw(
            "AMD Ryzen",
            "/amdcpu/0",
            "cpu.png",
            ("Temperatures", [("Core (Tctl/Tdie)", "-", "Temperature", {"RawValue": 61.25})]),
            ("Load", [("CPU Total", "", "Load", {"RawValue": "12,0 %"})]),
        ),
        _hw(
            "Total Memory",
            "/ram",
            "ram.png",
            ("Data", [("Memory Used", "NaN", "Data", {"RawValue": 11154276400.0})]),
        ),
    )
    reading = parse_tree(tree)
    tctl = reading.sensors[0]
    assert (tctl.value, tctl.unit) == (61.25, "°C")
    assert reading.hardware.cpu_temp == 61.25
    assert reading.hardware.cpu_load is None  # string Raw* are not used
    assert reading.hardware.ram_used is None  # raw Data is bytes in 0.9.7 only: not used


def test_battery_text_with_nul_and_url_encoded_ids_kept() -> None:
    reading = _parse(I7_11800H)
    battery = [s for s in reading.sensors if s.kind == "battery"]
    assert {s.hardware for s in battery} == {"standard"}
    assert battery[0].id.startswith("/battery/standard%00_34/")
    assert {s.unit for s in battery} == {"V", "A", "W", "%", "mWh"}
    nic_ids = [s.id for s in reading.sensors if s.kind == "nic"]
    assert nic_ids and all("%7B" in i for i in nic_ids)
    assert "本地连接 2" in {s.hardware for s in reading.sensors}


def test_trailing_spaces_in_texts_do_not_break_matching() -> None:
    cpu = _hw(
        "  AMD Ryzen 5  ",
        "/amdcpu/0",
        "cpu.png",
        ("Load", [("CPU Total ", "12,5 %", "Load")]),
        ("Temperatures", [(" Core (Tctl/Tdie)\t", "50,0 °C", "Temperature")]),
    )
    reading = parse_tree(_tree(cpu))
    assert (reading.hardware.cpu_load, reading.hardware.cpu_temp) == (12.5, 50.0)
    assert reading.sensors[0].hardware == "AMD Ryzen 5"
    assert reading.sensors[0].name == "CPU Total"


def test_crlf_and_bom_and_str_bodies() -> None:
    raw = _raw(I7_11800H)
    assert b"\r\n" in raw
    want = parse_data_json(raw).hardware
    assert parse_data_json(b"\xef\xbb\xbf" + raw).hardware == want
    text = raw.decode("utf-8")
    assert parse_data_json(text).hardware == want
    assert parse_data_json("\ufeff" + text).hardware == want
    assert parse_data_json(bytearray(raw)).hardware == want


def test_the_collector_is_paused_only_while_a_body_is_parsed() -> None:
    """Parsing pauses the cyclic collector and leaves it as it found it, after an error too."""
    seen: list[bool] = []
    real_parse_tree = parser.parse_tree

    def spy(root, overrides=None):
        seen.append(gc.isenabled())
        return real_parse_tree(root, overrides)

    assert gc.isenabled()
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(parser, "parse_tree", spy)
        parse_data_json(_raw(R7_096))
        assert gc.isenabled()
        with pytest.raises(LhmFormatError):
            parse_data_json(b"[1]")
        assert gc.isenabled()
        gc.disable()
        try:
            parse_data_json(_raw(R7_096))
            assert not gc.isenabled()  # whoever turned it off turns it on
        finally:
            gc.enable()
    assert seen == [False, False, False]


def test_comma_and_dot_captures_of_the_same_machine_agree_in_shape() -> None:
    lhm, ohm = _parse(I5_4590_LHM).hardware, _parse(I5_4590_OHM).hardware
    assert set(lhm.known()) == set(ohm.known())


@pytest.mark.parametrize(
    ("value", "want"),
    [
        ("54,1 °C", (54.1, "°C")),
        ("54.1 °C", (54.1, "°C")),
        ("-2.0 °C", (-2.0, "°C")),
        ("1008 RPM", (1008.0, "RPM")),
        ("12,072 V", (12.072, "V")),
        ("389,000", (389.0, "")),
        ("1.234,5 MHz", (1234.5, "MHz")),
        ("1,234.5 MHz", (1234.5, "MHz")),
        ("1 234,5 MHz", (1234.5, "MHz")),
        ("1\u00a0234,5 MHz", (1234.5, "MHz")),
        ("1,234,567 B", (1234567.0, "B")),
        (" 54,1 °C ", (54.1, "°C")),
        ("54,1°C", (54.1, "°C")),
        ("-", (None, "")),
        ("NaN", (None, "")),
        ("nan °C", (None, "°C")),
        ("Infinity", (None, "")),
        ("", (None, "")),
        (" °C", (None, "°C")),
        ("1e400 W", (None, "W")),
        (None, (None, "")),
        (True, (None, "")),
        ([], (None, "")),
        (55, (55.0, "")),
        (55.5, (55.5, "")),
        (float("nan"), (None, "")),
    ],
)
def test_value_parsing(value: Any, want: tuple[float | None, str]) -> None:
    assert _parse_value(value) == want


def test_value_parsing_in_the_walk_matches_the_helper() -> None:
    """The walk reads values with the same parser, odd values included."""
    odd = ["1.234,5 MHz", "1 234,5 MHz", "54,1°C", "NaN", "-", "", " °C", "Infinity", "7 8 9"]
    tree = _tree(
        _hw("X", "/misc/0", "", ("Clocks", [(f"s{i}", v, "Clock") for i, v in enumerate(odd)]))
    )
    got = [(s.value, s.unit) for s in parse_tree(tree).sensors]
    assert got == [_parse_value(v) for v in odd]


@pytest.mark.parametrize(
    ("hardware_id", "icon", "kind"),
    [
        ("/nvidiagpu/0", "unknown.png", "gpu"),  # before the May-2020 rename
        ("/atigpu/0", "unknown.png", "gpu"),
        ("/gpu-amd/1", "unknown.png", "gpu"),
        ("/gpu-intel-integrated/%5C%5C%3F", "unknown.png", "gpu"),
        ("/intelcpu/0", "unknown.png", "cpu"),
        ("/amdcpu/0", "unknown.png", "cpu"),
        ("/vram", "ram.png", "vram"),
        ("/ram", "ram.png", "ram"),
        ("/memory/dimm/3", "ram.png", "memory-dimm"),
        ("/hdd/1", "unknown.png", "disk"),
        ("/ssd/0", "unknown.png", "disk"),
        ("/nvme/2", "unknown.png", "disk"),
        ("/lpc/it8620e", "unknown.png", "board"),
        ("/nic/{A-B}", "unknown.png", "nic"),
        ("/battery/x%00_1", "unknown.png", "battery"),
        ("/psu/corsair/0", "unknown.png", "other"),
    ],
)
def test_kind_from_sensor_id_prefix_without_hardware_id(
    hardware_id: str, icon: str, kind: str
) -> None:
    node = _hw("Some hardware", hardware_id, icon, ("Load", [("Thing", "1,0 %", "Load")]))
    del node["HardwareId"]  # LHM before 0.9.5: only the SensorIds tell
    sensor = parse_tree(_tree(node)).sensors[0]
    assert sensor.id == f"{hardware_id}/load/0"
    assert sensor.kind == kind


@pytest.mark.parametrize(
    ("icon", "text", "kind"),
    [
        ("cpu.png", "Intel Core i5", "cpu"),
        ("nvidia.png", "GeForce", "gpu"),
        ("ati.png", "Radeon", "gpu"),
        ("intel.png", "Intel(R) UHD Graphics", "gpu"),
        ("ram.png", "Generic Memory", "ram"),
        ("ram.png", "Virtual Memory", "vram"),
        ("hdd.png", "Generic Hard Disk", "disk"),
        ("chip.png", "ITE IT8620E", "board"),
        ("mainboard.png", "Gigabyte Z97P-D3", "board"),
        ("nic.png", "Ethernet", "nic"),
        ("battery.png", "standard", "battery"),
        ("fan.png", "QUADRO", "other"),
    ],
)
def test_kind_from_icon_for_ohm(icon: str, text: str, kind: str) -> None:
    node = {
        "Text": text,
        "ImageURL": f"images_icon/{icon}",
        "Children": [
            {"Text": "Load", "Children": [{"Text": "X", "Value": "1.0 %", "Children": []}]}
        ],
    }
    sensor = parse_tree(_tree(node)).sensors[0]
    assert (sensor.kind, sensor.id, sensor.type) == (kind, f"/ohm/{kind}/0/load/0", "Load")


@pytest.mark.parametrize(
    ("name", "integrated"),
    [
        ("Intel(R) UHD Graphics", True),
        ("Intel(R) UHD Graphics 630", True),
        ("Intel(R) HD Graphics 4600", True),
        ("Intel(R) Iris(R) Xe Graphics", True),
        ("Intel(R) Graphics", True),
        ("Intel(R) Arc(TM) Graphics", True),
        ("AMD Radeon Graphics", True),
        ("AMD Radeon(TM) Graphics", True),
        ("AMD Radeon 780M Graphics", True),
        ("Radeon Vega 8 Graphics", True),
        ("Intel(R) Arc(TM) A770 Graphics", False),
        ("AMD Radeon RX 9070 XT", False),
        ("Radeon RX 580 Series", False),
        ("AMD Radeon RX 6800M", False),
        ("NVIDIA GeForce RTX 3070 Laptop GPU", False),
    ],
)
def test_integrated_gpu_names_lose_to_a_discrete_one(name: str, integrated: bool) -> None:
    def gpu(text: str, hid: str) -> dict:
        return _hw(text, hid, "ati.png", ("Temperatures", [("GPU Core", "50,0 °C", "Temperature")]))

    # the candidate comes first in the tree; a plain discrete card second
    tree = _tree(gpu(name, "/gpu-amd/0"), gpu("Discrete Card", "/gpu-amd/1"))
    chosen = parse_tree(tree).chosen["gpu_temp"]
    assert chosen == ("/gpu-amd/1/temperature/0" if integrated else "/gpu-amd/0/temperature/0")


# --- overrides -----------------------------------------------------------------------------


def test_override_forces_sensor_and_converts_mb_to_gb() -> None:
    reading = _parse(R7_096, {"vram_used": "/gpu-nvidia/0/smalldata/3"})  # "10360,9 MB"
    assert reading.hardware.vram_used == pytest.approx(10360.9 / 1024)
    assert reading.chosen["vram_used"] == "/gpu-nvidia/0/smalldata/3"
    assert reading.missing_overrides == ()
    assert reading.hardware.vram_total == pytest.approx(16376.0 / 1024)  # untouched


def test_override_of_a_derived_field_and_to_another_hardware() -> None:
    reading = _parse(
        R9_5900X,
        {"ram_total": "/ohm/gpu/0/smalldata/2", "cpu_fan": "/ohm/board/1/fan/1"},
    )
    assert reading.hardware.ram_total == 10.0  # 10240 MB
    assert "ram_total" not in reading.derived
    assert reading.hardware.cpu_fan == 2381.0
    assert reading.hardware.sys_fan1 == 1450.0  # automatic choices elsewhere stay


def test_override_can_set_unmapped_fields_with_units() -> None:
    reading = _parse(
        R7_096, {"net_down": "/nic/%7B5ACFABDA-3D67-4BAB-A5E3-3F07779470A7%7D/throughput/8"}
    )
    assert reading.hardware.net_down == 12.0  # "12,0 KB/s"
    gpu_rx = _parse(R7_096, {"disk_read": "/gpu-nvidia/0/throughput/0"})  # "764,6 MB/s"
    assert gpu_rx.hardware.disk_read == pytest.approx(764.6 * 1024)


def test_missing_override_keeps_automatic_choice() -> None:
    reading = _parse(R7_096, {"cpu_temp": "/amdcpu/9/temperature/0", "gpu_temp": "nope"})
    assert reading.missing_overrides == ("/amdcpu/9/temperature/0", "nope")
    assert reading.hardware.cpu_temp == 54.1
    assert reading.chosen["cpu_temp"] == "/amdcpu/0/temperature/2"
    assert reading.hardware.gpu_temp == 44.0


def test_override_with_unconvertible_or_implausible_value_is_unknown() -> None:
    reading = _parse(
        R7_096,
        {
            "cpu_temp": "/lpc/nct6687d/0/voltage/0",  # volts cannot become °C
            "chipset_temp": "/memory/dimm/1/temperature/2",  # 0,0 °C limit: not a reading
            "sys_fan1": "/usbhid/0C70/F00D/26386-20527/fan/3",
        },
    )
    hw = reading.hardware
    assert hw.cpu_temp is None and hw.chipset_temp is None
    assert reading.chosen["cpu_temp"] == "/lpc/nct6687d/0/voltage/0"
    assert hw.sys_fan1 == 1688.0


def test_overrides_ignore_unknown_fields_and_non_string_ids() -> None:
    reading = _parse(R7_096, {"no_such_field": "/amdcpu/0/load/0", "cpu_load": 5})  # type: ignore[dict-item]
    assert reading.hardware.cpu_load == 8.3
    assert reading.missing_overrides == ()


def test_fahrenheit_and_other_units_convert() -> None:
    tree = _tree(
        _hw(
            "CPU",
            "/intelcpu/0",
            "cpu.png",
            ("Temperatures", [("CPU Package", "140,0 °F", "Temperature")]),
            ("Clocks", [("Core #1", "4,2 GHz", "Clock"), ("Core #2", "4000 MHz", "Clock")]),
            ("Powers", [("CPU Package", "65000 mW", "Power")]),
        ),
        _hw(
            "RAM",
            "/ram",
            "ram.png",
            ("Data", [("Memory Used", "8192 MB", "Data"), ("Memory Available", "1 TB", "Data")]),
        ),
    )
    hw = parse_tree(tree).hardware
    assert hw.cpu_temp == pytest.approx(60.0)
    assert hw.cpu_clock == pytest.approx(4100.0)
    assert hw.cpu_power == pytest.approx(65.0)
    assert (hw.ram_used, hw.ram_total) == (8.0, 1032.0)


# --- board fans ----------------------------------------------------------------------------


def test_board_fans_cpu_by_name_pump_as_fallback_controls_ignored() -> None:
    fans = [
        ("System Fan #1", "900 RPM", "Fan"),
        ("Pump Fan", "2700 RPM", "Fan"),
        ("Fan #3", "0 RPM", "Fan"),
        ("System Fan #2", "800 RPM", "Fan"),
    ]
    controls = [("CPU Fan", "50,0 %", "Control")]
    board = _hw("Nuvoton", "/lpc/nct6798d/0", "chip.png", ("Fans", fans), ("Controls", controls))
    hw = parse_tree(_tree(board)).hardware
    assert hw.cpu_fan == 2700.0  # no "CPU..." fan: the pump
    assert (hw.sys_fan1, hw.sys_fan2) == (900.0, 0.0)  # tree order; 0 RPM is a reading
    fans.insert(0, ("CPU Fan", "1100 RPM", "Fan"))
    board = _hw("Nuvoton", "/lpc/nct6798d/0", "chip.png", ("Fans", fans))
    hw = parse_tree(_tree(board)).hardware
    assert (hw.cpu_fan, hw.sys_fan1, hw.sys_fan2) == (1100.0, 900.0, 0.0)


def test_gpu_and_aio_fans_are_not_board_fans() -> None:
    reading = _parse(R7_096)
    board_fan_ids = {reading.chosen[f] for f in ("cpu_fan", "sys_fan1", "sys_fan2")}
    assert all(i.startswith("/lpc/") for i in board_fan_ids)


# --- format errors -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            b'{"id": 0,\n  "Text": "Sensor"\n  "Children": []}',
            "not JSON: Expecting ',' delimiter at line 3 column 3",
        ),
        (b"", "not JSON: Expecting value at line 1 column 1"),
        (b"\xff\xfe\xfd", "not JSON"),
        (b"[1, 2]", "root is not a JSON object but a list"),
        (b'"Sensor"', "root is not a JSON object but a string"),
        (b"null", "root is not a JSON object but null"),
        (b'{"id": 0, "Text": "Sensor"}', "root has no Children"),
        (b'{"Children": {"a": 1}}', "root Children is not a list but an object"),
        (b"[" * 100_000, "not JSON"),
    ],
)
def test_format_errors_say_what_and_where(body: bytes, message: str) -> None:
    with pytest.raises(LhmFormatError) as info:
        parse_data_json(body)
    assert str(info.value).startswith(message)
    assert isinstance(info.value, ValueError)


def test_non_text_body_is_a_format_error() -> None:
    with pytest.raises(LhmFormatError, match="body is not bytes or str"):
        parse_data_json(123)  # type: ignore[arg-type]
    with pytest.raises(LhmFormatError, match="root is not a JSON object"):
        parse_tree([])  # type: ignore[arg-type]


def test_empty_and_odd_but_valid_trees() -> None:
    empty = parse_data_json(b'{"Children": []}')
    assert empty.hardware == Hardware() and empty.sensors == () and empty.chosen == {}
    odd = parse_data_json(b'{"Children": [1, null, {"Children": "x"}, {"Children": [[], {}]}]}')
    assert odd.sensors == ()


# --- fuzz ----------------------------------------------------------------------------------


def _check(body: bytes | str) -> None:
    try:
        reading = parse_data_json(body)
    except LhmFormatError as exc:
        assert not str(exc).startswith("internal error"), exc
    else:
        assert isinstance(reading.hardware, Hardware)


@pytest.mark.parametrize("name", [R7_096, R9_5900X, I7_11800H])
def test_fuzz_truncated_bodies(name: str) -> None:
    raw = _raw(name)
    rng = random.Random(1234)
    offsets = {0, 1, 2, len(raw) - 1, len(raw) - 2} | {rng.randrange(len(raw)) for _ in range(150)}
    for n in sorted(offsets):
        _check(raw[:n])
    _check(raw[: len(raw) // 2].decode("utf-8", "ignore"))


_JUNK: list[Any] = [
    None,
    True,
    0,
    -1,
    3.5,
    float("inf"),
    "",
    "x",
    "-",
    "NaN",
    [],
    {},
    [None],
    {"Children": 5},
]


def _mutate(node: Any, rng: random.Random, rate: float) -> Any:
    if isinstance(node, dict):
        out = {}
        for k, v in node.items():
            if rng.random() < rate:
                choice = rng.random()
                if choice < 0.15:
                    continue  # drop the key
                out[k] = rng.choice(_JUNK)
            else:
                out[k] = _mutate(v, rng, rate)
        return out
    if isinstance(node, list):
        out_list = [_mutate(v, rng, rate) for v in node]
        if out_list and rng.random() < rate:
            out_list.insert(rng.randrange(len(out_list)), rng.choice(_JUNK))
        return out_list
    return node


@pytest.mark.parametrize("name", [R7_096, R7_097, R7_9070, I5_8300H])
def test_fuzz_wrong_types_everywhere(name: str) -> None:
    tree = json.loads(_raw(name))
    rng = random.Random(20261124)
    for round_ in range(60):
        mutated = _mutate(tree, rng, rate=0.02 + 0.004 * round_)
        try:
            reading = parse_tree(mutated, {"cpu_temp": "/amdcpu/0/temperature/2"})
        except LhmFormatError as exc:
            assert not str(exc).startswith("internal error"), exc
        else:
            assert isinstance(reading.hardware, Hardware)
        _check(json.dumps(mutated, allow_nan=True))


# --- helpers for synthetic trees -----------------------------------------------------------


def _hw(text: str, hardware_id: str, icon: str, *groups: tuple[str, list[tuple[Any, ...]]]) -> dict:
    """A LHM-style hardware node; sensor tuples are (Text, Value, Type[, extra keys])."""
    counters: dict[str, int] = {}
    children = []
    for group_text, sensors in groups:
        kids = []
        for text_, value, type_, *extra in sensors:
            n = counters.get(type_, 0)
            counters[type_] = n + 1
            node = {
                "Text": text_,
                "Value": value,
                "SensorId": f"{hardware_id}/{type_.lower()}/{n}",
                "Type": type_,
                "ImageURL": "images/transparent.png",
                "Children": [],
            }
            if extra:
                node.update(extra[0])
            kids.append(node)
        children.append({"Text": group_text, "ImageURL": "images_icon/x.png", "Children": kids})
    return {
        "Text": text,
        "HardwareId": hardware_id,
        "ImageURL": f"images_icon/{icon}",
        "Children": children,
    }


def _tree(*hardware: dict) -> dict:
    computer = {"Text": "PC", "ImageURL": "images_icon/computer.png", "Children": list(hardware)}
    return {"id": 0, "Text": "Sensor", "Value": "Value", "Children": [computer]}
