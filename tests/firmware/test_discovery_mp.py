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
import gc
import scenario as sc
import screens
from nocturne_fw import app as A
from nocturne_fw import clock
from nocturne_fw import net as N
from nocturne_fw import font_small, text
from nocturne_fw import scene_ids as ids
from nocturne_fw.scenes import Renderer
from nocturne_fw.settings import Settings


from search_fakes import Net, Wlan


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
    for name in ("scenario.py", "screens.py", "search_fakes.py"):
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


# The heap budget's session (test_heap_budget.py: every scene, CLOCK, 400 ticks), then the
# PC goes away: the session's own link, SERVER_HOST "", searches (discovery.py compiled and
# loaded, a Finder polling) for 400 ticks; the PC answers, the board links and lets go of
# the search. What the search costs on top of the session, in real MicroPython's heap.
DISCOVERY_MAX = 5000  # bytes: discovery.py loaded and a Finder running (32-bit port)
SEARCH_STEPS = [  # a figure is read in a run after one that collects: live bytes only
    "gc.collect()",
    "print('BASE', gc.mem_alloc())",
    "import search_fakes\nfrom nocturne_fw import net as N",
    "gc.collect()",
    "print('FAKES', gc.mem_alloc())\nmicropython.qstr_info()",
    # the session's own link, now on a LAN where the PC is gone and SERVER_HOST is ""
    "net = search_fakes.Net()\nlink = LINK\nlink.sock_mod = net\nlink.wlan = search_fakes.Wlan()\n"
    "link.host = link.configured = ''\nlink.state = N.S_WAIT\nlink.fails = 3\napp.link = link",
    # compiled in a run of its own, as a board imports it; the name not kept here
    "from nocturne_fw import discovery\ndel discovery",
    "gc.collect()",
    "print('IMPORTED', gc.mem_alloc())",
    "app.clock.advance(10)\napp.tick()\nprint('SEARCHING', link.finder is not None "
    "and link.finder.active, app.screen == ids.SYS_CLOCK, net.queries)",
    *["app.clock.advance(screens.A.TICK_MS)\napp.tick()"] * 400,
    'net.answer = b\'{"name": "DESK", "port": 8090, "proto": 2, "pairing": false}\'',
    *["app.clock.advance(screens.A.TICK_MS)\napp.tick()"] * 500,  # the next query is answered
    "print('CONNECTED', net.conn is not None)\nnet.conn.rx += b'{\"ct\":41}\\n'",
    *["app.clock.advance(screens.A.TICK_MS)\napp.tick()"] * 300,  # the line, FOUND's 2 s
    "print('LINKED', link.state == N.S_UP, link.finder is None, 'nocturne_fw.discovery' in "
    "__import__('sys').modules)",
    "gc.collect()",
    "print('AFTER', gc.mem_alloc())\nmicropython.qstr_info()",
]


def test_a_board_that_searches_while_clock_shows_fits_the_128_kb_heap():
    import test_heap_budget as H

    steps = H.session()
    end = steps.pop()  # END: the heap's growth (0 = it fitted) and what is live
    steps.pop()
    k = steps.index("app.link = None\ni = 0")
    steps[k] = "LINK = app.link\n" + steps[k]
    steps += ["import micropython", *SEARCH_STEPS, "pass", end]
    files = H.session_files()  # the firmware, its lines (4 custom scenes), screens.py's part
    files["search_fakes.py"] = (HERE / "search_fakes.py").read_text(encoding="utf-8")
    out = run_micropython(steps, files, heapsize=H.HEAP)
    rows = {r.split()[0]: r.split()[1:] for r in out.splitlines()}
    # the names its compile interned stay (qstr pools, which grow by doubling): not code
    pools = [int(r.rsplit("=", 1)[1]) for r in out.splitlines() if r.startswith("qstr pool")]
    assert rows["SEARCHING"][0] == "True", out
    assert rows["CONNECTED"] == ["True"], out
    assert rows["LINKED"] == ["True", "True", "False"], out  # linked, the search let go of
    base, fakes, loaded, after = (int(rows[k][0]) for k in ("BASE", "FAKES", "IMPORTED", "AFTER"))
    search = loaded - fakes
    names = pools[1] - pools[0]
    print(
        f"\nsession {base} B live; searching +{search} B = {base + search} B of {H.HEAP} "
        f"(+{fakes - base} B of test fakes); linked again: +{after - fakes} B, of which "
        f"{names} B interned names"
    )
    assert search <= DISCOVERY_MAX, out
    assert after - fakes - names <= 2048, out  # its code freed once linked
