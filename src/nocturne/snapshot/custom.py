"""Custom scenes (issue 24): what config.json's ``custom_scenes`` defines, and a snapshot's
reading of it. Pure data: config/scenes.py checks the definition, collect/custom.py reads
the values, wire/custom.py puts both on a board's line (``xs``, ``xv``)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

# Layout -> the slots it shows.
LAYOUTS: dict[str, int] = {"big": 1, "two": 2, "grid": 4, "rows": 6, "graph": 1}
MAX_SCENES = 4  # scene ids 14-17 on the board
MAX_NAME = 8  # characters in the header
MAX_LABEL = 10
MAX_UNIT = 4
MAX_DECIMALS = 2
SENSOR = "sensor"  # a slot's source: an LHM SensorId (or local/<field> of /api/sensors)
FIELD = "field"  # ... or a field of fields.py, as the boards get it


@dataclass(frozen=True, slots=True)
class CustomSlot:
    source: str  # SENSOR or FIELD
    ref: str  # the SensorId or the field's attribute
    label: str
    unit: str | None = None  # None: the sensor's (or the field's) own
    decimals: int = 0
    warn: float | None = None
    critical: float | None = None


@dataclass(frozen=True, slots=True)
class CustomScene:
    name: str
    layout: str  # one of LAYOUTS
    slots: tuple[CustomSlot, ...]


@dataclass(frozen=True, slots=True)
class CustomReading:
    """The custom scenes as one snapshot shows them: each slot's unit known where it can be
    (the sensor's own), and each slot's value in that unit, scene by scene (None: unknown)."""

    scenes: tuple[CustomScene, ...]
    values: tuple[float | None, ...]

    def slots(self) -> Iterator[tuple[int, int, CustomSlot, float | None]]:
        """(scene index, slot index, slot, value) for every slot, in wire order."""
        at = 0
        for s, scene in enumerate(self.scenes):
            for i, slot in enumerate(scene.slots):
                yield s, i, slot, self.values[at]
                at += 1
