"""``nocturne sensors`` and ``nocturne doctor``: what the server sees, and what is wrong."""

from __future__ import annotations

import asyncio
import errno
import socket
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from ..collect.collector import lhm_is_optional, merge_hardware
from ..config.model import Config, ConfigError, EnvironmentOverrideError, load_config
from ..devices.discovery import RUNNING_SERVER_ANSWERS
from ..devices.discovery import probe as discovery_probe
from ..safe_text import printable
from ..snapshot import Hardware
from ..snapshot.fields import BY_ATTR, FIELDS, unit_of
from ..sources import SourceUnavailable
from ..sources.gpu.merge import with_direct_sensors
from ..sources.gpu.report import direct_findings, print_direct, read_direct
from ..sources.lhm.client import ENABLE_HINT, LhmSource
from ..sources.lhm.model import LhmReading
from ..sources.local import LocalSource


async def read_lhm(config: Config) -> tuple[LhmReading | None, str | None]:
    """One reading from LHM, or None and the reason it failed."""
    source = LhmSource.from_config(config)
    if source is None:
        return None, "no lhm_url in config.json"
    try:
        return await source.read(), None
    except SourceUnavailable as exc:
        return None, str(exc)
    finally:
        await source.close()


# Rates need two readings and something to count; where they cannot be known, "—" says so.
RATES = ("net_down", "net_up", "disk_read", "disk_write")


async def read_local(sample_s: float = 1.0, local: LocalSource | None = None) -> Hardware:
    """Two psutil readings ``sample_s`` apart, so rates have a value."""
    local = local or LocalSource()
    await asyncio.sleep(sample_s)
    local.read_sync()
    await asyncio.sleep(sample_s)
    return local.read_sync()


def _fmt(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:.1f}" if abs(value) < 1000 else f"{value:.0f}"


async def print_sensors(
    config: Config, out: TextIO | None = None, local_source: LocalSource | None = None
) -> int:
    """Print every sensor, then the value and origin chosen for each protocol key."""
    out = out or sys.stdout
    lhm, lhm_error = await read_lhm(config)
    local = await read_local(0.5, local_source)
    chosen_by_id: dict[str, list[str]] = {}
    if lhm is not None:
        for name, sensor_id in lhm.chosen.items():
            chosen_by_id.setdefault(sensor_id, []).append(BY_ATTR[name].key)
        version = f" {printable(lhm.version)}" if lhm.version else ""
        print(
            f"LibreHardwareMonitor{version} at {printable(config.lhm_url)}: "
            f"{len(lhm.sensors)} sensors",
            file=out,
        )
        hardware = None
        for s in lhm.sensors:
            if s.hardware != hardware:
                hardware = s.hardware
                print(f"\n  {printable(hardware)} [{printable(s.kind)}]", file=out)
            keys = ",".join(chosen_by_id.get(s.id, ()))
            mark = f"→ {keys}" if keys else ""
            value = printable(f"{_fmt(s.value)} {s.unit}".strip())
            kind, name, sensor_id = printable(s.type), printable(s.name)[:28], printable(s.id)
            print(f"    {mark:<8} {kind:<12} {name:<28} {value:>12}  {sensor_id}", file=out)
        for missing in lhm.missing_overrides:
            print(f"\n  config.json 'sensors' names {missing!r}, which LHM does not list", file=out)
    else:
        print(f"LibreHardwareMonitor: not used ({printable(lhm_error)})", file=out)
    print("\nLocal sensors (psutil):", file=out)
    known = local.known()
    for name in [*known, *(rate for rate in RATES if rate not in known)]:
        print(f"    {name:<16} {_fmt(known.get(name)):>10} {unit_of(name)}", file=out)
    direct = await read_direct(config.gpu)
    print_direct(direct, out)
    local = with_direct_sensors(local, direct.gpus, direct.rapl) or local
    merged = merge_hardware(lhm.hardware if lhm else None, local)
    print("\nWhat devices receive (override a choice with 'sensors' in config.json):", file=out)
    for f in FIELDS:
        value = getattr(merged, f.attr)
        origin = "—"
        if value is not None:
            if lhm is not None and f.attr in lhm.chosen and getattr(lhm.hardware, f.attr) == value:
                origin = f"LHM {printable(lhm.chosen[f.attr])}"
            else:
                origin = direct.origin(f.attr, value) or "psutil"
        if not f.overridable:
            origin += " (not overridable)"
        print(f"    {f.key:<3} {f.attr:<16} {_fmt(value):>10} {f.unit:<5} {origin}", file=out)
    return 0


