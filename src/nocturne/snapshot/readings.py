"""What every export publishes: the Snapshot's known readings, and each unit's other names.

The field table (``nocturne.snapshot.fields``) lists the readings; this module adds, per physical
unit, the names Home Assistant and Prometheus give it. A new field in the table is exported
everywhere without a line here, unless it brings a unit that is new too.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import Snapshot
from .fields import (
    CELSIUS,
    FIELDS,
    GIGABYTE,
    KB_PER_S,
    MEGAHERTZ,
    MILLISECOND,
    PERCENT,
    PING,
    RPM,
    WATT,
    Field,
)

STATE_DECIMALS = 2  # enough for every reading, and no float noise on the wire
# Home Assistant keeps a state of at most 255 characters: a longer one is two warnings in its
# log on every state message and "unknown" on the entity.
MAX_STATE_CHARS = 255


@dataclass(frozen=True, slots=True)
class UnitNames:
    """One physical unit as Home Assistant and Prometheus name it."""

    ha_unit: str  # unit_of_measurement, spelled as Home Assistant's constants spell it
    ha_device_class: str | None  # None where Home Assistant defines no class for it
    base_unit: str  # Prometheus base unit, the metric name's suffix
    to_base: float  # factor from the field's unit to the base unit


# GB and KB/s are binary here, as LibreHardwareMonitor and psutil count (1 GB = 1024 MB).
UNITS: dict[str, UnitNames] = {
    CELSIUS: UnitNames("°C", "temperature", "celsius", 1.0),
    PERCENT: UnitNames("%", None, "ratio", 0.01),
    WATT: UnitNames("W", "power", "watts", 1.0),
    MEGAHERTZ: UnitNames("MHz", "frequency", "hertz", 1e6),
    RPM: UnitNames("rpm", None, "rpm", 1.0),
    GIGABYTE: UnitNames("GiB", "data_size", "bytes", 1024.0**3),
    KB_PER_S: UnitNames("KiB/s", "data_rate", "bytes_per_second", 1024.0),
    MILLISECOND: UnitNames("ms", "duration", "seconds", 1e-3),
}

NUMERIC_FIELDS: tuple[Field, ...] = (*FIELDS, PING)  # every number with a unit in the table

# Readings outside the field table, by their state key.
WEATHER_TEMPERATURE = "weather_temperature"
WEATHER_DESCRIPTION = "weather_description"
MEDIA_ARTIST = "media_artist"
MEDIA_TRACK = "media_track"
MEDIA_PLAYING = "media_playing"


def custom_key(scene: int, slot: int) -> str:
    """The state key of a custom scene's slot (issue 24): ``custom_1_2`` (1-based, as a person
    counts them: the first scene's second slot)."""
    return f"custom_{scene + 1}_{slot + 1}"


def weather_unit(temperature_unit: str) -> str:
    """The unit of the weather temperature for config.json's ``temperature_unit``."""
    return "°F" if temperature_unit == "fahrenheit" else CELSIUS


def _rounded(value: float) -> float | int:
    number = round(value, STATE_DECIMALS)
    return int(number) if number.is_integer() else number


def known_readings(snapshot: Snapshot) -> dict[str, float | int | str | bool]:
    """The snapshot's known values by state key (the field's attribute name); unknown ones
    are left out, never 0."""
    values: dict[str, float | int | str | bool] = {
        name: _rounded(value) for name, value in snapshot.hardware.known().items()
    }
    if snapshot.ping_ms is not None:
        values[PING.attr] = _rounded(snapshot.ping_ms)
    weather = snapshot.weather
    if weather is not None:
        if weather.temperature is not None:
            values[WEATHER_TEMPERATURE] = _rounded(weather.temperature)
        if weather.description:
            values[WEATHER_DESCRIPTION] = weather.description[:MAX_STATE_CHARS]
    media = snapshot.media
    if media is not None:
        if media.artist:
            values[MEDIA_ARTIST] = media.artist[:MAX_STATE_CHARS]
        if media.track:
            values[MEDIA_TRACK] = media.track[:MAX_STATE_CHARS]
        values[MEDIA_PLAYING] = media.playing
    if snapshot.custom is not None:
        for scene, slot, _, value in snapshot.custom.slots():
            if value is not None:
                values[custom_key(scene, slot)] = _rounded(value)
    return values
