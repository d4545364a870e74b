"""Typed results of the Open-Meteo APIs."""

from __future__ import annotations

from dataclasses import dataclass

from .. import SourceUnavailable

CELSIUS = "celsius"
FAHRENHEIT = "fahrenheit"
TEMPERATURE_UNITS = (CELSIUS, FAHRENHEIT)


@dataclass(frozen=True, slots=True)
class Place:
    """One geocoding result: where the weather is asked for."""

    name: str
    latitude: float
    longitude: float
    country: str | None = None
    country_code: str | None = None  # ISO 3166-1 alpha-2, e.g. "NL"
    admin1: str | None = None  # state / province / region

    @property
    def label(self) -> str:
        """ "Enschede, The Netherlands" — for log lines."""
        return ", ".join(p for p in (self.name, self.admin1, self.country) if p)


@dataclass(frozen=True, slots=True)
class CurrentWeather:
    """The ``current`` block of a forecast: temperature (in ``unit``) and WMO code."""

    temperature: float | None
    code: int | None
    unit: str | None  # CELSIUS or FAHRENHEIT, from the response's units; None if not said
    time: str | None = None  # local ISO time of the observation, as the API gives it


class WeatherFormatError(SourceUnavailable):
    """A body that is not the Open-Meteo response expected."""


class CityNotFound(SourceUnavailable):
    """The geocoding API knows no place by that name (and country)."""

    lasting = True  # asking again in a minute will not find it either

    def __init__(self, query: str) -> None:
        self.query = query
        super().__init__(
            f"Open-Meteo's geocoding knows no city named {query!r} (weather_city in "
            'config.json): check the spelling, add the country ("Enschede, Netherlands"), '
            "or set latitude and longitude instead; no weather is sent until then"
        )
