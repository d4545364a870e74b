"""Protocol v1 encoding and device-line parsing, held to PROTOCOL.md."""

from __future__ import annotations

import base64
import json
import re
import time
from dataclasses import replace
from pathlib import Path

import pytest

from nocturne.snapshot import (
    Alert,
    Hardware,
    Media,
    Processes,
    ProcessUsage,
    Snapshot,
    Weather,
)
from nocturne.snapshot.custom import CustomReading, CustomScene, CustomSlot
from nocturne.wire.protocol import (
    HARDWARE_KEYS,
    MAX_LINE,
    Hello,
    ShowScreen,
    device_settings,
    encode_commands,
    encode_snapshot,
    parse_device_line,
    with_commands,
)
from nocturne.wire.types import NightSchedule, PcSummary

PROTOCOL_MD = Path(__file__).parents[3] / "PROTOCOL.md"


def documented_keys() -> dict[str, str]:
    """Key -> unit column of the server → device table in PROTOCOL.md."""
    text = PROTOCOL_MD.read_text(encoding="utf-8")
    section = text.split("## Server → device", 1)[1]
    rows = re.findall(r"^\| `(\w+)` \| [^|]+ \| ([^\n]+) \|$", section, flags=re.M)
    return dict(rows)


def full_snapshot() -> Snapshot:
    hw = Hardware(**{name: 10.0 + i for i, name in enumerate(HARDWARE_KEYS)})
    return Snapshot(
        hardware=hw,
        processes=Processes(
            top_cpu=(ProcessUsage("a", cpu_percent=1.26),) * 3,
            top_ram=(ProcessUsage("b", ram_mb=100.4),) * 2,
        ),
        weather=Weather(temperature=3.6, description="Overcast", code=3),
        media=Media(artist="Artist", track="Track", playing=True, cover=bytes(range(256)) * 2),
        ping_ms=12.4,
        alert=Alert("GPU", 81.0),
        custom=CustomReading(
            (CustomScene("MINE", "big", (CustomSlot("field", "cpu_temp", "CPU", "°C"),)),), (54.0,)
        ),
    )


def decode(line: bytes) -> dict:
    assert line.endswith(b"\n") and line.count(b"\n") == 1
    assert len(line) <= MAX_LINE
    return json.loads(line)


def test_every_key_the_server_can_send_is_documented_and_vice_versa():
    snapshot = replace(full_snapshot(), user_idle=42.0)
    settings = device_settings(NightSchedule(23 * 60, 7 * 60, "dim"), (300, 900))
    pcs = [PcSummary("office", True, {"cpu_load": 12.0})]
    encoded = encode_snapshot(snapshot, power="sleep", first_fields=settings, pcs=pcs)
    line = with_commands(
        encoded.line(with_cover=True, first=True), encode_commands({"gs": 1, "so": 1, "cn": 9})
    )
    assert line is not None
    sent = set(decode(line))
    assert sent == set(documented_keys())


def test_units_in_the_document_match_the_encoding():
    doc = documented_keys()
    data = decode(encode_snapshot(full_snapshot()).line(with_cover=True))
    for _name, (key, decimals) in HARDWARE_KEYS.items():
        if decimals == 0:
            assert "integer" in doc[key], key
            assert isinstance(data[key], int), key
        else:
            assert "one decimal" in doc[key], key
            assert isinstance(data[key], float), key


def test_unknown_values_are_absent_not_zero():
    now = 1_700_000_000.7
    snapshot = Snapshot(hardware=Hardware(cpu_temp=54.4))
    line = encode_snapshot(snapshot, now=now).line(with_cover=False)
    tz = time.localtime(now).tm_gmtoff // 60  # this machine's zone, as the server sends it
    assert decode(line) == {
        "pv": 2,
        "tm": 1_700_000_000,
        "tz": tz,
        "ct": 54,
        "alert": "",
        "target_screen": "",
        "cov": None,
    }


def test_rounding():
    hw = Hardware(cpu_temp=54.5, gpu_temp=44.49, ram_used=10.25, ram_total=31.64, net_down=0.4)
    data = decode(encode_snapshot(Snapshot(hardware=hw)).line(with_cover=False))
    assert (data["ct"], data["gt"], data["ru"], data["ra"], data["nd"]) == (54, 44, 10.2, 31.6, 0)


