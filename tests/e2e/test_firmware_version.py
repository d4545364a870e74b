"""The firmware's version on real MicroPython (issue 23): a board under the unix port, its
filesystem as ``nocturne emulate`` leaves it (fw_version written beside the files, as
``nocturne flash`` writes it on a board), reports the version of this checkout's files to a
real DeviceServer on loopback; a board without the file (older firmware) reports nothing
and shows null."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from nocturne.devices.pairing_status import devices_document
from nocturne.devices.server import DeviceServer
from nocturne.emulator import mp_runtime
from nocturne.emulator.device import Device
from nocturne.emulator.mp_runtime import MpDevice, micropython_command
from nocturne.emulator.realtime import Emulator
from nocturne.emulator.secrets_file import make_secrets
from nocturne.firmware_files import VERSION_FILE, find_firmware_dir, firmware_version
from nocturne.snapshot import Snapshot

HEAP = 256 * 1024  # as test_micropython_runtime: the 64-bit port
POLL = 0.5  # s between lines
TIMEOUT = 30.0  # s for a board to boot, connect and say HELO


@pytest.fixture
async def server() -> AsyncIterator[DeviceServer]:
    micropython_command()  # a missing unix port is a failure naming the fix, not a skip
    srv = DeviceServer("127.0.0.1", 0)
    await srv.start()

    async def lines() -> None:
        while True:
            srv.publish(Snapshot())
            await asyncio.sleep(POLL)

    publisher = asyncio.create_task(lines())
    try:
        yield srv
    finally:
        publisher.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await publisher
        await srv.stop()


async def run_board(server: DeviceServer, tmp_path: Path, name: str) -> dict:
    """Boot one MicroPython board on ``server`` until the server lists it; its entry in
    GET /api/devices, and the board's filesystem."""
    fs = tmp_path / name
    fs.mkdir()
    (fs / "settings.json").write_text(json.dumps({"carousel": False}))
    emu = Emulator()
    with open(tmp_path / f"{name}.log", "wb") as out:
        board = MpDevice(
            "127.0.0.1",
            server.port,
            secrets=make_secrets("127.0.0.1", server.port),
            fs_dir=fs,
            heap=HEAP,
            log=out,
        )
        emu.add(board)
        try:
            # screen:N goes after HELO and fw: on the same stream: once it is known, so is fw:
            def said_screen() -> bool:
                return any(d.screen is not None for d in server.devices()) and board.lines > 0

            assert await emu.arun(TIMEOUT, until=said_screen), board.status()
            [device] = devices_document(server.devices(), [])["devices"]
        finally:
            emu.close()
    text = (tmp_path / f"{name}.log").read_text(errors="replace")
    assert "Traceback" not in text and "MemoryError" not in text, text[-3000:]
    return device


async def test_a_board_reports_the_version_of_the_checkout_s_files(server, tmp_path):
    ours = firmware_version(find_firmware_dir())
    device = await run_board(server, tmp_path, "board")
    assert (tmp_path / "board" / VERSION_FILE).read_text().strip() == ours
    assert (device["firmware"], device["firmware_current"]) == (ours, True)


async def test_an_old_board_without_the_version_file_shows_null(server, tmp_path, monkeypatch):
    # older firmware: nothing wrote the version file on its filesystem
    monkeypatch.setattr(mp_runtime, "stamp_version", lambda fs_dir, fw: None)
    device = await run_board(server, tmp_path, "old")
    assert not (tmp_path / "old" / VERSION_FILE).exists()
    assert (device["firmware"], device["firmware_current"]) == (None, None)


async def test_a_cpython_emulated_board_reports_the_same_version(server, tmp_path):
    ours = firmware_version(find_firmware_dir())
    emu = Emulator()
    board = emu.add(Device("127.0.0.1", server.port, fs_dir=tmp_path / "cpython"))
    try:
        assert await emu.arun(TIMEOUT, until=lambda: any(d.firmware for d in server.devices()))
    finally:
        emu.close()
    assert [d.firmware for d in server.devices()] == [ours]
    assert (board.fs_dir / VERSION_FILE).read_text().strip() == ours
