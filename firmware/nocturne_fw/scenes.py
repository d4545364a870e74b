"""The carousel's scenes: what the 128 x 64 OLED shows (system screens: system_screens.py).

``Renderer.draw(fb, screen, app)`` redraws the whole frame: ``screen`` is a
scene (``scene_ids.HUB`` .. ``scene_ids.DISKS``) or a system screen
(``scene_ids.SYS_*``). Scenes read only ``app.state`` (cached display strings,
see state.py), the graphs and the link status; they never touch the network.
Unknown values show as the dash State caches, never 0.

The carousel, in scene id order:

HUB        CPU, GPU, RAM and network at a glance
CPU        temperature, load, power, clock, top process, fan
CPU LOAD   load graph
GPU        temperature, load, hot spot, memory load, VRAM, fan
GPU LOAD   load graph
RAM        used / total, top processes by RAM
NET        down, up, ping, WiFi signal
NET GRAPH  down and up graphs, each auto-scaled
ATMOS      weather icon, temperature, description
MEDIA      64 x 64 cover, state, artist and track, scrolling when long (media_scene.py)
PROCESSES  top 3 by CPU
FANS       CPU, GPU, system fans, chipset temperature
DISKS      system and data disk usage, read and write rates
PCS        one row per PC seen over MQTT (pcs_scene.py)
CUSTOM 1-4 the user's own while defined (custom_scene.py, App.custom); an undefined one: HUB
"""

from nocturne_fw import display as D
from nocturne_fw import (
    font_big,
    font_medium,
    font_small,
    icons,
    media_scene,
    pcs_scene,
    text,
)
from nocturne_fw import scene_ids as ids
from nocturne_fw.scene_ids import COUNT, CUSTOM_1, MEDIA, NAMES
from nocturne_fw.state import DASH
from nocturne_fw.system_screens import SystemScreens

RIGHT = text.RIGHT
CENTER = text.CENTER

# pre-made strings (no formatting in the draw loop)
_S_PCT = "%"
_S_DEG = "\u00b0"
_S_DEGC = "\u00b0C"
_S_RPM = "RPM"
_S_W = "W"
_S_MHZ = "MHz"
_S_MS = "ms"
_S_BS = "B/S"
_S_GB = "GB"
_S_SLASH = "/"
# PROCESSES before its first tp: the server scans only while a board shows this scene
# (or CPU, RAM), so the list comes with a line or two after screen:10 went out.
_S_SCANNING = "SCANNING"
# ATMOS before any weather (the carousel skips it; a press still shows it): what to set.
_S_NO_WEATHER = "NO WEATHER YET"
_S_SET_CITY = "SET weather_city"
_CPU_ROWS = ("LOAD", "PWR", "CLK")
_CPU_KEYS = ("cl", "pw", "cc")
_CPU_UNITS = (_S_PCT, _S_W, _S_MHZ)
_GPU_ROWS = ("LOAD", "HOT", "MEM")
_GPU_KEYS = ("gl", "gh", "gv")
_GPU_UNITS = (_S_PCT, _S_DEGC, _S_PCT)
_KMG = ("K", "M", "G")


def _spaced_int(fb, n, right, y, font):
    """``n`` ending at column ``right``, 1 px between its characters: the medium font's bold
    minus and digits fill their cells, so "-58" drawn plainly reads as one blot."""
    neg = n < 0
    if neg:
        n = -n
    x = right + 1
    while True:
        ch = D.DIGITS[n % 10]
        x -= 1 + text.char_width(ch, font)
        text.draw(fb, ch, x, y, font)
        n //= 10
        if not n:
            break
    if neg:
        x -= 1 + text.char_width(D.MINUS, font)
        text.draw(fb, D.MINUS, x, y, font)


