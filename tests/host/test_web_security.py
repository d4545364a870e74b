"""Who may use the dashboard (web/security.py), each attack tried with raw HTTP over loopback:
DNS rebinding (a foreign Host), cross-site requests (Origin, CSRF token), cross-site
WebSockets, CORS, the login, and a LAN bind without a password."""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import os
import socket
import stat
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from nocturne.config import ConfigError, WebSettings, load_config
from nocturne.web import security
from nocturne.web.server import WebExporter

TIMEOUT = 10.0
PASSWORD = "correct horse"


def exchange(port: int, request: bytes) -> tuple[int, dict[str, str], bytes]:
    """(status, headers in lower case, body) of one request on a connection of its own."""
    with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as sock:
        sock.sendall(request)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
            if b"\r\n\r\n" in b"".join(chunks) and request.startswith(b"GET /api/stream"):
                break  # an upgraded socket stays open
    head, _, body = b"".join(chunks).partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers.setdefault(name.strip().lower(), value.strip())
        if name.strip().lower() == "set-cookie":
            headers["set-cookie"] = value.strip()
    return int(lines[0].split()[1]), headers, body


async def request(
    exporter: WebExporter,
    method: str,
    path: str,
    *,
    host: str | None = "own",
    body: bytes = b"",
    **headers: str,
) -> tuple[int, dict[str, str], bytes]:
    lines = [f"{method} {path} HTTP/1.1"]
    if host is not None:
        lines.append(f"Host: {own_host(exporter) if host == 'own' else host}")
    lines += [f"{name.replace('_', '-')}: {value}" for name, value in headers.items()]
    lines += [f"Content-Length: {len(body)}", "Connection: close"]
    data = ("\r\n".join(lines) + "\r\n\r\n").encode() + body
    return await asyncio.to_thread(exchange, exporter.port, data)


def own_host(exporter: WebExporter) -> str:
    return f"127.0.0.1:{exporter.port}"


def own_origin(exporter: WebExporter) -> str:
    return f"http://{own_host(exporter)}"


@pytest.fixture
async def exporter() -> AsyncIterator[WebExporter]:
    running = WebExporter(WebSettings(host="127.0.0.1", port=0))
    await running.start()
    try:
        yield running
    finally:
        await running.stop()


@pytest.fixture
async def guarded() -> AsyncIterator[WebExporter]:
    """Served with a password (on loopback here: tests stay on this machine)."""
    settings = WebSettings(host="127.0.0.1", port=0, password_hash=security.hash_password(PASSWORD))
    running = WebExporter(settings)
    await running.start()
    try:
        yield running
    finally:
        await running.stop()


async def test_a_host_that_is_not_ours_is_refused_dns_rebinding(exporter, caplog):
    port = exporter.port
    for host in (f"evil.example:{port}", "evil.example", f"127.0.0.1.evil.example:{port}"):
        status, _, _ = await request(exporter, "GET", "/api/snapshot", host=host)
        assert status == 421, host
    assert (await request(exporter, "GET", "/api/snapshot", host=None))[0] == 400  # aiohttp's
    bare = b"GET /api/snapshot HTTP/1.0\r\n\r\n"  # HTTP/1.0 may leave it out: ours refuses
    assert (await asyncio.to_thread(exchange, exporter.port, bare))[0] == 421
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]  # a client's fault
    for host in (own_host(exporter), f"localhost:{port}", f"{socket.gethostname()}:{port}"):
        status, _, _ = await request(exporter, "GET", "/api/snapshot", host=host)
        assert status == 200, host


async def test_no_cors_headers_for_any_origin(exporter):
    status, headers, _ = await request(
        exporter, "GET", "/api/snapshot", Origin="http://evil.example"
    )
    assert status == 200 and not [h for h in headers if h.startswith("access-control-")]
    status, headers, _ = await request(
        exporter,
        "OPTIONS",
        "/api/config",
        Origin="http://evil.example",
        Access_Control_Request_Method="PUT",
    )
    assert status >= 400 and not [h for h in headers if h.startswith("access-control-")]


async def test_a_change_needs_the_pages_own_origin_and_its_csrf_token(exporter):
    _, _, body = await request(exporter, "GET", "/api/csrf")
    token = json.loads(body)["token"]
    origin = own_origin(exporter)
    # each with the right token (which another site cannot read): the Origin alone refuses
    attempts = [
        {"X_CSRF_Token": token},  # no Origin
        {"Origin": "http://evil.example", "X_CSRF_Token": token},
        {"Origin": "null", "X_CSRF_Token": token},
        {"Origin": origin.replace("127.0.0.1", "localhost"), "X_CSRF_Token": token},
        {"Origin": origin},  # the page's own Origin, and no token or a wrong one
        {"Origin": origin, "X_CSRF_Token": token[:-1] + ("A" if token[-1] != "A" else "B")},
    ]
    for headers in attempts:
        status, _, _ = await request(exporter, "POST", "/api/logout", **headers)
        assert status == 403, headers
    status, _, _ = await request(exporter, "POST", "/api/logout", Origin=origin, X_CSRF_Token=token)
    assert status == 200


async def test_a_websocket_from_another_origin_is_refused(exporter):
    def upgrade(origin: str) -> bytes:
        key = base64.b64encode(os.urandom(16)).decode()
        return (
            f"GET /api/stream HTTP/1.1\r\nHost: {own_host(exporter)}\r\nOrigin: {origin}\r\n"
            f"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
            "Sec-WebSocket-Version: 13\r\n\r\n"
        ).encode()

    status, _, _ = await asyncio.to_thread(exchange, exporter.port, upgrade("http://evil.example"))
    assert status == 403
    status, _, _ = await asyncio.to_thread(exchange, exporter.port, upgrade(own_origin(exporter)))
    assert status == 101


