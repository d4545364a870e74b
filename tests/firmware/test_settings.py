"""Persisted settings (firmware/nocturne_fw/settings.py)."""

import json

import pytest
from nocturne_fw import settings as S


@pytest.fixture
def path(tmp_path):
    return str(tmp_path / "settings.json")


def test_missing_file_gives_defaults(path):
    s = S.Settings(path)
    assert s.load() is False
    assert s.as_dict() == S.DEFAULTS


def test_round_trip(path):
    s = S.Settings(path)
    s.carousel = False
    s.interval = 15
    s.contrast = 16
    s.flip = True
    s.led = False
    s.scene = 9
    assert s.save()
    t = S.Settings(path)
    assert t.load() is True
    assert t.as_dict() == s.as_dict()


def test_save_is_atomic_rename(path, tmp_path):
    s = S.Settings(path)
    s.save()
    assert not (tmp_path / "settings.json.tmp").exists()
    assert json.loads((tmp_path / "settings.json").read_text())["interval"] == 10


@pytest.mark.parametrize(
    "content",
    [
        "",
        "{",
        "garbage\x00\xff",
        "[1,2]",
        "null",
        '{"interval": 7}',
        '{"interval": "10"}',
        '{"contrast": 999}',
        '{"flip": 1}',
        '{"carousel": null}',
    ],
)
def test_corrupt_file_gives_defaults(path, content):
    with open(path, "w", encoding="utf-8", errors="surrogateescape") as f:
        f.write(content)
    s = S.Settings(path)
    assert s.load() is False
    assert s.as_dict() == S.DEFAULTS


def test_one_bad_value_keeps_the_good_ones(path):
    with open(path, "w") as f:
        f.write('{"interval": 7, "flip": true, "led": false}')
    s = S.Settings(path)
    assert s.load() is False
    assert (s.interval, s.flip, s.led) == (10, True, False)


def test_unwritable_path_does_not_raise(tmp_path):
    s = S.Settings(str(tmp_path / "no" / "such" / "dir" / "settings.json"))
    assert s.save() is False


def test_cycles():
    s = S.Settings("unused")
    seen = []
    for _ in range(3):
        s.next_interval()
        seen.append(s.interval)
    assert seen == [15, 5, 10]
    seen = []
    for _ in range(3):
        s.next_contrast()
        seen.append(s.contrast)
    assert seen == [16, 96, 255]
