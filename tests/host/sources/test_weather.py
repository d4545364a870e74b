"""Weather: parsing recorded Open-Meteo answers, and the source against an HTTP replay of them."""

from __future__ import annotations

import logging

import pytest

from nocturne.app import weather_source
from nocturne.collect.collector import Collector
from nocturne.config.model import Config
from nocturne.devtools.weather_replay import OpenMeteoReplay
from nocturne.sources.local import LocalSource
from nocturne.sources.weather import CityNotFound, WeatherFormatError, WeatherSource, describe
from nocturne.sources.weather.client import WeatherUnavailable, read_cached_place
from nocturne.sources.weather.model import CELSIUS, FAHRENHEIT, Place
from nocturne.sources.weather.parser import (
    convert_temperature,
    parse_forecast,
    parse_geocoding,
    split_city,
)
from nocturne.sources.weather.wmo import MAX_LEN, WMO_CODES

from ...conftest import FIXTURES

WEATHER = FIXTURES / "weather"
FORECAST = (WEATHER / "forecast-copenhagen.json").read_bytes()
ENSCHEDE = (WEATHER / "geocoding-enschede.json").read_bytes()
HOLLYWOOD = (WEATHER / "geocoding-hollywood.json").read_bytes()
NO_RESULTS = (WEATHER / "geocoding-no-results.json").read_bytes()


# --- pure parsing of the recorded answers -----------------------------------------------


def test_forecast_current_block():
    # Hand-read from the file: "temperature_2m":16.8, "weather_code":55, unit "°C".
    current = parse_forecast(FORECAST)
    assert current.temperature == 16.8
    assert current.code == 55
    assert current.unit == CELSIUS
    assert current.time == "2026-07-26T23:00"
    assert describe(current.code) == "Dense drizzle"


def test_geocoding_first_result_and_no_results_key():
    place = parse_geocoding(ENSCHEDE)
    assert place == Place(
        name="Enschede",
        latitude=52.21833,
        longitude=6.89583,
        country="The Netherlands",
        country_code="NL",
        admin1="Overijssel",
    )
    assert parse_geocoding(NO_RESULTS) is None  # the real answer has no "results" key at all


@pytest.mark.parametrize(
    ("query", "latitude", "country"),
    [
        ("Hollywood", 26.0112, "United States"),  # the API's first: Florida
        ("Hollywood, California", 34.09834, "United States"),  # a region
        ("Hollywood, Ireland", 53.09333, "Ireland"),  # a country name: first Irish one
        ("Hollywood,IE", 53.09333, "Ireland"),  # a country code
        ("hollywood ,  south carolina", 32.73434, "United States"),
        ("Hollywood, Alabama, US", 34.72425, "United States"),  # region and country
        ("Hollywood, Jefferson, Alabama", 33.47288, "United States"),
    ],
)
def test_city_country_picks_the_right_place(query, latitude, country):
    name, qualifier = split_city(query)
    assert name.casefold() == "hollywood"
    place = parse_geocoding(HOLLYWOOD, qualifier)
    assert place is not None
    assert (place.latitude, place.country) == (latitude, country)


def test_split_city():
    assert split_city(" Enschede ") == ("Enschede", None)
    assert split_city("Enschede,") == ("Enschede", None)
    assert split_city("Hollywood , Alabama,US") == ("Hollywood", "Alabama, US")


def test_country_without_the_article_matches():
    assert parse_geocoding(ENSCHEDE, "Netherlands").name == "Enschede"
    assert parse_geocoding(ENSCHEDE, "Germany") is None


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"<html>502</html>",
        b"[]",
        b'{"current": 5}',
        b'{"current": {"time": "x"}}',
        b'{"error": true, "reason": "Latitude must be in range"}',
    ],
)
def test_malformed_forecast_is_a_format_error(body):
    with pytest.raises(WeatherFormatError):
        parse_forecast(body)


def test_malformed_geocoding_is_a_format_error():
    with pytest.raises(WeatherFormatError):
        parse_geocoding(b'{"results": "Enschede"}')
    with pytest.raises(WeatherFormatError):
        parse_geocoding(b"not json")


