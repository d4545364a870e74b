"""The boards' own frames (peek, PROTOCOL.md): who watches which board, each board's newest
frame, and ``GET /api/boards/{id}/frame.png``.

A board is asked for frames (``pk``) only while at least one watcher (a dashboard's
WebSocket) watches it, and told to stop when the last one goes: a closed dashboard costs
the boards and the server nothing. Each new frame is announced to the board's watchers on
their stream as ``{"type": "frame", "board": id, "n": number, "peek": true}``; the page
then fetches the PNG. A board that has not answered ``ANSWER_S`` after it was asked cannot
peek (older firmware ignores ``pk``): its watchers get ``{"type": "frame", "board": id,
"n": 0, "peek": false}``. Everything here runs on the event loop of the DeviceServer.
"""

from __future__ import annotations

import asyncio
import io
import logging
from collections.abc import Awaitable, Callable, Hashable
from typing import TYPE_CHECKING, Any

from aiohttp import web

from ..wire.protocol import FRAME_BYTES

if TYPE_CHECKING:
    from ..devices.server import DeviceServer

log = logging.getLogger("nocturne.web")

WIDTH = 128
HEIGHT = 64
PERIOD_MS = 250  # what a board is asked for: at most 4 frames a second
ANSWER_S = 3.0  # a board silent this long after it was asked cannot peek
MAX_SCALE = 8
FRAME_ROUTE = "/api/boards/{id:[0-9]+}/frame.png"

Send = Callable[[Any, dict[str, Any]], Awaitable[None]]  # one message to one watcher


class PeekHub:
    """Watchers, asks and the newest frame per connected board (by DeviceServer id).

    ``send(watcher, message)``: how a message reaches a watcher (the stream's)."""

    def __init__(self, devices: DeviceServer | None, send: Send | None = None) -> None:
        self.devices = devices
        self.send = send
        self._watchers: dict[int, set[Hashable]] = {}
        self._asked_at: dict[int, float] = {}  # device id -> when frames were first asked
        self._frames: dict[int, bytes] = {}
        self._numbers: dict[int, int] = {}  # frames received per device
        self._sending: set[asyncio.Task[None]] = set()
        if devices is not None:
            devices.on_frame = self._on_frame

    # -- watching (the stream's {"type": "peek", "board": id, "on": bool}) --------------

    def watch(self, watcher: Hashable, board: int, on: bool) -> bool:
        """``watcher`` starts (``on``) or stops watching ``board``; False when no such board
        is connected."""
        if not on:
            self._unwatch(board, watcher)
            return True
        if self.devices is None:
            return False
        watchers = self._watchers.setdefault(board, set())
        first = not watchers
        watchers.add(watcher)
        if first:
            if not self.devices.peek(board, PERIOD_MS):
                del self._watchers[board]
                return False
            loop = asyncio.get_running_loop()
            if board not in self._asked_at:
                self._asked_at[board] = loop.time()
                loop.call_later(ANSWER_S, self._check_answer, board)
        if board in self._frames:
            self._tell(watcher, board, True)  # the frame it has not seen yet
        return True

    def forget(self, watcher: Hashable) -> None:
        """``watcher`` has gone (its WebSocket closed): it watches nothing any more."""
        for board in [b for b, w in self._watchers.items() if watcher in w]:
            self._unwatch(board, watcher)

    def watched(self, board: int) -> bool:
        return board in self._watchers

    def _unwatch(self, board: int, watcher: Hashable) -> None:
        watchers = self._watchers.get(board)
        if watchers is None or watcher not in watchers:
            return
        watchers.discard(watcher)
        if not watchers:
            del self._watchers[board]
            if self.devices is not None:
                self.devices.peek(board, 0)

    # -- frames -------------------------------------------------------------------------

    def frame(self, board: int) -> bytes | None:
        return self._frames.get(board)

    def number(self, board: int) -> int:
        """Frames received from ``board`` so far (0: none)."""
        return self._numbers.get(board, 0)

    def supported(self, board: int) -> bool | None:
        """True: the board sent a frame; False: asked ANSWER_S ago or more and silent (its
        firmware cannot peek); None: not known yet (never asked, or asked just now)."""
        if board in self._frames:
            return True
        asked = self._asked_at.get(board)
        if asked is None:
            return None
        return False if asyncio.get_running_loop().time() - asked >= ANSWER_S else None

    def _on_frame(self, board: int, frame: bytes | None) -> None:
        if frame is None:  # the board disconnected: its id is never used again
            self._frames.pop(board, None)
            self._numbers.pop(board, None)
            self._asked_at.pop(board, None)
            self._watchers.pop(board, None)
            return
        self._frames[board] = frame
        self._numbers[board] = self._numbers.get(board, 0) + 1
        for watcher in self._watchers.get(board, ()):
            self._tell(watcher, board, True)

    def _check_answer(self, board: int) -> None:
        if self.supported(board) is False:
            log.info("Web: board %d sent no frame when asked: its firmware cannot peek", board)
            for watcher in self._watchers.get(board, ()):
                self._tell(watcher, board, False)

    def _tell(self, watcher: Hashable, board: int, peek: bool) -> None:
        if self.send is None:
            return
        message = {"type": "frame", "board": board, "n": self.number(board), "peek": peek}
        task = asyncio.get_running_loop().create_task(self.send(watcher, message))
        self._sending.add(task)
        task.add_done_callback(self._sending.discard)


