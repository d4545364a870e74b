"""What a real Home Assistant user meets, against a real Mosquitto: the device named by
config.json ``name``, string states cut to 255 characters, a contrast off the step rounded,
the display entities' state retained, entities announced once they can have a value."""

from __future__ import annotations

import json
import socket

from nocturne.config.model import MqttSettings
from nocturne.mqtt.client import MqttExporter
from nocturne.mqtt.commands import CONTRAST, parse_command
from nocturne.mqtt.ha_discovery import Node
from nocturne.snapshot import Media, Snapshot, Weather

from .test_mqtt import NODE, STATE, HomeAssistant, broker, config_topic, home_assistant, mqtt_keys
from .test_mqtt_boards import CONTRAST_SET, SCREEN_SET, Board, publish, running_server

__all__ = ["broker", "home_assistant"]  # fixtures

SCREEN_STATE = f"nocturne/{NODE}/display/screen/state"
CONTRAST_STATE = f"nocturne/{NODE}/display/contrast/state"
LATE = ("ping_ms", "weather_temperature", "weather_description", "media_track")


def test_the_device_is_named_by_config_name_else_the_host_name():
    settings = MqttSettings("broker", node_id=NODE)
    assert Node.from_settings(settings, name="Study PC").device()["name"] == "Study PC"
    assert Node.from_settings(settings, name="  ").name == (socket.gethostname() or "PC")


async def test_a_server_named_in_config_json_is_that_device(tmp_path, lhm_replay, broker):
    server = await running_server(tmp_path, lhm_replay.url, name="Study PC", mqtt=mqtt_keys(broker))
    try:
        async with HomeAssistant(broker.port) as ha:
            await ha.until(lambda: ha.last(config_topic("cpu_temp")), "discovery")
            assert json.loads(ha.last(config_topic("cpu_temp")))["device"]["name"] == "Study PC"
    finally:
        await server.stop()


async def test_strings_over_255_characters_are_cut(broker, home_assistant):
    exporter = MqttExporter(
        MqttSettings("127.0.0.1", broker.port, node_id=NODE, interval=1), Node(NODE, "Test PC")
    )
    await exporter.start()
    try:
        exporter.offer(
            Snapshot(
                weather=Weather(temperature=3.0, description="Snow " * 80, code=71),
                media=Media(artist="Ä" * 300, track="🎵" * 400, playing=True),
            )
        )
        await home_assistant.until(lambda: home_assistant.last(STATE), "a state message")
        await home_assistant.until(
            lambda: home_assistant.last(config_topic("media_track")), "the track entity"
        )
    finally:
        await exporter.stop()
    state = json.loads(home_assistant.last(STATE))
    assert state["media_track"] == "🎵" * 255
    assert state["media_artist"] == "Ä" * 255
    assert state["weather_description"] == ("Snow " * 80)[:255]


async def test_values_that_cannot_exist_have_no_entity_until_they_do(broker, home_assistant):
    ha = home_assistant
    exporter = MqttExporter(
        MqttSettings("127.0.0.1", broker.port, node_id=NODE, interval=1), Node(NODE, "Test PC")
    )
    await exporter.start()
    try:
        exporter.offer(Snapshot())  # no ping, no weather place, no media player
        await ha.until(lambda: ha.last(STATE), "a state message")
        await ha.until(lambda: ha.last(config_topic("cpu_temp")), "discovery")
        assert not any(ha.last(config_topic(key)) for key in LATE)
        exporter.offer(
            Snapshot(
                weather=Weather(temperature=21.0, description="Clear sky", code=0),
                media=Media(artist="", track="", playing=False),  # a player, nothing on
                ping_ms=12.0,
            )
        )
        await ha.until(lambda: all(ha.last(config_topic(key)) for key in LATE), "the entities")
        announced_before_state = ha.messages[STATE][-1]
        assert b"ping_ms" in announced_before_state
    finally:
        await exporter.stop()
    assert ha.messages[config_topic("ping_ms")] == [ha.last(config_topic("ping_ms"))]  # once
    weather = json.loads(ha.last(config_topic("weather_description")))
    assert "unit_of_measurement" not in weather and "state_class" not in weather


def test_a_contrast_off_the_step_is_rounded():
    assert parse_command(CONTRAST, b"40.5") == {"cn": 41}
    assert parse_command(CONTRAST, b"40.4") == {"cn": 40}
    assert parse_command(CONTRAST, b"255.4") == {"cn": 255}
    for bad in (b"-0.5", b"255.5", b"nan", b"-inf"):
        assert parse_command(CONTRAST, bad) is None, bad


async def test_display_state_is_retained_and_outlives_a_restart(tmp_path, lhm_replay, broker):
    keys = {"mqtt": mqtt_keys(broker)}
    server = await running_server(tmp_path, lhm_replay.url, **keys)
    try:
        async with HomeAssistant(broker.port) as ha, Board(server.devices.port) as board:
            await ha.until(lambda: ha.last(f"nocturne/{NODE}/status") == b"online", "online")
            await board.until(lambda line: "ct" in line, "a first line")
            mark = board.mark()
            await publish(broker.port, SCREEN_SET, "OFF")
            await publish(broker.port, CONTRAST_SET, "40.5")
            assert (await board.until(lambda line: "cn" in line, "cn", mark))["cn"] == 41
            await ha.until(lambda: ha.last(CONTRAST_STATE) == b"41", "the contrast state")
            assert ha.last(SCREEN_STATE) == b"OFF"
    finally:
        await server.stop()
    (tmp_path / "again").mkdir()
    server = await running_server(tmp_path / "again", lhm_replay.url, **keys)
    try:  # a Home Assistant (re)starting now reads what the boards show
        async with HomeAssistant(broker.port) as ha:
            await ha.until(lambda: SCREEN_STATE in ha.retained, "the retained screen state")
            await ha.until(lambda: CONTRAST_STATE in ha.retained, "the retained contrast")
            assert (ha.retained[SCREEN_STATE], ha.retained[CONTRAST_STATE]) == (b"OFF", b"41")
    finally:
        await server.stop()
