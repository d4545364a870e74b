"""Home Assistant → boards: the display entities and the commands they send.

Three entities on this PC's Home Assistant device, for "the displays of this PC" (every
board connected to this server gets the same command; one set per PC, not per board):

- ``select`` *Display scene*: the scene names (``scene_ids.NAMES``, then the custom scenes'
  names: ``scene_choices``) → ``gs`` (show it now);
- ``switch`` *Display screen*: ``ON`` / ``OFF`` → ``so`` 1 / 0;
- ``number`` *Display contrast*: 0..255 → ``cn``.

Commands arrive on ``<base_topic>/<node_id>/display/<scene|screen|contrast>/set``; a payload
that is not one of the entity's values is dropped with one log line (rate-limited), escaped.
What was forwarded is published back, retained, on ``.../display/<word>/state``: after a
restart of Home Assistant or of this server the entities show the boards' state, not "off".
A contrast of 40.5 (Home Assistant does not enforce the step) is rounded to 41.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..rate_limited_log import RateLimitedWarning
from ..safe_text import printable
from ..wire import scene_ids
from ..wire.protocol import CONTRAST_KEY, SCENE_KEY, SCREEN_KEY
from .ha_discovery import MANUFACTURER, OFFLINE, ONLINE, Node

log = logging.getLogger(__name__)

SWITCH_ON = "ON"  # Home Assistant's default payload_on / payload_off
SWITCH_OFF = "OFF"
MAX_PAYLOAD = 64  # bytes; a longer command payload is not one of ours
MAX_CONTRAST = 255
COMMAND_LOG_INTERVAL = 10.0  # seconds: a burst of commands is one line, then one with its count


@dataclass(frozen=True, slots=True)
class Entity:
    """One display entity: its Home Assistant component, topic word and label."""

    component: str  # "select", "switch", "number"
    word: str  # topic level: <base_topic>/<node_id>/display/<word>/set
    label: str
    icon: str


SCENE = Entity("select", "scene", "Display scene", "mdi:monitor-dashboard")
SCREEN = Entity("switch", "screen", "Display screen", "mdi:monitor")
CONTRAST = Entity("number", "contrast", "Display contrast", "mdi:brightness-6")
ENTITIES = (SCENE, SCREEN, CONTRAST)


def command_topic(node: Node, entity: Entity) -> str:
    return f"{node.base_topic}/{node.node_id}/display/{entity.word}/set"


def state_topic(node: Node, entity: Entity) -> str:
    return f"{node.base_topic}/{node.node_id}/display/{entity.word}/state"


def scene_choices(custom_names: Sequence[str] = ()) -> dict[str, int]:
    """The scene select's options, name -> scene id: the built-in scenes, then the custom
    scenes by their names (config.json custom_scenes: the first is id 14)."""
    choices = {name: scene for scene, name in enumerate(scene_ids.NAMES[: scene_ids.CUSTOM_1])}
    for i, name in enumerate(custom_names):
        choices[name] = scene_ids.CUSTOM_1 + i
    return choices


def state_text(keys: Mapping[str, int], custom_names: Sequence[str] = ()) -> str:
    """The entity's state for the device keys of one of its commands."""
    if SCENE_KEY in keys:
        names = {scene: name for name, scene in scene_choices(custom_names).items()}
        return names.get(keys[SCENE_KEY], str(keys[SCENE_KEY]))
    if SCREEN_KEY in keys:
        return SWITCH_ON if keys[SCREEN_KEY] else SWITCH_OFF
    return str(keys[CONTRAST_KEY])


def command_messages(
    node: Node, custom_names: Sequence[str] = ()
) -> list[tuple[str, dict[str, Any]]]:
    """(discovery topic, payload) of the three display entities; the custom scenes'
    ``custom_names`` among the scene select's options."""
    out = []
    for entity in ENTITIES:
        payload: dict[str, Any] = {
            "name": entity.label,
            "unique_id": f"nocturne_{node.node_id}_display_{entity.word}",
            "command_topic": command_topic(node, entity),
            "state_topic": state_topic(node, entity),
            "retain": False,  # a command is for the boards connected now, not a state
            "icon": entity.icon,
            "availability_topic": node.status_topic,
            "payload_available": ONLINE,
            "payload_not_available": OFFLINE,
            "device": node.device(),
            "origin": {"name": MANUFACTURER},
        }
        if entity is SCENE:
            payload["options"] = list(scene_choices(custom_names))
        elif entity is SCREEN:
            payload["payload_on"], payload["payload_off"] = SWITCH_ON, SWITCH_OFF
        else:
            payload.update(min=0, max=MAX_CONTRAST, step=1, mode="slider")
        topic = f"{node.discovery_prefix}/{entity.component}/{node.node_id}/display_{entity.word}"
        out.append((f"{topic}/config", payload))
    return out