def test_wmo_table_is_complete_and_short():
    open_meteo_codes = {0, 1, 2, 3, 45, 48, 51, 53, 55, 56, 57, 61, 63, 65, 66, 67, 71, 73, 75}
    open_meteo_codes |= {77, 80, 81, 82, 85, 86, 95, 96, 99}
    assert set(WMO_CODES) == open_meteo_codes
    assert all(0 < len(text) <= MAX_LEN for text in WMO_CODES.values())
    words = " ".join(WMO_CODES.values()).lower()
    for kind in (
        "clear",
        "mainly clear",
        "partly cloudy",
        "overcast",
        "fog",
        "drizzle",
        "freezing drizzle",
        "rain",
        "freezing rain",
        "snow",
        "snow grains",
        "showers",
        "snow showers",
        "thunderstorm",
        "hail",
    ):
        assert kind in words, kind
    assert describe(None) is None and describe(42) is None


def test_temperature_conversion():
    assert convert_temperature(16.8, CELSIUS, FAHRENHEIT) == pytest.approx(62.24)
    assert convert_temperature(62.24, FAHRENHEIT, CELSIUS) == pytest.approx(16.8)
    assert convert_temperature(10.0, None, CELSIUS) == 10.0


# --- the source against the replay ---------------------------------------------------------


@pytest.fixture
async def open_meteo():
    replay = OpenMeteoReplay.from_dir(WEATHER)
    await replay.start()
    yield replay
    await replay.stop()


def make_source(replay: OpenMeteoReplay, **kw) -> WeatherSource:
    return WeatherSource(
        weather_api_url=replay.forecast_url,
        geocoding_api_url=replay.geocoding_url,
        timeout=kw.pop("timeout", 2.0),
        **kw,
    )


async def test_city_is_geocoded_cached_and_weather_read(open_meteo, tmp_path):
    cache = tmp_path / "weather_location.json"
    source = make_source(open_meteo, city="Enschede", cache_path=cache)
    try:
        weather = await source.read()
    finally:
        await source.close()
    assert (weather.temperature, weather.code, weather.description) == (16.8, 55, "Dense drizzle")
    assert open_meteo.searches() == [
        {"name": "Enschede", "count": "10", "language": "en", "format": "json"}
    ]
    forecast = open_meteo.forecasts()[0]
    assert (forecast["latitude"], forecast["longitude"]) == ("52.2183", "6.8958")
    assert forecast["current"] == "temperature_2m,weather_code"
    assert forecast["temperature_unit"] == "celsius"
    assert read_cached_place(cache, " enschede ").latitude == 52.21833
    assert read_cached_place(cache, "Hollywood") is None

    # A new start with the cache: no lookup at all.
    again = make_source(open_meteo, city="Enschede", cache_path=cache)
    try:
        await again.read()
    finally:
        await again.close()
    assert len(open_meteo.searches()) == 1 and len(open_meteo.forecasts()) == 2


async def test_coordinates_in_config_skip_geocoding_and_fahrenheit(open_meteo):
    source = make_source(open_meteo, latitude=55.75, longitude=12.5, unit=FAHRENHEIT)
    try:
        weather = await source.read()
    finally:
        await source.close()
    assert open_meteo.searches() == []
    assert open_meteo.forecasts()[0]["temperature_unit"] == "fahrenheit"
    # The recorded answer is in °C (its units say so): converted, not mislabelled.
    assert weather.temperature == pytest.approx(62.24)


async def test_unknown_city_names_the_city(open_meteo, tmp_path):
    source = make_source(open_meteo, city="Atlantis, Ocean", cache_path=tmp_path / "c.json")
    try:
        with pytest.raises(CityNotFound) as err:
            await source.read()
    finally:
        await source.close()
    assert "'Atlantis, Ocean'" in str(err.value)
    assert open_meteo.forecasts() == []
    assert not (tmp_path / "c.json").exists()


@pytest.mark.parametrize("status", [429, 500, 503])
async def test_http_errors_are_unavailable(open_meteo, status):
    open_meteo.status = status
    source = make_source(open_meteo, latitude=1.0, longitude=2.0)
    try:
        with pytest.raises(WeatherUnavailable, match=f"HTTP {status}"):
            await source.read()
    finally:
        await source.close()


