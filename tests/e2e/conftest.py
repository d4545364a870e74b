"""End-to-end rig: replayed LHM capture (aiohttp, in this process) → a real
`nocturne --console` process → emulated boards running the unchanged firmware (in this
process, ticked in real time between the event loop's other work). Loopback only."""

from __future__ import annotations

import asyncio
import contextlib
import json
import types
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from nocturne.devtools.lhm_replay import LhmReplay
from nocturne.emulator.device import Device
from nocturne.emulator.firmware_loader import install_paths
from nocturne.emulator.realtime import Emulator
from tests.harness.rig import CaptureEditor, ServerProcess, free_port, write_config

from ..conftest import CAPTURE_0_9_6

install_paths()

from nocturne_fw import clock, scene_ids  # noqa: E402  (the firmware, from firmware/)

POLL = 0.5  # server poll interval in these tests (s)


class Rig:
    def __init__(self, tmp_path: Path, replay: LhmReplay, server: ServerProcess, port: int):
        self.tmp_path = tmp_path
        self.replay = replay
        self.server = server
        self.port = port
        self.capture = CaptureEditor(replay.body)
        self.emu = Emulator()
        self._boards = 0

    def device(self, carousel: bool = False, **kw: Any) -> Device:
        """A new board, carousel off unless asked (tests move it with the button)."""
        fs = self.tmp_path / f"board{self._boards}"
        fs.mkdir()
        (fs / "settings.json").write_text(json.dumps({"carousel": carousel}))
        self._boards += 1
        kw.setdefault("name", f"board{self._boards}")
        return self.emu.add(Device("127.0.0.1", self.port, fs_dir=fs, **kw))

    def publish(self) -> None:
        """Serve the edited capture from now on."""
        self.replay.body = self.capture.body()

    async def until(self, cond: Callable[[], bool], timeout: float, what: str) -> float:
        """Tick every board until ``cond()``; return the seconds it took (fail after timeout)."""
        loop = asyncio.get_running_loop()
        t0 = loop.time()
        if not await self.emu.arun(timeout, until=cond):
            states = "; ".join(f"{d.name}: {d.status()}" for d in self.emu.devices)
            raise AssertionError(f"not within {timeout} s: {what} ({states})")
        return loop.time() - t0

    async def wait_log(self, text: str, timeout: float = 10.0) -> None:
        """Tick the boards until the server logs ``text``."""
        await self.until(lambda: text in self.server.log(), timeout, f"server log {text!r}")

    async def run(self, seconds: float) -> None:
        await self.emu.arun(seconds)

    async def goto(self, dev: Device, name: str, timeout: float = 10.0) -> None:
        """Press the PRG button until the board shows scene ``name``."""
        for _ in range(scene_ids.COUNT):
            if dev.screen_name() == name:
                return
            dev.press()
            await self.until(lambda: not dev.busy, timeout, "button released")
            await self.run(0.05)
        assert dev.screen_name() == name, dev.status()


@contextlib.asynccontextmanager
async def started_rig(tmp_path: Path, poll_interval: float = POLL) -> AsyncIterator[Rig]:
    """A real server (its own process) on an LHM replay of the 0.9.6 capture; every board
    added is closed, the server stopped and its log checked on the way out."""
    replay = LhmReplay(CAPTURE_0_9_6.read_bytes())
    await replay.start()
    port = free_port()
    server = ServerProcess(write_config(tmp_path, port, replay.url, poll_interval=poll_interval))
    await server.start()
    r = Rig(tmp_path, replay, server, port)
    try:
        yield r
    finally:
        r.emu.close()
        code = await server.stop()
        await replay.stop()
    log = server.log()
    assert "Traceback" not in log, log
    assert code in (0, None, -9), log


@pytest.fixture
async def rig(tmp_path: Path) -> AsyncIterator[Rig]:
    clock.set_source(None)  # the real clock
    async with started_rig(tmp_path) as r:
        yield r


def wire_line(raw: bytes) -> dict[str, Any]:
    assert raw.endswith(b"\n") and len(raw) <= 4096, raw[:100]
    return json.loads(raw)


async def read_server_lines(port: int, count: int, hello: bytes | None = None) -> list:
    """``count`` lines as a plain client sees them (by default: one that shows HUB)."""
    if hello is None:
        hello = b"HELO\nscreen:%d\n" % scene_ids.HUB
    reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), 10)
    writer.write(hello)
    try:
        return [wire_line(await asyncio.wait_for(reader.readline(), 10)) for _ in range(count)]
    finally:
        writer.close()


ns = types.SimpleNamespace
