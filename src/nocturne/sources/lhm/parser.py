"""Parse a LibreHardwareMonitor / OpenHardwareMonitor ``data.json`` and map it to ``Hardware``.

Pure functions, no I/O. :func:`parse_data_json` takes the HTTP body, :func:`parse_tree` the
decoded JSON. Both return a :class:`LhmReading` or raise :class:`LhmFormatError`, and nothing
else, whatever the input.

Tree shape
    root ``{Text: "Sensor", Children: [computer]}`` → computer → hardware → optional
    sub-hardware (SuperIO chip under the mainboard) → type groups ("Temperatures", ...) →
    sensors. A child of a hardware node is sub-hardware when it has a ``HardwareId`` or its own
    first child has children; otherwise it is a group of sensors. Malformed nodes deep in the
    tree (wrong types, missing keys) are skipped, not fatal: only a body that is not JSON, a
    root that is not an object, or a root without a ``Children`` list is a format error.

Values
    ``Value`` is the displayed string: number, one space, unit. Both decimal commas and dots
    are read ("54,1 °C", "54.1 °C"); LHM never groups thousands (its formats are ``F1`` and the
    like), so a lone comma or dot is always the decimal separator ("389,000" is 389.0); when
    both appear the last one is the decimal separator ("1.234,5" and "1,234.5" are 1234.5).
    ``"-"``, ``"NaN"``, ``""``, ``null``, infinities and anything else unparsable read as
    ``None``. ``Raw*`` fields are not used, except that when ``Value`` is unreadable and
    ``RawValue`` is a JSON number (LHM ≥ 0.9.7) it is taken for types whose raw unit is
    unambiguous (temperature °C, load/control/level %, clock MHz, power W, fan RPM, voltage V,
    current A); Data/SmallData/Throughput raw numbers are bytes in 0.9.7 but not elsewhere,
    so they are never used. Sensor texts are stripped of whitespace, hardware texts of
    whitespace and NUL (the 11800H battery is "standard\u0000").

Hardware kind
    From ``HardwareId``, else the first ``SensorId`` found in the node's groups, else the
    icon in ``ImageURL`` (OHM has no ids): ``intelcpu``/``amdcpu``/cpu.png → cpu;
    ``gpu-nvidia``/``gpu-amd``/``gpu-intel*``/``nvidiagpu``/``atigpu``/nvidia.png/ati.png/
    intel.png → gpu; ``ram``/ram.png → ram (but ``vram`` and a ram.png node named "Virtual
    Memory" → vram); ``memory/dimm`` → memory-dimm; ``hdd``/``ssd``/``nvme``/hdd.png → disk;
    ``lpc``/``motherboard``/chip.png/mainboard.png → board; ``nic`` → nic; ``battery`` →
    battery; anything else → other. Sensors without ``SensorId`` get the synthesized id
    documented on :class:`Sensor`. Sensor ``type`` is LHM's ``Type``, else derived from the
    group ("Temperatures" → Temperature, ...; an OHM "Data" sensor in MB → SmallData).

Mapping (each rule takes the first candidate, in the order given, whose value is plausible)
    cpu_temp      CPU "Core (Tctl/Tdie)", "Core (Tctl)", "Core (Tdie)", "Tdie", "Tctl",
                  "CPU Package", "Package", "Core Max", "Core Average", "CCDs Max (Tdie)",
                  "CCDs Average (Tdie)", "CPU CCD Max", "CPU CCD Average"; then a board
                  temperature "CPU", "CPU Core", "CPU Temperature", "CPUTIN", then any board
                  temperature whose name starts with "CPU".
    cpu_load      CPU load "CPU Total".
    cpu_power     CPU power "Package", "CPU Package", "CPU PPT".
    cpu_clock     CPU clock "Cores (Average)", else the mean of the "Core #n", "CPU Core #n",
                  "P-Core #n", "E-Core #n" clocks (never bus speed, never "(Effective)").
    GPU           One GPU feeds every gpu_* and vram_* field (never a mix). Hardware nodes
                  without sensors never count. A discrete GPU beats an integrated one in any
                  order; integrated = id contains "integrated" or the name is an iGPU name
                  ("UHD/HD/Iris Graphics", "Radeon Graphics", "Radeon 780M Graphics", ...).
                  Then a GPU with a core temperature or load beats one without, then tree order.
    gpu_temp      Temperature "GPU Core", "GPU Temperature". No fallback: a machine without a
                  GPU temperature has no gpu_temp (never a board or battery temperature).
    gpu_hotspot   Temperature "GPU Hot Spot", "Hot Spot", "GPU Hotspot".
    gpu_load      Load "GPU Core" (the same name also labels a clock and a temperature: the
                  type decides), else "D3D 3D" (what an iGPU offers).
    gpu_mem_load  Load "GPU Memory Controller", OHM "GPU Frame Buffer". ("GPU Memory" load is
                  VRAM occupancy, not controller load: not used.)
    gpu_fan       The GPU's first Fan sensor (RPM; 0 RPM is a real reading: fan stopped).
    vram_used     "GPU Memory Used", else "D3D Dedicated Memory Used" (Data or SmallData).
    vram_total    "GPU Memory Total", else used + "GPU Memory Free".
    ram_used      The first ram-kind node (``/ram``, "Generic Memory", "Total Memory"; never
                  ``/vram`` "Virtual Memory", which has the same sensor names, and never the
                  "Virtual Memory Used" sensors inside old ``/ram`` nodes): "Memory Used",
                  OHM "Used Memory".
    ram_total     ram_used + "Memory Available" / OHM "Available Memory".
    cpu_fan       Board-chip fans only (kind board; Controls are ignored): the first fan whose
                  name starts with "CPU" (in tree order), else the first whose name contains
                  "Pump". Generic names ("Fan #1") are never guessed to be the CPU fan: header
                  numbering differs between chips and boards; use an override.
    sys_fan1/2    The remaining board fans that are neither CPU nor pump fans, in tree order.
    chipset_temp  Board temperature whose name starts with "Chipset" or "PCH".
    sys/data_disk_usage  Load "Used Space" of disk-kind nodes: the first disk in tree order
                  that has it is the system disk, the next one the data disk.
    net_*/disk_read/disk_write are not mapped (psutil provides them); overrides may set them.

Units are physical: °C, %, W, MHz, GB (1 GB = 1024 MB, as LHM counts), RPM, KB/s. Values are
converted from the displayed unit (MB/KB/TB → GB, °F → °C, GHz → MHz, ...); a sensor whose unit
cannot be converted to the field's unit gives None; a unitless value is taken as is.

Plausibility (applied to every mapped value, overrides included; ``sensors`` keep raw values)
    temperatures 0 < t ≤ 125 °C (SuperIO inputs with nothing attached read -9, -2 or 0; a
    sleeping laptop dGPU reads "0,0 °C": unknown, not 0); loads 0-100 %; fans 0-30000 RPM;
    clocks 0 < f ≤ 10000 MHz; power 0-2000 W; data and rates ≥ 0 (and finite). An
    implausible candidate is skipped and the next one tried. Unnamed SuperIO inputs that
    look plausible (the i3-4160's "Temperature #4-6" at 87-89 °C) are never mapped, because
    only named sensors are.

Overrides
    ``overrides[field] = sensor_id`` forces that sensor (first sensor with that id when ids
    repeat), converted to the field's unit and filtered as above (so it may give None); the
    automatic choice is then not used for that field. Ids that match no sensor are listed in
    ``missing_overrides`` and the automatic choice stays. Keys that are not Hardware fields
    and non-string ids are ignored.

``chosen`` maps every field that has a value to the Sensor.id it came from (for overrides:
the forced id, even when its value was unusable). Fields computed from several sensors also
appear in ``derived`` with all their ids; ``chosen`` names the first.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import fields
from types import MappingProxyType
from typing import Any

import orjson

from nocturne.snapshot import Hardware
from nocturne.sources.lhm.model import LhmFormatError, LhmReading, Sensor, new_sensor

__all__ = ["LhmFormatError", "LhmReading", "Sensor", "parse_data_json", "parse_tree"]

_HARDWARE_FIELDS = frozenset(f.name for f in fields(Hardware))
_MAX_DEPTH = 8  # hardware nesting (computer → mainboard → chip is 2); deeper is skipped
_STRIP = " \t\r\n\x00\u00a0\ufeff"
_STRIP_SET = frozenset(_STRIP)

# --- kinds -------------------------------------------------------------------------------

_ID_KINDS = {
    "intelcpu": "cpu",
    "amdcpu": "cpu",
    "genericcpu": "cpu",
    "cpu": "cpu",
    "nvidiagpu": "gpu",
    "atigpu": "gpu",
    "gpu-nvidia": "gpu",
    "gpu-amd": "gpu",
    "gpu-intel": "gpu",
    "gpu-intel-integrated": "gpu",
    "gpu-intel-discrete": "gpu",
    "ram": "ram",
    "vram": "vram",
    "memory": "memory-dimm",
    "hdd": "disk",
    "ssd": "disk",
    "nvme": "disk",
    "storage": "disk",
    "lpc": "board",
    "motherboard": "board",
    "mainboard": "board",
    "nic": "nic",
    "battery": "battery",
}
_ICON_KINDS = {
    "cpu.png": "cpu",
    "nvidia.png": "gpu",
    "ati.png": "gpu",
    "amd.png": "gpu",
    "intel.png": "gpu",
    "ram.png": "ram",
    "hdd.png": "disk",
    "chip.png": "board",
    "mainboard.png": "board",
    "nic.png": "nic",
    "battery.png": "battery",
}
_IGPU_NAME = re.compile(
    r"""(?ix)
      integrated
    | \b(?:u?hd|iris(?:\(r\))?(?:\s+(?:xe|plus|pro))?)\s+graphics
    | \bradeon(?:\(tm\))?\s+(?:\d{3,4}m\s+)?graphics\b
    | \bvega\s+\d+\s+graphics
    | ^intel(?:\(r\))?\s+(?:arc(?:\(tm\))?\s+)?graphics$
    """
)

# --- types -------------------------------------------------------------------------------

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
    "Temperature": "°C",
    "Load": "%",
    "Control": "%",
    "Level": "%",
    "Clock": "MHz",
    "Power": "W",
    "Fan": "RPM",
    "Voltage": "V",
    "Current": "A",
}

# --- units and plausibility ----------------------------------------------------------------

_FIELD_UNITS = {
    "cpu_temp": "°C",
    "gpu_temp": "°C",
    "gpu_hotspot": "°C",
    "chipset_temp": "°C",
    "cpu_load": "%",
    "gpu_load": "%",
    "gpu_mem_load": "%",
    "sys_disk_usage": "%",
    "data_disk_usage": "%",
    "cpu_power": "W",
    "cpu_clock": "MHz",
    "gpu_fan": "RPM",
    "cpu_fan": "RPM",
    "sys_fan1": "RPM",
    "sys_fan2": "RPM",
    "vram_used": "GB",
    "vram_total": "GB",
    "ram_used": "GB",
    "ram_total": "GB",
    "net_down": "KB/s",
    "net_up": "KB/s",
    "disk_read": "KB/s",
    "disk_write": "KB/s",
}
_SCALES: dict[str, dict[str, float]] = {
    "°C": {"°C": 1.0, "C": 1.0},
    "%": {"%": 1.0},
    "W": {"W": 1.0, "mW": 1e-3, "kW": 1e3},
    "MHz": {"MHz": 1.0, "GHz": 1e3, "kHz": 1e-3, "KHz": 1e-3, "Hz": 1e-6},
    "RPM": {"RPM": 1.0, "rpm": 1.0},
    "GB": {"GB": 1.0, "MB": 1 / 1024, "KB": 1 / 1024**2, "B": 1 / 1024**3, "TB": 1024.0},
    "KB/s": {"KB/s": 1.0, "B/s": 1 / 1024, "MB/s": 1024.0, "GB/s": 1024.0**2},
}
_RANGES = {  # inclusive unless noted in _EXCLUSIVE_LOW
    "°C": (0.0, 125.0),
    "%": (0.0, 100.0),
    "W": (0.0, 2000.0),
    "MHz": (0.0, 10000.0),
    "RPM": (0.0, 30000.0),
    "GB": (0.0, 1e9),  # finite bounds also keep an overflowed "1e308 TB" out
    "KB/s": (0.0, 1e12),
}
_EXCLUSIVE_LOW = frozenset({"°C", "MHz"})  # 0 °C and 0 MHz are "not running", not readings


def _to_field(sensor: Sensor, field_name: str) -> float | None:
    """The sensor's value in the field's unit, or None if unknown, unconvertible, implausible."""
    v = sensor.value
    if v is None:
        return None
    target = _FIELD_UNITS[field_name]
    unit = sensor.unit
    if unit and unit != target:
        if target == "°C" and unit == "°F":
            v = (v - 32.0) * 5.0 / 9.0
        else:
            scale = _SCALES[target].get(unit)
            if scale is None:
                return None
            v *= scale
    low, high = _RANGES[target]
    if v > high or v < low or (v == low and target in _EXCLUSIVE_LOW):
        return None
    return v


# --- values --------------------------------------------------------------------------------

_NUM_CHARS = frozenset("0123456789+-.,")
_DIGITS = frozenset("0123456789")
_GROUP_CHARS = " '\u00a0\u202f\u2019"
_GROUP_MARKS = str.maketrans("", "", _GROUP_CHARS)


def _normalize(text: str) -> str:
    """Decimal separator → ".", thousands marks removed (see the module docstring)."""
    if "," in text:
        if "." in text:
            if text.rfind(",") > text.rfind("."):  # 1.234,5
                return text.replace(".", "").replace(",", ".")
            return text.replace(",", "")  # 1,234.5
        if text.count(",") > 1:  # 1,234,567
            return text.replace(",", "")
        return text.replace(",", ".")
    if text.count(".") > 1:  # 1.234.567
        return text.replace(".", "")
    return text


def _try_float(text: str) -> tuple[bool, float | None]:
    """(is a float literal, its value if finite)."""
    try:
        f = float(_normalize(text))
    except ValueError:
        return False, None
    return True, (f if f - f == 0.0 else None)


def _parse_value_slow(value: str) -> tuple[float | None, str]:
    """Everything the fast path refuses: no space, grouped digits, stray whitespace, junk."""
    s = value.strip(_STRIP)
    head, _, tail = s.partition(" ")
    if tail[:1] not in _DIGITS:
        ok, f = _try_float(head)  # also "NaN", "Infinity", "1e400": not finite, so None
        if ok:
            return f, tail.strip(_STRIP)
    n = len(s)
    i = 0
    while i < n:
        c = s[i]
        if c in _NUM_CHARS:
            i += 1
        elif c in _GROUP_CHARS and 0 < i < n - 1 and s[i - 1].isdigit() and s[i + 1].isdigit():
            i += 1  # a thousands mark between digits ("1 234,5")
        else:
            break
    num = s[:i].translate(_GROUP_MARKS)
    unit = s[i:].strip(_STRIP)
    return (_try_float(num)[1] if num else None), unit


def _parse_value(value: Any) -> tuple[float | None, str]:
    """``"54,1 °C"`` → ``(54.1, "°C")``; ``"-"`` → ``(None, "")``; numbers pass through.

    The walk inlines the first branch (same logic) to save a call per sensor.
    """
    if type(value) is str:
        num, _, unit = value.partition(" ")
        try:
            f = float(num.replace(",", "."))
        except ValueError:
            return _parse_value_slow(value)
        if f - f != 0.0 or unit[:1] in _DIGITS or unit[-1:] in _STRIP_SET:
            return _parse_value_slow(value)
        return f, unit
    if type(value) is float or type(value) is int:
        f = float(value)
        return (f if f - f == 0.0 else None), ""
    return None, ""


# --- the walk ------------------------------------------------------------------------------


class _Hw:
    """One hardware node while walking (mutable, internal)."""

    __slots__ = ("hwid", "index", "integrated", "kind", "name", "order", "sensors")

    def __init__(self, name: str, kind: str, index: int, hwid: str, order: int) -> None:
        self.name = name
        self.kind = kind
        self.index = index
        self.hwid = hwid
        self.order = order
        self.sensors: list[Sensor] = []
        self.integrated = False


def _first_sensor_id(children: list[Any]) -> str:
    """The first SensorId in the node's own groups (not in sub-hardware), or ""."""
    for group in children:
        if type(group) is dict:
            kids = group.get("Children")
            if type(kids) is list:
                for s in kids:
                    if type(s) is dict:
                        sid = s.get("SensorId")
                        if type(sid) is str and sid:
                            return sid
                        break  # sub-hardware or OHM: no ids in this group
    return ""


