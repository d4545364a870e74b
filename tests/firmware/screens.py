"""Fixed inputs for every scene and system screen, rendered into a 128 x 64 buffer.

Runs unchanged on CPython (golden PNG tests, tools/render_screens.py) and on real
MicroPython (the WebAssembly parity test): keep it conservative MicroPython.

    import screens
    for name in screens.NAMES:
        buf = screens.render(name)      # bytearray(1024), MONO_VLSB like the SSD1306
"""

import framebuf
from nocturne_fw import app as A
from nocturne_fw import clock, scenes
from nocturne_fw import net as N
from nocturne_fw import scene_ids as ids
from nocturne_fw.settings import Settings

T0 = 5000  # ms on the fixture clock at boot


def moon_cover():
    """A 64 x 64 crescent moon with stars, XBM bit order (MSB first)."""
    out = bytearray(512)
    for y in range(64):
        for x in range(64):
            dx = x - 30
            dy = y - 34
            ex = x - 42
            ey = y - 24
            on = dx * dx + dy * dy < 26 * 26 and ex * ex + ey * ey >= 22 * 22
            if (x, y) in ((50, 8), (56, 20), (46, 50), (58, 40), (10, 6)):
                on = True
            if on:
                out[y * 8 + (x >> 3)] |= 0x80 >> (x & 7)
    return out


def b64(data):
    import binascii  # here: the heap budget's session never calls it

    return binascii.b2a_base64(data).decode().strip()


FULL = (
    '{"pv":2,"ct":52.0,"gt":47,"cl":18,"gl":63,"pw":41.2,"cc":4650,"gh":58,"gv":7,'
    '"ru":17.3,"ra":31.9,"vu":9.1,"vt":16.0,"nd":812.4,"nu":38,"pg":14,"dr":0,'
    '"dw":2215.5,"su":61,"du":48,"cf":1180,"s1":860,"s2":0,"gf":1450,"ch":44,'
    '"wt":7,"wd":"Overcast","wi":3,'
    '"tp":[{"n":"chrome.exe","c":12.3},{"n":"obs64.exe","c":5.0},{"n":"Code.exe","c":2.4}],'
    '"tr":[{"n":"chrome.exe","r":2330},{"n":"Discord.exe","r":512}],'
    '"art":"Daft Punk","trk":"Veridis Quo","mp":true,"idle":false,'
    '"alert":"","target_screen":"","cov":"%s"}'
)

LONG_MEDIA = (
    '{"art":"Godspeed You! Black Emperor","trk":"Storm: Lift Yr. Skinny Fists",'
    '"mp":false,"idle":true,"cov":""}'
)

ALERT = '{"ct":97,"cl":100,"pw":142,"cc":5100,"alert":"CRITICAL","target_screen":"CPU"}'

# PCS: the PCs a server sees over MQTT (issue 14). One of each kind of row: all known,
# offline, a PC without a GPU (unknown: dashes), a long name, three-digit values.
_PCS = (
    '{"n":"office","on":true,"cl":18,"ct":52,"gl":63,"gt":47,"ru":17.3}',
    '{"n":"laptop","on":false}',
    '{"n":"media-server","on":true,"cl":3,"ct":41,"ru":3.9}',
    '{"n":"render","on":true,"cl":100,"ct":88,"gl":99,"gt":100,"ru":118.6}',
    '{"n":"kids_pc","on":true,"cl":41,"ct":63,"gl":12,"gt":38,"ru":7.0}',
    '{"n":"nas","on":true,"cl":7,"ct":35,"ru":1.2}',
    '{"n":"lab-7","on":true,"cl":55,"ct":71,"gl":80,"gt":66,"ru":24.5}',
    '{"n":"old","on":false}',
)


def pcs_line(n):
    return '{"pv":2,"pcs":[' + ",".join(_PCS[:n]) + "]}"


class Oled:
    """The app's display: a FrameBuffer with the driver's commands as no-ops."""

    def __init__(self):
        self.buf = bytearray(1024)
        self.fb = framebuf.FrameBuffer(self.buf, 128, 64, framebuf.MONO_VLSB)

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


class StubWLAN:
    def isconnected(self):
        return True

    def status(self, what):
        return -58


