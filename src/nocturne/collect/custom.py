"""The custom scenes' values (issue 24), read from the same poll the boards' line is made of.

A ``sensor`` slot reads LibreHardwareMonitor's sensor of that SensorId from the tree the LHM
feed parsed this poll, in the unit LHM shows it in (the slot's unit by default), or
``local/<field>`` (as /api/sensors lists psutil's readings); a ``field`` slot reads the
snapshot's field. A sensor id that the first tree read does not hold gets one warning naming
the closest ids in it; the slot stays unknown (absent, never 0) until the sensor appears.
"""

from __future__ import annotations

import logging
from dataclasses import replace

from ..config.scenes import closest
from ..safe_text import printable
from ..snapshot import Hardware
from ..snapshot.custom import FIELD, CustomReading, CustomScene, CustomSlot
from ..snapshot.fields import BY_ATTR, PING
from ..sources.lhm.model import LhmReading, Sensor

log = logging.getLogger(__name__)

LOCAL_PREFIX = "local/"  # /api/sensors' id of a psutil reading: local/<field>


class CustomValues:
    """The configured custom scenes (``scenes``, replaced when config.json changes) and
    their reading in each snapshot."""

    def __init__(self, scenes: tuple[CustomScene, ...] = ()) -> None:
        self._scenes = scenes
        self._by_id: dict[str, Sensor] = {}
        self._of: LhmReading | None = None  # the reading _by_id was built from
        self._checked = False  # the sensor ids were checked against a tree

    @property
    def scenes(self) -> tuple[CustomScene, ...]:
        return self._scenes

    @scenes.setter
    def scenes(self, scenes: tuple[CustomScene, ...]) -> None:
        if scenes != self._scenes:
            self._scenes = scenes
            self._checked = False

    def sensor_ids(self) -> list[str]:
        return [s.ref for scene in self._scenes for s in scene.slots if s.source != FIELD]

    def read(
        self,
        lhm: LhmReading | None,
        hardware: Hardware,
        local: Hardware | None,
        ping_ms: float | None = None,
    ) -> CustomReading | None:
        """This poll's reading of every slot; None when no custom scene is configured."""
        if not self._scenes:
            return None
        if lhm is not None and lhm is not self._of:
            self._of = lhm
            self._by_id = {s.id: s for s in lhm.sensors}
            if not self._checked:
                self._checked = True
                for problem in unknown_sensors(self._scenes, list(self._by_id)):
                    log.warning("%s", problem)
        values: list[float | None] = []
        scenes = []
        for scene in self._scenes:
            slots = []
            for slot in scene.slots:
                value, unit = self._value(slot, hardware, local, ping_ms)
                values.append(value)
                slots.append(slot if slot.unit is not None else replace(slot, unit=unit))
            scenes.append(replace(scene, slots=tuple(slots)))
        return CustomReading(tuple(scenes), tuple(values))

    def _value(
        self, slot: CustomSlot, hardware: Hardware, local: Hardware | None, ping_ms: float | None
    ) -> tuple[float | None, str]:
        if slot.source == FIELD:
            if slot.ref == PING.attr:
                return ping_ms, PING.unit
            return getattr(hardware, slot.ref), BY_ATTR[slot.ref].unit
        if slot.ref.startswith(LOCAL_PREFIX):
            field = BY_ATTR.get(slot.ref[len(LOCAL_PREFIX) :])
            if field is None:
                return None, ""
            return (getattr(local, field.attr) if local is not None else None), field.unit
        sensor = self._by_id.get(slot.ref)
        if sensor is None:
            return None, ""
        return sensor.value, sensor.unit


def unknown_sensors(scenes: tuple[CustomScene, ...], known: list[str]) -> list[str]:
    """One line per slot whose sensor id is not in ``known`` (LHM's tree), naming the closest."""
    out = []
    local = [f"{LOCAL_PREFIX}{attr}" for attr in BY_ATTR]
    for s, scene in enumerate(scenes):
        for i, slot in enumerate(scene.slots):
            if slot.source == FIELD or slot.ref in known or slot.ref in local:
                continue
            near = closest(slot.ref, known + local)
            hint = (
                f"the closest are: {', '.join(printable(n) for n in near)}"
                if near
                else "`nocturne sensors` lists every id"
            )
            out.append(
                f"config.json: key 'custom_scenes[{s}].slots[{i}].sensor': "
                f"'{printable(slot.ref)}' is not in LibreHardwareMonitor's sensors ({hint}); "
                "the slot shows unknown until it appears"
            )
    return out
