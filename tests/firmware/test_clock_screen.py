"""CLOCK (clock_screen.py) and the board's time (timekeeping.py): tm/tz from the wire, kept
by the board's ticks, the RTC set, hostile values refused whole, what the screen shows."""

import datetime
import json

import glass
import machine
import pytest
import scenario as sc
import screens
from fakes import Rig
from nocturne_fw import app as A
from nocturne_fw import desk, font_big, font_medium, font_small, scenes, timekeeping
from nocturne_fw import scene_ids as ids
from nocturne_fw.state import State

TM = screens.CLOCK_TM  # 22:47:00 UTC = 23:47 in UTC+1, Wednesday 2 December 2026


def line(**keys):
    obj = {"pv": 2, "ct": 40, "wt": -2, "wd": "Light snow", "wi": 71, "tm": TM, "tz": 60}
    obj.update(keys)
    return (json.dumps(obj) + "\n").encode()


class Oled(sc.Oled):
    def __init__(self):
        super().__init__()
        self.frame = bytearray(1024)
        import framebuf

        self.fb = framebuf.FrameBuffer(self.frame, 128, 64, framebuf.MONO_VLSB)


def rig(tmp_path, **settings):
    oled = Oled()
    r = Rig(tmp_path, renderer=scenes.Renderer(), fb=oled.fb, carousel=False, **settings)
    r.frame = oled.frame
    return r


def test_civil_matches_the_gregorian_calendar():
    epoch = datetime.date(1970, 1, 1)
    for days in [*range(0, 50000, 37), 10956, 11016, 11017, 47540, 47541]:
        d = epoch + datetime.timedelta(days=days)
        assert timekeeping.civil(days) == (d.year, d.month, d.day), days


def test_tm_sets_the_clock_and_the_rtc_and_the_ticks_keep_it(tmp_path):
    machine.reset_all()
    r = rig(tmp_path)
    r.app.desk.wall.use_rtc(machine.RTC())
    r.up(line())
    w = r.app.desk.wall
    assert w.known and w.sec == 23 * 3600 + 47 * 60 and w.tz == 60
    w.calendar()
    assert (w.year, w.month, w.mday, w.wday) == (2026, 12, 2, 2)  # Wednesday
    # the RTC holds UTC, as ntptime would set it
    assert machine.rtc.dt == (2026, 12, 2, 2, 22, 47, 0, 0) and machine.rtc.sets == 1
    # lines a second apart with the same minute do not move it (no jitter, no RTC writes)
    r.server.push(line(tm=TM + 1))
    r.run(1000)
    assert w.sets == 1 and machine.rtc.sets == 1
    # the server is gone: 13 minutes later the board's ticks have moved it to midnight
    r.server.up = False
    r.server.conn.peer_closed = True
    r.run(13 * 60 * 1000)
    assert w.sec < 60 and w.day == (TM + 3600) // 86400 + 1
    assert r.app.screen == ids.SYS_CLOCK
    assert glass.find(bytes(r.frame), "00:00", font_big)
    assert glass.find(bytes(r.frame), "THU 3 DEC 2026", font_medium)
    # a PC whose clock was changed: a tm 2 s or more away moves the board's at once
    machine.reset_all()


def test_signal_lost_then_clock_after_clock_after_seconds(tmp_path):
    r = rig(tmp_path, clock_after=7)
    r.up(line())
    r.run(2000, feed_every=1000, line=line(tm=TM + 1))
    r.server.up = False
    r.server.conn.peer_closed = True
    t_last = r.link.t_line

    def until(ms):  # run until ``ms`` after the last line
        r.run(ms - (r.now - t_last))

    until(A.LOST_MS + 100)
    assert r.app.screen == ids.SYS_LOST
    until(A.LOST_MS + 7000 - 100)
    assert r.app.screen == ids.SYS_LOST
    until(A.LOST_MS + 7000 + 10 + desk.EVAL_MS)  # the desk looks every EVAL_MS
    assert r.app.screen == ids.SYS_CLOCK
    frame = bytes(r.frame)
    assert glass.find(frame, "23:47", font_big) == [(29, 11)]
    assert glass.find(frame, "NO SERVER", font_small) == [(1, 0)]
    inverse = bytes(b ^ 0xFF for b in frame)  # the OLD tag: dark letters on a lit box
    assert glass.find(inverse, "OLD", font_small)  # the weather is the last one, marked
    assert glass.find(frame, "Light snow", font_small)
    # the server is back: live on its first line
    r.server.up = True
    conns = r.link.connects
    while r.link.connects == conns:
        r.run(100)
    r.server.push(line(tm=TM + 40))
    r.run(50)
    assert r.app.screen == ids.HUB


