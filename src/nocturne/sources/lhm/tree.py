"""Flatten LHM's node tree into typed sensors, each with the hardware node it belongs to.

Tree shape
    root ``{Text: "Sensor", Children: [computer]}`` → computer → hardware → optional
    sub-hardware (SuperIO chip under the mainboard) → type groups ("Temperatures", ...) →
    sensors. A child of a hardware node is sub-hardware when it has a ``HardwareId`` or its own
    first child has children; otherwise it is a group of sensors. Malformed nodes (wrong
    types, missing keys) are skipped, never fatal.

Sensors
    ``type`` is LHM's ``Type``, else derived from the group ("Temperatures" → Temperature, ...;
    an OHM "Data" sensor in MB → SmallData). ``Raw*`` fields are not used, except that when
    ``Value`` is unreadable and ``RawValue`` is a JSON number (LHM ≥ 0.9.7) it is taken for
    types whose raw unit is unambiguous (temperature °C, load/control/level %, clock MHz,
    power W, fan RPM, voltage V, current A); Data/SmallData/Throughput raw numbers are bytes
    in 0.9.7 but not elsewhere, so they are never used. Sensor texts are stripped of
    whitespace, hardware texts of whitespace and NUL. Sensors without ``SensorId`` get the
    synthesized id documented on :class:`~nocturne.sources.lhm.model.Sensor`. A sensor whose
    ``Value`` is neither a number nor LHM's "no reading" is listed as unreadable.
"""

from __future__ import annotations

from typing import Any

from nocturne.json_names import json_type_name
from nocturne.snapshot.fields import CELSIUS, MEGAHERTZ, PERCENT, RPM, WATT

from .kinds import is_integrated_gpu, kind_of
from .model import Sensor, UnreadableValue, new_sensor
from .values import STRIP, is_no_value, parse_value

__all__ = ["HardwareNode", "Tree", "walk_tree"]

MAX_DEPTH = 8  # hardware nesting (computer → mainboard → chip is 2); deeper is skipped
_SHOWN_VALUE_CHARS = 40  # of an unreadable value, in the log

_GROUP_TYPES = {
    "Voltages": "Voltage",
    "Currents": "Current",
    "Powers": "Power",
    "Clocks": "Clock",
    "Temperatures": "Temperature",
    "Load": "Load",
    "Loads": "Load",
    "Frequencies": "Frequency",
    "Fans": "Fan",
    "Flows": "Flow",
    "Controls": "Control",
    "Levels": "Level",
    "Factors": "Factor",
    "Data": "Data",
    "Throughput": "Throughput",
    "Timings": "Timing",
    "Capacities": "Energy",
    "Energies": "Energy",
    "Noises": "Noise",
    "Conductivities": "Conductivity",
    "Humidities": "Humidity",
}
_ICON_TYPES = {
    "voltage.png": "Voltage",
    "clock.png": "Clock",
    "temperature.png": "Temperature",
    "load.png": "Load",
    "fan.png": "Fan",
    "flow.png": "Flow",
    "control.png": "Control",
    "level.png": "Level",
    "throughput.png": "Throughput",
}
# Types whose RawValue number (LHM >= 0.9.7) is in an unambiguous unit.
_RAW_UNITS = {
    "Temperature": CELSIUS,
    "Load": PERCENT,
    "Control": PERCENT,
    "Level": PERCENT,
    "Clock": MEGAHERTZ,
    "Power": WATT,
    "Fan": RPM,
    "Voltage": "V",
    "Current": "A",
}


class HardwareNode:
    """One hardware node and its own sensors (not those of its sub-hardware)."""

    __slots__ = ("hwid", "index", "integrated", "kind", "name", "order", "sensors")

    def __init__(self, name: str, kind: str, index: int, hwid: str, order: int) -> None:
        self.name = name
        self.kind = kind
        self.index = index  # among the nodes of this kind, in tree order
        self.hwid = hwid
        self.order = order  # among all nodes, in tree order
        self.sensors: list[Sensor] = []
        self.integrated = False  # an iGPU (only ever True for kind "gpu")


class Tree:
    """Every hardware node and every sensor, in tree order."""

    __slots__ = ("counts", "hardware", "sensors", "unreadable")

    def __init__(self) -> None:
        self.hardware: list[HardwareNode] = []
        self.sensors: list[Sensor] = []
        self.unreadable: list[UnreadableValue] = []
        self.counts: dict[str, int] = {}  # kind -> nodes seen


