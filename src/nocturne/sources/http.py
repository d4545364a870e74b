"""One HTTP GET for every source: failures as SourceUnavailable, the body read up to a cap.

The cap holds whatever the framing: a Content-Length over it is refused before reading, and
a chunked or unframed body is read in bounded steps and refused as soon as it passes the cap.
aiohttp decompresses gzip/deflate transparently and in bounded steps, and the cap counts
those decoded bytes, so a small compressed body that inflates to gigabytes is refused too.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

import aiohttp

from . import SourceUnavailable

__all__ = ["READ_STEP", "HttpUnavailable", "get_body", "size_text"]

READ_STEP = 64 * 1024  # bytes per read: the most held beyond the cap at any time


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


async def get_body(
    session: aiohttp.ClientSession,
    url: str,
    *,
    max_bytes: int,
    params: Mapping[str, str] | None = None,
    error: type[HttpUnavailable] = HttpUnavailable,
    status_hints: Mapping[int, str] | None = None,
) -> bytes:
    """GET ``url`` and return its (decoded) body of at most ``max_bytes``.

    Raises ``error`` (an HttpUnavailable subclass) with a message a user can act on: nothing
    answers, no answer in time, an HTTP status other than 200 (``status_hints`` adds the
    caller's advice for a status, such as which config keys hold the password for a 401),
    or a body over the cap.
    """
    try:
        async with session.get(url, params=params) as resp:
            if resp.status != 200:
                hint = (status_hints or {}).get(resp.status, "")
                raise error(
                    f"{url} answered HTTP {resp.status}{hint}",
                    status=resp.status,
                    retry_after=_retry_after(resp),
                )
            announced = resp.content_length
            if announced is not None and announced > max_bytes:
                raise error(
                    f"{url} announced {announced} bytes, more than the {size_text(max_bytes)}"
                    " this source reads",
                    status=resp.status,
                )
            return await _read_capped(resp, url, max_bytes, error)
    except aiohttp.ClientConnectorError as exc:
        raise error(f"nothing answers at {url} ({exc.os_error})") from exc
    except asyncio.TimeoutError as exc:
        total = session.timeout.total
        within = f" within {total:g} s" if total else ""
        raise error(f"{url} did not answer{within}") from exc
    except aiohttp.ClientError as exc:
        raise error(f"{url}: {exc.__class__.__name__}: {exc}") from exc


async def _read_capped(
    resp: aiohttp.ClientResponse, url: str, max_bytes: int, error: type[HttpUnavailable]
) -> bytes:
    # One growing buffer rather than a list of parts: past a few hundred KB the C library
    # maps it on its own, so it goes back to the system the moment it is dropped instead of
    # leaving the heap fragmented at its high-water mark.
    body = bytearray()
    while True:
        part = await resp.content.read(READ_STEP)
        if not part:
            return bytes(body)
        if len(body) + len(part) > max_bytes:
            # Dropped before raising: the traceback a feed keeps must not hold the body.
            # Leaving the response unread closes its connection: the rest is never read.
            del body
            raise error(
                f"{url} sent more than {size_text(max_bytes)}, the most this source reads",
                status=resp.status,
            )
        body += part


def _retry_after(resp: aiohttp.ClientResponse) -> float | None:
    value = resp.headers.get("Retry-After")
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None
