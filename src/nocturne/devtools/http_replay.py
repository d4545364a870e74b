"""The small aiohttp server the replays share: routes in, a bound loopback port out."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class ReplayServer:
    """Serves GET ``routes`` on ``host``:``port`` (0: a free port, known after ``start``)."""

    keepalive_timeout = 75.0  # seconds an idle HTTP/1.1 connection stays open (aiohttp's)

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.host = host
        self.port = port
        self._runner: web.AppRunner | None = None

    def routes(self) -> dict[str, Handler]:
        raise NotImplementedError

    async def start(self) -> None:
        app = web.Application()
        for path, handler in self.routes().items():
            app.router.add_get(path, handler)
        # A short shutdown: a test stopping a replay mid-request must not wait for it.
        self._runner = web.AppRunner(
            app, access_log=None, shutdown_timeout=0.5, keepalive_timeout=self.keepalive_timeout
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        server = site._server  # the bound port when 0 was asked for
        if server is not None and server.sockets:
            self.port = server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
