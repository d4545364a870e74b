"""The web endpoint's HTTP server (aiohttp.web behind guard.py), over real loopback HTTP with a
stdlib client and raw sockets: routes, gzip, slow and silent clients, floods of connections,
a taken port, a stop that frees the port, IPv6, no wake-ups while idle."""

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
from nocturne.snapshot import Hardware, Snapshot
from nocturne.web import guard
from nocturne.web.server import WebExporter

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
    """``fetch`` in a thread: the event loop stays free to answer."""
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


async def test_the_servers_own_cost_per_source_is_on_metrics(exporter):
    await get(f"{exporter.url}/api/snapshot")  # the web's own handlers are charged to "web"
    _, _, body = await get(f"{exporter.url}/metrics")
    cpu = {
        sample.labels["source"]: sample.value
        for family in text_string_to_metric_families(body.decode())
        for sample in family.samples
        if sample.name == "nocturne_source_cpu_seconds_total"
    }
    assert cpu["web"] > 0
    assert values(body.decode())["nocturne_resident_memory_bytes"] > 10 * 1024 * 1024


async def test_snapshot_is_json_with_null_for_unknown(exporter):
    status, headers, body = await get(f"{exporter.url}/api/snapshot")
    assert (status, headers["Content-Type"]) == (200, "application/json; charset=utf-8")
    document = json.loads(body)
    assert document["hardware"]["cpu_temp"] == 51.5
    assert document["hardware"]["gpu_temp"] is None and document["ping_ms"] is None


async def test_devices_come_from_the_device_table(exporter):
    exporter.devices_document = lambda: {"paired": ["desk"], "devices": []}
    status, headers, body = await get(f"{exporter.url}/api/devices")
    assert (status, headers["Content-Type"]) == (200, "application/json; charset=utf-8")
    assert json.loads(body) == {"paired": ["desk"], "devices": []}


async def test_unknown_paths_are_404_other_methods_405_and_head_has_no_body(exporter):
    status, _, body = await get(f"{exporter.url}/nope")
    assert status == 404 and b"/metrics" in body
    status, headers, _ = await get(f"{exporter.url}/metrics", method="DELETE")
    assert (status, headers["Allow"]) == (405, "GET, HEAD")
    _, _, body = await get(f"{exporter.url}/api/snapshot")
    host = f"127.0.0.1:{exporter.port}"
    head = await asyncio.to_thread(
        raw, exporter.port, f"HEAD /api/snapshot HTTP/1.0\r\nHost: {host}\r\n\r\n".encode()
    )
    status_line, _, rest = head.partition(b"\r\n")
    headers, _, after = rest.partition(b"\r\n\r\n")
    assert status_line.endswith(b" 200 OK") and after == b""  # the headers only
    assert f"Content-Length: {len(body)}".encode() in headers.split(b"\r\n")


def raw(port: int, request: bytes, source: str = "127.0.0.1") -> bytes:
    """All the server sends back for ``request``, up to its closing the connection (HTTP/1.0:
    http.client would drop a body sent to HEAD, so it could not tell)."""
    with socket.create_connection(
        ("127.0.0.1", port), timeout=TIMEOUT, source_address=(source, 0)
    ) as sock:
        sock.sendall(request)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def closed_by_server(sockets: list[socket.socket]) -> list[socket.socket]:
    """Those of ``sockets`` the server has closed (readable at EOF or reset), without waiting."""
    if not sockets:
        return []
    closed = []
    with selectors.DefaultSelector() as selector:
        for sock in sockets:
            selector.register(sock, selectors.EVENT_READ)
        for key, _ in selector.select(0):
            try:
                if key.fileobj.recv(1) == b"":
                    closed.append(key.fileobj)
            except ConnectionResetError:
                closed.append(key.fileobj)
    return closed


async def test_a_silent_client_does_not_hold_up_the_next(exporter):
    with socket.create_connection(("127.0.0.1", exporter.port)):  # connects, sends nothing
        status, _, _ = await get(f"{exporter.url}/metrics")
    assert status == 200


async def test_a_silent_client_is_dropped_at_the_head_deadline_without_a_traceback(
    exporter, monkeypatch, capfd
):
    monkeypatch.setattr(guard, "HEAD_DEADLINE", 0.2)
    with socket.create_connection(("127.0.0.1", exporter.port)) as silent:
        silent.settimeout(TIMEOUT)
        assert await asyncio.to_thread(silent.recv, 1) == b""  # closed by the server
    await until(lambda: exporter._guard.open_connections == 0, "the connection forgotten")
    assert capfd.readouterr().err == ""