class Renderer(SystemScreens):
    def __init__(self):
        SystemScreens.__init__(self)
        text.prepare()
        self.glitch = D.Glitch()
        self.track_serial = -1
        self.t_track = 0

    # -- entry points ------------------------------------------------------------

    def draw(self, fb, screen, app):
        fb.fill(0)
        if screen < COUNT:
            self._scene(fb, screen, app)
            if app.glitch:
                self.glitch.apply(fb, app.t_glitch)
            return
        sysd = _SYSTEM.get(screen)
        if sysd is not None:
            sysd(self, fb, app)

    def animates(self, app):
        """True when the current screen moves by itself (redraw every ANIM_MS)."""
        s = app.screen
        if s == MEDIA:
            st = app.state
            return (
                text.text_width(st.txt["trk"], font_medium) > 128 - media_scene.PANEL_X
                or text.text_width(st.txt["art"], font_small) > 128 - media_scene.PANEL_X
            )
        if s >= CUSTOM_1 and s < COUNT:  # a critical slot flashes
            return app.custom.flashing(s)
        return s == ids.SYS_CONNECT or s == ids.SYS_BOOT or s == ids.SYS_SEARCH

    # -- shared pieces -------------------------------------------------------------

    def _frame(self, fb, i, app, x0=0):
        self._link(app)
        alert = app.alert_active()
        name = NAMES[i] if i < CUSTOM_1 else app.custom.name[i - CUSTOM_1]
        D.header(fb, name, self.bars, self.link, alert, x0)
        if alert and x0 == 0:
            text.draw(fb, "CRITICAL", 104, 0, font_small, 1, RIGHT)
            D.alert_frame(fb)
        n = CUSTOM_1 + app.custom.n  # the scenes the carousel visits
        if x0 == 0:
            D.footer(fb, n, i)
        else:
            D.footer(fb, n, i, x0, 128 - x0)

    def _scene(self, fb, i, app):
        if i < CUSTOM_1:
            _SCENES[i](self, fb, app)
        elif app.custom.defined(i):
            app.custom.draw(fb, app, i)
        else:  # not defined (stored in settings.json, or sent by gs): HUB
            i = ids.HUB
            self.hub(fb, app)
        if i != MEDIA:
            self._frame(fb, i, app)

    # -- scenes ----------------------------------------------------------------------

    def hub(self, fb, app):
        st = app.state
        t = st.txt
        fb.vline(63, 11, 48, 1)
        fb.hline(0, 34, 128, 1)
        for col, lab, temp, load in ((0, "CPU", "ct", "cl"), (1, "GPU", "gt", "gl")):
            x = 2 + 65 * col
            D.label_value(fb, x, 11, lab, t[temp], _S_DEGC, font_medium)
            D.value_unit(fb, x + 59, 11, t[load], _S_PCT, font_small, font_small, RIGHT)
        D.label_value(fb, 2, 37, "RAM", t["ru"], "G", font_medium)
        D.value_unit(fb, 61, 37, t["ra"], _S_GB, font_small, font_small, RIGHT)
        text.draw(fb, "NET", 67, 37, font_small)
        _arrow(fb, 102, 37, True)
        D.value_unit(fb, 126, 37, t["nu"], st.unit["nu"], font_small, font_small, RIGHT)
        _arrow(fb, 67, 48, False)
        D.value_unit(fb, 75, 46, t["nd"], st.unit["nd"], font_medium)

    def cpu(self, fb, app):
        self._part(fb, app, "ct", "cl", _CPU_ROWS, _CPU_KEYS, _CPU_UNITS)
        st = app.state
        text.draw(fb, "TOP", 0, 45, font_small)
        if st.tp_n:
            text.draw(fb, st.tp_name[0], 18, 45, font_small)
            D.value_unit(fb, 127, 45, st.tp_txt[0], _S_PCT, font_small, font_small, RIGHT)
        else:
            text.draw(fb, DASH, 18, 45, font_small)
        text.draw(fb, "FAN", 0, 53, font_small)
        D.value_unit(fb, 18, 53, st.txt["cf"], _S_RPM, font_small)

    def gpu(self, fb, app):
        self._part(fb, app, "gt", "gl", _GPU_ROWS, _GPU_KEYS, _GPU_UNITS)
        t = app.state.txt
        text.draw(fb, "VRAM", 0, 45, font_small)
        x = 22 + text.draw(fb, t["vu"], 22, 45, font_small)
        x += text.draw(fb, _S_SLASH, x, 45, font_small)
        x += text.draw(fb, t["vt"], x, 45, font_small)
        if t["vt"] is not DASH:
            text.draw(fb, _S_GB, x + 2, 45, font_small)
        _pct(fb, 127, 45, app.state.p["vram"])
        text.draw(fb, "FAN", 0, 53, font_small)
        D.value_unit(fb, 22, 53, t["gf"], _S_RPM, font_small)

    def _part(self, fb, app, temp, load, labels, keys, units):
        st = app.state
        t = st.txt
        x = text.draw(fb, t[temp], 0, 11, font_big)
        if t[temp] is not DASH:
            text.draw(fb, _S_DEG, x, 11, font_big)
        for r in range(3):
            y = 11 + 8 * r
            text.draw(fb, labels[r], 62, y, font_small)
            v = t[keys[r]]
            D.value_unit(fb, 127, y, v, units[r], font_small, font_small, RIGHT)
        D.bar(fb, 0, 36, 128, 7, st.p[load])

    def cpu_graph(self, fb, app):
        self._graph(fb, app, app.g_cpu, "cl", "ct")

    def gpu_graph(self, fb, app):
        self._graph(fb, app, app.g_gpu, "gl", "gt")

    def _graph(self, fb, app, g, load, temp):
        t = app.state.txt
        D.value_unit(fb, 0, 11, t[load], _S_PCT, font_medium)
        D.value_unit(fb, 127, 13, t[temp], _S_DEGC, font_small, font_small, RIGHT)
        fb.rect(0, 24, 128, 36, 1)
        for x in range(2, 126, 4):  # 50 % guide, dotted
            fb.pixel(x, 41, 1)
        g.draw(fb, 1, 25, 126, 34, 100)

    def ram(self, fb, app):
        st = app.state
        t = st.txt
        x = text.draw(fb, t["ru"], 0, 11, font_big)
        x += 2 + text.draw(fb, _S_SLASH, x + 2, 22, font_small)
        x += text.draw(fb, t["ra"], x, 22, font_small)
        if t["ra"] is not DASH:
            text.draw(fb, _S_GB, x + 2, 22, font_small)
        D.bar(fb, 0, 35, 104, 7, st.p["ram"])
        _pct(fb, 127, 35, st.p["ram"])
        for r in range(2):
            y = 45 + 8 * r
            if r < st.tr_n:
                text.draw(fb, st.tr_name[r], 0, y, font_small)
                text.draw(fb, st.tr_txt[r], 127, y, font_small, 1, RIGHT)
            elif r == 0:
                text.draw(fb, DASH, 0, y, font_small)

    def net(self, fb, app):
        st = app.state
        t = st.txt
        _arrow(fb, 0, 15, False)
        x = 8 + text.draw(fb, t["nd"], 8, 11, font_big)
        if t["nd"] is not DASH:
            x += 1 + text.draw(fb, st.unit["nd"], x + 1, 22, font_small)
            text.draw(fb, _S_BS, x, 22, font_small)
        _arrow(fb, 0, 39, True)
        x = 8 + text.draw(fb, t["nu"], 8, 35, font_big)
        if t["nu"] is not DASH:
            x += 1 + text.draw(fb, st.unit["nu"], x + 1, 46, font_small)
            text.draw(fb, _S_BS, x, 46, font_small)
        text.draw(fb, "PING", 127, 11, font_small, 1, RIGHT)
        D.value_unit(fb, 127, 19, t["pg"], _S_MS, font_medium, font_small, RIGHT)
        text.draw(fb, "WIFI", 127, 35, font_small, 1, RIGHT)
        link = app.link
        if link is not None and link.rssi is not None:
            w = text.draw(fb, "dBm", 127, 46, font_small, 1, RIGHT)
            _spaced_int(fb, link.rssi, 126 - w, 43, font_medium)
        else:
            text.draw(fb, DASH, 127, 43, font_medium, 1, RIGHT)

    def net_graph(self, fb, app):
        self._net_graph(fb, app.state, 0, app.g_down, "nd", 10)
        self._net_graph(fb, app.state, 1, app.g_up, "nu", 35)
        fb.hline(0, 34, 128, 1)

    def _net_graph(self, fb, st, k, g, key, y):
        s = g.scale()
        g.draw(fb, 0, y, 128, 24, s)
        # labels on a dark box so the graph never hides them
        fb.fill_rect(0, y, 46, 8, 0)
        _arrow(fb, 0, y + 1, k == 1)
        D.value_unit(fb, 7, y + 1, st.txt[key], st.unit[key], font_small)
        u = 0  # the full scale, KB/s a power of two from 64: "64K", "2M", "1024G"
        while s >= 1024 and u < 2:
            s >>= 10
            u += 1
        w = 10 + 5 * ((s >= 10) + (s >= 100) + (s >= 1000))  # font_small: 5 px a character
        fb.fill_rect(125 - w, y, w + 2, 8, 0)
        D.draw_int(fb, s, 122, y + 1, font_small, 1, RIGHT)
        text.draw(fb, _KMG[u], 122, y + 1, font_small)

    def atmos(self, fb, app):
        st = app.state
        t = st.txt
        if st.v["wt"] is None and st.v["wi"] is None:
            text.draw(fb, _S_NO_WEATHER, 64, 24, font_small, 1, CENTER)
            text.draw(fb, _S_SET_CITY, 64, 36, font_small, 1, CENTER)
            return
        fb.blit(icons.weather(st.v["wi"]), 4, 12, 0)
        x = text.draw(fb, t["wt"], 36, 11, font_big)
        if t["wt"] is not DASH:
            text.draw(fb, _S_DEG, 36 + x, 11, font_big)
        fb.hline(0, 38, 128, 1)
        text.draw_fit(fb, t["wd"], 64, 44, font_medium, 128, 1, CENTER)

    def processes(self, fb, app):
        st = app.state
        if not st.tp_n:
            text.draw(fb, _S_SCANNING, 64, 28, font_medium, 1, CENTER)
            return
        for r in range(st.tp_n):
            y = 11 + 16 * r
            D.draw_int(fb, r + 1, 0, y, font_small)
            text.draw(fb, st.tp_name[r], 8, y, font_small)
            D.value_unit(fb, 127, y, st.tp_txt[r], _S_PCT, font_small, font_small, RIGHT)
            D.bar(fb, 8, y + 8, 120, 5, st.tp_val[r])

    def fans(self, fb, app):
        t = app.state.txt
        rows = (("CPU", "cf"), ("GPU", "gf"), ("SYS 1", "s1"), ("SYS 2", "s2"))
        for r in range(4):
            y = 11 + 10 * r
            lab, key = rows[r]
            text.draw(fb, lab, 0, y + 2, font_small)
            D.value_unit(fb, 127, y, t[key], _S_RPM, font_medium, font_small, RIGHT)
        text.draw(fb, "CHIPSET", 0, 53, font_small)
        D.value_unit(fb, 127, 51, t["ch"], _S_DEGC, font_medium, font_small, RIGHT)

    def disks(self, fb, app):
        st = app.state
        t = st.txt
        for r, lab, key in ((0, "SYSTEM", "su"), (1, "DATA", "du")):
            y = 11 + 16 * r
            text.draw(fb, lab, 0, y, font_small)
            D.value_unit(fb, 127, y, t[key], _S_PCT, font_small, font_small, RIGHT)
            D.bar(fb, 0, y + 8, 128, 6, st.p[key])
        for c, lab, key in ((0, "R", "dr"), (1, "W", "dw")):
            x = 66 * c
            text.draw(fb, lab, x, 49, font_small)
            w = D.value_unit(fb, x + 8, 46, t[key], st.unit[key], font_medium)
            if t[key] is not DASH:
                text.draw(fb, _S_BS, x + 9 + w, 49, font_small)


