"""The dashboard's scene editor (issue 24): a custom scene drawn by the firmware's own code.

- POST /api/scenes/preview ``{"scene": {"name", "layout", "slots"}}`` (a scene as config.json
  ``custom_scenes`` holds it): checked by the code that reads config.json (an error names the
  key, as PUT /api/config's do), its slots read from the latest poll (the live sensors), drawn
  by the firmware on an emulated board that never connects (scenes/render.py); answers the
  frame as a PNG (``?scale=N``, 4 by default), the slots' values in ``X-Slot-Values`` (JSON).

Saving is PUT /api/config with ``custom_scenes``: the same validation as config.json.
"""

from __future__ import annotations

import asyncio
import json
from typing import TYPE_CHECKING, Any

from aiohttp import web

from ..collect.collector import LHM, LOCAL
from ..collect.custom import CustomValues
from ..config.checks import Checker
from ..config.file import ConfigError
from ..config.scenes import parse_scene
from .api import error_key, errors, json_object

if TYPE_CHECKING:
    from ..scenes.render import SceneRenderer
    from .server import WebExporter

PREVIEW_ROUTE = "/api/scenes/preview"
DEFAULT_SCALE = 4


class _Previews:
    def __init__(self, exporter: WebExporter) -> None:
        self.exporter = exporter
        self._renderer: SceneRenderer | None = None
        self._one = asyncio.Lock()  # the emulated board draws one scene at a time

    async def preview(self, request: web.Request) -> web.StreamResponse:
        desk = self.exporter.desk
        if desk is None:
            raise web.HTTPServiceUnavailable(text="The dashboard is not attached to a server\n")
        body = await json_object(request)
        if body is None or "scene" not in body:
            return errors("", 'send {"scene": {"name": ..., "layout": ..., "slots": [...]}}')
        try:
            scene = parse_scene(Checker("the scene"), "scene", body["scene"])
        except ConfigError as exc:
            return errors(error_key(str(exc)), str(exc))
        collector = desk.collector
        lhm = collector.current(LHM)
        snapshot = collector.snapshot
        custom = CustomValues((scene,)).read(
            lhm, snapshot.hardware, collector.current(LOCAL), snapshot.ping_ms
        )
        assert custom is not None
        try:
            scale = max(1, min(int(request.query.get("scale", DEFAULT_SCALE)), 8))
        except ValueError:
            scale = DEFAULT_SCALE
        async with self._one:
            png = await asyncio.to_thread(self._draw, custom, scale)
        values = json.dumps(list(custom.values))
        return web.Response(
            body=png,
            content_type="image/png",
            headers={"Cache-Control": "no-store", "X-Slot-Values": values},
        )

    def _draw(self, custom: Any, scale: int) -> bytes:
        from ..scenes.render import SceneRenderer

        if self._renderer is None:
            self._renderer = SceneRenderer()
        return self._renderer.png(custom, 0, scale)

    async def close(self, app: web.Application) -> None:
        if self._renderer is not None:
            self._renderer.close()


def add_routes(app: web.Application, exporter: WebExporter) -> None:
    previews = _Previews(exporter)
    app.router.add_post(PREVIEW_ROUTE, previews.preview)
    app.on_cleanup.append(previews.close)
