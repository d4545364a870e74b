"""A board's life, simulated hours in seconds, for the heap soak (issue 20): runs unchanged
on real MicroPython (test_soak.py, bench/bench_firmware_soak.py).

The whole App (real Link, State, Renderer, discovery) on an injected clock that moves
``STEP_MS`` per tick, with a board that finds its PC by searching (``SERVER_HOST`` ""), on
a LAN of fakes shaped like MicroPython's sockets: ``Lan`` answers the UDP query while the
server is up and serves a TCP line every ``LINE_S`` s. What happens, by board time:

- every 5 minutes the server is killed for 40 s, or frozen for 30 s, or left alone; every
  2 hours it is away 4 minutes (SIGNAL LOST, CLOCK, the search);
- covers come and go with the tracks, media stops and starts;
- process names of every length 1..45 (cut at 40), some Cyrillic;
- the PCS list grows and shrinks 0..8; weather changes hourly; NET GRAPH's scale moves;
- an alert every 15 minutes; the PC sleeps half an hour in every 3 (CLOCK); the user idles
  (dim, blank); the night schedule (CLOCK at night); the quick menu opens now and then.

``Soak(cover_b64).run(seconds)`` advances the board; the caller collects between runs (the
WebAssembly port collects only between top-level scripts). ``report()`` prints the figures:
ticks, lines, connects, survived errors, live heap and the largest free block.
"""

# ruff: noqa: UP031  (MicroPython runs this: % formatting, as the firmware writes it)
import gc

import framebuf
import micropython
from nocturne_fw import app as A
from nocturne_fw import clock, scenes
from nocturne_fw import net as N
from nocturne_fw.settings import Settings

STEP_MS = 500  # board time per tick
LINE_S = 2  # the server's poll
TM0 = 1796251620  # 2 December 2026, 23:47 UTC: the first night comes soon
NAMES = "chrome.exe_obs64-Code.ЖЁЙЦУКЕНГШЩЗхъфывапролджэ_steam_webhelper.exe.Discord_nocturne"


class Oled:
    """The panel: a FrameBuffer, its commands no-ops."""

    def __init__(self):
        self.fb = framebuf.FrameBuffer(bytearray(1024), 128, 64, framebuf.MONO_VLSB)

    def show(self):
        pass

    def poweron(self):
        pass

    def poweroff(self):
        pass

    def contrast(self, v):
        pass

    def invert(self, v):
        pass

    def rotate(self, v):
        pass


class Udp:
    def __init__(self, lan):
        self.lan = lan
        self.inbox = None

    def ioctl(self, req, arg):  # a stream select.poll can watch (MP_STREAM_POLL, POLLIN)
        return 1 if req == 3 and self.inbox is not None and arg & 1 else 0

    def setsockopt(self, level, opt, value):
        pass

    def bind(self, addr):
        pass

    def setblocking(self, flag):
        pass

    def sendto(self, data, addr):
        self.lan.queries += 1
        if self.lan.up:
            self.inbox = (self.lan.answer, ("192.168.1.7", 50000))
        return len(data)

    def recvfrom(self, n):
        a = self.inbox
        if a is None:
            raise OSError(11)
        self.inbox = None
        return a

    def close(self):
        pass


class Tcp:
    """The board's end of a connection. What the server sent waits in the LAN's one
    preallocated buffer (``Lan.rx``): a bytes object per read would be the fake's garbage
    among the board's objects in the 128 KB heap."""

    def __init__(self, lan):
        self.lan = lan
        self.closed = False  # by the server: reads give 0

    def settimeout(self, t):
        pass

    def setblocking(self, b):
        pass

    def connect(self, addr):
        lan = self.lan
        if not lan.up:
            raise OSError(111)  # ECONNREFUSED
        lan.conn = self
        lan.head = lan.tail = 0
        lan.connects += 1

    def send(self, d):
        if self.closed:
            raise OSError(104)
        return len(d)

    def readinto(self, buf):
        lan = self.lan
        if lan.conn is not self or lan.head == lan.tail:
            return 0 if self.closed else None
        n = min(len(buf), lan.tail - lan.head)
        buf[:n] = lan.mv[lan.head : lan.head + n]
        lan.head += n
        return n

    def close(self):
        if self.lan.conn is self:
            self.lan.conn = None


