"""The real firmware against the real server: LHM replay → `nocturne --console` → emulated
boards, asserting on what the glass shows (text found in the decoded pixels with the
firmware's own fonts) and on the device state."""

from __future__ import annotations

import asyncio

import psutil
from nocturne_fw import font_big as FB
from nocturne_fw import font_medium as FM
from nocturne_fw import font_small as FS
from nocturne_fw import scene_ids as ids
from nocturne_fw.state import DASH, fmt_dec, fmt_int

from .conftest import POLL, Rig, read_server_lines


def shows(dev, value: str, font) -> bool:
    return dev.find_text(value, font)


def truth(line: dict, key: str) -> str:
    """How the firmware formats the server's value for ``key``."""
    v = line[key]
    return fmt_dec(v) if key in ("ru", "ra", "vu", "vt") else fmt_int(v)


async def test_hub_cpu_gpu_ram_show_the_capture_values(rig: Rig):
    line = (await read_server_lines(rig.port, 1))[0]
    hw = rig.capture.reading.hardware
    # the LHM-only keys are the capture's own values
    assert line["ct"] == round(hw.cpu_temp) == 54 and line["gt"] == 44 and line["gh"] == 52
    dev = rig.device()
    await rig.until(lambda: dev.screen_name() == "HUB" and dev.app.state.serial, 10, "HUB")
    t = {k: truth(line, k) for k in ("ct", "gt", "gl", "gh", "pw", "cf", "ru", "ra", "vu", "vt")}
    assert all(dev.app.state.txt[k] == v for k, v in t.items()), (dev.app.state.txt, t)

    assert shows(dev, "HUB", FS)
    assert shows(dev, t["ct"], FM) and shows(dev, t["gt"], FM) and shows(dev, t["ru"], FM)
    assert shows(dev, t["ra"], FS) and shows(dev, t["gl"], FS)
    assert not shows(dev, "SIGNAL LOST", FM)

    await rig.goto(dev, "CPU")
    assert shows(dev, "CPU", FS) and shows(dev, t["ct"] + "\u00b0", FB)
    assert shows(dev, t["pw"], FS) and shows(dev, t["cf"], FS)

    await rig.goto(dev, "GPU")
    assert shows(dev, t["gt"] + "\u00b0", FB) and shows(dev, t["gh"], FS)
    assert shows(dev, t["vu"] + "/" + t["vt"], FS) and shows(dev, t["gl"], FS)

    await rig.goto(dev, "RAM")
    assert shows(dev, t["ru"], FB) and shows(dev, t["ra"], FS)
    # the glass is exactly what the firmware drew, through its SSD1306 driver and I2C
    assert dev.panel.framebuffer() == bytes(dev.app.oled.buf[1:])
    assert dev.panel.lit and dev.panel.contrast == dev.app.settings.contrast


async def test_a_changed_capture_reaches_the_glass_within_two_polls(rig: Rig):
    dev = rig.device()
    await rig.until(lambda: dev.app.state.txt["ct"] == "54" and dev.screen == ids.HUB, 10, "data")
    for value in (67, 71, 58):
        rig.capture.set("cpu_temp", value)
        rig.publish()
        # How soon is bench_e2e's figure (capture change to glass); here only that it comes
        # (the bound is a hang detector, not a budget: tests never time).
        await rig.until(lambda v=value: dev.app.state.txt["ct"] == str(v), 40 * POLL, f"ct {value}")
        assert shows(dev, str(value), FM)  # drawn in the same tick the line arrived


def _board_sockets(port: int) -> list[object]:
    """This process's TCP sockets to the server's port: the boards' (the LHM replay lives in
    this process too, and the server's keep-alive connections to it come and go)."""
    return [c for c in psutil.Process().net_connections("tcp") if c.raddr and c.raddr.port == port]


async def test_server_killed_and_restarted(rig: Rig):
    dev = rig.device()
    await rig.until(lambda: dev.screen == ids.HUB and dev.app.state.serial, 10, "live data")
    connects = dev.app.link.connects
    await rig.server.kill()
    await rig.until(lambda: dev.screen_name() == "SIGNAL LOST", 8, "signal lost")
    assert shows(dev, "SIGNAL LOST", FM)
    await rig.run(0.5)
    assert dev.screen_name() == "SIGNAL LOST"
    assert len(dev.sockets.open) <= 1  # the dead connection was closed, retries too

    await rig.server.start()
    serial = dev.app.state.serial
    # the firmware's backoff after 4 failed connects is 8 s: the bound it can promise
    took = await rig.until(
        lambda: dev.screen == ids.HUB and dev.app.state.serial > serial, 10, "live data again"
    )
    assert dev.app.link.connects == connects + 1
    assert shows(dev, "54", FM) and not shows(dev, "SIGNAL LOST", FM)
    assert len(dev.sockets.open) == 1, dev.sockets.open  # no leaked sockets
    assert dev.errors == 0
    assert len(_board_sockets(rig.port)) == 1
    dev.close()
    assert _board_sockets(rig.port) == []  # the board's socket really closed
    print(f"back {took:.1f} s after the restart")


