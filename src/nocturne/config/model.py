"""config.json: where it lives, its defaults, and validation with errors a user can act on.

A missing file is created with the defaults. A broken file stops start-up with one
message naming the file, the line or key, what was expected and what was found;
there is never a silent fall-back to defaults.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from ..collect.fields import OVERRIDE_KEYS
from .board import NightSchedule, parse_idle_minutes, parse_night
from .checks import Checker
from .exports import (
    MqttSettings,
    WebSettings,
    mqtt_settings,
    show_pcs,
    web_settings,
)
from .file import (
    ConfigError,
    file_is_missing,
    parse_json,
    read_text,
    warn_if_others_can_read,
)
from .json_names import json_type_name
from .tokens import parse_device_tokens

CONFIG_NAME = "config.json"
APP_DIR_NAME = "NOCTURNE_OS"

# Protocol v1 key -> Hardware field, for the "sensors" override map (from the field table).
SENSOR_OVERRIDE_KEYS: dict[str, str] = OVERRIDE_KEYS


DEFAULT_WEATHER_API_URL = "https://api.open-meteo.com/v1/forecast"
DEFAULT_GEOCODING_API_URL = "https://geocoding-api.open-meteo.com/v1/search"
DEFAULT_PING_HOST = "1.1.1.1"  # Cloudflare's public DNS resolver
DEFAULT_PING_PORT = 53  # DNS over TCP: open on every public resolver
TEMPERATURE_UNITS = ("celsius", "fahrenheit")
WEATHER_CACHE_NAME = "weather_location.json"


@dataclass(frozen=True, slots=True)
class Limits:
    cpu: float = 75.0  # °C: CRITICAL at or above
    gpu: float = 80.0
    hysteresis: float = 3.0  # °C below the limit before the alert clears


@dataclass(frozen=True, slots=True)
class Config:
    host: str = "0.0.0.0"
    port: int = 8090
    lhm_url: str = "http://localhost:8085/data.json"
    lhm_user: str | None = None
    lhm_password: str | None = None
    poll_interval: float = 1.0  # seconds between sensor reads and lines to devices
    limits: Limits = field(default_factory=Limits)
    weather_city: str = ""
    latitude: float | None = None  # explicit weather location instead of geocoding the city
    longitude: float | None = None
    temperature_unit: str = "celsius"  # or "fahrenheit"
    weather_api_url: str = DEFAULT_WEATHER_API_URL
    geocoding_api_url: str = DEFAULT_GEOCODING_API_URL
    ping_host: str = DEFAULT_PING_HOST  # "" turns the ping off
    ping_port: int = DEFAULT_PING_PORT  # TCP port whose connect time is the ping
    sensors: Mapping[str, str] = field(default_factory=dict)  # protocol key -> LHM SensorId
    max_devices: int = 16
    mqtt: MqttSettings | None = None  # None: no MQTT
    show_pcs: tuple[str, ...] | None = None  # node ids, or ("*",) for all; None: no PCS rows
    web: WebSettings | None = field(default_factory=WebSettings)  # None: no web endpoints
    night: NightSchedule | None = None  # sent to boards (desk_settings.py); None: theirs
    idle_dim_minutes: float | None = None  # 0 = never; None: the board's own setting
    idle_blank_minutes: float | None = None
    name: str = ""  # this PC's name for discovery; "" = its host name
    mdns: bool = True  # advertise _nocturne._tcp over mDNS/DNS-SD
    device_tokens: Mapping[str, str] = field(default_factory=dict)  # board name -> token
    allow_unpaired: bool = False  # with tokens: still serve boards that send none
    path: Path | None = None  # the file this came from

    @property
    def sensor_overrides(self) -> dict[str, str]:
        """The ``sensors`` map keyed by Hardware field name instead of protocol key."""
        return {SENSOR_OVERRIDE_KEYS[k]: v for k, v in self.sensors.items()}

    @property
    def log_path(self) -> Path:
        base = self.path.parent if self.path is not None else Path.cwd()
        return base / "nocturne.log"

    @property
    def weather_cache_path(self) -> Path | None:
        """Where the geocoded ``weather_city`` is kept, next to config.json (None: nowhere)."""
        return self.path.parent / WEATHER_CACHE_NAME if self.path is not None else None


# The keys a new config.json starts with: the original server's, so its users see them.
DEFAULT_FILE_KEYS = ("host", "port", "lhm_url", "limits", "weather_city")
DEFAULT_FILE_LIMIT_KEYS = ("cpu", "gpu")


def _plain_number(value: Any) -> Any:
    """75.0 as 75, so the file reads as a person would write it."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


