"""Finding the PC (firmware/nocturne_fw/discovery.py and the Link's use of it), on fakes
shaped like MicroPython's socket module: the broadcast query, the answers, picking by
SERVER_NAME, the remembered address, following a PC whose address changed, and the screens.
Real sockets: test_discovery_udp.py (CPython, a private namespace) and
tests/e2e/test_discovery_netns.py (the real server and emulator between two namespaces)."""

import json
import sys

import pytest
from fakes import FakeOled, FakeWLAN, Pin
from nocturne_fw import app as A
from nocturne_fw import clock
from nocturne_fw import discovery as D
from nocturne_fw import net as N
from nocturne_fw import scene_ids as ids
from nocturne_fw.settings import Settings

LINE = b'{"ct":40}\n'


# -- a LAN of fake PCs, shaped like MicroPython's socket module ---------------------------


class Pc:
    def __init__(self, ip, name, port=8090, pairing=False, token=None, udp=8090):
        self.ip = ip
        self.name = name
        self.port = port  # TCP, as answered
        self.udp = udp  # where it answers queries: the TCP port's number for our server
        self.pairing = pairing
        self.token = token  # HELO <token> it accepts, None: any HELO
        self.up = True
        self.answering = True
        self.conns = []
        self.queries = 0

    def answer(self):
        return (
            json.dumps(
                {"name": self.name, "port": self.port, "proto": 2, "pairing": self.pairing}
            ).encode()
            + b"\n"
        )


class Udp:
    def __init__(self, lan):
        self.lan = lan
        self.inbox = []  # (data, (ip, port))
        self.closed = False
        self.bound = None
        self.opts = []

    def setsockopt(self, level, opt, value):
        self.opts.append((level, opt, value))

    def bind(self, addr):
        self.bound = addr

    def setblocking(self, flag):
        assert flag is False

    def sendto(self, data, addr):
        assert not self.closed
        if addr[0] in self.lan.unreachable:
            raise OSError(118)  # EHOSTUNREACH
        self.lan.sent.append((bytes(data), addr))
        if addr[0] in (self.lan.broadcast, D.LIMITED) and data.startswith(b"NOCTURNE?"):
            for pc in self.lan.pcs:
                if pc.answering and pc.udp == addr[1]:
                    pc.queries += 1
                    self.inbox.append((pc.answer(), (pc.ip, 50000)))
            self.inbox.extend(self.lan.junk)
        return len(data)

    def recvfrom(self, n):
        if not self.inbox:
            raise OSError(11)  # EAGAIN, as lwIP raises it
        data, addr = self.inbox.pop(0)
        return data[:n], addr

    def close(self):
        self.closed = True


class Tcp:
    def __init__(self, lan):
        self.lan = lan
        self.pc = None
        self.rx = bytearray()
        self.sent = bytearray()
        self.closed = False
        self.peer_closed = False

    def settimeout(self, t):
        pass

    def setblocking(self, flag):
        pass

    def connect(self, addr):
        self.lan.connects.append(addr)
        for pc in self.lan.pcs:
            if pc.ip == addr[0] and pc.port == addr[1] and pc.up:
                self.pc = pc
                pc.conns.append(self)
                return
        raise OSError(113)  # EHOSTUNREACH (or a timeout: the same failure to the link)

    def send(self, data):
        self.sent += data
        pc = self.pc
        helo = self.sent.split(b"\n")[0] if b"\n" in self.sent else None
        if pc.token is not None and helo is not None and helo != b"HELO " + pc.token.encode():
            self.peer_closed = True  # refused at once
        return len(data)

    def readinto(self, buf, nbytes=None):
        if self.pc is not None and not self.pc.up:
            raise OSError(104)
        if self.rx:
            n = min(len(buf), len(self.rx))
            buf[:n] = self.rx[:n]
            del self.rx[:n]
            return n
        return 0 if self.peer_closed else None

    def close(self):
        self.closed = True


