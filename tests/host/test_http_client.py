"""The HTTP client every source uses (sources/http.py: aiohttp, one session per event loop),
against real loopback servers written byte by byte, so each one can misbehave exactly.

It keeps one connection alive, sends a request again once when its kept-alive connection
had been dropped, holds one deadline over connect + headers + body, closes the connection
when the caller gives up, checks TLS certificates. (Caps and gzip bombs: test_lhm_http.py.)
"""

from __future__ import annotations

import asyncio
import gzip
import ssl
from pathlib import Path

import pytest

from nocturne.sources import http as http_module
from nocturne.sources.http import USER_AGENT, HttpClient, HttpUnavailable

TLS = Path(__file__).resolve().parents[1] / "fixtures" / "tls"


def answer(body: bytes, *headers: str, status: str = "200 OK") -> bytes:
    head = [f"HTTP/1.1 {status}", f"Content-Length: {len(body)}", *headers]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


class RawServer:
    """A loopback server that reads each request's head and answers with ``self.respond``."""

    def __init__(self) -> None:
        self.connections = 0
        self.requests: list[bytes] = []  # each request's head, as received
        self.closed = asyncio.Event()  # set when a client's side of a connection ends
        self.close_after_answer = False  # drop each connection after its first answer
        self.respond = self.plain
        self.reader: asyncio.StreamReader | None = None  # the latest connection's
        self.port = 0
        self._server: asyncio.Server | None = None

    async def start(self, tls: ssl.SSLContext | None = None) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0, ssl=tls)
        self.port = self._server.sockets[0].getsockname()[1]

    def url(self, path: str = "/data.json", scheme: str = "http") -> str:
        return f"{scheme}://127.0.0.1:{self.port}{path}"

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()

    async def plain(self, head: bytes, writer: asyncio.StreamWriter) -> None:
        writer.write(answer(b'{"ok": true}', "Content-Type: application/json"))

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        self.reader = reader
        try:
            while head := await reader.readuntil(b"\r\n\r\n"):
                self.requests.append(head)
                await self.respond(head, writer)
                await writer.drain()
                if self.close_after_answer:
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            self.closed.set()
            writer.close()


@pytest.fixture
async def server():
    s = RawServer()
    await s.start()
    yield s
    await s.stop()


async def test_one_connection_is_kept_alive_between_gets(server):
    client = HttpClient(timeout=2.0, headers={"Accept-Encoding": "identity"})
    try:
        bodies = [await client.get(server.url(), max_bytes=1024) for _ in range(3)]
    finally:
        await client.close()
    assert bodies == [b'{"ok": true}'] * 3
    assert server.connections == 1 and len(server.requests) == 3
    head = server.requests[0].decode()
    assert head.startswith("GET /data.json HTTP/1.1\r\n")
    assert f"User-Agent: {USER_AGENT}\r\n" in head
    assert "Accept-Encoding: identity\r\n" in head
    assert f"Host: 127.0.0.1:{server.port}\r\n" in head


async def test_a_kept_alive_connection_its_server_dropped_is_replaced(server):
    """Servers drop idle keep-alive connections (LHM, aiohttp: after 75 s) without a word:
    the next GET finds it closed before any answer and is sent once more on a new one."""
    server.close_after_answer = True
    client = HttpClient(timeout=2.0)
    try:
        assert await client.get(server.url(), max_bytes=1024) == b'{"ok": true}'
        await asyncio.sleep(0.1)  # the server's close reaches the idle connection
        assert await client.get(server.url(), max_bytes=1024) == b'{"ok": true}'
    finally:
        await client.close()
    assert server.connections == 2 and len(server.requests) == 2


async def test_a_keep_alive_dropped_as_the_request_went_out_is_sent_once_more(server):
    """The race the sleep above avoids: the server closes the kept-alive connection on
    reading the next request, with no answer. That GET goes out again on a new connection,
    once: a server that drops every request is one clear error, not a loop."""
    client = HttpClient(timeout=2.0)
    drop = True

    async def drop_the_second(head: bytes, writer: asyncio.StreamWriter) -> None:
        if len(server.requests) == 2 and drop:
            writer.transport.abort()
            return
        await server.plain(head, writer)

    server.respond = drop_the_second
    try:
        assert await client.get(server.url(), max_bytes=1024) == b'{"ok": true}'
        assert await client.get(server.url(), max_bytes=1024) == b'{"ok": true}'
        assert (server.connections, len(server.requests)) == (2, 3)

        async def drop_all(head: bytes, writer: asyncio.StreamWriter) -> None:
            writer.transport.abort()

        server.respond = drop_all
        with pytest.raises(HttpUnavailable, match="ServerDisconnectedError"):
            await client.get(server.url(), max_bytes=1024)
        assert len(server.requests) == 5  # the first try and one more, no third
    finally:
        await client.close()


