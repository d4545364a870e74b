"""The tick loop's timing rules, driven by a ManualClock: no sleeping."""

import json
from itertools import pairwise

import framebuf
import pytest
from fakes import Rig
from nocturne_fw import app as A
from nocturne_fw import input as B
from nocturne_fw import net as N
from nocturne_fw import scene_ids as ids
from nocturne_fw import scenes, text

LINE = b'{"ct":40,"cl":10,"gl":5,"nd":100,"nu":10,"alert":"","target_screen":""}\n'
CPU_ALERT = b'{"ct":97,"alert":"CRITICAL","target_screen":"CPU"}\n'
GPU_ALERT = b'{"gt":95,"alert":"CRITICAL","target_screen":"GPU"}\n'


def sent(rig):
    return bytes(rig.server.conn.sent).decode()


def test_boot_then_connecting_then_scene(tmp_path):
    r = Rig(tmp_path)
    r.run(100)
    assert r.app.screen == ids.SYS_BOOT
    r.run(A.BOOT_MS)
    assert r.app.screen == ids.SYS_CONNECT  # linked, but no line yet
    assert sent(r) == "HELO\nscreen:0\n"
    r.server.push(LINE)
    r.run(20)
    assert r.app.screen == 0
    assert r.app.state.txt["ct"] == "40"


def test_no_wifi_screen_when_join_fails(tmp_path):
    r = Rig(tmp_path)
    r.wlan.ap_up = False
    r.run(A.BOOT_MS + N.JOIN_TIMEOUT_MS + 100)
    assert r.app.screen == ids.SYS_NO_WIFI
    assert r.link.error == "NO WIFI"
    r.wlan.ap_up = True
    r.run(N.BACKOFF_MIN_MS + 100)
    assert r.app.screen == ids.SYS_CONNECT and r.link.state == N.S_UP


def test_missing_secrets_screen(tmp_path):
    r = Rig(tmp_path, net_on=False, secrets_ok=False)
    r.run(A.BOOT_MS + 100)
    assert r.app.screen == ids.SYS_SECRETS


def test_short_press_next_scene_and_report(tmp_path):
    r = Rig(tmp_path, carousel=False)
    r.up()
    r.press(100)
    assert r.app.scene == 1
    assert sent(r).endswith("screen:1\n")
    for _ in range(ids.CUSTOM_1 - 1):  # no custom scene defined: PCS is the last
        r.press(100)
    assert r.app.scene == ids.HUB  # the carousel wraps


def test_carousel_interval_and_pause_in_menu(tmp_path):
    r = Rig(tmp_path, carousel=True, interval=5)
    r.up()
    t0 = r.app.t_scene
    r.run(5000 - (r.now - t0) - 20, feed_every=1000, line=LINE)
    assert r.app.scene == 0
    r.run(40, feed_every=1000, line=LINE)
    assert r.app.scene == 1
    assert r.app.glitch or r.app.t_glitch == r.app.t_scene
    # a manual press restarts the interval
    r.run(3000, feed_every=1000, line=LINE)
    r.press(100)
    assert r.app.scene == 2
    r.run(4500, feed_every=1000, line=LINE)
    assert r.app.scene == 2
    r.run(600, feed_every=1000, line=LINE)
    assert r.app.scene == 3
    # menu open: carousel waits
    r.press(900)
    assert r.app.screen == ids.SYS_MENU
    r.run(12000, feed_every=1000, line=LINE)
    assert r.app.scene == 3


def test_menu_long_press_select_and_timeout(tmp_path):
    r = Rig(tmp_path, carousel=True, interval=10)
    r.up()
    r.press(900)  # long: open
    assert r.app.menu.open and r.app.screen == ids.SYS_MENU
    r.press(900)  # long: toggle carousel (item 0)
    assert r.settings.carousel is False
    r.press(100)  # short: next item = interval
    r.press(900)
    assert r.settings.interval == 15
    for _ in range(A.mnu.I_EXIT - A.mnu.I_INTERVAL):
        r.press(100)  # to EXIT
    r.press(900)
    assert not r.app.menu.open
    # saved on exit
    data = json.loads((tmp_path / "settings.json").read_text())
    assert data["carousel"] is False and data["interval"] == 15
    # menu closes itself after TIMEOUT_MS
    r.press(900)
    assert r.app.menu.open
    r.run(A.mnu.TIMEOUT_MS + 100, feed_every=1000, line=LINE)
    assert not r.app.menu.open