class Lan:
    """``socket_mod`` for the Link: PCs on 192.168.1.0/24, the board at .50."""

    AF_INET = 2
    SOCK_STREAM = 1
    SOCK_DGRAM = 2
    SOL_SOCKET = 4095
    SO_BROADCAST = 32

    def __init__(self, *pcs):
        self.pcs = list(pcs)
        self.broadcast = "192.168.1.255"
        self.unreachable = set()
        self.sent = []
        self.connects = []
        self.udp = []
        self.junk = []  # datagrams that arrive after each query

    def getaddrinfo(self, host, port):
        return [(2, 1, 0, "", (host, port))]

    def socket(self, af=2, kind=1):
        if kind == self.SOCK_DGRAM:
            s = Udp(self)
            self.udp.append(s)
            return s
        return Tcp(self)

    def pc(self, ip):
        return next(p for p in self.pcs if p.ip == ip)

    def push(self, line=LINE):
        """A line from every PC to each open connection."""
        for pc in self.pcs:
            for c in pc.conns:
                if not c.closed and pc.up:
                    c.rx += line


class Wlan(FakeWLAN):
    def __init__(self, ip="192.168.1.50", mask="255.255.255.0"):
        super().__init__()
        self.cfg = (ip, mask, "192.168.1.1", "192.168.1.1")

    def ifconfig(self):
        return self.cfg if self.isconnected() else ("0.0.0.0",) * 4


def make_link(lan, host="", name="", token="", memo=None, wlan=None):
    lines = []
    link = N.Link(
        wlan or Wlan(),
        lan,
        "ssid",
        "pw",
        host,
        8090,
        lambda b: lines.append(bytes(b)),
        name,
        token,
        memo,
    )
    link.got = lines
    return link


def run(link, lan, ms, t0=0, feed=True, until=None):
    """Poll every 10 ms for ``ms``; PCs send a line every 500 ms. Returns the time reached."""
    t = t0
    while t < t0 + ms:
        if feed and t % 500 == 0:
            lan.push()
        link.poll(t)
        if until is not None and until():
            return t
        t += 10
    return t


# -- pure parts -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "ip, mask, want",
    [
        ("192.168.1.37", "255.255.255.0", "192.168.1.255"),
        ("10.213.0.2", "255.255.255.252", "10.213.0.3"),
        ("172.20.5.9", "255.255.240.0", "172.20.15.255"),
        ("10.1.2.3", "255.0.0.0", "10.255.255.255"),
        ("0.0.0.0", "0.0.0.0", None),  # not joined
        ("192.168.1.37", "255.255.255.255", None),  # /32
        ("192.168.1.36", "255.255.255.254", None),  # /31: no broadcast
        ("192.168.1", "255.255.255.0", None),
        ("192.168.1.300", "255.255.255.0", None),
        ("a.b.c.d", "255.255.255.0", None),
        ("192.168.1.37", "0.0.0.0", None),
    ],
)
def test_broadcast_address_from_ifconfig(ip, mask, want):
    assert D.broadcast_of(ip, mask) == want


GOOD = {"name": "DESK", "port": 8091, "proto": 2, "pairing": True}


def test_an_answer_is_parsed():
    assert D.parse_answer(json.dumps(GOOD).encode() + b"\n") == ("DESK", 8091, 2, True)
    assert D.parse_answer(json.dumps({**GOOD, "extra": [1]}).encode()) == ("DESK", 8091, 2, True)


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"NOCTURNE?",
        b"\xff\xfe{",
        b"[1, 2]",
        b'"DESK"',
        json.dumps({**GOOD, "name": ""}).encode(),
        json.dumps({**GOOD, "name": 5}).encode(),
        json.dumps({**GOOD, "port": "8090"}).encode(),
        json.dumps({**GOOD, "port": True}).encode(),
        json.dumps({**GOOD, "port": 0}).encode(),
        json.dumps({**GOOD, "port": 70000}).encode(),
        json.dumps({**GOOD, "proto": None}).encode(),
        json.dumps({**GOOD, "proto": 0}).encode(),
        json.dumps({**GOOD, "pairing": 1}).encode(),
        json.dumps({k: v for k, v in GOOD.items() if k != "pairing"}).encode(),
        json.dumps(GOOD).encode()[:-3],  # cut short
    ],
)
def test_what_is_not_an_answer_is_none(data):
    assert D.parse_answer(data) is None


