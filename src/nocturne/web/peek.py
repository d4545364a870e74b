"""The boards' own frames (peek, PROTOCOL.md): who watches which board, each board's newest
frame, and ``GET /api/boards/{id}/frame.png``.

A board is asked for frames (``pk``) only while at least one watcher (a dashboard's
WebSocket, say) watches it, and told to stop when the last one goes: a closed dashboard
costs the boards and the server nothing. A board that has not answered ``ANSWER_S`` after
it was asked cannot peek (older firmware ignores ``pk``); one that sent a frame can.
Everything here runs on the event loop that runs the DeviceServer.
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import Callable, Hashable
from typing import TYPE_CHECKING

from aiohttp import web

from ..protocol import FRAME_BYTES

if TYPE_CHECKING:
    from ..server import DeviceServer

WIDTH = 128
HEIGHT = 64
PERIOD_MS = 250  # what a board is asked for: at most 4 frames a second
ANSWER_S = 3.0  # a board silent this long after it was asked cannot peek
MAX_SCALE = 8
FRAME_ROUTE = "/api/boards/{id}/frame.png"

Listener = Callable[[int, int], None]  # (device id, frame number) on each new frame


class PeekHub:
    """Watchers, asks and the newest frame per connected board (by DeviceServer id)."""

    def __init__(self, devices: DeviceServer) -> None:
        self.devices = devices
        self._watchers: dict[int, set[Hashable]] = {}
        self._asked_at: dict[int, float] = {}  # device id -> when frames were first asked
        self._frames: dict[int, bytes] = {}
        self._numbers: dict[int, int] = {}  # frames received per device
        self._listeners: list[Listener] = []
        devices.on_frame = self._on_frame

    # -- watching ---------------------------------------------------------------------

    def watch(self, device_id: int, watcher: Hashable) -> bool:
        """``watcher`` wants ``device_id``'s frames; False when no such board is connected."""
        watchers = self._watchers.setdefault(device_id, set())
        first = not watchers
        watchers.add(watcher)
        if first and not self.devices.peek(device_id, PERIOD_MS):
            del self._watchers[device_id]
            return False
        if first:
            self._asked_at.setdefault(device_id, asyncio.get_running_loop().time())
        return True

    def unwatch(self, device_id: int, watcher: Hashable) -> None:
        watchers = self._watchers.get(device_id)
        if watchers is None or watcher not in watchers:
            return
        watchers.discard(watcher)
        if not watchers:
            del self._watchers[device_id]
            self.devices.peek(device_id, 0)

    def unwatch_all(self, watcher: Hashable) -> None:
        """``watcher`` has gone (its WebSocket closed)."""
        for device_id in [d for d, w in self._watchers.items() if watcher in w]:
            self.unwatch(device_id, watcher)

    def watched(self, device_id: int) -> bool:
        return device_id in self._watchers

    # -- frames -------------------------------------------------------------------------

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener(device_id, number)`` on every new frame; returns the unsubscribe."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def frame(self, device_id: int) -> bytes | None:
        return self._frames.get(device_id)

    def number(self, device_id: int) -> int:
        """Frames received from ``device_id`` so far (0: none)."""
        return self._numbers.get(device_id, 0)

    def supported(self, device_id: int) -> bool | None:
        """True: the board sent a frame; False: asked ANSWER_S ago or more and silent (its
        firmware cannot peek); None: not known yet (never asked, or asked just now)."""
        if device_id in self._frames:
            return True
        asked = self._asked_at.get(device_id)
        if asked is None:
            return None
        return False if asyncio.get_running_loop().time() - asked >= ANSWER_S else None

    def _on_frame(self, device_id: int, frame: bytes | None) -> None:
        if frame is None:  # the board disconnected: its id is never used again
            self._frames.pop(device_id, None)
            self._numbers.pop(device_id, None)
            self._asked_at.pop(device_id, None)
            self._watchers.pop(device_id, None)
            return
        self._frames[device_id] = frame
        number = self._numbers[device_id] = self._numbers.get(device_id, 0) + 1
        for listener in list(self._listeners):
            listener(device_id, number)


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


def register(app: web.Application, devices: DeviceServer) -> PeekHub:
    """Add the frame route to ``app`` and hand it the hub (``app[HUB_KEY]``)."""
    hub = PeekHub(devices)
    app[HUB_KEY] = hub
    app.router.add_get(FRAME_ROUTE, frame_handler)
    return hub