async def test_with_a_password_everything_but_the_login_needs_the_session(guarded, caplog):
    caplog.set_level(logging.WARNING, "nocturne.web")
    origin = own_origin(guarded)
    status, headers, _ = await request(guarded, "GET", "/api/snapshot")
    assert status == 401
    status, _, body = await request(guarded, "GET", "/api/csrf")
    assert json.loads(body) == {"token": None, "login_required": True}
    wrong = json.dumps({"password": "guess"}).encode()
    status, headers, _ = await request(guarded, "POST", "/api/login", body=wrong, Origin=origin)
    assert status == 403 and "set-cookie" not in headers
    assert "a wrong dashboard password from 127.0.0.1" in caplog.text
    for _ in range(3):  # a guesser: one log line, then a count
        await request(guarded, "POST", "/api/login", body=wrong, Origin=origin)
    assert caplog.text.count("wrong dashboard password") == 1
    right = json.dumps({"password": PASSWORD}).encode()
    status, _, _ = await request(guarded, "POST", "/api/login", body=right)  # no Origin
    assert status == 403
    status, headers, body = await request(guarded, "POST", "/api/login", body=right, Origin=origin)
    assert status == 200
    cookie = headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/" in cookie
    session = cookie.split(";")[0]
    token = json.loads(body)["token"]
    assert (await request(guarded, "GET", "/api/snapshot", Cookie=session))[0] == 200
    other = "nocturne_session=" + "A" * 43  # a made-up session
    assert (await request(guarded, "GET", "/api/snapshot", Cookie=other))[0] == 401
    status, _, _ = await request(
        guarded, "POST", "/api/logout", Cookie=session, Origin=origin, X_CSRF_Token=token
    )
    assert status == 200
    assert (await request(guarded, "GET", "/api/snapshot", Cookie=session))[0] == 401


async def test_with_a_password_basic_auth_serves_scripts_and_loopback_reads_metrics(guarded):
    def basic(password: str) -> str:
        return "Basic " + base64.b64encode(f"prometheus:{password}".encode()).decode()

    status, _, _ = await request(guarded, "GET", "/api/snapshot", Authorization=basic("nope"))
    assert status == 401
    status, _, _ = await request(guarded, "GET", "/api/snapshot", Authorization=basic(PASSWORD))
    assert status == 200
    # this machine's tray, doctor and `pair --list` read these without a login
    assert (await request(guarded, "GET", "/metrics"))[0] == 200
    assert (await request(guarded, "GET", "/api/devices"))[0] == 200
    assert (await request(guarded, "GET", "/api/boards"))[0] == 401


def write(tmp_path: Path, web: object) -> Path:
    path = tmp_path / "config.json"
    data = {"ping_host": "", "mdns": False, "web": web}
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.20", "mypc"])
def test_a_bind_beyond_loopback_without_a_password_is_refused_and_says_how(tmp_path, host):
    with pytest.raises(ConfigError, match="nocturne web-password") as info:
        load_config(write(tmp_path, {"host": host}), environ={})
    assert "key 'web.host'" in str(info.value)
    hashed = security.hash_password(PASSWORD)
    config = load_config(write(tmp_path, {"host": host, "password_hash": hashed}), environ={})
    assert config.config.web is not None and config.config.web.password_hash == hashed


async def test_the_exporter_itself_refuses_a_lan_bind_without_a_password(caplog):
    exporter = WebExporter(WebSettings(host="0.0.0.0", port=0))
    await exporter.start()
    await exporter.stop()
    assert exporter.port is None
    assert "refusing to serve the dashboard on 0.0.0.0 without a password" in caplog.text
    assert "nocturne web-password" in caplog.text


def test_the_password_is_stored_salted_with_scrypt():
    first, second = security.hash_password(PASSWORD), security.hash_password(PASSWORD)
    assert first != second and first.startswith("scrypt$16384$8$1$")
    assert PASSWORD not in first
    assert security.check_password(PASSWORD, first) and security.check_password(PASSWORD, second)
    assert not security.check_password("correct horsf", first)
    assert security.parse_hash("scrypt$3$8$1$AAAA$AAAA") is None  # n not a power of two
    assert not security.check_password(PASSWORD, "plain text")


def test_web_password_sets_the_hash_and_makes_a_lan_bind_valid(tmp_path):
    path = write(tmp_path, {"host": "0.0.0.0", "port": 8095})
    with pytest.raises(ConfigError):
        load_config(path, environ={})
    run = subprocess.run(
        [sys.executable, "-m", "nocturne", "--config", str(path), "web-password", "--stdin"],
        input=f"{PASSWORD}\n", capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    web = load_config(path, environ={}).config.web
    assert web is not None and web.host == "0.0.0.0"
    assert security.check_password(PASSWORD, web.password_hash)
    assert PASSWORD not in path.read_text()
    if os.name == "posix":
        assert stat.S_IMODE(path.stat().st_mode) == 0o600


async def test_a_trickled_body_has_a_deadline_too(guarded, monkeypatch):
    from nocturne.web import api

    monkeypatch.setattr(api, "BODY_DEADLINE", 0.3)
    head = (
        f"POST /api/login HTTP/1.1\r\nHost: {own_host(guarded)}\r\nOrigin: {own_origin(guarded)}"
        "\r\nContent-Type: application/json\r\nContent-Length: 100\r\nConnection: close\r\n\r\n"
    )
    # 10 bytes of the 100 announced, then nothing: answered at the deadline, not held
    status, _, body = await asyncio.to_thread(exchange, guarded.port, head.encode() + b'{"passwor')
    assert status == 400 and b"password" in body
