"""The dashboard's API: boards and their controls, sensors, settings, health.

- GET /api/boards: ``[{id, name, address, paired, firmware, scene, peek}]``, the boards
  (peek: true, false when its firmware cannot, null not known yet; peek.py).
- POST /api/boards/{id}/scene ``{"value": "CPU"}``, .../screen ``{"value": "ON"|"OFF"}``,
  .../contrast ``{"value": 0..255}``: Home Assistant's commands (mqtt/commands.py), to
  that board; POST /api/boards/pair ``{"name"}`` (a new token, shown once) and
  /api/boards/unpair ``{"name"}``; POST /api/boards/update ``{"board": NAME}`` (or
  ``{"all": true}``): start the update over the air of that board (of every board that can
  take one), ``{"started": [names]}`` (issue 23; each board's ``update`` in GET /api/boards
  says whether it can: updates/manager.py).
- GET /api/sensors: ``[{id, name, value, unit, field}]``: LHM's whole tree and the local
  counters; ``field`` is the wire key (config.json ``sensors`` key) the sensor feeds now.
- GET /api/config (secrets masked), PUT /api/config (the whole object, as GET gave it; a
  masked secret is kept as it is): validated by the code that reads config.json, written
  atomically (mode 0600), applied at once where it can be (``sensors`` from the next poll,
  ``limits``, pairing); ``restart`` lists the keys that take effect at the next start.
- GET /api/health: health.py.
"""

from __future__ import annotations

import asyncio
import copy
import re
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any

from aiohttp import web

from ..collect.collector import GPU, LHM, LOCAL, LOCAL_FIRST
from ..config.file import parse_json, read_text
from ..config.model import Config, ConfigError, config_from_mapping, load_config
from ..devices.pairing_file import pair_board, secrets_line, unpair_board, write_config_file
from ..mqtt.commands import CONTRAST, SCENE, SCREEN, Entity, parse_command
from ..safe_text import printable
from ..snapshot.fields import FIELDS
from ..sources.gpu import gpu_list
from ..wire import scene_ids
from .server import json_response, log

if TYPE_CHECKING:
    from ..collect.collector import Collector
    from ..devices.pairing import Pairing
    from ..devices.server import DeviceServer
    from ..sources.lhm.model import LhmReading
    from .peek import PeekHub
    from .server import WebExporter

MASK = "********"  # a secret as GET /api/config shows it; PUT keeps the stored one for it
# (path in config.json, whether PUT may change it). The password hash: `nocturne web-password`.
SECRETS: tuple[tuple[tuple[str, ...], bool], ...] = (
    (("lhm_password",), True),
    (("mqtt", "password"), True),
    (("web", "password_hash"), False),
)
TOKENS = "device_tokens"  # each board's token is a secret; pair/unpair change them
LIVE_KEYS = frozenset({"sensors", "limits", "device_tokens", "path", "custom_scenes"})  # at once
BODY_DEADLINE = 10.0  # seconds for a request's body (its head has guard.HEAD_DEADLINE)
CONTROLS: dict[str, Entity] = {"scene": SCENE, "screen": SCREEN, "contrast": CONTRAST}


@dataclass
class Desk:
    """The running server's parts the API reads and drives."""

    devices: DeviceServer
    pairing: Pairing
    collector: Collector
    config: Config
    peek: PeekHub | None = None  # the boards' frames (peek.py), once registered


def add_routes(app: web.Application, exporter: WebExporter) -> None:
    api = _Api(exporter)
    app.router.add_get("/api/boards", api.boards)
    app.router.add_post("/api/boards/pair", api.pair)
    app.router.add_post("/api/boards/unpair", api.unpair)
    app.router.add_post("/api/boards/update", api.update)
    app.router.add_post("/api/boards/{id:[0-9]+}/{control:scene|screen|contrast}", api.control)
    app.router.add_get("/api/sensors", api.sensors)
    app.router.add_get("/api/gpus", api.gpus)
    app.router.add_get("/api/config", api.get_config)
    app.router.add_put("/api/config", api.put_config)
    app.router.add_get("/api/health", api.health)


