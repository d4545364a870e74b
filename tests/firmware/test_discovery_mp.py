"""The search for the PC in real MicroPython (the WebAssembly port, tests/firmware/mp.py):
the answer parsing, the broadcast address and the memo file give what CPython gives, and a
board that searches (the SEARCHING FOR PC screen animating, the query repeated) allocates
nothing per tick: the UDP socket is watched with ``select.poll().ipoll(0)``, which the
port has (the fake socket below is a stream it can poll, as lwIP's sockets are)."""

import json
from pathlib import Path

from mp import firmware_files, run_micropython
from nocturne_fw import discovery as D
from test_discovery import GOOD

HERE = Path(__file__).resolve().parent

ANSWERS = [
    json.dumps(GOOD).encode() + b"\n",
    json.dumps({**GOOD, "name": "Пк-desk", "pairing": False}).encode(),
    b"",
    b"NOCTURNE?",
    b"\xff\xfe{",
    b"[1, 2]",
    json.dumps({**GOOD, "port": True}).encode(),
    json.dumps({**GOOD, "port": 70000}).encode(),
    json.dumps({**GOOD, "proto": 0}).encode(),
    json.dumps({**GOOD, "pairing": 1}).encode(),
    json.dumps(GOOD).encode()[:-3],
]
ADDRESSES = [
    ("192.168.1.37", "255.255.255.0"),
    ("10.213.0.2", "255.255.255.252"),
    ("172.20.5.9", "255.255.240.0"),
    ("0.0.0.0", "0.0.0.0"),
    ("192.168.1.37", "255.255.255.255"),
    ("192.168.1.36", "255.255.255.254"),
    ("a.b.c.d", "255.255.255.0"),
]

PARSE_SCRIPT = """
from nocturne_fw import discovery as D
for a in %r:
    r = D.parse_answer(a)
    print("None" if r is None else "%%s|%%d|%%d|%%s" %% r)
for ip, mask in %r:
    print(repr(D.broadcast_of(ip, mask)))
print(repr(D.load_memo("/server.json")))
print(D.save_memo("/server.json", "192.168.1.7", 8090, "DESK"))
print(repr(D.load_memo("/server.json")))
with open("/server.json", "w") as f:
    f.write('{"host": "192.168.1.7", "port": "8090"}')
print(repr(D.load_memo("/server.json")))
"""


def test_parsing_and_the_memo_are_the_same_in_micropython():
    out = run_micropython(PARSE_SCRIPT % (ANSWERS, ADDRESSES), firmware_files())
    parsed = [D.parse_answer(a) for a in ANSWERS]
    want = ["None" if r is None else f"{r[0]}|{r[1]}|{r[2]}|{r[3]}" for r in parsed]
    want += [repr(D.broadcast_of(ip, mask)) for ip, mask in ADDRESSES]
    want += ["None", "True", "('192.168.1.7', 8090, 'DESK')", "None"]
    assert out.splitlines() == want