def default_file_contents() -> dict[str, Any]:
    """What a new config.json holds: DEFAULT_FILE_KEYS with the values of ``Config()``."""
    defaults = asdict(Config())
    contents = {key: defaults[key] for key in DEFAULT_FILE_KEYS}
    contents["limits"] = {
        key: _plain_number(defaults["limits"][key]) for key in DEFAULT_FILE_LIMIT_KEYS
    }
    return contents


# --- where the file lives ---------------------------------------------------------------


def user_config_dir() -> Path:
    """The per-user config directory of this platform."""
    if sys.platform == "win32":
        base = os.environ.get("APPDATA") or str(Path.home() / "AppData" / "Roaming")
        return Path(base) / APP_DIR_NAME
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Application Support" / APP_DIR_NAME
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "nocturne"


def default_config_path() -> Path:
    """Next to the executable when frozen, else ./config.json if present, else the user dir."""
    if getattr(sys, "frozen", False):
        return Path(sys.executable).resolve().parent / CONFIG_NAME
    local = Path.cwd() / CONFIG_NAME
    if local.is_file():
        return local
    return user_config_dir() / CONFIG_NAME


def write_default_config(path: Path) -> None:
    """Create ``path`` with the default keys; never overwrites an existing file.

    Readable by its owner only (0600 on POSIX), as it may come to hold lhm_password; on
    Windows the mode is ignored and the user profile's ACL applies.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with open(fd, "w", encoding="utf-8") as f:
        json.dump(default_file_contents(), f, indent=2)
        f.write("\n")


# --- validation ---------------------------------------------------------------------------


_TOP_KEYS = [f.name for f in fields(Config) if f.name != "path"]
_LIMIT_KEYS = [f.name for f in fields(Limits)]


def config_from_mapping(data: Any, source: str = "config.json") -> Config:
    """Validate decoded JSON into a Config. ``source`` names the file in error messages."""
    check = Checker(source)
    if not isinstance(data, dict):
        raise ConfigError(
            f"{source}: expected a JSON object {{...}} at the top, found {json_type_name(data)}"
        )
    for key in data:
        if key not in _TOP_KEYS:
            raise check.unknown(key, _TOP_KEYS)
    kw: dict[str, Any] = {}
    if "host" in data:
        kw["host"] = check.string("host", data["host"], allow_empty=False).strip()
    if "port" in data:
        kw["port"] = check.integer("port", data["port"], 1, 65535)
    if "lhm_url" in data:
        kw["lhm_url"] = check.url("lhm_url", data["lhm_url"])
    for key in ("lhm_user", "lhm_password"):
        if data.get(key) is not None:
            kw[key] = check.string(key, data[key])
    if "poll_interval" in data:
        kw["poll_interval"] = check.number("poll_interval", data["poll_interval"], 0.2, 60)
    if "weather_city" in data:
        kw["weather_city"] = check.string("weather_city", data["weather_city"]).strip()
    for key, limit in (("latitude", 90), ("longitude", 180)):
        if data.get(key) is not None:
            kw[key] = check.number(key, data[key], -limit, limit)
    if ("latitude" in kw) != ("longitude" in kw):
        given, missing = (
            ("latitude", "longitude") if "latitude" in kw else ("longitude", "latitude")
        )
        raise ConfigError(
            f"{source}: key '{given}' is set but '{missing}' is not: give both (decimal "
            f'degrees, e.g. "latitude": 52.22, "longitude": 6.9), or neither to use '
            "weather_city"
        )
    if "temperature_unit" in data:
        unit = data["temperature_unit"]
        if not isinstance(unit, str) or unit.strip().lower() not in TEMPERATURE_UNITS:
            raise check.fail("temperature_unit", '"celsius" or "fahrenheit"', unit)
        kw["temperature_unit"] = unit.strip().lower()
    for key, default in (
        ("weather_api_url", DEFAULT_WEATHER_API_URL),
        ("geocoding_api_url", DEFAULT_GEOCODING_API_URL),
    ):
        if key in data:
            kw[key] = check.url(key, data[key], example=default)
    if "ping_host" in data:
        kw["ping_host"] = check.string("ping_host", data["ping_host"]).strip()
    if "ping_port" in data:
        kw["ping_port"] = check.integer("ping_port", data["ping_port"], 1, 65535)
    if "max_devices" in data:
        kw["max_devices"] = check.integer("max_devices", data["max_devices"], 1, 1000)
    if "limits" in data:
        limits = data["limits"]
        if not isinstance(limits, dict):
            raise check.fail("limits", 'an object like {"cpu": 75, "gpu": 80}', limits)
        for key in limits:
            if key not in _LIMIT_KEYS:
                raise check.unknown(f"limits.{key}", [f"limits.{k}" for k in _LIMIT_KEYS])
        lim: dict[str, float] = {}
        for key in ("cpu", "gpu"):
            if key in limits:
                lim[key] = check.number(f"limits.{key}", limits[key], 20, 125)
        if "hysteresis" in limits:
            lim["hysteresis"] = check.number("limits.hysteresis", limits["hysteresis"], 0, 20)
        kw["limits"] = Limits(**lim)
    if "sensors" in data:
        sensors = data["sensors"]
        if not isinstance(sensors, dict):
            raise check.fail("sensors", 'an object like {"ct": "/amdcpu/0/temperature/2"}', sensors)
        for key, sensor_id in sensors.items():
            if key not in SENSOR_OVERRIDE_KEYS:
                raise ConfigError(
                    f"{source}: key 'sensors.{key}': '{key}' is not a protocol key that can be "
                    f"overridden; use one of: {', '.join(SENSOR_OVERRIDE_KEYS)}"
                )
            check.string(f"sensors.{key}", sensor_id, allow_empty=False)
        kw["sensors"] = dict(sensors)
    if data.get("mqtt") is not None:
        kw["mqtt"] = mqtt_settings(check, data["mqtt"])
    if data.get("show_pcs") is not None:
        kw["show_pcs"] = show_pcs(check, data["show_pcs"], kw.get("mqtt"))
    if "web" in data:
        kw["web"] = None if data["web"] is None else web_settings(check, data["web"])
    if data.get("night") is not None:
        kw["night"] = parse_night(check, data["night"])
    parse_idle_minutes(check, data, kw)
    if "name" in data:
        kw["name"] = check.string("name", data["name"]).strip()
    for key in ("mdns", "allow_unpaired"):
        if key in data:
            kw[key] = check.boolean(key, data[key])
    if "device_tokens" in data:
        kw["device_tokens"] = parse_device_tokens(check, data["device_tokens"])
    return Config(**kw)


def apply_environment(config: Config, environ: Mapping[str, str]) -> Config:
    """Apply the original server's overrides: LHM_URL, TCP_HOST, TCP_PORT."""
    check = Checker("environment")
    kw: dict[str, Any] = {}
    if environ.get("LHM_URL"):
        kw["lhm_url"] = check.url("LHM_URL", environ["LHM_URL"])
    if environ.get("TCP_HOST"):
        kw["host"] = environ["TCP_HOST"].strip()
    if environ.get("TCP_PORT"):
        raw = environ["TCP_PORT"].strip()
        try:
            port = int(raw)
        except ValueError:
            raise check.fail("TCP_PORT", "a whole number from 1 to 65535", raw) from None
        kw["port"] = check.integer("TCP_PORT", port, 1, 65535)
    return replace(config, **kw) if kw else config


