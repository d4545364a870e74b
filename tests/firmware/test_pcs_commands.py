"""Issue 14 on the board: commands from Home Assistant (gs, so, cn) and the PCS scene (pcs).

The app on the fakes' ManualClock; the no-allocation check on real MicroPython (WASM port).
"""

import json
from pathlib import Path

import screens
from fakes import Rig
from mp import firmware_files, run_micropython
from nocturne_fw import app as A
from nocturne_fw import scene_ids as ids
from nocturne_fw.pcs import COLS, ROWS, UNKNOWN


def line(**keys):
    return (json.dumps({"pv": 2, "ct": 40, **keys}) + "\n").encode()


def sent(rig):
    return bytes(rig.server.conn.sent).decode()


def feed(r, data):
    r.server.push(data)
    r.run(20)


def test_gs_shows_the_scene_and_reports_it(tmp_path):
    r = Rig(tmp_path, carousel=False)
    r.up()
    feed(r, line(gs=ids.DISKS))
    assert r.app.scene == ids.DISKS and r.app.screen == ids.DISKS
    assert sent(r).endswith(f"screen:{ids.DISKS}\n")
    feed(r, line(ct=41))  # one shot: the next line without gs leaves the scene alone
    r.press(100)
    assert r.app.scene == ids.DISKS + 1


def test_bad_command_values_are_ignored_and_the_line_still_applies(tmp_path):
    r = Rig(tmp_path, carousel=False)
    r.up()
    for bad in (
        {"gs": ids.COUNT},
        {"gs": -1},
        {"gs": "CPU"},
        {"gs": True},
        {"so": 2},
        {"so": "off"},
        {"cn": 256},
        {"cn": -3},
        {"cn": 12.5},
        {"cn": None},
    ):
        bad_before = r.app.state.bad
        feed(r, line(ct=55, **bad))
        feed(r, line(ct=56, **bad))
        assert r.app.state.bad == bad_before, bad
        assert r.app.state.txt["ct"] == "56", bad
        assert r.app.scene == 0 and not r.app.off and r.oled.on, bad
        assert r.oled.contrast_v == 255, bad  # the settings' contrast, untouched


def test_a_refused_line_carries_no_command(tmp_path):
    r = Rig(tmp_path, carousel=False)
    r.up()
    feed(r, b'{"pv":2,"gs":5,"so":0,"cn":1,"ct":"hot"}\n')  # ct of the wrong type
    assert r.app.state.bad == 1
    assert r.app.scene == 0 and r.oled.on and r.oled.contrast_v == 255


def test_screen_off_holds_until_so_1_even_through_an_alert(tmp_path):
    r = Rig(tmp_path, carousel=False)
    r.up()
    feed(r, line(so=0))
    assert r.app.off and not r.oled.on and r.app.screen == ids.SYS_OFF
    r.run(3000, feed_every=1000, line=line(ct=50))
    assert r.app.off  # lines keep coming; the screen stays off
    feed(r, b'{"pv":2,"ct":97,"alert":"CRITICAL","target_screen":"CPU"}\n')
    r.run(1000)
    assert r.app.off and not r.oled.on  # the menu's SCREEN OFF would wake here
    feed(r, line(so=1))
    assert not r.app.off and r.oled.on
    feed(r, line(so=1))  # on while on: nothing happens
    assert not r.app.off


def test_a_button_press_wakes_a_screen_turned_off_by_command(tmp_path):
    r = Rig(tmp_path, carousel=False)
    r.up()
    feed(r, line(so=0))
    r.press(100)
    assert not r.app.off and r.oled.on and not r.app.cmds.held_off


def test_cn_sets_the_displays_contrast_and_survives_a_wake(tmp_path):
    r = Rig(tmp_path, carousel=False)
    r.up()
    feed(r, line(cn=37))
    assert r.oled.contrast_v == 37
    feed(r, line(so=0))
    feed(r, line(cn=0))  # off: remembered, sent to the panel when it wakes
    assert r.oled.contrast_v == 37
    feed(r, line(so=1))
    assert r.oled.contrast_v == 0


def test_commands_of_two_lines_in_one_tick_all_apply(tmp_path):
    r = Rig(tmp_path, carousel=False)
    r.up()
    r.server.push(line(gs=ids.RAM) + line(cn=99))
    r.run(20)
    assert r.app.scene == ids.RAM and r.oled.contrast_v == 99


PCS3 = [
    {"n": "office", "on": True, "cl": 18, "ct": 52, "gl": 63, "gt": 47, "ru": 17.34},
    {"n": "laptop", "on": False, "cl": 5},
    {"n": "media-server", "cl": 3.4, "ru": 3.9},
]


def test_pcs_rows_are_formatted_once_per_line(tmp_path):
    r = Rig(tmp_path, carousel=False)
    r.up()
    feed(r, line(pcs=PCS3))
    p = r.app.pcs
    assert p.n == 3
    assert p.name[:3] == ["OFFICE", "LAPTOP", "MEDIA-"]
    assert p.on[:3] == [True, False, True]  # "on" absent: it sent a state, so online
    assert p.val[:COLS] == [18, 52, 63, 47, 173]  # RAM in tenths
    assert p.val[COLS : 2 * COLS] == [UNKNOWN] * 5  # offline: no stale values
    assert p.val[2 * COLS : 3 * COLS] == [3, UNKNOWN, UNKNOWN, UNKNOWN, 39]
    feed(r, line())  # pcs absent: none known
    assert r.app.pcs.n == 0


