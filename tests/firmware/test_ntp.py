"""NTP resync (ntp.py, desk.py): with the server gone for an hour the board asks the time
server in secrets.NTP_HOST. Always a local responder on loopback (a tiny UDP server in the
test), never the internet: on CPython, through the app on a ManualClock, and in the real
MicroPython unix port with its own sockets."""

import json
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from fakes import Rig
from nocturne_fw import desk, ntp

TM = 1796251620  # 22:47 UTC on 2 December 2026
NTP_DELTA = 2208988800
FIRMWARE = Path(__file__).resolve().parents[2] / "firmware"


class Responder:
    """An SNTP server on 127.0.0.1: answers each query with ``unix`` (mode 4, stratum 2),
    or with ``raw`` bytes when set; counts the queries."""

    def __init__(self, unix=TM):
        self.unix = unix
        self.raw = None
        self.queries = 0
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self.running = True
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while self.running:
            try:
                q, addr = self.sock.recvfrom(512)
            except OSError:
                continue
            if len(q) < 48 or q[0] & 7 != 3:
                continue
            self.queries += 1
            if self.raw is not None:
                self.sock.sendto(self.raw, addr)
                continue
            out = bytearray(48)
            out[0] = 0x1C  # LI 0, version 3, mode 4 (server)
            out[1] = 2  # stratum
            secs = (self.unix + NTP_DELTA) & 0xFFFFFFFF
            out[40:44] = secs.to_bytes(4, "big")
            self.sock.sendto(bytes(out), addr)

    def close(self):
        self.running = False
        self.thread.join()
        self.sock.close()


@pytest.fixture
def responder():
    r = Responder()
    yield r
    r.close()


def test_query_reads_the_servers_time(responder):
    assert ntp.query(socket, "127.0.0.1", responder.port) == TM
    assert responder.queries == 1


def test_a_time_after_2036_crosses_the_ntp_era(responder):
    responder.unix = 2_200_000_000  # 2039: the 32-bit NTP seconds have wrapped
    assert ntp.query(socket, "127.0.0.1", responder.port) == 2_200_000_000


@pytest.mark.parametrize(
    "raw",
    [b"", b"\x1c" * 20, bytes(48), b"\x1b" + bytes(47), b"\x1c\x00" + bytes(46)],
    ids=["empty", "short", "zeros", "a client's", "kiss-o-death"],
)
def test_bad_answers_are_none(responder, raw):
    responder.raw = raw
    assert ntp.query(socket, "127.0.0.1", responder.port, timeout=0.3) is None


def test_no_server_is_none_within_the_timeout():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as quiet:
        quiet.bind(("127.0.0.1", 0))  # bound, never answers
        port = quiet.getsockname()[1]
        assert ntp.query(socket, "127.0.0.1", port, timeout=0.2) is None


@pytest.mark.parametrize(
    ("spec", "want"),
    [
        ("pool.ntp.org", ("pool.ntp.org", 123)),
        ("10.0.0.1:1123", ("10.0.0.1", 1123)),
        ("", None),
        ("host:x", None),
        ("host:0", None),
        (":123", None),
        ("host:70000", None),
    ],
)
def test_ntp_host_spec(spec, want):
    assert ntp.split_host(spec) == want


def test_the_board_resyncs_after_the_server_has_been_gone_an_hour(tmp_path, responder):
    r = Rig(tmp_path, carousel=False)
    d = r.app.desk
    d.use_ntp(f"127.0.0.1:{responder.port}", socket)
    r.up(json.dumps({"pv": 2, "tm": TM - 600, "tz": 60}).encode() + b"\n")  # a PC 10 min slow
    w = d.wall
    assert w.sec == (TM - 600 + 3600) % 86400
    r.server.up = False
    r.server.conn.peer_closed = True
    r.run(60_000)
    assert d.away and responder.queries == 0  # CLOCK, but not an hour yet
    for _ in range(60):  # the next hour, a minute a tick
        r.clock.advance(60_000)
        r.app.tick()
    assert responder.queries == 1 and d.ntp_syncs == 1
    assert w.sec == (TM + 3600) % 86400  # NTP's time, in the last tz the server sent
    for _ in range(5 * 60 + 50):  # 5 h 50 min more: no second query yet
        r.clock.advance(60_000)
        r.app.tick()
    assert responder.queries == 1
    for _ in range(11):
        r.clock.advance(60_000)
        r.app.tick()
    assert responder.queries == 2


def test_a_failed_query_retries_in_ten_minutes_and_the_clock_keeps_going(tmp_path):
    r = Rig(tmp_path, carousel=False)
    d = r.app.desk
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as quiet:
        quiet.bind(("127.0.0.1", 0))
        d.use_ntp(f"127.0.0.1:{quiet.getsockname()[1]}", socket)
        r.up(json.dumps({"pv": 2, "tm": TM, "tz": 0}).encode() + b"\n")
        r.server.up = False
        r.server.conn.peer_closed = True
        r.run(20_000)
        r.clock.advance(desk.NTP_AFTER_MS)
        r.app.tick()
        assert d.ntp_fails == 1 and d.ntp_syncs == 0 and d.wall.known
        r.clock.advance(desk.NTP_RETRY_MS - 60_000)
        r.app.tick()
        assert d.ntp_fails == 1
        r.clock.advance(60_000)
        r.app.tick()
        assert d.ntp_fails == 2


def test_without_a_tz_from_the_server_ntp_is_not_asked(tmp_path, responder):
    """A board that never had a line with tm does not know its zone: NTP alone would show
    UTC as local time, so it stays "--:--"."""
    r = Rig(tmp_path, carousel=False)
    d = r.app.desk
    d.use_ntp(f"127.0.0.1:{responder.port}", socket)
    r.up(b'{"pv":2}\n')
    r.server.up = False
    r.server.conn.peer_closed = True
    r.run(20_000)
    r.clock.advance(desk.NTP_AFTER_MS + 1000)
    r.app.tick()
    assert responder.queries == 0 and not d.wall.known


def test_query_in_the_real_micropython_unix_port(responder, tmp_path):
    script = tmp_path / "q.py"
    script.write_text(
        "import sys, socket\n"
        f"sys.path.insert(0, {str(FIRMWARE)!r})\n"
        "from nocturne_fw import ntp\n"
        f"print(ntp.query(socket, '127.0.0.1', {responder.port}), sys.implementation.name)\n"
    )
    run = "import sys, micropython_unix as m; sys.exit(m.run_main(sys.argv))"
    out = subprocess.run(
        [sys.executable, "-c", run, str(script)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == [str(TM), "micropython"], out.stdout
    assert responder.queries == 1
