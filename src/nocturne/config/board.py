"""config.json settings the boards keep: the night schedule and the user-idle thresholds.

``"night": {"start": "23:00", "end": "07:00", "mode": "dim"}`` (mode "dim", "clock" or
"off"; absent: no schedule is sent and a board keeps its own) and ``"idle_dim_minutes"`` /
``"idle_blank_minutes"`` (0 = never; absent: a board keeps its own). A board gets them on its
first line (``ngt``, ``idm`` in PROTOCOL.md) and stores them.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from ..wire.types import NightSchedule
from .file import ConfigError

if TYPE_CHECKING:
    from .checks import Checker
    from .model import Config

NIGHT_MODES = ("dim", "clock", "off")
NIGHT_KEYS = ("start", "end", "mode")
NIGHT_EXAMPLE = '{"start": "23:00", "end": "07:00", "mode": "dim"}'
MAX_IDLE_MINUTES = 24 * 60
_CLOCK = re.compile(r"([01]?\d|2[0-3]):([0-5]\d)")


def _time_of_day(check: Checker, key: str, value: Any) -> int:
    match = _CLOCK.fullmatch(value.strip()) if isinstance(value, str) else None
    if match is None:
        raise check.fail(key, 'a time of day as "HH:MM" (24-hour, like "23:00")', value)
    return int(match[1]) * 60 + int(match[2])


def parse_night(check: Checker, data: Any) -> NightSchedule:
    """Validate config.json's ``night`` object."""
    if not isinstance(data, dict):
        raise check.fail("night", f"an object like {NIGHT_EXAMPLE}", data)
    for name in data:
        if name not in NIGHT_KEYS:
            raise check.unknown(f"night.{name}", [f"night.{k}" for k in NIGHT_KEYS])
    for key in ("start", "end"):
        if key not in data:
            raise ConfigError(
                f"{check.source}: key 'night.{key}' is missing: give both start and end, "
                f"like {NIGHT_EXAMPLE}"
            )
    start = _time_of_day(check, "night.start", data["start"])
    end = _time_of_day(check, "night.end", data["end"])
    if start == end:
        raise ConfigError(
            f"{check.source}: keys 'night.start' and 'night.end' are the same time: set an end "
            'different from the start (like "23:00" to "07:00"), or remove "night"'
        )
    mode = data.get("mode", "dim")
    if not isinstance(mode, str) or mode.strip().lower() not in NIGHT_MODES:
        raise check.fail("night.mode", '"dim", "clock" or "off"', mode)
    return NightSchedule(start, end, mode.strip().lower())


def idle_thresholds(config: Config) -> tuple[int, int] | None:
    """[dim_after_s, blank_after_s] for the wire (0 = never); None when neither is set."""
    dim, blank = config.idle_dim_minutes, config.idle_blank_minutes
    if dim is None and blank is None:
        return None
    return round((dim or 0) * 60), round((blank or 0) * 60)
