"""The LHM/OHM ``data.json`` parser and mapper: the traps real captures and odd trees set
(virtual memory, integrated GPUs, bogus Super I/O readings, raw numbers, ids, encodings).
"""

from __future__ import annotations

import dataclasses
import gc
import json
from typing import Any

import pytest

from nocturne.sources.lhm import parser
from nocturne.sources.lhm.model import LhmFormatError
from nocturne.sources.lhm.parser import parse_data_json, parse_tree
from nocturne.sources.lhm.values import parse_value as _parse_value

from .lhm_captures import (
    I3_4160,
    I5_4590_LHM,
    I5_4590_OHM,
    I5_8300H,
    I7_11800H,
    R7_096,
    R7_097,
    R7_9070,
    R9_5900X,
    _hw,
    _parse,
    _raw,
    _sensor,
    _tree,
    _without,
)

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
