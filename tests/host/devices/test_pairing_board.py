"""Pairing with the real firmware: a real `nocturne --console` process with a paired board in
config.json, emulated boards running the unchanged firmware on loopback. The paired board
(SERVER_TOKEN) gets data; one without a token (the original firmware's secrets.py) is
refused again and again as it retries, and the server logs that once."""

from __future__ import annotations

import pytest

from nocturne.devices.pairing import new_token
from nocturne.devtools.lhm_replay import LhmReplay
from nocturne.emulator.device import Device
from nocturne.emulator.realtime import Emulator
from nocturne.emulator.secrets_file import make_secrets
from tests.harness.rig import ServerProcess, free_port, write_config

from ...conftest import CAPTURE_0_9_6

TOKEN = new_token()


@pytest.fixture
async def paired_server(tmp_path):
    replay = LhmReplay(CAPTURE_0_9_6.read_bytes())
    await replay.start()
    port = free_port()
    config = write_config(
        tmp_path, port, replay.url, poll_interval=0.5, device_tokens={"desk": TOKEN}
    )
    server = ServerProcess(config)
    await server.start()
    try:
        yield server, port
    finally:
        await server.stop()
        await replay.stop()


async def test_the_paired_board_gets_data_and_an_unpaired_one_is_refused(paired_server, tmp_path):
    server, port = paired_server
    emu = Emulator()
    paired = emu.add(
        Device(secrets=make_secrets("127.0.0.1", port, token=TOKEN), fs_dir=tmp_path / "a")
    )
    original = emu.add(Device(secrets=make_secrets("127.0.0.1", port), fs_dir=tmp_path / "b"))
    try:
        assert await emu.arun(15, until=lambda: paired.app.link.lines >= 3), paired.status()
        assert await emu.arun(15, until=lambda: "(desk) connected" in server.log())
        # The unpaired board keeps trying; each try is closed before any line.
        assert await emu.arun(20, until=lambda: server.log().count("Refused a board") >= 1)
        tries = original.sockets.created
        assert await emu.arun(20, until=lambda: original.sockets.created >= tries + 2)
        assert original.app.link.lines == 0, original.status()
        assert paired.app.link.lines >= 5
        log = server.log()
        assert log.count("Refused a board from 127.0.0.1") == 1, log
        assert TOKEN not in log
    finally:
        emu.close()
