"""The web endpoint (aiohttp.web): the dashboard, its API and WebSocket, and /metrics.

GET /metrics (Prometheus, through ``prometheus_client.aiohttp``), GET /api/snapshot (JSON)
and GET /api/devices answer from the latest Snapshot and the device table, on the event
loop; the dashboard's API is in api.py, its stream in stream.py, who may use it in
security.py, and the limits on connections in guard.py. prometheus_client (~1.8 MB RSS)
is imported from the first scrape on. A port that is taken costs one log line: the devices
are served all the same.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import Awaitable, Callable
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson
from aiohttp import web

from ..config.model import WebSettings
from ..devices.discovery import pc_name
from ..rate_limited_log import RateLimitedWarning
from ..safe_text import printable
from ..snapshot import Snapshot
from ..snapshot.fields import CELSIUS
from ..sources.cost import COSTS
from . import page, security
from .guard import Guard
from .security import Sessions

if TYPE_CHECKING:
    from .api import Desk
    from .stream import Stream

log = logging.getLogger("nocturne.web")

JSON = "application/json; charset=utf-8"
STATIC = Path(__file__).with_name("static")  # the page (HTML, CSS, JS), shipped in the wheel
KEEPALIVE = 15.0  # seconds an idle kept-alive connection stays (guard.py closes it sooner)
WEB_COST = "web"  # the CostMeter name the web's own handlers are charged to
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
# aiohttp logs a malformed request (no Host, a bad header) with a traceback: a client's
# fault, not ours, and a flood of them would flood the log. Debug only (the handlers' own
# errors are logged by the middleware).
PROTOCOL_LOG = logging.getLogger("nocturne.web.protocol")
PROTOCOL_LOG.addFilter(lambda record: PROTOCOL_LOG.isEnabledFor(logging.DEBUG))


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


def json_response(document: Any, status: int = 200) -> web.Response:
    return web.Response(body=orjson.dumps(document), status=status, content_type=None,
                        headers={"Content-Type": JSON})  # fmt: skip


def text_response(status: int, message: str, **headers: str) -> web.Response:
    return web.Response(status=status, text=f"{message}\n", headers=headers)


def _this_pcs_addresses() -> list[str]:
    """Every address of this PC (a wildcard bind answers on each)."""
    import ifaddr

    out = []
    for adapter in ifaddr.get_adapters():
        for ip in adapter.ips:
            out.append(ip.ip if isinstance(ip.ip, str) else ip.ip[0])
    return out


class WebExporter:
    """Serves the dashboard, /api/* and /metrics; ``offer`` is the collector's (sync)
    callback. ``desk`` (api.Desk) gives the API the running server's parts."""

    def __init__(
        self, settings: WebSettings, *, weather_unit: str = CELSIUS, name: str = ""
    ) -> None:
        self.settings = settings
        self.snapshot = Snapshot()
        self.weather_unit = weather_unit
        self.pc_name = name
        self.port: int | None = None  # the port it listens on, once started
        # GET /api/devices: the connected devices and paired boards (pairing_status.py)
        self.devices_document: Callable[[], dict[str, Any]] | None = None
        self.desk: Desk | None = None
        self.sessions = Sessions()
        self.stream: Stream | None = None
        self.peek: Any = None  # peek.py's hub, set by its register(): watch(ws, board, on)
        self._metrics: Handler | None = None  # prometheus_client's, from the first scrape
        self._runner: web.AppRunner | None = None
        self._server: asyncio.AbstractServer | None = None
        self._guard: Guard | None = None
        self._allowed: frozenset[str] = frozenset()
        self._login_lock = asyncio.Lock()  # one scrypt (16 MB, ~50 ms) at a time
        self._basic_ok: set[bytes] = set()  # digests of Authorization headers that matched
        self._wrong = RateLimitedWarning(log, "Web: %d more wrong password(s) in the last %d s")
        self.health_tracker: Any = None  # health.Tracker, from the first health document

    def offer(self, snapshot: Snapshot) -> None:
        self.snapshot = snapshot
        if self.stream is not None:
            self.stream.poll()

    @property
    def url(self) -> str:
        host = self.settings.host
        if host in ("0.0.0.0", "::", ""):
            host = "127.0.0.1"
        return f"http://[{host}]:{self.port}" if ":" in host else f"http://{host}:{self.port}"

    @property
    def password_hash(self) -> str:
        return self.settings.password_hash

    # --- the application ---

    def application(self) -> web.Application:
        app = web.Application(middlewares=[self._guarded], client_max_size=256 * 1024)
        app.router.add_get("/metrics", self._metrics_route)
        app.router.add_get("/api/snapshot", self._snapshot_route)
        app.router.add_get("/api/devices", self._devices_route)
        app.router.add_get("/api/csrf", self._csrf_route)
        app.router.add_post("/api/login", self._login_route)
        app.router.add_post("/api/logout", self._logout_route)
        from .api import add_routes
        from .stream import Stream

        self.stream = Stream(self)
        add_routes(app, self)
        from .scenes_api import add_routes as add_scene_routes

        add_scene_routes(app, self)  # the scene editor's preview
        page.register(app)  # GET /api/dashboard: what the page shows and edits
        app.router.add_get("/api/stream", self.stream.handle)
        app.on_shutdown.append(self.stream.close_all)
        app.router.add_get("/", self._page_route)
        if STATIC.is_dir():
            app.router.add_static("/static/", STATIC)
        register_peek_routes(app, self)
        return app

    @web.middleware
    async def _guarded(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        guard = self._guard
        if guard is not None:
            guard.request_started(request.transport)
        try:
            if not security.host_allowed(request.headers.get("Host"), self._allowed):
                response = text_response(421, "This server answers to its own name only")
            elif request.match_info.http_exception is not None:  # no route: changes nothing
                response = _no_route(request, request.match_info.http_exception)
            else:
                response = await self._refusal(request) or await COSTS.metered(
                    WEB_COST, handler(request)
                )
        except (web.HTTPNotFound, web.HTTPMethodNotAllowed) as exc:  # a static file
            response = _no_route(request, exc)
        except web.HTTPException:
            raise
        except Exception:
            log.exception("Web: %s %s failed", request.method, printable(request.path))
            response = text_response(500, "The server's log says why")
        finally:
            if guard is not None:
                guard.request_done(request.transport)
        if not response.prepared:  # a WebSocket's went out with the upgrade
            response.headers.setdefault("Cache-Control", "no-store")
            response.headers.setdefault("X-Content-Type-Options", "nosniff")
            response.headers.setdefault("X-Frame-Options", "DENY")
        return response

    async def _refusal(self, request: web.Request) -> web.Response | None:
        """Why a request is refused before its handler runs, or None (see security.py)."""
        host = request.headers.get("Host")
        state_changing = request.method not in security.SAFE_METHODS or _is_websocket(request)
        if state_changing and not security.origin_matches(request.headers.get("Origin"), host):
            return text_response(403, "Refused: not sent by this dashboard's own page (Origin)")
        if not self.logged_in(request) and "Authorization" in request.headers:
            await self._check_basic(request)
        if not self.logged_in(request) and not self._open_to(request):
            return text_response(401, "Log in first (POST /api/login)",
                                 **{"WWW-Authenticate": 'Basic realm="nocturne"'})  # fmt: skip
        if state_changing and not _is_websocket(request) and request.path != "/api/login":
            sid = request.cookies.get(security.SESSION_COOKIE)
            if not self.sessions.csrf_valid(sid, request.headers.get(security.CSRF_HEADER)):
                return text_response(403, "Refused: no valid X-CSRF-Token (GET /api/csrf)")
        return None

    def logged_in(self, request: web.Request) -> bool:
        """No password, or the request's session cookie (or HTTP Basic, once checked)."""
        if not self.password_hash:
            return True
        if self.sessions.valid(request.cookies.get(security.SESSION_COOKIE)):
            return True
        basic = request.headers.get("Authorization", "")
        return bool(basic) and security.digest(basic) in self._basic_ok

    async def _check_basic(self, request: web.Request) -> None:
        """HTTP Basic with the password (Prometheus, scripts): scrypt once per credential."""
        header = request.headers.get("Authorization", "")
        password = security.basic_password(header)
        if password is None or not self.password_hash:
            return
        async with self._login_lock:
            ok = await asyncio.to_thread(security.check_password, password, self.password_hash)
        if ok:
            self._basic_ok.add(security.digest(header))
        else:
            self._wrong.warn("Web: a wrong password (HTTP Basic) from %s", request.remote)

    def _open_to(self, request: web.Request) -> bool:
        """Routes that need no login: the login itself, the page (it shows the login form),
        and /metrics and /api/devices for this machine's own loopback clients."""
        if request.path in ("/api/login", "/", "/api/csrf") or request.path.startswith("/static/"):
            return True
        peer = request.remote or ""
        return request.path in security.LOOPBACK_OPEN and security.is_loopback(peer)

    # --- routes ---

    async def _page_route(self, request: web.Request) -> web.StreamResponse:
        index = STATIC / "index.html"
        if index.is_file():
            return web.FileResponse(index, headers={"Content-Security-Policy": CSP})
        return web.Response(text="NOCTURNE_OS: the dashboard's page is not installed.\n")

    async def _metrics_route(self, request: web.Request) -> web.StreamResponse:
        if self._metrics is None:
            from prometheus_client.aiohttp import make_aiohttp_handler

            from .metrics import metrics_registry

            registry = metrics_registry(
                lambda: self.snapshot, weather_unit=self.weather_unit, health=self.health
            )
            self._metrics = make_aiohttp_handler(registry)
        return await self._metrics(request)

    async def _snapshot_route(self, request: web.Request) -> web.StreamResponse:
        return json_response(snapshot_document(self.snapshot))

    async def _devices_route(self, request: web.Request) -> web.StreamResponse:
        build = self.devices_document
        return json_response(build() if build is not None else {})

    async def _csrf_route(self, request: web.Request) -> web.StreamResponse:
        """The token to echo in X-CSRF-Token, and whether a login is needed first."""
        logged_in = self.logged_in(request)
        sid = request.cookies.get(security.SESSION_COOKIE)
        token = self.sessions.csrf_token(sid) if logged_in else None
        return json_response({"token": token, "login_required": not logged_in})

    async def _login_route(self, request: web.Request) -> web.StreamResponse:
        if not self.password_hash:
            return json_response({"token": self.sessions.csrf_token(None)})
        from .api import json_object

        password = (await json_object(request) or {}).get("password")
        if not isinstance(password, str):
            return json_response({"errors": [{"key": "password", "message": "give it"}]}, 400)
        async with self._login_lock:  # whatever the flood of logins
            ok = await asyncio.to_thread(security.check_password, password, self.password_hash)
        if not ok:
            self._wrong.warn("Web: a wrong dashboard password from %s", request.remote)
            return json_response({"errors": [{"key": "password", "message": "wrong"}]}, 403)
        sid = self.sessions.open()
        response = json_response({"token": self.sessions.csrf_token(sid)})
        response.set_cookie(security.SESSION_COOKIE, sid, httponly=True, samesite="Strict",
                            path="/", max_age=int(security.SESSION_SECONDS))  # fmt: skip
        return response

    async def _logout_route(self, request: web.Request) -> web.StreamResponse:
        self.sessions.close(request.cookies.get(security.SESSION_COOKIE))
        response = json_response({})
        response.del_cookie(security.SESSION_COOKIE, path="/")
        return response

    def health(self) -> dict[str, Any]:
        from .health import health_document

        return health_document(self)

    # --- life cycle ---

    async def start(self) -> None:
        host, port = self.settings.host, self.settings.port
        if not security.is_loopback(host) and not self.password_hash:
            log.error(REFUSE_LAN, host)
            return
        try:
            sock = await asyncio.to_thread(_bind, host, port)  # a host name is looked up
        except OSError as exc:
            log.error(
                "Web: cannot listen on %s:%d (%s): no dashboard or /metrics; set another "
                "'web' port in config.json, or \"web\": null",
                host,
                port,
                exc.strerror or exc,
            )
            return
        addresses = await asyncio.to_thread(_this_pcs_addresses) if _wildcard(host) else []
        names = (pc_name(self.pc_name), socket.gethostname())
        self._allowed = security.allowed_hosts(host, names, addresses)
        runner = web.AppRunner(
            self.application(),
            access_log=None,
            keepalive_timeout=KEEPALIVE,
            shutdown_timeout=1.0,
            logger=PROTOCOL_LOG,
            lingering_time=1.0,  # the unread rest of a refused body, then the connection goes
        )
        await runner.setup()
        assert runner.server is not None
        self._runner = runner
        self._guard = Guard(runner.server)
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(self._guard, sock=sock, backlog=64)
        self.port = sock.getsockname()[1]
        log.info("Web: the dashboard at %s/ (Prometheus metrics at /metrics)", self.url)

    async def stop(self) -> None:
        server, runner = self._server, self._runner
        self._server = self._runner = None
        if server is not None:
            server.close()
        if runner is not None:
            await runner.cleanup()
        if server is not None:
            await server.wait_closed()


CSP = (
    "default-src 'self'; img-src 'self' data: blob:; connect-src 'self'; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)
REFUSE_LAN = (
    "Web: refusing to serve the dashboard on %s without a password: anyone on the network "
    "could change the settings. Set one with `nocturne web-password`, or bind "
    '"web": {"host": "127.0.0.1"}'
)


def _no_route(request: web.Request, exc: web.HTTPException) -> web.Response:
    if isinstance(exc, web.HTTPMethodNotAllowed):
        allow = ", ".join(sorted(exc.allowed_methods))
        return text_response(405, f"{request.path} takes {allow}", Allow=allow)
    return text_response(404, "Not found: the paths are /, /metrics and /api/...")


def _wildcard(host: str) -> bool:
    return host in ("", "0.0.0.0", "::")


def _is_websocket(request: web.Request) -> bool:
    return request.headers.get("Upgrade", "").lower() == "websocket"


def _bind(host: str, port: int) -> socket.socket:
    family, kind, proto, _, address = socket.getaddrinfo(
        host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
    )[0]
    sock = socket.socket(family, kind, proto)
    try:
        if family == socket.AF_INET6 and host == "::":
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        if hasattr(socket, "SO_REUSEADDR") and not hasattr(socket, "SO_EXCLUSIVEADDRUSE"):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(64)
        sock.setblocking(False)
    except BaseException:
        sock.close()
        raise
    return sock


def register_peek_routes(app: web.Application, exporter: WebExporter) -> None:
    """The board's "peek" (peek.py, the live frames): its routes when the module is there."""
    import importlib.util

    if importlib.util.find_spec(f"{__package__}.peek") is None:
        return
    from . import peek  # type: ignore[attr-defined]

    register = getattr(peek, "register", None)
    if register is not None:
        register(app, exporter)