def _kind_of(node: dict[str, Any], name: str, hwid: str, children: list[Any]) -> tuple[str, str]:
    """(kind, id used to decide) of a hardware node."""
    ref = hwid or _first_sensor_id(children)
    if ref:
        seg = ref[1:] if ref[0] == "/" else ref
        seg = seg.partition("/")[0].lower()
        kind = _ID_KINDS.get(seg)
        if kind is None and seg.startswith("gpu"):
            kind = "gpu"
        if kind is not None:
            return kind, ref
    icon = node.get("ImageURL")
    kind = "other"
    if type(icon) is str:
        kind = _ICON_KINDS.get(icon.rpartition("/")[2], "other")
        if kind == "ram" and "virtual" in name.lower():
            kind = "vram"
    return kind, ref


class _Walk:
    __slots__ = ("counts", "hardware", "sensors")

    def __init__(self) -> None:
        self.hardware: list[_Hw] = []
        self.sensors: list[Sensor] = []
        self.counts: dict[str, int] = {}

    def hardware_node(self, node: dict[str, Any], depth: int) -> None:
        text = node.get("Text")
        name = text.strip(_STRIP) if type(text) is str else ""
        hwid = node.get("HardwareId")
        if type(hwid) is not str:
            hwid = ""
        children = node.get("Children")
        if type(children) is not list:
            children = []
        kind, ref = _kind_of(node, name, hwid, children)
        index = self.counts.get(kind, 0)
        self.counts[kind] = index + 1
        hw = _Hw(name, kind, index, hwid, len(self.hardware))
        if kind == "gpu":
            hw.integrated = "integrated" in ref.lower() or _IGPU_NAME.search(name) is not None
        self.hardware.append(hw)
        out = self.sensors
        hw_sensors = hw.sensors
        per_type: dict[str, int] | None = None  # OHM id counters, made on first need
        for group in children:
            if type(group) is not dict:
                continue
            kids = group.get("Children")
            if type(kids) is not list or not kids:
                continue
            first = kids[0]
            if "HardwareId" in group or (type(first) is dict and first.get("Children")):
                if depth < _MAX_DEPTH:
                    self.hardware_node(group, depth + 1)
                continue
            gtext = group.get("Text")
            gtype = _GROUP_TYPES.get(gtext) if type(gtext) is str else None
            if gtype is None:
                icon = group.get("ImageURL")
                gtype = (
                    _ICON_TYPES.get(icon.rpartition("/")[2], "Unknown")
                    if type(icon) is str
                    else "Unknown"
                )
            for s in kids:
                try:
                    sname = s.get("Text").strip()
                except AttributeError:  # not an object, or Text is not a string
                    if type(s) is not dict:
                        continue
                    sname = ""
                raw_value = s.get("Value")
                try:
                    # Fast path for "54,1 °C" / "54.1 °C"; anything odd goes the slow way.
                    num, _, unit = raw_value.partition(" ")
                    value = float(num.replace(",", "."))
                except (AttributeError, ValueError):
                    value, unit = _parse_value(raw_value)
                else:
                    if value - value != 0.0 or unit[:1] in _DIGITS or unit[-1:] in _STRIP_SET:
                        value, unit = _parse_value_slow(raw_value)
                stype = s.get("Type")
                if not stype or type(stype) is not str:
                    stype = gtype
                    if stype == "Data" and unit == "MB":
                        stype = "SmallData"
                if value is None:
                    raw = s.get("RawValue")
                    if (type(raw) is float or type(raw) is int) and stype in _RAW_UNITS:
                        value, _ = _parse_value(raw)
                        if value is not None:
                            unit = _RAW_UNITS[stype]
                sid = s.get("SensorId")
                if not sid or type(sid) is not str:
                    if per_type is None:
                        per_type = {}
                    key = stype.lower()
                    n = per_type.get(key, 0)
                    per_type[key] = n + 1
                    sid = f"/ohm/{kind}/{index}/{key}/{n}"
                sensor = new_sensor(sid, sname, name, kind, stype, value, unit)
                out.append(sensor)
                hw_sensors.append(sensor)


