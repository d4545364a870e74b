"""The search over real sockets on CPython: the emulator's UDP socket (lwip_socket.py) and a
whole emulated board with an empty SERVER_HOST, inside a private network namespace the test
makes (its loopback and a veth to a second one; needs root, as CI has). The board's subnet
is loopback, so its broadcast (127.255.255.255) and everything else stays in there."""

from __future__ import annotations

import errno
import json
import socket
import time

import pytest

from nocturne.emulator.device import Device
from nocturne.emulator.lwip_socket import (
    LOOPBACK_LAN,
    Faults,
    LwipSocketModule,
    board_lan,
    lan_address,
)
from nocturne.emulator.secrets_file import make_secrets
from tests.harness.netns import SERVER_ADDRESS, NamespacePair, call_in

ANSWER = b'{"name": "DESK", "port": %d, "proto": 2, "pairing": false}\n'


@pytest.fixture(scope="module")
def nets():
    with NamespacePair() as pair:
        yield pair


def test_the_board_subnet_is_loopback_for_a_loopback_server_else_the_lan(nets):
    assert board_lan("127.0.0.1") == LOOPBACK_LAN
    assert board_lan("127.3.4.5") == board_lan("localhost") == LOOPBACK_LAN
    # in a namespace whose only other interface is the veth: that one
    assert call_in(nets.server, lan_address) == (SERVER_ADDRESS, "255.255.255.252")
    assert call_in(nets.server, lambda: board_lan("")) == (SERVER_ADDRESS, "255.255.255.252")


def _udp_round_trip():
    responder = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    responder.bind(("0.0.0.0", 0))  # a broadcast reaches only a socket bound to any address
    responder.settimeout(5)
    port = responder.getsockname()[1]
    mod = LwipSocketModule(Faults())  # loopback: what a test's board is on
    s = mod.socket(mod.AF_INET, mod.SOCK_DGRAM)
    try:
        s.setsockopt(mod.SOL_SOCKET, mod.SO_BROADCAST, 1)
        s.bind(("0.0.0.0", 0))
        s.setblocking(False)
        with pytest.raises(OSError) as nothing:
            s.recvfrom(512)
        s.sendto(b"NOCTURNE?\n", ("255.255.255.255", port))  # the board's fallback
        got, sender = responder.recvfrom(64)
        responder.sendto(ANSWER % 8090, sender)
        with pytest.raises(OSError) as beyond:
            s.sendto(b"NOCTURNE?\n", ("10.213.0.2", port))  # not the board's subnet
        deadline = time.monotonic() + 5
        while True:
            try:
                answer = s.recvfrom(512)
                break
            except BlockingIOError:
                assert time.monotonic() < deadline
                time.sleep(0.01)
        return nothing.value.errno, got, s.sent, beyond.value.errno, answer, mod.open
    finally:
        s.close()
        responder.close()


def test_udp_like_lwip_limited_broadcast_to_the_subnet_and_nothing_beyond_it(nets):
    nothing, got, sent, beyond, answer, still_open = call_in(nets.server, _udp_round_trip)
    assert nothing == errno.EAGAIN  # lwIP's non-blocking recvfrom with nothing there
    assert got == b"NOCTURNE?\n"
    assert [addr[0] for _, addr in sent] == ["127.255.255.255"]  # 255.255.255.255, mapped
    assert beyond == errno.ENETUNREACH
    assert answer == (ANSWER % 8090, ("127.0.0.1", answer[1][1]))
    assert not still_open


def _board_searches(tmp_path):
    """A responder and a line server on one port (UDP + TCP) and a board with an empty
    SERVER_HOST, ticked on this thread until it shows a scene with the server's data."""
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind(("0.0.0.0", 0))
    port = udp.getsockname()[1]
    udp.setblocking(False)
    tcp = socket.socket()
    tcp.bind(("127.0.0.1", port))
    tcp.listen()
    tcp.setblocking(False)
    dev = Device(secrets=make_secrets("", port, name="desk"), fs_dir=tmp_path, lan=LOOPBACK_LAN)
    queries, screens, conns = [], [], []
    try:
        deadline = time.monotonic() + 20
        next_line = 0.0
        while time.monotonic() < deadline:
            dev.tick()
            name = dev.screen_name()
            if not screens or screens[-1] != name:
                screens.append(name)
            try:
                data, sender = udp.recvfrom(64)
                queries.append((data, sender[0]))
                udp.sendto(ANSWER % port, sender)
            except BlockingIOError:
                pass
            try:
                conn, _ = tcp.accept()
                conns.append(conn)
            except BlockingIOError:
                pass
            if conns and time.monotonic() >= next_line:
                next_line = time.monotonic() + 0.3
                conns[-1].sendall(b'{"ct":41,"cl":7}\n')
            if dev.screen_name() == "HUB" and (tmp_path / "server.json").exists():
                break
            time.sleep(0.01)
        hello = conns[0].recv(64) if conns else b""
        memo = json.loads((tmp_path / "server.json").read_text())
        return port, queries, screens, hello, memo, dev.app.link.finder
    finally:
        dev.close()
        for c in conns:
            c.close()
        udp.close()
        tcp.close()


def test_a_board_without_server_host_finds_a_loopback_server(nets, tmp_path):
    port, queries, screens, hello, memo, finder = call_in(
        nets.server, lambda: _board_searches(tmp_path)
    )
    assert queries and queries[0] == (b"NOCTURNE?\n", "127.0.0.1")
    assert screens[-1] == "HUB", screens
    assert f"FOUND DESK (127.0.0.1:{port})" in screens, screens
    assert hello.startswith(b"HELO\n")  # no SERVER_TOKEN: a bare HELO
    assert memo == {"host": "127.0.0.1", "port": port, "name": "DESK"}
    assert finder is None  # the search's code let go of, once linked


def test_emulate_options_make_the_boards_secrets():
    import argparse

    from nocturne.emulator import cli

    parser = argparse.ArgumentParser()
    cli.configure_parser(parser)
    args = parser.parse_args(["--host", "", "--server-name", "desk", "--token", "t" * 22])
    s = cli._secrets(args, 9000)
    assert (s.SERVER_HOST, s.SERVER_PORT, s.SERVER_NAME, s.SERVER_TOKEN) == (
        "",
        9000,
        "desk",
        "t" * 22,
    )
    s = cli._secrets(parser.parse_args([]), 8090)  # as before: an original secrets.py's names
    assert s.SERVER_HOST == "127.0.0.1" and not hasattr(s, "SERVER_NAME")
    assert not hasattr(s, "SERVER_TOKEN")
