"""The dashboard in a real browser: Debian's chromium, headless, driven by playwright-core
(tests/browser/driver.mjs, one JSON command a line) against the real server (``nocturne
--console`` in its own process) on an LHM replay, with an emulated board (the unchanged
firmware in this process, ticked in real time while the browser works). Loopback only."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
from collections.abc import AsyncIterator
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

from nocturne_fw import clock  # noqa: E402  (the firmware, from firmware/)

HERE = Path(__file__).resolve().parent
CHROMIUM = "/usr/bin/chromium"
POLL = 0.5  # the server's poll interval in these tests (s)
ANSWER_S = 30.0  # the most one browser command may take (a page load on a busy machine)


class BrowserError(AssertionError):
    pass


class Browser:
    """One headless chromium page; each method is one command to driver.mjs."""

    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc

    @classmethod
    async def launch(cls) -> Browser:
        node = shutil.which("node")
        if node is None or not (HERE / "node_modules" / "playwright-core").is_dir():
            raise BrowserError("run ./test.sh once: it installs node and tests/browser's npm")
        if not os.access(CHROMIUM, os.X_OK):
            raise BrowserError(f"{CHROMIUM} is missing: apt-get install chromium (./test.sh)")
        proc = await asyncio.create_subprocess_exec(
            node,
            str(HERE / "driver.mjs"),
            cwd=HERE,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            env={**os.environ, "CHROMIUM": CHROMIUM},
            limit=16 * 1024 * 1024,
        )
        return cls(proc)

    async def command(self, op: str, **args: Any) -> Any:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(json.dumps({"op": op, **args}).encode() + b"\n")
        await self.proc.stdin.drain()
        line = await asyncio.wait_for(self.proc.stdout.readline(), ANSWER_S)
        if not line:
            raise BrowserError(f"the browser driver exited ({await self.proc.wait()})")
        answer = json.loads(line)
        if not answer["ok"]:
            raise BrowserError(f"{op} {args}: {answer['error']}")
        return answer["value"]

    async def goto(self, url: str) -> None:
        await self.command("goto", url=url)

    async def eval(self, fn: str, arg: Any = None) -> Any:
        return await self.command("eval", fn=fn, arg=arg)

    async def wait(self, fn: str, arg: Any = None, timeout: float = 5.0) -> Any:
        """Poll ``fn(arg)`` in the page every 50 ms until truthy (its value), for at most
        ``timeout`` seconds (then BrowserError)."""
        return await self.command("wait", fn=fn, arg=arg, timeout=int(timeout * 1000))

    async def close(self) -> None:
        if self.proc.returncode is None:
            with contextlib.suppress(Exception):
                assert self.proc.stdin is not None
                self.proc.stdin.write(b'{"op": "close"}\n')
                await self.proc.stdin.drain()
            try:
                await asyncio.wait_for(self.proc.wait(), 10)
            except asyncio.TimeoutError:
                self.proc.kill()
                await self.proc.wait()


class Dashboard:
    def __init__(
        self, tmp_path: Path, replay: LhmReplay, server: ServerProcess, url: str, board: Device
    ) -> None:
        self.tmp_path = tmp_path
        self.replay = replay
        self.server = server
        self.url = url
        self.board = board
        self.capture = CaptureEditor(replay.body)
        self.config_path = server.config

    def publish(self) -> None:
        """Serve the edited capture from now on."""
        self.replay.body = self.capture.body()


@contextlib.asynccontextmanager
async def started_dashboard(tmp_path: Path, **config: Any) -> AsyncIterator[Dashboard]:
    """The server (``config``: more config.json keys), the replay, the emulated board."""
    replay = LhmReplay(CAPTURE_0_9_6.read_bytes())
    await replay.start()
    port, web_port = free_port(), free_port()
    config = write_config(
        tmp_path,
        port,
        replay.url,
        poll_interval=POLL,
        web={"host": "127.0.0.1", "port": web_port},
        **config,
    )
    os.chmod(config, 0o600)
    server = ServerProcess(config)
    emu = Emulator()
    ticking: asyncio.Task[bool] | None = None
    try:
        await server.start()
        await server.wait_for_log("Web: the dashboard at")
        fs = tmp_path / "board"
        fs.mkdir()
        (fs / "settings.json").write_text(json.dumps({"carousel": False}))
        board = emu.add(Device("127.0.0.1", port, fs_dir=fs, name="board"))
        ticking = asyncio.create_task(emu.arun())  # the board runs while the browser works
        yield Dashboard(tmp_path, replay, server, f"http://127.0.0.1:{web_port}/", board)
    finally:
        emu.stop()
        if ticking is not None:
            await ticking
        emu.close()
        code = await server.stop()
        await replay.stop()
    log = server.log()
    assert "Traceback" not in log, log
    assert code in (0, None), log


@pytest.fixture
async def dashboard(tmp_path: Path) -> AsyncIterator[Dashboard]:
    clock.set_source(None)  # the real clock
    async with started_dashboard(tmp_path) as d:
        yield d


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    b = await Browser.launch()
    try:
        yield b
        assert await b.command("problems") == [], "the page logged errors"
    finally:
        await b.close()


def artifacts() -> Path:
    """Where screenshots go for people to look at (test.sh sets NOCTURNE_ARTIFACTS)."""
    path = Path(os.environ.get("NOCTURNE_ARTIFACTS", HERE.parent.parent / ".artifacts"))
    path.mkdir(parents=True, exist_ok=True)
    return path
