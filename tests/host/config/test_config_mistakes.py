"""Mistakes a new user makes, each one message that says what to do: a mistyped key or
--config path, an environment variable, the web endpoints on the boards' port; and what a
new config.json shows them."""

from __future__ import annotations

import json

import pytest

from nocturne.config.model import ConfigError, EnvironmentOverrideError, load_config


def write(tmp_path, **keys) -> object:
    path = tmp_path / "config.json"
    path.write_text(json.dumps(keys), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("keys", "guess"),
    [
        ({"prot": 8090}, "(did you mean 'port'?)"),
        ({"weather_cty": "Oslo"}, "(did you mean 'weather_city'?)"),
        ({"limits": {"gpus": 70}}, "(did you mean 'limits.gpu'?)"),
        ({"mqtt": {"host": "b", "bse_topic": "x"}}, "(did you mean 'mqtt.base_topic'?)"),
    ],
)
def test_an_unknown_key_suggests_the_closest_known_one(tmp_path, keys, guess):
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, **keys), environ={})
    assert guess in str(caught.value)


def test_an_unknown_key_like_none_suggests_nothing(tmp_path):
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, zzzzzz=1), environ={})
    assert "did you mean" not in str(caught.value)
    assert "unknown key 'zzzzzz'; the known keys are: host, port" in str(caught.value)


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"TCP_PORT": "abc"}, 'environment variable TCP_PORT="abc": expected a whole number'),
        ({"TCP_PORT": "70000"}, 'environment variable TCP_PORT="70000": expected a whole'),
        ({"LHM_URL": "pc:8085"}, 'environment variable LHM_URL="pc:8085": expected an http://'),
    ],
)
def test_a_bad_environment_variable_is_named_as_one(tmp_path, environ, message):
    with pytest.raises(EnvironmentOverrideError) as caught:
        load_config(write(tmp_path), environ=environ)
    assert str(caught.value).startswith(message)
    assert str(caught.value).endswith("correct it or unset it (it overrides config.json)")


@pytest.mark.parametrize(
    ("keys", "environ"),
    [
        ({"port": 8095}, {}),  # the web endpoints' default port
        ({"port": 9000, "web": {"port": 9000}}, {}),
        ({"web": {"host": "127.0.0.1", "port": 9001}}, {"TCP_PORT": "9001"}),
    ],
)
def test_the_web_endpoints_on_the_boards_port_are_refused_at_load(tmp_path, keys, environ):
    with pytest.raises(ConfigError, match=r"key 'web.port' is \d+, the port the boards use"):
        load_config(write(tmp_path, **keys), environ=environ)


def test_the_same_port_on_two_addresses_of_this_pc_is_allowed(tmp_path):
    path = write(tmp_path, host="192.168.1.5", port=9000, web={"host": "127.0.0.1", "port": 9000})
    assert load_config(path, environ={}).config.port == 9000
    assert load_config(write(tmp_path, web=None, port=8095), environ={}).config.web is None


def test_a_new_config_shows_the_ping_and_mdns(tmp_path):
    path = tmp_path / "config.json"
    load_config(path, environ={})
    data = json.loads(path.read_text())
    assert (data["ping_host"], data["mdns"]) == ("1.1.1.1", True)


def test_a_missing_file_is_created_only_when_asked(tmp_path):
    typo = tmp_path / "confg.json"
    with pytest.raises(ConfigError) as caught:
        load_config(typo, environ={}, create=False)
    assert not typo.exists()
    assert str(caught.value) == (
        f"{typo}: no such file. Check the path; to start a new config there, run: "
        f'nocturne config --config "{typo}"'
    )
    assert load_config(typo, environ={}).created
