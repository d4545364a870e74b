"""One HTTP GET for every source: failures as SourceUnavailable, the body read up to a cap.

The standard library's ``http.client`` does the HTTP/1.1 (status line, headers, chunked and
unframed bodies, keep-alive), each request in a worker thread. aiohttp did the same job at
15.7 MB of resident memory, a third of the whole server, to GET one loopback URL a second.

The cap holds whatever the framing: a Content-Length over it is refused before reading, and
a chunked or unframed body is read in bounded steps and refused as soon as it passes the cap.
A gzip or deflate body is inflated in bounded steps too, and the cap counts the decoded
bytes, so a small compressed body that inflates to gigabytes is refused as well.

One deadline (``timeout``) covers connecting, the headers and the body: every socket wait
gets what is left of it, and the event loop's side gives up at the deadline whatever the
thread is doing, shutting the socket so the thread ends at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import http.client
import socket
import ssl
import threading
import time
import zlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from urllib.parse import urlencode, urlsplit

from .. import __version__
from . import SourceUnavailable

__all__ = ["READ_STEP", "HttpClient", "HttpUnavailable", "size_text"]

READ_STEP = 64 * 1024  # bytes per read: the most held beyond the cap at any time
USER_AGENT = f"nocturne-os/{__version__}"
# How long past the deadline the loop waits for the worker's own error message (it names
# the stage) before giving up on the thread and answering "did not answer" itself.
GRACE = 0.25
# A connection kept alive is dropped by its server at some point (LHM, aiohttp: 75 s idle);
# the first request on it then fails before any answer and is sent once more on a new one.
STALE = (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError)
# gzip (RFC 1952) or zlib-wrapped deflate (RFC 1950), told apart by their header.
AUTO_HEADER = 32 + zlib.MAX_WBITS


class HttpUnavailable(SourceUnavailable):
    """An HTTP origin gave no usable body this time; ``status`` is its HTTP status, if any."""

    def __init__(
        self, message: str, *, status: int | None = None, retry_after: float | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after  # seconds the server asked to be left alone (Retry-After)


def size_text(n: int) -> str:
    """``8388608`` → ``"8 MB"``: a size for people (1 MB = 1024 KB)."""
    for unit, size in (("GB", 1024**3), ("MB", 1024**2), ("KB", 1024)):
        if n >= size and n % size == 0:
            return f"{n // size} {unit}"
    return f"{n} bytes"


@cache
def _tls_context() -> ssl.SSLContext:
    """The system's trusted CAs, loaded once, on the first https:// request (about 1 MB)."""
    return ssl.create_default_context()


@dataclass
class _Request:
    """One GET in flight: what the worker needs, and the socket it waits on (so the loop can
    shut it if the deadline passes)."""

    url: str
    target: str
    origin: tuple[str, str, int]
    max_bytes: int
    error: type[HttpUnavailable]
    hints: Mapping[int, str]
    deadline: float
    sock: socket.socket | None = None
    abandoned: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)

    def left(self) -> float:
        """Seconds to the deadline; raises TimeoutError once it has passed."""
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError
        return left

    def wait_on(self, sock: socket.socket | None) -> None:
        """The next socket wait gets what is left of the deadline (none once abandoned)."""
        with self.lock:
            if self.abandoned:
                raise TimeoutError
            self.sock = sock
        if sock is not None:
            sock.settimeout(self.left())

    def abandon(self) -> None:
        """From the loop: the caller has gone; end the worker's socket wait now."""
        with self.lock:
            self.abandoned = True
            sock = self.sock
        if sock is not None:
            with contextlib.suppress(OSError):  # already closed by the worker
                sock.shutdown(socket.SHUT_RDWR)


