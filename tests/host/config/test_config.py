"""config.json: defaults, the created file, and one clear message per kind of mistake."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nocturne.config.model import (
    SENSOR_OVERRIDE_KEYS,
    Config,
    ConfigError,
    default_config_path,
    load_config,
)
from nocturne.wire import protocol


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.json"
    path.write_text(text, encoding="utf-8")
    return path


def test_missing_file_is_created_with_the_original_keys(tmp_path):
    path = tmp_path / "sub" / "config.json"
    loaded = load_config(path, environ={})
    assert loaded.created
    assert json.loads(path.read_text()) == {
        "host": "0.0.0.0",
        "port": 8090,
        "lhm_url": "http://localhost:8085/data.json",
        "limits": {"cpu": 75, "gpu": 80},
        "weather_city": "",
        "ping_host": "1.1.1.1",
        "mdns": True,
    }
    config = loaded.config
    assert (config.host, config.port, config.limits.cpu, config.limits.gpu) == (
        "0.0.0.0",
        8090,
        75,
        80,
    )
    assert config.path == path.resolve()
    assert config.log_path == path.resolve().parent / "nocturne.log"
    again = load_config(path, environ={})
    assert not again.created


def test_existing_file_is_never_overwritten(tmp_path):
    path = write(tmp_path, '{"port": 9000}')
    loaded = load_config(path, environ={})
    assert loaded.config.port == 9000
    assert path.read_text() == '{"port": 9000}'


def test_every_key_is_read(tmp_path):
    path = write(
        tmp_path,
        json.dumps(
            {
                "host": "127.0.0.1",
                "port": 1234,
                "lhm_url": "http://10.0.0.5:8085/data.json",
                "lhm_user": "me",
                "lhm_password": "pw",
                "poll_interval": 2,
                "limits": {"cpu": 90, "gpu": 85, "hysteresis": 5},
                "weather_city": "Enschede",
                "latitude": 52.22,
                "longitude": -6.9,
                "temperature_unit": "Fahrenheit",
                "weather_api_url": "http://127.0.0.1:9000/v1/forecast",
                "geocoding_api_url": "http://127.0.0.1:9000/v1/search",
                "ping_host": " 9.9.9.9 ",
                "ping_port": 443,
                "sensors": {"ct": "/amdcpu/0/temperature/3", "gt": "/gpu-nvidia/0/temperature/0"},
                "max_devices": 4,
            }
        ),
    )
    c = load_config(path, environ={}).config
    assert c.host == "127.0.0.1" and c.port == 1234
    assert c.lhm_url == "http://10.0.0.5:8085/data.json"
    assert (c.lhm_user, c.lhm_password) == ("me", "pw")
    assert c.poll_interval == 2.0
    assert (c.limits.cpu, c.limits.gpu, c.limits.hysteresis) == (90, 85, 5)
    assert c.weather_city == "Enschede"
    assert (c.latitude, c.longitude, c.temperature_unit) == (52.22, -6.9, "fahrenheit")
    assert c.weather_api_url == "http://127.0.0.1:9000/v1/forecast"
    assert c.geocoding_api_url == "http://127.0.0.1:9000/v1/search"
    assert (c.ping_host, c.ping_port) == ("9.9.9.9", 443)
    assert c.weather_cache_path == path.resolve().parent / "weather_location.json"
    assert c.max_devices == 4
    assert c.sensor_overrides == {
        "cpu_temp": "/amdcpu/0/temperature/3",
        "gpu_temp": "/gpu-nvidia/0/temperature/0",
    }


def test_bad_json_names_file_line_and_column(tmp_path):
    path = write(tmp_path, '{\n  "port": 8090,\n  "host": "0.0.0.0"\n  "lhm_url": "x"\n}\n')
    with pytest.raises(ConfigError) as err:
        load_config(path, environ={})
    msg = str(err.value)
    assert str(path) in msg
    assert "line 4, column 3" in msg
    assert "invalid JSON" in msg


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ('{"port": 70000}', "key 'port': expected a whole number from 1 to 65535, found 70000"),
        ('{"port": "8090"}', "key 'port': expected a whole number from 1 to 65535, found \"8090\""),
        ('{"port": true}', "key 'port': expected a whole number from 1 to 65535, found true"),
        ('{"prot": 8090}', "unknown key 'prot' (did you mean 'port'?); the known keys are: host"),
        ('{"limits": {"cpu": "hot"}}', "key 'limits.cpu': expected a number from 20 to 125"),
        ('{"limits": {"cpus": 70}}', "unknown key 'limits.cpus'"),
        ('{"limits": 75}', "key 'limits': expected an object"),
        ('{"lhm_url": "localhost:8085"}', "key 'lhm_url': expected an http:// URL"),
        ('{"host": ""}', "key 'host': expected a non-empty string"),
        ('{"poll_interval": 0}', "key 'poll_interval': expected a number from 0.2 to 60"),
        ('{"sensors": {"xx": "/a"}}', "'xx' is not a protocol key that can be overridden"),
        ('{"sensors": {"ct": 5}}', "key 'sensors.ct': expected a non-empty string, found 5"),
        ("[1, 2]", "expected a JSON object {...} at the top, found a list"),
        ('{"latitude": 91, "longitude": 0}', "key 'latitude': expected a number from -90 to 90"),
        ('{"latitude": 0, "longitude": "6E"}', "key 'longitude': expected a number from -180"),
        ('{"latitude": 52.2}', "key 'latitude' is set but 'longitude' is not: give both"),
        ('{"temperature_unit": "kelvin"}', 'expected "celsius" or "fahrenheit", found "kelvin"'),
        (
            '{"weather_api_url": "api.open-meteo.com/v1/forecast"}',
            "key 'weather_api_url': expected an http:// URL such as https://api.open-meteo.com",
        ),
        ('{"geocoding_api_url": ""}', "key 'geocoding_api_url': expected a non-empty string"),
        ('{"ping_host": 1.1}', "key 'ping_host': expected a string, found 1.1"),
        ('{"ping_port": 0}', "key 'ping_port': expected a whole number from 1 to 65535"),
    ],
)
def test_each_mistake_gets_one_message_naming_key_expected_and_found(tmp_path, content, expected):
    path = write(tmp_path, content)
    with pytest.raises(ConfigError) as err:
        load_config(path, environ={})
    assert expected in str(err.value)
    assert str(path) in str(err.value)


def test_utf8_bom_from_notepad_is_accepted(tmp_path):
    path = tmp_path / "config.json"
    path.write_bytes(b'\xef\xbb\xbf{"port": 8091}')
    assert load_config(path, environ={}).config.port == 8091


def test_not_utf8_is_a_clear_error(tmp_path):
    path = tmp_path / "config.json"
    path.write_bytes(b'{"weather_city": "K\xf8benhavn"}')
    with pytest.raises(ConfigError, match="not UTF-8"):
        load_config(path, environ={})


def test_environment_overrides_as_in_the_original(tmp_path):
    path = write(tmp_path, "{}")
    env = {"LHM_URL": "http://pc:9999/data.json", "TCP_HOST": "127.0.0.1", "TCP_PORT": "9001"}
    c = load_config(path, environ=env).config
    assert (c.lhm_url, c.host, c.port) == ("http://pc:9999/data.json", "127.0.0.1", 9001)


@pytest.mark.parametrize("value", ["abc", "0", "65536"])
def test_bad_tcp_port_environment_is_named(tmp_path, value):
    path = write(tmp_path, "{}")
    with pytest.raises(ConfigError, match="TCP_PORT"):
        load_config(path, environ={"TCP_PORT": value})


def test_default_path_prefers_cwd_then_user_dir(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    assert default_config_path() == tmp_path / "xdg" / "nocturne" / "config.json"
    (tmp_path / "config.json").write_text("{}")
    assert default_config_path() == tmp_path / "config.json"


def test_default_path_when_frozen_is_next_to_the_exe(tmp_path, monkeypatch):
    monkeypatch.setattr("sys.frozen", True, raising=False)
    monkeypatch.setattr("sys.executable", str(tmp_path / "NocturneServer.exe"))
    assert default_config_path() == tmp_path / "config.json"


def test_override_keys_match_the_wire_keys():
    wire = {key: name for name, (key, _) in protocol.HARDWARE_KEYS.items()}
    for key, name in SENSOR_OVERRIDE_KEYS.items():
        assert wire[key] == name


def test_config_defaults_equal_the_written_defaults(tmp_path):
    c = load_config(tmp_path / "config.json", environ={}).config
    d = Config()
    assert (c.host, c.port, c.lhm_url, c.limits) == (d.host, d.port, d.lhm_url, d.limits)
    assert (c.latitude, c.longitude, c.temperature_unit) == (None, None, "celsius")
    assert (c.ping_host, c.ping_port) == ("1.1.1.1", 53)


def test_weather_and_ping_defaults_match_the_sources():
    from nocturne.sources.weather import client

    d = Config()
    assert d.weather_api_url == client.DEFAULT_WEATHER_API_URL
    assert d.geocoding_api_url == client.DEFAULT_GEOCODING_API_URL


def test_null_coordinates_mean_use_the_city(tmp_path):
    path = write(tmp_path, '{"weather_city": "Enschede", "latitude": null, "longitude": null}')
    c = load_config(path, environ={}).config
    assert (c.weather_city, c.latitude, c.longitude) == ("Enschede", None, None)


def test_the_example_config_is_valid_and_names_every_key():
    from nocturne.config.model import CONFIG_ROWS

    top_keys = [row.name for row in CONFIG_ROWS]
    example = Path(__file__).parents[3] / "config.example.json"
    loaded = load_config(example, environ={})
    assert not loaded.created
    assert set(json.loads(example.read_text())) == set(top_keys)
    readme = (Path(__file__).parents[3] / "README.md").read_text(encoding="utf-8")
    for key in top_keys:
        assert f"`{key}`" in readme, f"README does not explain {key}"


def test_config_json_has_one_row_per_config_field():
    """The table is the whole of config.json: every Config field (but the file's own path)
    has its row, in Config's order, and nothing else does."""
    from dataclasses import fields

    from nocturne.config.model import CONFIG_ROWS, Config

    assert [row.name for row in CONFIG_ROWS] == [f.name for f in fields(Config) if f.name != "path"]
