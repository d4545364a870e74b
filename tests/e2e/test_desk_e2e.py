"""At night and when the PC sleeps, end to end: a real ``nocturne --console`` (LHM replay,
logind stand-in on a private system bus) and an emulated board running the unchanged
firmware over real TCP on loopback.

- the server dies: SIGNAL LOST, then CLOCK after the board's clock_after, showing the time
  the server last sent advanced by the board's own ticks;
- PrepareForSleep(true): the board shows CLOCK and dims while the link is still up; the PC
  then freezes (SIGSTOP) and the link goes, CLOCK stays; PrepareForSleep(false) after
  SIGCONT: live within 2 s of the next line, full contrast;
- the user idles (logind IdleSinceHint): dim, blank; input: full contrast;
- the night schedule from config.json, on the board's injected clock with the PC gone;
- pixel shift over 24 hours of the board's injected clock on the real panel path.
"""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

import pytest

from nocturne.devtools.lhm_replay import LhmReplay
from nocturne.emulator.device import Device
from nocturne.emulator.firmware_loader import install_paths
from nocturne.emulator.realtime import Emulator
from tests.harness.rig import ServerProcess, free_port, write_config

from ..conftest import CAPTURE_0_9_6
from ..host.fakes.logind import Logind, system_bus  # noqa: F401  (a fixture)

install_paths()

from nocturne_fw import app as A  # noqa: E402
from nocturne_fw import clock, desk, font_big, font_small, scenes  # noqa: E402
from nocturne_fw import net as N  # noqa: E402

POLL = 0.5
DIM = 255 >> 3


class DeskRig:
    def __init__(self, tmp_path: Path, bus: str, logind: Logind, replay: LhmReplay) -> None:
        self.tmp_path = tmp_path
        self.bus = bus
        self.logind = logind
        self.replay = replay
        self.port = free_port()
        self.server: ServerProcess | None = None
        self.emu = Emulator()
        self.dev: Device | None = None

    async def start_server(self, **keys) -> None:
        os.environ["DBUS_SYSTEM_BUS_ADDRESS"] = self.bus  # the child's logind and idle
        cfg = write_config(self.tmp_path, self.port, self.replay.url, poll_interval=POLL, **keys)
        self.server = ServerProcess(cfg)
        await self.server.start()

    def board(self, **settings) -> Device:
        fs = self.tmp_path / "board"
        fs.mkdir(exist_ok=True)
        (fs / "settings.json").write_text(json.dumps({"carousel": False, **settings}))
        self.dev = self.emu.add(Device("127.0.0.1", self.port, fs_dir=fs, name="desk"))
        return self.dev

    async def until(self, cond, timeout: float, what: str, every=None) -> None:
        def check() -> bool:
            if every is not None:
                every()
            return cond()

        if not await self.emu.arun(timeout, until=check):
            raise AssertionError(f"not within {timeout} s: {what} ({self.dev.status()})")


@pytest.fixture
async def rig(tmp_path, system_bus, monkeypatch):  # noqa: F811
    monkeypatch.setenv("DBUS_SYSTEM_BUS_ADDRESS", system_bus)
    clock.set_source(None)
    stand_in = await Logind(system_bus).start()
    replay = LhmReplay(CAPTURE_0_9_6.read_bytes())
    await replay.start()
    r = DeskRig(tmp_path, system_bus, stand_in, replay)
    try:
        yield r
    finally:
        clock.set_source(None)
        r.emu.close()
        if r.server is not None:
            if r.server.proc is not None and r.server.proc.returncode is None:
                os.kill(r.server.proc.pid, signal.SIGCONT)
            await r.server.stop()
        await replay.stop()
        await stand_in.stop()


