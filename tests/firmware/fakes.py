"""Fakes for firmware tests: OLED, button pin, WLAN, sockets, and a rig that ticks
the app on a ManualClock. Pure Python, no sleeping."""

from nocturne_fw import app as A
from nocturne_fw import clock
from nocturne_fw.net import Link
from nocturne_fw.settings import Settings


class FakeOled:
    def __init__(self):
        self.shows = 0
        self.on = True
        self.inverted = 0
        self.inverts = []  # (ms, value) of each invert command
        self.contrast_v = None
        self.rotated = None
        self.clock = None

    def show(self):
        self.shows += 1

    def poweroff(self):
        self.on = False

    def poweron(self):
        self.on = True

    def contrast(self, v):
        self.contrast_v = v

    def invert(self, v):
        self.inverted = v
        self.inverts.append((self.clock() if self.clock else 0, v))

    def rotate(self, v):
        self.rotated = v


class Pin:
    """PRG button: level 1 released (pull-up), 0 pressed."""

    def __init__(self):
        self.level = 1

    def value(self):
        return self.level


class FakeWLAN:
    def __init__(self):
        self.ap_up = True  # the access point is reachable
        self.connected = False
        self.connects = 0
        self.active_v = False

    def active(self, v=None):
        if v is not None:
            self.active_v = v
        return self.active_v

    def connect(self, ssid, pw):
        self.connects += 1
        self.connected = True  # the ESP32 keeps trying in the background

    def disconnect(self):
        self.connected = False

    def isconnected(self):
        return self.connected and self.ap_up

    def status(self, what):
        assert what == "rssi"
        return -63


class FakeSock:
    def __init__(self, server):
        self.server = server
        self.rx = bytearray()
        self.sent = bytearray()
        self.closed = False
        self.peer_closed = False
        self.reset = False

    def settimeout(self, t):
        pass

    def setblocking(self, b):
        pass

    def connect(self, addr):
        if not self.server.up:
            raise OSError(111)  # ECONNREFUSED
        self.server.conns.append(self)

    def send(self, data):
        if self.closed or self.reset:
            raise OSError(104)
        self.sent += data
        return len(data)

    def readinto(self, buf, nbytes=None):
        """MicroPython's stream readinto: the count, 0 once the peer closed, None when a
        non-blocking socket has nothing (its streams turn EAGAIN into None)."""
        if self.reset:
            raise OSError(104)  # ECONNRESET
        if self.rx:
            n = len(buf) if nbytes is None else min(nbytes, len(buf))
            n = min(n, len(self.rx))
            buf[:n] = self.rx[:n]
            del self.rx[:n]
            return n
        if self.peer_closed:
            return 0
        return None

    def close(self):
        self.closed = True


class FakeServer:
    """The PC end: ``socket_mod`` for Link; ``push(line)`` to the newest connection."""

    def __init__(self):
        self.up = True
        self.conns = []

    def getaddrinfo(self, host, port):
        return [(2, 1, 0, "", (host, port))]

    def socket(self):
        return FakeSock(self)

    @property
    def conn(self):
        return self.conns[-1] if self.conns else None

    def push(self, data):
        if isinstance(data, str):
            data = data.encode()
        self.conn.rx += data


class Rig:
    """An App wired to fakes, ticking every 10 ms on a ManualClock."""

    def __init__(
        self,
        tmp_path,
        renderer=None,
        net_on=True,
        secrets_ok=True,
        fb=None,
        errors_log=None,
        reset=None,
        wdt=None,
        **settings,
    ):
        self.clock = clock.ManualClock(1000)
        self.pin = Pin()
        self.oled = FakeOled()
        self.oled.clock = self.clock
        self.leds = []
        self.settings = Settings(str(tmp_path / "settings.json"))
        for k, v in settings.items():
            setattr(self.settings, k, v)
        self.wlan = FakeWLAN()
        self.server = FakeServer()
        self.link = None
        if net_on:
            self.link = Link(self.wlan, self.server, "ssid", "pw", "10.0.0.2", 8090, None)
        self.app = A.App(
            self.oled,
            self.pin.value,
            self.settings,
            link=self.link,
            renderer=renderer,
            led=self.leds.append,
            ticks_ms=self.clock,
            secrets_ok=secrets_ok,
            fb=fb,
            errors_log=errors_log,
            reset=reset,
            wdt=wdt,
        )

    @property
    def now(self):
        return self.clock.now

    def run(self, ms, feed_every=0, line=None):
        """Tick for ``ms``; with ``feed_every`` push ``line`` that often (server side)."""
        t = 0
        while t < ms:
            if feed_every and t % feed_every == 0 and self.server.conn is not None:
                self.server.push(line() if callable(line) else line)
            self.app.tick()
            self.clock.advance(A.TICK_MS)
            t += A.TICK_MS

    def press(self, ms):
        self.pin.level = 0
        self.run(ms)
        self.pin.level = 1
        self.run(60)

    def up(self, line=b'{"ct":40}\n'):
        """Boot, join, connect and receive a first line."""
        self.run(A.BOOT_MS + 100)
        assert self.server.conn is not None
        self.server.push(line)
        self.run(20)
        assert self.link.ever_up
