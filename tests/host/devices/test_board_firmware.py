"""The firmware's version (issue 23): a hash over the manifest of the files ``nocturne flash``
copies; the ``fw:`` line a board sends after HELO, parsed, kept per connection, compared
with the server's own version, and listed by the doctor. The board's side under real
MicroPython: tests/e2e/test_firmware_version.py."""

from __future__ import annotations

import asyncio
import hashlib
import logging
from pathlib import Path

import pytest

from nocturne import firmware_files
from nocturne.devices.board_firmware import INVALID, doctor_lines, parse_firmware
from nocturne.devices.pairing import Pairing
from nocturne.devices.pairing_status import devices_document
from nocturne.devices.server import DeviceServer
from nocturne.updates.manager import Updates
from tests.host.flash.flash_helpers import make_firmware_tree

TIMEOUT = 5.0
TOKEN = "tok-ABCdef0123456789_xyz"

# --- the version ---------------------------------------------------------------------------


def test_the_version_is_a_hash_over_the_manifest_of_the_copied_files(tmp_path: Path) -> None:
    fw = make_firmware_tree(tmp_path)
    files = ["boot.py", "main.py", "nocturne_fw/__init__.py", "nocturne_fw/app.py"]
    files.append("nocturne_fw/fonts/big.bin")
    manifest = "".join(
        f"{rel} {hashlib.sha256((fw / rel).read_bytes()).hexdigest()}\n" for rel in files
    )
    assert firmware_files.manifest(fw) == manifest
    version = firmware_files.firmware_version(fw)
    assert version == hashlib.sha256(manifest.encode()).hexdigest()[:16]
    assert firmware_files.firmware_version(fw) == version  # stable


def test_the_version_changes_with_any_board_file(tmp_path: Path) -> None:
    fw = make_firmware_tree(tmp_path)
    seen = {firmware_files.firmware_version(fw)}
    for rel in ("main.py", "nocturne_fw/app.py", "nocturne_fw/fonts/big.bin"):
        (fw / rel).write_bytes((fw / rel).read_bytes() + b"\n")
        seen.add(firmware_files.firmware_version(fw))
    (fw / "nocturne_fw" / "new.py").write_text("")  # a file added
    seen.add(firmware_files.firmware_version(fw))
    (fw / "nocturne_fw" / "new.py").rename(fw / "nocturne_fw" / "renamed.py")
    seen.add(firmware_files.firmware_version(fw))
    assert len(seen) == 6


def test_the_version_ignores_what_flash_does_not_copy(tmp_path: Path) -> None:
    fw = make_firmware_tree(tmp_path)
    version = firmware_files.firmware_version(fw)
    (fw / "secrets.py").write_text("WIFI_SSID = 'another'\n")
    (fw / "nocturne_fw" / "__pycache__" / "x.cpython-311.pyc").write_bytes(b"\1")
    (fw / "notes.md").write_text("notes")
    (fw / ".hidden").write_text("x")
    firmware_files.write_version_file(fw, "0123abcd")  # a stale version file in the folder
    assert firmware_files.firmware_version(fw) == version
    assert firmware_files.VERSION_FILE not in {f.name for f in firmware_files.board_files(fw)}


def test_the_server_s_version_is_this_checkout_s() -> None:
    ours = firmware_files.firmware_version(firmware_files.find_firmware_dir())
    assert firmware_files.server_firmware_version() == ours


# --- the fw: line ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "want"),
    [
        (b"fw:0123456789abcdef", "0123456789abcdef"),
        (b"fw:abcd\r\n", "abcd"),
        (b"fw:" + b"f" * 64 + b"\n", "f" * 64),
        (b"fw:" + b"f" * 65, INVALID),
        (b"fw:abc", INVALID),
        (b"fw:", INVALID),
        (b"fw:ABCDEF01", INVALID),  # the board writes lowercase: anything else is not ours
        (b"fw:0123 4567", INVALID),
        (b"fw:\x1b[2J\xe2\x80\xae", INVALID),
        (b"HELO", None),
        (b"screen:3", None),
    ],
)
def test_parse(raw: bytes, want: str | None) -> None:
    assert parse_firmware(raw) == want