# --- mapping -------------------------------------------------------------------------------


def _index(hw: _Hw) -> dict[tuple[str, str], Sensor]:
    """(type, name) → first sensor of that hardware node."""
    idx: dict[tuple[str, str], Sensor] = {}
    for s in hw.sensors:
        idx.setdefault((s.type, s.name), s)
    return idx


_CPU_TEMPS = (
    "Core (Tctl/Tdie)",
    "Core (Tctl)",
    "Core (Tdie)",
    "Tdie",
    "Tctl",
    "CPU Package",
    "Package",
    "Core Max",
    "Core Average",
    "CCDs Max (Tdie)",
    "CCDs Average (Tdie)",
    "CPU CCD Max",
    "CPU CCD Average",
)
_BOARD_CPU_TEMPS = ("CPU", "CPU Core", "CPU Temperature", "CPUTIN")
_CORE_CLOCK_PREFIXES = ("Core #", "CPU Core #", "P-Core #", "E-Core #")


class _Mapper:
    __slots__ = ("chosen", "derived", "values")

    def __init__(self) -> None:
        self.values: dict[str, float] = {}
        self.chosen: dict[str, str] = {}
        self.derived: dict[str, tuple[str, ...]] = {}

    def take(self, field_name: str, sensor: Sensor | None) -> bool:
        if sensor is None:
            return False
        v = _to_field(sensor, field_name)
        if v is None:
            return False
        self.values[field_name] = v
        self.chosen[field_name] = sensor.id
        return True

    def first(
        self,
        field_name: str,
        idx: dict[tuple[str, str], Sensor],
        types: tuple[str, ...],
        names: tuple[str, ...],
    ) -> Sensor | None:
        """Take the first plausible candidate; return it (or None)."""
        for name in names:
            for t in types:
                s = idx.get((t, name))
                if s is not None and self.take(field_name, s):
                    return s
        return None

    def take_sum(self, field_name: str, parts: list[Sensor]) -> None:
        total = 0.0
        for s in parts:
            v = _to_field(s, field_name)
            if v is None:
                return
            total += v
        self.values[field_name] = round(total, 6)  # 10.2 + 21.4 is 31.6, not 31.599999999999998
        self.chosen[field_name] = parts[0].id
        self.derived[field_name] = tuple(s.id for s in parts)


