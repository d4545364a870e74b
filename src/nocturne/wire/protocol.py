"""Protocol v1: the only module that knows the wire format (see PROTOCOL.md).

Server → device: one compact JSON object per line, UTF-8, at most ``MAX_LINE`` bytes
including the newline. A key is absent when its value is unknown. Device → server:
``HELO`` (or ``HELO <token>``) and ``screen:N``; anything else is ignored. Discovery: a UDP
datagram starting ``NOCTURNE?`` gets one JSON line back.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ..snapshot import Snapshot
from ..snapshot.fields import FIELDS, PING
from . import scene_ids
from .custom import SCENES_KEY, VALUES_KEY, scenes_value, values_value
from .types import NightSchedule, PcSummary

MAX_LINE = 4096  # bytes per line, newline included, both directions

# On every line: which rules it follows. The original server sends no such key, every key
# on every line and 0 for unknown; from revision 2 a key is absent when its value is unknown,
# so a board shows a 0 it receives as a real 0 only from a server that sends this.
REVISION_KEY = "pv"
REVISION = 2

# Hardware field -> (wire key, decimals), from the field table; 0 decimals is an integer.
HARDWARE_KEYS: dict[str, tuple[str, int]] = {f.attr: (f.key, f.decimals) for f in FIELDS}

# Longest strings sent, in characters (the device's fonts and scenes are sized for these).
MAX_WEATHER_DESC = 20
MAX_MEDIA_TEXT = 30
MAX_PROCESS_NAME = 15
TOP_CPU_COUNT = 3
TOP_RAM_COUNT = 2
MAX_PC_NAME = 32  # the PC's name in a discovery answer

# Scenes whose drawing uses the process lists tp/tr.
SCENES_WITH_PROCESSES = scene_ids.WITH_PROCESSES

ALERT_CRITICAL = "CRITICAL"

# The PC's clock, user and power (issue 12; see "Time, power and the user" in PROTOCOL.md).
TIME_KEY = "tm"  # Unix seconds (UTC) when the line was encoded, on every line
UTC_OFFSET_KEY = "tz"  # the PC's UTC offset in minutes, DST included, on every line
USER_IDLE_KEY = "uid"  # seconds since the user's last input; absent when unknown
POWER_KEY = "pwr"  # "sleep" / "off": the PC is going; absent otherwise
NIGHT_KEY = "ngt"  # the night schedule, on a device's first line when configured
IDLE_DIM_KEY = "idm"  # [dim_after_s, blank_after_s], first line only when configured


def _trim(text: str, limit: int) -> str:
    text = " ".join(text.split())  # no control characters or newlines on the wire
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _number(value: float, decimals: int) -> int | float:
    return round(value) if decimals == 0 else round(value, decimals)


def utc_offset_minutes(now: float) -> int:
    """The local zone's offset from UTC at ``now`` (Unix seconds), in minutes, DST included."""
    return round((time.localtime(now).tm_gmtoff or 0) / 60)


def snapshot_fields(snapshot: Snapshot, now: float | None = None) -> dict[str, object]:
    """The line's keys and values, except ``cov`` (which is per device); ``now``: the Unix
    time sent as ``tm`` (default: this moment)."""
    now = time.time() if now is None else now
    out: dict[str, object] = {
        REVISION_KEY: REVISION,
        TIME_KEY: int(now),
        UTC_OFFSET_KEY: utc_offset_minutes(now),
    }
    hw = snapshot.hardware
    for name, (key, decimals) in HARDWARE_KEYS.items():
        value = getattr(hw, name)
        if value is not None:
            out[key] = _number(value, decimals)
    if snapshot.ping_ms is not None:
        out[PING.key] = _number(snapshot.ping_ms, PING.decimals)
    weather = snapshot.weather
    if weather is not None:
        if weather.temperature is not None:
            out["wt"] = round(weather.temperature)
        if weather.description:
            out["wd"] = _trim(weather.description, MAX_WEATHER_DESC)
        if weather.code is not None:
            out["wi"] = weather.code
    procs = snapshot.processes
    if procs is not None and procs.top_cpu is not None:
        out["tp"] = [
            # An integer, as the original server sends it: its firmware reads `doc["c"] | 0`,
            # which gives 0 for a decimal.
            {"n": _trim(p.name, MAX_PROCESS_NAME), "c": round(p.cpu_percent or 0.0)}
            for p in procs.top_cpu[:TOP_CPU_COUNT]
        ]
    if procs is not None and procs.top_ram is not None:
        out["tr"] = [
            {"n": _trim(p.name, MAX_PROCESS_NAME), "r": round(p.ram_mb or 0.0)}
            for p in procs.top_ram[:TOP_RAM_COUNT]
        ]
    media = snapshot.media
    if media is not None:
        if media.artist:
            out["art"] = _trim(media.artist, MAX_MEDIA_TEXT)
        if media.track:
            out["trk"] = _trim(media.track, MAX_MEDIA_TEXT)
        out["mp"] = media.playing
        out["idle"] = not media.playing
    if snapshot.user_idle is not None:
        out[USER_IDLE_KEY] = int(snapshot.user_idle)
    if snapshot.custom is not None:
        out[VALUES_KEY] = values_value(snapshot.custom)
    alert = snapshot.alert
    out["alert"] = ALERT_CRITICAL if alert is not None else ""
    out["target_screen"] = alert.target if alert is not None else ""
    return out


