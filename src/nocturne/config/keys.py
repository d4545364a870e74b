"""config.json's keys as a table: one row per key says what its value must be (its type and
range, which the error message is made from), what ``null`` means, and where the default
comes from. The rules that tie two keys together follow the table.

A row's check takes the Checker, the key's full name, the value and the values parsed so
far (for the few sections that depend on an earlier one), and returns the value for Config.
The default of every key is the Config field's (model.py): a key that is absent, or ``null``
where the row says null is the default, is left out and Config fills it in.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ..snapshot.fields import OVERRIDE_KEYS
from .board import MAX_IDLE_MINUTES, parse_night
from .checks import Checker
from .exports import mqtt_settings, show_pcs, web_settings
from .file import ConfigError
from .scenes import parse_custom_scenes
from .tokens import parse_device_tokens

Check = Callable[[Checker, str, Any, Mapping[str, Any]], Any]

TEMPERATURE_UNITS = ("celsius", "fahrenheit")
BOARD_UPDATES = ("auto", "ask", "off")
DEFAULT_WEATHER_API_URL = "https://api.open-meteo.com/v1/forecast"
DEFAULT_GEOCODING_API_URL = "https://geocoding-api.open-meteo.com/v1/search"

# What null means for a key.
NULL_IS_WRONG = "wrong"  # null fails the key's check like any other wrong value
NULL_IS_DEFAULT = "default"  # null: as if the key were absent
NULL_IS_NONE = "none"  # null: the value None (a section turned off)


@dataclass(frozen=True, slots=True)
class Key:
    name: str
    check: Check
    null: str = NULL_IS_WRONG


# --- what a value must be ----------------------------------------------------------------


def text(*, non_empty: bool = False, strip: bool = True) -> Check:
    def check(c: Checker, key: str, value: Any, _: Mapping[str, Any]) -> str:
        value = c.string(key, value, allow_empty=not non_empty)
        return value.strip() if strip else value

    return check


def whole(lo: int, hi: int) -> Check:
    return lambda c, key, value, _: c.integer(key, value, lo, hi)


def number(lo: float, hi: float) -> Check:
    return lambda c, key, value, _: c.number(key, value, lo, hi)


def flag() -> Check:
    return lambda c, key, value, _: c.boolean(key, value)


def url(example: str = "http://localhost:8085/data.json") -> Check:
    return lambda c, key, value, _: c.url(key, value, example=example)


def choice(options: tuple[str, ...]) -> Check:
    """One of ``options``, any case, spaces around ignored."""

    def check(c: Checker, key: str, value: Any, _: Mapping[str, Any]) -> str:
        if not isinstance(value, str) or value.strip().lower() not in options:
            raise c.fail(key, " or ".join(f'"{o}"' for o in options), value)
        return value.strip().lower()

    return check


def section(rows: tuple[Key, ...], build: Callable[..., Any], example: str) -> Check:
    """An object whose keys are ``rows``; ``build`` makes the value from the parsed ones."""

    def check(c: Checker, key: str, value: Any, _: Mapping[str, Any]) -> Any:
        if not isinstance(value, dict):
            raise c.fail(key, f"an object like {example}", value)
        return build(**parse_rows(c, value, rows, prefix=f"{key}."))

    return check


def sensor_overrides(c: Checker, key: str, value: Any, _: Mapping[str, Any]) -> dict[str, str]:
    """``sensors``: protocol key -> LHM SensorId, for the keys the field table lets pin."""
    if not isinstance(value, dict):
        raise c.fail(key, 'an object like {"ct": "/amdcpu/0/temperature/2"}', value)
    for name, sensor_id in value.items():
        if name not in OVERRIDE_KEYS:
            raise ConfigError(
                f"{c.source}: key '{key}.{name}': '{name}' is not a protocol key that can be "
                f"overridden; use one of: {', '.join(OVERRIDE_KEYS)}"
            )
        c.string(f"{key}.{name}", sensor_id, allow_empty=False)
    return dict(value)


def _section_of(parse: Callable[[Checker, Any], Any]) -> Check:
    return lambda c, key, value, _: parse(c, value)


# --- the table ------------------------------------------------------------------------------

LIMITS_ROWS: tuple[Key, ...] = (
    Key("cpu", number(20, 125)),  # °C: CRITICAL at or above
    Key("gpu", number(20, 125)),
    Key("hysteresis", number(0, 20)),  # °C below the limit before the alert clears
)


def _show_pcs(c: Checker, key: str, value: Any, got: Mapping[str, Any]) -> tuple[str, ...]:
    return show_pcs(c, value, got.get("mqtt"))


def config_rows(limits: Callable[..., Any]) -> tuple[Key, ...]:
    """Every top-level key, in Config's order (the order they are checked and listed in an
    error); ``limits`` builds the limits section's value (model.Limits)."""
    return (
        Key("host", text(non_empty=True)),
        Key("port", whole(1, 65535)),
        Key("lhm_url", url()),
        Key("lhm_user", text(strip=False), NULL_IS_DEFAULT),
        Key("lhm_password", text(strip=False), NULL_IS_DEFAULT),
        Key("poll_interval", number(0.2, 60)),
        Key("limits", section(LIMITS_ROWS, limits, '{"cpu": 75, "gpu": 80}')),
        Key("weather_city", text()),
        Key("latitude", number(-90, 90), NULL_IS_DEFAULT),
        Key("longitude", number(-180, 180), NULL_IS_DEFAULT),
        Key("temperature_unit", choice(TEMPERATURE_UNITS)),
        Key("weather_api_url", url(DEFAULT_WEATHER_API_URL)),
        Key("geocoding_api_url", url(DEFAULT_GEOCODING_API_URL)),
        Key("ping_host", text()),
        Key("ping_port", whole(1, 65535)),
        Key("sensors", sensor_overrides),
        Key("max_devices", whole(1, 1000)),
        Key("mqtt", _section_of(mqtt_settings), NULL_IS_DEFAULT),
        Key("show_pcs", _show_pcs, NULL_IS_DEFAULT),
        Key("web", _section_of(web_settings), NULL_IS_NONE),
        Key("night", _section_of(parse_night), NULL_IS_DEFAULT),
        Key("idle_dim_minutes", number(0, MAX_IDLE_MINUTES), NULL_IS_DEFAULT),
        Key("idle_blank_minutes", number(0, MAX_IDLE_MINUTES), NULL_IS_DEFAULT),
        Key("name", text()),
        Key("mdns", flag()),
        Key("device_tokens", _section_of(parse_device_tokens)),
        Key("allow_unpaired", flag()),
        Key("gpu", text()),  # PCI address or name (sources/gpu); "": chosen by itself
        Key("board_updates", choice(BOARD_UPDATES)),  # issue 23: updates over the air
        Key("firmware_dir", text(), NULL_IS_DEFAULT),  # the firmware boards are updated to
        Key("custom_scenes", _section_of(parse_custom_scenes), NULL_IS_DEFAULT),
    )