def test_clock_without_tm_shows_dashes(tmp_path):
    r = rig(tmp_path)
    r.up(b'{"pv":2,"ct":40}\n')
    r.server.up = False
    r.server.conn.peer_closed = True
    r.run(A.LOST_MS + 10_500)
    assert r.app.screen == ids.SYS_CLOCK
    assert glass.find(bytes(r.frame), "--:--", font_big)
    inverse = bytes(b ^ 0xFF for b in r.frame)
    assert not glass.find(inverse, "OLD", font_small)  # and no weather to mark


def test_the_original_server_without_tm_keeps_the_board_working(tmp_path):
    """Lines without tm (the original server): no time, nothing refused."""
    st = State()
    assert st.feed(b'{"ct":40,"alert":"","target_screen":""}')
    assert st.bad == 0


GOOD = {"pv": 2, "ct": 40, "tm": TM, "tz": 60}
HOSTILE = [
    {"tm": "1796251620"},
    {"tm": 1796251620.5},
    {"tm": True},
    {"tm": -1},
    {"tm": 0},
    {"tm": 10**30},
    {"tm": 4102444800},
    {"tz": 60.0},
    {"tz": 1081},
    {"tz": -100000},
    {"tz": False},
    {"uid": -1},
    {"uid": "12"},
    {"uid": 1e300},
    {"uid": float("nan")},
    {"pwr": 1},
    {"pwr": ["sleep"]},
    {"idm": [60]},
    {"idm": [60, "x"]},
    {"idm": {"d": 1}},
    {"idm": [60, -5]},
    {"ngt": [1380, 420]},
    {"ngt": {"s": 1440, "e": 420, "m": "dim"}},
    {"ngt": {"s": 1380, "e": 420.0, "m": "dim"}},
    {"ngt": {"s": 1380, "e": 420, "m": "disco"}},
    {"ngt": {"s": 1380, "e": 420, "m": ""}},
    {"ngt": {"s": 1380, "e": 420}},
]


@pytest.mark.parametrize("bad", HOSTILE, ids=[json.dumps(b) for b in HOSTILE])
def test_hostile_values_refuse_the_whole_line_and_keep_the_last_good(tmp_path, bad):
    r = rig(tmp_path)
    r.up(line())
    w = r.app.desk.wall
    serial = r.app.state.serial
    obj = dict(GOOD, ct=99)
    obj.update(bad)
    text = json.dumps(obj).replace("NaN", "NaN")
    assert not r.app.state.feed(text.encode())
    assert r.app.state.serial == serial and r.app.state.v["ct"] == 40
    assert w.sec == 23 * 3600 + 47 * 60 and w.tz == 60


def test_a_huge_tm_in_the_json_is_refused_not_raised(tmp_path):
    st = rig(tmp_path).app.state  # the App's State: the desk's keys are one of its parts
    assert not st.feed(b'{"pv":2,"tm":' + b"9" * 5000 + b"}")
    assert not st.feed(b'{"pv":2,"tm":-' + b"9" * 300 + b"}")
    assert st.bad == 2


def test_a_changed_pc_clock_moves_the_board_clock(tmp_path):
    r = rig(tmp_path)
    r.up(line())
    w = r.app.desk.wall
    r.server.push(line(tm=TM + 3600))  # the PC's clock jumped (or a DST change via tz)
    r.run(20)
    assert w.sec == 23 * 3600 + 47 * 60 + 3600 - 86400 and w.day == TM // 86400 + 1
    r.server.push(line(tm=TM + 3600, tz=0))  # tz alone changes the local time
    r.run(20)
    assert w.sec == 23 * 3600 + 47 * 60 and w.tz == 0


def test_clock_is_named_clock_for_the_emulators_status_line():
    assert ids.SYS_NAMES[ids.SYS_CLOCK] == "CLOCK"
    assert ids.SYS_CLOCK >= 100 and ids.SYS_CLOCK not in range(ids.COUNT)


def test_hostile_values_are_refused_in_micropython_too():
    """The same checks on the 32-bit port, where tm is a big integer: every hostile line is
    refused by the desk's check (or by MicroPython's json), the good one passes, nothing
    raises."""
    from mp import firmware_files, run_micropython

    lines = [json.dumps(dict(GOOD, **bad)) for bad in HOSTILE] + [json.dumps(GOOD)]
    files = firmware_files()
    files["lines.json"] = json.dumps(lines)
    out = run_micropython(
        "import json\n"
        "from nocturne_fw import desk\n"
        "for ln in json.loads(open('lines.json').read()):\n"
        "    try:\n"
        "        obj = json.loads(ln)\n"
        "    except ValueError:\n"
        "        print('json')\n"
        "        continue\n"
        "    print(desk.valid(obj))\n",
        files,
    )
    rows = out.split()
    assert rows[-1] == "True" and len(rows) == len(lines)
    assert all(r in ("False", "json") for r in rows[:-1]), rows