def _dumps(fields: dict[str, object]) -> bytes:
    return json.dumps(fields, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


_COV_UNCHANGED = b',"cov":null}\n'
_COV_CLEAR = b',"cov":""}\n'


@dataclass(frozen=True, slots=True)
class EncodedSnapshot:
    """A snapshot encoded once; each device gets the same bytes but for ``cov``."""

    body: bytes  # the JSON object without its closing brace
    cover_b64: bytes | None  # base64 of the 512-byte XBM, or None when there is no cover
    cover: bytes | None  # the raw cover, to tell one track's cover from the next
    first_extra: bytes = b""  # ',"k":v...' for a device's first line only (ngt, idm)
    scenes: bytes = b',"xs":[]'  # the custom scenes: on a first line, and after a change

    def line(self, *, with_cover: bool, first: bool = False, with_scenes: bool = False) -> bytes:
        """The line for one device: with the cover on its first line and on a track change,
        ``first_extra`` on its first line, ``scenes`` on its first and ``with_scenes``."""
        body = self.body + self.scenes if first or with_scenes else self.body
        body = body + self.first_extra if first else body
        if with_cover and self.cover_b64 is not None:
            line = body + b',"cov":"' + self.cover_b64 + b'"}\n'
            if len(line) <= MAX_LINE:
                return line
        return body + _COV_UNCHANGED

    def line_for(
        self, shown_cover: bytes | None, *, first: bool, with_scenes: bool = False
    ) -> bytes:
        """The line for a device that shows ``shown_cover`` (None: none), ``first`` on its
        first line: the cover when it differs, ``""`` when the device must clear the one it
        shows (a track without a cover, or nothing playing), else ``null``; ``scenes`` on
        its first line and with ``with_scenes`` (the custom scenes changed since its last)."""
        if self.cover is not None:
            new_cover = first or self.cover != shown_cover
            return self.line(with_cover=new_cover, first=first, with_scenes=with_scenes)
        body = self.body + self.scenes if first or with_scenes else self.body
        if first:
            return body + self.first_extra + _COV_CLEAR
        if shown_cover is not None:
            return body + _COV_CLEAR
        return body + _COV_UNCHANGED


def device_settings(
    night: NightSchedule | None, idle_thresholds: tuple[int, int] | None
) -> dict[str, object]:
    """The settings a device gets on its first line: ``ngt`` and ``idm``, when configured."""
    out: dict[str, object] = {}
    if night is not None:
        out[NIGHT_KEY] = {"s": night.start, "e": night.end, "m": night.mode}
    if idle_thresholds is not None:
        out[IDLE_DIM_KEY] = list(idle_thresholds)
    return out


def encode_snapshot(
    snapshot: Snapshot,
    *,
    now: float | None = None,
    power: str | None = None,
    first_fields: Mapping[str, object] | None = None,
    pcs: Sequence[PcSummary] | None = None,
) -> EncodedSnapshot:
    """Encode ``snapshot`` for every device. No line, cover included, exceeds MAX_LINE.

    ``now``: the Unix time sent as ``tm``; ``power``: ``pwr`` on the line ("sleep", "off")
    or None; ``first_fields``: keys for a device's first line only (see device_settings);
    ``pcs``: the PCs seen over MQTT (``show_pcs``), sent as ``pcs``."""
    fields = snapshot_fields(snapshot, now)
    if pcs:
        fields[PCS_KEY] = encode_pcs(pcs)
    if power is not None:
        fields[POWER_KEY] = power
    first_extra = b"," + _dumps(dict(first_fields))[1:-1] if first_fields else b""
    xs = json.dumps(scenes_value(snapshot.custom), ensure_ascii=False, separators=(",", ":"))
    scenes = b',"' + SCENES_KEY.encode() + b'":' + xs.encode("utf-8")
    body = _dumps(fields)
    # Room for ',"cov":null}\n' and for xs (at most ~1.2 KB: never dropped, a board needs
    # it) must remain. Strings are already trimmed, so only pathological process names could
    # get here; drop the optional lists rather than send a long line.
    reserve = len(b',"cov":null}\n') + len(first_extra) + len(scenes)
    for optional in (PCS_KEY, "tp", "tr", "art", "trk", "wd"):
        if len(body) - 1 + reserve <= MAX_LINE:
            break
        fields.pop(optional, None)
        body = _dumps(fields)
    cover = snapshot.media.cover if snapshot.media is not None else None
    cover_b64 = base64.b64encode(cover) if cover else None
    return EncodedSnapshot(
        body=body[:-1], cover_b64=cover_b64, cover=cover, first_extra=first_extra, scenes=scenes
    )


# --- Home Assistant and several PCs (issue 14; "Commands and several PCs" in PROTOCOL.md) ---

SCENE_KEY = "gs"  # show scene N now, one shot
SCREEN_KEY = "so"  # 1 / 0: screen on / off
CONTRAST_KEY = "cn"  # 0..255
PCS_KEY = "pcs"  # the PCs seen over MQTT
MAX_PCS = 8
MAX_PC_ROW_NAME = 12
# Reading (field attribute) -> its key in a pcs row; decimals from the field table.
PCS_ROW_KEYS = ("cpu_load", "cpu_temp", "gpu_load", "gpu_temp", "ram_used")


def encode_pcs(pcs: Sequence[PcSummary]) -> list[dict[str, object]]:
    """``pcs``: up to MAX_PCS rows {"n", "on", "cl", "ct", "gl", "gt", "ru"}, unknown absent."""
    rows: list[dict[str, object]] = []
    for pc in pcs[:MAX_PCS]:
        row: dict[str, object] = {"n": _trim(pc.name, MAX_PC_ROW_NAME), "on": pc.online}
        for attr in PCS_ROW_KEYS:
            value = pc.readings.get(attr)
            if value is not None:
                key, decimals = HARDWARE_KEYS[attr]
                row[key] = _number(value, decimals)
        rows.append(row)
    return rows


def encode_commands(commands: Mapping[str, int]) -> bytes:
    """The ``,"gs":N,...`` part a device's next line carries (keys as given, ints only)."""
    return b"".join(b',"%s":%d' % (k.encode(), int(v)) for k, v in commands.items())


def with_commands(line: bytes, commands: bytes) -> bytes | None:
    """``line`` with ``commands`` before its ``cov`` (which stays the last key; the last
    ``,"cov":`` is that key: inside a string a quote is escaped); None when that would
    exceed MAX_LINE (a line with a cover: the commands then go with the next line)."""
    if not commands:
        return line
    if len(line) + len(commands) > MAX_LINE or not line.endswith(b"}\n"):
        return None
    at = line.rfind(b',"cov":')
    if at < 0:
        at = len(line) - 2
    return line[:at] + commands + line[at:]


# --- device -> server -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Hello:
    """A device announced itself (sent once after connecting): ``HELO`` or ``HELO <token>``.

    ``token`` is None for a bare ``HELO`` (the original firmware, or a board not paired)."""

    token: str | None = None


@dataclass(frozen=True, slots=True)
class ShowScreen:
    """A device now shows scene ``index``."""

    index: int


DeviceCommand = Hello | ShowScreen

# Peek (PROTOCOL.md): ``pk`` asks a board for its frame; it answers with ``frame:N`` lines,
# each followed by N raw bytes (not a line): its SSD1306 RAM, 8 pages x 128 columns, MONO_VLSB.
PEEK_KEY = "pk"  # server -> device: ms at least between two frames, 0 = stop
FRAME_HEADER = b"frame:"
FRAME_BYTES = 1024  # a 128 x 64 frame; a header may announce up to MAX_LINE bytes


def frame_size(line: bytes) -> int | None:
    """The byte count a ``frame:N`` header line announces (1 to MAX_LINE), else None."""
    if not line.startswith(FRAME_HEADER):
        return None
    digits = line[len(FRAME_HEADER) :].strip()
    if not digits.isdigit() or len(digits) > 4:
        return None
    size = int(digits)
    return size if 0 < size <= MAX_LINE else None


MAX_TOKEN = 128  # characters; `nocturne pair` makes 22
INVALID_TOKEN = ""  # Hello.token for a HELO whose token cannot be one: matches no board


# --- discovery (UDP, on the TCP port's number) ------------------------------------------

DISCOVERY_QUERY = b"NOCTURNE?"
MAX_DISCOVERY_QUERY = 64  # bytes; a longer datagram is not a query (no amplification)


def is_discovery_query(datagram: bytes) -> bool:
    """A board (or a tool) asks which PC serves here."""
    return len(datagram) <= MAX_DISCOVERY_QUERY and datagram.startswith(DISCOVERY_QUERY)


def encode_discovery_answer(name: str, port: int, *, pairing: bool) -> bytes:
    """The one JSON line a query gets back; never more than a few dozen bytes, no token."""
    fields = {"name": _trim(name, MAX_PC_NAME), "port": port, "proto": REVISION, "pairing": pairing}
    return _dumps(fields) + b"\n"


def parse_device_line(raw: bytes) -> DeviceCommand | None:
    """Parse one line from a device (without or with its newline); None when not a command."""
    if len(raw) > MAX_LINE:
        return None
    try:
        exact = raw.decode("utf-8").removesuffix("\n").removesuffix("\r")
    except UnicodeDecodeError:
        return None
    text = exact.strip()
    if text == "HELO":
        return Hello()
    if text.startswith("HELO "):
        token = exact[5:]  # exactly as sent: a token and a space or a no-break space is none
        if (
            0 < len(token) <= MAX_TOKEN
            and token.isascii()
            and token.isprintable()
            and " " not in token
        ):
            return Hello(token)
        return Hello(INVALID_TOKEN)  # says HELO with something no board is paired with
    if text.startswith("screen:"):
        digits = text[7:].strip()
        if digits.isascii() and digits.isdigit() and len(digits) <= 3:
            return ShowScreen(int(digits))
    return None
