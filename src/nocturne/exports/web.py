"""The web endpoints: GET /metrics (Prometheus text format) and GET /api/snapshot (JSON);
GET /api/devices: the connected devices and the paired boards' names (never a token).

The stdlib WSGI server (wsgiref, the one prometheus_client serves with), in threads of its
own: no web framework in memory, and prometheus_client itself (~1.8 MB of RSS with the
urllib it imports) only from the first scrape of /metrics on. /metrics and /api/snapshot
answer from the latest Snapshot the collector handed over (immutable, so any thread may
read it), so a scrape never waits for a sensor; /api/devices reads the device table the
event loop owns, so it is built on the loop. A port that is taken costs one log line: the
devices are served all the same.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import selectors
import socket
import socketserver
import threading
from collections.abc import Callable, Iterable
from dataclasses import asdict
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer

import orjson

from ..config import WebSettings
from ..snapshot import Snapshot
from ..snapshot.fields import CELSIUS

log = logging.getLogger(__name__)

MAX_REQUESTS = 8  # request threads at once; a connection beyond them is closed at once
CLIENT_TIMEOUT = 5.0  # seconds a connection may stay silent before it is dropped
LOOP_TIMEOUT = 2.0  # seconds /api/devices waits for the event loop, then 503
METHODS = ("GET", "HEAD")
JSON = "application/json; charset=utf-8"
TEXT = "text/plain; charset=utf-8"

Response = tuple[str, list[tuple[str, str]], bytes]  # status line, headers, body
StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


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


def _text(status: str, message: str, *headers: tuple[str, str]) -> Response:
    return status, [("Content-Type", TEXT), *headers], f"{message}\n".encode()


class _QuietHandler(WSGIRequestHandler):
    """One request per connection, no access log on stderr, and a socket timeout so a
    client that connects and sends nothing does not hold a thread for ever."""

    def setup(self) -> None:
        self.timeout = CLIENT_TIMEOUT
        super().setup()

    def log_message(self, format: str, *args: Any) -> None:
        pass


class _Server(socketserver.ThreadingMixIn, WSGIServer):
    """A thread per request (daemon threads), at most MAX_REQUESTS of them."""

    daemon_threads = True
    request_queue_size = 32  # a burst of scrapes waits in the backlog, not in SYN retries

    def __init__(self, address: tuple[Any, ...], family: socket.AddressFamily) -> None:
        self.address_family = family  # AF_INET6 for "::1" or "::"
        self._slots = threading.BoundedSemaphore(MAX_REQUESTS)
        self._wake, self._waker = socket.socketpair()
        super().__init__(address, _QuietHandler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind asks socket.getfqdn, a reverse DNS lookup that can take
        # seconds, for a name only CGI scripts read.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]
        self.setup_environ()

    def serve(self) -> None:
        """Accept connections until ``stop_serving``. It waits in select with no timeout, so
        an idle server never wakes the CPU (serve_forever wakes twice a second)."""
        with selectors.DefaultSelector() as selector:
            selector.register(self, selectors.EVENT_READ)
            selector.register(self._wake, selectors.EVENT_READ)
            while all(key.fileobj is self for key, _ in selector.select()):
                self._handle_request_noblock()  # serve_forever's own step: accept, thread

    def stop_serving(self) -> None:
        self._waker.send(b"\0")

    def server_close(self) -> None:
        super().server_close()
        self._wake.close()
        self._waker.close()

    def process_request(self, request: Any, client_address: Any) -> None:
        if not self._slots.acquire(blocking=False):
            self.shutdown_request(request)  # a flood of connections spawns no threads
            return
        try:
            super().process_request(request, client_address)
        except BaseException:
            self._slots.release()
            raise

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._slots.release()

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that timed out or went away; socketserver would print a traceback.
        log.debug("Web: a request from %s failed", client_address[0], exc_info=True)


def _bind(host: str, port: int) -> _Server:
    family, _, _, _, address = socket.getaddrinfo(
        host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
    )[0]
    return _Server(address, family)


def _close(server: _Server, thread: threading.Thread) -> None:
    server.stop_serving()
    thread.join()
    server.server_close()


class WebExporter:
    """Serves /metrics, /api/snapshot and /api/devices; ``offer`` is the collector's (sync)
    callback."""

    def __init__(self, settings: WebSettings, *, weather_unit: str = CELSIUS) -> None:
        self.settings = settings
        self.snapshot = Snapshot()
        self.weather_unit = weather_unit
        self._metrics_app: WsgiApp | None = None  # prometheus_client's, from the first scrape
        self._metrics_lock = threading.Lock()
        self._routes: dict[str, Callable[[dict[str, Any]], Response]] = {
            "/metrics": self._metrics,
            "/api/snapshot": self._snapshot,
            "/api/devices": self._devices,
        }
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self.port: int | None = None  # the port it listens on, once started
        # GET /api/devices: the connected devices and paired boards (pairing_status.py);
        # called on the event loop, since it reads what the loop owns.
        self.devices_document: Callable[[], dict[str, Any]] | None = None

    def offer(self, snapshot: Snapshot) -> None:
        self.snapshot = snapshot

    @property
    def url(self) -> str:
        host = self.settings.host
        return f"http://[{host}]:{self.port}" if ":" in host else f"http://{host}:{self.port}"

    def app(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        """The WSGI application (runs in a request thread)."""
        method, path = environ["REQUEST_METHOD"], environ.get("PATH_INFO", "")
        route = self._routes.get(path)
        if route is None:
            paths = ", ".join(self._routes)
            response = _text("404 Not Found", f"Not found: the paths are {paths}")
        elif method not in METHODS:
            allow = ("Allow", ", ".join(METHODS))
            response = _text("405 Method Not Allowed", f"{path} takes GET or HEAD", allow)
        else:
            try:
                response = route(environ)
            except Exception:
                log.exception("Web: GET %s failed", path)
                response = _text("500 Internal Server Error", "The server's log says why")
        status, headers, body = response
        start_response(status, [*headers, ("Content-Length", str(len(body)))])
        return [] if method == "HEAD" else [body]

    def _metrics(self, environ: dict[str, Any]) -> Response:
        started: list[tuple[str, list[tuple[str, str]]]] = []

        def start_response(status: str, headers: list[tuple[str, str]], *_: Any) -> None:
            started.append((status, headers))

        # As GET: prometheus_client's app answers HEAD with 405.
        app = self._metrics_app or self._load_metrics_app()
        body = b"".join(app({**environ, "REQUEST_METHOD": "GET"}, start_response))
        status, headers = started[0]
        return status, list(headers), body

    def _load_metrics_app(self) -> WsgiApp:
        """prometheus_client's WSGI app over the snapshot's registry (it picks the format
        from the Accept header, gzips when asked and filters by ``name[]``)."""
        with self._metrics_lock:  # two first scrapes at once build it once
            if self._metrics_app is None:
                from prometheus_client import make_wsgi_app

                from .metrics import metrics_registry

                registry = metrics_registry(lambda: self.snapshot, weather_unit=self.weather_unit)
                self._metrics_app = make_wsgi_app(registry)
            return self._metrics_app

    def _snapshot(self, environ: dict[str, Any]) -> Response:
        return "200 OK", [("Content-Type", JSON)], orjson.dumps(snapshot_document(self.snapshot))

    def _devices(self, environ: dict[str, Any]) -> Response:
        build = self.devices_document
        if build is None:
            return "200 OK", [("Content-Type", JSON)], b"{}"
        done = self._on_loop(build)
        if done is None:
            busy = "The server is busy (its event loop did not answer): try again"
            return _text("503 Service Unavailable", busy)
        return "200 OK", [("Content-Type", JSON)], orjson.dumps(done.result())

    def _on_loop(self, build: Callable[[], Any]) -> concurrent.futures.Future[Any] | None:
        """``build()`` run on the event loop, done; None when the loop did not answer in
        LOOP_TIMEOUT (busy, or stopped)."""
        future: concurrent.futures.Future[Any] = concurrent.futures.Future()

        def run() -> None:
            if not future.set_running_or_notify_cancel():
                return  # the request gave up waiting
            try:
                future.set_result(build())
            except BaseException as exc:
                future.set_exception(exc)

        if self._loop is None:
            return None
        try:
            self._loop.call_soon_threadsafe(run)
        except RuntimeError:  # the loop is closed: the server is stopping
            return None
        if not concurrent.futures.wait([future], timeout=LOOP_TIMEOUT).done:
            future.cancel()  # run() will not build it after all
            return None
        return future

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        host, port = self.settings.host, self.settings.port
        try:
            server = await asyncio.to_thread(_bind, host, port)  # a host name is looked up
        except OSError as exc:
            log.error(
                "Web: cannot listen on %s:%d (%s): no /metrics or /api/snapshot; set another "
                "'web' port in config.json, or \"web\": null",
                host,
                port,
                exc.strerror or exc,
            )
            return
        server.set_app(self.app)
        self._server = server
        self.port = server.server_address[1]
        self._thread = threading.Thread(target=server.serve, name="web", daemon=True)
        self._thread.start()
        log.info("Web: Prometheus metrics at %s/metrics, the snapshot at /api/snapshot", self.url)

    async def stop(self) -> None:
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is not None and thread is not None:
            await asyncio.to_thread(_close, server, thread)