async def test_eight_clients_trickling_a_head_do_not_deny_metrics(exporter, monkeypatch):
    """The attack of the issue: 8 connections each sending a byte every few seconds. Each
    wait is short, the whole is not: the head's one deadline closes them (they held the
    old server's 8 request threads for ever), and they came from one address of their own,
    so they never held a place another address needs."""
    monkeypatch.setattr(guard, "HEAD_DEADLINE", 1.0)
    head = f"GET /metrics HTTP/1.1\r\nHost: 127.0.0.1:{exporter.port}\r\n\r\n".encode()
    attackers = [
        socket.create_connection(("127.0.0.1", exporter.port), source_address=("127.0.0.2", 0))
        for _ in range(8)
    ]
    stop = threading.Event()
    closed: list[socket.socket] = []

    def trickle() -> None:
        for i in range(len(head)):
            if stop.wait(0.3):
                return
            for sock in attackers:
                if sock not in closed:
                    try:
                        sock.send(head[i : i + 1])
                    except OSError:
                        closed.append(sock)

    thread = threading.Thread(target=trickle)
    thread.start()
    try:
        await asyncio.sleep(0.5)  # each has sent a byte or two
        status, _, _ = await get(f"{exporter.url}/metrics")
        assert status == 200

        def count_closed() -> int:
            closed.extend(closed_by_server([s for s in attackers if s not in closed]))
            return len(closed)

        await until(lambda: count_closed() == len(attackers), "the trickling heads closed")
        assert thread.is_alive()  # closed while still trickling, not at their end
    finally:
        stop.set()
        thread.join()
        for sock in attackers:
            sock.close()


async def test_connections_over_the_per_address_cap_are_refused_with_one_log_line(
    exporter, monkeypatch, caplog
):
    caplog.set_level(logging.WARNING, "nocturne.web")
    monkeypatch.setattr(guard, "MAX_PER_ADDRESS", 4)
    address = ("127.0.0.1", exporter.port)
    flood = [socket.create_connection(address, source_address=("127.0.0.3", 0)) for _ in range(20)]
    closed: list[socket.socket] = []

    def count_closed() -> int:
        closed.extend(closed_by_server([s for s in flood if s not in closed]))
        return len(closed)

    try:
        await until(lambda: count_closed() >= 16, "the connections over the cap closed")
        assert count_closed() == 16  # the 4 others still open
        assert exporter._guard.by_address["127.0.0.3"] == 4
        # another address is served meanwhile
        assert (await get(f"{exporter.url}/metrics"))[0] == 200
    finally:
        for sock in flood:
            sock.close()
    refusals = [r for r in caplog.records if "refused a connection" in r.getMessage()]
    assert len(refusals) == 1 and "127.0.0.3" in refusals[0].getMessage()


async def test_stop_returns_and_frees_the_port_with_a_client_still_connected():
    first = WebExporter(WebSettings(host="127.0.0.1", port=0))
    await first.start()
    address = ("127.0.0.1", first.port)
    with socket.create_connection(address):  # a connection still open
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


async def test_the_dashboard_url_is_logged_at_start(caplog):
    caplog.set_level(logging.INFO, "nocturne.web")
    exporter = WebExporter(WebSettings(host="127.0.0.1", port=0))
    await exporter.start()
    await exporter.stop()
    assert f"the dashboard at http://127.0.0.1:{exporter.port}/" in caplog.text


async def test_an_idle_server_never_wakes_the_event_loop(exporter):
    """No timer while no connection is open: the loop sleeps in select with no timeout."""
    assert (await get(f"{exporter.url}/metrics"))[0] == 200
    await until(lambda: exporter._guard.open_connections == 0, "the client gone")
    loop = asyncio.get_running_loop()
    await asyncio.sleep(0.2)  # aiohttp's and the test's own callbacks settle
    timers = [t for t in loop._scheduled if not t.cancelled()]  # type: ignore[attr-defined]
    assert timers == [], timers


async def test_the_doctor_sees_the_dashboard_answer_or_not(exporter):
    from nocturne.web.doctor import check_dashboard

    bound = WebSettings(host="127.0.0.1", port=exporter.port)
    ok, what, _ = await asyncio.to_thread(check_dashboard, bound, True)
    assert ok and what == f"dashboard answers at {exporter.url}/"
    await exporter.stop()
    ok, what, fix = await asyncio.to_thread(check_dashboard, bound, True)
    assert not ok and "does not answer" in what and "nocturne.log" in fix
    ok, what, _ = await asyncio.to_thread(check_dashboard, bound, False)
    assert ok and "once the server runs" in what


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
