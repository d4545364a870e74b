"""The firmware's wire tables (nocturne_fw/wire_tables.py) are what tools/make_wire_tables.py
writes from the host's field table and scene ids: one place for each key and scene id."""

from __future__ import annotations

import subprocess
import sys

from nocturne.snapshot.fields import FIELDS, PING
from nocturne.wire import keys, scene_ids
from tools.make_wire_tables import OUTPUT, ROOT, render


def test_the_committed_tables_are_current():
    assert OUTPUT.read_text(encoding="utf-8") == render(), (
        "firmware/nocturne_fw/wire_tables.py is stale: run tools/make_wire_tables.py"
    )


def test_the_check_mode_says_so_through_its_exit_code():
    run = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "make_wire_tables.py"), "--check"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (run.returncode, run.stdout) == (0, "")


def test_every_reading_of_the_field_table_is_a_plain_key():
    plain = dict(keys.plain_keys())
    assert [f.key for f in (*FIELDS, PING)] == list(plain)[: len(FIELDS) + 1]
    assert plain["nd"] == keys.RATE and plain["ru"] == keys.DEC and plain["ct"] == keys.INT
    assert len(plain) == len(keys.plain_keys())  # no key twice


def test_the_scene_constants_name_the_scene_ids():
    assert len(scene_ids.NAMES) == scene_ids.COUNT
    for scene in range(scene_ids.COUNT):
        assert getattr(scene_ids, scene_ids.constant_name(scene)) == scene