def test_alert_and_target_screen():
    data = decode(encode_snapshot(full_snapshot()).line(with_cover=False))
    assert (data["alert"], data["target_screen"]) == ("CRITICAL", "GPU")


def test_cover_is_sent_only_when_asked_and_decodes_to_512_bytes():
    encoded = encode_snapshot(full_snapshot())
    with_cover = decode(encoded.line(with_cover=True))
    assert base64.b64decode(with_cover["cov"]) == bytes(range(256)) * 2
    assert decode(encoded.line(with_cover=False))["cov"] is None
    assert list(with_cover)[-1] == "cov"


def test_non_ascii_is_utf8_on_the_wire_and_strings_are_trimmed():
    media = Media(artist="Sigur Rós", track="Hoppípolla — a very long title indeed, yes")
    snap = Snapshot(media=media, weather=Weather(description="Thunderstorm with heavy hail"))
    line = encode_snapshot(snap).line(with_cover=False)
    assert "Sigur Rós".encode() in line
    data = decode(line)
    assert data["art"] == "Sigur Rós"
    assert len(data["trk"]) == 30 and data["trk"].endswith("…")
    assert len(data["wd"]) == 20
    assert data["mp"] is False and data["idle"] is True


def test_newlines_in_strings_never_break_the_line():
    snap = Snapshot(media=Media(artist="a\nb", track="c\r\n\td"))
    data = decode(encode_snapshot(snap).line(with_cover=False))
    assert (data["art"], data["trk"]) == ("a b", "c d")


def test_no_line_exceeds_4096_bytes_even_with_hostile_strings():
    name = "\U0001f600" * 5000  # 4 UTF-8 bytes each
    snap = Snapshot(
        processes=Processes(
            top_cpu=tuple(ProcessUsage(name, cpu_percent=1) for _ in range(50)),
            top_ram=tuple(ProcessUsage(name, ram_mb=1) for _ in range(50)),
        ),
        media=Media(artist=name, track=name, cover=b"\xff" * 512),
        weather=Weather(description=name),
    )
    encoded = encode_snapshot(snap)
    for with_cover in (True, False):
        data = decode(encoded.line(with_cover=with_cover))
        assert len(data["tp"]) == 3 and len(data["tr"]) == 2


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b"HELO\n", Hello()),
        (b"HELO\r\n", Hello()),
        (b"screen:0\n", ShowScreen(0)),
        (b"screen:12", ShowScreen(12)),
        (b"screen:-1\n", None),
        (b"screen:\n", None),
        (b"screen:1e3\n", None),
        (b"screen:\xd9\xa3\n", None),  # Arabic-Indic digit three: isdigit() but not ASCII
        (b"\xff\xfe garbage\n", None),
        (b"hello\n", None),
        (b"", None),
        (b"screen:1" + b" " * MAX_LINE, None),
    ],
)
def test_device_lines(raw, expected):
    assert parse_device_line(raw) == expected


def test_cover_is_cleared_with_an_empty_string_when_the_track_has_none():
    cover = b"\x81" * 512
    with_art = encode_snapshot(Snapshot(media=Media(track="One", playing=True, cover=cover)))
    without = encode_snapshot(Snapshot(media=Media(track="Two", playing=True)))
    stopped = encode_snapshot(Snapshot())
    assert base64.b64decode(decode(with_art.line_for(None, first=True))["cov"]) == cover
    assert decode(with_art.line_for(cover, first=False))["cov"] is None  # unchanged
    assert decode(without.line_for(cover, first=False))["cov"] == ""  # the next track: none
    assert decode(stopped.line_for(cover, first=False))["cov"] == ""  # playback stopped
    assert decode(stopped.line_for(None, first=False))["cov"] is None  # nothing to clear
    assert decode(stopped.line_for(None, first=True))["cov"] == ""  # a new device: none


def test_process_cpu_percent_is_an_integer_as_the_original_sends_it():
    snap = Snapshot(processes=Processes(top_cpu=(ProcessUsage("game", cpu_percent=30.6),)))
    (entry,) = decode(encode_snapshot(snap).line(with_cover=False))["tp"]
    assert entry["c"] == 31 and type(entry["c"]) is int
