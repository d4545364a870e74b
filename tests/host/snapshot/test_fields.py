"""The field table is the one place a sensor field's facts live; everything derives from it."""

from __future__ import annotations

import json
from dataclasses import fields as dataclass_fields
from pathlib import Path

import pytest

from nocturne.config.model import ConfigError, config_from_mapping
from nocturne.snapshot import Hardware, Snapshot, fields
from nocturne.wire.protocol import snapshot_fields

ROOT = Path(__file__).resolve().parents[3]


def test_hardware_has_exactly_the_fields_of_the_table():
    assert [f.name for f in dataclass_fields(Hardware)] == [f.attr for f in fields.FIELDS]


def test_wire_keys_are_unique_and_not_used_by_other_parts_of_the_line():
    keys = [f.key for f in fields.FIELDS] + [fields.PING.key]
    assert len(keys) == len(set(keys))
    line = snapshot_fields(Snapshot())
    assert not set(keys) & set(line)  # an empty snapshot sends none of them


def test_each_field_goes_on_the_wire_with_its_decimals():
    hw = Hardware(**{f.attr: 12.3456 for f in fields.FIELDS})
    line = snapshot_fields(Snapshot(hardware=hw))
    for f in fields.FIELDS:
        expected = 12 if f.decimals == 0 else round(12.3456, f.decimals)
        assert line[f.key] == expected and type(line[f.key]) is type(expected), f.key


def test_every_wire_key_is_documented_in_protocol_md():
    text = (ROOT / "PROTOCOL.md").read_text(encoding="utf-8")
    for f in (*fields.FIELDS, fields.PING):
        assert f"`{f.key}`" in text, f.key


def test_config_sensors_accepts_exactly_the_overridable_fields():
    for f in fields.FIELDS:
        data = json.loads(json.dumps({"sensors": {f.key: "/lpc/nct6687d/0/fan/0"}}))
        if f.overridable:
            assert config_from_mapping(data).sensor_overrides == {f.attr: "/lpc/nct6687d/0/fan/0"}
        else:
            with pytest.raises(ConfigError, match=f"'{f.key}' is not a protocol key"):
                config_from_mapping(data)


def test_every_unit_is_one_of_the_named_units():
    named = {
        fields.CELSIUS,
        fields.PERCENT,
        fields.WATT,
        fields.MEGAHERTZ,
        fields.RPM,
        fields.GIGABYTE,
        fields.KB_PER_S,
        fields.MILLISECOND,
    }
    assert {f.unit for f in fields.FIELDS} <= named
    assert fields.unit_of("cpu_temp") == fields.CELSIUS and fields.unit_of("nope") == ""
