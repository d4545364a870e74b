"""The system screens: boot, joining and connecting, no WiFi, signal lost, no secrets.py,
the quick menu, screen off, and the search for the PC (searching, found). ``Renderer``
(scenes.py) draws them through these methods; each redraws the whole frame from
``app.link``, ``app.menu`` and the clock.
"""

from nocturne_fw import app as A
from nocturne_fw import clock_screen, font_medium, font_small, icons, net, text
from nocturne_fw import display as D
from nocturne_fw import menu as mnu
from nocturne_fw.clock import ticks_diff
from nocturne_fw.state import DASH

VERSION = "FW 0.1  PROTOCOL V1"

RIGHT = text.RIGHT
CENTER = text.CENTER


class SystemScreens:
    """The Renderer's screens outside the carousel, and the pieces every screen shares."""

    def __init__(self):
        self.bars = 0  # header: WiFi bars and link mark, set by _link
        self.link = D.LINK_DOWN

    def _link(self, app):
        """Set ``self.bars`` and ``self.link`` for the header (no tuple: no allocation)."""
        link = app.link
        if link is None:
            self.bars = 4
            self.link = D.LINK_UP
            return
        self.bars = D.rssi_bars(link.rssi)
        if app.lost():
            self.link = D.LINK_LOST
        elif link.state == net.S_UP and link.ever_up:
            self.link = D.LINK_UP
        elif link.wifi_up():
            self.link = D.LINK_WAIT
        else:
            self.bars = 0
            self.link = D.LINK_DOWN

    def boot(self, fb, app):
        el = ticks_diff(app.now, app.t0)
        text.draw(fb, "NOCTURNE", 64, 10, font_medium, 1, CENTER)
        fb.hline(20, 24, 88, 1)
        text.draw(fb, "_OS", 64, 27, font_medium, 1, CENTER)
        pct = el * 100 // A.BOOT_MS
        D.bar(fb, 24, 44, 80, 6, 100 if pct > 100 else pct)
        text.draw(fb, VERSION, 64, 55, font_small, 1, CENTER)

    def connect(self, fb, app):
        link = app.link
        joining = link.state <= net.S_JOIN
        title = "JOINING WIFI" if joining else "CONNECTING"
        if link.state == net.S_UP:
            title = "WAITING DATA"
        text.draw(fb, title, 64, 2, font_medium, 1, CENTER)
        fb.hline(0, 15, 128, 1)
        text.draw(fb, "WIFI", 0, 20, font_small)
        text.draw_fit(fb, link.ssid, 26, 20, font_small, 100)
        text.draw(fb, "RSSI", 0, 29, font_small)
        if link.rssi is not None and not joining:
            w = D.draw_int(fb, link.rssi, 26, 29, font_small)
            text.draw(fb, "DBM", 28 + w, 29, font_small)
            D.wifi_bars(fb, 116, 28, D.rssi_bars(link.rssi))
        else:
            text.draw(fb, DASH, 26, 29, font_small)
        text.draw(fb, "HOST", 0, 38, font_small)
        x = 26 + text.draw_fit(fb, link.host, 26, 38, font_small, 70)
        x += text.draw(fb, ":", x, 38, font_small)
        D.draw_int(fb, link.port, x, 38, font_small)
        # spinner: 3 of 12 dots lit, moving every ANIM_MS
        k = (app.now // 100) % 12
        for i in range(12):
            on = (i - k) % 12 < 3
            fb.fill_rect(28 + 6 * i, 54, 4 if on else 2, 2, 1)
        if link.fails:
            text.draw(fb, link.error, 127, 20, font_small, 1, RIGHT)

    def no_wifi(self, fb, app):
        link = app.link
        fb.blit(icons.get("NO_WIFI"), 2, 4, 0)
        text.draw(fb, "NO WIFI", 32, 4, font_medium)
        text.draw(fb, "CHECK SSID/PASSWORD", 32, 17, font_small)
        fb.hline(0, 30, 128, 1)
        text.draw(fb, "SSID", 0, 35, font_small)
        text.draw_fit(fb, link.ssid, 26, 35, font_small, 100)
        _retry(fb, link, app.now, 48)

    def lost(self, fb, app):
        link = app.link
        text.draw(fb, "SIGNAL LOST", 64, 4, font_medium, 1, CENTER)
        fb.hline(0, 17, 128, 1)
        x = text.draw(fb, "NO DATA FOR ", 0, 23, font_small)
        w = D.draw_int(fb, link.since_line(app.now) // 1000, x, 23, font_small)
        text.draw(fb, "S", x + w, 23, font_small)
        if link.error:
            text.draw(fb, link.error, 127, 23, font_small, 1, RIGHT)
        text.draw(fb, "WIFI", 0, 33, font_small)
        D.wifi_bars(fb, 26, 32, D.rssi_bars(link.rssi) if link.wifi_up() else 0)
        if link.state == net.S_UP:
            text.draw(fb, "LINK UP, WAITING", 0, 48, font_small)
        else:
            _retry(fb, link, app.now, 48)

    def secrets(self, fb, app):
        text.draw(fb, "NO SECRETS.PY", 64, 2, font_medium, 1, CENTER)
        fb.hline(0, 15, 128, 1)
        text.draw(fb, "COPY SECRETS.EXAMPLE.PY", 0, 20, font_small)
        text.draw(fb, "TO SECRETS.PY ON THE", 0, 29, font_small)
        text.draw(fb, "BOARD, SET WIFI_SSID,", 0, 38, font_small)
        text.draw(fb, "WIFI_PASSWORD AND", 0, 47, font_small)
        text.draw(fb, "SERVER_HOST. RESET.", 0, 56, font_small)

    def menu(self, fb, app):
        m = app.menu
        self._link(app)
        D.header(fb, "QUICK MENU", self.bars, self.link)
        first = m.sel - 2
        if first > mnu.COUNT - 5:
            first = mnu.COUNT - 5
        if first < 0:
            first = 0
        for r in range(5):
            i = first + r
            y = 11 + 9 * r
            c = 1
            if i == m.sel:
                fb.fill_rect(0, y - 1, 124, 9, 1)
                c = 0
            text.draw(fb, mnu.LABELS[i], 2, y, font_small, c)
            text.draw(fb, m.value(i), 121, y, font_small, c, RIGHT)
        # scroll bar: where the 5-row window sits in the 7 items
        fb.vline(126, 10, 45, 1)
        fb.fill_rect(125, 10 + first * 45 // mnu.COUNT, 3, 45 * 5 // mnu.COUNT, 1)
        text.draw(fb, "SHORT NEXT  LONG SET", 64, 57, font_small, 1, CENTER)

    def off(self, fb, app):
        pass

    def clock(self, fb, app):
        clock_screen.draw(self, fb, app)

    def search(self, fb, app):
        app.link.discovery().draw_search(self, fb, app)  # loaded while the link searches

    def found(self, fb, app):
        app.link.discovery().draw_found(self, fb, app)


def _retry(fb, link, now, y):
    d = link.retry_in(now)
    if d:
        x = text.draw(fb, "RETRY IN ", 0, y, font_small)
        w = D.draw_int(fb, (d + 999) // 1000, x, y, font_small)
        text.draw(fb, "S", x + w, y, font_small)
    else:
        text.draw(fb, "TRYING NOW", 0, y, font_small)
