"""One HTTP GET for every source: failures as SourceUnavailable, the body read up to a cap.

aiohttp does the HTTP/1.1: one ``ClientSession`` per event loop, shared by every client (LHM,
weather, cover art), so one connection per origin is kept alive between polls; an idempotent
GET whose kept-alive connection its server had dropped is sent once more on a new one
(aiohttp's own retry, RFC 9112 §9.3.1). One deadline (``ClientTimeout(total=...)``) covers
connecting, the headers and the body.

The body is never decompressed by aiohttp (``auto_decompress=False``): the cap must count the
decoded bytes, so a gzip or deflate body is inflated here in bounded steps, and refused as
soon as it passes the cap, whatever the framing. A small compressed body that inflates to
gigabytes (a gzip bomb) is refused as well as an endless chunked one, holding at most about
the cap.
"""

from __future__ import annotations

import asyncio
import ssl
import zlib
from collections.abc import Iterator, Mapping
from functools import cache
from urllib.parse import urlsplit

import aiohttp

from .. import __version__
from . import SourceUnavailable

__all__ = ["READ_STEP", "HttpClient", "HttpUnavailable", "size_text"]

READ_STEP = 64 * 1024  # bytes per read: the most held beyond the cap at any time
USER_AGENT = f"nocturne-os/{__version__}"
# gzip (RFC 1952) or zlib-wrapped deflate (RFC 1950), told apart by their header.
AUTO_HEADER = 32 + zlib.MAX_WBITS
IDLE_KEEPALIVE = 75.0  # seconds an idle connection is kept: longer than any poll interval


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


class _Shared:
    """The event loop's one ClientSession, opened by the first client and closed by the last."""

    sessions: dict[asyncio.AbstractEventLoop, tuple[aiohttp.ClientSession, int]] = {}

    @classmethod
    def take(cls) -> aiohttp.ClientSession:
        loop = asyncio.get_running_loop()
        session, users = cls.sessions.get(loop, (None, 0))
        if session is None or session.closed:
            connector = aiohttp.TCPConnector(keepalive_timeout=IDLE_KEEPALIVE, limit_per_host=4)
            session = aiohttp.ClientSession(
                connector=connector,
                auto_decompress=False,
                skip_auto_headers=("User-Agent",),
                raise_for_status=False,
            )
            users = 0
        cls.sessions[loop] = (session, users + 1)
        return session

    @classmethod
    async def give_back(cls, session: aiohttp.ClientSession) -> None:
        for loop, (held, users) in list(cls.sessions.items()):
            if held is session:
                if users > 1:
                    cls.sessions[loop] = (held, users - 1)
                    return
                del cls.sessions[loop]
        await session.close()


class HttpClient:
    """GETs with ``headers`` and one ``timeout`` each, over the loop's shared session. Safe for
    requests that overlap: each takes the idle connection or opens one of its own."""

    def __init__(self, *, timeout: float, headers: Mapping[str, str] | None = None) -> None:
        self.timeout = float(timeout)
        self.headers = {"User-Agent": USER_AGENT, "Accept-Encoding": "gzip", **(headers or {})}
        self._session: aiohttp.ClientSession | None = None

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
        scheme = _checked_url(url, error)
        if self._session is None or self._session.closed:
            self._session = _Shared.take()
        tls = _tls_context() if scheme == "https" else None
        try:
            async with self._session.get(
                url,
                params=params,
                headers=self.headers,
                timeout=aiohttp.ClientTimeout(total=self.timeout),
                ssl=tls if tls is not None else True,
                allow_redirects=False,
            ) as resp:
                return await _body(url, resp, max_bytes, error, status_hints or {})
        except asyncio.TimeoutError:
            raise error(f"{url} did not answer within {self.timeout:g} s") from None
        except aiohttp.ClientConnectorError as exc:
            raise error(f"nothing answers at {url} ({_reason(exc)})") from None
        except (aiohttp.ClientError, OSError) as exc:
            raise error(f"{url}: {exc.__class__.__name__}: {_reason(exc)}") from None

    async def close(self) -> None:
        """Let go of the shared session (closed with its last client)."""
        session, self._session = self._session, None
        if session is not None:
            await _Shared.give_back(session)


def _checked_url(url: str, error: type[HttpUnavailable]) -> str:
    """``url`` when it is http:// or https:// with a host (and a valid port); its scheme."""
    parts = urlsplit(url)
    try:
        port_ok = parts.port is None or parts.port > 0
    except ValueError:
        port_ok = False
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname or not port_ok:
        raise error(f"{url} is not an http:// or https:// URL with a host (and port)")
    return parts.scheme.lower()


def _reason(exc: BaseException) -> str:
    """What went wrong, without aiohttp's repetition of the request line."""
    if isinstance(exc, aiohttp.ClientConnectorError):
        return str(exc.os_error) or exc.__class__.__name__
    text = exc.message if isinstance(exc, aiohttp.ClientResponseError) else str(exc)
    return " ".join(text.split()) or exc.__class__.__name__  # one line: the parser's are many


async def _body(
    url: str,
    resp: aiohttp.ClientResponse,
    cap: int,
    error: type[HttpUnavailable],
    hints: Mapping[int, str],
) -> bytes:
    if resp.status != 200:
        raise error(
            f"{url} answered HTTP {resp.status}{hints.get(resp.status, '')}",
            status=resp.status,
            retry_after=_retry_after(resp.headers.get("Retry-After")),
        )
    announced = resp.content_length  # None when chunked or unframed
    if announced is not None and announced > cap:
        raise error(
            f"{url} announced {announced} bytes, more than the {size_text(cap)} this source reads",
            status=resp.status,
        )
    encoding = (resp.headers.get("Content-Encoding") or "identity").strip().lower()
    inflate = zlib.decompressobj(AUTO_HEADER) if encoding in ("gzip", "deflate") else None
    if inflate is None and announced is not None:  # framed, and known to fit the cap
        return await _read_framed(url, resp, announced, error)
    # One growing buffer rather than a list of parts: past a few hundred KB the C library
    # maps it on its own, so it goes back to the system the moment it is dropped.
    body = bytearray()
    received = 0
    try:
        while part := await resp.content.read(READ_STEP):
            received += len(part)
            for piece in _inflated(inflate, part) if inflate is not None else (part,):
                if len(body) + len(piece) > cap:
                    # Dropped before raising: the traceback a feed keeps must not hold it.
                    # The connection is closed unread: the rest is never fetched.
                    del body
                    resp.close()
                    raise error(
                        f"{url} sent more than {size_text(cap)}, the most this source reads",
                        status=resp.status,
                    )
                body += piece
    except zlib.error as exc:
        raise error(f"{url} sent a broken {encoding} body ({exc})") from None
    except aiohttp.ClientPayloadError:
        if announced is not None:
            raise error(f"{url} closed the connection {announced - received} bytes short") from None
        raise error(f"{url} sent a {encoding} body cut short") from None
    if inflate is not None and not inflate.eof:
        raise error(f"{url} sent a {encoding} body cut short")
    return bytes(body)


async def _read_framed(
    url: str, resp: aiohttp.ClientResponse, announced: int, error: type[HttpUnavailable]
) -> bytes:
    """A body of a known length under the cap, in one read."""
    try:
        return await resp.read()
    except aiohttp.ClientPayloadError:
        got = resp.content.total_bytes
        raise error(f"{url} closed the connection {announced - got} bytes short") from None


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