SEARCH_SCRIPT = """
import gc, io
import scenario as sc
import screens
from nocturne_fw import app as A
from nocturne_fw import clock
from nocturne_fw import net as N
from nocturne_fw import font_small, text
from nocturne_fw import scene_ids as ids
from nocturne_fw.scenes import Renderer
from nocturne_fw.settings import Settings


class Udp(io.IOBase):
    # A non-blocking UDP socket the port can poll (MP_STREAM_POLL = 3, POLLIN = 1).
    def __init__(self, net):
        self.net = net
        self.inbox = []

    def ioctl(self, req, arg):
        if req == 3:
            return 1 if self.inbox and arg & 1 else 0
        return 0

    def setsockopt(self, level, opt, value):
        pass

    def bind(self, addr):
        pass

    def setblocking(self, flag):
        pass

    def sendto(self, data, addr):
        self.net.queries += 1  # a count: a list that grows would allocate
        if self.net.answer is not None:
            self.inbox.append((self.net.answer, ("192.168.1.7", 50000)))
        return len(data)

    def recvfrom(self, n):
        if not self.inbox:
            raise OSError(11)
        return self.inbox.pop(0)

    def close(self):
        pass


class Net(sc.Server):
    AF_INET = 2
    SOCK_STREAM = 1
    SOCK_DGRAM = 2
    SOL_SOCKET = 4095
    SO_BROADCAST = 32

    def __init__(self):
        sc.Server.__init__(self)
        self.queries = 0
        self.answer = None
        self.connects = []

    def socket(self, af=2, kind=1):
        if kind == 2:
            return Udp(self)
        return sc.Sock(self)

    def getaddrinfo(self, h, p):
        self.connects.append((h, p))
        return [(2, 1, 0, "", (h, p))]


class Wlan(sc.Wlan):
    def ifconfig(self):
        return ("192.168.1.50", "255.255.255.0", "192.168.1.1", "192.168.1.1")


clk = clock.ManualClock(0)
net = Net()
link = N.Link(Wlan(), net, "ssid", "pw", "", 8090, None, "desk", "", "/search_memo.json")
s = Settings("/search_settings.json")
s.carousel = False
oled = screens.Oled()
app = A.App(oled, lambda: 1, s, link=link, renderer=Renderer(), ticks_ms=clk, fb=oled.fb)
for i in range(300):  # boot splash, the search starts
    app.tick(); clk.advance(A.TICK_MS)
print('searching', app.screen == ids.SYS_SEARCH, link.finder.poller is not None)
text.draw(oled.fb, "0123456789", 0, 0, font_small)  # each glyph's first draw caches it
a = q = f = 0  # the globals exist before the count: a new one would grow the dict
gc.collect(); gc.disable()
a = gc.mem_alloc()
q = net.queries
f = app.frames
for i in range(600):  # 6 s of searching: polls, redraws of the spinner, queries
    app.tick(); clk.advance(A.TICK_MS)
print('idle', gc.mem_alloc() - a, net.queries - q, app.frames - f)
gc.enable()
net.answer = b'{"name": "DESK", "port": 8091, "proto": 2, "pairing": false}'
for i in range(500):
    app.tick(); clk.advance(A.TICK_MS)
    if net.conn is not None and app.screen == ids.SYS_FOUND:
        break
print('found', app.screen == ids.SYS_FOUND, net.connects, link.server_name)
net.conn.rx += sc.LINE
for i in range(300):
    app.tick(); clk.advance(A.TICK_MS)
print('scene', app.screen == app.scene, link.state == N.S_UP, open('/search_memo.json').read())
import sys
import nocturne_fw
print('dropped', link.finder is None, 'nocturne_fw.discovery' in sys.modules,
      'discovery' in nocturne_fw.__dict__)
"""
# The port collects garbage only in a top-level run of its own (it cannot scan the wasm
# stack): one step each. The module's code is freed; its names (qstrs) stay interned.
FREED_SCRIPTS = [
    "gc.collect()",
    "m0 = gc.mem_alloc()",
    "from nocturne_fw import discovery",
    "m1 = gc.mem_alloc()\nlink._linked()\ndel discovery",
    "gc.collect()",
    "print('freed', m1 - m0, m1 - gc.mem_alloc())",
]


def test_a_searching_board_allocates_nothing_per_tick_in_micropython():
    files = firmware_files()
    for name in ("scenario.py", "screens.py"):
        files[name] = (HERE / name).read_text(encoding="utf-8")
    out = run_micropython([SEARCH_SCRIPT, *FREED_SCRIPTS], files)
    rows = dict(r.split(None, 1) for r in out.splitlines())
    assert rows["searching"] == "True True", out
    idle, queries, frames = map(int, rows["idle"].split())
    assert queries >= 1 and frames >= 50, out  # the query went out again, the spinner ran,
    assert idle == 0, out  # ... and 600 ticks allocated nothing
    assert rows["found"] == "True [('192.168.1.7', 8091)] DESK", out
    assert rows["scene"].startswith("True True "), out
    assert rows["dropped"] == "True False False", out  # the search's code is let go of ...
    loaded, freed = map(int, rows["freed"].split())
    assert loaded > 2000 and freed >= loaded - 256, out  # ... and its heap with it
    assert json.loads(rows["scene"].split(None, 2)[2]) == {
        "host": "192.168.1.7",
        "port": 8091,
        "name": "DESK",
    }
