"""Pairing over real TCP on loopback: with a token configured only ``HELO <token>`` gets
lines; a bare or wrong HELO is closed at once, logged once per address, token never logged."""

from __future__ import annotations

import asyncio
import json
import logging

import pytest

from nocturne.app import NocturneServer
from nocturne.config.model import load_config
from nocturne.devices.pairing import Pairing, new_token
from nocturne.devices.pairing_file import pair_board, unpair_board
from nocturne.devices.server import DeviceServer
from nocturne.snapshot import Hardware, Snapshot
from nocturne.wire.protocol import Hello, parse_device_line
from tests.harness.rig import free_port, write_config

TIMEOUT = 5.0
DESK = new_token()
SHELF = new_token()


async def wait_until(predicate, timeout: float = TIMEOUT) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        assert loop.time() < deadline, "condition not met in time"
        await asyncio.sleep(0.01)


async def hello(
    port: int, line: bytes, source: str | None = None
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    local = (source, 0) if source else None
    reader, writer = await asyncio.open_connection("127.0.0.1", port, local_addr=local)
    writer.write(line)
    await writer.drain()
    return reader, writer


async def gets_lines(server: DeviceServer, line: bytes, source: str | None = None) -> bool:
    """True when a board saying ``line`` (from loopback address ``source``) is served a
    sensor line; False when the server closes the connection without sending one."""
    reader, writer = await hello(server.port, line, source)
    try:
        server.publish(Snapshot(hardware=Hardware(cpu_temp=61)))
        got = await asyncio.wait_for(reader.readline(), TIMEOUT)
        if got:
            # A sensor line: ours, or the collector's own when a NocturneServer runs.
            assert json.loads(got)["pv"] == 2
            return True
        return False  # EOF: closed by the server, nothing sent
    finally:
        writer.close()


@pytest.fixture
async def paired_server():
    pairing = Pairing({"desk": DESK, "shelf": SHELF})
    server = DeviceServer("127.0.0.1", 0, pairing=pairing)
    await server.start()
    yield server
    await server.stop()


def test_helo_with_a_token_parses():
    assert parse_device_line(b"HELO\n") == Hello(None)
    assert parse_device_line(f"HELO {DESK}\r\n".encode()) == Hello(DESK)
    assert parse_device_line(b"HELO a b\n") == Hello("")  # no board's token
    assert parse_device_line(b"HELO " + b"x" * 200 + b"\n") == Hello("")
    assert parse_device_line(b"HELOX\n") is None


def test_new_tokens_are_22_url_safe_characters_and_differ():
    tokens = {new_token() for _ in range(50)}
    assert len(tokens) == 50
    for token in tokens:
        assert len(token) == 22
        assert all(c.isalnum() or c in "-_" for c in token)


def test_board_for_finds_each_board_and_nothing_else():
    pairing = Pairing({"desk": DESK, "shelf": SHELF})
    assert pairing.board_for(DESK) == "desk"
    assert pairing.board_for(SHELF) == "shelf"
    assert pairing.board_for(DESK[:-1]) is None
    assert pairing.board_for("") is None
    assert pairing.board_for(None) is None
    assert Pairing({"desk": DESK}).required
    assert not Pairing({"desk": DESK}, allow_unpaired=True).required
    assert not Pairing({}).required


async def test_without_tokens_every_board_is_served():
    server = DeviceServer("127.0.0.1", 0)
    await server.start()
    try:
        assert await gets_lines(server, b"HELO\n")
        assert await gets_lines(server, f"HELO {DESK}\n".encode())
    finally:
        await server.stop()


async def test_bare_helo_is_closed_and_gets_no_line(paired_server):
    assert not await gets_lines(paired_server, b"HELO\n")
    assert paired_server.device_count == 0
    assert paired_server.pairing.refused == 1


async def test_wrong_token_is_refused(paired_server):
    assert not await gets_lines(paired_server, b"HELO " + new_token().encode() + b"\n")
    assert not await gets_lines(paired_server, f"HELO {DESK[:-1]}\n".encode())


async def test_helo_with_the_token_gets_lines_and_the_board_is_named(paired_server):
    reader, writer = await hello(paired_server.port, f"HELO {SHELF}\n".encode())
    try:
        paired_server.publish(Snapshot(hardware=Hardware(cpu_temp=55)))
        assert json.loads(await asyncio.wait_for(reader.readline(), TIMEOUT))["ct"] == 55
        assert [d.board for d in paired_server.devices()] == ["shelf"]
    finally:
        writer.close()


async def test_allow_unpaired_serves_both():
    server = DeviceServer("127.0.0.1", 0, pairing=Pairing({"desk": DESK}, allow_unpaired=True))
    await server.start()
    try:
        assert await gets_lines(server, b"HELO\n")
        assert await gets_lines(server, f"HELO {DESK}\n".encode())
        assert await gets_lines(server, f"HELO {SHELF}\n".encode())  # unknown: unpaired
    finally:
        await server.stop()


async def test_refusal_is_logged_once_per_address_and_no_token_is_logged(paired_server, caplog):
    caplog.set_level(logging.DEBUG)
    wrong = new_token()
    for line in (f"HELO {wrong}\n".encode(), b"HELO\n", f"HELO {wrong}\n".encode()):
        assert not await gets_lines(paired_server, line)
    # Another address (loopback is all of 127/8) is logged on its own.
    assert not await gets_lines(paired_server, b"HELO " + SHELF[::-1].encode() + b"\n", "127.0.0.2")
    assert await gets_lines(paired_server, f"HELO {DESK}\n".encode())
    refusals = [r.getMessage() for r in caplog.records if "Refused a board" in r.getMessage()]
    assert len(refusals) == 2, refusals
    assert "from 127.0.0.1:" in refusals[0] and "from 127.0.0.2:" in refusals[1]
    assert paired_server.pairing.refused == 4
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "(desk) connected" in text
    for token in (DESK, SHELF, wrong, SHELF[::-1]):
        assert token not in text


async def test_the_server_reads_tokens_added_and_removed_while_it_runs(tmp_path, caplog):
    path = write_config(tmp_path, free_port(), "http://127.0.0.1:9/data.json")
    token, _ = pair_board(path, "desk")
    running = NocturneServer(load_config(path, environ={}).config, use_lhm=False, media=False)
    await running.start()
    try:
        devices = running.devices
        assert await gets_lines(devices, f"HELO {token}\n".encode())
        assert not await gets_lines(devices, b"HELO\n")
        second, _ = pair_board(path, "shelf")  # `nocturne pair shelf` while it runs
        assert await gets_lines(devices, f"HELO {second}\n".encode())
        assert unpair_board(path, "desk")
        assert not await gets_lines(devices, f"HELO {token}\n".encode())
        assert unpair_board(path, "shelf")
        assert await gets_lines(devices, b"HELO\n")  # no token left: everyone again
    finally:
        await running.stop()
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert token not in text and second not in text