_T = ("Temperature",)
_L = ("Load",)
_DATA = ("SmallData", "Data")


def _map_cpu(m: _Mapper, cpu: _Hw | None, boards: list[_Hw]) -> None:
    if cpu is not None:
        idx = _index(cpu)
        m.first("cpu_temp", idx, _T, _CPU_TEMPS)
        m.first("cpu_load", idx, _L, ("CPU Total",))
        m.first("cpu_power", idx, ("Power",), ("Package", "CPU Package", "CPU PPT"))
        if m.first("cpu_clock", idx, ("Clock",), ("Cores (Average)",)) is None:
            cores = [
                s
                for s in cpu.sensors
                if s.type == "Clock"
                and s.name.startswith(_CORE_CLOCK_PREFIXES)
                and s.name.rpartition("#")[2].isdigit()
            ]
            vals = [(s, v) for s in cores if (v := _to_field(s, "cpu_clock")) is not None]
            if vals:
                m.values["cpu_clock"] = round(sum(v for _, v in vals) / len(vals), 6)
                m.chosen["cpu_clock"] = vals[0][0].id
                m.derived["cpu_clock"] = tuple(s.id for s, _ in vals)
    if "cpu_temp" not in m.values:
        for board in boards:
            idx = _index(board)
            if m.first("cpu_temp", idx, _T, _BOARD_CPU_TEMPS) is not None:
                return
        for board in boards:
            for s in board.sensors:
                if s.type == "Temperature" and s.name.startswith("CPU") and m.take("cpu_temp", s):
                    return


