"""What the dashboard's page needs to know that only the server knows: ``GET /api/dashboard``.

- ``scenes``: the scene names a board's scene control offers (scene_ids.NAMES, in id order);
- ``fields``: the wire keys a sensor may be picked for (config.json ``sensors``), labelled;
- ``settings``: every config.json key in groups, each with a label, a type for its form
  control and a line of help. A test holds it to Config: a new key without a place here
  fails it, so the form never silently lacks one.

Types: ``text``, ``number`` (``min``/``max``/``step``), ``bool``, ``choice`` (``options``),
``list`` (strings, one per line; ``"*"`` alone stays a string), ``json``, ``secret`` (the
page shows whether one is set, never its value; an empty field keeps it). A key with
``optional``: an empty field is ``null``; any other left empty is left out of config.json
(its ``default``, which the page shows, applies). A group with ``object`` is a
config.json object (``mqtt``, ``night``) that ``optional`` groups may leave out whole.
"""

from __future__ import annotations

from dataclasses import MISSING, fields
from typing import Any

from aiohttp import web

from ..config.board import NightSchedule
from ..config.exports import MqttSettings, WebSettings
from ..config.keys import BOARD_UPDATES
from ..config.model import Config, Limits
from ..config.scenes import SLOT_FIELDS
from ..snapshot.custom import LAYOUTS, MAX_LABEL, MAX_NAME, MAX_SCENES, MAX_UNIT
from ..snapshot.fields import FIELDS, PING
from ..wire import scene_ids

DASHBOARD_ROUTE = "/api/dashboard"


def _key(path: str, label: str, kind: str, help: str, **more: Any) -> dict[str, Any]:
    return {"path": path, "label": label, "type": kind, "help": help, **more}


SETTINGS: list[dict[str, Any]] = [
    {
        "title": "Boards",
        "help": "Where the boards connect and who may.",
        "keys": [
            _key("host", "Listen on", "text", "Address for the boards (0.0.0.0: every one)."),
            _key(
                "port", "Port", "number", "TCP for the lines, UDP for discovery.", min=1, max=65535
            ),
            _key("max_devices", "Most boards", "number", "Boards served at once.", min=1, max=256),
            _key(
                "name",
                "PC name",
                "text",
                "What boards and other PCs call this PC (empty: its host name).",
            ),
            _key("mdns", "mDNS", "bool", "Advertise _nocturne._tcp for Home Assistant, phones."),
            _key(
                "allow_unpaired",
                "Serve unpaired boards",
                "bool",
                "With paired boards: still serve boards without a token (original firmware).",
            ),
            _key(
                "board_updates",
                "Firmware updates",
                "choice",
                "Paired boards on another version: auto (when they connect, no alert shown), "
                "ask (the Boards page offers it), off.",
                options=list(BOARD_UPDATES),
            ),
            _key(
                "firmware_dir",
                "Firmware folder",
                "text",
                "The firmware boards are updated to (empty: this server's own).",
                optional=True,
            ),
            _key(
                "device_tokens",
                "Paired boards",
                "secret",
                "Set by Pair / Unpair on the Boards page.",
                readonly=True,
            ),
        ],
    },
    {
        "title": "Sensors",
        "help": "Where the readings come from.",
        "keys": [
            _key("lhm_url", "LibreHardwareMonitor", "text", "Its web server's data.json."),
            _key("lhm_user", "LHM user", "text", "When LHM asks for a login.", optional=True),
            _key(
                "lhm_password", "LHM password", "secret", "Empty keeps the one set.", optional=True
            ),
            _key(
                "poll_interval",
                "Poll every (s)",
                "number",
                "Sensor reads and lines to the boards.",
                min=0.2,
                max=60,
                step=0.1,
            ),
            _key(
                "sensors",
                "Picked sensors",
                "json",
                "Wire key → LHM sensor id; pick them on the Sensors page.",
            ),
            _key(
                "gpu",
                "GPU",
                "text",
                "PCI address or name as `nocturne sensors` lists it (empty: automatic).",
            ),
            _key(
                "custom_scenes",
                "Custom scenes",
                "json",
                "Up to 4 scenes of your own (README, Custom scenes).",
            ),
            _key("ping_host", "Ping host", "text", "TCP connect time to it (empty: no ping)."),
            _key("ping_port", "Ping port", "number", "", min=1, max=65535),
        ],
    },
    {
        "title": "Alerts",
        "help": "CRITICAL on the boards when a temperature crosses its limit.",
        "keys": [
            _key("limits.cpu", "CPU limit (°C)", "number", "", min=20, max=125),
            _key("limits.gpu", "GPU limit (°C)", "number", "", min=20, max=125),
            _key(
                "limits.hysteresis",
                "Clear below by (°C)",
                "number",
                "How far under the limit before the alert clears.",
                min=0,
                max=50,
            ),
        ],
    },
    {
        "title": "Weather",
        "help": "Open-Meteo, for the ATMOS scene.",
        "keys": [
            _key("weather_city", "City", "text", "Empty: no weather."),
            _key(
                "latitude",
                "Latitude",
                "number",
                "Instead of the city.",
                optional=True,
                min=-90,
                max=90,
                step="any",
            ),
            _key(
                "longitude", "Longitude", "number", "", optional=True, min=-180, max=180, step="any"
            ),
            _key("temperature_unit", "Unit", "choice", "", options=["celsius", "fahrenheit"]),
            _key("weather_api_url", "Forecast API", "text", ""),
            _key("geocoding_api_url", "Geocoding API", "text", ""),
        ],
    },
    {
        "title": "Night",
        "help": "What the boards do at night and while you are away (their own when unset).",
        "object": "night",
        "optional": True,
        "keys": [
            _key("night.start", "Night from", "text", "HH:MM, 24-hour."),
            _key("night.end", "Night until", "text", "HH:MM."),
            _key("night.mode", "At night", "choice", "", options=["dim", "clock", "off"]),
        ],
    },
    {
        "title": "Idle",
        "help": "After this long without keyboard or mouse (0: never; empty: the board's).",
        "keys": [
            _key(
                "idle_dim_minutes",
                "Dim after (min)",
                "number",
                "",
                optional=True,
                min=0,
                step="any",
            ),
            _key(
                "idle_blank_minutes",
                "Blank after (min)",
                "number",
                "",
                optional=True,
                min=0,
                step="any",
            ),
        ],
    },
    {
        "title": "MQTT and Home Assistant",
        "help": "Publish to a broker: Home Assistant's discovery, other PCs' PCS scene.",
        "object": "mqtt",
        "optional": True,
        "keys": [
            _key("mqtt.host", "Broker", "text", "Its address."),
            _key("mqtt.port", "Port", "number", "", min=1, max=65535),
            _key("mqtt.username", "User", "text", "", optional=True),
            _key("mqtt.password", "Password", "secret", "Empty keeps the one set.", optional=True),
            _key("mqtt.tls", "TLS", "bool", ""),
            _key(
                "mqtt.ca_file", "CA file", "text", "With TLS (empty: the system's).", optional=True
            ),
            _key("mqtt.base_topic", "Base topic", "text", ""),
            _key("mqtt.discovery_prefix", "Discovery prefix", "text", ""),
            _key("mqtt.node_id", "Node id", "text", "Empty: this PC's name."),
            _key("mqtt.interval", "Publish every (s)", "number", "", min=1, step="any"),
            _key(
                "show_pcs",
                "PCS scene",
                "list",
                "Node ids to show, one a line; * for all.",
                optional=True,
            ),
        ],
    },
    {
        "title": "Dashboard",
        "help": "This page and /metrics. A change takes effect at the next start.",
        "keys": [
            _key(
                "web.host",
                "Listen on",
                "text",
                "Not loopback: set a password first (nocturne web-password).",
            ),
            _key("web.port", "Port", "number", "", min=1, max=65535),
            _key(
                "web.password_hash",
                "Password",
                "secret",
                "Set with nocturne web-password.",
                readonly=True,
            ),
        ],
    },
]


