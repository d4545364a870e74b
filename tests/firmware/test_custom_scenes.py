"""The board's side of custom scenes (issue 24): ``xs`` parsed into the preallocated slots,
refused whole when malformed; ``xv`` values, unknown as the dash; the carousel, ``gs`` and
settings.json with scene ids 14-17; drawing with 0 bytes allocated on real MicroPython.

The goldens (one per layout and case) are test_scenes.py's, from custom_screens.py.
"""

from __future__ import annotations

import json
from pathlib import Path

import custom_screens as cs
import glass
import pytest
import screens
from fakes import Rig
from mp import firmware_files, run_micropython
from nocturne_fw import font_big, font_medium, font_small
from nocturne_fw import scene_ids as ids
from nocturne_fw.commands import CustomGate
from nocturne_fw.custom_scene import SCENES, SLOTS, CustomScenes
from nocturne_fw.state import DASH

HERE = Path(__file__).resolve().parent
XV0 = '{"pv":2,"ct":41,"xv":[]}'


def defined(xs: str = cs.XS4, xv: str = cs.XV4):
    """A board that got ``xs`` and then ``xv``."""
    return cs.make_custom(xs[1:-1] if xs.startswith("[[") else xs, xv)


def feed(app, line: str) -> bool:
    ok = app.state.feed(line)
    app._new_data()
    return ok


def frame(app, scene: int) -> bytes:
    return bytes(screens.render_scene(app, scene))


def shown(app):
    """What the board keeps of its custom scenes: names, layouts, labels and units."""
    c = app.custom
    return (c.n, list(c.name), bytes(c.layout), list(c.label), list(c.unit), bytes(c.dec))


# -- xs ---------------------------------------------------------------------------------


def test_xs_defines_the_scenes_in_id_order_with_the_slots_each_layout_shows():
    app = defined()
    c = app.custom
    assert c.n == 4 and c.name == ["CUSTOM 1", "CUSTOM 2", "CUSTOM 3", "CUSTOM 4"]
    assert bytes(c.layout) == bytes((3, 2, 1, 4))  # rows, grid, two, graph
    assert bytes(c.sent) == bytes((6, 6, 6, 6))  # every slot sent counts in xv
    # rows keeps 6 slots, grid 4, two 2, graph 1: the others are not kept
    kept = [sum(1 for j in range(SLOTS) if c.label[SLOTS * s + j]) for s in range(SCENES)]
    assert kept == [6, 4, 2, 1]
    assert c.label[SLOTS * 1 + 3] == "LABEL 1.3 " and c.unit[SLOTS * 1 + 3] == "KB/s"
    assert c.graphs[3] is not None and c.graphs[:3] == [None, None, None]
    assert all(app.has_data(ids.CUSTOM_1 + s) for s in range(4))


def test_xs_applies_as_the_next_line_comes_and_its_line_keeps_the_shown_values():
    app = screens.make(cs.custom_line(cs.XS_LAYOUTS["big"], "[97.25]"))
    assert app.custom.n == 0 and app.custom.pending is not None
    assert feed(app, '{"pv":2,"xv":[12.5]}')
    assert app.custom.n == 1 and app.custom.pending is None
    before = frame(app, ids.CUSTOM_1)
    assert feed(app, cs.custom_line(cs.XS_LAYOUTS["big"], "[99.9]"))  # the same xs again
    assert frame(app, ids.CUSTOM_1) == before  # 12.5 still: its values count from the next
    assert feed(app, '{"pv":2,"xv":[99.9]}')
    assert frame(app, ids.CUSTOM_1) != before


MALFORMED = [
    '{"a":1}',  # not a list
    '"rows"',
    "[" + ",".join(['["S","big",[]]'] * 5) + "]",  # 5 scenes
    '[["S","big"]]',  # a scene of 2 items
    '[["S","big",[]],7]',
    '[[7,"big",[]]]',  # name not a string
    '[["NINECHARS","big",[]]]',  # name longer than 8
    '[["S","pie",[]]]',  # unknown layout
    '[["S",1,[]]]',
    '[["S","rows",{}]]',  # slots not a list
    '[["S","rows",[' + ",".join(['["L","U",0,null,null]'] * 7) + "]]]",  # 7 slots
    '[["S","big",[["L","U",0,null]]]]',  # a slot of 4 items
    '[["S","big",[["L","U",3,null,null]]]]',  # decimals 3
    '[["S","big",[["L","U",1.0,null,null]]]]',  # decimals not an integer
    '[["S","big",[["L","U",true,null,null]]]]',
    '[["S","big",[["ELEVENCHARS","U",0,null,null]]]]',  # label longer than 10
    '[["S","big",[["L","UNITS",0,null,null]]]]',  # unit longer than 4
    '[["S","big",[["L",null,0,null,null]]]]',
    '[["S","big",[["L","U",0,"90",null]]]]',  # a limit not a number
    '[["S","big",[["L","U",0,null,true]]]]',
    '[["S","big",[["L","U",0,null,1e12]]]]',  # beyond any reading
    '[["S","big",[["L","U",0,null,null]]],["' + "x" * 3000 + '","big",[]]]',
]