def walk_tree(computers: list[Any]) -> Tree:
    """The root's ``Children`` (computers) → every hardware node and sensor below them."""
    tree = Tree()
    for computer in computers:
        if type(computer) is not dict:
            continue
        nodes = computer.get("Children")
        if type(nodes) is not list:
            continue
        for node in nodes:
            if type(node) is dict:
                _walk_hardware(tree, node, 1)
    return tree


def _walk_hardware(tree: Tree, node: dict[str, Any], depth: int) -> None:
    children = node.get("Children")
    if type(children) is not list:
        children = []
    hw = _add_hardware(tree, node, children)
    ohm_ids: dict[str, int] = {}  # sensor type -> count, for synthesized ids
    for group in children:
        if type(group) is not dict:
            continue
        sensors = group.get("Children")
        if type(sensors) is not list or not sensors:
            continue
        if _is_sub_hardware(group, sensors):
            if depth < MAX_DEPTH:
                _walk_hardware(tree, group, depth + 1)
            continue
        group_type = _group_type(group)
        for item in sensors:
            if type(item) is dict:
                _add_sensor(tree, hw, item, group_type, ohm_ids)


def _add_hardware(tree: Tree, node: dict[str, Any], children: list[Any]) -> HardwareNode:
    text = node.get("Text")
    name = text.strip(STRIP) if type(text) is str else ""
    hwid = node.get("HardwareId")
    if type(hwid) is not str:
        hwid = ""
    kind, ref = kind_of(node, name, hwid, children)
    index = tree.counts.get(kind, 0)
    tree.counts[kind] = index + 1
    hw = HardwareNode(name, kind, index, hwid, len(tree.hardware))
    if kind == "gpu":
        hw.integrated = is_integrated_gpu(ref, name)
    tree.hardware.append(hw)
    return hw


def _is_sub_hardware(group: dict[str, Any], children: list[Any]) -> bool:
    first = children[0]
    return "HardwareId" in group or (type(first) is dict and bool(first.get("Children")))


def _group_type(group: dict[str, Any]) -> str:
    text = group.get("Text")
    found = _GROUP_TYPES.get(text) if type(text) is str else None
    if found is not None:
        return found
    icon = group.get("ImageURL")
    return _ICON_TYPES.get(icon.rpartition("/")[2], "Unknown") if type(icon) is str else "Unknown"


def _add_sensor(
    tree: Tree,
    hw: HardwareNode,
    item: dict[str, Any],
    group_type: str,
    ohm_ids: dict[str, int],
) -> None:
    text = item.get("Text")
    name = text.strip() if type(text) is str else ""
    shown = item.get("Value")
    value, unit = parse_value(shown)
    sensor_type = item.get("Type")
    if not sensor_type or type(sensor_type) is not str:
        sensor_type = group_type
        if sensor_type == "Data" and unit == "MB":
            sensor_type = "SmallData"
    if value is None:
        raw = item.get("RawValue")
        if (type(raw) is float or type(raw) is int) and sensor_type in _RAW_UNITS:
            value, _ = parse_value(raw)
            if value is not None:
                unit = _RAW_UNITS[sensor_type]
    sid = item.get("SensorId")
    if not sid or type(sid) is not str:
        key = sensor_type.lower()
        n = ohm_ids.get(key, 0)
        ohm_ids[key] = n + 1
        sid = f"/ohm/{hw.kind}/{hw.index}/{key}/{n}"
    sensor = new_sensor(sid, name, hw.name, hw.kind, sensor_type, value, unit)
    tree.sensors.append(sensor)
    hw.sensors.append(sensor)
    if value is None and not is_no_value(shown):
        tree.unreadable.append(_unreadable(sensor, shown))


def _unreadable(sensor: Sensor, shown: object) -> UnreadableValue:
    text = repr(shown) if type(shown) is str else _json_text(shown)
    if len(text) > _SHOWN_VALUE_CHARS:
        text = text[: _SHOWN_VALUE_CHARS - 1] + "…"
    path = " / ".join((sensor.hardware or "(unnamed)", sensor.type, sensor.name or "(unnamed)"))
    return UnreadableValue(sensor.id, path, text)


def _json_text(value: object) -> str:
    """The value as JSON would write it, or its JSON type when that is long."""
    if type(value) is float:  # only inf and nan reach here
        return "NaN" if value != value else ("Infinity" if value > 0 else "-Infinity")
    if type(value) is int:
        return "an integer too large for a float"
    if type(value) is bool:
        return "true" if value else "false"
    return json_type_name(value)