def frame_png(frame: bytes, scale: int = 1) -> bytes:
    """A 1-bit PNG of a MONO_VLSB frame (8 pages of 128 columns, each byte a column of 8
    pixels, LSB on top), ``scale`` times 128 x 64."""
    from PIL import Image

    if len(frame) != FRAME_BYTES:
        raise ValueError(f"a frame is {FRAME_BYTES} bytes, not {len(frame)}")
    # Each byte read as a row of 8 pixels, LSB first: row = page * 128 + column, x = bit.
    columns = Image.frombytes("1", (8, FRAME_BYTES), frame, "raw", "1;R")
    strip = columns.transpose(Image.Transpose.TRANSPOSE)  # x = page * 128 + column, y = bit
    image = Image.new("1", (WIDTH, HEIGHT))
    for page in range(HEIGHT // 8):
        image.paste(strip.crop((page * WIDTH, 0, (page + 1) * WIDTH, 8)), (0, page * 8))
    if scale != 1:
        image = image.resize((WIDTH * scale, HEIGHT * scale), Image.Resampling.NEAREST)
    out = io.BytesIO()
    image.save(out, "PNG", optimize=False)
    return out.getvalue()


HUB_KEY = web.AppKey("peek_hub", PeekHub)


async def frame_handler(request: web.Request) -> web.Response:
    """``GET /api/boards/{id}/frame.png[?scale=N]``: the board's newest peeked frame; 404
    when the board is not connected or has sent none (watch it first)."""
    hub = request.app[HUB_KEY]
    try:
        device_id = int(request.match_info["id"])
        scale = int(request.query.get("scale", "1"))
    except ValueError:
        raise web.HTTPBadRequest(text="id and scale are integers\n") from None
    if not 1 <= scale <= MAX_SCALE:
        raise web.HTTPBadRequest(text=f"scale is 1 to {MAX_SCALE}\n")
    frame = hub.frame(device_id)
    if frame is None:
        raise web.HTTPNotFound(text="no frame from that board (is it watched?)\n")
    return web.Response(
        body=frame_png(frame, scale),
        content_type="image/png",
        headers={"Cache-Control": "no-store", "X-Frame-Number": str(hub.number(device_id))},
    )


def register(app: web.Application, exporter: Any) -> PeekHub:
    """Add the frame route to ``app`` and the hub to ``exporter`` (a web.server.WebExporter:
    its ``desk.devices`` asked for frames, its ``stream`` carrying the news to the pages)."""
    desk, stream = getattr(exporter, "desk", None), getattr(exporter, "stream", None)
    hub = PeekHub(desk.devices if desk is not None else None, stream.send if stream else None)
    exporter.peek = hub
    if desk is not None:
        desk.peek = hub  # GET /api/boards says which boards can peek
    app[HUB_KEY] = hub
    app.router.add_get(FRAME_ROUTE, frame_handler)
    return hub
