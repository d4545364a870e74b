"""CLOCK under real MicroPython (the unix port, ``nocturne emulate --runtime micropython``'s
MpDevice) against the real server: the server dies, SIGNAL LOST, then CLOCK with the time
the server last sent kept by the board; back to live on the next line. Read off the glass.
"""

from __future__ import annotations

import json
import time

import pytest
from nocturne_fw import font_big as FB

from nocturne.emulator.mp_runtime import MpDevice, micropython_command
from nocturne.emulator.secrets_file import make_secrets

from .conftest import Rig

HEAP = 256 * 1024  # the 64-bit port (objects twice a board's size), as test_micropython_runtime


@pytest.fixture(autouse=True)
def _runtime() -> None:
    micropython_command()  # a missing unix port is a failure naming the fix, not a skip


def hhmm(unix: float) -> str:
    t = time.localtime(unix)  # the server's tm and tz are this machine's
    return f"{t.tm_hour:02d}:{t.tm_min:02d}"


async def test_clock_after_the_server_goes_under_micropython(rig: Rig) -> None:
    fs = rig.tmp_path / "mpboard"
    fs.mkdir()
    (fs / "settings.json").write_text(json.dumps({"carousel": False, "clock_after": 2}))
    dev = rig.emu.add(
        MpDevice(
            "127.0.0.1",
            rig.port,
            secrets=make_secrets("127.0.0.1", rig.port),
            fs_dir=fs,
            heap=HEAP,
        )
    )
    await rig.until(lambda: dev.screen_name() == "HUB", 40, "live under MicroPython")
    await rig.server.kill()
    gone = time.time()
    await rig.until(lambda: dev.screen_name() == "SIGNAL LOST", 10, "SIGNAL LOST")
    await rig.until(lambda: dev.screen_name() == "CLOCK", 6, "CLOCK")
    # the time the server last sent (about `gone`), moved on by the board: this machine's
    # local time now, give or take the second around a minute boundary
    shown = {hhmm(time.time() + k) for k in (-2, 0, 2)}
    assert any(dev.find_text(t, FB) for t in shown), (shown, dev.status())
    assert time.time() - gone < 30
    await rig.server.start()
    await rig.until(lambda: dev.screen_name() == "HUB", 40, "live again")
