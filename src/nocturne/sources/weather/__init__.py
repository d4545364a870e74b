"""Weather from Open-Meteo (no API key): geocoding of ``weather_city``, current conditions.

``client.py`` talks HTTP, ``parser.py`` turns real response bodies into ``model.py`` types
(pure, tested on recorded responses), ``wmo.py`` names the WMO weather codes.
"""

from .client import WeatherSource
from .model import CityNotFound, CurrentWeather, Place, WeatherFormatError
from .wmo import describe

__all__ = [
    "CityNotFound",
    "CurrentWeather",
    "Place",
    "WeatherFormatError",
    "WeatherSource",
    "describe",
]