@dataclass(frozen=True, slots=True)
class LoadedConfig:
    config: Config
    created: bool  # the file did not exist and was written with the defaults


def load_config(path: Path | None = None, environ: Mapping[str, str] | None = None) -> LoadedConfig:
    """Read, validate and return the config; create the file with defaults when missing.

    Raises ConfigError, and only ConfigError, with a message naming the file and what to fix.
    """
    path = Path(path) if path is not None else default_config_path()
    created = False
    if file_is_missing(path):
        try:
            write_default_config(path)
        except OSError as exc:
            raise ConfigError(f"{path}: cannot create the default config: {exc.strerror}") from exc
        created = True
    data = parse_json(path, read_text(path))
    config = config_from_mapping(data, source=str(path))
    config = apply_environment(config, os.environ if environ is None else environ)
    _warn_if_secrets_readable(path, config)
    return LoadedConfig(replace(config, path=path.resolve()), created)


def _warn_if_secrets_readable(path: Path, config: Config) -> None:
    held = [
        name
        for name, there in (
            ("device tokens", config.device_tokens),
            ("lhm_password", config.lhm_password),
        )
        if there
    ]
    if held:
        warn_if_others_can_read(path, " and ".join(held))


def reread_config(path: Path) -> Config:
    """config.json read again by a running server: never created, never defaults. A missing
    or empty file is a ConfigError like a broken one, so the caller keeps what it has."""
    if file_is_missing(path):
        raise ConfigError(f"{path}: is missing")
    text = read_text(path)
    if not text.strip():
        raise ConfigError(f"{path}: is empty")
    config = config_from_mapping(parse_json(path, text), source=str(path))
    _warn_if_secrets_readable(path, config)
    return config


def configured_port(path: Path | None = None, environ: Mapping[str, str] | None = None) -> int:
    """The TCP port the server would listen on, from ``path`` (or the file the server would
    find) and TCP_PORT; never creates the file. Raises ConfigError for a broken file."""
    environ = os.environ if environ is None else environ
    path = Path(path) if path is not None else default_config_path()
    if file_is_missing(path):
        return apply_environment(Config(), environ).port
    return load_config(path, environ).config.port
