"""What a board survived (issue 20): the ``survived:`` line parsed, logged once per change and
escaped, kept per device for GET /api/devices, and listed by the doctor per board."""

from __future__ import annotations

import asyncio
import logging

import pytest

from nocturne.devices.board_health import Survived, doctor_lines, parse_survived
from nocturne.devices.pairing_status import devices_document
from nocturne.devices.server import DeviceServer

TIMEOUT = 5.0


@pytest.mark.parametrize(
    ("raw", "want"),
    [
        (b"survived:2 1 MemoryError", Survived(2, 1, "MemoryError")),
        (b"survived:0 3 -\n", Survived(0, 3, "")),
        (b"survived:1 0 OSError\r\n", Survived(1, 0, "OSError")),
        (b"survived:1 0 " + b"E" * 80, Survived(1, 0, "E" * 40)),
        (b"survived:1 0", None),
        (b"survived:x 0 ValueError", None),
        (b"survived:-1 0 ValueError", None),
        (b"survived:1 0 A B", None),
        (b"survived:9999999999 0 A", None),
        (b"screen:3", None),
    ],
)
def test_parse(raw, want):
    assert parse_survived(raw) == want


@pytest.fixture
async def server():
    srv = DeviceServer("127.0.0.1", 0)
    await srv.start()
    yield srv
    await srv.stop()


async def _until(cond) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + TIMEOUT
    while not cond():
        assert loop.time() < deadline
        await asyncio.sleep(0.01)


async def test_the_server_logs_it_once_per_change_escaped_and_lists_it(server, caplog):
    caplog.set_level(logging.INFO, logger="nocturne")
    _reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    writer.write(b"HELO\nsurvived:1 0 MemoryError\nsurvived:1 0 MemoryError\n")
    writer.write(b"survived:2 0 \x1b[2J\xe2\x80\xaeEvil\nscreen:4\n")
    await writer.drain()
    await _until(lambda: server.devices() and server.devices()[0].screen == 4)
    logged = [r.getMessage() for r in caplog.records if "survived" in r.getMessage()]
    assert len(logged) == 2  # the repeat is not logged again
    assert (
        "survived 1 error(s) since boot (last: MemoryError), reset itself 0 time(s)" in (logged[0])
    )
    assert "\x1b" not in logged[1] and "\\x1b[2J\\u202eEvil" in logged[1]
    assert not any("unrecognised" in r.getMessage() for r in caplog.records)
    info = server.devices()[0]
    assert info.survived is not None and info.survived.startswith("survived 2 error(s)")
    lines = doctor_lines(devices_document(server.devices(), []))
    assert len(lines) == 1 and lines[0].startswith(f"board {info.peer}: survived 2 error(s)")
    assert "\x1b" not in lines[0]
    writer.close()


async def test_a_device_that_survived_nothing_is_not_listed(server):
    _reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    writer.write(b"HELO\nscreen:2\n")
    await writer.drain()
    await _until(lambda: server.devices() and server.devices()[0].screen == 2)
    assert server.devices()[0].survived is None
    assert doctor_lines(devices_document(server.devices(), [])) == []
    assert doctor_lines(None) == []
    writer.close()
