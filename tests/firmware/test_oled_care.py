"""Care for the OLED and the PC's comings and goings (desk.py): pixel shift, idle dim and
blank from uid + idm, the night schedule from ngt (persisted), contrast fades, pwr.

On CPython through the shims, the real SSD1306 driver and the virtual panel; the same
scripted session in real MicroPython (the 32-bit WebAssembly port) gives the same trace
and its ticks and CLOCK frames allocate nothing.
"""

import json
from pathlib import Path

import desk_scenario
import framebuf
import machine
import pytest
import screens
from fakes import Rig
from mp import firmware_files, run_micropython
from nocturne_fw import app as A
from nocturne_fw import board, clock, desk, scenes
from nocturne_fw import menu as M
from nocturne_fw import scene_ids as ids
from nocturne_fw.settings import NIGHT_CLOCK, NIGHT_DIM, NIGHT_NONE, NIGHT_OFF, Settings

from nocturne.emulator.ssd1306_virtual import VirtualSSD1306

HERE = Path(__file__).resolve().parent
TM = desk_scenario.TM  # 22:58:00 local (UTC+1)


def line(t_s=0, **keys):
    obj = {"pv": 2, "ct": 40, "tm": TM + t_s, "tz": 60}
    obj.update(keys)
    return json.dumps(obj) + "\n"