def boards_document(desk: Desk) -> list[dict[str, Any]]:
    out = []
    for device in desk.devices.devices():
        scene = device.screen
        out.append(
            {
                "id": device.id,
                "name": device.board,
                "address": device.peer,
                "paired": device.board is not None,
                "firmware": device.firmware,
                "firmware_current": device.firmware_current,
                "scene": scene_name(desk, scene),
                "peek": desk.peek.supported(device.id) if desk.peek is not None else None,
                "update": device.update,
            }
        )
    return out


def scene_name(desk: Desk, scene: int | None) -> str | None:
    """What the dashboard calls scene id ``scene``: a custom scene by its name."""
    custom = [s.name for s in desk.collector.custom.scenes]
    first = scene_ids.CUSTOM_1
    if scene is not None and first <= scene < first + len(custom):
        return custom[scene - first]
    return scene_ids.NAMES[scene] if scene in range(len(scene_ids.NAMES)) else None


def sensors_document(desk: Desk) -> list[dict[str, Any]]:
    """LHM's whole tree, then the local counters; each with the wire key it feeds now (the
    collector's merge: LHM first, psutil where LHM has none and for LOCAL_FIRST)."""
    lhm: LhmReading | None = desk.collector.current(LHM)
    local = desk.collector.current(LOCAL)
    by_attr = {f.attr: f for f in FIELDS}

    def from_local(attr: str) -> bool:
        if local is None or getattr(local, attr, None) is None:
            return False
        return attr in LOCAL_FIRST or lhm is None or getattr(lhm.hardware, attr, None) is None

    out: list[dict[str, Any]] = []
    if lhm is not None:
        feeds: dict[str, str] = {}  # sensor id -> wire key
        for attr, sensor_id in lhm.chosen.items():
            if attr in by_attr and not from_local(attr):
                feeds.setdefault(sensor_id, by_attr[attr].key)
        for sensor in lhm.sensors:
            out.append(
                {
                    "id": sensor.id,
                    "name": f"{sensor.hardware} / {sensor.name}",
                    "value": sensor.value,
                    "unit": sensor.unit,
                    "field": feeds.get(sensor.id),
                }
            )
    for f in FIELDS if local is not None else ():
        value = getattr(local, f.attr, None)
        if value is not None:
            out.append(
                {
                    "id": f"local/{f.attr}",
                    "name": f"{f.label} (psutil)",
                    "value": value,
                    "unit": f.unit,
                    "field": f.key if from_local(f.attr) else None,
                }
            )
    return out + gpu_sensors(gpu_list(desk.collector.current(GPU)), lhm)


# Units of the GPU readings that are not protocol fields (sources/gpu/model.EXTRA_FIELDS).
_EXTRA_UNITS = {"power_w": "W", "clock_mhz": "MHz"}


def gpu_sensors(gpus: list[dict[str, Any]], lhm: LhmReading | None) -> list[dict[str, Any]]:
    """Each GPU's direct readings (NVML, amdgpu, i915/xe) as sensors: ``gpu/<pci>/<attr>``,
    named after the GPU and what feeds it; the shown GPU feeds a field where LHM has none."""
    by_attr = {f.attr: f for f in FIELDS}
    out: list[dict[str, Any]] = []
    for gpu in gpus:
        for attr, reading in gpu["fields"].items():
            if reading["value"] is None:
                continue
            field = by_attr.get(attr)
            lhm_has = lhm is not None and getattr(lhm.hardware, attr, None) is not None
            label = field.label if field is not None else attr
            out.append(
                {
                    "id": f"gpu/{gpu['pci']}/{attr}",
                    "name": f"{gpu['name']} / {label} ({reading['source']})",
                    "value": reading["value"],
                    "unit": field.unit if field is not None else _EXTRA_UNITS.get(attr, ""),
                    "field": field.key if field and gpu["shown"] and not lhm_has else None,
                }
            )
    return out


