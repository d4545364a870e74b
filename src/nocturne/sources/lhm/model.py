"""Typed results of parsing a LibreHardwareMonitor / OpenHardwareMonitor ``data.json``.

Pure data: nothing here parses or maps; see :mod:`nocturne.sources.lhm.parser`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from nocturne.snapshot import Hardware
from nocturne.sources import SourceUnavailable

__all__ = [
    "HARDWARE_KINDS",
    "LhmFormatError",
    "LhmReading",
    "Sensor",
    "UnreadableValue",
    "new_sensor",
]

#: Every value :attr:`Sensor.kind` can take.
HARDWARE_KINDS: tuple[str, ...] = (
    "cpu",
    "gpu",
    "ram",
    "vram",
    "memory-dimm",
    "disk",
    "board",
    "nic",
    "battery",
    "other",
)


class LhmFormatError(SourceUnavailable, ValueError):
    """The body is not a LHM/OHM ``data.json``; the message says what was wrong and where.

    The parser's message is the bare ``reason`` ("not JSON: ... at line 3 column 3");
    :class:`~nocturne.sources.lhm.client.LhmSource` raises it again with the whole sentence
    a user reads (which URL, what was wrong, that the last good data is kept), so whoever
    runs the source logs ``str(exc)`` as it is.
    """

    def __init__(self, message: str, *, reason: str | None = None) -> None:
        super().__init__(message)
        self.reason = message if reason is None else reason


@dataclass(frozen=True, slots=True)
class Sensor:
    """One sensor leaf of the tree, as read (no plausibility filter, no unit conversion).

    ``id`` is LHM's ``SensorId``. A sensor without one (every OHM sensor) gets a synthesized,
    stable id ``/ohm/<kind>/<hw-index>/<type>/<n>``: ``kind`` is the hardware kind below,
    ``hw-index`` counts hardware nodes of that kind in tree order from 0 (sub-hardware such as a
    SuperIO chip counts after its parent), ``type`` is the lower-cased sensor type and ``n``
    counts sensors of that type within that hardware node from 0. The same tree layout always
    gives the same ids, so they can be used as overrides.
    """

    id: str  # LHM SensorId, or the synthesized id above
    name: str  # sensor Text, whitespace stripped
    hardware: str  # hardware Text, whitespace and NUL stripped
    kind: str  # one of HARDWARE_KINDS
    type: str  # LHM Type ("Temperature", "Load", "SmallData", ...), else derived from the group
    value: float | None  # None for "-", "NaN", "", null or anything unparsable
    unit: str  # as displayed ("°C", "%", "MHz", "W", "RPM", "GB", "MB", "V", ...) or ""


@dataclass(slots=True)
class _SensorTwin:
    """Layout-identical, mutable twin of :class:`Sensor`: see :func:`new_sensor`."""

    id: str
    name: str
    hardware: str
    kind: str
    type: str
    value: float | None
    unit: str


def new_sensor(
    id: str, name: str, hardware: str, kind: str, type: str, value: float | None, unit: str
) -> Sensor:
    """Build a :class:`Sensor` about 3x faster than ``Sensor(...)`` (the parser's hot path).

    A frozen dataclass's ``__init__`` sets every field through ``object.__setattr__`` (about
    1.1 µs for 7 fields); the mutable twin with the same ``__slots__`` is built in 0.25 µs and
    then becomes a real ``Sensor`` by ``__class__`` assignment, which CPython allows between
    classes of identical layout. The result is indistinguishable: same type, eq, hash, repr,
    and frozen.
    """
    obj = _SensorTwin(id, name, hardware, kind, type, value, unit)
    obj.__class__ = Sensor  # type: ignore[assignment]
    return obj  # type: ignore[return-value]


@dataclass(frozen=True, slots=True)
class UnreadableValue:
    """A sensor whose ``Value`` is there but is no finite number (NaN, Infinity, 1e400, true).

    LHM writes "-" for a sensor without a reading; that is an ordinary unknown and not listed.
    """

    sensor_id: str  # Sensor.id (LHM's SensorId or the synthesized one)
    path: str  # "hardware / type / sensor", as LHM names them (remote text: escape to print)
    value: str  # the JSON value as sent, shortened


def _empty() -> Mapping[str, Any]:
    return MappingProxyType({})


@dataclass(frozen=True, slots=True)
class LhmReading:
    """The result of one ``data.json``: mapped :class:`Hardware` plus everything read."""

    hardware: Hardware
    sensors: tuple[Sensor, ...]  # every sensor in tree order (duplicates kept)
    # Hardware field -> Sensor.id it came from (read-only mapping)
    chosen: Mapping[str, str] = field(default_factory=_empty)
    missing_overrides: tuple[str, ...] = ()  # override ids that matched no sensor
    version: str | None = None  # root "Version" (LHM ≥ 0.9.7), else None
    # Fields computed from several sensors (ram_total, cpu_clock, vram_total from used + free):
    # field -> every Sensor.id that went into it. ``chosen`` names the first of them.
    derived: Mapping[str, tuple[str, ...]] = field(default_factory=_empty)
    # Sensors that sent a value that is no number (they read None), in tree order.
    unreadable: tuple[UnreadableValue, ...] = ()