def local_hhmm(tm: int, tz: int, plus_s: int) -> str:
    t = (tm + tz * 60 + plus_s) % 86400
    return "%02d:%02d" % (t // 3600, t // 60 % 60)  # noqa: UP031


async def test_server_gone_signal_lost_then_clock_with_the_time_kept_by_the_board(rig):
    await rig.start_server()
    dev = rig.board(clock_after=3)
    await rig.until(lambda: dev.screen_name() == "HUB", 30, "live")
    await rig.until(lambda: dev.app.desk.wall.known, 5, "the time from tm")
    await rig.server.kill()  # a crash: no goodbye
    link = dev.app.link
    await rig.until(lambda: dev.screen_name() == "SIGNAL LOST", 10, "SIGNAL LOST")
    assert A.LOST_MS < link.since_line(dev.app.now) < A.LOST_MS + 200
    await rig.until(lambda: dev.screen_name() == "CLOCK", 6, "CLOCK")
    # CLOCK came clock_after (3 s) after SIGNAL LOST, by the board's own ticks
    since = link.since_line(dev.app.now)
    assert A.LOST_MS + 3000 < since < A.LOST_MS + 3000 + desk.EVAL_MS + 200, since
    # what it shows: the last tm the server sent, moved on by the board's ticks
    d = dev.app.desk
    for _ in range(3):  # read twice around a minute boundary if need be
        since = link.since_line(dev.app.now)
        want = {local_hhmm(d.tm, d.tz, since // 1000 + k) for k in (-1, 0, 1)}
        if any(dev.find_text(t, font_big) for t in want):
            break
        await rig.emu.arun(1.2)
    else:
        raise AssertionError(f"CLOCK shows none of {want}")
    assert dev.find_text("NO SERVER", font_small) and dev.panel.contrast == 255
    assert dev.status(lines=False).startswith("CLOCK  ")  # as `emulate --headless` prints it


async def test_pc_sleep_dims_to_clock_before_the_link_goes_and_wake_is_live_at_once(rig):
    await rig.start_server()
    dev = rig.board()
    await rig.until(lambda: dev.screen_name() == "HUB", 30, "live")
    link = dev.app.link
    rig.logind.manager.PrepareForSleep(True)
    await rig.until(lambda: dev.screen_name() == "CLOCK", 3, "CLOCK on pwr")
    assert link.state == N.S_UP and not dev.app.lost()  # before the link drops
    assert dev.find_text("PC ASLEEP", font_small)
    seen = []
    await rig.until(
        lambda: dev.panel.contrast == DIM, 3, "dimmed", lambda: seen.append(dev.panel.contrast)
    )
    assert len(set(seen)) > 5  # faded, not a jump
    # the PC sleeps: the server freezes with its sockets open; the board's link goes
    os.kill(rig.server.proc.pid, signal.SIGSTOP)
    shown = set()
    await rig.until(
        lambda: link.error == "SILENT" or link.connects > 1,
        N.SILENCE_MS / 1000 + 5,
        "the link given up",
        lambda: shown.add(dev.screen_name()),
    )
    await rig.emu.arun(3, until=lambda: shown.add(dev.screen_name()) and False)
    assert shown == {"CLOCK"}, shown  # never SIGNAL LOST: the PC said it sleeps
    # it wakes
    lines = link.lines
    t_line = []
    os.kill(rig.server.proc.pid, signal.SIGCONT)
    rig.logind.manager.PrepareForSleep(False)

    def note():
        if link.lines > lines and not t_line:
            t_line.append(dev.app.now)

    await rig.until(lambda: dev.screen_name() == "HUB", 30, "live after the wake", note)
    assert t_line and clock.ticks_diff(dev.app.now, t_line[0]) <= 2000
    await rig.until(lambda: dev.panel.contrast == 255, 2, "full contrast")


async def test_idle_dims_then_blanks_and_input_brings_full_contrast(rig):
    session = rig.logind.session
    session.idle_hint, session.idle_since_us = False, int(time.time() * 1e6)
    await rig.start_server(idle_dim_minutes=1, idle_blank_minutes=2)
    dev = rig.board()
    await rig.until(lambda: dev.screen_name() == "HUB", 30, "live")
    d = dev.app.desk
    s = dev.app.settings
    await rig.until(lambda: d.uid == 0 and (s.idle_dim, s.idle_blank) == (60, 120), 5, "idm")
    assert dev.panel.contrast == 255
    session.idle_hint, session.idle_since_us = True, int((time.time() - 61) * 1e6)
    await rig.until(lambda: dev.panel.contrast == DIM, 5, "dim after 60 s idle")
    assert dev.panel.lit and dev.screen_name() == "HUB"
    session.idle_since_us = int((time.time() - 121) * 1e6)
    await rig.until(lambda: not dev.panel.lit, 5, "blank after 120 s idle")
    session.idle_hint = False  # a key press on the PC
    await rig.until(lambda: dev.panel.lit and dev.panel.contrast == 255, 5, "full again")


async def test_night_schedule_on_the_boards_injected_clock(rig):
    """The night (from config.json, 1 h from now, mode off) comes on the first line and is
    stored; the PC goes away; the board's own clock, injected, walks into the night: panel
    off; and out of it: on."""
    now = time.localtime()
    start = (now.tm_hour * 60 + now.tm_min + 60) % 1440
    end = (start + 60) % 1440
    hhmm = "%02d:%02d"
    night = {"start": hhmm % divmod(start, 60), "end": hhmm % divmod(end, 60), "mode": "off"}
    await rig.start_server(night=night)
    dev = rig.board(clock_after=1)
    await rig.until(lambda: dev.screen_name() == "HUB", 30, "live")
    stored = json.loads((rig.tmp_path / "board" / "settings.json").read_text())
    assert (stored["night_s"], stored["night_e"], stored["night_m"]) == (start, end, 3)
    await rig.server.kill()
    await rig.until(lambda: dev.screen_name() == "CLOCK", 12, "CLOCK")
    clk = clock.ManualClock(clock.ticks_ms())
    clock.set_source(clk)
    states = []
    for _ in range(2 * 3600 // 10):  # two hours of the board's clock, 10 s a tick
        clk.advance(10_000)
        rig.emu.tick_all()
        states.append((dev.app.desk.wall.minute_of_day(), dev.panel.lit))
    dark = [m for m, lit in states if not lit]
    assert dark, "the panel never went off"
    assert min(dark) == start and max(dark) == (end - 1) % 1440
    assert states[-1][1]  # after the night: on again


def shifted(frame: bytes, dx: int, dy: int) -> bytes:
    import framebuf

    out = bytearray(1024)
    src = framebuf.FrameBuffer(bytearray(frame), 128, 64, framebuf.MONO_VLSB)
    framebuf.FrameBuffer(out, 128, 64, framebuf.MONO_VLSB).blit(src, dx, dy)
    return bytes(out)


async def test_pixel_shift_over_24_hours_never_leaves_the_panel(rig):
    await rig.start_server()
    dev = rig.board(clock_after=1)
    await rig.until(lambda: dev.screen_name() == "HUB", 30, "live")
    await rig.server.kill()
    await rig.until(lambda: dev.screen_name() == "CLOCK", 12, "CLOCK")
    import framebuf

    clk = clock.ManualClock(clock.ticks_ms())
    clock.set_source(clk)
    ref = scenes.Renderer()
    scratch = bytearray(1024)
    sfb = framebuf.FrameBuffer(scratch, 128, 64, framebuf.MONO_VLSB)
    seen = {}
    d = dev.app.desk
    for _ in range(24 * 30):  # 24 hours, 2 minutes a step
        clk.advance(120_000)
        rig.emu.tick_all()
        ref.draw(sfb, dev.app.screen, dev.app)
        assert dev.panel.framebuffer() == shifted(scratch, d.dx, d.dy), (d.dx, d.dy)
        seen[(d.dx, d.dy)] = seen.get((d.dx, d.dy), 0) + 1
    assert set(seen) == set(desk.ORBIT)
    assert dev.screen_name() == "CLOCK" and dev.panel.start_line == 0 and dev.panel.offset == 0
