"""A sensor's value in a Hardware field's unit (from nocturne.snapshot.fields), if it is plausible.

Units are physical: °C, %, W, MHz, GB (1 GB = 1024 MB, as LHM counts), RPM, KB/s. Values are
converted from the displayed unit (MB/KB/TB → GB, °F → °C, GHz → MHz, ...); a sensor whose
unit cannot be converted to the field's unit gives None; a unitless value is taken as is.

Plausibility (applied to every mapped value, overrides included; ``sensors`` keep raw values)
    temperatures 0 < t ≤ 125 °C (SuperIO inputs with nothing attached read -9, -2 or 0; a
    sleeping laptop dGPU reads "0,0 °C": unknown, not 0); loads 0-100 %; fans 0-30000 RPM;
    clocks 0 < f ≤ 10000 MHz; power 0-2000 W; data and rates ≥ 0 (and finite). An
    implausible candidate is skipped and the next one tried.
"""

from __future__ import annotations

from nocturne.snapshot.fields import (
    CELSIUS,
    GIGABYTE,
    KB_PER_S,
    MEGAHERTZ,
    PERCENT,
    RPM,
    WATT,
    unit_of,
)

from .model import Sensor

__all__ = ["to_field"]

FAHRENHEIT = "°F"

# field unit -> {displayed unit: factor to the field unit}
_SCALES: dict[str, dict[str, float]] = {
    CELSIUS: {CELSIUS: 1.0, "C": 1.0},
    PERCENT: {PERCENT: 1.0},
    WATT: {WATT: 1.0, "mW": 1e-3, "kW": 1e3},
    MEGAHERTZ: {MEGAHERTZ: 1.0, "GHz": 1e3, "kHz": 1e-3, "KHz": 1e-3, "Hz": 1e-6},
    RPM: {RPM: 1.0, "rpm": 1.0},
    GIGABYTE: {GIGABYTE: 1.0, "MB": 1 / 1024, "KB": 1 / 1024**2, "B": 1 / 1024**3, "TB": 1024.0},
    KB_PER_S: {KB_PER_S: 1.0, "B/s": 1 / 1024, "MB/s": 1024.0, "GB/s": 1024.0**2},
}
_RANGES: dict[str, tuple[float, float]] = {  # inclusive unless in _EXCLUSIVE_LOW
    CELSIUS: (0.0, 125.0),
    PERCENT: (0.0, 100.0),
    WATT: (0.0, 2000.0),
    MEGAHERTZ: (0.0, 10000.0),
    RPM: (0.0, 30000.0),
    GIGABYTE: (0.0, 1e9),  # finite bounds also keep an overflowed "1e308 TB" out
    KB_PER_S: (0.0, 1e12),
}
_EXCLUSIVE_LOW = frozenset({CELSIUS, MEGAHERTZ})  # 0 °C and 0 MHz are "not running"


def to_field(sensor: Sensor, field_name: str) -> float | None:
    """The sensor's value in the field's unit, or None if unknown, unconvertible, implausible."""
    v = sensor.value
    if v is None:
        return None
    target = unit_of(field_name)
    bounds = _RANGES.get(target)
    if bounds is None:  # not a field this parser fills
        return None
    unit = sensor.unit
    if unit and unit != target:
        if target == CELSIUS and unit == FAHRENHEIT:
            v = (v - 32.0) * 5.0 / 9.0
        else:
            scale = _SCALES[target].get(unit)
            if scale is None:
                return None
            v *= scale
    low, high = bounds
    if v > high or v < low or (v == low and target in _EXCLUSIVE_LOW):
        return None
    return v
