"""A scripted session of the desk rules (desk.py): the clock from tm/tz, CLOCK after the
server goes, pwr, idle dim and blank, the night schedule, the fade and the pixel shift, on
fakes and a ManualClock. ``run()`` returns a trace (one row per change) that must be the
same on CPython and real MicroPython (test_oled_care.py). Conservative MicroPython.
"""

import framebuf
import scenario as sc
from nocturne_fw import app as A
from nocturne_fw import clock, scenes
from nocturne_fw import net as N
from nocturne_fw.settings import Settings

# 22:58:00 on Wednesday 2 December 2026 in UTC+1 (21:58 UTC)
TM = 1796248680
TZ = 60


def line(t_s, extra=""):
    """A line of our server ``t_s`` seconds after TM."""
    s = '{"pv":2,"ct":40,"wt":3,"wd":"Fog","tm":%d,"tz":%d%s}\n'  # no f-strings: MicroPython
    return (s % (TM + t_s, TZ, extra)).encode()


class Oled(sc.Oled):
    """scenario.py's OLED, with the contrast commands recorded and a real FrameBuffer."""

    def __init__(self):
        super().__init__()
        self.buf = bytearray(1024)
        self.fb = framebuf.FrameBuffer(self.buf, 128, 64, framebuf.MONO_VLSB)
        self.level = -1
        self.levels = 0  # contrast commands sent

    def contrast(self, v):
        self.level = v
        self.levels += 1


def make(path="/desk_settings.json", start=0):
    clk = clock.ManualClock(start)
    oled = Oled()
    srv = sc.Server()
    link = N.Link(sc.Wlan(), srv, "ssid", "pw", "host", 8090, None)
    s = Settings(path)
    s.carousel = False
    app = A.App(oled, lambda: 1, s, link=link, renderer=scenes.Renderer(), ticks_ms=clk, fb=oled.fb)
    return app, clk, oled, srv


def run(path="/desk_settings.json", start=0):
    """About 40 minutes of a desk: returns rows (ms, screen, contrast, panel on, dx, dy,
    known, second of the day, night mode) on every change."""
    app, clk, oled, srv = make(path, start)
    d = app.desk
    trace = []
    last = [None]
    t = [0]

    def snap():
        w = d.wall
        row = (app.screen, oled.level, oled.on, d.dx, d.dy, w.known, w.sec // 60, d.night)
        if row != last[0]:
            last[0] = row
            trace.append((t[0],) + row)  # noqa: RUF005 - MicroPython has no (a, *b)

    def go(ms, every=0, extra=""):
        end = t[0] + ms
        while t[0] < end:
            conn = srv.conn
            if every and t[0] % every == 0 and srv.up and conn is not None and not conn.eof:
                conn.rx += line(t[0] // 1000, extra)
            app.tick()
            snap()
            clk.advance(A.TICK_MS)
            t[0] += A.TICK_MS

    go(2000)  # boot, connect
    # first line: the idle thresholds; the user is active
    srv.conn.rx += line(2, ',"idm":[60,120],"uid":3')
    go(3000, 1000, ',"uid":3')
    go(2000, 1000, ',"uid":70')  # idle past 60 s: dim (fades)
    go(2000, 1000, ',"uid":130')  # past 120 s: blank
    go(2000, 1000, ',"uid":0')  # input: full again
    go(1000, 1000, ',"pwr":"sleep"')  # the PC goes to sleep: CLOCK, dim
    srv.conn.eof = True  # ... and its link drops
    srv.up = False
    go(30000)
    srv.up = True  # the PC is back: a new connection, a line
    go(4000, 1000)
    srv.up = False  # the server dies: SIGNAL LOST, then CLOCK after clock_after
    srv.conn.eof = True
    go(20000)
    srv.up = True
    # the night schedule comes from the server (23:00-07:00, CLOCK), then minutes pass
    srv_line = ',"ngt":{"s":1380,"e":420,"m":"clock"}'
    go(20000, 1000, srv_line)  # reconnects (backoff), then lines
    # 36 minutes in 4 s ticks, a line each: the orbit goes round, 23:00 passes
    for _ in range(540):
        srv.conn.rx += line(t[0] // 1000)
        app.tick()
        snap()
        clk.advance(4000)
        t[0] += 4000
    return trace
