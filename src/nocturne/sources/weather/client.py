"""WeatherSource: Open-Meteo over HTTP — geocode ``weather_city`` once, then current weather.

The geocoded place is cached in a small JSON file next to config.json, so start-up needs no
lookup; explicit ``latitude``/``longitude`` in the config skip geocoding altogether.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
from pathlib import Path
from typing import Any

from ...snapshot import Weather
from ..http import HttpClient, HttpUnavailable
from .model import CELSIUS, CityNotFound, Place
from .parser import convert_temperature, parse_forecast, parse_geocoding, split_city
from .wmo import describe

log = logging.getLogger(__name__)

DEFAULT_WEATHER_API_URL = "https://api.open-meteo.com/v1/forecast"
DEFAULT_GEOCODING_API_URL = "https://geocoding-api.open-meteo.com/v1/search"
MAX_BODY = 1024 * 1024  # bytes; real answers are 1-8 KB


class WeatherUnavailable(HttpUnavailable):
    """No usable answer from Open-Meteo this time (network, timeout, HTTP status, size)."""


def _cache_key(city: str) -> str:
    return " ".join(city.split()).casefold()


def read_cached_place(path: Path, city: str) -> Place | None:
    """The place cached for ``city`` at ``path``, or None (no file, another city, broken)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("query") != _cache_key(city):
            return None
        return Place(
            name=str(data["name"]),
            latitude=float(data["latitude"]),
            longitude=float(data["longitude"]),
            country=data.get("country"),
            country_code=data.get("country_code"),
            admin1=data.get("admin1"),
        )
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def write_cached_place(path: Path, city: str, place: Place) -> None:
    data = {
        "query": _cache_key(city),
        "name": place.name,
        "latitude": place.latitude,
        "longitude": place.longitude,
        "country": place.country,
        "country_code": place.country_code,
        "admin1": place.admin1,
    }
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, path)


class WeatherSource:
    """``read()`` returns the current Weather for the configured place, in the configured unit.

    Raises CityNotFound for an unknown city, WeatherUnavailable when Open-Meteo cannot be
    reached or refuses, WeatherFormatError for a body that is not the expected JSON.
    """

    name = "Weather"
    interval = 600.0  # seconds between reads (Open-Meteo updates every 15 min)

    def __init__(
        self,
        *,
        city: str = "",
        latitude: float | None = None,
        longitude: float | None = None,
        unit: str = CELSIUS,
        weather_api_url: str = DEFAULT_WEATHER_API_URL,
        geocoding_api_url: str = DEFAULT_GEOCODING_API_URL,
        cache_path: Path | None = None,
        timeout: float = 10.0,
    ) -> None:
        self.city = city.strip()
        self.unit = unit
        self.weather_api_url = weather_api_url
        self.geocoding_api_url = geocoding_api_url
        self.cache_path = cache_path
        self.place: Place | None = None
        if latitude is not None and longitude is not None:
            self.place = Place(
                name=self.city or f"{latitude:g}, {longitude:g}",
                latitude=latitude,
                longitude=longitude,
            )
        self._http = HttpClient(timeout=timeout)

    @property
    def configured(self) -> bool:
        """False when there is neither a city nor coordinates: no weather to ask for."""
        return self.place is not None or bool(self.city)

    async def _get(self, url: str, params: dict[str, str]) -> bytes:
        return await self._http.get(
            url,
            params=params,
            max_bytes=MAX_BODY,
            error=WeatherUnavailable,
            status_hints={429: " (too many requests)"},
        )

    async def geocode(self, city: str) -> Place:
        """Look ``city`` ("City" or "City, Country") up. Raises CityNotFound."""
        name, qualifier = split_city(city)
        if not name:
            raise CityNotFound(city)
        params = {"name": name, "count": "10", "language": "en", "format": "json"}
        place = parse_geocoding(await self._get(self.geocoding_api_url, params), qualifier)
        if place is None:
            raise CityNotFound(city)
        return place

    async def locate(self) -> Place:
        """The place: from the config, else the cache file, else the geocoding API (cached)."""
        if self.place is not None:
            return self.place
        if self.cache_path is not None:
            cached = await asyncio.to_thread(read_cached_place, self.cache_path, self.city)
            if cached is not None:
                self.place = cached
                log.info("Weather for %s (cached in %s)", cached.label, self.cache_path)
                return cached
        place = await self.geocode(self.city)
        self.place = place
        log.info(
            "Weather for %s (%.4f, %.4f), found for weather_city %r",
            place.label,
            place.latitude,
            place.longitude,
            self.city,
        )
        if self.cache_path is not None:
            try:
                await asyncio.to_thread(write_cached_place, self.cache_path, self.city, place)
            except OSError as exc:
                log.warning("Cannot cache the weather location in %s: %s", self.cache_path, exc)
        return place

    async def read(self) -> Weather:
        place = await self.locate()
        params: dict[str, Any] = {
            "latitude": f"{place.latitude:.4f}",
            "longitude": f"{place.longitude:.4f}",
            "current": "temperature_2m,weather_code",
            "temperature_unit": self.unit,
            "timezone": "auto",
        }
        current = parse_forecast(await self._get(self.weather_api_url, params))
        temperature = current.temperature
        if temperature is not None:
            temperature = convert_temperature(temperature, current.unit, self.unit)
        return Weather(
            temperature=temperature, description=describe(current.code), code=current.code
        )

    async def close(self) -> None:
        await self._http.close()