# --- doctor ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Finding:
    ok: bool
    what: str
    fix: str = ""


def check_port(host: str, port: int) -> Finding:
    """Can the server listen on host:port?"""
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    try:
        if sys.platform != "win32":  # on Windows SO_REUSEADDR would let two servers share it
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
    except OSError as exc:
        if exc.errno in (errno.EADDRINUSE, getattr(errno, "WSAEADDRINUSE", -1)):
            return Finding(
                False,
                f"TCP port {port} is already in use",
                "Is a NOCTURNE server already running (look in the tray)? Close it, or set "
                "another 'port' in config.json and in the devices' secrets.py.",
            )
        return Finding(
            False,
            f"cannot listen on {host}:{port}: {exc.strerror}",
            "Set 'host' in config.json to 0.0.0.0 (all interfaces) or to this PC's own address.",
        )
    finally:
        sock.close()
    return Finding(True, f"TCP port {port} on {host} is free for the server")


async def check_weather(config: Config) -> list[Finding]:
    """One real read of the configured weather (geocoding included), or nothing to check."""
    from ..app import weather_source
    from ..sources.weather.model import CityNotFound

    source = weather_source(config)
    if source is None:
        return [Finding(True, "weather: off (no weather_city, latitude or longitude)")]
    try:
        weather = await source.read()
    except CityNotFound:
        return [
            Finding(
                False,
                f"weather: Open-Meteo knows no place called {config.weather_city!r}",
                'Write it as "City" or "City, Country" (for example "Enschede, Netherlands"), '
                "or set latitude and longitude instead.",
            )
        ]
    except Exception as exc:
        return [
            Finding(
                False,
                f"weather: {exc}",
                "Check the internet connection, or weather_api_url / geocoding_api_url.",
            )
        ]
    finally:
        await source.close()
    place = source.place.label if source.place is not None else config.weather_city
    unit = "°F" if config.temperature_unit == "fahrenheit" else "°C"
    temp = f"{weather.temperature:.0f} {unit}" if weather.temperature is not None else "—"
    return [Finding(True, f"weather for {place}: {temp}, {weather.description or '—'}")]


async def check_ping(config: Config) -> Finding:
    from ..app import ping_source

    source = ping_source(config)
    if source is None:
        return Finding(True, "ping: off (ping_host is empty)")
    try:
        ms = await source.read()
    except Exception as exc:
        return Finding(
            False,
            f"ping: {exc}",
            "Set ping_host/ping_port to something that answers TCP (your router, port 80), "
            'or ping_host "" to turn the ping off.',
        )
    return Finding(True, f"ping: {source.target} answers in {ms:.0f} ms")


async def check_pairing(config: Config) -> Finding:
    """The paired boards (names only) and, from a running server, which are connected."""
    from ..devices.pairing_status import fetch_connected, pairing_report

    names = list(config.device_tokens)
    connected = await asyncio.to_thread(fetch_connected, config.web) if names else None
    return Finding(True, pairing_report(names, config.allow_unpaired, connected))


def check_lhm_missing(config: Config, error: str | None, platform: str = sys.platform) -> Finding:
    """No LibreHardwareMonitor: a problem on Windows or at a configured URL; elsewhere, at the
    default URL, the way things are (it is a Windows program) and this PC's sensors serve."""
    if lhm_is_optional(config.lhm_url, platform):
        return Finding(
            True,
            "this PC's own sensors (psutil) feed the boards; no LibreHardwareMonitor at "
            f"{config.lhm_url} (a Windows program: set 'lhm_url' to read one on another PC)",
        )
    return Finding(
        False,
        f"LibreHardwareMonitor: {error}",
        f"{ENABLE_HINT}; if it runs on another PC or port, set 'lhm_url' in config.json. "
        "Until then the server uses this PC's own sensors (psutil).",
    )