def test_memo_round_trip_and_bad_files(tmp_path):
    path = str(tmp_path / "server.json")
    assert D.load_memo(path) is None
    assert D.save_memo(path, "192.168.1.7", 8090, "DESK")
    assert D.load_memo(path) == ("192.168.1.7", 8090, "DESK")
    for bad in ("{", "[]", '{"host": "x", "port": 8090}', '{"host": "1.2.3.4", "port": -1}'):
        (tmp_path / "server.json").write_text(bad)
        assert D.load_memo(path) is None, bad
    assert not D.save_memo(str(tmp_path / "missing" / "server.json"), "1.2.3.4", 1, "")


# -- the Finder -------------------------------------------------------------------------------


def finder(lan, name="", wlan=None):
    w = wlan or Wlan()
    w.connected = True
    return D.Finder(lan, w, 8090, name)


def test_query_goes_to_the_subnet_broadcast_with_so_broadcast_and_repeats_backing_off():
    lan = Lan()  # nobody answers
    f = finder(lan)
    assert f.start(0)
    sock = lan.udp[-1]
    assert (lan.SOL_SOCKET, lan.SO_BROADCAST, 1) in sock.opts and sock.bound == ("0.0.0.0", 0)
    sent_at = []
    for t in range(0, 20000, 10):
        n = len(lan.sent)
        assert not f.poll(t)
        if len(lan.sent) > n:
            sent_at.append(t)
    assert sent_at == [0, 500, 1500, 3500, 7500, 11500, 15500, 19500]
    assert {a for _, a in lan.sent} == {("192.168.1.255", 8090)}
    assert {d for d, _ in lan.sent} == {b"NOCTURNE?\n"}
    f.stop()
    assert sock.closed and not f.active


@pytest.mark.parametrize("cfg", [("0.0.0.0",) * 4, ("192.168.1.50", "255.255.255.255")])
def test_without_a_subnet_the_query_goes_to_the_limited_broadcast(cfg):
    lan = Lan(Pc("192.168.1.7", "DESK"))
    w = Wlan()
    w.cfg = (*cfg, "", "")
    f = finder(lan, wlan=w)
    f.start(0)
    assert f.poll(0)
    assert lan.sent == [(D.QUERY, (D.LIMITED, 8090))]
    assert (f.host, f.port, f.name) == ("192.168.1.7", 8090, "DESK")


def test_a_subnet_send_that_fails_falls_back_to_the_limited_broadcast():
    lan = Lan(Pc("192.168.1.7", "DESK"))
    lan.unreachable.add("192.168.1.255")
    f = finder(lan)
    f.start(0)
    assert f.poll(0)
    assert lan.sent == [(D.QUERY, (D.LIMITED, 8090))]


def test_first_answer_wins_without_a_name_and_the_tcp_port_is_the_answers():
    lan = Lan(Pc("192.168.1.7", "DESK", pairing=True), Pc("192.168.1.8", "ATTIC"))
    lan.pcs[0].port = lan.pcs[1].port = 8090
    f = finder(lan)
    f.start(0)
    assert f.poll(0)
    assert (f.host, f.name, f.pairing) == ("192.168.1.7", "DESK", True)
    assert not f.active and lan.udp[-1].closed


