"""GET /metrics and /api/snapshot of the real server, in this process, on a replayed capture.

The text is checked by Prometheus' own ``promtool check metrics`` and parsed with
prometheus_client's parser; every value equals the capture's, in base units.
"""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import subprocess
from collections.abc import AsyncIterator

import pytest
from prometheus_client.parser import text_string_to_metric_families

from nocturne.app import NocturneServer
from nocturne.collect.collector import LOCAL_FIRST
from nocturne.config.model import ConfigError, load_config
from nocturne.snapshot.fields import BY_ATTR
from nocturne.snapshot.readings import NUMERIC_FIELDS, UNITS
from nocturne.sources.lhm.parser import parse_data_json
from nocturne.web.metrics import METRICS, metric_name
from tests.harness.rig import free_port, write_config

from ...conftest import CAPTURE_0_9_6
from .test_web_server import fetch

POLL = 0.5


def capture_values() -> dict[str, float]:
    """The readings the capture gives that LHM, not psutil, decides."""
    known = parse_data_json(CAPTURE_0_9_6.read_bytes()).hardware.known()
    return {name: v for name, v in known.items() if name not in LOCAL_FIRST}


async def get(url: str) -> tuple[int, str, str]:
    status, headers, body = await asyncio.to_thread(fetch, url)
    return status, headers["Content-Type"], body.decode()


async def until(condition, timeout: float = 10.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        assert loop.time() < deadline, "not within the timeout"
        await asyncio.sleep(0.05)


@pytest.fixture
async def server(tmp_path, lhm_replay) -> AsyncIterator[NocturneServer]:
    path = write_config(
        tmp_path,
        free_port(),
        lhm_replay.url,
        poll_interval=POLL,
        web={"host": "127.0.0.1", "port": free_port()},
    )
    running = NocturneServer(load_config(path, environ={}).config, media=False)
    await running.start()
    try:
        await until(lambda: running.collector.snapshot.lhm_online)
        yield running
    finally:
        await running.stop()


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


async def test_metrics_pass_promtool_and_equal_the_capture(server):
    status, content_type, text = await get(f"{server.web.url}/metrics")
    assert status == 200
    assert content_type.startswith("text/plain; version=")
    check = subprocess.run(
        ["promtool", "check", "metrics"], input=text, capture_output=True, text=True, timeout=30
    )
    assert check.returncode == 0, check.stdout + check.stderr
    got = samples(text)
    expected = capture_values()
    assert len(expected) >= 15
    for name, value in expected.items():
        field = BY_ATTR[name]
        labels = METRICS[name].labels
        key = (metric_name(field), tuple(sorted(labels)))
        assert key in got, key
        assert got[key] == pytest.approx(value * UNITS[field.unit].to_base), name
    # Spot checks read by hand from the capture ("54,1 °C", "8,3 %", CPU fan "1008 RPM").
    assert got[("nocturne_cpu_temperature_celsius", ())] == pytest.approx(54.1)
    assert got[("nocturne_cpu_load_ratio", ())] == pytest.approx(0.083)
    assert got[("nocturne_fan_speed_rpm", (("fan", "cpu"),))] == 1008
    assert got[("nocturne_lhm_up", ())] == 1


async def test_unknown_readings_have_no_sample(server):
    await server.collector.stop()  # no tick puts a real snapshot over the empty one
    server.web.offer(server.collector.snapshot.__class__())  # nothing known
    _, _, text = await get(f"{server.web.url}/metrics")
    health = {"nocturne_source_cpu_seconds_total", "nocturne_source_up"}
    names = {name for name, _ in samples(text)} - health - {"nocturne_resident_memory_bytes"}
    assert names == {"nocturne_lhm_up", "nocturne_build_info"}
    assert samples(text)[("nocturne_lhm_up", ())] == 0


async def test_snapshot_json_has_the_capture_values_and_null_for_unknown(server):
    status, content_type, text = await get(f"{server.web.url}/api/snapshot")
    assert (status, content_type) == (200, "application/json; charset=utf-8")
    document = json.loads(text)
    for name, value in capture_values().items():
        assert document["hardware"][name] == pytest.approx(value), name
    assert document["lhm_online"] is True
    assert document["ping_ms"] is None  # ping_host "": unknown is null, not 0
    assert document["weather"] is None and document["media"] is None
    assert "taken_at" not in document


def test_every_unit_of_the_table_has_export_names():
    for field in NUMERIC_FIELDS:
        assert field.unit in UNITS, field
        assert metric_name(field).startswith("nocturne_")
    names = [(metric_name(f), METRICS.get(f.attr)) for f in NUMERIC_FIELDS]
    full = [(n, spec.labels if spec else ()) for n, spec in names]
    assert len(set(full)) == len(full), "two fields with one name and the same labels"


async def test_a_taken_port_is_one_log_line_and_devices_are_served(tmp_path, lhm_replay, caplog):
    caplog.set_level(logging.INFO)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        web_port = taken.getsockname()[1]
        device_port = free_port()
        path = write_config(
            tmp_path, device_port, lhm_replay.url, web={"host": "127.0.0.1", "port": web_port}
        )
        running = NocturneServer(load_config(path, environ={}).config, media=False)
        await running.start()
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", device_port)
            writer.write(b"HELO\n")
            line = await asyncio.wait_for(reader.readline(), 10)
            writer.close()
        finally:
            await running.stop()
    assert json.loads(line)["ct"] == 54
    errors = [r for r in caplog.records if "Web: cannot listen" in r.getMessage()]
    assert len(errors) == 1 and errors[0].levelno == logging.ERROR


async def test_web_null_turns_it_off(tmp_path, lhm_replay):
    path = write_config(tmp_path, free_port(), lhm_replay.url, web=None)
    running = NocturneServer(load_config(path, environ={}).config, media=False)
    assert running.web is None


@pytest.mark.parametrize(
    ("web", "message"),
    [
        ({"port": 0}, "key 'web.port': expected a whole number from 1 to 65535"),
        ({"host": ""}, "key 'web.host': expected a non-empty string"),
        ({"path": "/x"}, "unknown key 'web.path'"),
        (8095, "key 'web': expected an object like"),
    ],
)
def test_bad_web_settings_are_named(tmp_path, web, message):
    path = write_config(tmp_path, 8090, "http://127.0.0.1:1/data.json", web=web)
    with pytest.raises(ConfigError, match=message):
        load_config(path, environ={})


def test_web_default_is_loopback_8095(tmp_path):
    path = tmp_path / "config.json"  # no "web" key: the default (the rig turns it off)
    path.write_text('{"ping_host": ""}', encoding="utf-8")
    web = load_config(path, environ={}).config.web
    assert web is not None and (web.host, web.port) == ("127.0.0.1", 8095)


def test_weather_in_fahrenheit_is_exported_in_celsius():
    from prometheus_client import generate_latest

    from nocturne.snapshot import Snapshot, Weather
    from nocturne.web.metrics import metrics_registry

    snapshot = Snapshot(weather=Weather(temperature=50.0))
    text = generate_latest(metrics_registry(lambda: snapshot, weather_unit="°F")).decode()
    assert samples(text)[("nocturne_weather_temperature_celsius", ())] == pytest.approx(10.0)
