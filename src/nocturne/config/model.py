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
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from ..json_names import json_type_name
from ..snapshot.custom import CustomScene
from ..snapshot.fields import OVERRIDE_KEYS
from ..wire.types import NightSchedule
from .checks import Checker
from .exports import MqttSettings, WebSettings
from .file import (
    ConfigError,
    file_is_missing,
    parse_json,
    read_text,
    warn_if_others_can_read,
)
from .keys import (
    DEFAULT_GEOCODING_API_URL,
    DEFAULT_WEATHER_API_URL,
    RULES,
    config_rows,
    parse_rows,
)

CONFIG_NAME = "config.json"
APP_DIR_NAME = "NOCTURNE_OS"

# Protocol v1 key -> Hardware field, for the "sensors" override map (from the field table).
SENSOR_OVERRIDE_KEYS: dict[str, str] = OVERRIDE_KEYS


DEFAULT_LHM_URL = "http://localhost:8085/data.json"  # LibreHardwareMonitor's own default
DEFAULT_PING_HOST = "1.1.1.1"  # Cloudflare's public DNS resolver
DEFAULT_PING_PORT = 53  # DNS over TCP: open on every public resolver
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
    lhm_url: str = DEFAULT_LHM_URL
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
    gpu: str = ""  # the GPU boards show, by PCI address or name (`nocturne sensors`); "": auto
    board_updates: str = "auto"  # paired boards: "auto" updated on connect, "ask", "off"
    firmware_dir: str = ""  # the firmware boards are updated to; "": the wheel's own
    custom_scenes: tuple[CustomScene, ...] = ()  # the user's own scenes (config/scenes.py)
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


CONFIG_ROWS = config_rows(Limits)  # config.json's keys: one row each (keys.py)

# The keys a new config.json starts with: the original server's, so its users see them, and
# what the server does on the network unasked (pings a public resolver, advertises itself).
DEFAULT_FILE_KEYS = ("host", "port", "lhm_url", "limits", "weather_city", "ping_host", "mdns")
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


def config_from_mapping(data: Any, source: str = "config.json") -> Config:
    """Validate decoded JSON into a Config. ``source`` names the file in error messages."""
    if not isinstance(data, dict):
        raise ConfigError(
            f"{source}: expected a JSON object {{...}} at the top, found {json_type_name(data)}"
        )
    parsed = parse_rows(Checker(source), data, CONFIG_ROWS)
    for rule in RULES:
        rule(source, parsed)
    return Config(**parsed)


class EnvironmentOverrideError(ConfigError):
    """An environment variable (LHM_URL, TCP_HOST, TCP_PORT) cannot be used: the fix is in
    the environment, not in config.json."""


def _bad_variable(name: str, expected: str, raw: str) -> EnvironmentOverrideError:
    return EnvironmentOverrideError(
        f"environment variable {name}={json.dumps(raw, ensure_ascii=False)[:60]}: expected "
        f"{expected}; correct it or unset it (it overrides config.json)"
    )


def apply_environment(config: Config, environ: Mapping[str, str]) -> Config:
    """Apply the original server's overrides: LHM_URL, TCP_HOST, TCP_PORT."""
    check = Checker("environment")
    kw: dict[str, Any] = {}
    if environ.get("LHM_URL"):
        try:
            kw["lhm_url"] = check.url("LHM_URL", environ["LHM_URL"])
        except ConfigError:
            raise _bad_variable("LHM_URL", f"an http:// URL such as {DEFAULT_LHM_URL}",
                                environ["LHM_URL"]) from None  # fmt: skip
    if environ.get("TCP_HOST"):
        kw["host"] = environ["TCP_HOST"].strip()
    if environ.get("TCP_PORT"):
        raw = environ["TCP_PORT"].strip()
        if not raw.isdigit() or not 1 <= int(raw) <= 65535:
            raise _bad_variable("TCP_PORT", "a whole number from 1 to 65535", raw)
        kw["port"] = int(raw)
    return replace(config, **kw) if kw else config


def check_ports_differ(config: Config, source: str) -> None:
    """The web endpoints and the boards cannot share one TCP port on one address."""
    web = config.web
    if web is None or web.port != config.port:
        return
    everywhere = ("0.0.0.0", "::", "")
    if web.host != config.host and web.host not in everywhere and config.host not in everywhere:
        return  # two addresses of this PC: each has the port
    raise ConfigError(
        f"{source}: key 'web.port' is {web.port}, the port the boards use ('port'); give "
        "the web endpoints another one, such as 8095"
    )


@dataclass(frozen=True, slots=True)
class LoadedConfig:
    config: Config
    created: bool  # the file did not exist and was written with the defaults


def load_config(
    path: Path | None = None, environ: Mapping[str, str] | None = None, *, create: bool = True
) -> LoadedConfig:
    """Read, validate and return the config; create the file with defaults when missing
    (with ``create``; else a missing file is an error: a mistyped --config path).

    Raises ConfigError, and only ConfigError, with a message naming the file and what to fix.
    """
    path = Path(path) if path is not None else default_config_path()
    created = False
    if file_is_missing(path):
        if not create:
            raise ConfigError(
                f"{path}: no such file. Check the path; to start a new config there, run: "
                f"nocturne config --config {json.dumps(str(path))}"
            )
        try:
            write_default_config(path)
        except OSError as exc:
            raise ConfigError(f"{path}: cannot create the default config: {exc.strerror}") from exc
        created = True
    data = parse_json(path, read_text(path))
    config = config_from_mapping(data, source=str(path))
    config = apply_environment(config, os.environ if environ is None else environ)
    check_ports_differ(config, str(path))
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