async def test_every_client_shares_the_loops_one_session_and_its_connection(server):
    lhm, weather = HttpClient(timeout=2.0), HttpClient(timeout=2.0)
    try:
        await lhm.get(server.url(), max_bytes=1024)
        await weather.get(server.url(), max_bytes=1024)
        assert server.connections == 1
        session = lhm._session
        assert session is weather._session
        await lhm.close()
        assert not session.closed  # weather still uses it
    finally:
        await weather.close()
    assert session.closed


async def test_the_deadline_covers_a_trickling_body_and_closes_the_connection(server):
    async def trickle(head: bytes, writer: asyncio.StreamWriter) -> None:
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n")
        for _ in range(1000):  # a byte every 50 ms: each wait is short, the whole is not
            writer.write(b" ")
            await writer.drain()
            await asyncio.sleep(0.05)

    server.respond = trickle
    client = HttpClient(timeout=0.5)
    with pytest.raises(HttpUnavailable, match=r"did not answer within 0\.5 s"):
        await client.get(server.url(), max_bytes=4096)
    # the connection is closed, not left reading the trickle to its end (50 s)
    await asyncio.wait_for(server.closed.wait(), 5.0)
    await client.close()


async def test_a_caller_that_gives_up_closes_the_connection_at_once(server):
    async def never(head: bytes, writer: asyncio.StreamWriter) -> None:
        assert server.reader is not None
        await server.reader.read()  # no answer, ever: only the client's side can end it

    server.respond = never
    client = HttpClient(timeout=30.0)
    task = asyncio.create_task(client.get(server.url(), max_bytes=1024))
    while not server.requests:
        await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await asyncio.wait_for(server.closed.wait(), 5.0)  # long before the 30 s timeout
    await client.close()


@pytest.mark.parametrize(
    ("reply", "message"),
    [
        (b"\x1b[2JHELLO\r\n\r\n", "Bad status line"),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\nshort", "45 bytes short"),
        (answer(gzip.compress(bytes(range(256)) * 40)[:-8], "Content-Encoding: gzip"), "cut short"),
        (answer(b"not gzip at all", "Content-Encoding: gzip"), "broken gzip body"),
    ],
)
async def test_a_broken_answer_is_one_clear_error_and_the_next_good_one_is_read(
    server, reply, message
):
    async def broken(head: bytes, writer: asyncio.StreamWriter) -> None:
        writer.write(reply)
        writer.write_eof()

    server.respond = broken
    client = HttpClient(timeout=2.0)
    try:
        with pytest.raises(HttpUnavailable, match=message) as info:
            await client.get(server.url(), max_bytes=1 << 20)
        assert server.url() in str(info.value)
        server.respond = server.plain
        assert await client.get(server.url(), max_bytes=1024) == b'{"ok": true}'
    finally:
        await client.close()


async def test_a_status_other_than_200_carries_its_status_hint_and_retry_after(server):
    async def busy(head: bytes, writer: asyncio.StreamWriter) -> None:
        writer.write(answer(b"slow down", "Retry-After: 120", status="429 Too Many Requests"))

    server.respond = busy
    client = HttpClient(timeout=2.0)
    try:
        with pytest.raises(HttpUnavailable, match=r"answered HTTP 429 \(wait\)$") as info:
            await client.get(server.url(), max_bytes=1024, status_hints={429: " (wait)"})
    finally:
        await client.close()
    assert info.value.status == 429 and info.value.retry_after == 120.0


async def test_params_join_the_query_of_the_url(server):
    client = HttpClient(timeout=2.0)
    try:
        await client.get(server.url("/v1/forecast?a=1"), max_bytes=1024, params={"b": "x y"})
    finally:
        await client.close()
    assert server.requests[0].startswith(b"GET /v1/forecast?a=1&b=x+y HTTP/1.1\r\n")


@pytest.mark.parametrize("url", ["ftp://127.0.0.1/x", "http:///data.json", "http://h:99999/"])
async def test_a_url_that_is_not_http_says_so(url):
    client = HttpClient(timeout=1.0)
    with pytest.raises(HttpUnavailable, match="is not an http:// or https:// URL"):
        await client.get(url, max_bytes=1024)


async def test_https_checks_the_certificate_and_reads_through_tls(monkeypatch):
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(TLS / "localhost.crt", TLS / "localhost.key")
    server = RawServer()
    await server.start(tls)
    client = HttpClient(timeout=3.0)
    try:
        # the system's CAs do not know a self-signed certificate: refused, and said why
        with pytest.raises(HttpUnavailable, match="CERTIFICATE_VERIFY_FAILED"):
            await client.get(server.url(scheme="https"), max_bytes=1024)
        trusting = ssl.create_default_context(cafile=str(TLS / "localhost.crt"))
        monkeypatch.setattr(http_module, "_tls_context", lambda: trusting)
        assert await client.get(server.url(scheme="https"), max_bytes=1024) == b'{"ok": true}'
        by_name = f"https://localhost:{server.port}/data.json"  # SNI + the DNS name checked
        assert await client.get(by_name, max_bytes=1024) == b'{"ok": true}'
    finally:
        await client.close()
        await server.stop()