def test_server_name_picks_one_pc_of_several_in_any_case():
    lan = Lan(Pc("192.168.1.7", "DESK"), Pc("192.168.1.8", "Attic-PC"))
    f = finder(lan, name="ATTIC-pc")
    f.start(0)
    assert f.poll(0)
    assert (f.host, f.name) == ("192.168.1.8", "Attic-PC")


def test_with_a_name_no_other_pc_is_taken_and_the_one_seen_is_kept():
    lan = Lan(Pc("192.168.1.7", "DESK"))
    f = finder(lan, name="ATTIC")
    f.start(0)
    for t in range(0, 5000, 10):
        assert not f.poll(t)
    assert f.host is None and f.seen == "DESK" and f.active and f.answers >= 3


def test_junk_and_bad_answers_are_skipped_with_one_log_line_each(capsys):
    lan = Lan(Pc("192.168.1.9", "DESK"))
    lan.junk = [(b"garbage", ("192.168.1.66", 9)), (b'{"name": 1}', ("192.168.1.67", 9))]
    lan.pcs[0].answering = False
    f = finder(lan)
    f.start(0)
    assert not f.poll(0)
    assert not f.poll(10)
    assert f.host is None and f.answers == 0
    out = capsys.readouterr().out.splitlines()
    assert out == [
        "discovery: not an answer, from 192.168.1.66",
        "discovery: not an answer, from 192.168.1.67",
    ]
    lan.pcs[0].answering = True
    assert not f.poll(20)
    t = run_finder(f, 20, 1000)
    assert t is not None and f.host == "192.168.1.9"


def run_finder(f, t0, ms):
    for t in range(t0, t0 + ms, 10):
        if f.poll(t):
            return t
    return None


def test_no_udp_socket_is_a_clear_error_not_an_exception():
    class NoUdp(Lan):
        def socket(self, af=2, kind=1):
            raise OSError(23)  # ENFILE

    f = finder(NoUdp())
    assert not f.start(0) and f.error == "NO UDP" and not f.active
    assert not f.poll(10)


# -- the Link ---------------------------------------------------------------------------------


def test_empty_host_searches_connects_to_the_answer_and_remembers_it(tmp_path):
    memo = tmp_path / "server.json"
    lan = Lan(Pc("192.168.1.7", "DESK", port=8091))
    link = make_link(lan, memo=str(memo))
    assert link.host == ""
    t = run(link, lan, 2000, until=lambda: link.state == N.S_UP)
    assert lan.connects == [("192.168.1.7", 8091)]
    assert link.host == "192.168.1.7" and link.port == 8091 and link.server_name == "DESK"
    assert not memo.exists()  # not before a line came
    assert lan.pcs[0].conns[0].sent.startswith(b"HELO\n")
    run(link, lan, 600, t0=t)
    assert link.got and link.state == N.S_UP and link.finder is None
    assert "nocturne_fw.discovery" in sys.modules  # FOUND still draws with it ...
    assert link.screen(t + 600 + N.FOUND_MS, ids.SYS_CONNECT) == ids.SYS_FOUND
    assert link.screen(t + 600 + 2 * N.FOUND_MS, ids.SYS_CONNECT) == ids.SYS_CONNECT
    assert "nocturne_fw.discovery" not in sys.modules and link.disc is None  # ... then not
    assert lan.udp[-1].closed
    assert json.loads(memo.read_text()) == {"host": "192.168.1.7", "port": 8091, "name": "DESK"}


def test_the_remembered_address_is_tried_first_and_the_file_is_not_rewritten(tmp_path):
    memo = tmp_path / "server.json"
    D.save_memo(str(memo), "192.168.1.7", 8090, "DESK")
    before = memo.stat().st_mtime_ns
    lan = Lan(Pc("192.168.1.7", "DESK"))
    link = make_link(lan, memo=str(memo))
    assert link.host == "" and "nocturne_fw.discovery" not in sys.modules  # read once built
    run(link, lan, 3000)
    assert (link.host, link.server_name) == ("192.168.1.7", "DESK")
    assert link.got and lan.connects == [("192.168.1.7", 8090)]
    assert not lan.udp  # no search: the remembered PC answered
    assert memo.stat().st_mtime_ns == before