class HttpClient:
    """GETs with ``headers`` and one ``timeout`` each, keeping one idle connection per origin
    (scheme, host, port) alive between them. Safe for requests that overlap: each takes the
    idle connection or opens one of its own."""

    def __init__(self, *, timeout: float, headers: Mapping[str, str] | None = None) -> None:
        self.timeout = float(timeout)
        self.headers = {"User-Agent": USER_AGENT, "Accept-Encoding": "gzip", **(headers or {})}
        self._idle: dict[tuple[str, str, int], http.client.HTTPConnection] = {}
        self._lock = threading.Lock()

    async def get(
        self,
        url: str,
        *,
        max_bytes: int,
        params: Mapping[str, str] | None = None,
        error: type[HttpUnavailable] = HttpUnavailable,
        status_hints: Mapping[int, str] | None = None,
    ) -> bytes:
        """GET ``url`` and return its (decoded) body of at most ``max_bytes``.

        Raises ``error`` (an HttpUnavailable subclass) with a message a user can act on:
        nothing answers, no answer in time, an HTTP status other than 200 (``status_hints``
        adds the caller's advice for a status, such as which config keys hold the password
        for a 401), or a body over the cap.
        """
        request = self._request(url, params, max_bytes, error, status_hints or {})
        work = asyncio.get_running_loop().run_in_executor(None, self._exchange, request)
        try:
            return await asyncio.wait_for(work, self.timeout + GRACE)
        except asyncio.TimeoutError:
            raise error(self._late(url)) from None
        finally:
            if not work.done() or work.cancelled():
                request.abandon()

    def close(self) -> None:
        """Drop the idle connections (a request in flight keeps its own until it ends)."""
        with self._lock:
            idle, self._idle = list(self._idle.values()), {}
        for conn in idle:
            conn.close()

    def _request(
        self,
        url: str,
        params: Mapping[str, str] | None,
        max_bytes: int,
        error: type[HttpUnavailable],
        hints: Mapping[int, str],
    ) -> _Request:
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        try:
            port = parts.port
        except ValueError:
            port = -1
        if scheme not in ("http", "https") or not parts.hostname or port == -1:
            raise error(f"{url} is not an http:// or https:// URL with a host (and port)")
        query = "&".join(q for q in (parts.query, urlencode(params or {})) if q)
        target = (parts.path or "/") + (f"?{query}" if query else "")
        origin = (scheme, parts.hostname, port or (443 if scheme == "https" else 80))
        deadline = time.monotonic() + self.timeout
        return _Request(url, target, origin, max_bytes, error, hints, deadline)

    def _late(self, url: str) -> str:
        return f"{url} did not answer within {self.timeout:g} s"

    @contextlib.contextmanager
    def _reported(
        self, request: _Request, passing: tuple[type[BaseException], ...] = ()
    ) -> Iterator[None]:
        """A failure of the exchange as the caller's error, in words a user can act on."""
        try:
            yield
        except passing:
            raise
        except TimeoutError:
            raise request.error(self._late(request.url)) from None
        except (http.client.HTTPException, OSError) as exc:
            raise request.error(f"{request.url}: {exc.__class__.__name__}: {exc}") from None

    # --- in the worker thread -----------------------------------------------------------

    def _exchange(self, request: _Request) -> bytes:
        """The whole GET, one retry on a kept-alive connection its server had dropped."""
        conn, reused = self._take(request)
        try:
            try:
                resp = self._send(request, conn)
            except STALE:
                if not reused:
                    raise
                conn.close()
                conn, _ = self._take(request)
                resp = self._send(request, conn)
            body = self._read(request, resp)
        except STALE as exc:
            conn.close()
            raise request.error(f"{request.url}: {exc.__class__.__name__}: {exc}") from None
        except BaseException:
            conn.close()
            raise
        self._give_back(request, conn)
        return body

    def _take(self, request: _Request) -> tuple[http.client.HTTPConnection, bool]:
        with self._lock:
            conn = self._idle.pop(request.origin, None)
        if conn is not None and conn.sock is not None:
            request.wait_on(conn.sock)
            return conn, True
        scheme, host, port = request.origin
        try:
            if scheme == "https":
                conn = http.client.HTTPSConnection(
                    host, port, timeout=request.left(), context=_tls_context()
                )
            else:
                conn = http.client.HTTPConnection(host, port, timeout=request.left())
            conn.connect()
        except TimeoutError:
            raise request.error(self._late(request.url)) from None
        except ssl.SSLError as exc:
            raise request.error(f"{request.url}: {exc.__class__.__name__}: {exc}") from None
        except OSError as exc:
            raise request.error(f"nothing answers at {request.url} ({exc})") from None
        try:
            request.wait_on(conn.sock)
        except TimeoutError:
            conn.close()
            raise request.error(self._late(request.url)) from None
        return conn, False

    def _send(
        self, request: _Request, conn: http.client.HTTPConnection
    ) -> http.client.HTTPResponse:
        with self._reported(request, passing=STALE):
            conn.request("GET", request.target, headers=self.headers)
            resp = conn.getresponse()
        if resp.status != 200:
            raise request.error(
                f"{request.url} answered HTTP {resp.status}{request.hints.get(resp.status, '')}",
                status=resp.status,
                retry_after=_retry_after(resp.getheader("Retry-After")),
            )
        announced = resp.length  # None when chunked or unframed
        if announced is not None and announced > request.max_bytes:
            raise request.error(
                f"{request.url} announced {announced} bytes, more than the "
                f"{size_text(request.max_bytes)} this source reads",
                status=resp.status,
            )
        return resp

    def _read(self, request: _Request, resp: http.client.HTTPResponse) -> bytes:
        # One growing buffer rather than a list of parts: past a few hundred KB the C library
        # maps it on its own, so it goes back to the system the moment it is dropped instead
        # of leaving the heap fragmented at its high-water mark.
        url = request.url
        encoding = (resp.getheader("Content-Encoding") or "identity").strip().lower()
        inflate = zlib.decompressobj(AUTO_HEADER) if encoding in ("gzip", "deflate") else None
        if inflate is None and resp.length is not None:  # framed, and known to fit the cap
            return self._read_framed(request, resp)
        with self._reported(request):
            body = self._read_parts(request, resp, inflate, encoding)
        if resp.length:  # what Content-Length announced and never came
            raise request.error(f"{url} closed the connection {resp.length} bytes short")
        if inflate is not None and not inflate.eof:
            raise request.error(f"{url} sent a {encoding} body cut short")
        return bytes(body)

    def _read_parts(
        self,
        request: _Request,
        resp: http.client.HTTPResponse,
        inflate: zlib._Decompress | None,
        encoding: str,
    ) -> bytearray:
        """The body in READ_STEP reads, inflated when ``inflate``; refused past the cap."""
        url, cap = request.url, request.max_bytes
        body = bytearray()
        try:
            while True:
                request.wait_on(request.sock)
                part = resp.read(READ_STEP)
                if not part:
                    break
                for piece in _inflated(inflate, part) if inflate is not None else (part,):
                    if len(body) + len(piece) > cap:
                        # Dropped before raising: the traceback a feed keeps must not hold
                        # it. The connection is closed unread: the rest is never fetched.
                        del body
                        raise request.error(
                            f"{url} sent more than {size_text(cap)}, the most this source reads",
                            status=resp.status,
                        )
                    body += piece
        except zlib.error as exc:
            raise request.error(f"{url} sent a broken {encoding} body ({exc})") from None
        return body

    def _read_framed(self, request: _Request, resp: http.client.HTTPResponse) -> bytes:
        """A body of a known length under the cap, in one read: no parts, no copies (the
        loop's side still ends the wait at the deadline, whatever the server's pace)."""
        with self._reported(request):
            try:
                request.wait_on(request.sock)
                return resp.read()
            except http.client.IncompleteRead as exc:
                raise request.error(
                    f"{request.url} closed the connection {exc.expected} bytes short"
                ) from None

    def _give_back(self, request: _Request, conn: http.client.HTTPConnection) -> None:
        with request.lock:
            request.sock = None
            abandoned = request.abandoned
        if abandoned or conn.sock is None:  # shut by the loop, or Connection: close
            conn.close()
            return
        with self._lock:
            spare = self._idle.get(request.origin)
            if spare is None:
                self._idle[request.origin] = conn
        if spare is not None:
            conn.close()


def _inflated(inflate: zlib._Decompress, data: bytes) -> Iterator[bytes]:
    """What ``data`` inflates to, in pieces of at most READ_STEP bytes (a 64 KB read of a gzip
    bomb inflates to 64 MB: it is counted against the cap piece by piece, never held)."""
    piece = inflate.decompress(data, READ_STEP)
    while piece:
        yield piece
        piece = inflate.decompress(inflate.unconsumed_tail, READ_STEP)


def _retry_after(value: str | None) -> float | None:
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None