def _pick_gpu(gpus: list[_Hw]) -> _Hw | None:
    best: tuple[bool, bool, int] | None = None
    pick = None
    for hw in gpus:
        if not hw.sensors:
            continue
        has_core = any(
            s.name == "GPU Core" and s.type in ("Temperature", "Load") for s in hw.sensors
        )
        key = (hw.integrated, not has_core, hw.order)
        if best is None or key < best:
            best, pick = key, hw
    return pick


def _map_gpu(m: _Mapper, gpu: _Hw | None) -> None:
    if gpu is None:
        return
    idx = _index(gpu)
    m.first("gpu_temp", idx, _T, ("GPU Core", "GPU Temperature"))
    m.first("gpu_hotspot", idx, _T, ("GPU Hot Spot", "Hot Spot", "GPU Hotspot"))
    m.first("gpu_load", idx, _L, ("GPU Core", "D3D 3D"))
    m.first("gpu_mem_load", idx, _L, ("GPU Memory Controller", "GPU Frame Buffer"))
    for s in gpu.sensors:
        if s.type == "Fan" and m.take("gpu_fan", s):
            break
    used = m.first("vram_used", idx, _DATA, ("GPU Memory Used", "D3D Dedicated Memory Used"))
    if m.first("vram_total", idx, _DATA, ("GPU Memory Total",)) is None and used is not None:
        free = idx.get(("SmallData", "GPU Memory Free")) or idx.get(("Data", "GPU Memory Free"))
        if free is not None and used.name == "GPU Memory Used":
            m.take_sum("vram_total", [used, free])


