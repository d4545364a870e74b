"""Several PCs on one board, end to end (issue 14): three real `nocturne --console` servers,
each replaying another real LHM capture, publish into one real Mosquitto; the first has
``show_pcs`` "*" and an emulated board running the unchanged firmware. A real MQTT client
(Home Assistant's stand-in) sends the board to the PCS scene and sets its contrast; the
board shows all three PCs, one as OFFLINE once its server is killed (its last will), and
turns its panel off and on again when told.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import aiomqtt
import pytest
from nocturne_fw import clock, scene_ids
from nocturne_fw import font_small as FS
from nocturne_fw.pcs import COLS

from nocturne.devtools.lhm_replay import LhmReplay
from nocturne.emulator.device import Device
from nocturne.emulator.realtime import Emulator
from nocturne.sources.lhm.parser import parse_data_json
from tests.harness.rig import ServerProcess, free_port, write_config

from ..conftest import CAPTURE_0_9_6, CAPTURE_OHM_5900X, FIXTURES
from ..host.mqtt.test_mqtt import Broker

LAPTOP = FIXTURES / "lhm" / "intel-i5-8300h_gtx1050ti-laptop_lhm-2020_comma.json"
PCS = {  # node id -> the capture its server replays; the board's rows come sorted by node id
    "pc1_desk": CAPTURE_0_9_6,
    "pc2_tower": CAPTURE_OHM_5900X,
    "pc3_laptop": LAPTOP,
}
SHOWN = ("cpu_load", "cpu_temp", "gpu_load", "gpu_temp", "ram_used")


def expected_row(capture: Path) -> list[int | None]:
    """The row as the board keeps the capture's readings (RAM in tenths of a GB); None where
    the capture has none (the server may fill those from psutil)."""
    hw = parse_data_json(capture.read_bytes()).hardware
    out: list[int | None] = []
    for attr in SHOWN:
        value = getattr(hw, attr)
        if value is None:
            out.append(None)
        elif attr == "ram_used":
            out.append(round(round(value, 1) * 10))
        else:
            out.append(round(value))
    return out


class Pcs:
    def __init__(self, tmp_path: Path) -> None:
        self.tmp_path = tmp_path
        self.broker = Broker(tmp_path)
        self.replays: list[LhmReplay] = []
        self.servers: dict[str, ServerProcess] = {}
        self.emu = Emulator()
        self.port = 0

    async def start(self) -> None:
        self.broker.start()
        for i, (node_id, capture) in enumerate(PCS.items()):
            replay = LhmReplay(capture.read_bytes())
            await replay.start()
            self.replays.append(replay)
            directory = self.tmp_path / node_id
            directory.mkdir()
            port = free_port()
            mqtt = {"host": "127.0.0.1", "port": self.broker.port, "node_id": node_id}
            keys = {"mqtt": {**mqtt, "interval": 1}}
            if i == 0:
                keys["show_pcs"] = "*"
                self.port = port
            server = ServerProcess(write_config(directory, port, replay.url, **keys))
            await server.start()
            self.servers[node_id] = server
        for server in self.servers.values():
            await server.wait_for_log("MQTT: publishing to")

    def board(self) -> Device:
        fs = self.tmp_path / "board"
        fs.mkdir()
        (fs / "settings.json").write_text('{"carousel": false}')
        return self.emu.add(Device("127.0.0.1", self.port, fs_dir=fs, name="board"))

    async def until(self, cond, timeout: float, what: str) -> None:
        if not await self.emu.arun(timeout, until=cond):
            states = "; ".join(f"{d.name}: {d.status()}" for d in self.emu.devices)
            raise AssertionError(f"not within {timeout} s: {what} ({states})")

    async def stop(self) -> None:
        self.emu.close()
        for server in self.servers.values():
            await server.stop()
        for replay in self.replays:
            await replay.stop()
        self.broker.stop()


@pytest.fixture
async def pcs(tmp_path: Path) -> AsyncIterator[Pcs]:
    clock.set_source(None)  # the real clock
    rig = Pcs(tmp_path)
    try:
        await rig.start()
        yield rig
    finally:
        await rig.stop()
    for server in rig.servers.values():
        assert "Traceback" not in server.log(), server.log()


async def home_assistant(port: int, topic: str, payload: str) -> None:
    async with aiomqtt.Client("127.0.0.1", port) as client:
        await client.publish(topic, payload, qos=1)


async def test_one_board_shows_three_pcs_and_one_going_offline(pcs: Pcs):
    dev = pcs.board()
    app = dev.app
    await pcs.until(lambda: app.state.serial > 0, 20, "a first line")
    assert app.scene == scene_ids.HUB
    # Home Assistant: the display entities of pc1_desk's boards
    await home_assistant(pcs.broker.port, "nocturne/pc1_desk/display/scene/set", "PCS")
    await home_assistant(pcs.broker.port, "nocturne/pc1_desk/display/contrast/set", "40")
    await pcs.until(lambda: app.scene == scene_ids.PCS, 10, "gs: the PCS scene")
    await pcs.until(lambda: dev.panel.contrast == 40, 10, "cn: the contrast")
    await pcs.until(lambda: dev.screen_name() == "PCS", 10, "PCS on the glass")

    await pcs.until(lambda: app.pcs.n == 3 and all(app.pcs.on[:3]), 20, "three PCs online")
    for i, (node_id, capture) in enumerate(PCS.items()):
        assert app.pcs.name[i] == node_id[:6].upper()
        row = app.pcs.val[COLS * i : COLS * (i + 1)]
        for k, want in enumerate(expected_row(capture)):
            if want is not None:
                assert row[k] == want, (node_id, SHOWN[k])
    await pcs.emu.arun(0.3)
    for node_id in PCS:
        assert dev.find_text(node_id[:6].upper(), FS), node_id
    assert not dev.find_text("OFFLINE", FS)

    await pcs.servers["pc3_laptop"].kill()  # SIGKILL: only the broker's last will tells
    await pcs.until(lambda: app.pcs.n == 3 and not app.pcs.on[2], 20, "pc3 offline")
    await pcs.emu.arun(0.3)
    assert dev.find_text("OFFLINE", FS) and dev.find_text("PC3_LA", FS)
    assert app.pcs.on[:2] == [True, True]

    # the night automation: screen off (the panel's own display-off command), then on again
    await home_assistant(pcs.broker.port, "nocturne/pc1_desk/display/screen/set", "OFF")
    await pcs.until(lambda: not dev.panel.display_on, 10, "so 0: the panel off")
    await pcs.emu.arun(2.5)  # lines keep coming; it stays off
    assert not dev.panel.display_on and app.scene == scene_ids.PCS
    await home_assistant(pcs.broker.port, "nocturne/pc1_desk/display/screen/set", "ON")
    await pcs.until(lambda: dev.panel.display_on, 10, "so 1: the panel on")