async def test_lhm_away_shows_local_values_then_lhm_again(rig: Rig):
    dev = rig.device()
    await rig.until(
        lambda: dev.screen == ids.HUB and dev.app.state.txt["gh"] == "52", 10, "LHM data"
    )
    rig.replay.status = 503
    await rig.wait_log("LibreHardwareMonitor unavailable")
    # The server keeps the last LHM values for 5 s (stale_after), then psutil's: no GPU hot
    # spot, this machine's RAM. Never "signal lost" on the way.
    await rig.until(
        lambda: dev.app.state.txt["gh"] == DASH or dev.screen != ids.HUB,
        5 + 3 * POLL,
        "local values",
    )
    assert dev.screen == ids.HUB
    local = (await read_server_lines(rig.port, 1))[0]
    assert "gh" not in local and local["ra"] > 0
    await rig.run(3 * POLL)
    assert dev.screen == ids.HUB and dev.app.state.txt["ra"] == fmt_dec(local["ra"])
    assert shows(dev, fmt_dec(local["ra"]), FS)
    rig.replay.status = 200
    await rig.wait_log("LibreHardwareMonitor is back")
    await rig.until(lambda: dev.app.state.txt["gh"] == "52", 4 * POLL, "LHM values again")
    assert dev.app.state.txt["ra"] == "31.6" and shows(dev, "31.6", FS)


async def test_ten_devices_one_never_reading(rig: Rig):
    devs = [rig.device() for _ in range(10)]
    stuck = devs[0]
    stuck.stall()  # it connects and says HELO, then never reads a byte
    live = devs[1:]
    await rig.until(
        lambda: all(d.screen == ids.HUB and d.app.state.serial for d in live), 15, "nine"
    )
    assert "(10 connected)" in rig.server.log()  # the stuck one is connected too
    for value in (61, 66, 72):
        rig.capture.set("cpu_temp", value)
        rig.publish()
        # The stuck one delays none of them past a hang detector's bound (how soon is
        # bench_e2e's fan-out figure: tests never time).
        await rig.until(
            lambda v=str(value): all(d.app.state.txt["ct"] == v for d in live), 40 * POLL, "nine"
        )
    assert stuck.app.state.serial == 0 and stuck.app.state.txt["ct"] == DASH
    assert all(shows(d, "72", FM) for d in live[:3])
    assert all(d.errors == 0 for d in devs)


async def test_critical_alert_jumps_flashes_then_lets_the_user_move(rig: Rig):
    dev = rig.device()
    await rig.until(lambda: dev.screen == ids.HUB and dev.app.state.serial, 10, "HUB")
    rig.capture.set("gpu_temp", 91)  # limits.gpu is 80
    rig.publish()
    await rig.until(lambda: dev.screen_name() == "GPU", 4 * POLL, "jump to GPU")
    assert dev.app.state.alert and shows(dev, "CRITICAL", FS)
    seen = set()
    led = set()

    def sample() -> bool:
        seen.add(dev.panel.inverse)
        led.add(dev.led.duty_u16())
        return False

    loop = asyncio.get_running_loop()
    end = loop.time() + 1.6
    while loop.time() < end:  # the panel inverts once a second, the LED blinks with it
        await rig.emu.arun(0.05)
        sample()
    assert seen == {True, False} and 0 in led and 65535 in led
    # the user can still move; the alert does not pull the board back
    await rig.goto(dev, "GPU LOAD")
    await rig.run(1.5)
    assert dev.screen_name() == "GPU LOAD" and dev.app.state.alert
    # the temperature falls below limit - hysteresis: the alert clears, the panel is normal
    rig.capture.set("gpu_temp", 60)
    rig.publish()
    await rig.until(lambda: not dev.app.state.alert and not dev.panel.inverse, 4 * POLL, "clear")
    assert dev.screen_name() == "GPU LOAD"


async def test_wifi_drop_and_garbage_are_survived(rig: Rig):
    dev = rig.device()
    await rig.until(lambda: dev.screen == ids.HUB and dev.app.state.serial, 10, "HUB")
    # garbage from the server: bad lines are dropped, the board keeps its data
    bad = dev.app.state.bad
    dev.inject(b'{"ct": 99, oops\n\xff\xfe\x00\n' + b"z" * 6000 + b"\n[1,2]\n")
    await rig.run(2 * POLL)
    assert dev.app.state.bad >= bad + 2 and dev.app.state.txt["ct"] == "54"
    assert dev.screen == ids.HUB and dev.errors == 0
    # the access point vanishes: signal lost, then back by itself
    dev.set_wifi(False)
    await rig.until(lambda: dev.screen_name() == "SIGNAL LOST", 8, "signal lost")
    assert dev.app.link.error == "WIFI LOST"
    dev.set_wifi(True)
    serial = dev.app.state.serial
    await rig.until(lambda: dev.screen == ids.HUB and dev.app.state.serial > serial, 8, "back")
    # the connection reset under the board: it reconnects
    dev.drop_connection()
    serial = dev.app.state.serial
    await rig.until(lambda: dev.app.state.serial > serial + 1, 8, "reconnected")
    assert dev.app.link.connects == 3 and len(dev.sockets.open) == 1


async def test_a_press_counts_when_the_board_ticks_slower_than_the_finger_holds(rig: Rig):
    # Under load the emulator's ticks come further apart than SHORT_PRESS_MS: the finger
    # must still hold until the firmware has debounced the press (and lift until it has
    # seen the release), or the firmware sees one poll of a press: a bounce.
    dev = rig.device()
    await rig.until(lambda: dev.screen == ids.HUB and dev.app.state.serial, 10, "HUB")
    for presses, want in ((1, "CPU"), (2, "GPU")):  # two queued presses: two moves
        for _ in range(presses):
            dev.press()
        for _ in range(100):  # a hang detector: a press takes a few ticks
            if not dev.busy:
                break
            dev.tick()
            await asyncio.sleep(0.25)  # a tick every 250 ms: slower than the 120 ms hold
        await rig.run(0.05)
        assert dev.screen_name() == want, dev.status()
