"""An HTTP server that replays LibreHardwareMonitor ``data.json`` captures.

For tests, benchmarks and demos without Windows: ``python -m nocturne.devtools.lhm_replay
CAPTURE.json [--port 8085]``. In code, ``LhmReplay`` can switch captures, require a password,
go down, answer slowly or send a broken body, so every failure path can be exercised.

It answers like LibreHardwareMonitor's own web server (``HttpServer.cs``, ``SendJsonAsync``)
where that costs or matters: the body gzipped whenever the request's Accept-Encoding names
gzip (at zlib's level 6, what .NET's GZipStream uses by default), with Content-Length,
``Cache-Control: no-cache`` and ``Access-Control-Allow-Origin: *``; keep-alive as HttpListener
(http.sys) gives it: an HTTP/1.1 connection stays open for the next request, up to two idle
minutes, unless the request says ``Connection: close``; and a 401 page when Basic
authentication fails. ``--cpu`` prints the replay's own CPU time when it stops (Ctrl+C,
SIGTERM) and on SIGUSR1, so a bench can charge what LHM's web server would cost.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gzip
import os
import signal
import sys
import time
from pathlib import Path

from ..sources.lhm.client import basic_auth
from .http_replay import Handler, ReplayServer, web

GZIP_LEVEL = 6  # .NET's GZipStream at CompressionLevel.Optimal, as LHM creates it
KEEPALIVE_S = 120.0  # http.sys's default idle connection timeout (HttpListener)
UNAUTHORIZED_PAGE = "<HTML><HEAD><TITLE>401 Unauthorized</TITLE></HEAD><BODY>401</BODY></HTML>"


class LhmReplay(ReplayServer):
    """Serves ``/data.json`` from the current capture bytes."""

    keepalive_timeout = KEEPALIVE_S

    def __init__(
        self,
        body: bytes,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        user: str | None = None,
        password: str | None = None,
    ) -> None:
        self.body = body
        super().__init__(host, port)
        self.authorization = basic_auth(user, password or "") if user else None
        self.status = 200  # set to 503 etc. to fail
        self.delay = 0.0  # seconds before answering
        self.requests = 0
        self.gzipped = 0  # requests answered with a gzipped body
        self.connections: set[tuple[object, ...]] = set()  # client addresses seen

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/data.json"

    def load(self, path: Path | str) -> None:
        self.body = Path(path).read_bytes()

    async def _data(self, request: web.Request) -> web.StreamResponse:
        self.requests += 1
        peer = request.transport.get_extra_info("peername") if request.transport else None
        if peer is not None:
            self.connections.add(tuple(peer))
        given = request.headers.get("Authorization")
        if self.authorization is not None and given != self.authorization:
            return web.Response(
                status=401,
                headers={"WWW-Authenticate": 'Basic realm="Libre Hardware Monitor"'},
                text=UNAUTHORIZED_PAGE,
                content_type="text/html",
            )
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.status != 200:
            return web.Response(status=self.status, text="unavailable")
        headers = {"Cache-Control": "no-cache", "Access-Control-Allow-Origin": "*"}
        body = self.body
        if "gzip" in request.headers.get("Accept-Encoding", "").lower():
            body = gzip.compress(body, compresslevel=GZIP_LEVEL)
            headers["Content-Encoding"] = "gzip"
            self.gzipped += 1
        return web.Response(body=body, content_type="application/json", headers=headers)

    def routes(self) -> dict[str, Handler]:
        return {"/data.json": self._data}


def cpu_report(replay: LhmReplay, started: float) -> str:
    """This process's CPU time so far, for ``--cpu``: what LHM's web server would spend."""
    times = os.times()
    wall = time.monotonic() - started
    cpu = times.user + times.system
    share = cpu / wall * 100 if wall > 0 else float("nan")
    return (
        f"lhm_replay CPU: {cpu:.3f} s (user {times.user:.3f}, system {times.system:.3f}) over "
        f"{wall:.1f} s = {share:.3f} % of one core; {replay.requests} requests, "
        f"{replay.gzipped} gzipped, {len(replay.connections)} connections"
    )


async def _main(args: argparse.Namespace) -> None:
    started = time.monotonic()
    replay = LhmReplay(
        Path(args.capture).read_bytes(),
        host=args.host,
        port=args.port,
        user=args.user,
        password=args.password,
    )
    await replay.start()
    print(f"Replaying {args.capture} at {replay.url} (Ctrl+C stops)", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    if sys.platform != "win32":  # Windows: Ctrl+C (KeyboardInterrupt) is the way to stop
        loop.add_signal_handler(signal.SIGTERM, stop.set)
        loop.add_signal_handler(signal.SIGINT, stop.set)
        if args.cpu:
            report = lambda: print(cpu_report(replay, started), flush=True)  # noqa: E731
            loop.add_signal_handler(signal.SIGUSR1, report)
    try:
        await stop.wait()
    finally:
        await replay.stop()
        if args.cpu:
            print(cpu_report(replay, started), flush=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("capture", help="a data.json capture")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8085)
    parser.add_argument("--user")
    parser.add_argument("--password")
    parser.add_argument(
        "--cpu", action="store_true", help="print this process's CPU time at exit and on SIGUSR1"
    )
    args = parser.parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_main(args))


if __name__ == "__main__":
    main()