def make(line=None, link_up=True):
    clk = clock.ManualClock(T0)
    oled = Oled()
    link = N.Link(StubWLAN(), None, "NightNet", "pw", "192.168.1.20", 8090, None)
    s = Settings("unused.json")
    app = A.App(oled, lambda: 1, s, link=link, renderer=scenes.Renderer(), ticks_ms=clk, fb=oled.fb)
    app.clock = clk
    clk.advance(10000)
    app.now = clk()
    if link_up:
        link.state = N.S_UP
        link.ever_up = True
        link.rssi = -58
        link.t_line = app.now
    if line is not None:
        assert app.state.feed(line), line
        app._new_data()
    return app


def fill_graphs(app):
    # 128 samples, deterministic: a slow wave with bursts
    for i in range(128):
        w = (i * 37) % 100
        app.g_cpu.push(20 + (w * w) // 200 if i % 16 < 12 else 5)
        app.g_gpu.push(60 + (i % 20) * 2 if i > 40 else None if i > 30 else 10)
        app.g_down.push((i * 53) % 900 + (3000 if i % 32 == 5 else 0))
        app.g_up.push((i * 17) % 80)
    app.state.serial = app.serial


def render_scene(app, screen):
    app.screen = screen
    app.renderer.draw(app.fb, screen, app)
    return app.oled.buf


def scene(i, line=None, graphs=False, **kw):
    def f():
        app = make(FULL % b64(moon_cover()) if line is None else line)
        if graphs:
            fill_graphs(app)
        for k in kw:
            setattr(app, k, kw[k])
        return render_scene(app, i)

    return f


def media_scrolled():
    app = make(FULL % b64(moon_cover()))
    app.state.feed(LONG_MEDIA)
    app._new_data()
    app.renderer.draw(app.fb, ids.MEDIA, app)  # notes the track change time
    app.clock.advance(2600)
    app.now = app.clock()
    app.link.t_line = app.now
    return render_scene(app, ids.MEDIA)


def alert():
    app = make(FULL % b64(moon_cover()))
    app.state.feed(ALERT)
    app._new_data()
    return render_scene(app, app.scene)


def glitched():
    app = make(FULL % b64(moon_cover()))
    app.t_glitch = 12345
    app.glitch = True
    return render_scene(app, ids.CPU)


def pcs_page2():
    """8 PCs: the second page, one carousel interval after the scene was entered."""
    app = make(pcs_line(8))
    app.set_scene(ids.PCS)
    app.clock.advance(app.settings.interval * 1000)
    app.now = app.clock()
    app.link.t_line = app.now
    return render_scene(app, ids.PCS)


def system(screen, setup=None):
    def f():
        app = make(link_up=False)
        if setup is not None:
            setup(app)
        return render_scene(app, screen)

    return f


def _boot(app):
    app.now = app.t0 + 700


def _joining(app):
    app.link.state = N.S_JOIN
    app.link.rssi = None


def _connect(app):
    app.link.state = N.S_WAIT
    app.link.rssi = -67
    app.link.fails = 2
    app.link.error = "NO SERVER"
    app.link.t_next = app.now + 1500


def _no_wifi(app):
    app.link.state = N.S_JOIN
    app.link.fails = 3
    app.link.error = "NO WIFI"
    app.link.t_next = app.now + 3200


def _lost(app):
    link = app.link
    link.ever_up = True
    link.state = N.S_WAIT
    link.rssi = -71
    link.t_line = app.now - 12400
    link.fails = 2
    link.error = "CLOSED"
    link.t_next = app.now + 3500


def _menu(app):
    app.menu.show()
    app.menu.sel = 3
    app.link.state = N.S_UP
    app.link.ever_up = True
    app.link.rssi = -58
    app.link.t_line = app.now


SCREENS = (
    ("scene_00_hub", scene(ids.HUB)),
    ("scene_00_hub_unknown", scene(ids.HUB, line="{}")),
    ("scene_01_cpu", scene(ids.CPU)),
    ("scene_01_cpu_alert", alert),
    ("scene_01_cpu_glitch", glitched),
    ("scene_02_cpu_graph", scene(ids.CPU_LOAD, graphs=True)),
    ("scene_03_gpu", scene(ids.GPU)),
    ("scene_04_gpu_graph", scene(ids.GPU_LOAD, graphs=True)),
    ("scene_05_ram", scene(ids.RAM)),
    ("scene_06_net", scene(ids.NET)),
    ("scene_07_net_graph", scene(ids.NET_GRAPH, graphs=True)),
    ("scene_08_atmos", scene(ids.ATMOS)),
    (
        "scene_08_atmos_thunder",
        scene(ids.ATMOS, line='{"wt":-3,"wd":"Thunderstorm, hail","wi":96}'),
    ),
    ("scene_08_atmos_clear", scene(ids.ATMOS, line='{"wt":24,"wd":"Clear sky","wi":0}')),
    ("scene_08_atmos_none", scene(ids.ATMOS, line="{}")),
    ("scene_09_media", scene(ids.MEDIA)),
    ("scene_09_media_scrolled", media_scrolled),
    (  # Cyrillic from the fonts, an emoji as the placeholder box
        "scene_09_media_cyrillic",
        scene(ids.MEDIA, line='{"pv":2,"art":"Кино","trk":"Звезда 🌟","mp":true,"cov":""}'),
    ),
    ("scene_10_processes", scene(ids.PROCESSES)),
    ("scene_11_fans", scene(ids.FANS)),
    ("scene_12_disks", scene(ids.DISKS)),
    ("scene_12_disks_unknown", scene(ids.DISKS, line='{"su":61}')),
    ("scene_13_pcs_1", scene(ids.PCS, line=pcs_line(1))),
    ("scene_13_pcs_3", scene(ids.PCS, line=pcs_line(3))),
    ("scene_13_pcs_6", scene(ids.PCS, line=pcs_line(6))),
    ("scene_13_pcs_8_page2", pcs_page2),
    ("scene_13_pcs_none", scene(ids.PCS, line="{}")),
    ("sys_boot", system(ids.SYS_BOOT, _boot)),
    ("sys_joining", system(ids.SYS_CONNECT, _joining)),
    ("sys_connecting", system(ids.SYS_CONNECT, _connect)),
    ("sys_no_wifi", system(ids.SYS_NO_WIFI, _no_wifi)),
    ("sys_signal_lost", system(ids.SYS_LOST, _lost)),
    ("sys_no_secrets", system(ids.SYS_SECRETS)),
    ("sys_menu", system(ids.SYS_MENU, _menu)),
)

# CLOCK (desk.py, clock_screen.py): 23:47 on Wednesday 2 December 2026, UTC+1
CLOCK_TM = 1796251620


def clock_line(weather=True, extra=""):
    w = ',"wt":-2,"wd":"Light snow","wi":71' if weather else ""
    return '{"pv":2,"tm":%d,"tz":60%s%s}' % (CLOCK_TM, w, extra)  # noqa: UP031


def _gone(app):
    """The server went 16 s ago: SIGNAL LOST has shown its 10 s, CLOCK now."""
    app.link.state = N.S_WAIT
    app.link.t_line = app.now - 16000


def _night(app):
    app.settings.night_m = 2  # settings.NIGHT_CLOCK over the default 23:00-07:00


def clock_screen(line, setup=None):
    def f():
        app = make(line)
        if setup is not None:
            setup(app)
        app.desk.tick(app)
        return render_scene(app, ids.SYS_CLOCK)

    return f


SCREENS += (
    ("sys_clock", clock_screen(clock_line(), _gone)),
    ("sys_clock_no_weather", clock_screen(clock_line(False), _gone)),
    ("sys_clock_unknown", clock_screen('{"pv":2}', _gone)),
    ("sys_clock_dimmed", clock_screen(clock_line(True, ',"pwr":"sleep"'))),
    ("sys_clock_night", clock_screen(clock_line(), _night)),
)


def _search(app):
    """A board without SERVER_HOST, looking for the PC named desk; another PC answered."""
    from nocturne_fw import discovery

    link = app.link
    link.state = N.S_WAIT
    link.rssi = -64
    link.want = "desk"
    f = discovery.Finder(None, None, 8090, "desk")
    f.active = True
    f.queries = 7
    f.seen = "ATTIC-PC"
    link.finder = f


def _found(app):
    link = app.link
    link.server_name = "DESKTOP-7F3KQ2B"
    link.host = "192.168.1.23"
    link.pairing = True
    link.paired = True


SCREENS += (  # the search for the PC (discovery.py, issue 13)
    ("sys_searching", system(ids.SYS_SEARCH, _search)),
    ("sys_found", system(ids.SYS_FOUND, _found)),
)

NAMES = [n for n, _ in SCREENS]


def render(name):
    for n, f in SCREENS:
        if n == name:
            return bytes(f())
    raise KeyError(name)
