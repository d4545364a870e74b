"""The LHM parser's overrides, board fans, format errors and fuzzing."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest

from nocturne.snapshot import Hardware
from nocturne.sources.lhm.model import LhmFormatError
from nocturne.sources.lhm.parser import parse_data_json, parse_tree

from .lhm_captures import (
    I5_8300H,
    I7_11800H,
    R7_096,
    R7_097,
    R7_9070,
    R9_5900X,
    _hw,
    _parse,
    _raw,
    _tree,
)

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