def feed(r, ms, **keys):
    """Lines every second for ``ms``, their tm following the rig's clock."""
    t0 = r.now
    r.run(ms, feed_every=1000, line=lambda: line((r.now - t0) // 1000, **keys))


# -- the scripted session, both interpreters ----------------------------------------------


@pytest.fixture(scope="module")
def trace(tmp_path_factory):
    path = tmp_path_factory.mktemp("desk") / "settings.json"
    return [list(r) for r in desk_scenario.run(str(path))], path


def rows_at(tr, t0, t1):
    return [r for r in tr if t0 <= r[0] < t1]


def test_the_session_follows_the_rules(trace):
    tr, path = trace
    # columns: ms, screen, contrast, panel on, dx, dy, time known, minute of day, night
    assert tr[0][1] == ids.SYS_BOOT and not tr[0][6]
    live = [r for r in tr if r[1] == ids.HUB]
    assert live and live[0][6] and live[0][7] == 22 * 60 + 58  # the line's tm, UTC+1
    # uid 70 > 60: dims, fading (values between full and dim), not a jump
    fade = [r[2] for r in rows_at(tr, 2000, 7000)]
    assert fade[0] == 255 and fade[-1] == 31 and len(set(fade)) > 20
    assert all(fade[i] >= fade[i + 1] for i in range(len(fade) - 1))
    # uid 130 > 120: blank (contrast 0, then the panel off); uid 0: on and full again
    blank = rows_at(tr, 7000, 9000)
    assert blank[-1][2:4] == [0, 0]
    back = rows_at(tr, 9000, 11000)
    assert back[0][3] == 1 and back[-1][2] == 255
    # pwr: CLOCK at once, dim; the link drop that follows keeps CLOCK, never SIGNAL LOST
    asleep = rows_at(tr, 11000, 42000)
    assert asleep[0][1] == ids.SYS_CLOCK and asleep[-1][2] == 31
    assert {r[1] for r in asleep} == {ids.SYS_CLOCK}
    # the PC is back (a new connection): live and full within 2 s of its first line
    woke = rows_at(tr, 42000, 46000)
    assert woke[-1][1] == ids.HUB and woke[-1][2] == 255
    assert next(r for r in woke if r[1] == ids.HUB)[0] < 44100
    # the server dies: SIGNAL LOST after 5 s, CLOCK 10 s (clock_after) later, full contrast
    gone = rows_at(tr, 46000, 66000)
    lost_at = next(r[0] for r in gone if r[1] == ids.SYS_LOST)
    clock_at = next(r[0] for r in gone if r[1] == ids.SYS_CLOCK)
    assert 10000 <= clock_at - lost_at <= 10000 + desk.EVAL_MS  # the rules: every 100 ms
    # the night (23:00-07:00, CLOCK) from ngt: CLOCK dimmed from 23:00, and persisted
    night = [r for r in tr if r[8] == NIGHT_CLOCK]
    assert night[0][7] == 23 * 60 and night[0][1] == ids.SYS_CLOCK
    assert night[-1][2] == 31
    saved = json.loads(path.read_text())
    assert (saved["night_s"], saved["night_e"], saved["night_m"]) == (1380, 420, NIGHT_CLOCK)
    # pixel shift: 3 min per offset, every offset of the orbit, never more than 1 px
    offsets = {(r[4], r[5]) for r in tr}
    assert offsets == set(desk.ORBIT)
    first_move = next(r[0] for r in tr if (r[4], r[5]) != (0, 0))
    assert first_move == desk.ORBIT_MS + 2000 or first_move == desk.ORBIT_MS


def files():
    f = firmware_files()
    for name in ("scenario.py", "desk_scenario.py"):
        f[name] = (HERE / name).read_text(encoding="utf-8")
    return f


def test_the_session_is_the_same_in_micropython(trace):
    tr, path = trace
    out = run_micropython(
        "import json, desk_scenario\n"
        "for r in desk_scenario.run('/s.json'):\n"
        "    print(json.dumps(list(r)))\n"
        "print(open('/s.json').read())\n",
        files(),
    )
    rows = out.splitlines()
    got = [json.loads(r) for r in rows[:-1]]
    assert got == json.loads(json.dumps(tr))
    assert json.loads(rows[-1]) == json.loads(path.read_text())


ALLOC_SCRIPT = """
import gc
import desk_scenario as ds
from nocturne_fw import scene_ids as ids
app, clk, oled, srv = ds.make('/a.json')
for i in range(300):
    app.tick(); clk.advance(10)
srv.conn.rx += ds.line(3, ',"idm":[60,120],"uid":70,"pwr":"sleep"')
for i in range(50):
    app.tick(); clk.advance(10)
print('clock', app.screen == ids.SYS_CLOCK, app.desk.wall.known)
app.desk.dx = 1; app.desk.dy = -1
app.link = None
from nocturne_fw import font_big, font_medium, font_small, text
for f in (font_big, font_medium, font_small):  # the glyph cache: once per glyph, not per frame
    text.draw(app.fb, '0123456789:- ', 0, 0, f)
for i in range(20):
    app.tick(); clk.advance(10)
gc.collect(); gc.disable()
a = gc.mem_alloc()
for i in range(150):  # 1.5 s: a fade to dim, 2 CLOCK frames shifted, the time moving
    app.tick(); clk.advance(10)
print('ticks', gc.mem_alloc() - a, oled.levels > 10)
gc.enable()
app.renderer.draw(app.fb, ids.SYS_CLOCK, app)
gc.collect(); gc.disable()
a = gc.mem_alloc()
for i in range(20):
    app.renderer.draw(app.fb, ids.SYS_CLOCK, app)
    app.desk.shift(app.fb)
print('frames', gc.mem_alloc() - a)
gc.enable()
w = app.desk.wall
clk.now = (1 << 30) - 100000
w.set_utc(1796251620, 60, clk())
for i in range(30):  # across the 2**30 tick wrap, 10 s a step
    clk.advance(10000); w.advance(clk())
print('wall', w.day, w.sec, clk() < 300000)
"""


def test_ticks_and_clock_frames_allocate_nothing_in_micropython():
    """Fading, shifting and keeping time from a tm above 2**30 (a big int on 32 bits)
    allocate 0 bytes per tick and per CLOCK frame."""
    out = run_micropython(ALLOC_SCRIPT, files())
    rows = dict(r.split(None, 1) for r in out.splitlines())
    assert rows["clock"] == "True True", out
    ticks, faded = rows["ticks"].split()
    assert int(ticks) == 0 and faded == "True", out
    assert int(rows["frames"]) == 0, out
    # 1796251620 + 3600 s of UTC+1 + 300 s of ticks (the ticks wrapped) = day 20789, 23:52
    assert rows["wall"].split() == ["20789", str(23 * 3600 + 52 * 60), "True"], out


# -- pixel shift through the real driver and the virtual panel ----------------------------


@pytest.fixture
def panel():
    machine.reset_all()
    dev = VirtualSSD1306()
    machine.bus(0).attach(0x3C, dev)
    yield dev
    machine.reset_all()


def shifted(frame, dx, dy):
    """``frame`` moved by (dx, dy), what leaves the panel dropped, nothing wrapped."""
    out = bytearray(1024)
    fb = framebuf.FrameBuffer(out, 128, 64, framebuf.MONO_VLSB)
    src = framebuf.FrameBuffer(bytearray(frame), 128, 64, framebuf.MONO_VLSB)
    fb.blit(src, dx, dy)
    return bytes(out)


def test_pixel_shift_over_24_hours_stays_on_the_panel_and_visits_the_orbit(panel):
    """A day of HUB, 2 min a step, from just before the board's ticks
    wrap: every frame on the panel is the offset-0 render moved by the orbit's offset,
    clipped (no pixel wraps around or leaves the panel), and every offset comes round."""
    clk = clock.ManualClock((1 << 30) - 3_600_000)
    oled = board.Board("V4").oled()
    s = Settings("/nonexistent/settings.json")
    s.carousel = False
    app = A.App(oled, lambda: 1, s, renderer=scenes.Renderer(), ticks_ms=clk)
    assert app.state.feed(screens.clock_line())
    ref = scenes.Renderer()
    scratch = bytearray(1024)
    sfb = framebuf.FrameBuffer(scratch, 128, 64, framebuf.MONO_VLSB)
    seen = {}
    for _ in range(24 * 30):
        app.tick()
        ref.draw(sfb, app.screen, app)
        want = shifted(scratch, app.desk.dx, app.desk.dy)
        assert panel.framebuffer() == want, (app.desk.dx, app.desk.dy)
        seen[(app.desk.dx, app.desk.dy)] = seen.get((app.desk.dx, app.desk.dy), 0) + 1
        clk.advance(120_000)
    assert set(seen) == set(desk.ORBIT)
    assert max(abs(dx) for dx, _ in seen) == 1 and max(abs(dy) for _, dy in seen) == 1
    assert max(seen.values()) - min(seen.values()) <= 2  # each offset about as long
    assert panel.start_line == 0 and panel.offset == 0  # shifted in RAM, never wrapped


# -- idle, buttons, night, alerts on the CPython rig -----------------------------------------


def test_idle_dims_then_blanks_and_input_brings_full_contrast(tmp_path):
    r = Rig(tmp_path, carousel=False)
    r.up(line(idm=[300, 900], uid=10))
    feed(r, 2000, uid=299)
    assert r.oled.contrast_v == 255
    feed(r, 500, uid=301)
    mid = r.oled.contrast_v
    feed(r, 1000, uid=302)
    assert 31 < mid < 255 and r.oled.contrast_v == 31  # faded over a second
    feed(r, 1500, uid=901)
    assert r.oled.contrast_v == 0 and not r.oled.on and r.app.desk.dark
    shows = r.oled.shows
    feed(r, 2000, uid=903)
    assert r.oled.shows == shows  # nothing is drawn while the panel is off
    feed(r, 1500, uid=1)  # the user is back
    assert r.oled.on and r.oled.contrast_v == 255 and not r.app.desk.dark
    # the thresholds are kept on the board, like the night schedule
    saved = json.loads((tmp_path / "settings.json").read_text())
    assert (saved["idle_dim"], saved["idle_blank"]) == (300, 900)


def test_idm_zero_never_dims_and_an_unknown_uid_never_dims(tmp_path):
    r = Rig(tmp_path, carousel=False)
    r.up(line(idm=[0, 0], uid=10))
    feed(r, 2000, uid=100000)
    assert r.oled.contrast_v == 255
    r2 = Rig(tmp_path / "b", carousel=False)
    (tmp_path / "b").mkdir()
    r2.up(line(idm=[60, 120]))
    feed(r2, 2000)  # no uid: unknown, not 0 and not "idle"
    assert r2.oled.contrast_v == 255 and r2.oled.on


def test_a_press_wakes_a_blank_panel_and_does_nothing_else(tmp_path):
    r = Rig(tmp_path, carousel=False)
    r.up(line(idm=[60, 120], uid=500))
    feed(r, 1500, uid=500)
    assert not r.oled.on
    scene = r.app.scene
    r.pin.level = 0
    feed(r, 100, uid=501)
    r.pin.level = 1
    feed(r, 1100, uid=502)
    assert r.oled.on and r.oled.contrast_v == 255 and r.app.scene == scene  # used up
    feed(r, desk.WAKE_MS, uid=530)
    assert not r.oled.on  # still idle on the PC: blank again after WAKE_MS


def test_night_schedule_from_the_server_is_persisted_and_applied(tmp_path):
    r = Rig(tmp_path, carousel=False)
    r.up(line(ngt={"s": 1380, "e": 420, "m": "dim"}))  # 22:58 now
    saved = json.loads((tmp_path / "settings.json").read_text())
    assert (saved["night_s"], saved["night_e"], saved["night_m"]) == (1380, 420, NIGHT_DIM)
    feed(r, 2000)
    assert r.oled.contrast_v == 255 and r.app.desk.night == NIGHT_NONE
    feed(r, 123_000)  # 23:00 passes: dim (faded), the scene stays
    assert r.app.desk.night == NIGHT_DIM and r.oled.contrast_v == 31 and r.app.screen == 0
    # a board that reboots remembers it
    s = Settings(str(tmp_path / "settings.json"))
    assert s.load() and s.night_m == NIGHT_DIM


@pytest.mark.parametrize(
    ("start", "end", "minute", "inside"),
    [
        (1380, 420, 1379, False),
        (1380, 420, 1380, True),
        (1380, 420, 0, True),
        (1380, 420, 419, True),
        (1380, 420, 420, False),
        (60, 120, 90, True),
        (60, 120, 120, False),
        (60, 120, 30, False),
        (600, 600, 600, False),  # an empty window: never
    ],
)
def test_night_window_edges(tmp_path, start, end, minute, inside):
    r = Rig(tmp_path, carousel=False, night_s=start, night_e=end, night_m=NIGHT_OFF)
    w = r.app.desk.wall
    w.known = True
    w.sec = minute * 60
    assert r.app.desk._night() == (NIGHT_OFF if inside else NIGHT_NONE)
    w.known = False  # the time unknown: no night
    assert r.app.desk._night() == NIGHT_NONE


def test_night_off_blanks_and_night_clock_shows_clock_but_an_alert_wins(tmp_path):
    r = Rig(tmp_path, carousel=False, night_m=NIGHT_OFF, night_s=1300, night_e=100)
    r.up(line())
    feed(r, 1500)
    assert not r.oled.on
    r.settings.night_m = NIGHT_CLOCK
    feed(r, 1500)
    assert r.oled.on and r.app.screen == ids.SYS_CLOCK and r.oled.contrast_v == 31
    feed(r, 1500, alert="CRITICAL", target_screen="CPU")
    assert r.app.screen == ids.CPU and r.oled.contrast_v == 255


def test_the_menu_cycles_the_night_mode_and_saves_it(tmp_path):
    s = Settings(str(tmp_path / "settings.json"))
    m = M.Menu(s)
    m.show()
    m.sel = M.I_NIGHT
    seen = [m.value(M.I_NIGHT)]
    for _ in range(4):
        assert m.press_long() == M.A_NONE
        seen.append(m.value(M.I_NIGHT))
    assert seen == ["NO", "DIM", "CLOCK", "BLANK", "NO"]
    assert M.LABELS[M.I_NIGHT] == "NIGHT" and len(M.LABELS) == M.COUNT
    s.night_m = NIGHT_CLOCK
    assert s.save()
    t = Settings(str(tmp_path / "settings.json"))
    assert t.load() and t.night_m == NIGHT_CLOCK


@pytest.mark.parametrize(
    "raw",
    ['{"night_m": 7}', '{"night_s": 1440}', '{"night_e": -1}', '{"clock_after": "10"}'],
)
def test_bad_desk_settings_fall_back_to_defaults(tmp_path, raw):
    p = tmp_path / "settings.json"
    p.write_text(raw)
    s = Settings(str(p))
    assert not s.load()
    assert (s.night_m, s.night_s, s.night_e, s.clock_after) == (NIGHT_NONE, 1380, 420, 10)
