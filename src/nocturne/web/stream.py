"""GET /api/stream: the dashboard's WebSocket, JSON text messages.

Server → page:

- ``{"type": "sensors", "full": true|false, "sensors": [{id, name, value, unit, field}]}``
  after each poll: the whole list first, then only the sensors whose value or field changed;
- ``{"type": "boards", "boards": [...]}`` (GET /api/boards' list) first and on each change;
- ``{"type": "health", ...}`` (GET /api/health's document) first and every few seconds.

Page → server: ``{"type": "peek", "board": id, "on": true|false}``, passed to the peek
module (peek.py: ``exporter.peek.watch(ws, board, on)``; ``forget(ws)`` when the socket
closes); the peek module sends on the same sockets with :meth:`Stream.send`.

With no page open nothing is built: the collector's callback returns at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import TYPE_CHECKING, Any

import orjson
from aiohttp import WSMsgType, web

from ..safe_text import printable
from ..sources.cost import COSTS
from .api import boards_document, sensors_document
from .health import WINDOW
from .server import WEB_COST

if TYPE_CHECKING:
    from .server import WebExporter

log = logging.getLogger("nocturne.web")

SEND_TIMEOUT = 5.0  # seconds a page may take to take one message before it is dropped
MAX_MESSAGE = 4096  # bytes of a message from the page
CLOSE_TIMEOUT = 1.0  # seconds a closing WebSocket waits for the page's close


class Stream:
    def __init__(self, exporter: WebExporter) -> None:
        self.exporter = exporter
        self.clients: set[web.WebSocketResponse] = set()
        self._sent_sensors: dict[str, tuple[Any, Any]] = {}  # id -> (value, field) last sent
        self._sent_boards: list[dict[str, Any]] | None = None
        self._health_at = 0.0
        self._task: asyncio.Task[None] | None = None

    def poll(self) -> None:
        """A new snapshot (the collector's callback): send what changed, if anyone watches."""
        if not self.clients or (self._task is not None and not self._task.done()):
            return
        self._task = asyncio.get_running_loop().create_task(self._metered_broadcast())

    async def _metered_broadcast(self) -> None:
        await COSTS.metered(WEB_COST, self._broadcast())

    async def _broadcast(self) -> None:
        desk = self.exporter.desk
        if desk is None:
            return
        messages = []
        sensors = sensors_document(desk)
        changed = [
            s for s in sensors if self._sent_sensors.get(s["id"]) != (s["value"], s["field"])
        ]
        self._sent_sensors = {s["id"]: (s["value"], s["field"]) for s in sensors}
        if changed:
            messages.append({"type": "sensors", "full": False, "sensors": changed})
        boards = boards_document(desk)
        if boards != self._sent_boards:
            self._sent_boards = boards
            messages.append({"type": "boards", "boards": boards})
        if time.monotonic() - self._health_at >= WINDOW:
            self._health_at = time.monotonic()
            messages.append({"type": "health", **self.exporter.health()})
        for document in messages:
            text = orjson.dumps(document).decode()
            await asyncio.gather(*(self._send_text(ws, text) for ws in list(self.clients)))

    async def send(self, ws: web.WebSocketResponse, document: dict[str, Any]) -> None:
        """One message to one page (dropped, and the page closed, when it does not take it)."""
        await self._send_text(ws, orjson.dumps(document).decode())

    async def _send_text(self, ws: web.WebSocketResponse, text: str) -> None:
        try:
            await asyncio.wait_for(ws.send_str(text), SEND_TIMEOUT)
        except (asyncio.TimeoutError, ConnectionError, RuntimeError):
            self.clients.discard(ws)
            with contextlib.suppress(Exception):
                await ws.close()

    async def handle(self, request: web.Request) -> web.StreamResponse:
        # timeout: how long a close waits for the page's answer (a stop must not hang on one);
        # no compression: the messages are small, deflating each costs CPU on every poll
        ws = web.WebSocketResponse(
            max_msg_size=MAX_MESSAGE, autoping=True, timeout=CLOSE_TIMEOUT, compress=False
        )
        await ws.prepare(request)
        desk = self.exporter.desk
        if desk is not None:
            sensors = sensors_document(desk)
            first = [
                {"type": "sensors", "full": True, "sensors": sensors},
                {"type": "boards", "boards": boards_document(desk)},
                {"type": "health", **self.exporter.health()},
            ]
            if not self.clients:  # the first page: what later messages are relative to
                self._sent_sensors = {s["id"]: (s["value"], s["field"]) for s in sensors}
                self._sent_boards = first[1]["boards"]
            for document in first:
                await self.send(ws, document)
        self.clients.add(ws)
        try:
            async for message in ws:
                if message.type == WSMsgType.TEXT:
                    self._from_page(ws, message.data)
        finally:
            self.clients.discard(ws)
            peek = getattr(self.exporter, "peek", None)
            if peek is not None:
                peek.forget(ws)
        return ws

    def _from_page(self, ws: web.WebSocketResponse, data: str) -> None:
        try:
            message = orjson.loads(data)
        except orjson.JSONDecodeError:
            message = None
        if not isinstance(message, dict) or message.get("type") != "peek":
            log.debug("Web: ignored a stream message: %s", printable(str(data)[:80]))
            return
        board, on = message.get("board"), message.get("on")
        peek = getattr(self.exporter, "peek", None)
        if isinstance(board, int) and isinstance(on, bool) and peek is not None:
            peek.watch(ws, board, on)

    async def close_all(self, app: web.Application) -> None:
        for ws in list(self.clients):
            with contextlib.suppress(Exception):
                await ws.close(code=1001, message=b"server stopping")
        self.clients.clear()