class Lan:
    AF_INET = 2
    SOCK_STREAM = 1
    SOCK_DGRAM = 2
    SOL_SOCKET = 4095
    SO_BROADCAST = 32

    def __init__(self):
        self.up = True
        self.frozen = False
        self.conn = None
        self.queries = 0
        self.connects = 0
        self.answer = b'{"name": "DESK", "port": 8090, "proto": 2, "pairing": false}'
        self.rx = bytearray(2560)  # sent, not yet read: a line with a cover is ~2.2 KB
        self.mv = memoryview(self.rx)
        self.head = self.tail = 0

    def socket(self, af=2, kind=1):
        return Udp(self) if kind == 2 else Tcp(self)

    def getaddrinfo(self, h, p):
        return [(2, 1, 0, "", (h, p))]

    def kill(self):
        self.up = False
        if self.conn is not None:
            self.conn.closed = True

    def start(self):
        self.up = True

    def poll(self):
        pass

    def push(self, data):
        if self.conn is None or self.frozen:
            return False
        n = self.tail - self.head
        if self.head:  # what is left, moved to the front in place
            self.mv[:n] = self.mv[self.head : self.tail]
            self.head, self.tail = 0, n
        if n + len(data) > len(self.rx):
            return False  # the board is not reading: a real server's send would block
        self.mv[n : n + len(data)] = data
        self.tail = n + len(data)
        return True


class Wlan:
    def active(self, v=None):
        return True

    def connect(self, ssid, pw):
        pass

    def disconnect(self):
        pass

    def isconnected(self):
        return True

    def status(self, what):
        return -60

    def ifconfig(self):
        return ("192.168.1.50", "255.255.255.0", "192.168.1.1", "192.168.1.1")