def _map_ram(m: _Mapper, rams: list[_Hw]) -> None:
    for hw in rams:
        idx = _index(hw)
        used = m.first("ram_used", idx, ("Data",), ("Memory Used", "Used Memory"))
        if used is None:
            continue
        avail = idx.get(("Data", "Memory Available")) or idx.get(("Data", "Available Memory"))
        if avail is not None:
            m.take_sum("ram_total", [used, avail])
        return


def _map_board(m: _Mapper, boards: list[_Hw]) -> None:
    fans = [s for hw in boards for s in hw.sensors if s.type == "Fan"]
    cpu_fan = None
    for s in fans:
        if s.name.upper().startswith("CPU") and m.take("cpu_fan", s):
            cpu_fan = s
            break
    if cpu_fan is None:
        for s in fans:
            if "pump" in s.name.lower() and m.take("cpu_fan", s):
                cpu_fan = s
                break
    slots = ["sys_fan1", "sys_fan2"]
    for s in fans:
        if not slots:
            break
        upper = s.name.upper()
        if upper.startswith("CPU") or "PUMP" in upper:
            continue
        if m.take(slots[0], s):
            slots.pop(0)
    for hw in boards:
        for s in hw.sensors:
            if (
                s.type == "Temperature"
                and s.name.upper().startswith(("CHIPSET", "PCH"))
                and m.take("chipset_temp", s)
            ):
                return


