"""Pure parsing of Open-Meteo response bodies (geocoding search, forecast ``current``).

No I/O here: tested on recorded real responses in tests/fixtures/weather/.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

from .model import CELSIUS, FAHRENHEIT, CurrentWeather, Place, WeatherFormatError


def split_city(query: str) -> tuple[str, str | None]:
    """``"Hollywood, Florida"`` → ``("Hollywood", "Florida")``; ``"Enschede"`` → no qualifier.

    Open-Meteo's search matches names only (a comma finds nothing), so what follows the first
    comma ("Florida", or "Florida, US") is matched against each result's country, country
    code and regions instead.
    """
    name, sep, qualifier = query.partition(",")
    qualifier = ", ".join(p for p in (" ".join(q.split()) for q in qualifier.split(",")) if p)
    return " ".join(name.split()), (qualifier or None) if sep else None


def _load(body: bytes | str, what: str) -> dict[str, Any]:
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise WeatherFormatError(f"{what}: not JSON ({exc})") from None
    except RecursionError:
        raise WeatherFormatError(f"{what}: JSON nested too deeply to be an answer") from None
    if not isinstance(data, dict):
        raise WeatherFormatError(f"{what}: expected a JSON object, found {type(data).__name__}")
    if data.get("error"):
        raise WeatherFormatError(f"{what}: the API says: {data.get('reason') or 'error'}")
    return data


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def _text(value: Any) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def _matches_one(result: Mapping[str, Any], wanted: str) -> bool:
    wanted = wanted.casefold()
    for key in ("country", "country_code", "admin1", "admin2"):
        value = result.get(key)
        if isinstance(value, str):
            value = value.casefold()
            # "Netherlands" matches "The Netherlands": a whole-word suffix of the name
            if value == wanted or (key == "country" and value.endswith(" " + wanted)):
                return True
    return False


def _matches(result: Mapping[str, Any], qualifier: str) -> bool:
    """Every comma-separated part of ``qualifier`` names the result's country or a region."""
    return all(_matches_one(result, part.strip()) for part in qualifier.split(",") if part.strip())


def parse_geocoding(body: bytes | str, qualifier: str | None = None) -> Place | None:
    """The best place in a ``/v1/search`` body, or None when nothing matches.

    The API ranks results (by population and match); the first one whose country, country
    code or region equals ``qualifier`` wins, or simply the first when there is none. A
    body without ``results`` is the API's real "no match" answer.
    """
    data = _load(body, "geocoding answer")
    results = data.get("results")
    if results is None:
        return None
    if not isinstance(results, Sequence) or isinstance(results, (str, bytes)):
        raise WeatherFormatError("geocoding answer: 'results' is not a list")
    for result in results:
        if not isinstance(result, Mapping):
            continue
        lat, lon = _number(result.get("latitude")), _number(result.get("longitude"))
        name = _text(result.get("name"))
        if lat is None or lon is None or name is None:
            continue
        if qualifier is not None and not _matches(result, qualifier):
            continue
        return Place(
            name=name,
            latitude=lat,
            longitude=lon,
            country=_text(result.get("country")),
            country_code=_text(result.get("country_code")),
            admin1=_text(result.get("admin1")),
        )
    return None


def _unit(text: Any) -> str | None:
    if not isinstance(text, str):
        return None
    if "F" in text:
        return FAHRENHEIT
    if "C" in text:
        return CELSIUS
    return None


def parse_forecast(body: bytes | str) -> CurrentWeather:
    """The ``current`` temperature and weather code of a ``/v1/forecast`` body.

    Raises WeatherFormatError when the body has no ``current`` block with either value.
    """
    data = _load(body, "forecast answer")
    current = data.get("current")
    if not isinstance(current, Mapping):
        raise WeatherFormatError("forecast answer: no 'current' block")
    temperature = _number(current.get("temperature_2m"))
    code_value = _number(current.get("weather_code"))
    code = int(code_value) if code_value is not None and code_value == int(code_value) else None
    if temperature is None and code is None:
        raise WeatherFormatError(
            "forecast answer: 'current' has neither temperature_2m nor weather_code"
        )
    units = data.get("current_units")
    unit = _unit(units.get("temperature_2m")) if isinstance(units, Mapping) else None
    time = current.get("time") if isinstance(current.get("time"), str) else None
    return CurrentWeather(temperature=temperature, code=code, unit=unit, time=time)


def convert_temperature(value: float, unit: str | None, wanted: str) -> float:
    """``value`` (in ``unit``; None means Celsius, the API's default) in ``wanted``."""
    unit = unit or CELSIUS
    if unit == wanted:
        return value
    if wanted == FAHRENHEIT:
        return value * 9 / 5 + 32
    return (value - 32) * 5 / 9
