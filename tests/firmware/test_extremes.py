"""Extreme values never overdraw: every scene, with every number at the edge of what the
parser accepts, keeps each fixed label readable exactly where the everyday line puts it
(an overdrawn label no longer matches its picture, paper included)."""

import json
from functools import cache

import glass
import pytest
import screens
from nocturne_fw import font_medium, font_small
from nocturne_fw import scene_ids as ids
from nocturne_fw import state as st

LABELS = (
    "CPU", "GPU", "RAM", "NET", "LOAD", "PWR", "CLK", "HOT", "MEM", "TOP", "FAN", "VRAM",
    "PING", "WIFI", "SYS 1", "SYS 2", "CHIPSET", "SYSTEM", "DATA", "GB", "B/S",
    "RPM", "MHz", "%", "ms", "dBm",
)  # fmt: skip

NUMERIC = [k for k, kind in st.KEYS if kind in (st.K_INT, st.K_DEC, st.K_RATE)]


def extreme(x):
    d = {k: x for k in NUMERIC}
    d["pv"] = 2  # our server's rules: every number as it is (the original's: test_state)
    d["tp"] = [{"n": "chrome.exe", "c": x}] * 3
    d["tr"] = [{"n": "chrome.exe", "r": x}] * 2
    return json.dumps(d)


def labels_at(frame):
    return {
        (s, f.__name__): glass.find(frame, s, f) for s in LABELS for f in (font_small, font_medium)
    }


@cache
def everyday_labels(scene):
    return labels_at(bytes(screens.render_scene(screens.make(screens.FULL % ""), scene)))


def test_the_formatted_extremes_are_short():
    s = st.State()
    assert s.feed(extreme(999999999))
    assert s.txt["ct"] == "1G" and s.txt["cc"] == "1G" and s.txt["ru"] == "1G"
    assert s.tp_txt[0] == "1G" and len(s.tr_txt[0]) <= 6
    assert s.feed(extreme(-999999999))
    assert s.txt["ct"] == "-1G" and s.txt["nd"] == "-1G" and s.txt["ru"] == "-1G"


@pytest.mark.parametrize("x", [999999999, -999999999, -9999.5], ids=repr)
@pytest.mark.parametrize("scene", range(ids.COUNT), ids=list(ids.NAMES))
def test_extreme_values_keep_every_label_whole(scene, x):
    everyday = everyday_labels(scene)
    app = screens.make(extreme(x))
    got = labels_at(bytes(screens.render_scene(app, scene)))
    for key, where in everyday.items():
        if key[0] in ("GB", "B/S", "RPM", "MHz", "%", "ms"):  # units move with the value
            continue
        for pos in where:
            assert pos in got[key], (ids.NAMES[scene], key, pos)
