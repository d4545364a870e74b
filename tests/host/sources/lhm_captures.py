"""The LHM captures in tests/fixtures/lhm by name, and helpers that build synthetic
trees, for the parser's tests."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from nocturne.sources.lhm.model import LhmReading, Sensor
from nocturne.sources.lhm.parser import parse_data_json

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


def _without(tree: dict[str, Any], *texts: str) -> dict[str, Any]:
    tree = copy.deepcopy(tree)
    computer = tree["Children"][0]
    computer["Children"] = [n for n in computer["Children"] if n["Text"] not in texts]
    return tree


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
