"""peek.py in CPython over a real socket pair: when a frame goes (asked, redrawn, changed, no
sooner than pk), that it goes whole, and that a socket that will not take it fails the link
instead of cutting it. The server's side reads with its own LineSplitter."""

import socket

import pytest
from nocturne_fw import net, peek

from nocturne.emulator.lwip_socket import stream_write
from nocturne.wire.line_splitter import Frame, LineSplitter


class Oled:
    """The SSD1306 driver's buffer: the control byte, then the frame."""

    def __init__(self):
        self.buf = bytearray(1025)
        self.buf[0] = 0x40


class Link:
    """net.Link's face as peek.py sees it: the socket, its connection count and state."""

    def __init__(self, sock):
        self.sock = sock
        self.connects = 1
        self.state = net.S_UP
        self.failed = None

    def _fail(self, now, why, st):
        self.failed = why
        self.state = st
        self.sock = None


class App:
    def __init__(self, link):
        self.link = link
        self.frames = 0
        self.now = 1000


class BoardSocket(socket.socket):
    """A socket with the board's stream ``write(buf, off, n)`` (None when full)."""

    write = stream_write


@pytest.fixture
def wire():
    a, server = socket.socketpair()
    board = BoardSocket(fileno=a.detach())
    board.setblocking(False)
    server.settimeout(2)
    yield board, server
    board.close()
    server.close()


def received(server, splitter):
    """What the server side has got so far, split as the real server splits it."""
    out = []
    server.setblocking(False)
    try:
        while True:
            data = server.recv(65536)
            if not data:
                break
            out += splitter.feed(data)
    except BlockingIOError:
        pass
    return out


def test_a_frame_goes_whole_when_asked_changed_and_due(wire):
    board, server = wire
    oled = Oled()
    link = Link(board)
    app = App(link)
    p = peek.Peek(oled)
    splitter = LineSplitter()
    p.poll(app)
    assert received(server, splitter) == []  # not asked
    oled.buf[1:11] = b"\n\nscreen:7"  # bytes that look like lines
    p.swap({"pk": 250})
    p.poll(app)  # the answer: at once
    (first,) = received(server, splitter)
    assert isinstance(first, Frame) and first == bytes(oled.buf[1:])
    oled.buf[500] = 0xFF
    app.frames += 1
    app.now += 100
    p.poll(app)  # changed, but only 100 ms after the last one
    assert received(server, splitter) == []
    app.now += 150
    p.poll(app)
    assert received(server, splitter) == [bytes(oled.buf[1:])]
    app.frames += 1
    app.now += 300
    p.poll(app)  # redrawn, the same picture: nothing
    assert received(server, splitter) == []
    app.now += 1000
    p.poll(app)  # not redrawn since
    oled.buf[600] = 1
    app.frames += 1
    p.swap({"pk": 0})
    p.poll(app)
    assert received(server, splitter) == [] and p.sent == 2


def test_a_new_connection_starts_with_peek_off(wire):
    board, server = wire
    oled = Oled()
    link = Link(board)
    app = App(link)
    p = peek.Peek(oled)
    p.swap({"pk": 100})
    p.poll(app)  # the answer, on the connection that asked
    link.connects += 1  # the board connected again: the server that asked is gone
    app.frames += 1
    app.now += 500
    oled.buf[1] = 1
    p.poll(app)
    assert len(received(server, LineSplitter())) == 1 and p.period == 0 and p.sent == 1


@pytest.mark.parametrize("value", [True, -1, "250", 2.5, None, 60001])
def test_a_bad_pk_changes_nothing(value):
    p = peek.Peek(Oled())
    p.swap({"pk": value})
    assert p.period == 0


def test_a_small_pk_counts_as_the_least():
    p = peek.Peek(Oled())
    p.swap({"pk": 1})
    assert p.period == peek.MIN_MS


def test_a_socket_that_takes_no_whole_frame_fails_the_link(wire, monkeypatch):
    monkeypatch.setattr(peek, "REST_S", 0.2)
    board, _server = wire
    board.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
    try:
        while True:  # the server reads nothing: fill every buffer on the way
            board.send(b"x" * 4096)
    except BlockingIOError:
        pass
    oled = Oled()
    link = Link(board)
    app = App(link)
    p = peek.Peek(oled)
    p.swap({"pk": 250})
    p.poll(app)
    assert link.failed == "LINK ERROR" and p.period == 0 and p.sent == 0
    assert board.gettimeout() == 0.0  # non-blocking again for whoever holds it