def masked(data: dict[str, Any]) -> dict[str, Any]:
    """config.json as the page may see it: every secret replaced by MASK."""
    out = copy.deepcopy(data)
    for path, _ in SECRETS:
        parent = _parent(out, path)
        if parent is not None and parent.get(path[-1]) is not None:
            parent[path[-1]] = MASK
    if isinstance(out.get(TOKENS), dict):
        out[TOKENS] = dict.fromkeys(out[TOKENS], MASK)
    return out


def unmasked(new: dict[str, Any], stored: dict[str, Any]) -> dict[str, Any]:
    """``new`` with each MASK (and each secret the page may not change) the stored value."""
    out = copy.deepcopy(new)
    for path, changeable in SECRETS:
        parent, before = _parent(out, path), _parent(stored, path)
        if parent is None:
            continue
        kept = before.get(path[-1]) if before is not None else None
        if parent.get(path[-1]) == MASK or not changeable:
            if kept is None:
                parent.pop(path[-1], None)
            else:
                parent[path[-1]] = kept
    tokens, kept_tokens = out.get(TOKENS), stored.get(TOKENS)
    if isinstance(tokens, dict):
        kept_tokens = kept_tokens if isinstance(kept_tokens, dict) else {}
        out[TOKENS] = {
            name: kept_tokens.get(name) if token == MASK else token
            for name, token in tokens.items()
            if token != MASK or name in kept_tokens
        }
    return out


def _parent(data: Any, path: tuple[str, ...]) -> dict[str, Any] | None:
    for key in path[:-1]:
        data = data.get(key) if isinstance(data, dict) else None
    return data if isinstance(data, dict) else None


def error_key(message: str) -> str:
    """The config key a ConfigError names (``key 'web.port': ...``), or "" for the whole."""
    found = re.search(r"key '([^']+)'", message)
    return found.group(1) if found else ""


def errors(key: str, message: str, status: int = 400) -> web.Response:
    return json_response({"errors": [{"key": key, "message": message}]}, status)


def apply_config(desk: Desk, new: Config) -> list[str]:
    """Apply what can change while running; the keys that wait for a restart."""
    old, desk.config = desk.config, new
    lhm = desk.collector.feed(LHM)
    if lhm is not None and hasattr(lhm.source, "overrides"):
        lhm.source.overrides = new.sensor_overrides  # the next poll maps with them
    desk.collector.alerts.limits = new.limits
    if new.custom_scenes != old.custom_scenes:  # to the boards now, before any gs for them
        desk.collector.custom.scenes = new.custom_scenes
        desk.collector.republish()
    desk.pairing.refresh_soon()  # re-read off the loop (a HELO awaits it)
    changed = [f.name for f in fields(Config) if getattr(old, f.name) != getattr(new, f.name)]
    return [key for key in changed if key not in LIVE_KEYS]


