"""Discovery on loopback: the UDP query a board broadcasts, answered by a real server, and
the mDNS advertisement seen by a real zeroconf browser bound to 127.0.0.1 only."""

from __future__ import annotations

import asyncio
import ctypes
import json
import logging
import re
import socket
from pathlib import Path

import pytest

from nocturne.app import NocturneServer
from nocturne.config.model import load_config
from nocturne.devices.discovery import Discovery, DiscoverySettings
from nocturne.snapshot import Hardware, Snapshot
from nocturne.wire.protocol import MAX_DISCOVERY_QUERY, REVISION, encode_discovery_answer
from tests.harness.rig import free_port, write_config

TIMEOUT = 5.0
TOKEN = "Zq3v9Kp2Lm8Xw4Rt6Yb1Nc"  # 22 URL-safe characters (128+ bits)


async def query(port: int, datagram: bytes, timeout: float = TIMEOUT) -> bytes | None:
    """Send ``datagram`` to UDP 127.0.0.1:``port``; the answer, or None when none came."""
    loop = asyncio.get_running_loop()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.setblocking(False)
        sock.connect(("127.0.0.1", port))
        await loop.sock_sendall(sock, datagram)
        try:
            return await asyncio.wait_for(loop.sock_recv(sock, 2048), timeout)
        except TimeoutError:
            return None


async def running_server(tmp_path: Path, **keys):
    path = write_config(tmp_path, free_port(), "http://127.0.0.1:9/data.json", **keys)
    server = NocturneServer(load_config(path, environ={}).config, use_lhm=False, media=False)
    await server.start()
    return server


async def test_query_is_answered_with_one_json_line_and_no_token(tmp_path):
    server = await running_server(tmp_path, name="desk-pc")
    try:
        raw = await query(server.devices.port, b"NOCTURNE?\n")
        assert raw is not None and raw.endswith(b"\n") and raw.count(b"\n") == 1
        assert json.loads(raw) == {
            "name": "desk-pc",
            "port": server.devices.port,
            "proto": REVISION,
            "pairing": False,
        }
        assert server.discovery.udp_address == ("127.0.0.1", server.devices.port)
    finally:
        await server.stop()


async def test_answer_says_pairing_required_once_a_token_exists(tmp_path):
    server = await running_server(tmp_path, device_tokens={"desk": TOKEN})
    try:
        raw = await query(server.devices.port, b"NOCTURNE?")
        assert raw is not None
        answer = json.loads(raw)
        assert answer["pairing"] is True and answer["name"] == socket.gethostname()
        assert TOKEN.encode() not in raw
    finally:
        await server.stop()


async def test_allow_unpaired_answers_pairing_false(tmp_path):
    server = await running_server(tmp_path, device_tokens={"desk": TOKEN}, allow_unpaired=True)
    try:
        raw = await query(server.devices.port, b"NOCTURNE?")
        assert raw is not None and json.loads(raw)["pairing"] is False
    finally:
        await server.stop()


async def test_garbage_and_oversized_queries_get_nothing_and_one_log_line(tmp_path, caplog):
    caplog.set_level(logging.WARNING, logger="nocturne.devices.discovery")
    server = await running_server(tmp_path)
    try:
        port = server.devices.port
        assert await query(port, b"HELLO?", timeout=0.3) is None
        # A query padded past 64 bytes would let a small spoofed datagram ask for more than
        # it sent: not answered.
        assert await query(port, b"NOCTURNE?" + b" " * 100, timeout=0.3) is None
        for _ in range(20):
            assert await query(port, b"\x00junk", timeout=0.05) is None
        # ...and the responder still answers a real query after all that.
        assert await query(port, b"NOCTURNE?") is not None
        ignored = [r for r in caplog.records if "not a discovery query" in r.getMessage()]
        assert len(ignored) == 1, [r.getMessage() for r in caplog.records]
        assert server.discovery.answered == 1
    finally:
        await server.stop()


