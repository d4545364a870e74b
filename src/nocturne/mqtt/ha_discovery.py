"""Home Assistant MQTT discovery: one retained config message per reading, from the field table.

Home Assistant reads ``<discovery_prefix>/sensor/<node_id>/<reading>/config`` and creates one
entity per message, grouped under one device for this PC (named by config.json ``name``, else
the host name). Every entity reads its value from the one state message
(``<base_topic>/<node_id>/state``) and is available while ``<base_topic>/<node_id>/status`` is
``online`` (the server's last will sets ``offline``). The ping, the weather and the track are
announced with their first value.
"""

from __future__ import annotations

import re
import socket
from dataclasses import dataclass
from typing import Any

from .. import __version__
from ..config.model import MqttSettings
from ..snapshot.custom import CustomReading
from ..snapshot.fields import CELSIUS, PING, Field
from ..snapshot.readings import (
    MEDIA_ARTIST,
    MEDIA_PLAYING,
    MEDIA_TRACK,
    NUMERIC_FIELDS,
    UNITS,
    WEATHER_DESCRIPTION,
    WEATHER_TEMPERATURE,
    custom_key,
    weather_unit,
)

ONLINE = "online"
OFFLINE = "offline"
MANUFACTURER = "NOCTURNE_OS"
MODEL = "NOCTURNE_OS server"


def node_id_from_name(name: str) -> str:
    """A PC's name as a topic level and Home Assistant node id: [a-z0-9_-] only."""
    safe = re.sub(r"[^a-z0-9_-]+", "_", name.strip().lower()).strip("_")
    return safe or "pc"


@dataclass(frozen=True, slots=True)
class Node:
    """This PC on the broker: its topics and its Home Assistant device."""

    node_id: str
    name: str  # the device's name in Home Assistant: the PC's name
    base_topic: str = "nocturne"
    discovery_prefix: str = "homeassistant"
    weather_unit: str = CELSIUS  # the configured temperature_unit, as a unit

    @classmethod
    def from_settings(
        cls, settings: MqttSettings, temperature_unit: str = "celsius", name: str = ""
    ) -> Node:
        """``name``: config.json ``name``, the name discovery answers with; "" = host name."""
        host = socket.gethostname() or "PC"
        return cls(
            node_id=settings.node_id or node_id_from_name(host),
            name=name.strip() or host,
            base_topic=settings.base_topic,
            discovery_prefix=settings.discovery_prefix,
            weather_unit=weather_unit(temperature_unit),
        )

    @property
    def state_topic(self) -> str:
        return f"{self.base_topic}/{self.node_id}/state"

    @property
    def status_topic(self) -> str:
        return f"{self.base_topic}/{self.node_id}/status"

    def config_topic(self, reading: str) -> str:
        return f"{self.discovery_prefix}/sensor/{self.node_id}/{reading}/config"

    def device(self) -> dict[str, Any]:
        return {
            "identifiers": [f"nocturne_{self.node_id}"],
            "name": self.name,
            "manufacturer": MANUFACTURER,
            "model": MODEL,
            "sw_version": __version__,
        }


def value_template(state_key: str) -> str:
    # default(None) renders "None", which Home Assistant shows as unknown; a missing key
    # would otherwise be a template warning on every state message.
    return "{{ " + _json_value(state_key) + " }}"


def _json_value(state_key: str) -> str:
    return f"value_json.{state_key} | default(None)"


def _sensor(node: Node, state_key: str, label: str, **extra: Any) -> tuple[str, dict[str, Any]]:
    payload: dict[str, Any] = {
        "name": label,
        "unique_id": f"nocturne_{node.node_id}_{state_key}",
        "state_topic": node.state_topic,
        "value_template": value_template(state_key),
        "availability_topic": node.status_topic,
        "payload_available": ONLINE,
        "payload_not_available": OFFLINE,
        "device": node.device(),
        "origin": {"name": MANUFACTURER, "sw_version": __version__},
        **{k: v for k, v in extra.items() if v is not None},
    }
    return node.config_topic(state_key), payload


def _measurement(node: Node, field: Field) -> tuple[str, dict[str, Any]]:
    names = UNITS[field.unit]
    return _sensor(
        node,
        field.attr,
        field.label,
        unit_of_measurement=names.ha_unit,
        device_class=names.ha_device_class,
        state_class="measurement",
        suggested_display_precision=field.decimals,
    )


def discovery_messages(node: Node) -> list[tuple[str, dict[str, Any]]]:
    """(topic, payload) of the entities every PC has: each field of the table."""
    return [_measurement(node, field) for field in NUMERIC_FIELDS if field is not PING]


def value_messages(node: Node) -> dict[str, tuple[str, dict[str, Any]]]:
    """(topic, payload) of the entities that exist only once a value can: the ping (not
    with ``ping_host`` ""), the weather's temperature and description (not without a
    place) and the playing track (not without a media player), by the state key whose first
    appearance announces them. Announced earlier they would be "unknown" for good."""
    track = _sensor(
        node,
        MEDIA_TRACK,
        "Playing track",
        icon="mdi:music",
        json_attributes_topic=node.state_topic,
        json_attributes_template=(
            '{{ {"artist": '
            + _json_value(MEDIA_ARTIST)
            + ', "playing": '
            + _json_value(MEDIA_PLAYING)
            + "} | tojson }}"
        ),
    )
    return {
        PING.attr: _measurement(node, PING),
        WEATHER_TEMPERATURE: _sensor(
            node,
            WEATHER_TEMPERATURE,
            "Weather temperature",
            unit_of_measurement=node.weather_unit,
            device_class="temperature",
            state_class="measurement",
            suggested_display_precision=0,
        ),
        WEATHER_DESCRIPTION: _sensor(
            node, WEATHER_DESCRIPTION, "Weather", icon="mdi:weather-partly-cloudy"
        ),
        MEDIA_PLAYING: track,  # a player is there, playing or paused, with a track or not
    }


# A custom slot's unit as Home Assistant spells it, and its device class (None: it has none).
CUSTOM_UNITS: dict[str, tuple[str, str | None]] = {
    "°C": ("°C", "temperature"),
    "°F": ("°F", "temperature"),
    "MHz": ("MHz", "frequency"),
    "GHz": ("GHz", "frequency"),
    "W": ("W", "power"),
    "V": ("V", "voltage"),
    "A": ("A", "current"),
    "RPM": ("rpm", None),
    "GB": ("GiB", "data_size"),
    "MB": ("MiB", "data_size"),
    "KB/s": ("KiB/s", "data_rate"),
    "MB/s": ("MiB/s", "data_rate"),
    "ms": ("ms", "duration"),
}


def custom_messages(node: Node, custom: CustomReading | None) -> dict[str, dict[str, Any]]:
    """Discovery topic -> payload of every custom scene's slot (issue 24): named "<scene>
    <label>", in its unit, its value the state's ``custom_<scene>_<slot>``."""
    out: dict[str, dict[str, Any]] = {}
    if custom is None:
        return out
    for s, i, slot, _ in custom.slots():
        unit = slot.unit or None
        ha_unit, device_class = CUSTOM_UNITS.get(unit or "", (unit, None))
        topic, payload = _sensor(
            node,
            custom_key(s, i),
            f"{custom.scenes[s].name} {slot.label}",
            unit_of_measurement=ha_unit,
            device_class=device_class,
            state_class="measurement",
            suggested_display_precision=slot.decimals,
        )
        out[topic] = payload
    return out
