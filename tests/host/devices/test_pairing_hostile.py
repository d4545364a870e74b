"""Pairing and discovery against a hostile LAN, over real TCP and UDP on loopback (several
127.0.0.x source addresses): the token is compared exactly, refusals are counted per
address and logged once per burst, a guessing address waits, and one address flooding
discovery queries cannot use up the answers other boards need (issue 27, 6)."""

from __future__ import annotations

import asyncio
import logging
import socket

import pytest

from nocturne.devices.discovery import AnswerBudget, Discovery, DiscoverySettings
from nocturne.devices.pairing import Pairing, new_token
from nocturne.devices.pairing_tries import BURST_GAP, LONGEST_WAIT, TRIES_BEFORE_WAIT
from nocturne.devices.server import DeviceServer
from nocturne.snapshot import Hardware, Snapshot

TIMEOUT = 5.0
DESK = new_token()


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def served(server: DeviceServer, line: bytes, source: str = "127.0.0.1") -> bool:
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port, local_addr=(source, 0))
    try:
        writer.write(line)
        await writer.drain()
        server.publish(Snapshot(hardware=Hardware(cpu_temp=61)))
        return bool(await asyncio.wait_for(reader.readline(), TIMEOUT))
    finally:
        writer.close()


@pytest.fixture
async def clock():
    return Clock()


@pytest.fixture
async def server(clock):
    server = DeviceServer("127.0.0.1", 0, pairing=Pairing({"desk": DESK}, clock=clock))
    await server.start()
    yield server
    await server.stop()


def refusal_lines(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if "Refused" in r.getMessage()]


@pytest.mark.parametrize("tail", [b"  ", b" ", "\u00a0".encode(), b"\t", b"x"])
async def test_a_token_with_anything_after_it_is_refused(server, tail):
    assert not await served(server, b"HELO " + DESK.encode() + tail + b"\n")


@pytest.mark.parametrize("end", [b"\n", b"\r\n"])
async def test_the_exact_token_is_served(server, end):
    assert await served(server, b"HELO " + DESK.encode() + end)


async def test_refusals_are_counted_per_address_and_logged_once_per_burst(server, clock, caplog):
    caplog.set_level(logging.INFO)
    for _ in range(TRIES_BEFORE_WAIT - 1):
        assert not await served(server, b"HELO " + new_token().encode() + b"\n", "127.0.0.2")
    assert not await served(server, b"HELO\n", "127.0.0.3")
    lines = refusal_lines(caplog)
    assert len(lines) == 2, lines  # the first of each address's burst
    assert "127.0.0.2" in lines[0] and "127.0.0.3" in lines[1]
    clock.now += BURST_GAP
    server.pairing.flush()
    lines = refusal_lines(caplog)[2:]
    assert len(lines) == 1, lines  # .3 had one refusal: nothing more to say
    assert f"Refused {TRIES_BEFORE_WAIT - 2} more HELO(s) from 127.0.0.2" in lines[0]
    assert all(DESK not in line for line in refusal_lines(caplog))


async def test_a_guessing_address_waits_and_others_are_served(server, clock, caplog):
    for _ in range(TRIES_BEFORE_WAIT):
        assert not await served(server, b"HELO " + new_token().encode() + b"\n", "127.0.0.2")
    # Its wait is on: even the right token from there is not looked at ...
    assert not await served(server, f"HELO {DESK}\n".encode(), "127.0.0.2")
    # ... while another address is served at once.
    assert await served(server, f"HELO {DESK}\n".encode(), "127.0.0.3")
    clock.now += LONGEST_WAIT
    assert await served(server, f"HELO {DESK}\n".encode(), "127.0.0.2")
    assert server.pairing.refused == TRIES_BEFORE_WAIT + 1


async def test_the_wait_grows_with_each_refusal(server, clock):
    for _ in range(TRIES_BEFORE_WAIT + 3):
        assert not await served(server, b"HELO\n", "127.0.0.2")
    clock.now += 1.0  # 0.5 s after the 10th refusal, 4 s after the 13th
    assert not await served(server, f"HELO {DESK}\n".encode(), "127.0.0.2")
    clock.now += LONGEST_WAIT
    assert await served(server, f"HELO {DESK}\n".encode(), "127.0.0.2")


async def test_a_flood_of_helos_from_one_address_costs_two_lines(server, clock, caplog):
    for _ in range(200):
        assert not await served(server, b"HELO " + new_token().encode() + b"\n", "127.0.0.2")
    clock.now += LONGEST_WAIT + BURST_GAP
    server.pairing.flush()
    lines = refusal_lines(caplog)
    assert len(lines) == 2, lines
    assert "Refused 199 more HELO(s) from 127.0.0.2" in lines[1] and "wait" in lines[1]


# --- discovery ---------------------------------------------------------------------------


async def test_one_address_flooding_queries_leaves_answers_for_the_others():
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    udp_port = sock.getsockname()[1]
    budget = AnswerBudget(rate=0.01, burst=20)  # hardly refilled: what is left is measured
    discovery = Discovery(
        DiscoverySettings("pc", mdns=False), lambda: False, udp_socket=sock, budget=budget
    )
    await discovery.start("127.0.0.1", 4321)
    loop = asyncio.get_running_loop()
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as flood:
            flood.bind(("127.0.0.2", 0))
            for _ in range(100):  # queued on the responder's socket before the board's query
                flood.sendto(b"NOCTURNE?", ("127.0.0.1", udp_port))
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as board:
                board.bind(("127.0.0.3", 0))
                board.setblocking(False)
                board.sendto(b"NOCTURNE?", ("127.0.0.1", udp_port))
                answer = await asyncio.wait_for(loop.sock_recv(board, 512), TIMEOUT)
        assert b'"name":"pc"' in answer
        assert discovery.answered <= 5  # the flooder got its own few, the board its one
    finally:
        await discovery.stop()


# --- a config.json that does not answer (a network drive) --------------------------------


async def test_a_config_read_that_hangs_delays_a_helo_by_the_deadline_only(
    tmp_path, monkeypatch, caplog
):
    """The re-read runs in a worker thread: the event loop (the boards' lines) never waits
    for it, and a HELO waits READ_DEADLINE at most, decided on the tokens in force."""
    import threading

    from nocturne.devices import pairing as pairing_module

    monkeypatch.setattr(pairing_module, "READ_DEADLINE", 0.2)
    path = tmp_path / "config.json"
    path.write_text("{}")
    release = threading.Event()

    def hanging_read(_path):  # shaped like pairing_file._tokens_in: Path -> tokens
        release.wait(30)
        return {"desk": DESK}

    pairing = Pairing({"desk": DESK}, config_path=path, load_tokens=hanging_read)
    server = DeviceServer("127.0.0.1", 0, pairing=pairing)
    await server.start()
    try:
        path.write_text('{"changed": 1}')  # a new stamp: the next HELO starts a re-read
        assert await served(server, f"HELO {DESK}\n".encode())
        assert not await served(server, b"HELO\n")
        slow = [r.getMessage() for r in caplog.records if "to read" in r.getMessage()]
        assert len(slow) == 1 and "took over 0.2 s" in slow[0], slow
    finally:
        release.set()
        await server.stop()