async def test_udp_port_taken_is_one_log_line_and_tcp_still_serves(tmp_path, caplog):
    port = free_port()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as squatter:
        squatter.bind(("127.0.0.1", port))
        path = write_config(tmp_path, port, "http://127.0.0.1:9/data.json")
        server = NocturneServer(load_config(path, environ={}).config, use_lhm=False, media=False)
        await server.start()
        try:
            assert server.discovery.udp_address is None
            assert [r for r in caplog.records if "Discovery off" in r.getMessage()]
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(b"HELO\n")
            server.devices.publish(Snapshot(hardware=Hardware(cpu_temp=50)))
            line = await asyncio.wait_for(reader.readline(), TIMEOUT)  # served: a line
            assert json.loads(line)["pv"] == REVISION
            writer.close()
        finally:
            await server.stop()


@pytest.mark.parametrize("pairing", [False, True])
async def test_mdns_advertisement_seen_by_a_browser_on_loopback(pairing):
    from zeroconf import IPVersion
    from zeroconf.asyncio import AsyncServiceInfo, AsyncZeroconf

    from nocturne.devices.discovery.mdns import SERVICE_TYPE

    port = free_port()
    name = f"nocturne-test-{port}"
    discovery = Discovery(DiscoverySettings(name, mdns=True), lambda: pairing)
    await discovery.start("127.0.0.1", port)
    browser = AsyncZeroconf(interfaces=["127.0.0.1"], ip_version=IPVersion.V4Only)
    try:
        assert await discovery.mdns_started(), "the advertisement did not start"
        info = AsyncServiceInfo(SERVICE_TYPE, f"{name}.{SERVICE_TYPE}")
        assert await info.async_request(browser.zeroconf, 3000)
        assert info.port == port
        assert info.parsed_addresses() == ["127.0.0.1"]
        assert info.decoded_properties == {
            "proto": str(REVISION),
            "pairing": "1" if pairing else "0",
        }
    finally:
        await browser.async_close()
        await discovery.stop()


def test_protocol_md_documents_the_answer_keys():
    text = (Path(__file__).parents[3] / "PROTOCOL.md").read_text(encoding="utf-8")
    section = text.split("## Discovery and pairing", 1)[1].split("\n## ", 1)[0]
    documented = re.findall(r"^\| `(\w+)` \| ", section, flags=re.M)
    answer = json.loads(encode_discovery_answer("pc", 8090, pairing=True))
    assert documented == list(answer)
    assert "`NOCTURNE?`" in section and "`HELO <token>`" in text
    assert f"**{MAX_DISCOVERY_QUERY} bytes**" in section


async def test_answer_follows_pairing_while_the_server_runs(tmp_path):
    from nocturne.devices.pairing_file import pair_board, unpair_board

    server = await running_server(tmp_path)
    try:
        port = server.devices.port
        assert json.loads(await query(port, b"NOCTURNE?") or b"{}")["pairing"] is False
        assert server.config.path is not None
        token, _ = pair_board(server.config.path, "desk")  # `nocturne pair desk` meanwhile
        raw = await query(port, b"NOCTURNE?")
        assert raw is not None and json.loads(raw)["pairing"] is True
        assert token.encode() not in raw
        unpair_board(server.config.path, "desk")
        assert json.loads(await query(port, b"NOCTURNE?") or b"{}")["pairing"] is False
    finally:
        await server.stop()