def test_a_pc_whose_address_changed_is_found_again_and_the_memo_follows(tmp_path):
    memo = tmp_path / "server.json"
    lan = Lan(Pc("192.168.1.7", "DESK"))
    link = make_link(lan, memo=str(memo))
    t = run(link, lan, 3000)
    assert link.got and link.host == "192.168.1.7"
    old = lan.pcs[0]
    old.up = False  # the PC restarts with another address from DHCP
    old.answering = False
    lan.pcs.append(Pc("192.168.1.23", "DESK"))
    n = len(link.got)
    t = run(link, lan, 30000, t0=t, until=lambda: len(link.got) > n)
    assert link.host == "192.168.1.23" and link.state == N.S_UP
    # connect attempts on the old address before the search: HOST_FAILS in all
    tries = [a for a in lan.connects if a[0] == "192.168.1.7"]
    assert len(tries) == N.HOST_FAILS  # the first connect, then HOST_FAILS - 1 retries
    run(link, lan, 600, t0=t)
    assert json.loads(memo.read_text())["host"] == "192.168.1.23"


def test_a_configured_host_that_works_never_searches():
    lan = Lan(Pc("192.168.1.7", "DESK"))
    link = make_link(lan, host="192.168.1.7")
    run(link, lan, 10000)
    assert link.got and not lan.udp and lan.connects == [("192.168.1.7", 8090)]
    assert lan.pcs[0].conns[0].sent.startswith(b"HELO\n")  # a bare HELO, as always


def test_a_configured_host_that_fails_searches_meanwhile_and_keeps_being_retried(tmp_path):
    lan = Lan()  # nobody at all
    link = make_link(lan, host="192.168.1.7", memo=str(tmp_path / "server.json"))
    run(link, lan, 60000)
    tries = [a for a in lan.connects if a == ("192.168.1.7", 8090)]
    assert len(tries) >= 6  # the backoff goes on: 1, 2, 4, 8, 16, 16 s ...
    assert lan.udp and link.finder.active and link.finder.queries >= 10
    assert link.host == "192.168.1.7"
    pc = Pc("192.168.1.7", "DESK")
    pc.answering = False  # back at its address, an older server: no answer to queries
    lan.pcs.append(pc)
    run(link, lan, 20000, t0=60000)
    assert link.got and link.host == "192.168.1.7" and link.finder is None
    assert not (tmp_path / "server.json").exists()  # nothing found: nothing remembered


def test_a_search_that_finds_the_same_failing_host_does_not_reset_the_backoff():
    lan = Lan(Pc("192.168.1.7", "DESK", token="t" * 22))  # answers, refuses a bare HELO
    link = make_link(lan, host="192.168.1.7")
    run(link, lan, 60000)
    assert link.error in ("REFUSED", "CLOSED", "NOT PAIRED")
    # backoff 1, 2, 4, 8, 16, 16, 16 s: about 8 connects a minute, not one per search
    assert len(lan.connects) <= 9, len(lan.connects)


def test_token_is_sent_with_helo_and_refusal_without_one_says_not_paired():
    lan = Lan(Pc("192.168.1.7", "DESK", pairing=True, token="A" * 22))
    link = make_link(lan, token="  " + "A" * 22 + "\n")
    run(link, lan, 3000)
    assert lan.pcs[0].conns[0].sent.startswith(b"HELO " + b"A" * 22 + b"\n")
    assert link.got
    lan2 = Lan(Pc("192.168.1.7", "DESK", pairing=True, token="A" * 22))
    bare = make_link(lan2)
    run(bare, lan2, 1500)
    assert not bare.got and bare.error == "NOT PAIRED"