def parse_command(
    entity: Entity, payload: bytes, custom_names: Sequence[str] = ()
) -> dict[str, int] | None:
    """The device keys for a command payload, or None when it is not a value of ``entity``
    (the scene select's values: ``scene_choices(custom_names)``)."""
    if len(payload) > MAX_PAYLOAD:
        return None
    try:
        text = payload.decode("utf-8").strip()
    except UnicodeDecodeError:
        return None
    if entity is SCENE:
        by_name = {n.casefold(): scene for n, scene in scene_choices(custom_names).items()}
        scene = by_name.get(text.casefold())
        return None if scene is None else {SCENE_KEY: scene}
    if entity is SCREEN:
        value = {SWITCH_ON: 1, SWITCH_OFF: 0}.get(text.upper())
        return None if value is None else {SCREEN_KEY: value}
    try:
        number = float(text)  # Home Assistant sends "128" or "128.0", or 40.5 off the step
    except ValueError:
        return None
    if not -0.5 < number < MAX_CONTRAST + 0.5:  # NaN fails this too
        return None
    return {CONTRAST_KEY: int(number + 0.5)}


class CommandRouter:
    """Turns messages on the command topics into device keys for ``send``."""

    def __init__(self, node: Node, send: Callable[[Mapping[str, int]], None]) -> None:
        self.send = send
        self.topics = {command_topic(node, e): e for e in ENTITIES}
        self.state_topics = {e: state_topic(node, e) for e in ENTITIES}
        self.echo: Callable[[str, str], None] | None = None  # (state topic, state) to publish
        self.custom_names: tuple[str, ...] = ()  # the custom scenes' (MqttExporter.offer)
        self.forwarded = 0
        self._bad = RateLimitedWarning(log, "MQTT: dropped %d more bad command(s) in %d s")
        self._logged_at: float | None = None
        self._unlogged = 0
        self._latest = ""

    def handle(self, topic: str, payload: bytes) -> bool:
        """Forward the command on ``topic``; False when the topic is not a command topic."""
        entity = self.topics.get(topic)
        if entity is None:
            return False
        keys = parse_command(entity, payload, self.custom_names)
        if keys is None:
            self._bad.warn(
                "MQTT: ignored a %s command that is none of its values: %s",
                entity.label.lower(),
                printable(payload.decode("utf-8", "replace")[:MAX_PAYLOAD]),
            )
            return True
        self._note(f"{entity.label.lower()} → the boards: {keys}")
        self.send(keys)
        self.forwarded += 1
        if self.echo is not None:
            self.echo(self.state_topics[entity], state_text(keys, self.custom_names))
        return True

    def _note(self, what: str) -> None:
        """The first command of a burst is logged at once; the rest are counted and summed
        up in one line when COMMAND_LOG_INTERVAL is over (78,000 commands: two lines)."""
        now = time.monotonic()
        if self._logged_at is None or now - self._logged_at >= COMMAND_LOG_INTERVAL:
            self.flush()
            log.info("MQTT: %s", what)
            self._logged_at = now
            return
        self._unlogged += 1
        self._latest = what
        if self._unlogged == 1:
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:
                return  # no loop to sum up on: the next command after the interval does
            loop.call_later(self._logged_at + COMMAND_LOG_INTERVAL - now, self.flush)

    def flush(self) -> None:
        if self._unlogged:
            log.info(
                "MQTT: %d more command(s) in %.0f s, the latest: %s",
                self._unlogged,
                time.monotonic() - (self._logged_at or 0.0),
                self._latest,
            )
            self._unlogged = 0
            self._logged_at = time.monotonic()
