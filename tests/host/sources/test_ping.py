"""Ping: TCP connect time, measured against listening sockets on 127.0.0.1 only."""

from __future__ import annotations

import asyncio
import logging
import socket

import pytest

from nocturne.app import ping_source
from nocturne.collect.collector import Collector
from nocturne.config.model import Config
from nocturne.sources.local import LocalSource
from nocturne.sources.ping import PingSource, PingUnreachable
from nocturne.wire.protocol import snapshot_fields


@pytest.fixture
def listening():
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(16)
        yield server.getsockname()[1]


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # closed again at once: nothing listens there


async def test_connect_time_to_a_listening_socket(listening):
    source = PingSource("127.0.0.1", listening)
    values = [await source.read() for _ in range(3)]
    assert all(isinstance(v, float) and v > 0 for v in values)
    assert source.target == f"127.0.0.1:{listening}"


async def test_a_host_name_is_resolved(listening):
    source = PingSource("localhost", listening)
    try:
        assert await source.read() > 0
    except PingUnreachable as exc:  # "localhost" may resolve to ::1 where nothing listens
        assert "[::1]" in str(exc) or "localhost" in str(exc)


async def test_nothing_listening_is_unreachable():
    source = PingSource("127.0.0.1", closed_port())
    with pytest.raises(PingUnreachable, match=r"127\.0\.0\.1:\d+: "):
        await source.read()


async def test_unknown_host_is_unreachable(monkeypatch):
    # No real DNS query (it would leave this machine): getaddrinfo fails as it does offline.
    async def fail(*args, **kw):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(asyncio.get_running_loop(), "getaddrinfo", fail)
    source = PingSource("no-such-host.invalid", 53, timeout=1.0)
    with pytest.raises(PingUnreachable, match=r"cannot resolve no-such-host\.invalid"):
        await source.read()


def test_ping_source_from_config():
    assert ping_source(Config(ping_host="")) is None
    default = ping_source(Config())
    assert (default.host, default.port) == ("1.1.1.1", 53)  # built, never read in tests


async def test_collector_sends_pg_then_unknown_not_zero(caplog):
    caplog.set_level(logging.INFO)
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    port = server.getsockname()[1]
    collector = Collector(
        Config(),
        lhm=None,
        local=LocalSource(),
        ping=PingSource("127.0.0.1", port),
        clock=lambda: 1000.0,  # standing still: only failures make the ping unknown
    )
    try:
        await collector.feed("ping").start_poll()
        fields = snapshot_fields(collector.compose())
        assert isinstance(fields["pg"], int) and fields["pg"] >= 0
        server.close()  # the target goes away: unknown at once, never 0
        for _ in range(3):
            await collector.feed("ping").start_poll()
            assert "pg" not in snapshot_fields(collector.compose())
        server = socket.socket()
        server.bind(("127.0.0.1", port))
        server.listen(16)
        await collector.feed("ping").start_poll()
        assert "pg" in snapshot_fields(collector.compose())
    finally:
        server.close()
        await collector.stop()
    downs = [r for r in caplog.records if "Ping unavailable" in r.getMessage()]
    backs = [r for r in caplog.records if "Ping is back" in r.getMessage()]
    assert len(downs) == 1 and len(backs) == 1


async def test_a_silent_target_times_out(monkeypatch):
    source = PingSource("127.0.0.1", 9, timeout=0.2)

    async def never(sock, address):
        await asyncio.sleep(10)

    monkeypatch.setattr(asyncio.get_running_loop(), "sock_connect", never)
    with pytest.raises(PingUnreachable, match=r"no answer within 0\.2 s"):
        await source.read()