@pytest.fixture
async def server():
    srv = DeviceServer("127.0.0.1", 0, pairing=Pairing({"desk": TOKEN}))
    await srv.start()
    yield srv
    await srv.stop()


async def _until(cond) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + TIMEOUT
    while not cond():
        assert loop.time() < deadline
        await asyncio.sleep(0.01)


async def _connect(server: DeviceServer, data: bytes, screen: int) -> asyncio.StreamWriter:
    _reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    writer.write(data + b"screen:%d\n" % screen)
    await writer.drain()
    await _until(lambda: any(d.screen == screen for d in server.devices()))
    return writer


async def test_a_paired_board_s_version_is_kept_and_compared(server: DeviceServer) -> None:
    ours = firmware_files.server_firmware_version()
    assert ours is not None
    old = "0123abcd0123abcd"
    w1 = await _connect(server, f"HELO {TOKEN}\nfw:{ours}\n".encode(), 1)
    w2 = await _connect(server, f"HELO {TOKEN}\nfw:{old}\n".encode(), 2)
    by_screen = {d.screen: d for d in server.devices()}
    assert by_screen[1].board == "desk" and by_screen[1].firmware == ours  # pairing exact
    assert by_screen[2].firmware == old
    document = devices_document(server.devices(), ["desk"])
    got = {d["screen"]: (d["firmware"], d["firmware_current"]) for d in document["devices"]}
    assert got == {1: (ours, True), 2: (old, False)}
    lines = sorted(doctor_lines(document))
    assert lines[0] == f"board desk: firmware {old} (not the server's: nocturne flash updates it)"
    assert lines[1] == f"board desk: firmware {ours} (the server's own)"
    for w in (w1, w2):
        w.close()


async def test_garbage_is_logged_once_escaped_and_ignored(
    server: DeviceServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="nocturne")
    good = "feedfacecafebeef"
    data = f"HELO {TOKEN}\nfw:{good}\n".encode() + b"fw:\x1b[2J\xe2\x80\xaeEvil\nfw:zz\n"
    writer = await _connect(server, data, 3)
    assert server.devices()[0].firmware == good  # the last good version stays
    warned = [r.getMessage() for r in caplog.records if "malformed firmware" in r.getMessage()]
    assert len(warned) == 1
    assert "\x1b" not in warned[0] and "\\x1b[2J\\u202eEvil" in warned[0]
    assert not any("not a command" in r.getMessage() for r in caplog.records)
    writer.close()


async def test_an_old_board_without_a_version_shows_null(server: DeviceServer) -> None:
    writer = await _connect(server, f"HELO {TOKEN}\n".encode(), 4)  # what older firmware says
    assert server.devices()[0].firmware is None
    [device] = devices_document(server.devices(), ["desk"])["devices"]
    assert (device["firmware"], device["firmware_current"]) == (None, None)
    assert doctor_lines({"devices": [device]}) == [
        "board desk: firmware version unknown (it does not report one)"
    ]
    assert doctor_lines(None) == []
    writer.close()


async def test_boards_are_compared_with_the_firmware_in_firmware_dir(tmp_path: Path) -> None:
    own = make_firmware_tree(tmp_path / "own")  # config.json's firmware_dir: someone's build
    theirs = firmware_files.firmware_version(own)
    wheel = firmware_files.server_firmware_version()
    assert theirs != wheel
    updates = Updates("off", firmware_dir=str(own))
    srv = DeviceServer("127.0.0.1", 0, pairing=Pairing({"desk": TOKEN}), updates=updates)
    await srv.start()
    try:
        w1 = await _connect(srv, f"HELO {TOKEN}\nfw:{theirs}\n".encode(), 1)
        w2 = await _connect(srv, f"HELO {TOKEN}\nfw:{wheel}\n".encode(), 2)
        document = devices_document(srv.devices(), ["desk"])
        got = {d["screen"]: d["firmware_current"] for d in document["devices"]}
        assert got == {1: True, 2: False}
        for w in (w1, w2):
            w.close()
    finally:
        await srv.stop()