async def test_a_socket_bound_elsewhere_is_used_as_given():
    """What a test in a network namespace hands over: a UDP socket it bound itself."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    udp_port = sock.getsockname()[1]
    discovery = Discovery(DiscoverySettings("ns-pc", mdns=False), lambda: True, udp_socket=sock)
    await discovery.start("127.0.0.1", 4321)
    try:
        raw = await query(udp_port, b"NOCTURNE?")
        assert raw is not None
        assert json.loads(raw) == {"name": "ns-pc", "port": 4321, "proto": 2, "pairing": True}
    finally:
        await discovery.stop()


async def test_stop_while_mdns_still_registers_is_clean():
    port = free_port()
    discovery = Discovery(DiscoverySettings(f"nocturne-stop-{port}", mdns=True), lambda: False)
    await discovery.start("127.0.0.1", port)
    await discovery.stop()  # the registration (about a second of probing) is cancelled
    assert not await discovery.mdns_started()


async def test_mdns_txt_follows_pairing_while_the_server_runs(tmp_path):
    from zeroconf import IPVersion
    from zeroconf.asyncio import AsyncServiceInfo, AsyncZeroconf

    from nocturne.devices.discovery.mdns import SERVICE_TYPE
    from nocturne.devices.pairing_file import pair_board

    port = free_port()
    name = f"nocturne-txt-{port}"
    path = write_config(tmp_path, port, "http://127.0.0.1:9/data.json", mdns=True, name=name)
    server = NocturneServer(load_config(path, environ={}).config, use_lhm=False, media=False)
    await server.start()
    browser = AsyncZeroconf(interfaces=["127.0.0.1"], ip_version=IPVersion.V4Only)

    async def txt() -> dict:
        info = AsyncServiceInfo(SERVICE_TYPE, f"{name}.{SERVICE_TYPE}")
        assert await info.async_request(browser.zeroconf, 3000)
        return info.decoded_properties

    try:
        assert await server.discovery.mdns_started()
        assert (await txt())["pairing"] == "0"
        pair_board(path, "desk")
        _reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"HELO\n")  # refused; the server re-read config.json on the way
        await writer.drain()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + TIMEOUT
        while (await txt())["pairing"] != "1":
            assert loop.time() < deadline, "the TXT record still says pairing=0"
            await asyncio.sleep(0.1)
        writer.close()
    finally:
        await browser.async_close()
        await server.stop()


class FakeWs2:
    """ws2_32's WSAIoctl as ctypes calls it: records the socket, code and the BOOL passed."""

    def __init__(self, rc: int = 0) -> None:
        self.rc = rc
        self.calls: list[tuple[int, int, int, int]] = []

    def WSAIoctl(self, sock, code, in_buf, in_size, out_buf, out_size, returned, ov, routine):
        flag = ctypes.cast(in_buf, ctypes.POINTER(ctypes.c_int)).contents.value
        self.calls.append((sock.value, code.value, flag, in_size))
        assert out_buf is None and out_size == 0 and ov is None and routine is None
        return self.rc


def test_windows_turns_off_udp_connreset_on_the_discovery_socket():
    from nocturne.devices.discovery._windows import SIO_UDP_CONNRESET, ignore_port_unreachable

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        ws2 = FakeWs2()
        assert ignore_port_unreachable(sock, platform="win32", ws2=ws2)
        assert ws2.calls == [(sock.fileno(), SIO_UDP_CONNRESET, 0, 4)]
        assert not ignore_port_unreachable(sock, platform="win32", ws2=FakeWs2(rc=-1))
        untouched = FakeWs2()
        assert not ignore_port_unreachable(sock, platform="linux", ws2=untouched)
        assert untouched.calls == []
        assert not ignore_port_unreachable(sock)  # this Linux box: nothing to do


async def test_a_flood_of_queries_gets_a_bounded_number_of_answers(caplog):
    """Forged queries cannot turn the responder into a flood: the answers stop at the budget
    (here 5, refilled 1 per 1000 s) and the rest cost one log line."""
    from nocturne.devices.discovery import AnswerBudget

    caplog.set_level(logging.WARNING, logger="nocturne.devices.discovery")
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    udp_port = sock.getsockname()[1]
    budget = AnswerBudget(rate=0.001, burst=5)
    discovery = Discovery(
        DiscoverySettings("pc", mdns=False),
        lambda: False,
        udp_socket=sock,
        budget=budget,
        per_source=(10, 20),  # one address here: the overall budget is what is measured
    )
    await discovery.start("127.0.0.1", 4321)
    try:
        answers = [await query(udp_port, b"NOCTURNE?", timeout=0.2) for _ in range(12)]
        assert sum(a is not None for a in answers) == 5
        assert answers[:5] == [answers[0]] * 5 and answers[5:] == [None] * 7
        assert discovery.answered == 5
        held = [r for r in caplog.records if "left unanswered" in r.getMessage()]
        assert len(held) == 1
    finally:
        await discovery.stop()


def test_the_answer_budget_refills_at_its_rate():
    from nocturne.devices.discovery import AnswerBudget

    now = [0.0]
    budget = AnswerBudget(rate=10, burst=20, clock=lambda: now[0])
    assert sum(budget.take() for _ in range(100)) == 20
    now[0] += 1.0  # one second: ten more
    assert sum(budget.take() for _ in range(100)) == 10
    now[0] += 1000.0  # never more than the burst
    assert sum(budget.take() for _ in range(100)) == 20