def _map_disks(m: _Mapper, disks: list[_Hw]) -> None:
    slots = ["sys_disk_usage", "data_disk_usage"]
    for hw in disks:
        for s in hw.sensors:
            if s.type == "Load" and s.name == "Used Space":
                if m.take(slots[0], s):
                    slots.pop(0)
                    if not slots:
                        return
                break


def _apply_overrides(
    m: _Mapper, sensors: list[Sensor], overrides: Mapping[str, str]
) -> tuple[str, ...]:
    by_id: dict[str, Sensor] = {}
    for s in sensors:
        by_id.setdefault(s.id, s)
    missing: list[str] = []
    for field_name, sid in overrides.items():
        if field_name not in _HARDWARE_FIELDS or type(sid) is not str:
            continue
        sensor = by_id.get(sid)
        if sensor is None:
            if sid not in missing:
                missing.append(sid)
            continue
        m.values.pop(field_name, None)
        m.derived.pop(field_name, None)
        m.chosen[field_name] = sensor.id
        v = _to_field(sensor, field_name)
        if v is not None:
            m.values[field_name] = v
    return tuple(missing)


# --- entry points --------------------------------------------------------------------------


def parse_tree(root: Mapping[str, Any], overrides: Mapping[str, str] | None = None) -> LhmReading:
    """Parse already-decoded ``data.json`` and map it (see the module docstring for the rules).

    Raises :class:`LhmFormatError` when ``root`` is not an object with a ``Children`` list
    (``TypeError`` only for a caller bug: ``overrides`` that is not a mapping).
    """
    if not isinstance(root, Mapping):
        raise LhmFormatError(f"root is not a JSON object but {_json_type(root)}")
    children = root.get("Children")
    if children is None:
        raise LhmFormatError("root has no Children")
    if type(children) is not list:
        raise LhmFormatError(f"root Children is not a list but {_json_type(children)}")
    if overrides is not None and not isinstance(overrides, Mapping):
        raise TypeError("overrides must be a mapping of Hardware field -> sensor id")
    try:
        return _parse(root, children, overrides)
    except LhmFormatError:
        raise
    except Exception as exc:  # a bug here must not take the collector down
        raise LhmFormatError(f"internal error while mapping: {exc!r}") from exc