def test_contrast_and_flip_applied(tmp_path):
    r = Rig(tmp_path, carousel=False)
    r.up()
    assert r.oled.contrast_v == 255 and r.oled.rotated is False
    r.press(900)
    r.app.menu.sel = A.mnu.I_CONTRAST
    r.press(900)
    assert r.oled.contrast_v == 16
    r.app.menu.sel = A.mnu.I_FLIP
    r.press(900)
    assert r.oled.rotated is True


def test_predator_mode_and_wake(tmp_path):
    r = Rig(tmp_path, carousel=False)
    r.up()
    r.press(900)
    r.app.menu.sel = A.mnu.I_SCREEN_OFF
    r.press(900)
    assert r.app.off and not r.oled.on and r.app.screen == ids.SYS_OFF
    shows = r.oled.shows
    r.leds.clear()
    r.run(4000, feed_every=1000, line=LINE)
    assert r.oled.shows == shows  # nothing drawn while off
    assert max(r.leds) >= 250 and min(r.leds) <= 5  # one full breath
    scene = r.app.scene
    r.press(1500)  # wakes; the press (even long) does nothing else
    assert not r.app.off and r.oled.on
    assert r.app.scene == scene and not r.app.menu.open
    assert r.leds[-1] == 0


def test_alert_jumps_once_flashes_and_user_can_leave(tmp_path):
    r = Rig(tmp_path, carousel=True, interval=5)
    r.up(LINE)
    r.app.set_scene(7)
    r.server.push(CPU_ALERT)
    r.run(20)
    assert r.app.scene == ids.CPU  # jumped
    assert r.oled.inverted == 1 and r.leds[-1] == 255
    # invert toggles every 500 ms while the alert lasts
    r.oled.inverts.clear()
    r.run(2000, feed_every=1000, line=CPU_ALERT)
    times = [t for t, v in r.oled.inverts]
    assert len(times) == 4 and all(b - a == 500 for a, b in pairwise(times))
    # carousel paused during the alert
    r.run(6000, feed_every=1000, line=CPU_ALERT)
    assert r.app.scene == 1
    # the user moves away: no jump back while the alert lasts
    r.press(100)
    assert r.app.scene == 2
    r.run(3000, feed_every=1000, line=CPU_ALERT)
    assert r.app.scene == 2
    # alert clears: flashing stops
    r.run(1000, feed_every=1000, line=LINE)
    assert r.oled.inverted == 0 and r.leds[-1] == 0
    # it comes back, on the GPU: jump again
    r.server.push(GPU_ALERT)
    r.run(20)
    assert r.app.scene == ids.GPU


def test_alert_led_disabled(tmp_path):
    r = Rig(tmp_path, led=False)
    r.up(LINE)
    r.leds.clear()
    r.run(2000, feed_every=1000, line=CPU_ALERT)
    assert r.oled.inverts and not any(r.leds)


def test_alert_wakes_screen_off(tmp_path):
    r = Rig(tmp_path)
    r.up(LINE)
    r.app.sleep()
    r.run(500, feed_every=1000, line=LINE)
    assert r.app.off
    r.server.push(GPU_ALERT)
    r.run(20)
    assert not r.app.off and r.app.scene == ids.GPU


def test_signal_lost_after_5s_then_back(tmp_path):
    r = Rig(tmp_path)
    r.up(LINE)
    assert r.app.screen == 0
    r.run(A.LOST_MS - 30)
    assert r.app.screen == 0
    r.run(60)
    assert r.app.screen == ids.SYS_LOST
    r.server.push(LINE)
    r.run(20)
    assert r.app.screen == 0


