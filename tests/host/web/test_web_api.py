"""The dashboard's API (web/api.py, web/stream.py) on a real server: an LHM replay, a board
on real TCP saying HELO, the API over loopback HTTP and the WebSocket."""

from __future__ import annotations

import asyncio
import json
import os
import stat
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from nocturne.app import NocturneServer
from nocturne.config.model import load_config
from nocturne.firmware_files import server_firmware_version
from nocturne.sources.lhm.parser import parse_data_json
from tests.harness.rig import free_port, write_config

from ...conftest import CAPTURE_0_9_6

POLL = 0.5
TIMEOUT = 10.0


class Board:
    """A board as the server sees it: a TCP connection that said HELO and reads lines."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def connect(cls, port: int, *lines: bytes) -> Board:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"HELO\n" + b"".join(lines))
        await writer.drain()
        return cls(reader, writer)

    async def line_with(self, key: str, value: Any = None) -> dict[str, Any]:
        """The next line carrying ``key`` (equal to ``value`` when given)."""

        async def find() -> dict[str, Any]:
            while True:
                line = json.loads(await self.reader.readline())
                if key in line and (value is None or line[key] == value):
                    return line

        return await asyncio.wait_for(find(), TIMEOUT)

    def read_so_far(self) -> list[dict[str, Any]]:
        """Every whole line received and not read yet."""
        buffered = bytes(self.reader._buffer)  # type: ignore[attr-defined]
        whole = buffered[: buffered.rfind(b"\n") + 1]
        return [json.loads(line) for line in whole.splitlines() if line.strip()]

    def close(self) -> None:
        self.writer.close()


class Page:
    """The dashboard page's side: its Origin and CSRF token on every change."""

    def __init__(self, url: str, http: aiohttp.ClientSession) -> None:
        self.url, self.http, self.token = url, http, ""

    async def start(self) -> None:
        self.token = (await self.get("/api/csrf"))["token"]

    async def get(self, path: str) -> Any:
        async with self.http.get(self.url + path) as resp:
            assert resp.status == 200, await resp.text()
            return await resp.json()

    async def send(self, method: str, path: str, body: Any) -> tuple[int, Any]:
        headers = {"Origin": self.url, "X-CSRF-Token": self.token}
        async with self.http.request(method, self.url + path, json=body, headers=headers) as r:
            return r.status, await r.json()


@pytest.fixture
async def server(tmp_path, lhm_replay) -> AsyncIterator[NocturneServer]:
    path = write_config(
        tmp_path,
        free_port(),
        lhm_replay.url,
        poll_interval=POLL,
        lhm_user="admin",
        lhm_password="s3cret",
        web={"host": "127.0.0.1", "port": free_port()},
    )
    os.chmod(path, 0o600)
    lhm_replay.authorization = None  # the replay asks no password; the config keeps one
    running = NocturneServer(load_config(path, environ={}).config, media=False, power=False)
    await running.start()
    try:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + TIMEOUT
        while not running.collector.snapshot.lhm_online:
            assert loop.time() < deadline, "LHM not read"
            await asyncio.sleep(0.05)
        yield running
    finally:
        await running.stop()


@pytest.fixture
async def page(server) -> AsyncIterator[Page]:
    async with aiohttp.ClientSession() as http:
        p = Page(server.web.url, http)
        await p.start()
        yield p


async def until(check, what: str) -> Any:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + TIMEOUT
    while not (found := await check()):
        assert loop.time() < deadline, f"{what}: not within {TIMEOUT} s"
        await asyncio.sleep(0.1)
    return found


