"""The web endpoints: GET /metrics (Prometheus text format) and GET /api/snapshot (JSON);
GET /api/devices: the connected devices and the paired boards' names (never a token).

A small aiohttp app of its own on the server's event loop. Both endpoints answer from the
latest Snapshot the collector handed over, so a scrape never waits for a sensor. A port that
is taken costs one log line: the devices are served all the same.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import asdict
from typing import Any

import orjson
from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from ..config import WebSettings
from ..fields import CELSIUS
from ..snapshot import Snapshot
from .metrics import metrics_registry

log = logging.getLogger(__name__)


def snapshot_document(snapshot: Snapshot) -> dict[str, Any]:
    """The Snapshot as JSON: every field by name, ``null`` where unknown (never 0).

    The cover art (bytes) is left out and the monotonic ``taken_at`` too: neither means
    anything to another program.
    """
    document = asdict(snapshot)
    document.pop("taken_at", None)
    if document.get("media") is not None:
        document["media"].pop("cover", None)
    return document


class WebExporter:
    """Serves /metrics and /api/snapshot; ``offer`` is the collector's (sync) callback."""

    def __init__(self, settings: WebSettings, *, weather_unit: str = CELSIUS) -> None:
        self.settings = settings
        self.snapshot = Snapshot()
        self.registry = metrics_registry(lambda: self.snapshot, weather_unit=weather_unit)
        self._runner: web.AppRunner | None = None
        self.port: int | None = None  # the port it listens on, once started
        # GET /api/devices: the connected devices and paired boards (pairing_status.py)
        self.devices_document: Callable[[], dict[str, Any]] | None = None

    def offer(self, snapshot: Snapshot) -> None:
        self.snapshot = snapshot

    @property
    def url(self) -> str:
        return f"http://{self.settings.host}:{self.port}"

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/metrics", self._metrics)
        app.router.add_get("/api/snapshot", self._snapshot)
        app.router.add_get("/api/devices", self._devices)
        return app

    async def _metrics(self, request: web.Request) -> web.Response:
        response = web.Response(body=generate_latest(self.registry))
        response.headers["Content-Type"] = CONTENT_TYPE_LATEST
        return response

    async def _snapshot(self, request: web.Request) -> web.Response:
        body = orjson.dumps(snapshot_document(self.snapshot))
        return web.Response(body=body, content_type="application/json", charset="utf-8")

    async def _devices(self, request: web.Request) -> web.Response:
        document = self.devices_document() if self.devices_document is not None else {}
        return web.Response(
            body=orjson.dumps(document), content_type="application/json", charset="utf-8"
        )

    async def start(self) -> None:
        runner = web.AppRunner(self.app(), access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, self.settings.host, self.settings.port)
        try:
            await site.start()
        except OSError as exc:
            await runner.cleanup()
            log.error(
                "Web: cannot listen on %s:%d (%s): no /metrics or /api/snapshot; set another "
                "'web' port in config.json, or \"web\": null",
                self.settings.host,
                self.settings.port,
                exc.strerror or exc,
            )
            return
        self._runner = runner
        self.port = runner.addresses[0][1] if runner.addresses else self.settings.port
        log.info("Web: Prometheus metrics at %s/metrics, the snapshot at /api/snapshot", self.url)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
