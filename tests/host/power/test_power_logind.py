"""Sleep, wake and shutdown on Linux: a real server, a real device socket, a private system bus
with a logind stand-in emitting PrepareForSleep(b) / PrepareForShutdown(b)."""

from __future__ import annotations

import asyncio
import json
import logging

import pytest
from aiohttp import web

from nocturne.app import NocturneServer
from nocturne.config.model import load_config
from nocturne.devtools.lhm_replay import LhmReplay
from nocturne.power._linux import LogindWatcher
from nocturne.sources.idle import LogindIdle
from nocturne.sources.lhm.parser import parse_data_json
from tests.harness.rig import ServerProcess, free_port, write_config

from ...conftest import CAPTURE_0_9_6, CAPTURE_OHM_5900X
from ..fakes.logind import Logind, system_bus  # noqa: F401  (a fixture)

TIMEOUT = 5.0
POLL = 30.0  # seconds: far beyond TIMEOUT, so any line a test reads was pushed, not polled
NOW = 1_800_000_000.0  # the stand-in session's wall clock


def cpu_temp(capture) -> int:
    """The ``ct`` a capture gives, as the parser reads it."""
    return round(parse_data_json(capture.read_bytes(), {}).hardware.cpu_temp)


CT_BEFORE, CT_AFTER = cpu_temp(CAPTURE_0_9_6), cpu_temp(CAPTURE_OHM_5900X)


class CountingReplay(LhmReplay):
    """The LHM replay, noting the client's address of every request (a new HTTP session
    comes from a new port)."""

    def __init__(self, body: bytes) -> None:
        super().__init__(body)
        self.peers: list[object] = []

    async def _data(self, request: web.Request) -> web.StreamResponse:
        self.peers.append(
            request.transport.get_extra_info("peername") if request.transport else None
        )
        return await super()._data(request)


@pytest.fixture
async def logind(system_bus):  # noqa: F811
    stand_in = await Logind(system_bus).start()
    yield stand_in
    await stand_in.stop()


@pytest.fixture
async def replay():
    lhm = CountingReplay(CAPTURE_0_9_6.read_bytes())
    await lhm.start()
    yield lhm
    await lhm.stop()


async def start_server(tmp_path, lhm_url: str, address: str, **keys) -> NocturneServer:
    path = write_config(tmp_path, free_port(), lhm_url, poll_interval=POLL, **keys)
    server = NocturneServer(
        load_config(path, environ={}).config,
        media=False,
        power=LogindWatcher(address),
        user_idle=LogindIdle(address, wall_clock=lambda: NOW),
    )
    await server.start()
    return server


async def connect(server: NocturneServer) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    reader, writer = await asyncio.open_connection("127.0.0.1", server.devices.port)
    writer.write(b"HELO\n")
    return reader, writer


async def read_json(reader: asyncio.StreamReader) -> dict:
    line = await asyncio.wait_for(reader.readline(), TIMEOUT)
    assert line.endswith(b"\n"), line
    return json.loads(line)


async def until(predicate, what: str) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + TIMEOUT
    while not predicate():
        assert loop.time() < deadline, f"{what}: not in time"
        await asyncio.sleep(0.01)


async def test_sleep_pushes_pwr_at_once_and_wake_rereads_lhm_on_a_new_session(
    tmp_path,
    logind,
    replay,
    system_bus,  # noqa: F811
):
    server = await start_server(tmp_path, replay.url, system_bus)
    try:
        # The watcher took a delay lock, so logind would wait for the boards.
        await until(lambda: logind.manager.inhibits, "Inhibit")
        assert logind.manager.inhibits[0][::3] == ("sleep:shutdown", "delay")
        reader, writer = await connect(server)
        first = await read_json(reader)
        assert "pwr" not in first and first["ct"] == CT_BEFORE

        logind.manager.PrepareForSleep(True)
        going = await read_json(reader)  # pushed at once: the next poll is 30 s away
        assert going["pwr"] == "sleep"
        assert going["ct"] == first["ct"]  # the last readings, marked as going
        await until(lambda: logind.lock_released(0), "the delay lock released after the line")

        # While asleep, LHM comes back with other sensors (another capture).
        replay.load(CAPTURE_OHM_5900X)
        requests_before, peers_before = replay.requests, set(replay.peers)
        logind.manager.PrepareForSleep(False)
        awake = await read_json(reader)  # fresh, without waiting for the poll
        assert "pwr" not in awake
        assert replay.requests == requests_before + 1
        assert replay.peers[-1] not in peers_before  # a new HTTP session after the wake
        assert CT_AFTER != CT_BEFORE and awake["ct"] == CT_AFTER  # the new capture's CPU
        await until(lambda: len(logind.manager.inhibits) == 2, "a new delay lock after the wake")

        logind.manager.PrepareForShutdown(True)
        off = await read_json(reader)
        assert off["pwr"] == "off"
        await until(lambda: logind.lock_released(1), "the lock released before shutdown")
    finally:
        await server.stop()
    assert await asyncio.wait_for(reader.read(), TIMEOUT) == b""  # the link went after the line
    writer.close()


