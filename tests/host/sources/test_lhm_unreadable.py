"""Sensor values that are no number (NaN, Infinity, 1e400, true) are unknown, and said so once.

A real 0.9.6 capture is edited to hold such values and served by the LHM replay; the source
is read several times, and the log must name each sensor once when it goes bad and once
when it reads a number again, never once per poll.
"""

from __future__ import annotations

import json
import logging

import pytest

from nocturne.devtools.lhm_replay import LhmReplay
from nocturne.sources.lhm.client import LhmSource
from nocturne.sources.lhm.parser import parse_data_json

from ...conftest import CAPTURE_0_9_6

GPU_TEMP = "/gpu-nvidia/0/temperature/0"  # "GPU Core", 44,0 °C
HOT_SPOT = "/gpu-nvidia/0/temperature/2"  # "GPU Hot Spot", 52,2 °C
VCORE = "/lpc/nct6687d/0/voltage/2"  # "Vcore", 1,314 V
VREF = "/lpc/nct6687d/0/voltage/10"  # "VRef", 0,004 V
PLUS_12V = "/lpc/nct6687d/0/voltage/0"  # "+12V", 12,072 V
HUGE = "__HUGE_NUMBER__"  # JSON can hold 1e400; Python's json.dumps cannot write it


def _edited(values: dict[str, object], rename: dict[str, str] | None = None) -> bytes:
    """The capture with the given sensors' Value replaced (and Text, for ``rename``)."""
    tree = json.loads(CAPTURE_0_9_6.read_bytes())

    def visit(node: dict) -> None:
        sid = node.get("SensorId")
        if sid in values:
            node["Value"] = values[sid]
        if rename and sid in rename:
            node["Text"] = rename[sid]
        for child in node.get("Children", []):
            visit(child)

    visit(tree)
    return json.dumps(tree, allow_nan=True).replace(f'"{HUGE}"', "1e400").encode()


BAD = {
    GPU_TEMP: "NaN",
    HOT_SPOT: "Infinity °C",
    VCORE: "1e400 V",
    VREF: HUGE,
    PLUS_12V: True,
}


def test_unreadable_values_are_unknown_and_listed_with_their_path():
    reading = parse_data_json(_edited(BAD))
    by_id = {s.id: s for s in reading.sensors}
    assert all(by_id[sid].value is None for sid in BAD)
    assert reading.hardware.gpu_temp is None and reading.hardware.gpu_hotspot is None
    listed = {u.sensor_id: u for u in reading.unreadable}
    assert set(listed) == set(BAD)
    assert listed[GPU_TEMP].path == "NVIDIA GeForce RTX 4080 SUPER / Temperature / GPU Core"
    assert listed[GPU_TEMP].value == "'NaN'"
    assert listed[VREF].value == "Infinity"  # 1e400 as a JSON number
    assert listed[PLUS_12V].value == "true"
    # "-" is LHM's own "no reading": unknown, but nothing is wrong with it.
    assert parse_data_json(_edited({GPU_TEMP: "-"})).unreadable == ()


def _lines(caplog: pytest.LogCaptureFixture, words: str) -> list[str]:
    return [r.getMessage() for r in caplog.records if words in r.getMessage()]


async def test_bad_values_are_logged_once_per_change_naming_the_sensor(caplog):
    caplog.set_level(logging.INFO, logger="nocturne.sources.lhm")
    good = CAPTURE_0_9_6.read_bytes()
    replay = LhmReplay(good)
    await replay.start()
    source = LhmSource(replay.url)
    try:
        await source.read()
        replay.body = _edited(BAD, rename={GPU_TEMP: "GPU Core\x1b[2J"})
        for _ in range(4):
            reading = await source.read()
            assert reading.hardware.gpu_temp is None
        went_bad = _lines(caplog, "sends no number")
        assert len(went_bad) == 1
        line = went_bad[0]
        for sid in BAD:
            assert sid in line
        assert "GPU Core\\x1b[2J" in line and "\x1b" not in line  # remote text escaped
        assert "'NaN'" in line and "Vcore" in line

        replay.body = good
        for _ in range(3):
            assert (await source.read()).hardware.gpu_temp == pytest.approx(44.0)
        back = _lines(caplog, "sends numbers again")
        assert len(back) == 1 and GPU_TEMP in back[0] and VREF in back[0]

        replay.body = _edited({GPU_TEMP: "NaN"})
        await source.read()
        await source.read()
        assert len(_lines(caplog, "sends no number")) == 2
        assert GPU_TEMP in _lines(caplog, "sends no number")[1]
        assert HOT_SPOT not in _lines(caplog, "sends no number")[1]
    finally:
        await source.close()
        await replay.stop()
