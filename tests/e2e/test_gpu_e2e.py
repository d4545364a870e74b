"""A real server reading a fixture machine's sysfs ($NOCTURNE_SYS_ROOT), no LHM answering,
and an emulated board whose GPU scene shows the fixture's values."""

from __future__ import annotations

import shutil
from pathlib import Path

from nocturne_fw import clock
from nocturne_fw import font_big as FB
from nocturne_fw import font_small as FS

from nocturne.devtools.lhm_replay import LhmReplay
from nocturne.sources.gpu.sysfs import ROOT_ENV
from tests.harness.rig import ServerProcess, free_port, write_config

from ..conftest import CAPTURE_0_9_6
from .conftest import POLL, Rig

SYSFS = Path(__file__).resolve().parents[1] / "fixtures" / "sysfs"
RX7900 = "amd-rx7900xt_desktop"


async def test_the_gpu_scene_shows_an_rx_7900_read_from_sysfs(tmp_path, monkeypatch):
    clock.set_source(None)  # the real clock, as the rig fixture sets it
    root = tmp_path / "root"
    shutil.copytree(SYSFS / RX7900, root, symlinks=True)
    monkeypatch.setenv(ROOT_ENV, str(root))
    nobody = f"http://127.0.0.1:{free_port()}/data.json"  # LHM does not answer
    port = free_port()
    server = ServerProcess(write_config(tmp_path, port, nobody, poll_interval=POLL))
    await server.start()
    rig = Rig(tmp_path, LhmReplay(CAPTURE_0_9_6.read_bytes()), server, port)
    try:
        await server.wait_for_log("GPU shown: Radeon RX 7900 XT/7900 XTX (0000:03:00.0")
        dev = rig.device()
        await rig.until(lambda: dev.screen_name() == "HUB" and dev.app.state.serial, 10, "HUB")
        await rig.goto(dev, "GPU")
        txt = dev.app.state.txt
        want = {"gt": "37", "gh": "39", "gl": "2", "gv": "0", "vu": "1.2", "vt": "20.0", "gf": "0"}
        assert {k: txt[k] for k in want} == want
        assert dev.find_text("37\u00b0", FB) and dev.find_text("1.2/20.0", FS)

        busy = root / "sys/class/drm/card1/device/gpu_busy_percent"
        busy.write_text("87\n")
        await rig.until(lambda: dev.app.state.txt["gl"] == "87", 6 * POLL, "gl 87")
        await rig.run(0.2)
        assert dev.find_text("87", FS)
    finally:
        rig.emu.close()
        code = await server.stop()
    log = server.log()
    assert "Traceback" not in log, log
    assert code in (0, None, -9), log