async def test_every_device_is_told_at_once(tmp_path, logind, replay, system_bus):  # noqa: F811
    server = await start_server(tmp_path, replay.url, system_bus)
    try:
        boards = [await connect(server) for _ in range(3)]
        for reader, _ in boards:
            assert "pwr" not in await read_json(reader)
        logind.manager.PrepareForSleep(True)
        lines = await asyncio.gather(*(read_json(reader) for reader, _ in boards))
        assert [line["pwr"] for line in lines] == ["sleep"] * 3
        # A board connecting while the PC is going hears it on its first line.
        late_reader, late_writer = await connect(server)
        assert (await read_json(late_reader))["pwr"] == "sleep"
        late_writer.close()
        for _, writer in boards:
            writer.close()
    finally:
        await server.stop()


async def test_night_and_idle_settings_on_the_first_line_only(
    tmp_path,
    logind,
    replay,
    system_bus,  # noqa: F811
):
    logind.session.idle_hint, logind.session.idle_since_us = True, int((NOW - 125) * 1e6)
    server = await start_server(
        tmp_path,
        replay.url,
        system_bus,
        night={"start": "22:30", "end": "06:45", "mode": "clock"},
        idle_dim_minutes=5,
        idle_blank_minutes=20,
    )
    try:
        await until(lambda: server.collector.current("user_idle") is not None, "the idle read")
        reader, writer = await connect(server)
        first = await read_json(reader)
        assert first["ngt"] == {"s": 22 * 60 + 30, "e": 6 * 60 + 45, "m": "clock"}
        assert first["idm"] == [300, 1200]
        logind.manager.PrepareForSleep(False)  # a wake: a fresh line at once
        second = await read_json(reader)
        assert "ngt" not in second and "idm" not in second
        assert second["uid"] == 125  # idle since NOW - 125 s, as the session says
        writer.close()
    finally:
        await server.stop()


async def test_no_system_bus_is_one_log_line_and_the_server_runs(tmp_path, replay, caplog):
    caplog.set_level(logging.INFO)
    missing = f"unix:path={tmp_path}/no_such_socket"
    server = await start_server(tmp_path, replay.url, missing)
    try:
        reader, writer = await connect(server)
        line = await read_json(reader)
        assert line["ct"] == CT_BEFORE and "uid" not in line and "pwr" not in line
        writer.close()
    finally:
        await server.stop()
    said = [r for r in caplog.records if "system bus" in r.getMessage()]
    assert len(said) == 1 and said[0].levelno == logging.WARNING  # power and uid: one line
    assert said[0].name == "nocturne.power" and "No power events" in said[0].getMessage()


async def test_the_nocturne_command_finds_the_system_bus_named_in_its_environment(
    tmp_path,
    logind,
    replay,
    system_bus,  # noqa: F811
    monkeypatch,
):
    """`nocturne --console` as a user runs it: the watcher on the default (system) bus, here
    the private one named by DBUS_SYSTEM_BUS_ADDRESS, as dbus tools read it."""
    monkeypatch.setenv("DBUS_SYSTEM_BUS_ADDRESS", system_bus)
    port = free_port()
    process = ServerProcess(write_config(tmp_path, port, replay.url, poll_interval=POLL))
    await process.start()
    try:
        await process.wait_for_log("Power events: logind on the system bus")
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"HELO\n")
        assert "pwr" not in await read_json(reader)
        logind.manager.PrepareForShutdown(True)
        assert (await read_json(reader))["pwr"] == "off"
        writer.close()
    finally:
        await process.stop()
