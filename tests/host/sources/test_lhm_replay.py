"""The LHM replay answers like LibreHardwareMonitor's web server: gzip when asked."""

from __future__ import annotations

import asyncio
import gzip
from pathlib import Path

from nocturne.devtools.lhm_replay import LhmReplay

CAPTURE = (
    Path(__file__).resolve().parents[2]
    / "fixtures/lhm/amd-r7-7800x3d_rtx4080super_nct6687d_lhm-0.9.6_comma.json"
)


async def _get(port: int, accept_encoding: str | None) -> tuple[dict[str, str], bytes]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    extra = f"Accept-Encoding: {accept_encoding}\r\n" if accept_encoding is not None else ""
    writer.write(f"GET /data.json HTTP/1.1\r\nHost: x\r\n{extra}Connection: close\r\n\r\n".encode())
    raw = await reader.read()
    writer.close()
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    return headers, body


async def test_gzip_when_the_request_asks_for_it_identity_otherwise():
    replay = LhmReplay(CAPTURE.read_bytes())
    await replay.start()
    try:
        headers, body = await _get(replay.port, "gzip, deflate")
        assert headers["content-encoding"] == "gzip"
        assert int(headers["content-length"]) == len(body) < len(CAPTURE.read_bytes()) // 4
        assert gzip.decompress(body) == CAPTURE.read_bytes()
        assert headers["cache-control"] == "no-cache"
        assert headers["access-control-allow-origin"] == "*"
        headers, body = await _get(replay.port, None)
        assert "content-encoding" not in headers and body == CAPTURE.read_bytes()
        headers, _ = await _get(replay.port, "GZIP")  # LHM matches gzip in any case
        assert headers["content-encoding"] == "gzip"
        assert replay.gzipped == 2 and replay.requests == 3
    finally:
        await replay.stop()


async def test_the_client_asks_a_local_lhm_for_the_plain_body():
    from nocturne.sources.lhm.client import LhmSource

    replay = LhmReplay(CAPTURE.read_bytes())
    await replay.start()
    source = LhmSource(replay.url)
    try:
        reading = await source.read()
    finally:
        await source.close()
        await replay.stop()
    assert reading.hardware.cpu_temp is not None
    assert replay.requests == 1 and replay.gzipped == 0  # LHM would have gzipped it


def test_gzip_is_asked_for_only_across_a_network():
    from nocturne.sources.lhm.client import accept_encoding

    for local in ("http://127.0.0.1:8085/data.json", "http://localhost:8085/", "http://[::1]:1/"):
        assert accept_encoding(local) == "identity", local
    for remote in ("http://192.168.1.20:8085/data.json", "http://gaming-pc:8085/data.json"):
        assert accept_encoding(remote) == "gzip", remote


async def _read_response(reader: asyncio.StreamReader) -> tuple[dict[str, str], bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    body = await reader.readexactly(int(headers["content-length"]))
    return headers, body


async def test_keep_alive_serves_many_requests_on_one_connection_until_asked_to_close():
    replay = LhmReplay(CAPTURE.read_bytes())
    await replay.start()
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", replay.port)
        for _ in range(3):  # HTTP/1.1 keeps the connection by default, as HttpListener does
            writer.write(b"GET /data.json HTTP/1.1\r\nHost: x\r\n\r\n")
            headers, body = await _read_response(reader)
            assert body == CAPTURE.read_bytes() and headers.get("connection") != "close"
        writer.write(b"GET /data.json HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        _, body = await _read_response(reader)
        assert body == CAPTURE.read_bytes()
        assert await asyncio.wait_for(reader.read(), 5) == b""  # closed after that answer
        writer.close()
        assert replay.requests == 4 and len(replay.connections) == 1
    finally:
        await replay.stop()


async def test_cpu_report_on_sigusr1_and_at_exit():
    import signal
    import sys

    from tests.harness.rig import free_port

    port = free_port()
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "nocturne.devtools.lhm_replay", str(CAPTURE),
        "--port", str(port), "--cpu", stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert proc.stdout is not None
    try:
        assert b"Replaying" in await asyncio.wait_for(proc.stdout.readline(), 30)
        for encoding in ("gzip", "identity"):
            await _get(port, encoding)
        proc.send_signal(signal.SIGUSR1)
        line = (await asyncio.wait_for(proc.stdout.readline(), 10)).decode()
        assert line.startswith("lhm_replay CPU: ") and "2 requests, 1 gzipped" in line, line
        proc.terminate()
        last = (await asyncio.wait_for(proc.stdout.readline(), 10)).decode()
        assert last.startswith("lhm_replay CPU: ") and "2 requests" in last, last
        assert float(last.split()[2]) > 0  # seconds of CPU: at least its start-up
        assert await asyncio.wait_for(proc.wait(), 10) == 0
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