@pytest.mark.parametrize("xs", MALFORMED)
def test_a_malformed_xs_is_refused_whole_the_previous_stays_the_rest_applies(xs):
    app = defined()
    before = shown(app)
    frames = [frame(app, ids.CUSTOM_1 + s) for s in range(3)]  # the 4th graphs each line
    assert feed(app, '{"pv":2,"ct":77,"xs":%s,"xv":%s}' % (xs, cs.XV4))  # noqa: UP031
    assert app.state.v["ct"] == 77  # the rest of its line applied
    assert feed(app, '{"pv":2,"xv":%s}' % cs.XV4)  # noqa: UP031
    assert app.custom.refused == 1
    assert shown(app) == before
    assert [frame(app, ids.CUSTOM_1 + s) for s in range(3)] == frames


def test_xs_empty_clears_the_scenes_and_a_board_on_one_goes_to_hub():
    app = defined()
    app.set_scene(ids.CUSTOM_1 + 2)
    assert feed(app, '{"pv":2,"xs":[]}')
    assert app.scene == ids.CUSTOM_1 + 2  # until it applies, with the next line
    assert feed(app, XV0)
    assert app.custom.n == 0 and app.scene == ids.HUB
    assert app.custom.label == [""] * (SCENES * SLOTS)  # no string of the old one kept
    assert not any(app.has_data(ids.CUSTOM_1 + s) for s in range(4))


def test_a_changed_graph_slot_loses_its_history_an_unchanged_one_keeps_it():
    app = defined('[["G","graph",[["W","W",0,null,null]]]]', "[100]")
    for v in (200, 300):
        feed(app, '{"pv":2,"xv":[%d]}' % v)  # noqa: UP031
    g = app.custom.graphs[0]
    assert g.peak() == 300
    for line in ('{"pv":2,"xs":[["G2","graph",[["W","W",0,null,null]]]]}', XV0):
        feed(app, line)
    assert app.custom.graphs[0] is g and g.peak() == 300  # a new name: the same graph
    for line in ('{"pv":2,"xs":[["G2","graph",[["OTHER","W",0,null,null]]]]}', XV0):
        feed(app, line)
    assert app.custom.graphs[0] is not g and app.custom.graphs[0].peak() < 0  # no sample yet


# -- xv ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "xv", ["[null,null,null,null]", '["91",true,[1],{"a":1}]', "[]", '"x"', "7", "null"]
)
def test_unknown_or_wrong_type_values_show_the_dash_never_0(xv):
    app = defined(cs.XS_LAYOUTS["grid"], xv)
    img = frame(app, ids.CUSTOM_1)
    dashes = glass.find(img, DASH, font_medium)
    assert {(2, 21), (66, 21), (2, 46), (66, 46)} <= set(dashes), dashes
    for font in (font_small, font_medium, font_big):
        assert glass.find(img, "0", font) == [], font.__name__


def test_a_short_xv_leaves_the_rest_unknown_and_extra_values_are_ignored():
    app = defined(cs.XS_LAYOUTS["grid"], "[91,99]")
    dashes = set(glass.find(frame(app, ids.CUSTOM_1), DASH, font_medium))
    assert (2, 46) in dashes and (66, 46) in dashes and (2, 21) not in dashes, dashes
    extra = defined(cs.XS_LAYOUTS["grid"], "[91,99,123456,1.42,5,6,7,8]")
    assert frame(extra, ids.CUSTOM_1) == bytes(cs.render("scene_14_custom_grid"))