def parse_rows(
    c: Checker, data: Mapping[str, Any], rows: tuple[Key, ...], *, prefix: str = ""
) -> dict[str, Any]:
    """The values of ``data`` by the table ``rows``: unknown keys refused, each key checked."""
    known = [row.name for row in rows]
    for name in data:
        if name not in known:
            raise c.unknown(f"{prefix}{name}", [f"{prefix}{k}" for k in known])
    parsed: dict[str, Any] = {}
    for row in rows:
        if row.name not in data:
            continue
        value = data[row.name]
        if value is None and row.null == NULL_IS_DEFAULT:
            continue
        if value is None and row.null == NULL_IS_NONE:
            parsed[row.name] = None
            continue
        parsed[row.name] = row.check(c, f"{prefix}{row.name}", value, parsed)
    return parsed


# --- rules between keys ------------------------------------------------------------------


def both_or_neither_coordinate(source: str, got: Mapping[str, Any]) -> None:
    if ("latitude" in got) != ("longitude" in got):
        given, missing = (
            ("latitude", "longitude") if "latitude" in got else ("longitude", "latitude")
        )
        raise ConfigError(
            f"{source}: key '{given}' is set but '{missing}' is not: give both (decimal "
            f'degrees, e.g. "latitude": 52.22, "longitude": 6.9), or neither to use '
            "weather_city"
        )


def blank_after_dim(source: str, got: Mapping[str, Any]) -> None:
    dim, blank = got.get("idle_dim_minutes"), got.get("idle_blank_minutes")
    if dim and blank and blank < dim:
        raise ConfigError(
            f"{source}: key 'idle_blank_minutes' ({blank:g}) is less than "
            f"'idle_dim_minutes' ({dim:g}): the screen dims first, then blanks; set "
            "idle_blank_minutes to more than idle_dim_minutes, or 0 for never"
        )


RULES: tuple[Callable[[str, Mapping[str, Any]], None], ...] = (
    both_or_neither_coordinate,
    blank_after_dim,
)