def _name(t, k):
    n = (t // 2 + 7 * k) % 45 + 1  # every length 1..45 (the board keeps 40)
    i = (t + 11 * k) % (len(NAMES) - 45)
    return NAMES[i : i + n]


def _procs(t, key, count):
    out = []
    for k in range(count):
        out.append('{"n":"%s","%s":%d.%d}' % (_name(t, k), key, (t * 7 + k) % 400, k))
    return "[" + ",".join(out) + "]"


def _pcs(t):
    n = (t // 60) % 9
    out = []
    for k in range(n):
        on = "false" if (t // 60 + k) % 5 == 0 else "true"
        out.append(
            '{"n":"%s","on":%s,"cl":%d,"ct":%d,"gl":%d,"gt":%d,"ru":%d.5}'
            % (_name(t, k + 3)[:12], on, (t + k) % 101, 30 + k, (t * 3) % 100, 40 + k, k * 3)
        )
    return "[" + ",".join(out) + "]"


def line(t, cover):
    """The server's line at board second ``t`` (bytes): its parts joined once, so that
    making it costs the soak little garbage of its own."""
    rate = (1 << ((t // 600) % 22)) + t % 97  # NET GRAPH: its scale up and down
    h = (t // 3600) % 6
    wd = ("Overcast", "Clear sky", "Thunderstorm with heavy hail", "", "Snow", "Fog")[h]
    p = [
        '{"pv":2,"ct":%d,"gt":%d,"cl":%d,"gl":%d,"pw":%d.%d,"cc":%d,"ru":%d.%d,"ra":31.9,'
        % (
            30 + t % 67,
            25 + (t * 3) % 80,
            t % 101,
            (t * 7) % 101,
            t % 250,
            t % 10,
            800 + (t * 13) % 5000,
            t % 32,
            t % 10,
        ),
        '"nd":%d,"nu":%d.%d,"dr":%d,"dw":%d,"su":61,"du":%d,'
        % (rate, rate // 7, t % 10, (t * 31) % 9000, rate // 3, t % 101),
        '"cf":%d,"gf":%d,"tm":%d,"tz":60,"idm":[60,120],' % (t % 2000, (t * 5) % 3000, TM0 + t),
        '"ngt":{"s":60,"e":120,"m":"clock"},',  # 01:00-02:00 local: CLOCK at night
        '"wt":%d,"wd":"%s","wi":%d,' % (h * 5 - 10, wd, (3, 0, 96, 61, 71, 45)[h]),
        '"tp":',
        _procs(t, "c", 3),
        ',"tr":',
        _procs(t + 5, "r", 2),
        ',"pcs":',
        _pcs(t),
    ]
    if t % 1500 < 600:  # media for 10 minutes in every 25, a track every 3 minutes
        track = t // 180
        p.append(
            ',"art":"%s","trk":"%s (live)","mp":%s'
            % (_name(track, 1), _name(track, 2), "true" if track % 3 else "false")
        )
        if t % 180 < LINE_S:  # the track changed: a cover, or none
            p.append(',"cov":"')
            p.append(cover if track % 2 else "")
            p.append('"')
    else:
        p.append(',"art":"","trk":"","mp":false')
    if 600 <= t % 900 < 620:
        p.append(',"alert":"CRITICAL","target_screen":"%s"' % ("CPU" if t % 1800 < 900 else "GPU"))
    else:
        p.append(',"alert":"","target_screen":""')
    if 3600 <= t % 10800 < 5400:  # the PC sleeps half an hour in every 3 hours
        p.append(',"pwr":"sleep"')
    u = t % 1200
    p.append(',"uid":%d}\n' % (u - 300 if 300 <= u < 600 else 0))  # the user idles: dim, blank
    return "".join(p).encode()


class Soak:
    def __init__(self, cover, port=0):
        """``port`` 0: the fake LAN, a board that searches; else real loopback sockets on
        that port (soak_real.py), a board with SERVER_HOST 127.0.0.1."""
        self.cover = cover
        self.clk = clock.ManualClock(0)
        self.oled = Oled()
        s = Settings("soak_settings.json")
        s.interval = 5
        if port:
            from soak_real import RealLan  # the unix port only: not in the 128 KB soak

            self.lan = RealLan(port)
            sock, host = self.lan.socket_mod, "127.0.0.1"
        else:
            self.lan = sock = Lan()
            host = ""
        memo = "soak_memo.json"
        link = N.Link(Wlan(), sock, "ssid", "pw", host, port or 8090, None, "", "", memo)
        self.app = A.App(
            self.oled,
            lambda: 1,
            s,
            link=link,
            renderer=scenes.Renderer(),
            ticks_ms=self.clk,
            fb=self.oled.fb,
            errors_log="soak_errors.log",
        )
        self.t = 0  # board seconds
        self.served = -1  # the last second served
        self.ticks = 0
        self.lines = 0

    def server(self, t):
        """The server's state at second ``t``: up, killed or frozen."""
        lan = self.lan
        c = t // 300
        away = 40 if c % 3 == 0 else 0
        if c % 24 == 5:
            away = 240
        down = t % 300 < away
        frozen = c % 3 == 1 and t % 300 < 30
        if down and lan.up:
            lan.kill()
        elif not down and not lan.up:
            lan.start()
        lan.frozen = frozen

    def serve(self):
        """The server's part of the current second: its state, and a line when one is due."""
        t = self.t
        self.served = t
        self.server(t)
        lan = self.lan
        lan.poll()
        if t % LINE_S == 0 and lan.up and lan.push(line(t, self.cover)):
            self.lines += 1

    def run(self, seconds):
        """``seconds`` of board time (served, unless ``serve`` did already)."""
        app = self.app
        end = self.t + seconds
        per = 1000 // STEP_MS
        while self.t < end:
            if self.served != self.t:
                self.serve()
            if self.t % 2820 == 0 and self.t:
                app.menu.show()
                app.t_menu = app.now
                app.dirty = True
            for _ in range(per):
                app.step()
                self.clk.advance(STEP_MS)
                self.ticks += 1
            self.t += 1

    def report(self, label):
        app = self.app
        print(
            "SOAK",
            label,
            self.t,
            self.ticks,
            app.link.lines,
            self.lan.connects,
            app.survival.errors,
            gc.mem_alloc(),
            gc.mem_free(),
        )
        micropython.mem_info()  # its "max free sz": the largest free block, in GC blocks
