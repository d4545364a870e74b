"""WMO weather interpretation codes (WMO 4677, the subset Open-Meteo reports) → short text.

Every description fits the device's 20 characters.
"""

from __future__ import annotations

MAX_LEN = 20

WMO_CODES: dict[int, str] = {
    0: "Clear sky",
    1: "Mainly clear",
    2: "Partly cloudy",
    3: "Overcast",
    45: "Fog",
    48: "Rime fog",
    51: "Light drizzle",
    53: "Drizzle",
    55: "Dense drizzle",
    56: "Freezing drizzle",
    57: "Dense frz. drizzle",
    61: "Light rain",
    63: "Rain",
    65: "Heavy rain",
    66: "Freezing rain",
    67: "Heavy freezing rain",
    71: "Light snow",
    73: "Snow",
    75: "Heavy snow",
    77: "Snow grains",
    80: "Light showers",
    81: "Showers",
    82: "Violent showers",
    85: "Snow showers",
    86: "Heavy snow showers",
    95: "Thunderstorm",
    96: "Thunderstorm + hail",
    99: "Heavy storm + hail",
}

assert all(len(text) <= MAX_LEN for text in WMO_CODES.values())


def describe(code: int | None) -> str | None:
    """The description of ``code``, or None for an unknown (or missing) code."""
    if code is None:
        return None
    return WMO_CODES.get(code)