async def test_a_board_is_listed_with_its_scene_and_takes_the_dashboards_controls(server, page):
    board = await Board.connect(server.devices.port, b"screen:1\n")
    ours = server_firmware_version()
    assert ours is not None
    other = await Board.connect(server.devices.port, f"fw:{ours}\n".encode())
    try:

        async def listed() -> list[dict[str, Any]] | None:
            boards = await page.get("/api/boards")
            return boards if len(boards) == 2 and boards[0]["scene"] == "CPU" else None

        first, _ = await until(listed, "both boards listed")
        assert first["name"] is None and first["paired"] is False
        assert first["firmware"] is None and first["address"].startswith("127.0.0.1")
        assert first["firmware_current"] is None  # no version said: unknown, not "old"

        async def versioned() -> list[dict[str, Any]]:
            return [b for b in await page.get("/api/boards") if b["firmware"] is not None]

        [second] = await until(versioned, "the second board's version listed")
        assert (second["firmware"], second["firmware_current"]) == (ours, True)
        controls = f"/api/boards/{first['id']}"
        status, answer = await page.send("POST", f"{controls}/scene", {"value": "GPU"})
        assert (status, answer) == (200, {"sent": {"gs": 3}})
        await board.line_with("gs", 3)
        status, _ = await page.send("POST", f"/api/boards/{first['id']}/screen", {"value": False})
        assert status == 200
        await board.line_with("so", 0)
        status, answer = await page.send(
            "POST", f"/api/boards/{first['id']}/contrast", {"value": 300}
        )
        assert status == 400 and answer["errors"][0]["key"] == "value"
        status, _ = await page.send("POST", "/api/boards/999/contrast", {"value": 10})
        assert status == 404
        await board.line_with("ct")  # the next poll's line: the other has had its lines too
        await asyncio.sleep(0.1)
        lines = other.read_so_far()
        assert len(lines) >= 2
        assert not [line for line in lines if "gs" in line or "so" in line]  # only that board
    finally:
        board.close()
        other.close()


def chosen_and_other_cpu_sensor() -> tuple[str, str, float]:
    """The sensor LHM maps to ``ct`` in the capture, another CPU temperature and its value."""
    reading = parse_data_json(CAPTURE_0_9_6.read_bytes())
    chosen = reading.chosen["cpu_temp"]
    other = next(
        s
        for s in reading.sensors
        if s.kind == "cpu" and s.type == "Temperature" and s.id != chosen and s.value
        and round(s.value) != round(reading.hardware.cpu_temp)
    )  # fmt: skip
    return chosen, other.id, other.value


async def test_sensors_name_the_field_each_feeds_and_picking_another_reaches_the_board(
    server, page
):
    chosen, other, other_value = chosen_and_other_cpu_sensor()
    sensors = {s["id"]: s for s in await page.get("/api/sensors")}
    assert sensors[chosen]["field"] == "ct" and sensors[other]["field"] is None
    assert {"id", "name", "value", "unit", "field"} == set(sensors[chosen])
    assert sensors["local/sys_disk_usage"]["field"] == "su"  # psutil first, as merged
    assert isinstance(await page.get("/api/gpus"), list)  # this machine's GPUs: none here
    board = await Board.connect(server.devices.port)
    try:
        config = await page.get("/api/config")
        config["sensors"] = {"ct": other}
        status, answer = await page.send("PUT", "/api/config", config)
        assert (status, answer) == (200, {"saved": True, "restart": []})
        await board.line_with("ct", round(other_value))  # within a poll, no restart

        async def moved() -> bool:
            now = {s["id"]: s for s in await page.get("/api/sensors")}
            return now[other]["field"] == "ct" and now[chosen]["field"] is None

        await until(moved, "the field moved to the picked sensor")
    finally:
        board.close()


async def test_config_hides_secrets_and_a_bad_setting_writes_nothing(server, page):
    path = server.config.path
    before = path.read_bytes()
    config = await page.get("/api/config")
    assert config["lhm_password"] == "********" and "s3cret" not in json.dumps(config)
    status, answer = await page.send("PUT", "/api/config", {**config, "poll_interval": 0.01})
    assert status == 400
    assert answer["errors"][0]["key"] == "poll_interval"
    assert "from 0.2 to 60" in answer["errors"][0]["message"]
    status, answer = await page.send("PUT", "/api/config", [1, 2])
    assert status == 400 and answer["errors"][0]["key"] == ""
    assert path.read_bytes() == before  # byte for byte

    status, answer = await page.send("PUT", "/api/config", {**config, "max_devices": 4})
    assert (status, answer) == (200, {"saved": True, "restart": ["max_devices"]})
    saved = json.loads(path.read_text())
    assert saved["max_devices"] == 4 and saved["lhm_password"] == "s3cret"  # kept, not masked
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