def test_values_land_in_their_scene_by_the_slots_each_scene_sent():
    """xv is flat over every slot sent (a graph scene of 6 slots takes 6 values)."""
    xs = '[["A","graph",[%s]],["B","big",[["B1","W",0,null,null]]]]' % ",".join(  # noqa: UP031
        ['["G%d","W",0,null,null]' % j for j in range(6)]  # noqa: UP031
    )
    app = defined(xs, "[1,2,3,4,5,6,789]")
    assert glass.find(frame(app, ids.CUSTOM_1 + 1), "789", font_big) != []
    assert app.custom.form[SLOTS] == 0 and app.custom.num[SLOTS] == 789


@pytest.mark.parametrize(
    ("x", "dec", "most", "text"),
    [
        (97.25, 1, 7, "97.3"),  # half away from zero
        (-97.25, 1, 7, "-97.3"),
        (0.004, 2, 9, "0.00"),
        (0.05, 2, 9, "0.05"),
        (12345.678, 2, 9, "12345.68"),
        (98765.43, 2, 5, "98765"),  # fewer decimals, then none, to fit
        (123456, 0, 5, "123K"),
        (-123456789.5, 1, 7, "-123M"),
        (999999999, 0, 9, "999999999"),
        (999999999, 0, 4, "1G"),
        (4650, 0, 6, "4650"),
    ],
)
def test_a_value_fits_its_box_with_its_decimals_or_fewer_or_k_m_g(x, dec, most, text):
    from array import array

    from nocturne_fw.custom_scene import _fit

    num = array("i", [0])
    form = _fit(num, 0, x, dec, most)
    t, d, k = num[0], form & 3, form >> 2
    s = str(abs(t)).rjust(d + 1, "0")
    got = ("-" if t < 0 else "") + (s[:-d] + "." + s[-d:] if d else s) + ("", "K", "M", "G")[k]
    assert got == text and len(got) <= most


# -- the carousel, gs, settings.json ------------------------------------------------------


def test_the_carousel_visits_a_custom_scene_only_while_it_is_defined(tmp_path):
    r = Rig(tmp_path, carousel=False)
    r.up()
    two = '[["ONE","big",[["A","W",0,null,null]]],["TWO","big",[["B","W",0,null,null]]]]'
    for line in ('{"pv":2,"xs":%s}\n' % two, '{"pv":2,"xv":[1,2]}\n'):  # noqa: UP031
        r.server.push(line.encode())
        r.run(100)
    r.app.set_scene(ids.PCS)
    seen = []
    for _ in range(3):
        r.press(100)
        seen.append(r.app.scene)
    assert seen == [ids.CUSTOM_1, ids.CUSTOM_1 + 1, ids.HUB]
    assert r.app.has_data(ids.CUSTOM_1 + 1) and not r.app.has_data(ids.CUSTOM_1 + 2)


def test_gs_reaches_a_defined_custom_scene_and_an_undefined_one_shows_hub():
    app = defined('[["ONE","big",[["A","W",0,null,null]]]]', "[1]")
    feed(app, '{"pv":2,"gs":14,"xv":[1]}')
    assert app.scene == ids.CUSTOM_1
    feed(app, '{"pv":2,"gs":16,"xv":[1]}')
    assert app.scene == ids.HUB
    feed(app, '{"pv":2,"gs":18,"xv":[1]}')  # out of range: ignored
    assert app.scene == ids.HUB


def test_a_stored_custom_scene_shows_when_its_xs_comes_and_hub_when_it_does_not(tmp_path):
    """settings.json's scene 15: kept at boot (no xs has come yet; the panel shows HUB for
    it until one comes), and HUB once the PC's xs does not define it."""
    app = screens.make(link_up=False)
    app.settings.scene = ids.CUSTOM_1 + 1
    assert frame(app, ids.CUSTOM_1 + 1) == frame(app, ids.HUB)
    for xs, want in ((cs.XS4, ids.CUSTOM_1 + 1), ("[]", ids.HUB)):
        r = Rig(tmp_path, carousel=False, scene=ids.CUSTOM_1 + 1)
        assert r.app.scene == ids.CUSTOM_1 + 1
        r.up(b'{"pv":2,"xs":%s}\n' % xs.encode())
        assert r.app.scene == ids.CUSTOM_1 + 1  # its xs applies with the next line
        r.server.push(b'{"pv":2,"xv":%s}\n' % cs.XV4.encode())
        r.run(100)
        assert r.app.scene == want