async def test_timeout_and_no_server(open_meteo):
    open_meteo.delay = 2.0
    source = make_source(open_meteo, latitude=1.0, longitude=2.0, timeout=0.3)
    try:
        with pytest.raises(WeatherUnavailable, match="did not answer"):
            await source.read()
    finally:
        await source.close()
    await open_meteo.stop()
    source = make_source(open_meteo, latitude=1.0, longitude=2.0)
    try:
        with pytest.raises(WeatherUnavailable, match="nothing answers at"):
            await source.read()
    finally:
        await source.close()


# --- in the collector: kept while failing, backed off, logged once per change ----------------


class ManualClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_collector_keeps_last_weather_backs_off_and_logs_once(open_meteo, caplog):
    caplog.set_level(logging.INFO)
    clock = ManualClock()
    config = Config(
        latitude=55.75,
        longitude=12.5,
        weather_api_url=open_meteo.forecast_url,
        geocoding_api_url=open_meteo.geocoding_url,
    )
    weather = weather_source(config)
    collector = Collector(config, lhm=None, local=LocalSource(), weather=weather, clock=clock)
    feed = collector.feed("weather")
    assert feed is not None
    try:
        assert await collector.feed("weather").poll_once() == collector.feed("weather").interval
        assert collector.compose().weather.description == "Dense drizzle"
        open_meteo.forecast = b"<html>Bad gateway</html>"
        delays = [await collector.feed("weather").poll_once() for _ in range(3)]
        open_meteo.forecast = FORECAST
        open_meteo.status = 429
        delays += [await collector.feed("weather").poll_once() for _ in range(5)]
        clock.now += 1800  # half an hour of failures: the last good value is still shown
        assert collector.compose().weather.temperature == 16.8
        clock.now += 3600
        assert collector.compose().weather is None  # too old now: unknown, not stale data
        open_meteo.status = 200
        assert await collector.feed("weather").poll_once() == collector.feed("weather").interval
        assert collector.compose().weather.code == 55
    finally:
        await collector.stop()
    assert delays == sorted(delays) and delays[0] < delays[-1] <= collector.feed("weather").interval
    downs = [r for r in caplog.records if "Weather unavailable" in r.getMessage()]
    backs = [r for r in caplog.records if "Weather is back" in r.getMessage()]
    assert len(downs) == 1 and len(backs) == 1
    assert "not JSON" in downs[0].getMessage()


def test_weather_source_from_config(tmp_path):
    assert weather_source(Config()) is None  # no city, no coordinates: no weather at all
    config = Config(
        weather_city="Enschede", temperature_unit="fahrenheit", path=tmp_path / "config.json"
    )
    source = weather_source(config)
    assert source.city == "Enschede" and source.unit == "fahrenheit"
    assert source.cache_path == tmp_path / "weather_location.json"
    assert source.weather_api_url == "https://api.open-meteo.com/v1/forecast"
    assert source.geocoding_api_url == "https://geocoding-api.open-meteo.com/v1/search"
    by_coordinates = weather_source(Config(latitude=52.2, longitude=6.9))
    assert by_coordinates.place == Place(name="52.2, 6.9", latitude=52.2, longitude=6.9)


async def test_retry_after_is_respected_and_unknown_city_waits_the_full_interval(open_meteo):
    weather = WeatherSource(
        latitude=1.0,
        longitude=2.0,
        weather_api_url=open_meteo.forecast_url,
        geocoding_api_url=open_meteo.geocoding_url,
    )
    collector = Collector(Config(), lhm=None, local=LocalSource(), weather=weather)
    try:
        open_meteo.status = 429
        open_meteo.retry_after = "240"
        assert (
            await collector.feed("weather").poll_once() == 240.0
        )  # more than the first back-off step
        open_meteo.retry_after = "86400"
        assert (
            await collector.feed("weather").poll_once() == collector.feed("weather").interval
        )  # capped
    finally:
        await collector.stop()
    city = WeatherSource(
        city="Atlantis",
        weather_api_url=open_meteo.forecast_url,
        geocoding_api_url=open_meteo.geocoding_url,
    )
    open_meteo.status = 200
    collector = Collector(Config(), lhm=None, local=LocalSource(), weather=city)
    try:
        assert await collector.feed("weather").poll_once() == collector.feed("weather").interval
        assert collector.compose().weather is None
    finally:
        await collector.stop()


def test_deeply_nested_json_is_a_format_error_not_a_crash():
    body = b"[" * 100_000 + b"]" * 100_000
    with pytest.raises(WeatherFormatError, match="nested too deeply"):
        parse_forecast(body)