def test_signal_lost_stops_alert_flash(tmp_path):
    r = Rig(tmp_path)
    r.up(CPU_ALERT)
    r.run(A.LOST_MS + 100)
    assert r.app.screen == ids.SYS_LOST and r.oled.inverted == 0


def test_server_restart_reconnects_with_backoff(tmp_path):
    r = Rig(tmp_path, clock_after=3600)  # SIGNAL LOST stays (not CLOCK: test_clock_screen)
    r.up(LINE)
    first = r.server.conn
    r.server.up = False
    first.peer_closed = True
    r.run(20)
    assert r.link.state == N.S_WAIT and first.closed and r.link.fails == 1
    # refused attempts back off 1 s, 2 s, 4 s, 8 s
    starts = []
    fails = r.link.fails
    for _ in range(20000 // 10):
        r.run(10)
        if r.link.fails != fails:
            fails = r.link.fails
            starts.append(r.now)
    gaps = [b - a for a, b in pairwise(starts)]
    assert gaps[:3] == [2000, 4000, 8000]
    assert r.app.screen == ids.SYS_LOST
    # the server comes back: within the capped backoff the device is back
    r.server.up = True
    r.run(N.BACKOFF_MAX_MS + 100)
    assert r.link.state == N.S_UP and r.server.conn is not first
    assert sent(r) == "HELO\nscreen:0\n"
    r.server.push(LINE)
    r.run(20)
    assert r.app.screen == 0 and r.link.fails == 0


def test_half_open_socket_detected_by_silence(tmp_path):
    r = Rig(tmp_path)
    r.up(LINE)
    conn = r.server.conn
    r.run(N.SILENCE_MS + 100)  # the socket says nothing: no error, no data
    assert conn.closed and r.link.error == "SILENT"
    r.run(N.BACKOFF_MAX_MS)
    assert r.server.conn is not conn and r.link.state == N.S_UP


def test_wifi_drop_rejoins(tmp_path):
    r = Rig(tmp_path)
    r.up(LINE)
    conn = r.server.conn
    r.wlan.ap_up = False
    r.run(20)
    assert conn.closed and r.link.state in (N.S_IDLE, N.S_JOIN)
    r.run(6000)
    assert r.app.screen == ids.SYS_LOST
    r.wlan.ap_up = True
    r.run(N.JOIN_TIMEOUT_MS + N.BACKOFF_MAX_MS)
    assert r.link.state == N.S_UP
    r.server.push(LINE)
    r.run(20)
    assert r.app.screen == 0


def test_draws_only_when_needed(tmp_path):
    r = Rig(tmp_path, carousel=False)
    r.up(LINE)
    shows = r.oled.shows
    r.run(3000, feed_every=1000, line=LINE)
    # one frame per new line (the periodic FRAME_MS redraw coincides)
    assert r.oled.shows - shows <= 4


@pytest.mark.parametrize("press", [B.LONG_MS - 100, B.LONG_MS + 100])
def test_press_kinds_from_app(tmp_path, press):
    r = Rig(tmp_path, carousel=False)
    r.up(LINE)
    r.press(press)
    if press < B.LONG_MS:
        assert r.app.scene == 1 and not r.app.menu.open
    else:
        assert r.app.scene == 0 and r.app.menu.open


def test_carousel_skips_scenes_without_data(tmp_path):
    r = Rig(tmp_path, carousel=True, interval=5)
    line = b'{"ct":40,"cl":10,"ru":3.0,"ra":8.0,"nd":1,"nu":1}\n'  # no GPU, weather, media...
    r.up(line)
    seen = []
    for _ in range(13):
        r.run(5000, feed_every=1000, line=line)
        seen.append(r.app.scene)
    assert set(seen) == {
        ids.HUB,
        ids.CPU,
        ids.CPU_LOAD,
        ids.RAM,
        ids.NET,
        ids.NET_GRAPH,
        ids.PROCESSES,  # always: showing it is what makes the server scan
    }
    # a press still shows a scene without data
    r.app.set_scene(ids.CPU_LOAD)
    r.press(100)
    assert r.app.scene == ids.GPU


def test_processes_in_the_carousel_scanning_then_names(tmp_path, monkeypatch):
    """The server sends tp only while the board reports CPU, RAM or PROCESSES (its scan
    is demand-driven): the carousel still comes to PROCESSES, which reads SCANNING until
    a line with tp arrives and then draws the names."""
    drawn = []
    draw = text.draw

    def spy(fb, s, *a, **k):
        drawn.append(s)
        return draw(fb, s, *a, **k)

    monkeypatch.setattr(text, "draw", spy)
    fb = framebuf.FrameBuffer(bytearray(1024), 128, 64, framebuf.MONO_VLSB)
    r = Rig(tmp_path, renderer=scenes.Renderer(), fb=fb, carousel=True, interval=5)
    base = {"ct": 40, "cl": 10, "ru": 3.0, "ra": 8.0, "nd": 1, "nu": 1}
    tp = [{"n": "blender", "c": 88.5}, {"n": "python3", "c": 12.0}]

    def line():  # as our server: tp while the board's last screen:N is a process scene
        shown = int(sent(r).rsplit("screen:", 1)[1].split()[0])
        return json.dumps(dict(base, tp=tp) if shown in ids.WITH_PROCESSES else base) + "\n"

    r.up((json.dumps(base) + "\n").encode())
    frames = []  # (scene, strings drawn) per second
    for _ in range(70):
        del drawn[:]
        r.run(1000, feed_every=1000, line=line)
        frames.append((r.app.scene, list(drawn)))
    on = [d for n, d in frames if n == ids.PROCESSES]
    assert on, [n for n, _ in frames]
    assert "SCANNING" in on[0] and "blender" not in on[0]
    assert "blender" in on[-1] and "python3" in on[-1] and "SCANNING" not in on[-1]
    assert "screen:10\n" in sent(r)


def test_a_failing_tick_does_not_stop_the_loop(tmp_path, monkeypatch):
    r = Rig(tmp_path)
    calls = []

    def boom():
        calls.append(1)
        if len(calls) < 5:
            raise ValueError("bad frame")
        raise SystemExit  # leave run()

    monkeypatch.setattr(r.app, "tick", boom)
    with pytest.raises(SystemExit):
        r.app.run()
    assert len(calls) == 5


def test_a_connect_that_brings_no_data_stays_signal_lost(tmp_path):
    """A frozen server: the link times out (SILENT), reconnects, and no line comes. The
    screen stays SIGNAL LOST and "no data for" keeps counting from the last line."""
    r = Rig(tmp_path, carousel=False, clock_after=3600)  # SIGNAL LOST, not CLOCK
    r.up(LINE)
    t_last = r.now
    r.run(N.SILENCE_MS + 100)
    assert r.link.error == "SILENT" and r.link.state == N.S_WAIT
    connects = r.link.connects
    r.run(N.BACKOFF_MIN_MS + 100)
    assert r.link.connects == connects + 1 and r.link.state == N.S_UP
    for _ in range(10):  # the next seconds, on the new connection
        assert r.app.screen == ids.SYS_LOST
        assert r.link.since_line(r.now) >= r.now - t_last - A.TICK_MS
        r.run(1000)
    # the silence check still counts from the connect: the link is not failed at once
    assert r.link.state == N.S_UP and r.link.connects == connects + 1


def test_link_error_text_is_cleared_once_the_link_recovers(tmp_path):
    r = Rig(tmp_path, carousel=False)
    r.server.up = False
    r.run(A.BOOT_MS + 100)
    assert r.link.error == "NO SERVER" and r.link.state == N.S_WAIT
    r.server.up = True
    for _ in range(N.BACKOFF_MAX_MS // A.TICK_MS):
        r.run(A.TICK_MS)
        if r.link.state == N.S_UP:
            break
    assert r.link.state == N.S_UP and r.link.error == ""
    r.server.push(LINE)
    r.run(20)
    # lost with an old error: a line clears it too
    r.link.error = "SILENT"
    r.server.push(LINE)
    r.run(20)
    assert r.link.error == ""