def test_custom_scene_loads_only_once_an_xs_defines_a_scene(tmp_path):
    """commands.CustomGate stands in for custom_scene.py (~5 KB of heap) until an xs defines a
    scene: lines without xs, and xs [], leave the gate in place."""
    r = Rig(tmp_path, carousel=False)
    r.up(b'{"pv":2,"xs":[]}\n')
    r.server.push(b'{"pv":2,"ct":41}\n{"pv":2,"ct":42}\n')
    r.run(100)
    assert type(r.app.custom) is CustomGate and r.app.custom in r.app.state.parts
    assert not r.app.custom.defined(ids.CUSTOM_1) and r.app.custom.gone(ids.CUSTOM_1)
    r.server.push(b'{"pv":2,"xs":%s}\n{"pv":2,"xv":%s}\n' % (cs.XS4.encode(), cs.XV4.encode()))
    r.run(100)
    assert type(r.app.custom) is CustomScenes and r.app.custom.n == 4
    assert r.app.custom in r.app.state.parts
    assert not [p for p in r.app.state.parts if type(p) is CustomGate]


def test_the_menu_stores_the_custom_scene_shown(tmp_path):
    r = Rig(tmp_path, carousel=False)
    r.up()
    r.server.push(b'{"pv":2,"xs":%s}\n{"pv":2,"xv":%s}\n' % (cs.XS4.encode(), cs.XV4.encode()))
    r.run(100)
    r.app.set_scene(ids.CUSTOM_1 + 3)
    r.app.settings.dirty = True  # a setting changed in the menu
    r.app._close_menu()
    assert json.loads((tmp_path / "settings.json").read_text())["scene"] == ids.CUSTOM_1 + 3


def test_the_header_names_the_scene_and_a_critical_slot_flashes_every_500_ms():
    app = defined(cs.XS_LAYOUTS["grid"], "[91,99,123456,1.42]")
    assert glass.find(frame(app, ids.CUSTOM_1), "QUAD", font_small) == [(1, 0)]
    app.screen = ids.HUB
    assert app.renderer.animates(app) is False
    app.screen = ids.CUSTOM_1
    assert app.renderer.animates(app)  # CORE MAX 91 >= 90: redrawn while it flashes
    lit = frame(app, ids.CUSTOM_1)
    app.now += 500
    dark = frame(app, ids.CUSTOM_1)
    app.now += 500
    assert lit != dark and frame(app, ids.CUSTOM_1) == lit
    feed(app, '{"pv":2,"xv":[89,99,123456,1.42]}')
    assert not app.renderer.animates(app)


# -- real MicroPython: 0 bytes per redraw, hostile input bounded ----------------------------

REDRAW = """
import gc, custom_screens as cs
from nocturne_fw import scene_ids as ids
for name, xv in {cases!r}:
    app = cs.make_custom(cs.XS_LAYOUTS[name], xv)
    if name == "graph":
        cs.fill_history(app)
    app.screen = ids.CUSTOM_1
    gc.collect()
    a = gc.mem_alloc()
    app.renderer.draw(app.fb, ids.CUSTOM_1, app)  # its first draw
    first = gc.mem_alloc() - a
    gc.collect(); gc.disable()
    a = gc.mem_alloc()
    for i in range(20):  # both halves of a flash
        app.now += 250
        app.renderer.draw(app.fb, ids.CUSTOM_1, app)
    print(name, first, gc.mem_alloc() - a)
    gc.enable()
"""
CASES = [
    ("big", "[-123456789.5]"),
    ("two", "[142.36,98765.43]"),
    ("grid", "[91,99,123456,null]"),
    ("rows", "[999999999,-99999.99,0.004,null,1e8,-0.04]"),
    ("graph", "[312]"),
]


def _files():
    f = firmware_files()
    for name in ("screens.py", "custom_screens.py"):
        f[name] = (HERE / name).read_text(encoding="utf-8")
    return f


def test_every_layout_draws_with_0_bytes_allocated_in_micropython():
    out = run_micropython(REDRAW.format(cases=CASES), _files())
    rows = {r.split()[0]: (int(r.split()[1]), int(r.split()[2])) for r in out.splitlines()}
    assert set(rows) == {name for name, _ in CASES}, out
    assert all(first == 0 and redraw == 0 for first, redraw in rows.values()), rows


# The WebAssembly port collects between top-level runs only: a list of scripts. What is live
# after 10 rounds of the lines, after 15 more and after 15 more: no growth per round (the
# first figure holds ~100 bytes of the scripts' own: not per round).
_ROUND = "for line in lines:\n    app.state.feed(line); app._new_data()"
_LIVE = "gc.collect()", "live.append(gc.mem_alloc())"
HOSTILE = [
    "import gc, screens, custom_screens as cs\napp = cs.make_custom(cs.XS4[1:-1], cs.XV4)\n"
    "lines = {lines!r}\nlive = []",
    *[_ROUND] * 10,
    *_LIVE,
    *[_ROUND] * 15,
    *_LIVE,
    *[_ROUND] * 15,
    *_LIVE,
    "print('KEPT', live[2] - live[1], app.custom.n, app.custom.refused)",
]


