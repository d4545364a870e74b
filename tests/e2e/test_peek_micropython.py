"""Peek on real MicroPython: the board's files under the unix port (real sockets, its own
``framebuf`` and ``socket``) send their frame to a real DeviceServer on loopback (in this
process, with the web side's PeekHub), and the frame that arrives is the one on the board's
glass (the I2C bytes its SSD1306 driver wrote, decoded by the virtual SSD1306).

The heap figures are the board's own ``gc.mem_alloc`` around each tick (mp_board/
board_main.py): a frame goes out on the tick after the redraw that made it, a tick with no
line, no press and no new screen: an *idle* tick, which must allocate nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from nocturne_fw import scene_ids as ids

from nocturne.devices.server import DeviceServer
from nocturne.emulator.mp_runtime import MpDevice, micropython_command
from nocturne.emulator.realtime import Emulator
from nocturne.emulator.secrets_file import make_secrets
from nocturne.snapshot import Snapshot
from nocturne.web.peek import PeekHub

HEAP = 320 * 1024  # as test_micropython_runtime: the 64-bit port
POLL = 0.5  # s between lines


class Desk:
    def __init__(self, server: DeviceServer, hub: PeekHub, emu: Emulator, board: MpDevice):
        self.server, self.hub, self.emu, self.board = server, hub, emu, board

    async def until(self, cond, timeout: float, what: str) -> None:
        if not await self.emu.arun(timeout, until=cond):
            raise AssertionError(f"not within {timeout} s: {what} ({self.board.status()})")

    def device_id(self) -> int:
        return self.server.devices()[0].id

    def peeked_is_glass(self) -> bool:
        return self.hub.frame(self.device_id()) == self.board.panel.framebuffer()

    async def press(self) -> None:
        """The next scene (a short press, and a pause: presses back to back would merge)."""
        before = self.board.screen
        self.board.press()
        await self.until(lambda: not self.board.busy, 5, "button released")
        await self.emu.arun(0.1)
        assert self.board.screen != before, self.board.status()


@pytest.fixture
async def desk(tmp_path: Path) -> AsyncIterator[Desk]:
    micropython_command()  # a missing unix port is a failure naming the fix, not a skip
    server = DeviceServer("127.0.0.1", 0)
    await server.start()
    hub = PeekHub(server)

    async def lines() -> None:
        while True:
            server.publish(Snapshot())
            await asyncio.sleep(POLL)

    publisher = asyncio.create_task(lines())
    fs = tmp_path / "board"
    fs.mkdir()
    (fs / "settings.json").write_text(json.dumps({"carousel": False}))
    log = tmp_path / "board.log"
    emu = Emulator()
    with open(log, "wb") as out:
        board = MpDevice(
            "127.0.0.1",
            server.port,
            secrets=make_secrets("127.0.0.1", server.port),
            fs_dir=fs,
            heap=HEAP,
            log=out,
        )
        emu.add(board)
        d = Desk(server, hub, emu, board)
        try:
            await d.until(lambda: board.screen_name() == "HUB" and server.devices(), 30, "HUB")
            yield d
        finally:
            emu.close()
            publisher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await publisher
            await server.stop()
    text = log.read_text(errors="replace")
    assert "Traceback" not in text and "MemoryError" not in text, text[-3000:]


async def test_peeked_frames_are_the_glass_and_cost_no_heap(desk):
    dev = desk.device_id()
    assert desk.hub.watch("test", dev, True)
    await desk.until(desk.peeked_is_glass, 5, "the first frame, the glass's")
    assert desk.hub.supported(dev) is True
    for _ in range(ids.COUNT):  # warm-up: every scene drawn once (first draws may allocate)
        await desk.press()
    await desk.emu.arun(1.0)
    desk.board.reset_heap_figures()
    first = desk.hub.number(dev)
    shown = set()
    for _ in range(6):
        await desk.press()
        await desk.until(desk.peeked_is_glass, 5, f"{desk.board.screen_name()} peeked")
        shown.add(desk.board.screen_name())
    report = desk.board.heap_report()
    frames = desk.hub.number(dev) - first
    print(f"MicroPython unix port: {frames} frames peeked over {sorted(shown)}: {report}")
    assert frames >= 6 and len(shown) == 6
    assert report.idle_ticks > 50 and report.idle_allocating == 0, report


async def test_unwatched_board_stops_sending(desk):
    dev = desk.device_id()
    desk.hub.watch("test", dev, True)
    await desk.until(lambda: desk.hub.number(dev) > 0, 5, "a frame")
    desk.hub.watch("test", dev, False)
    await desk.emu.arun(2 * POLL)  # the line with pk 0 has reached the board
    stopped_at = desk.hub.number(dev)
    for _ in range(3):  # new pictures, none of them sent
        await desk.press()
    await desk.emu.arun(1.0)
    assert desk.hub.number(dev) == stopped_at