def _arrow(fb, x, y, up):
    """5 x 6 arrow: the network direction."""
    if up:
        fb.vline(x + 2, y, 6, 1)
        fb.hline(x + 1, y + 1, 3, 1)
        fb.hline(x, y + 2, 5, 1)
    else:
        fb.vline(x + 2, y, 6, 1)
        fb.hline(x + 1, y + 4, 3, 1)
        fb.hline(x, y + 3, 5, 1)


def _pct(fb, x, y, p):
    """``p`` and "%" right-aligned at ``x`` as ``value_unit`` lays them out, the number
    drawn digit by digit (no string made); a dash when ``p`` is -1 (unknown)."""
    if p < 0:
        text.draw(fb, DASH, x, y, font_small, 1, RIGHT)
        return
    uw = text.draw(fb, _S_PCT, x - text.text_width(_S_PCT, font_small), y, font_small)
    D.draw_int(fb, p, x - uw - 1, y, font_small, 1, RIGHT)


_BY_ID = {
    ids.HUB: Renderer.hub,
    ids.CPU: Renderer.cpu,
    ids.CPU_LOAD: Renderer.cpu_graph,
    ids.GPU: Renderer.gpu,
    ids.GPU_LOAD: Renderer.gpu_graph,
    ids.RAM: Renderer.ram,
    ids.NET: Renderer.net,
    ids.NET_GRAPH: Renderer.net_graph,
    ids.ATMOS: Renderer.atmos,
    ids.MEDIA: media_scene.draw,
    ids.PROCESSES: Renderer.processes,
    ids.FANS: Renderer.fans,
    ids.DISKS: Renderer.disks,
    ids.PCS: pcs_scene.draw,
}
# Index = scene id: the draw loop indexes a tuple (a dict lookup hashes every frame).
_SCENES = tuple(_BY_ID[i] for i in range(CUSTOM_1))
del _BY_ID  # the tuple is what stays on the heap

_SYSTEM = {
    ids.SYS_BOOT: Renderer.boot,
    ids.SYS_CONNECT: Renderer.connect,
    ids.SYS_NO_WIFI: Renderer.no_wifi,
    ids.SYS_LOST: Renderer.lost,
    ids.SYS_SECRETS: Renderer.secrets,
    ids.SYS_MENU: Renderer.menu,
    ids.SYS_OFF: Renderer.off,
    ids.SYS_CLOCK: Renderer.clock,
    ids.SYS_SEARCH: Renderer.search,
    ids.SYS_FOUND: Renderer.found,
}
