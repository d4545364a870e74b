"""The web exporter's HTTP server (stdlib wsgiref in threads), over real loopback HTTP with a
stdlib client: routes, gzip, /api/devices built on the event loop, silent clients, floods of
connections, a taken port and a stop that frees the port."""

from __future__ import annotations

import asyncio
import gzip
import json
import logging
import selectors
import socket
import threading
import urllib.error
import urllib.request
from collections.abc import AsyncIterator
from email.message import Message

import pytest
from prometheus_client.parser import text_string_to_metric_families

from nocturne.config.model import WebSettings
from nocturne.exports import web
from nocturne.exports.web import MAX_REQUESTS, WebExporter
from nocturne.snapshot import Hardware, Snapshot

TIMEOUT = 10.0  # how long a test waits for an answer before it fails


def fetch(
    url: str, method: str = "GET", headers: dict[str, str] | None = None
) -> tuple[int, Message, bytes]:
    """(status, headers, body) of one request; error statuses are answers too."""
    request = urllib.request.Request(url, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.headers, error.read()


async def get(url: str, **kw) -> tuple[int, Message, bytes]:
    """``fetch`` in a thread: the event loop stays free to answer /api/devices."""
    return await asyncio.to_thread(fetch, url, **kw)


async def until(condition, what: str) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + TIMEOUT
    while not condition():
        assert loop.time() < deadline, f"{what}: not within {TIMEOUT} s"
        await asyncio.sleep(0.05)


@pytest.fixture
async def exporter() -> AsyncIterator[WebExporter]:
    running = WebExporter(WebSettings(host="127.0.0.1", port=0))
    running.offer(Snapshot(hardware=Hardware(cpu_temp=51.5), lhm_online=True))
    await running.start()
    assert running.port
    try:
        yield running
    finally:
        await running.stop()


def values(text: str) -> dict[str, float]:
    return {
        sample.name: sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


async def test_metrics_carry_the_snapshot_and_no_access_log(exporter, capfd):
    status, headers, body = await get(f"{exporter.url}/metrics")
    assert status == 200 and headers["Content-Type"].startswith("text/plain; version=")
    got = values(body.decode())
    assert got["nocturne_cpu_temperature_celsius"] == 51.5
    assert got["nocturne_lhm_up"] == 1
    exporter.offer(Snapshot())
    _, _, body = await get(f"{exporter.url}/metrics")
    assert "nocturne_cpu_temperature_celsius" not in values(body.decode())
    assert capfd.readouterr().err == ""  # no "GET /metrics 200" line per scrape


async def test_a_scrape_can_ask_for_some_metrics_by_name(exporter):
    """Prometheus' ``?name[]=`` filter (prometheus_client's): the names come from the
    collector's describe(), so a gauge is found whether its value is known yet or not."""
    names = "name[]=nocturne_cpu_temperature_celsius&name[]=nocturne_build_info"
    url = f"{exporter.url}/metrics?{names}"
    status, _, body = await get(url)
    assert status == 200
    assert values(body.decode()) == {
        "nocturne_cpu_temperature_celsius": 51.5,
        "nocturne_build_info": 1.0,
    }
    exporter.offer(Snapshot())  # unknown now: asked for, and absent (never 0)
    _, _, body = await get(url)
    assert values(body.decode()) == {"nocturne_build_info": 1.0}


async def test_metrics_are_gzipped_when_asked(exporter):
    url = f"{exporter.url}/metrics"
    status, headers, body = await get(url, headers={"Accept-Encoding": "gzip"})
    assert status == 200 and headers["Content-Encoding"] == "gzip"
    assert values(gzip.decompress(body).decode())["nocturne_cpu_temperature_celsius"] == 51.5
    _, headers, body = await get(url)
    assert headers["Content-Encoding"] is None and b"nocturne_lhm_up 1.0" in body


async def test_snapshot_is_json_with_null_for_unknown(exporter):
    status, headers, body = await get(f"{exporter.url}/api/snapshot")
    assert (status, headers["Content-Type"]) == (200, "application/json; charset=utf-8")
    document = json.loads(body)
    assert document["hardware"]["cpu_temp"] == 51.5
    assert document["hardware"]["gpu_temp"] is None and document["ping_ms"] is None


async def test_devices_are_built_on_the_event_loop(exporter):
    loop_thread = threading.get_ident()
    built_on: list[int] = []

    def document() -> dict[str, object]:
        built_on.append(threading.get_ident())
        assert threading.get_ident() == loop_thread, "built in the web thread"
        return {"paired": ["desk"], "devices": []}

    exporter.devices_document = document
    status, headers, body = await get(f"{exporter.url}/api/devices")
    assert (status, headers["Content-Type"]) == (200, "application/json; charset=utf-8")
    assert json.loads(body) == {"paired": ["desk"], "devices": []}
    assert built_on == [loop_thread]


async def test_devices_are_503_while_the_loop_does_not_answer(exporter, monkeypatch):
    monkeypatch.setattr(web, "LOOP_TIMEOUT", 0.2)
    exporter.devices_document = lambda: {"paired": [], "devices": []}
    # Called on the loop itself, so the loop is blocked for the whole request.
    status, _, body = fetch(f"{exporter.url}/api/devices")
    assert status == 503 and b"try again" in body
    status, _, _ = await get(f"{exporter.url}/api/devices")  # the loop free again: served
    assert status == 200


async def test_unknown_paths_are_404_other_methods_405_and_head_has_no_body(exporter):
    status, _, body = await get(f"{exporter.url}/nope")
    assert status == 404 and b"/metrics" in body
    status, headers, _ = await get(f"{exporter.url}/metrics", method="POST")
    assert (status, headers["Allow"]) == (405, "GET, HEAD")
    _, _, body = await get(f"{exporter.url}/api/snapshot")
    head = await asyncio.to_thread(raw, exporter.port, b"HEAD /api/snapshot HTTP/1.0\r\n\r\n")
    status_line, _, rest = head.partition(b"\r\n")
    headers, _, after = rest.partition(b"\r\n\r\n")
    assert status_line.endswith(b" 200 OK") and after == b""  # the headers only
    assert f"Content-Length: {len(body)}".encode() in headers.split(b"\r\n")


def raw(port: int, request: bytes) -> bytes:
    """All the server sends back for ``request``, up to its closing the connection (HTTP/1.0:
    http.client would drop a body sent to HEAD, so it could not tell)."""
    with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as sock:
        sock.sendall(request)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


async def test_a_silent_client_does_not_hold_up_the_next(exporter, monkeypatch):
    monkeypatch.setattr(web, "CLIENT_TIMEOUT", 60.0)  # far beyond TIMEOUT
    with socket.create_connection(("127.0.0.1", exporter.port)):  # connects, sends nothing
        status, _, _ = await get(f"{exporter.url}/metrics")
    assert status == 200


async def test_a_silent_client_is_dropped_after_the_timeout_without_a_traceback(
    exporter, monkeypatch, capfd
):
    monkeypatch.setattr(web, "CLIENT_TIMEOUT", 0.2)
    before = threading.active_count()
    with socket.create_connection(("127.0.0.1", exporter.port)) as silent:
        silent.settimeout(TIMEOUT)
        assert silent.recv(1) == b""  # closed by the server
    await until(lambda: threading.active_count() <= before, "the request thread ends")
    assert capfd.readouterr().err == ""


def closed_by_server(sockets: list[socket.socket]) -> list[socket.socket]:
    """Those of ``sockets`` the server has closed (readable at EOF), without waiting."""
    if not sockets:
        return []
    with selectors.DefaultSelector() as selector:
        for sock in sockets:
            selector.register(sock, selectors.EVENT_READ)
        return [key.fileobj for key, _ in selector.select(0) if key.fileobj.recv(1) == b""]


async def test_a_flood_of_idle_connections_spawns_no_more_threads_than_the_cap(
    exporter, monkeypatch
):
    monkeypatch.setattr(web, "CLIENT_TIMEOUT", 60.0)
    before = threading.active_count()
    address = ("127.0.0.1", exporter.port)
    flood = [socket.create_connection(address) for _ in range(4 * MAX_REQUESTS)]
    closed: list[socket.socket] = []

    def count_closed() -> int:
        closed.extend(closed_by_server([s for s in flood if s not in closed]))
        return len(closed)

    try:
        over = len(flood) - MAX_REQUESTS
        await until(lambda: count_closed() >= over, "the connections over the cap closed")
        assert count_closed() == over  # the others still open, each held by a thread
        assert threading.active_count() <= before + MAX_REQUESTS + 1
    finally:
        for sock in flood:
            sock.close()
    answers: list[int] = []

    async def served() -> bool:  # the held threads see EOF and free their slots
        answers.append((await get(f"{exporter.url}/metrics"))[0])
        return answers[-1] == 200

    loop = asyncio.get_running_loop()
    deadline = loop.time() + TIMEOUT
    while not await served():
        assert loop.time() < deadline, answers
        await asyncio.sleep(0.05)


async def test_stop_returns_and_frees_the_port_with_a_client_still_connected(monkeypatch):
    monkeypatch.setattr(web, "CLIENT_TIMEOUT", 60.0)
    first = WebExporter(WebSettings(host="127.0.0.1", port=0))
    await first.start()
    address = ("127.0.0.1", first.port)
    with socket.create_connection(address):  # a request thread still waiting on it
        assert (await get(f"{first.url}/metrics"))[0] == 200
        await asyncio.wait_for(first.stop(), TIMEOUT)
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(address, timeout=TIMEOUT).close()
        second = WebExporter(WebSettings(host="127.0.0.1", port=first.port))
        await second.start()
        try:
            assert second.port == first.port
            assert (await get(f"{second.url}/metrics"))[0] == 200
        finally:
            await second.stop()


async def test_a_taken_port_is_one_log_line_and_no_raise(caplog):
    caplog.set_level(logging.INFO)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        exporter = WebExporter(WebSettings(host="127.0.0.1", port=taken.getsockname()[1]))
        await exporter.start()
        await exporter.stop()
    assert exporter.port is None
    errors = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(errors) == 1 and errors[0].levelno == logging.ERROR
    assert "cannot listen on 127.0.0.1:" in errors[0].getMessage()
    assert "set another 'web' port in config.json" in errors[0].getMessage()


def ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as sock:
            sock.bind(("::1", 0))
    except OSError:
        return False
    return True


@pytest.mark.skipif(not ipv6_loopback(), reason="no IPv6 loopback on this machine")
async def test_an_ipv6_host_is_served():
    exporter = WebExporter(WebSettings(host="::1", port=0))
    await exporter.start()
    try:
        assert exporter.url == f"http://[::1]:{exporter.port}"
        assert (await get(f"{exporter.url}/metrics"))[0] == 200
    finally:
        await exporter.stop()
