"""Updates over the air asked for (issue 23, ``"board_updates": "ask"``): a real server
with its dashboard, a paired board on real TCP that takes updates, ``nocturne update``
(ui/update_cli.py) asking the server through the dashboard's API, the update's signed
manifest arriving on the board's connection, the board's answers on GET /api/boards, GET
/api/devices and in the doctor's lines."""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import logging
import os
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from nocturne.app import NocturneServer
from nocturne.config.model import load_config
from nocturne.devices.board_firmware import doctor_lines
from nocturne.firmware_files import server_firmware_version
from nocturne.ui import update_cli
from tests.harness.rig import free_port, write_config

TOKEN = "q3M0bnR5LXR3by1ieXRlcy1vZi10b2tlbg"
NONCE = "00112233aabbccdd"
TIMEOUT = 10.0


@pytest.fixture
async def server(tmp_path, lhm_replay) -> AsyncIterator[tuple[NocturneServer, str]]:
    path = write_config(
        tmp_path,
        free_port(),
        lhm_replay.url,
        poll_interval=0.5,
        web={"host": "127.0.0.1", "port": free_port()},
        device_tokens={"desk": TOKEN},
        board_updates="ask",
    )
    os.chmod(path, 0o600)
    running = NocturneServer(load_config(path, environ={}).config, media=False, power=False)
    await running.start()
    try:
        yield running, str(path)
    finally:
        await running.stop()


async def boards(url: str) -> list[dict[str, Any]]:
    async with aiohttp.ClientSession() as http, http.get(url + "/api/boards") as resp:
        return await resp.json()


async def until(check, what: str) -> Any:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + TIMEOUT
    while not (found := await check()):
        assert loop.time() < deadline, f"{what}: not within {TIMEOUT} s"
        await asyncio.sleep(0.05)
    return found


async def test_nocturne_update_sends_a_signed_update_and_the_answers_show(server, caplog):
    running, config_path = server
    caplog.set_level(logging.INFO)
    ours = server_firmware_version()
    reader, writer = await asyncio.open_connection("127.0.0.1", running.devices.port)
    writer.write(f"HELO {TOKEN}\nfw:0000aaaa\nota:ready {NONCE}\n".encode())
    await writer.drain()
    try:

        async def offered() -> dict[str, Any] | None:
            listed = await boards(running.web.url)
            return listed[0] if listed and (listed[0]["update"] or {}).get("available") else None

        board = await until(offered, "the update offered")
        assert (board["name"], board["firmware"], board["update"]["state"]) == (
            "desk",
            "0000aaaa",
            "offered",  # "ask": offered, not started
        )
        args = argparse.Namespace(board="desk", all=False, config=config_path)
        assert await asyncio.to_thread(update_cli.run, args) == 0

        async def manifest() -> list[bytes]:
            got: list[bytes] = []
            while not got or not got[-1].startswith(b"UP s "):
                line = await reader.readline()
                if line.startswith(b"UP "):
                    got.append(line.rstrip(b"\n"))
            return got

        lines = await asyncio.wait_for(manifest(), TIMEOUT)
        assert lines[0].startswith(f"UP m {ours} ".encode())
        mac = hmac.new(TOKEN.encode(), NONCE.encode() + b"\n", hashlib.sha256)
        for line in lines[:-1]:
            mac.update(line[3:] + b"\n")
        assert lines[-1] == b"UP s " + mac.hexdigest().encode()
        assert any(line.startswith(b"UP e main.py ") for line in lines)
        # the board refuses (its reason carries an escape sequence), then reports a rollback
        writer.write(b"ota:refused bad\x1b[31mred\nota:rolledback 1234abcd no live data\n")
        await writer.drain()

        async def answered() -> dict[str, Any] | None:
            listed = await boards(running.web.url)
            up = listed[0]["update"] if listed else None
            return up if up and up["rolled_back"] else None

        update = await until(answered, "the answers listed")
        assert update["state"] == "refused"
        assert update["rolled_back"] == {"version": "1234abcd", "why": "no live data"}
        async with (
            aiohttp.ClientSession() as http,
            http.get(running.web.url + "/api/devices") as resp,  # what the doctor reads
        ):
            document = await resp.json()
        assert document["devices"][0]["update"]["rolled_back"]["version"] == "1234abcd"
        assert "board desk: rolled back firmware 1234abcd (no live data); it runs 0000aaaa" in (
            doctor_lines(document)
        )
    finally:
        writer.close()
    logged = [r.getMessage() for r in caplog.records if "refused the update" in r.getMessage()]
    assert len(logged) == 1 and "\x1b" not in logged[0], logged


async def test_nocturne_update_says_when_no_board_can_take_one(server, capsys):
    _, config_path = server
    args = argparse.Namespace(board=None, all=True, config=config_path)
    assert await asyncio.to_thread(update_cli.run, args) == 1
    assert "No board can take an update now" in capsys.readouterr().out