def test_hostile_xs_and_xv_are_survived_and_leave_nothing_on_the_heap_in_micropython():
    big_xv = "[" + ",".join(["1e300"] * 150 + ['"' + "x" * 1000 + '"']) + "]"
    lines = [
        '{"pv":2,"xs":[' + ",".join(['["S","rows",[]]'] * 200) + "]}",  # 200 scenes
        '{"pv":2,"xs":[["' + "L" * 3500 + '","big",[]]]}',  # a 3.5 KB name
        '{"pv":2,"xs":[["S","rows",[[[[[[[[[[1]]]]]]]]]]]]}',
        '{"pv":2,"xs":{"a":[1,2,3]},"xv":{"b":1}}',
        '{"pv":2,"xv":' + big_xv + "}",  # 151 values, huge and a long string
        '{"pv":2,"xv":[' + ",".join(["99"] * 900) + "]}",
        '{"pv":2,"xv":"' + "y" * 3000 + '"}',
        '{"pv":2,"xv":' + cs.XV4 + "}",  # and good lines in between
    ]
    assert all(len(line) <= 4096 for line in lines)
    out = run_micropython([HOSTILE[0].format(lines=lines), *HOSTILE[1:]], _files())
    kept, n, refused = (int(v) for v in out.split()[1:4])
    assert n == 4 and refused == 40 * 4, out  # every bad xs refused, the scenes stay
    assert kept <= 0, out


def test_a_first_line_with_everything_and_4_full_custom_scenes_fits_4096_bytes():
    line = cs.with_custom(screens.FULL % screens.b64(screens.moon_cover()))
    line = line[:-1] + ',"pcs":[' + ",".join(screens._PCS) + "]}"
    assert len(line.encode()) <= 4096, len(line.encode())
    app = screens.make(line)
    assert feed(app, '{"pv":2,"xv":%s}' % cs.XV4)  # noqa: UP031
    assert app.custom.n == 4


# -- the original firmware --------------------------------------------------------------

ORIGINAL_KEYS = frozenset(
    [
        "ct",
        "gt",
        "cl",
        "gl",
        "pw",
        "cc",
        "gh",
        "gv",
        "ru",
        "ra",
        "vu",
        "vt",
        "nd",
        "nu",
        "pg",
        "dr",
        "dw",
        "su",
        "du",
        "cf",
        "s1",
        "s2",
        "gf",
        "ch",
        "wt",
        "wd",
        "wi",
        "tp",
        "tr",
        "art",
        "trk",
        "mp",
        "idle",
        "cov",
        "alert",
        "target_screen",
    ]
)


def test_an_original_device_reads_its_keys_from_a_line_with_the_custom_ones():
    """The original firmware takes the keys it knows (ArduinoJson, PROTOCOL.md) and ignores
    the rest: a line with xs and xv parses as JSON of the same object, its keys the same
    values, within its 4096 bytes; and our board draws the built-in scenes from it as from
    the line without them, the footer's dots aside (4 scenes more to visit)."""
    plain = screens.FULL % screens.b64(screens.moon_cover())
    line = cs.with_custom(plain)
    got, want = json.loads(line), json.loads(plain)
    assert {k: v for k, v in got.items() if k in ORIGINAL_KEYS} == {
        k: v for k, v in want.items() if k in ORIGINAL_KEYS
    }
    assert len(line.encode()) <= 4096
    with_custom = screens.make(line)
    feed(with_custom, cs.with_custom(plain.replace(',"cov":"', ',"cov":null,"x":"'), False))
    without = screens.make(plain)
    feed(without, plain.replace(',"cov":"', ',"cov":null,"x":"'))
    assert with_custom.custom.n == 4
    for scene in range(ids.CUSTOM_1):
        a, b = bytearray(frame(with_custom, scene)), bytearray(frame(without, scene))
        for x in range(128):  # the footer's rows 61-63: page 7, bits 5-7
            a[7 * 128 + x] &= 0x1F
            b[7 * 128 + x] &= 0x1F
        assert a == b, ids.NAMES[scene]