class _Api:
    def __init__(self, exporter: WebExporter) -> None:
        self.exporter = exporter
        self._writing = asyncio.Lock()  # one PUT or pairing at a time: none lost

    @property
    def desk(self) -> Desk:
        if self.exporter.desk is None:
            raise web.HTTPServiceUnavailable(text="The dashboard is not attached to a server\n")
        return self.exporter.desk

    async def boards(self, request: web.Request) -> web.StreamResponse:
        return json_response(boards_document(self.desk))

    async def sensors(self, request: web.Request) -> web.StreamResponse:
        return json_response(sensors_document(self.desk))

    async def gpus(self, request: web.Request) -> web.StreamResponse:
        """Every GPU read directly, the one shown, each field's value and what feeds it or
        why it is empty (sources/gpu: gpu_list)."""
        return json_response(gpu_list(self.desk.collector.current(GPU)))

    async def health(self, request: web.Request) -> web.StreamResponse:
        return json_response(self.exporter.health())

    async def control(self, request: web.Request) -> web.StreamResponse:
        entity = CONTROLS[request.match_info["control"]]
        board = int(request.match_info["id"])
        if board not in {d.id for d in self.desk.devices.devices()}:
            return errors("id", f"no board {board} is connected", 404)
        body = await json_object(request)
        value = body.get("value") if body is not None else None
        if isinstance(value, bool) and entity is SCREEN:
            value = "ON" if value else "OFF"
        names = [scene.name for scene in self.desk.collector.custom.scenes]
        keys = parse_command(entity, str(value).encode(), names) if value is not None else None
        if keys is None:
            return errors("value", f"not a {entity.label.lower()} value: {printable(str(value))}")
        self.desk.devices.send_commands(keys, only=board)
        log.info("Web: %s → board %d: %s", entity.label.lower(), board, keys)
        return json_response({"sent": keys})

    async def pair(self, request: web.Request) -> web.StreamResponse:
        body = await json_object(request)
        name = body.get("name") if body is not None else None
        path = self.desk.config.path
        if not isinstance(name, str) or path is None:
            return errors("name", "give the board's name, e.g. desk")
        async with self._writing:
            try:
                token, replaced = await asyncio.to_thread(pair_board, path, name)
            except ConfigError as exc:
                return errors("name", str(exc))
        await self.desk.pairing.refresh()
        return json_response(
            {"name": name, "replaced": replaced, "secrets_line": secrets_line(token)}
        )

    async def update(self, request: web.Request) -> web.StreamResponse:
        body = await json_object(request) or {}
        board = body.get("board")
        if body.get("all") is not True and not isinstance(board, str):
            return errors("board", 'give the board\'s name, or "all": true')
        started = self.desk.devices.request_update(None if body.get("all") is True else board)
        log.info("Web: update over the air started for %s", printable(", ".join(started) or "none"))
        return json_response({"started": started})

    async def unpair(self, request: web.Request) -> web.StreamResponse:
        body = await json_object(request)
        name = body.get("name") if body is not None else None
        path = self.desk.config.path
        if not isinstance(name, str) or path is None:
            return errors("name", "give the board's name")
        async with self._writing:
            removed = await asyncio.to_thread(unpair_board, path, name)
        await self.desk.pairing.refresh()
        return json_response({"name": name, "removed": removed})

    async def get_config(self, request: web.Request) -> web.StreamResponse:
        path = self.desk.config.path
        if path is None:
            return errors("", "this server runs without a config file", 409)
        stored = await asyncio.to_thread(_read_stored, path)
        return json_response(masked(stored))

    async def put_config(self, request: web.Request) -> web.StreamResponse:
        path = self.desk.config.path
        if path is None:
            return errors("", "this server runs without a config file", 409)
        body = await json_object(request)
        if body is None:
            return errors("", "send the settings as one JSON object")
        async with self._writing:
            stored = await asyncio.to_thread(_read_stored, path)
            data = unmasked(body, stored)
            try:
                config_from_mapping(data, source="the settings")
            except ConfigError as exc:
                return errors(error_key(str(exc)), str(exc))
            await asyncio.to_thread(write_config_file, path, data)
            new = (await asyncio.to_thread(load_config, path)).config
        restart = apply_config(self.desk, new)
        log.info("Web: settings saved to %s%s", path,
                 f"; at the next start: {', '.join(restart)}" if restart else "")  # fmt: skip
        return json_response({"saved": True, "restart": restart})


def _read_stored(path: Any) -> dict[str, Any]:
    data = parse_json(path, read_text(path))
    return data if isinstance(data, dict) else {}


async def json_object(request: web.Request) -> dict[str, Any] | None:
    """The request's JSON object; None for anything else. The body has BODY_DEADLINE: a
    client trickling one (its head was on time) does not hold the connection for ever."""
    try:
        body = await asyncio.wait_for(request.json(), BODY_DEADLINE)
    except (ValueError, asyncio.TimeoutError):
        return None
    return body if isinstance(body, dict) else None