def _parse(
    root: Mapping[str, Any], children: list[Any], overrides: Mapping[str, str] | None
) -> LhmReading:
    walk = _Walk()
    for computer in children:
        if type(computer) is not dict:
            continue
        nodes = computer.get("Children")
        if type(nodes) is not list:
            continue
        for node in nodes:
            if type(node) is dict:
                walk.hardware_node(node, 1)

    by_kind: dict[str, list[_Hw]] = {}
    for hw in walk.hardware:
        by_kind.setdefault(hw.kind, []).append(hw)
    cpu = next((hw for hw in by_kind.get("cpu", ()) if hw.sensors), None)
    boards = by_kind.get("board", [])

    m = _Mapper()
    _map_cpu(m, cpu, boards)
    _map_gpu(m, _pick_gpu(by_kind.get("gpu", [])))
    _map_ram(m, by_kind.get("ram", []))
    _map_board(m, boards)
    _map_disks(m, by_kind.get("disk", []))
    missing: tuple[str, ...] = ()
    if overrides:
        missing = _apply_overrides(m, walk.sensors, overrides)

    version = root.get("Version")
    return LhmReading(
        hardware=Hardware(**m.values),
        sensors=tuple(walk.sensors),
        chosen=MappingProxyType(m.chosen),
        missing_overrides=missing,
        version=version if type(version) is str else None,
        derived=MappingProxyType(m.derived),
    )


def _json_type(value: object) -> str:
    names = {dict: "an object", list: "an array", str: "a string", bool: "a boolean"}
    if value is None:
        return "null"
    if type(value) in (int, float):
        return "a number"
    return names.get(type(value), type(value).__name__)


_BOM = b"\xef\xbb\xbf"


def _loads(raw: bytes | bytearray | str) -> Any:
    """orjson (about 3× faster than json on a 155 KB body) with json as the careful fallback.

    json takes what orjson refuses (a BOM, UTF-16, NaN literals) and words the error when
    the body is really broken.
    """
    try:
        return orjson.loads(raw[3:] if raw[:3] == _BOM else raw)
    except orjson.JSONDecodeError:
        return json.loads(raw)


def parse_data_json(
    raw: bytes | bytearray | str, overrides: Mapping[str, str] | None = None
) -> LhmReading:
    """Parse the HTTP body of LHM's ``/data.json`` (bytes or str; BOM and CRLF are fine).

    ``overrides`` maps Hardware field names to the Sensor.id that replaces the automatic
    choice. Raises :class:`LhmFormatError`, and no other exception, on any malformed body.
    """
    if isinstance(raw, str):
        if raw[:1] == "\ufeff":
            raw = raw[1:]
    elif not isinstance(raw, (bytes, bytearray)):
        raise LhmFormatError(f"body is not bytes or str but {type(raw).__name__}")
    try:
        root = _loads(raw)
    except json.JSONDecodeError as exc:
        raise LhmFormatError(
            f"not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from None
    except UnicodeDecodeError as exc:
        raise LhmFormatError(f"not JSON: body is not UTF-8/16/32 text ({exc.reason})") from None
    except RecursionError:
        raise LhmFormatError("not JSON: nested too deeply") from None
    except ValueError as exc:  # e.g. integer strings too long to convert
        raise LhmFormatError(f"not JSON: {exc}") from None
    return parse_tree(root, overrides)