def test_wifi_loss_stops_the_search():
    lan = Lan()
    w = Wlan()
    link = make_link(lan, wlan=w)
    run(link, lan, 1000)
    assert link.finder.active
    w.ap_up = False
    run(link, lan, 100, t0=1000)
    assert not link.finder.active and lan.udp[-1].closed and link.state <= N.S_JOIN


# -- the screens ------------------------------------------------------------------------------


def make_board(tmp_path, host=""):
    clk = clock.ManualClock(1000)
    lan = Lan()
    link = make_link(lan, host=host, memo=str(tmp_path / "server.json"))
    app = A.App(FakeOled(), Pin().value, Settings(str(tmp_path / "s.json")), link=link,
                ticks_ms=clk)  # fmt: skip
    app.clock = clk
    app.lan = lan

    def tick(ms, feed=False):
        for _ in range(ms // A.TICK_MS):
            if feed and clk.now % 500 == 0:
                lan.push()
            app.tick()
            clk.advance(A.TICK_MS)

    app.run = tick
    return app


@pytest.fixture
def board(tmp_path):
    return make_board(tmp_path)


def test_screens_say_searching_then_found_then_the_scene(board):
    board.run(A.BOOT_MS + 1000)
    assert board.screen == ids.SYS_SEARCH
    board.lan.pcs.append(Pc("192.168.1.7", "DESK"))
    found_at = None
    for _ in range(1000):  # the next query gets the answer
        board.run(A.TICK_MS, feed=True)
        if board.screen == ids.SYS_FOUND and found_at is None:
            found_at = board.clock.now
        if found_at is not None and board.screen != ids.SYS_FOUND:
            break
    assert found_at is not None
    assert board.screen == board.scene  # then the carousel's scene, with the data
    assert board.clock.now - found_at >= N.FOUND_MS - A.TICK_MS


def test_signal_lost_while_searching_shows_searching(board, tmp_path):
    board.lan.pcs.append(Pc("192.168.1.7", "DESK"))
    board.run(A.BOOT_MS + 6000, feed=True)
    assert board.screen == board.scene and board.link.lines
    pc = board.lan.pcs[0]
    pc.up = pc.answering = False
    board.run(4000)
    # the host is retried first; HOST_FAILS failures later the search runs, unseen while
    # the last line is younger than LOST_MS: the scene stays
    assert board.link.finder.active and board.screen == board.scene
    board.run(2000)
    assert board.lost() and board.screen == ids.SYS_SEARCH


def test_a_board_with_server_host_goes_on_showing_signal_lost_while_it_searches(tmp_path):
    board = make_board(tmp_path, host="192.168.1.7")
    board.lan.pcs.append(Pc("192.168.1.7", "DESK"))
    board.run(A.BOOT_MS + 3000, feed=True)
    assert board.screen == board.scene and board.link.lines
    pc = board.lan.pcs[0]
    pc.up = pc.answering = False
    board.run(6000)
    assert board.link.finder.active and board.screen == ids.SYS_LOST
    board.lan.pcs.append(Pc("192.168.1.30", "DESK"))  # the PC, renumbered
    board.run(6000, feed=True)
    assert board.link.host == "192.168.1.30" and board.screen == board.scene


def test_no_memory_to_load_the_search_is_an_error_and_a_later_retry_not_a_crash(monkeypatch):
    lan = Lan(Pc("192.168.1.7", "DESK"))
    link = make_link(lan)
    calls = []

    def no_room():
        calls.append(1)
        raise MemoryError("memory allocation failed, allocating 1280 bytes")

    monkeypatch.setattr(link, "discovery", no_room)
    run(link, lan, 5000)
    assert link.error == "NO MEMORY" and link.state == N.S_WAIT
    assert len(calls) == 1  # once, then not before BACKOFF_MAX_MS: no tick-after-tick failure
    monkeypatch.undo()
    run(link, lan, 20000, t0=5000)
    assert link.got and link.host == "192.168.1.7"
