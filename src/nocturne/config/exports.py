"""config.json "mqtt", "web" and "show_pcs": where the Snapshot is published (MQTT for Home
Assistant and the other PCs, HTTP for Prometheus) and which PCs the boards show."""

from __future__ import annotations

import re
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from .checks import Checker, check_object
from .file import ConfigError
from .web_access import is_loopback, parse_hash

# MQTT topic levels and Home Assistant node ids: what both accept.
MQTT_NAME = re.compile(r"[A-Za-z0-9_-]+")
MQTT_TOPIC = re.compile(r"[A-Za-z0-9_-]+(/[A-Za-z0-9_-]+)*")


@dataclass(frozen=True, slots=True)
class MqttSettings:
    """config.json "mqtt": the broker to publish to, for Home Assistant and other PCs."""

    host: str
    port: int = 1883
    username: str | None = None
    password: str | None = None
    tls: bool = False
    ca_file: str | None = None  # with tls: the broker's CA; None = the system's CAs
    base_topic: str = "nocturne"
    discovery_prefix: str = "homeassistant"
    node_id: str = ""  # "" = this PC's name, made topic-safe
    interval: float = 10.0  # seconds between state messages (README says why 10)


@dataclass(frozen=True, slots=True)
class WebSettings:
    """config.json "web": where the dashboard, /api/* and GET /metrics are served."""

    host: str = "127.0.0.1"
    port: int = 8095
    password_hash: str = ""  # `nocturne web-password` sets it (web/security.py); "" = none


_MQTT_KEYS = [f.name for f in fields(MqttSettings)]
_WEB_KEYS = [f.name for f in fields(WebSettings)]


def mqtt_settings(check: Checker, data: Any) -> MqttSettings:
    check_object(check, "mqtt", data, _MQTT_KEYS, '{"host": "192.168.1.10"}')
    if "host" not in data:
        raise ConfigError(f"{check.source}: key 'mqtt.host' is missing: the broker's address")
    kw: dict[str, Any] = {"host": check.string("mqtt.host", data["host"], allow_empty=False)}
    kw["host"] = kw["host"].strip()
    if "port" in data:
        kw["port"] = check.integer("mqtt.port", data["port"], 1, 65535)
    for key in ("username", "password", "ca_file"):
        if data.get(key) is not None:
            kw[key] = check.string(f"mqtt.{key}", data[key], allow_empty=False)
    if "tls" in data:
        kw["tls"] = check.boolean("mqtt.tls", data["tls"])
    if "ca_file" in kw:
        if not kw.get("tls"):
            raise ConfigError(f"{check.source}: key 'mqtt.ca_file' is set: set \"tls\": true too")
        if not Path(kw["ca_file"]).is_file():
            raise check.fail("mqtt.ca_file", "the path of a CA certificate file", data["ca_file"])
    if "password" in kw and "username" not in kw:
        raise ConfigError(f"{check.source}: key 'mqtt.password' is set: set 'mqtt.username' too")
    for key, example in (("base_topic", '"nocturne"'), ("discovery_prefix", '"homeassistant"')):
        if key in data:
            kw[key] = check.topic(f"mqtt.{key}", data[key], MQTT_TOPIC, example)
    if data.get("node_id"):
        kw["node_id"] = check.topic("mqtt.node_id", data["node_id"], MQTT_NAME, '"office_pc"')
    if "interval" in data:
        kw["interval"] = check.number("mqtt.interval", data["interval"], 1, 3600)
    return MqttSettings(**kw)


def show_pcs(check: Checker, value: Any, mqtt: MqttSettings | None) -> tuple[str, ...]:
    """config.json "show_pcs": "*" or a list of node ids, for the boards' PCS scene."""
    example = '"*" (every PC on the broker) or a list of node ids like ["office_pc", "laptop"]'
    if value == "*":
        names: tuple[str, ...] = ("*",)
    elif isinstance(value, list) and value and len(value) <= 8:
        names = tuple(
            check.topic(f"show_pcs[{i}]", v, MQTT_NAME, '"office_pc"') for i, v in enumerate(value)
        )
    else:
        raise check.fail("show_pcs", example + ", at most 8", value)
    if mqtt is None:
        raise ConfigError(
            f"{check.source}: key 'show_pcs' is set but 'mqtt' is not: the PCs are read from "
            'an MQTT broker; add "mqtt": {"host": "<broker>"} or remove show_pcs'
        )
    return names


def web_settings(check: Checker, data: Any) -> WebSettings:
    check_object(check, "web", data, _WEB_KEYS, '{"host": "127.0.0.1", "port": 8095}')
    kw: dict[str, Any] = {}
    if "host" in data:
        kw["host"] = check.string("web.host", data["host"], allow_empty=False).strip()
    if "port" in data:
        kw["port"] = check.integer("web.port", data["port"], 1, 65535)
    if data.get("password_hash") is not None:
        kw["password_hash"] = check.string("web.password_hash", data["password_hash"])
        if kw["password_hash"] and parse_hash(kw["password_hash"]) is None:
            raise check.fail("web.password_hash", "a hash `nocturne web-password` wrote", "...")
    host = kw.get("host", WebSettings().host)
    if not is_loopback(host) and not kw.get("password_hash"):
        raise ConfigError(
            f"{check.source}: key 'web.host' is {host!r}, beyond this PC: the dashboard there "
            'needs a password. Set one with `nocturne web-password`, or use "127.0.0.1"'
        )
    return WebSettings(**kw)
