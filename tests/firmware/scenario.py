"""A scripted 70-second session of the whole app, with fakes for the button, OLED,
WiFi and server, on a ManualClock. ``run()`` returns a trace (one row per change)
that must be identical on CPython and real MicroPython (test_wasm.py).

Conservative MicroPython: no properties, no f-strings, no slice deletion.
"""

from nocturne_fw import app as A
from nocturne_fw import clock
from nocturne_fw import net as N
from nocturne_fw.settings import Settings

LINE = b'{"ct":40,"cl":10,"gl":5,"nd":100,"nu":10,"alert":"","target_screen":""}\n'
ALERT = b'{"ct":97,"cl":99,"alert":"CRITICAL","target_screen":"CPU"}\n'


class Oled:
    def __init__(self):
        self.inv = 0
        self.on = 1
        self.shows = 0

    def show(self):
        self.shows += 1

    def poweroff(self):
        self.on = 0

    def poweron(self):
        self.on = 1

    def contrast(self, v):
        pass

    def invert(self, v):
        self.inv = v

    def rotate(self, v):
        pass


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


class Sock:
    def __init__(self, srv):
        self.srv = srv
        self.rx = b""
        self.sent = b""
        self.eof = False

    def settimeout(self, t):
        pass

    def setblocking(self, b):
        pass

    def connect(self, addr):
        if not self.srv.up:
            raise OSError(111)
        self.srv.conn = self

    def send(self, d):
        self.sent += d
        return len(d)

    def readinto(self, buf, nbytes=None):
        # MicroPython's stream readinto: count, 0 = peer closed, None = nothing yet
        if self.rx:
            n = min(len(buf), len(self.rx))
            buf[:n] = self.rx[:n]
            self.rx = self.rx[n:]
            return n
        if self.eof:
            return 0
        return None

    def close(self):
        pass


class Server:
    def __init__(self):
        self.up = True
        self.conn = None

    def getaddrinfo(self, h, p):
        return [(2, 1, 0, "", (h, p))]

    def socket(self):
        return Sock(self)


class Pin:
    def __init__(self):
        self.level = 1

    def value(self):
        return self.level


def run():
    clk = clock.ManualClock(0)
    pin = Pin()
    oled = Oled()
    srv = Server()
    leds = [0]
    link = N.Link(Wlan(), srv, "ssid", "pw", "host", 8090, None)
    s = Settings("/scenario_settings.json")
    s.interval = 5
    app = A.App(oled, pin.value, s, link=link, led=leds.append, ticks_ms=clk)
    trace = []
    last = [None]

    def snap():
        row = (
            app.screen,
            app.scene,
            oled.inv,
            oled.on,
            leds[-1],
            app.menu.open,
            app.menu.sel,
            s.carousel,
            link.state,
        )
        if row != last[0]:
            last[0] = row
            trace.append((clk.now,) + row)  # noqa: RUF005 - MicroPython has no (a, *b)

    # (t_ms, action): push = a line from the server; press = pin level
    events = [
        (1700, "push", LINE),
        (2000, "down", None),
        (2100, "up", None),  # short: scene 1
        (4000, "down", None),
        (5000, "up", None),  # long: menu
        (5500, "down", None),
        (5600, "up", None),  # next item
        (6000, "down", None),
        (7000, "up", None),  # long: interval 5 -> 10
        (8000, "down", None),
        (8900, "up", None),
        (9000, "push", ALERT),
        (12000, "down", None),
        (12100, "up", None),  # short: next item while menu open
        (40000, "push", LINE),
        (41000, "push", ALERT),
        (43000, "down", None),
        (43100, "up", None),  # move away from the alert
        (47000, "push", LINE),
        (48000, "eof", None),
        (48000, "srvdown", None),
        (60000, "srvup", None),
    ]
    i = 0
    t = 0
    while t < 70000:
        while i < len(events) and events[i][0] <= t:
            _, what, data = events[i]
            if what == "push" and srv.conn is not None:
                srv.conn.rx += data
            elif what == "down":
                pin.level = 0
            elif what == "up":
                pin.level = 1
            elif what == "eof":
                srv.conn.eof = True
            elif what == "srvdown":
                srv.up = False
            elif what == "srvup":
                srv.up = True
            i += 1
        # the server repeats its last line every second while it is up
        if t % 1000 == 0 and t > 1700 and srv.up and srv.conn is not None and not srv.conn.eof:
            srv.conn.rx += ALERT if 41000 <= t < 47000 or 9000 <= t < 40000 else LINE
        app.tick()
        snap()
        clk.advance(A.TICK_MS)
        t += A.TICK_MS
    return trace
