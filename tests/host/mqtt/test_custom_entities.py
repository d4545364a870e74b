"""The custom scenes in Home Assistant (issue 24), against a real Mosquitto: each slot a sensor
with its unit and the capture's value, the scene select listing the scenes by name (ids
14-17 on the boards), and both following a new definition."""

from __future__ import annotations

import json

from nocturne.config.model import config_from_mapping

from .test_mqtt import NODE, STATE, HomeAssistant, broker, config_topic, mqtt_keys
from .test_mqtt_boards import SCENE_SET, Board, entity_config, publish, running_server

__all__ = ["broker"]  # fixtures

SCENES = [
    {"name": "CORES", "layout": "two",
     "slots": [{"sensor": "/amdcpu/0/clock/6", "label": "CORE 1"},
               {"sensor": "/lpc/nct6687d/0/fan/1", "label": "PUMP"}]},
    {"name": "Drive", "layout": "big",
     "slots": [{"sensor": "/nvme/0/temperature/1", "label": "NVMe", "decimals": 1}]},
]  # fmt: skip
SCENE_STATE = f"nocturne/{NODE}/display/scene/state"


async def test_slots_are_sensors_and_the_select_lists_the_scenes(tmp_path, lhm_replay, broker):
    server = await running_server(
        tmp_path, lhm_replay.url, mqtt=mqtt_keys(broker), custom_scenes=SCENES
    )
    try:
        async with HomeAssistant(broker.port) as ha, Board(server.devices.port) as board:
            topics = [config_topic(key) for key in ("custom_1_1", "custom_1_2", "custom_2_1")]
            await ha.until(lambda: all(ha.last(t) for t in topics), "the custom slots' entities")
            core, pump, drive = (json.loads(ha.last(t)) for t in topics)
            assert (core["name"], core["unit_of_measurement"], core["device_class"]) == (
                "CORES CORE 1", "MHz", "frequency")  # fmt: skip
            assert (pump["unit_of_measurement"], "device_class" in pump) == ("rpm", False)
            assert (drive["unit_of_measurement"], drive["device_class"]) == ("°C", "temperature")
            assert drive["suggested_display_precision"] == 1
            assert "value_json.custom_2_1 " in drive["value_template"]
            assert drive["state_topic"] == STATE
            await ha.until(lambda: b"custom_2_1" in (ha.last(STATE) or b""), "their values")
            state = json.loads(ha.last(STATE))
            # The capture: "4875,0 MHz", "2734 RPM" (Pump Fan), "45,9 °C" (Temperature #1).
            assert (state["custom_1_1"], state["custom_1_2"], state["custom_2_1"]) == (
                4875, 2734, 45.9)  # fmt: skip

            def options() -> list[str]:
                select = entity_config(ha, "select", "scene")
                return select["options"] if select else []

            await ha.until(lambda: options()[-2:] == ["CORES", "Drive"], "the scene select")
            assert options()[:2] == ["HUB", "CPU"] and len(options()) == 16
            await publish(broker.port, SCENE_SET, "drive")  # as Home Assistant sends it
            await board.until(lambda line: line.get("gs") == 15, "gs 15 (the second custom)")
            await ha.until(lambda: ha.last(SCENE_STATE) == b"Drive", "the select's state")

            fewer = config_from_mapping({"custom_scenes": SCENES[1:]}).custom_scenes
            server.collector.custom.scenes = fewer  # what PUT /api/config does
            await ha.until(lambda: ha.last(topics[1]) == b"", "the second slot removed")
            await ha.until(lambda: options()[-2:] == ["PCS", "Drive"], "the select follows")
            assert json.loads(ha.last(topics[0]))["name"] == "Drive NVMe"
    finally:
        await server.stop()
