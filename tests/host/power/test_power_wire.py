"""The wire and config.json side of issue 12: tm/tz on every line, uid, pwr, ngt and idm on
a device's first line, and the config keys behind them."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator

import pytest

from nocturne.config.board import idle_thresholds
from nocturne.config.model import ConfigError, config_from_mapping
from nocturne.snapshot import Hardware, Media, Processes, ProcessUsage, Snapshot, Weather
from nocturne.wire.protocol import MAX_LINE, device_settings, encode_snapshot
from nocturne.wire.types import NightSchedule

JAN, JUL = 1_767_225_600.0, 1_782_864_000.0  # 2026-01-01 and 2026-07-01, 00:00 UTC


@pytest.fixture
def zone() -> Iterator[object]:
    """Set the process's local zone (a POSIX TZ string: no tz database needed)."""
    before = os.environ.get("TZ")

    def set_zone(tz: str) -> None:
        os.environ["TZ"] = tz
        time.tzset()

    yield set_zone
    if before is None:
        os.environ.pop("TZ", None)
    else:
        os.environ["TZ"] = before
    time.tzset()


def decode(line: bytes) -> dict:
    assert line.endswith(b"\n") and len(line) <= MAX_LINE
    return json.loads(line)


@pytest.mark.parametrize(
    ("tz", "january", "july"),
    [
        ("UTC0", 0, 0),
        ("CET-1CEST,M3.5.0,M10.5.0/3", 60, 120),  # Central Europe, DST in summer
        ("NST3:30NDT,M3.2.0,M11.1.0", -210, -150),  # Newfoundland: half hours, west of UTC
        ("IST-5:30", 330, 330),  # India: no DST
        ("AEST-10AEDT,M10.1.0,M4.1.0/3", 660, 600),  # Sydney: DST in January
    ],
)
def test_tm_and_tz_follow_the_local_zone_and_its_dst(zone, tz, january, july):
    zone(tz)
    for now, offset in ((JAN, january), (JUL, july)):
        data = decode(encode_snapshot(Snapshot(), now=now + 0.9).line(with_cover=False))
        assert data["tm"] == int(now) and data["tz"] == offset
        assert list(data)[:3] == ["pv", "tm", "tz"]


def test_tm_is_the_clock_at_encoding_by_default(monkeypatch, zone):
    zone("UTC0")
    monkeypatch.setattr(time, "time", lambda: JUL + 0.5)
    assert decode(encode_snapshot(Snapshot()).line(with_cover=False))["tm"] == int(JUL)


def test_uid_is_whole_seconds_and_absent_when_unknown():
    assert decode(encode_snapshot(Snapshot(user_idle=61.9)).line(with_cover=False))["uid"] == 61
    assert decode(encode_snapshot(Snapshot(user_idle=0.0)).line(with_cover=False))["uid"] == 0
    assert "uid" not in decode(encode_snapshot(Snapshot()).line(with_cover=False))


def test_pwr_is_on_every_line_it_is_encoded_for_and_absent_otherwise():
    going = encode_snapshot(Snapshot(), power="sleep")
    for first in (True, False):
        assert decode(going.line_for(None, first=first))["pwr"] == "sleep"
    assert "pwr" not in decode(encode_snapshot(Snapshot()).line_for(None, first=True))


def test_settings_go_on_the_first_line_only_with_or_without_a_cover():
    settings = device_settings(NightSchedule(23 * 60, 7 * 60, "off"), (600, 0))
    cover = b"\x0f" * 512
    for media in (None, Media(track="T", playing=True, cover=cover)):
        encoded = encode_snapshot(Snapshot(media=media), first_fields=settings)
        first = decode(encoded.line_for(None, first=True))
        assert first["ngt"] == {"s": 1380, "e": 420, "m": "off"} and first["idm"] == [600, 0]
        assert list(first)[-1] == "cov"
        later = decode(encoded.line_for(cover if media else None, first=False))
        assert "ngt" not in later and "idm" not in later
    assert device_settings(None, None) == {}


def test_first_line_settings_never_push_a_line_past_4096_bytes():
    name = "\U0001f600" * 5000
    snap = Snapshot(
        hardware=Hardware(cpu_temp=50.0),
        processes=Processes(top_cpu=tuple(ProcessUsage(name, cpu_percent=1) for _ in range(9))),
        media=Media(artist=name, track=name, cover=b"\xff" * 512),
        weather=Weather(description=name),
        user_idle=3.0,
    )
    settings = device_settings(NightSchedule(0, 1), (1, 2))
    encoded = encode_snapshot(snap, power="off", first_fields=settings)
    for first in (True, False):
        data = decode(encoded.line_for(None, first=first))
        assert data["pwr"] == "off" and data["ct"] == 50


# --- config.json ---


def test_night_and_idle_keys_are_read():
    c = config_from_mapping(
        {
            "night": {"start": "23:00", "end": "7:05", "mode": "CLOCK"},
            "idle_dim_minutes": 2.5,
            "idle_blank_minutes": 30,
        }
    )
    assert c.night == NightSchedule(23 * 60, 7 * 60 + 5, "clock")
    assert idle_thresholds(c) == (150, 1800)
    assert config_from_mapping({"night": {"start": "01:00", "end": "02:00"}}).night.mode == "dim"


def test_absent_or_null_sends_nothing_and_one_threshold_sends_the_other_as_never():
    assert config_from_mapping({}).night is None
    assert idle_thresholds(config_from_mapping({})) is None
    assert config_from_mapping({"night": None, "idle_dim_minutes": None}).night is None
    assert idle_thresholds(config_from_mapping({"idle_blank_minutes": 15})) == (0, 900)
    assert idle_thresholds(config_from_mapping({"idle_dim_minutes": 0})) == (0, 0)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"night": "23:00-07:00"}, "key 'night': expected an object like {\"start\""),
        ({"night": {"start": "23:00"}}, "key 'night.end' is missing"),
        ({"night": {"start": "24:00", "end": "07:00"}}, "key 'night.start': expected a time"),
        ({"night": {"start": "23:00", "end": "7"}}, "key 'night.end': expected a time of day"),
        ({"night": {"start": "23:00", "end": "23:00"}}, "are the same time"),
        ({"night": {"start": "1:00", "end": "2:00", "mode": "dark"}}, "'night.mode': expected"),
        ({"night": {"start": "1:00", "end": "2:00", "from": 1}}, "unknown key 'night.from'"),
        ({"idle_dim_minutes": -1}, "key 'idle_dim_minutes': expected a number from 0 to 1440"),
        ({"idle_blank_minutes": "10"}, "key 'idle_blank_minutes': expected a number"),
        ({"idle_dim_minutes": 10, "idle_blank_minutes": 5}, "less than 'idle_dim_minutes'"),
    ],
)
def test_bad_values_name_the_key_and_the_fix(data, message):
    with pytest.raises(ConfigError, match=r"^config\.json: ") as caught:
        config_from_mapping(data)
    assert message in str(caught.value)
