"""Our firmware fed by the original NOCTURNE server.

The original sends every key on every line, 0 for whatever it could not read, no ``pv``,
per-core process percentages (one busy process reads 177.0 on a 4-core machine), weather
``wt 0, wd "", wi 0`` when its fetch failed and ``cov ""`` on a track change without a
cover. A board must show those zeros as unknown where 0 is not a possible reading, and
draw exactly what our server's line (``pv`` present, unknown keys absent) draws.
"""

import json

import glass
import pytest
import screens
from nocturne_fw import font_medium, font_small
from nocturne_fw import scene_ids as ids
from nocturne_fw import state as st

# The original server's payload: every key, its zero for "unknown", in its order.
ORIGINAL_ZEROS = {
    "ct": 0,
    "gt": 0,
    "cl": 0,
    "gl": 0,
    "pw": 0,
    "cc": 0,
    "gh": 0,
    "gv": 0,
    "ru": 0.0,
    "ra": 0.0,
    "vu": 0.0,
    "vt": 0.0,
    "nd": 0,
    "nu": 0,
    "pg": 0,
    "dr": 0,
    "dw": 0,
    "su": 0,
    "du": 0,
    "cf": 0,
    "s1": 0,
    "s2": 0,
    "gf": 0,
    "ch": 0,
    "wt": 0,
    "wd": "",
    "wi": 0,
    "tp": [],
    "tr": [],
    "art": "",
    "trk": "",
    "mp": False,
    "idle": False,
    "cov": None,
    "alert": "",
    "target_screen": "",
}


def original(**known):
    """A line as the original server builds it: ``known`` over its zeros."""
    d = dict(ORIGINAL_ZEROS)
    d.update(known)
    return json.dumps(d, separators=(",", ":"), ensure_ascii=False)


def ours(**known):
    """The same reading from our server: pv, and only what is known."""
    return json.dumps(dict({"pv": 2}, **known), separators=(",", ":"), ensure_ascii=False)


# A PC where the original cannot read its sensors (no LibreHardwareMonitor) and its weather
# fetch failed: only psutil's loads, rates and ping are real, a few of them a real 0 (a
# load or a rate can be 0, so its 0 stays a 0 on both servers). RAM and disks unreadable
# too: the original says 0.0/0.0 GB and 0 %.
PSUTIL_ONLY = {"cl": 23, "gl": 0, "gv": 0, "nd": 812, "nu": 0, "pg": 14, "dr": 0, "dw": 215}
SCENES = (
    ids.HUB,
    ids.CPU,
    ids.CPU_LOAD,
    ids.GPU,
    ids.GPU_LOAD,
    ids.RAM,
    ids.NET,
    ids.ATMOS,
    ids.MEDIA,
    ids.FANS,
    ids.DISKS,
)


def frame(line, scene):
    return bytes(screens.render_scene(screens.make(line), scene))


@pytest.mark.parametrize("scene", SCENES, ids=[ids.NAMES[s] for s in SCENES])
def test_the_originals_zeros_draw_as_our_unknowns(scene):
    """Every scene draws the original's 0-for-unknown line exactly as our line without
    those keys: dashes, not "0RPM", "0°C", "0.0/0.0 GB", "0 %" disks or a sunny 0°."""
    assert frame(original(**PSUTIL_ONLY), scene) == frame(ours(**PSUTIL_ONLY), scene)


def test_the_originals_unknowns_are_dashes_and_its_real_zeros_stay():
    s = st.State()
    assert s.feed(original(**PSUTIL_ONLY))
    t = s.txt
    for k in ("ct", "gt", "gh", "ch", "cf", "s1", "s2", "gf", "ra", "ru", "vt", "vu", "cc"):
        assert t[k] == st.DASH, k
    for k in ("su", "du", "pw", "wt", "wd", "wi"):
        assert t[k] == st.DASH, k
    assert s.p["ram"] == -1 and s.p["su"] == -1
    assert (t["cl"], t["gl"], t["nu"], t["dr"], t["pg"]) == ("23", "0", "0", "0", "14")
    # the fans scene shows no "0" in a value box, only dashes
    fans = frame(original(**PSUTIL_ONLY), ids.FANS)
    assert not glass.find(fans, "0", font_medium)


def test_the_originals_readable_values_and_real_weather_at_zero():
    """What it could read shows; weather with a description is weather, 0 °C included."""
    line = original(ct=52.0, cf=1180, s1=860, ru=17.3, ra=31.9, su=61, wt=0, wd="Clear sky", wi=0)
    s = st.State()
    assert s.feed(line)
    t = s.txt
    assert (t["ct"], t["cf"], t["s1"], t["s2"]) == ("52", "1180", "860", st.DASH)
    assert (t["ru"], t["ra"], t["su"], t["du"]) == ("17.3", "31.9", "61", st.DASH)
    assert (t["wt"], t["wd"], t["wi"]) == ("0", "Clear sky", "0")
    assert frame(line, ids.ATMOS) == frame(ours(ct=52, wt=0, wd="Clear sky", wi=0), ids.ATMOS)


def test_our_zeros_are_real_zeros():
    """With pv a 0 is a reading: a stopped fan, a disk at 0 %."""
    s = st.State()
    assert s.feed(ours(cf=0, su=0, ct=0, wt=0, wi=0))
    assert (s.txt["cf"], s.txt["su"], s.txt["ct"], s.txt["wt"]) == ("0", "0", "0", "0")


def test_the_originals_per_core_process_percentages_are_clamped():
    tp = [{"n": "xz", "c": 177.0}, {"n": "chrome.exe", "c": 12.3}]
    line = original(cl=61, tp=tp)
    s = st.State()
    assert s.feed(line)
    assert s.tp_txt[:2] == ["100.0", "12.3"] and s.tp_val[:2] == [100, 12]
    procs = frame(line, ids.PROCESSES)
    assert glass.find(procs, "xz", font_small) and glass.find(procs, "100.0", font_small)
    assert not glass.find(procs, "177.0", font_small)
    # our server's figures are whole-CPU percentages: taken as they are
    assert s.feed(ours(tp=[{"n": "xz", "c": 44}]))
    assert s.tp_txt[0] == "44.0"


def test_a_session_with_the_original_server_track_change_clears_the_cover():
    """First line with a cover, then null (unchanged), then "" on a track without one."""
    cover = screens.b64(screens.moon_cover())
    song = {"art": "Daft Punk", "trk": "Veridis Quo", "mp": True}
    app = screens.make(original(cov=cover, **PSUTIL_ONLY, **song))
    assert app.state.has_cover
    assert app.state.feed(original(**PSUTIL_ONLY, **song))  # cov null: kept
    app._new_data()
    assert app.state.has_cover
    nxt = {"art": "Air", "trk": "La Femme d'Argent", "mp": True}
    assert app.state.feed(original(cov="", **PSUTIL_ONLY, **nxt))
    app._new_data()
    assert not app.state.has_cover
    shown = bytes(screens.render_scene(app, ids.MEDIA))
    never = screens.make(ours(**PSUTIL_ONLY, **nxt))
    never.state.track_serial = app.state.track_serial
    assert shown == bytes(screens.render_scene(never, ids.MEDIA))