def test_a_pcs_that_is_no_list_refuses_the_line_and_keeps_the_rows(tmp_path):
    r = Rig(tmp_path, carousel=False)
    r.up()
    feed(r, line(pcs=PCS3))
    before = r.app.state.bad
    feed(r, line(ct=77, pcs="x"))
    assert r.app.state.bad == before + 1
    assert r.app.pcs.n == 3 and r.app.pcs.name[0] == "OFFICE"
    assert r.app.state.txt["ct"] == "40"


def test_a_bad_pcs_row_is_skipped_and_the_line_taken(tmp_path):
    """One hostile row must not freeze every reading (issue 27): the row is left out, a
    bad reading is unknown, the rest of the line is shown."""
    r = Rig(tmp_path, carousel=False)
    r.up()
    for bad in ([1], [{"n": 5}], [{"on": "yes"}]):
        feed(r, line(ct=77, pcs=[*bad, PCS3[0]]))
        assert r.app.state.txt["ct"] == "77", bad
        assert r.app.pcs.n == 1 and r.app.pcs.name[0] == "OFFICE", bad
    for bad_reading in ({"ct": "hot"}, {"ru": 1e12}):
        feed(r, line(ct=78, pcs=[{"n": "x", **bad_reading}]))
        assert r.app.state.txt["ct"] == "78" and r.app.pcs.n == 1
        assert r.app.pcs.val[:COLS] == [UNKNOWN] * COLS, bad_reading
    feed(r, line(pcs=PCS3))
    feed(r, line(pcs=PCS3 * 4))  # more than 8: the first 8
    assert r.app.pcs.n == 8


def test_pcs_values_beyond_the_columns_are_clamped(tmp_path):
    r = Rig(tmp_path, carousel=False)
    r.up()
    feed(r, line(pcs=[{"n": "x", "cl": 1e6, "ct": -40, "gl": -0.4, "ru": 5000}]))
    assert r.app.pcs.val[:COLS] == [999, -40, 0, UNKNOWN, 9999]


def test_the_carousel_shows_pcs_only_with_data_and_stays_for_every_page(tmp_path):
    r = Rig(tmp_path, carousel=True, interval=5)
    r.up()
    r.app.set_scene(ids.DISKS)
    r.run(5100, feed_every=1000, line=line())
    assert r.app.scene == ids.HUB  # no pcs: PCS skipped
    r.app.set_scene(ids.DISKS)
    many = (PCS3 * 3)[:8]
    r.run(5100, feed_every=1000, line=line(pcs=many))
    assert r.app.scene == ids.PCS
    assert r.app.pcs.pages() == 2 and ROWS < 8
    r.run(5000, feed_every=1000, line=line(pcs=many))
    assert r.app.scene == ids.PCS  # second page: 2 intervals on PCS
    r.run(5100, feed_every=1000, line=line(pcs=many))
    assert r.app.scene == ids.HUB


def test_pcs_pages_by_the_interval(tmp_path):
    app = screens.make(screens.pcs_line(8))
    app.set_scene(ids.PCS)
    from nocturne_fw import pcs_scene

    assert pcs_scene.page(app) == 0
    app.now += app.settings.interval * 1000
    assert pcs_scene.page(app) == 1
    app.now += app.settings.interval * 1000
    assert pcs_scene.page(app) == 0
    one = screens.make(screens.pcs_line(6))
    one.now += 10**6
    assert pcs_scene.page(one) == 0 and one.pcs.pages() == 1


def test_the_pcs_scene_draws_with_no_allocation_in_micropython():
    files = firmware_files()
    files["screens.py"] = Path(screens.__file__).read_text(encoding="utf-8")
    out = run_micropython(
        "import gc, screens\n"
        "from nocturne_fw import scene_ids as ids\n"
        "for n in (1, 3, 6, 8):\n"
        "    app = screens.make(screens.pcs_line(n))\n"
        "    app.set_scene(ids.PCS)\n"
        "    app.screen = ids.PCS\n"
        "    for pg in range(2):\n"
        "        app.renderer.draw(app.fb, ids.PCS, app)\n"
        "        gc.collect(); gc.disable()\n"
        "        a = gc.mem_alloc()\n"
        "        for i in range(20):\n"
        "            app.renderer.draw(app.fb, ids.PCS, app)\n"
        "        print(n, pg, app.pcs.n, gc.mem_alloc() - a)\n"
        "        gc.enable()\n"
        "        app.now += app.settings.interval * 1000\n",
        files,
    )
    rows = [r.split() for r in out.splitlines()]
    assert len(rows) == 8, out
    assert all(int(r[2]) == int(r[0]) for r in rows), rows  # the line was applied
    assert all(int(r[3]) <= 16 for r in rows), rows


def test_a_press_shows_pcs_even_without_data(tmp_path):
    r = Rig(tmp_path, carousel=False)
    r.up()
    r.app.set_scene(ids.PCS - 1)
    r.press(100)
    assert r.app.scene == ids.PCS and r.app.screen == ids.PCS
    assert A.App.has_data(r.app, ids.PCS) is False