def check_ports(config: Config) -> list[Finding]:
    """The TCP port and discovery's UDP port; a NOCTURNE server already on them is this
    set-up running, not a problem."""
    port = check_port(config.host, config.port)
    ok, what, fix = discovery_probe(config.host, config.port)
    if not port.ok and ok and what.startswith(RUNNING_SERVER_ANSWERS):
        name = what.removeprefix(RUNNING_SERVER_ANSWERS).strip()
        running = f"a NOCTURNE server is running on port {config.port}, answering as {name}"
        return [Finding(True, running)]
    return [port, Finding(ok, what, fix)]


async def check_survived(config: Config) -> list[Finding]:
    """Per connected board of the running server: what its loop survived (board_health.py)
    and the firmware it runs (board_firmware.py)."""
    from ..devices import board_firmware
    from ..devices.board_health import doctor_lines
    from ..devices.pairing_status import fetch_devices

    document = await asyncio.to_thread(fetch_devices, config.web)
    fix = "The board's last failures are in its errors.log (mpremote cat errors.log); report them."
    findings = [Finding(True, line) for line in board_firmware.doctor_lines(document)]
    return findings + [Finding(False, line, fix) for line in doctor_lines(document)]


async def diagnose(config_path: Path | None) -> list[Finding]:
    try:
        loaded = load_config(config_path, create=config_path is None)
    except EnvironmentOverrideError as exc:  # one problem: the rest would check defaults
        return [Finding(False, f"config: {exc}", "Correct or unset that environment variable.")]
    except ConfigError as exc:
        return [Finding(False, f"config: {exc}", "Fix the file as the message says.")]
    config = loaded.config
    note = " (created with the defaults)" if loaded.created else ""
    findings = [Finding(True, f"config {config.path} is valid{note}")]
    findings += await asyncio.to_thread(check_ports, config)
    lhm, error = await read_lhm(config)
    if lhm is None:
        findings.append(check_lhm_missing(config, error))
    else:
        mapped = len(lhm.chosen)
        findings.append(
            Finding(
                True, f"LibreHardwareMonitor answers: {len(lhm.sensors)} sensors, {mapped} used"
            )
        )
        if lhm.hardware.cpu_temp is None:
            findings.append(
                Finding(
                    False,
                    "LibreHardwareMonitor shows no CPU temperature",
                    "Run LibreHardwareMonitor as administrator; if the sensor has another name, "
                    "pick it with 'sensors': {'ct': '<SensorId>'} (see `nocturne sensors`).",
                )
            )
        for missing in lhm.missing_overrides:
            findings.append(
                Finding(
                    False,
                    f"config.json 'sensors' names {missing!r}, which LibreHardwareMonitor lacks",
                    "Copy the id from `nocturne sensors`.",
                )
            )
    findings += await check_weather(config)
    findings.append(await check_ping(config))
    findings.append(await check_pairing(config))
    findings += await check_survived(config)
    from ..web.doctor import check_dashboard

    running = not (await asyncio.to_thread(check_port, config.host, config.port)).ok
    findings.append(Finding(*await asyncio.to_thread(check_dashboard, config.web, running)))
    findings += [Finding(*f) for f in direct_findings(await read_direct(config.gpu, 0.2))]
    try:
        local = await read_local(0.2)
    except Exception as exc:  # psutil missing a platform call: say so, keep checking
        findings.append(Finding(False, f"local sensors (psutil) failed: {exc}"))
    else:
        findings.append(Finding(True, f"local sensors (psutil): {len(local.known())} readings"))
    return findings


async def run_doctor(config_path: Path | None, out: TextIO | None = None) -> int:
    """Print each finding with its fix; exit status 1 when anything needs fixing."""
    out = out or sys.stdout
    findings = await diagnose(config_path)
    for f in findings:
        # Findings quote LHM, Open-Meteo and the config file: none may drive the terminal.
        print(f"[{'ok' if f.ok else 'PROBLEM'}] {printable(f.what)}", file=out)
        if f.fix:
            print(f"        fix: {printable(f.fix)}", file=out)
    problems = sum(not f.ok for f in findings)
    print(f"\n{problems} problem(s) found" if problems else "\nAll good.", file=out)
    return 1 if problems else 0