# config.json's objects: the dataclass each one is read into
OBJECTS: dict[str, type] = {
    "limits": Limits,
    "mqtt": MqttSettings,
    "web": WebSettings,
    "night": NightSchedule,
}


def default_of(path: str) -> Any:
    """The value a key has when config.json leaves it out (None when it has none to show:
    an object, a list, a secret)."""
    if "." in path:
        parent, name = path.split(".", 1)
        found = {f.name: f for f in fields(OBJECTS[parent])}.get(name)
        value = None if found is None or found.default is MISSING else found.default
    else:
        value = getattr(Config(), path, None)
    return value if isinstance(value, (str, int, float, bool)) else None


def _shown_default(key: dict[str, Any]) -> Any:
    return None if key["type"] == "secret" else default_of(key["path"])


def dashboard_document() -> dict[str, Any]:
    settings = [
        {**group, "keys": [{**key, "default": _shown_default(key)} for key in group["keys"]]}
        for group in SETTINGS
    ]
    return {
        "scenes": list(scene_ids.NAMES),
        "fields": [
            {"key": f.key, "label": f.label, "unit": f.unit} for f in FIELDS if f.overridable
        ],
        "settings": settings,
        "custom": custom_scenes_document(),
    }


def custom_scenes_document() -> dict[str, Any]:
    """What the scene editor offers: the layouts (and the slots each shows), the fields a
    slot may name, and the limits on a scene's strings (snapshot/custom.py)."""
    units = {f.attr: f.unit for f in (*FIELDS, PING)}
    labels = {f.attr: f.label for f in (*FIELDS, PING)}
    return {
        "layouts": LAYOUTS,
        "fields": [{"attr": a, "label": labels[a], "unit": units[a]} for a in SLOT_FIELDS],
        "max_scenes": MAX_SCENES,
        "max_name": MAX_NAME,
        "max_label": MAX_LABEL,
        "max_unit": MAX_UNIT,
        "first_scene_id": scene_ids.CUSTOM_1,
    }


async def dashboard_handler(request: web.Request) -> web.Response:
    return web.json_response(dashboard_document())


def register(app: web.Application) -> None:
    app.router.add_get(DASHBOARD_ROUTE, dashboard_handler)
