"""The emulator's board socket reads like MicroPython's on the ESP32: ``recv`` raises EAGAIN
and ``readinto`` returns None when nothing has arrived on a non-blocking socket; both see
injected bytes first and nothing while stalled; end of stream is b"" / 0."""

from __future__ import annotations

import errno
import socket
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from nocturne.emulator.lwip_socket import Faults, LwipSocket, LwipSocketModule


@pytest.fixture
def pair() -> Iterator[tuple[LwipSocketModule, LwipSocket, socket.socket]]:
    """A board socket connected (then non-blocking, as net.py leaves it) to a loopback peer."""
    listener = socket.create_server(("127.0.0.1", 0))
    stack = LwipSocketModule(Faults())
    board = stack.socket()
    board.settimeout(2)
    board.connect(stack.getaddrinfo("127.0.0.1", listener.getsockname()[1])[0][-1])
    board.setblocking(False)
    peer, _ = listener.accept()
    listener.close()
    yield stack, board, peer
    board.close()
    peer.close()


def eventually(read: Callable[[], Any]) -> Any:
    """``read()`` until it returns something other than None (loopback takes a moment)."""
    deadline = time.monotonic() + 5
    while (got := read()) is None:
        assert time.monotonic() < deadline, "nothing arrived"
        time.sleep(0.005)
    return got


def test_readinto_counts_and_none_when_nothing_arrived(pair):
    _, board, peer = pair
    buf = bytearray(8)
    assert board.readinto(buf) is None
    with pytest.raises(OSError) as exc:
        board.recv(8)
    assert exc.value.args[0] == errno.EAGAIN
    peer.sendall(b"abc\n")
    assert eventually(lambda: board.readinto(buf)) == 4
    assert buf[:4] == b"abc\n" and buf[4:] == bytes(4)
    peer.sendall(b"0123456789")
    time.sleep(0.05)
    assert board.readinto(buf, 3) == 3 and buf[:3] == b"012"  # nbytes caps the count
    assert board.readinto(memoryview(buf)[2:]) == 6 and buf == b"01345678"
    assert board.recv(8) == b"9"


def test_readinto_injected_bytes_first_and_nothing_while_stalled(pair):
    stack, board, peer = pair
    buf = bytearray(16)
    peer.sendall(b"real\n")
    time.sleep(0.05)
    stack.faults.inject(b"fake\n")
    stack.faults.stalled = True
    assert board.readinto(buf) == 5 and buf[:5] == b"fake\n"  # the inbox, then stalled
    assert board.readinto(buf) is None
    stack.faults.stalled = False
    assert board.readinto(buf) == 5 and buf[:5] == b"real\n"


def test_readinto_end_of_stream_and_reset(pair):
    _, board, peer = pair
    buf = bytearray(16)
    peer.sendall(b"last\n")
    peer.close()
    time.sleep(0.05)
    assert board.readinto(buf) == 5 and buf[:5] == b"last\n"
    assert board.readinto(buf) == 0  # the server closed: 0, as recv's b""
    assert board.recv(16) == b""
    board.reset()
    with pytest.raises(OSError):
        board.readinto(buf)
