"""The TCP link's line framing and its 4096-byte cap (firmware/nocturne_fw/net.py)."""

import pytest
from fakes import FakeServer, FakeWLAN
from nocturne_fw import net as N


@pytest.fixture
def link():
    lines = []
    srv = FakeServer()
    lk = N.Link(FakeWLAN(), srv, "s", "p", "h", 8090, lambda b: lines.append(bytes(b)))
    lk.got = lines
    lk.srv = srv
    t = 0
    for _ in range(5):
        lk.poll(t)
        t += 10
    assert lk.state == N.S_UP
    return lk


def feed(lk, *chunks):
    for c in chunks:
        lk.srv.push(c)
        while lk.srv.conn.rx:  # a poll reads at most RECV_ROUNDS chunks
            lk.poll(100)


def test_lines_split_across_chunks(link):
    feed(link, b'{"a":', b"1}\n{", b'"b":2}\r\n', b"\n\n")
    assert link.got == [b'{"a":1}', b'{"b":2}']


def test_many_lines_in_one_chunk(link):
    feed(link, b"".join(b"%d\n" % i for i in range(50)))
    assert link.got == [b"%d" % i for i in range(50)]


def test_exactly_max_line_is_kept(link):
    body = b"x" * N.MAX_LINE
    feed(link, body[:1000], body[1000:], b"\n")
    assert link.got == [body]


@pytest.mark.parametrize("extra", [1, 100, 20000])
def test_oversize_line_dropped_up_to_newline(link, extra):
    big = b"y" * (N.MAX_LINE + extra)
    chunks = [big[i : i + 700] for i in range(0, len(big), 700)]
    feed(link, b"first\n", *chunks, b"\nafter\n")
    assert link.got == [b"first", b"after"]
    assert link.n == 0 and not link.skip


def test_oversize_tail_and_head_in_one_chunk(link):
    feed(link, b"z" * (N.MAX_LINE + 1) + b"\nok\n")
    assert link.got == [b"ok"]


def test_helo_then_screen(link):
    assert bytes(link.srv.conn.sent) == b"HELO\n"
    link.report_scene(4)
    link.report_scene(4)
    assert bytes(link.srv.conn.sent) == b"HELO\nscreen:4\n"


def test_reset_is_a_failure(link):
    link.srv.conn.reset = True
    link.poll(200)
    assert link.state == N.S_WAIT and link.error == "LINK ERROR"
    assert link.retry_in(200) == N.BACKOFF_MIN_MS


def test_backoff_caps(link):
    link.srv.up = False
    link.srv.conn.peer_closed = True
    t = 200
    delays = []
    for _ in range(8):
        link.poll(t)
        delays.append(link.retry_in(t))
        t += link.retry_in(t)
    assert delays == [1000, 2000, 4000, 8000, 16000, 16000, 16000, 16000]