async def test_pairing_a_board_from_the_dashboard_shows_its_token_once(server, page):
    status, answer = await page.send("POST", "/api/boards/pair", {"name": "desk"})
    assert status == 200 and answer["secrets_line"].startswith('SERVER_TOKEN = "')
    token = answer["secrets_line"].split('"')[1]
    assert server.pairing.boards == ["desk"]
    config = await page.get("/api/config")
    assert config["device_tokens"] == {"desk": "********"} and token not in json.dumps(config)
    status, _ = await page.send("PUT", "/api/config", config)  # masked tokens stay as they are
    assert status == 200 and json.loads(server.config.path.read_text())["device_tokens"] == {
        "desk": token
    }
    board = await Board.connect(server.devices.port)  # no token: refused now
    assert await asyncio.wait_for(board.reader.read(), TIMEOUT) == b""
    status, answer = await page.send("POST", "/api/boards/unpair", {"name": "desk"})
    assert (status, answer) == (200, {"name": "desk", "removed": True})
    assert server.pairing.boards == []


async def test_health_names_each_source_its_state_and_its_cost(server, page, lhm_replay):
    await asyncio.sleep(2 * POLL)
    health = await page.get("/api/health")
    by_name = {s["name"]: s for s in health["sources"]}
    lhm = by_name["LibreHardwareMonitor"]
    assert lhm["state"] == "up" and lhm["last_error"] is None and lhm["cpu_seconds"] > 0
    assert by_name["local sensors (psutil)"]["cpu_seconds"] > 0
    assert health["server"]["rss_bytes"] > 10 * 1024 * 1024
    lhm_replay.status = 503

    async def down() -> dict[str, Any] | None:
        now = {s["name"]: s for s in (await page.get("/api/health"))["sources"]}
        lhm_now = now["LibreHardwareMonitor"]
        return lhm_now if lhm_now["state"] == "down" else None

    went_down = await until(down, "LHM down")
    assert "HTTP 503" in went_down["last_error"] and went_down["since"] >= lhm["since"]


class PeekHub:
    """What the stream hands the page's peek messages to: peek.py's interface."""

    def __init__(self) -> None:
        self.calls: list[tuple[int, bool]] = []
        self.forgotten = 0

    def watch(self, ws: object, board: int, on: bool) -> None:
        self.calls.append((board, on))

    def forget(self, ws: object) -> None:
        self.forgotten += 1


async def test_the_stream_sends_sensors_boards_and_health_and_takes_peek(server, lhm_replay):
    server.web.peek = hub = PeekHub()
    url = server.web.url
    async with (
        aiohttp.ClientSession() as http,
        http.ws_connect(f"{url}/api/stream", headers={"Origin": url}) as ws,
    ):
        first = [await ws.receive_json(timeout=TIMEOUT) for _ in range(3)]
        assert [m["type"] for m in first] == ["sensors", "boards", "health"]
        assert first[0]["full"] is True and first[1]["boards"] == []
        board = await Board.connect(server.devices.port)
        try:
            while (message := await ws.receive_json(timeout=TIMEOUT))["type"] != "boards":
                assert message["type"] in ("sensors", "health")
                assert message["type"] != "sensors" or message["full"] is False
            assert len(message["boards"]) == 1
            await ws.send_json({"type": "peek", "board": message["boards"][0]["id"], "on": True})
            await ws.send_str("not json")  # ignored
            while not hub.calls:
                await asyncio.sleep(0.05)
            assert hub.calls == [(message["boards"][0]["id"], True)]
        finally:
            board.close()
    while not hub.forgotten:
        await asyncio.sleep(0.05)
