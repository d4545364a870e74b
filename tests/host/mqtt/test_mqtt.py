"""MQTT and Home Assistant discovery against a real Mosquitto, with aiomqtt as Home Assistant.

Each test starts its own broker (``mosquitto -c`` a config of its own: one loopback listener
on a free port, no persistence) and kills it afterwards.
"""

from __future__ import annotations

import asyncio
import json
import logging
import shutil
import socket
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import aiomqtt
import pytest

from nocturne.app import NocturneServer
from nocturne.collect.collector import LOCAL_FIRST
from nocturne.config.model import ConfigError, MqttSettings, load_config
from nocturne.mqtt.client import MqttExporter
from nocturne.mqtt.ha_discovery import (
    Node,
    discovery_messages,
    node_id_from_name,
    value_messages,
)
from nocturne.snapshot import Hardware, Media, Snapshot, Weather
from nocturne.snapshot.readings import NUMERIC_FIELDS, UNITS
from nocturne.sources.lhm.parser import parse_data_json
from tests.harness.rig import ServerProcess, free_port, write_config

from ...conftest import CAPTURE_0_9_6

MOSQUITTO = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
NODE = "test_pc"
TIMEOUT = 15.0


class Broker:
    """A Mosquitto of this test's own on 127.0.0.1."""

    def __init__(self, directory: Path, port: int | None = None) -> None:
        self.port = port or free_port()
        self.config = directory / f"mosquitto-{self.port}.conf"
        self.config.write_text(
            f"listener {self.port} 127.0.0.1\nallow_anonymous true\npersistence false\n"
            "log_dest stderr\n"
        )
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [MOSQUITTO, "-c", str(self.config)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        deadline = time.monotonic() + TIMEOUT
        while True:
            assert self.proc.poll() is None, self.proc.stderr.read() if self.proc.stderr else ""
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            assert time.monotonic() < deadline, "mosquitto did not listen"
            time.sleep(0.05)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[Broker]:
    running = Broker(tmp_path)
    running.start()
    yield running
    running.stop()


class HomeAssistant:
    """A subscriber keeping every message by topic, as Home Assistant would see them."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.client = aiomqtt.Client("127.0.0.1", port)
        self.messages: dict[str, list[bytes]] = {}
        self.retained: dict[str, bytes] = {}  # what the broker kept from before we subscribed
        self._task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> HomeAssistant:
        await self.client.__aenter__()
        await self.client.subscribe("homeassistant/#", qos=1)
        await self.client.subscribe("nocturne/#", qos=1)
        self._task = asyncio.create_task(self._read())
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._task is not None
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)
        await self.client.__aexit__(None, None, None)

    async def _read(self) -> None:
        async for message in self.client.messages:
            payload = message.payload
            assert isinstance(payload, bytes)
            self.messages.setdefault(str(message.topic), []).append(payload)
            if message.retain:
                self.retained[str(message.topic)] = payload

    def last(self, topic: str) -> bytes | None:
        found = self.messages.get(topic)
        return found[-1] if found else None

    async def until(self, condition, what: str) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + TIMEOUT
        while not condition():
            assert loop.time() < deadline, f"not within {TIMEOUT} s: {what}; got {self.messages}"
            await asyncio.sleep(0.05)


@pytest.fixture
async def home_assistant(broker: Broker) -> AsyncIterator[HomeAssistant]:
    async with HomeAssistant(broker.port) as ha:
        yield ha


def mqtt_keys(broker: Broker, **extra: Any) -> dict[str, Any]:
    return {"host": "127.0.0.1", "port": broker.port, "node_id": NODE, "interval": 1, **extra}


@pytest.fixture
async def server(tmp_path, lhm_replay, broker) -> AsyncIterator[NocturneServer]:
    path = write_config(
        tmp_path, free_port(), lhm_replay.url, poll_interval=0.5, web=None, mqtt=mqtt_keys(broker)
    )
    running = NocturneServer(load_config(path, environ={}).config, media=False)
    await running.start()
    yield running
    await running.stop()


STATE = f"nocturne/{NODE}/state"
STATUS = f"nocturne/{NODE}/status"


def config_topic(reading: str) -> str:
    return f"homeassistant/sensor/{NODE}/{reading}/config"


async def test_discovery_announces_every_field_with_its_unit_and_class(server, home_assistant):
    # The ping, the weather and the track come with their first value (test_ha_entities.py).
    readings = [f.attr for f in NUMERIC_FIELDS if f.attr != "ping_ms"]
    await home_assistant.until(
        lambda: all(home_assistant.last(config_topic(r)) for r in readings), "discovery"
    )
    numeric = {f.attr: f for f in NUMERIC_FIELDS}
    unique_ids = set()
    for reading in readings:
        config = json.loads(home_assistant.last(config_topic(reading)))
        for key in ("name", "unique_id", "state_topic", "value_template", "device"):
            assert config[key], (reading, key)
        assert config["state_topic"] == STATE
        assert config["availability_topic"] == STATUS
        assert (config["payload_available"], config["payload_not_available"]) == (
            "online",
            "offline",
        )
        assert f"value_json.{reading} " in config["value_template"]
        device = config["device"]
        assert device["identifiers"] == [f"nocturne_{NODE}"]
        assert device["model"] and device["name"] and device["sw_version"] == "0.1.0"
        unique_ids.add(config["unique_id"])
        field = numeric.get(reading)
        if field is not None:
            assert config["unit_of_measurement"] == UNITS[field.unit].ha_unit, reading
            assert config["state_class"] == "measurement", reading
            assert config.get("device_class") == UNITS[field.unit].ha_device_class, reading
    assert len(unique_ids) == len(readings)
    # Classes Home Assistant defines, spot-checked against its documentation's names.
    cpu_temp = json.loads(home_assistant.last(config_topic("cpu_temp")))
    assert (cpu_temp["device_class"], cpu_temp["unit_of_measurement"]) == ("temperature", "°C")
    ram = json.loads(home_assistant.last(config_topic("ram_used")))
    assert (ram["device_class"], ram["unit_of_measurement"]) == ("data_size", "GiB")
    load = json.loads(home_assistant.last(config_topic("cpu_load")))
    assert "device_class" not in load and load["unit_of_measurement"] == "%"


async def test_state_equals_the_capture_and_status_is_online(server, home_assistant):
    await home_assistant.until(lambda: home_assistant.last(STATE), "a state message")
    state = json.loads(home_assistant.last(STATE))
    assert home_assistant.last(STATUS) == b"online"
    known = parse_data_json(CAPTURE_0_9_6.read_bytes()).hardware.known()
    compared = 0
    for name, value in known.items():
        if name not in LOCAL_FIRST:
            assert state[name] == pytest.approx(value, abs=0.005), name
            compared += 1
    assert compared >= 15
    assert state["cpu_temp"] == pytest.approx(54.1)
    assert "ping_ms" not in state  # ping_host "": unknown, so absent, never 0
    assert not any(key.startswith(("weather_", "media_")) for key in state)
    # Retained: Home Assistant starting later gets the entities, the status and the state.
    async with HomeAssistant(home_assistant.port) as late:
        await late.until(lambda: STATE in late.retained, "the retained state")
        assert late.retained[STATUS] == b"online"
        assert json.loads(late.retained[config_topic("cpu_temp")])["unique_id"]


async def test_unknown_values_are_absent_from_the_state(broker, home_assistant):
    exporter = MqttExporter(
        MqttSettings("127.0.0.1", broker.port, node_id=NODE, interval=1),
        Node(NODE, "Test PC"),
    )
    await exporter.start()
    try:
        exporter.offer(Snapshot(hardware=Hardware(cpu_temp=61.25, gpu_fan=0.0)))
        await home_assistant.until(lambda: home_assistant.last(STATE), "a state message")
    finally:
        await exporter.stop()
    assert json.loads(home_assistant.last(STATE)) == {"cpu_temp": 61.25, "gpu_fan": 0}
    assert home_assistant.last(STATUS) == b"offline"  # a clean stop says so itself


async def test_weather_and_the_playing_track_are_in_the_state(broker, home_assistant):
    exporter = MqttExporter(
        MqttSettings("127.0.0.1", broker.port, node_id=NODE, interval=1), Node(NODE, "Test PC")
    )
    await exporter.start()
    try:
        exporter.offer(
            Snapshot(
                weather=Weather(temperature=21.456, description="Partly cloudy", code=2),
                media=Media(artist="Daft Punk", track="Veridis Quo", playing=True),
                ping_ms=12.0,
            )
        )
        await home_assistant.until(lambda: home_assistant.last(STATE), "a state message")
    finally:
        await exporter.stop()
    assert json.loads(home_assistant.last(STATE)) == {
        "ping_ms": 12,
        "weather_temperature": 21.46,
        "weather_description": "Partly cloudy",
        "media_artist": "Daft Punk",
        "media_track": "Veridis Quo",
        "media_playing": True,
    }


async def test_killed_server_turns_offline_through_the_last_will(tmp_path, lhm_replay, broker):
    path = write_config(
        tmp_path, free_port(), lhm_replay.url, poll_interval=0.5, web=None, mqtt=mqtt_keys(broker)
    )
    process = ServerProcess(path)
    async with HomeAssistant(broker.port) as ha:
        await process.start()
        try:
            await process.wait_for_log("MQTT: publishing to")
            await ha.until(lambda: ha.last(STATUS) == b"online", "online")
            await ha.until(lambda: ha.last(STATE), "a state message")
            await process.kill()  # SIGKILL: no goodbye, only the broker's last will
            await ha.until(lambda: ha.last(STATUS) == b"offline", "offline after the kill")
        finally:
            await process.stop()
    assert "Traceback" not in process.log()


async def test_broker_down_is_one_log_line_and_devices_are_served(tmp_path, lhm_replay, caplog):
    caplog.set_level(logging.INFO)
    broker = Broker(tmp_path)  # not started yet: nothing listens on its port
    device_port = free_port()
    path = write_config(
        tmp_path, device_port, lhm_replay.url, poll_interval=0.2, web=None, mqtt=mqtt_keys(broker)
    )
    running = NocturneServer(load_config(path, environ={}).config, media=False)
    assert running.mqtt is not None
    running.mqtt.backoff = (0.1,)
    await running.start()
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", device_port)
        writer.write(b"HELO\n")
        loop = asyncio.get_running_loop()
        started = loop.time()
        lines = [await asyncio.wait_for(reader.readline(), 5) for _ in range(10)]
        elapsed = loop.time() - started
        writer.close()
        assert all(json.loads(line)["ct"] == 54 for line in lines)
        assert elapsed < 10 * 0.2 + 1.0  # the poll rate, not the broker's time-outs
        down = [r for r in caplog.records if "MQTT: cannot reach the broker" in r.getMessage()]
        assert len(down) == 1, [r.getMessage() for r in caplog.records]
        broker.start()
        async with HomeAssistant(broker.port) as ha:
            await ha.until(lambda: ha.last(STATE), "a state once the broker is up")
    finally:
        await running.stop()
        broker.stop()
    up = [r for r in caplog.records if "MQTT: publishing to" in r.getMessage()]
    assert len(up) == 1


async def test_a_silent_broker_never_delays_the_devices(tmp_path, lhm_replay, caplog):
    caplog.set_level(logging.INFO)

    async def never_answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read()  # takes the CONNECT, sends no CONNACK

    silent = await asyncio.start_server(never_answer, "127.0.0.1", 0)
    port = silent.sockets[0].getsockname()[1]
    device_port = free_port()
    path = write_config(
        tmp_path,
        device_port,
        lhm_replay.url,
        poll_interval=0.2,
        web=None,
        mqtt={"host": "127.0.0.1", "port": port, "node_id": NODE},
    )
    running = NocturneServer(load_config(path, environ={}).config, media=False)
    await running.start()
    loop = asyncio.get_running_loop()
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", device_port)
        writer.write(b"HELO\n")
        started = loop.time()
        lines = [await asyncio.wait_for(reader.readline(), 5) for _ in range(10)]
        elapsed = loop.time() - started
        writer.close()
    finally:
        stopping = loop.time()
        await running.stop()
        stopped_in = loop.time() - stopping
        silent.close()
    assert all(json.loads(line)["ct"] == 54 for line in lines)
    assert elapsed < 10 * 0.2 + 1.0
    assert stopped_in < 5.0  # stop() does not wait out the connect time-out
    assert not any("MQTT: publishing" in r.getMessage() for r in caplog.records)


def test_node_id_is_the_pc_name_made_topic_safe():
    assert node_id_from_name("Gaming-PC (Office)") == "gaming-pc_office"
    assert node_id_from_name("  ") == "pc"
    assert Node.from_settings(MqttSettings("h")).node_id == node_id_from_name(socket.gethostname())


def test_every_numeric_field_is_announced_once():
    node = Node(NODE, "Test PC")
    topics = [topic for topic, _ in discovery_messages(node)]
    topics += [topic for topic, _ in value_messages(node).values()]
    assert len(topics) == len(set(topics)) == len(NUMERIC_FIELDS) + 3


@pytest.mark.parametrize(
    ("mqtt", "message"),
    [
        ({}, "key 'mqtt.host' is missing"),
        ({"host": ""}, "key 'mqtt.host': expected a non-empty string"),
        ({"host": "b", "port": 70000}, "key 'mqtt.port': expected a whole number"),
        ({"host": "b", "tls": "yes"}, "key 'mqtt.tls': expected true or false"),
        ({"host": "b", "ca_file": "/ca.pem"}, 'set "tls": true too'),
        ({"host": "b", "tls": True, "ca_file": "/nowhere/ca.pem"}, "mqtt.ca_file"),
        ({"host": "b", "password": "x"}, "set 'mqtt.username' too"),
        ({"host": "b", "base_topic": "a/#"}, "key 'mqtt.base_topic': expected letters"),
        ({"host": "b", "node_id": "my pc"}, "key 'mqtt.node_id': expected letters"),
        ({"host": "b", "interval": 0.1}, "key 'mqtt.interval': expected a number from 1"),
        ({"host": "b", "qos": 1}, "unknown key 'mqtt.qos'"),
        ("broker", "key 'mqtt': expected an object like"),
    ],
)
def test_bad_mqtt_settings_are_named(tmp_path, mqtt, message):
    path = write_config(tmp_path, 8090, "http://127.0.0.1:1/data.json", mqtt=mqtt)
    with pytest.raises(ConfigError, match=message):
        load_config(path, environ={})


def test_mqtt_defaults(tmp_path):
    path = write_config(tmp_path, 8090, "http://127.0.0.1:1/data.json", mqtt={"host": "b"})
    settings = load_config(path, environ={}).config.mqtt
    assert settings == MqttSettings("b")
    assert (settings.port, settings.base_topic, settings.discovery_prefix) == (
        1883,
        "nocturne",
        "homeassistant",
    )
    assert settings.interval == 10 and not settings.tls
    no_mqtt = write_config(tmp_path, 8090, "http://127.0.0.1:1/data.json")
    assert load_config(no_mqtt, environ={}).config.mqtt is None


def test_a_server_without_mqtt_does_not_load_the_mqtt_client():
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from nocturne.app import NocturneServer\n"
        "from nocturne.config.model import Config\n"
        "NocturneServer(Config(ping_host='', web=None), use_lhm=False, media=False)\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('aiomqtt', 'paho')))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == "[]", out.stdout
