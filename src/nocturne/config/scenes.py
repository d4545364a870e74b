"""config.json "custom_scenes" (issue 24): up to four scenes of the user's own, each a name,
a layout and the slots it shows. A slot names an LHM sensor (``sensor``: its SensorId) or a
field of fields.py (``field``). Whether a sensor id is in LibreHardwareMonitor's tree is only
known once the tree is read: collect/custom.py says so then (with the closest ids)."""

from __future__ import annotations

import difflib
import math
from typing import Any

from ..snapshot.custom import (
    FIELD,
    LAYOUTS,
    MAX_DECIMALS,
    MAX_LABEL,
    MAX_NAME,
    MAX_SCENES,
    MAX_UNIT,
    SENSOR,
    CustomScene,
    CustomSlot,
)
from ..snapshot.fields import FIELDS, PING
from ..wire.scene_ids import CUSTOM_1, NAMES
from .checks import Checker, check_object
from .file import ConfigError

SLOT_FIELDS: tuple[str, ...] = (*(f.attr for f in FIELDS), PING.attr)
_SCENE_KEYS = ["name", "layout", "slots"]
_SLOT_KEYS = ["sensor", "field", "label", "unit", "decimals", "warn", "critical"]
SCENE_EXAMPLE = '{"name": "MINE", "layout": "rows", "slots": [...]}'
SLOT_EXAMPLE = '{"sensor": "/intelcpu/0/clock/9", "label": "E-CORE", "unit": "MHz"}'


def closest(wanted: str, known: list[str] | tuple[str, ...], n: int = 3) -> list[str]:
    """Up to ``n`` of ``known`` that look most like ``wanted``."""
    return difflib.get_close_matches(wanted, known, n=n, cutoff=0.5)


def _short_text(c: Checker, key: str, value: Any, limit: int, why: str) -> str:
    if not isinstance(value, str) or not value.strip() or len(value.strip()) > limit:
        raise c.fail(key, f"a string of 1 to {limit} characters ({why})", value)
    return value.strip()


def _limit(c: Checker, key: str, value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise c.fail(key, "a number (the slot's value at which it is marked) or null", value)
    return float(value)


def parse_slot(c: Checker, key: str, value: Any) -> CustomSlot:
    check_object(c, key, value, _SLOT_KEYS, SLOT_EXAMPLE)
    given = [name for name in (SENSOR, FIELD) if name in value]
    if len(given) != 1:
        raise ConfigError(
            f"{c.source}: key '{key}': give either \"sensor\" (an LHM SensorId, as `nocturne "
            f'sensors` lists them) or "field" (one of: {", ".join(SLOT_FIELDS)}), '
            f"{'not both' if given else 'found neither'}"
        )
    source = given[0]
    ref = c.string(f"{key}.{source}", value[source], allow_empty=False).strip()
    if source == FIELD and ref not in SLOT_FIELDS:
        near = closest(ref, SLOT_FIELDS)
        guess = f" (did you mean {' or '.join(repr(n) for n in near)}?)" if near else ""
        raise ConfigError(
            f"{c.source}: key '{key}.field': {ref!r} is not a field{guess}; the fields are: "
            f"{', '.join(SLOT_FIELDS)}"
        )
    if "label" not in value:
        raise ConfigError(f"{c.source}: key '{key}.label' is missing: the slot's name on the board")
    label = _short_text(c, f"{key}.label", value["label"], MAX_LABEL, "the board's box holds that")
    unit = None
    if value.get("unit") is not None:
        if not isinstance(value["unit"], str) or len(value["unit"].strip()) > MAX_UNIT:
            raise c.fail(f"{key}.unit", f"a string of at most {MAX_UNIT} characters", value["unit"])
        unit = value["unit"].strip()
    decimals = 0
    if value.get("decimals") is not None:
        decimals = c.integer(f"{key}.decimals", value["decimals"], 0, MAX_DECIMALS)
    warn = _limit(c, f"{key}.warn", value.get("warn"))
    critical = _limit(c, f"{key}.critical", value.get("critical"))
    if warn is not None and critical is not None and warn > critical:
        raise ConfigError(
            f"{c.source}: key '{key}.warn' ({warn:g}) is above '{key}.critical' "
            f"({critical:g}): a slot is marked at warn, then flashes at critical; swap them"
        )
    return CustomSlot(source, ref, label, unit, decimals, warn, critical)


def parse_scene(c: Checker, key: str, value: Any) -> CustomScene:
    check_object(c, key, value, _SCENE_KEYS, SCENE_EXAMPLE)
    for name in _SCENE_KEYS:
        if name not in value:
            raise ConfigError(f"{c.source}: key '{key}.{name}' is missing (a scene is like "
                              f"{SCENE_EXAMPLE})")  # fmt: skip
    name = _short_text(c, f"{key}.name", value["name"], MAX_NAME, "the header holds that")
    layout = value["layout"]
    if not isinstance(layout, str) or layout.strip().lower() not in LAYOUTS:
        raise c.fail(f"{key}.layout", " or ".join(f'"{n}"' for n in LAYOUTS), layout)
    layout = layout.strip().lower()
    slots = value["slots"]
    most = LAYOUTS[layout]
    if not isinstance(slots, list) or not slots:
        raise c.fail(f"{key}.slots", f"a list of 1 to {most} slots like [{SLOT_EXAMPLE}]", slots)
    if len(slots) > most:
        raise ConfigError(
            f"{c.source}: key '{key}.slots': layout \"{layout}\" shows {most} slot"
            f"{'s' if most > 1 else ''}, found {len(slots)}; remove {len(slots) - most} or "
            f"choose a layout with room ({', '.join(f'{n}: {k}' for n, k in LAYOUTS.items())})"
        )
    parsed = tuple(parse_slot(c, f"{key}.slots[{i}]", s) for i, s in enumerate(slots))
    return CustomScene(name, layout, parsed)


def parse_custom_scenes(c: Checker, value: Any) -> tuple[CustomScene, ...]:
    """``custom_scenes``: a list of up to MAX_SCENES scenes with distinct names."""
    if not isinstance(value, list):
        raise c.fail("custom_scenes", f"a list of up to {MAX_SCENES} scenes like "
                     f"[{SCENE_EXAMPLE}]", value)  # fmt: skip
    if len(value) > MAX_SCENES:
        raise ConfigError(
            f"{c.source}: key 'custom_scenes': {len(value)} scenes, the board has room for "
            f"{MAX_SCENES}; remove {len(value) - MAX_SCENES}"
        )
    scenes = tuple(parse_scene(c, f"custom_scenes[{i}]", s) for i, s in enumerate(value))
    taken = {n.casefold() for n in NAMES[:CUSTOM_1]}  # the built-in scenes' names
    for i, scene in enumerate(scenes):
        if scene.name.casefold() in taken:
            raise ConfigError(
                f"{c.source}: key 'custom_scenes[{i}].name': {scene.name!r} is the name of "
                "another scene (Home Assistant's scene select lists them by name); rename it"
            )
        taken.add(scene.name.casefold())
    return scenes
