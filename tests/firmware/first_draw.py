"""Every screen's first draw on a fresh board, measured with ``gc.mem_alloc`` (issue 20).

Runs unchanged on real MicroPython (both ports, test_first_draw.py) and CPython. A board
is built (``screens.make``: every firmware import, the App, a first line with everything:
cover, processes, weather, media, PCs, the clock), then each screen is put in the state
that shows it (``SETUPS``: what the link, the menu or the clock would be) and drawn with
``app.draw()`` (render, pixel shift, show). Only the draw is measured: a setup stands for
what the board's other parts did before.

``run(line, order, then)`` draws the screens in ``order`` (indices into ``SETUPS``) on a fresh
board and prints ``ALLOC <first> <name> <bytes>`` for every draw that allocated, then
``DRAWN <count>``. The heap must be large enough that no collection runs mid-draw (a
collection shows as a negative figure, which fails the test too).
"""

import gc

import screens
from nocturne_fw import discovery
from nocturne_fw import net as N
from nocturne_fw import scene_ids as ids

_alloc = getattr(gc, "mem_alloc", lambda: 0)  # CPython: draws only, no figures


def _up(app):
    """A linked board, lines arriving: what every scene is drawn in."""
    link = app.link
    link.state = N.S_UP
    link.ever_up = True
    link.rssi = -58
    link.t_line = app.now
    link.fails = 0
    link.error = ""
    link.finder = None
    link.found_on = False
    app.menu.close()
    app.state.alert = False
    app.glitch = False


def _boot(app):
    app.now = app.t0 + 700


def _joining(app):
    app.link.state = N.S_JOIN
    app.link.rssi = None
    app.link.ever_up = False


def _connecting(app):
    link = app.link
    link.ever_up = False
    link.state = N.S_WAIT
    link.rssi = -67
    link.fails = 2
    link.error = "NO SERVER"
    link.t_next = app.now + 1500


def _no_wifi(app):
    link = app.link
    link.ever_up = False
    link.state = N.S_JOIN
    link.fails = 3
    link.error = "NO WIFI"
    link.t_next = app.now + 3200


def _lost(app):
    link = app.link
    link.state = N.S_WAIT
    link.rssi = -71
    link.t_line = app.now - 12400
    link.fails = 2
    link.error = "CLOSED"
    link.t_next = app.now + 3500


def _menu(app):
    app.menu.show()
    app.menu.sel = 3


def _clock(app):
    app.link.state = N.S_WAIT
    app.link.t_line = app.now - 16000
    app.desk.tick(app)


def _search(app):
    link = app.link
    link.state = N.S_WAIT
    link.want = "desk"
    link.disc = discovery
    f = discovery.Finder(None, None, 8090, "desk")
    f.active = True
    f.queries = 7
    f.seen = "ATTIC-PC WITH A LONG NAME"
    link.finder = f


def _found(app):
    link = app.link
    link.disc = discovery  # the search that found it loaded it
    link.server_name = "DESKTOP-7F3KQ2B-AND-MORE"
    link.host = "192.168.100.230.example.lan"
    link.pairing = True
    link.paired = False


def _alert(app):
    app.state.alert = True


def _glitch(app):
    app.glitch = True
    app.t_glitch = 12345


def _scrolled(app):
    app.now += 2600
    app.link.t_line = app.now


SETUPS = [(ids.NAMES[i], i, None) for i in range(ids.COUNT)]
SETUPS += [
    ("CPU+ALERT", ids.CPU, _alert),
    ("GPU+GLITCH", ids.GPU, _glitch),
    ("MEDIA+SCROLLED", ids.MEDIA, _scrolled),
    ("BOOT", ids.SYS_BOOT, _boot),
    ("JOINING", ids.SYS_CONNECT, _joining),
    ("CONNECTING", ids.SYS_CONNECT, _connecting),
    ("NO_WIFI", ids.SYS_NO_WIFI, _no_wifi),
    ("SIGNAL_LOST", ids.SYS_LOST, _lost),
    ("SECRETS", ids.SYS_SECRETS, None),
    ("MENU", ids.SYS_MENU, _menu),
    ("OFF", ids.SYS_OFF, None),
    ("CLOCK", ids.SYS_CLOCK, _clock),
    ("SEARCH", ids.SYS_SEARCH, _search),
    ("FOUND", ids.SYS_FOUND, _found),
]


def run(line, order, then=None):
    """``then``: a second line (the custom scenes' values: an xs applies as the next line
    comes)."""
    app = screens.make(line)
    if then is not None:
        assert app.state.feed(then)
        app._new_data()
        assert app.custom.n, "the custom scenes are drawn defined"
    screens.fill_graphs(app)
    first = SETUPS[order[0]][0]
    drawn = 0
    for k in order:
        name, screen, setup = SETUPS[k]
        _up(app)
        if setup is not None:
            setup(app)
        app.screen = screen
        a = _alloc()
        app.draw()
        d = _alloc() - a
        drawn += 1
        if d:
            print("ALLOC", first, name, d)
    print("DRAWN", drawn)
