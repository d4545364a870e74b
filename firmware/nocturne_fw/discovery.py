"""Finding the PC on the LAN: the UDP query, its answers, and the remembered address.

The board broadcasts ``NOCTURNE?`` to the server's port number over UDP (the subnet's
broadcast address from ``wlan.ifconfig()``; 255.255.255.255 when that is unknown or the
send fails) and every NOCTURNE server on the subnet answers with one JSON line
``{"name", "port", "proto", "pairing"}`` (PROTOCOL.md). ``Finder.poll(now)`` never blocks:
the socket is non-blocking, the query is repeated every 0.5, 1, 2, then 4 s, and while
nothing arrives a poll allocates nothing where ``select.poll`` has ``ipoll`` (the
board's MicroPython): only a datagram that did arrive is read (``recvfrom``, at most
``ANSWER_MAX`` bytes). With ``name`` set, only the server of that name (any case) is
taken; others are noted in ``seen`` for the screen. Without, the first answer wins.

The address found is kept in a small JSON file (``net.MEMO_PATH``, written only when it
changes) so the next boot tries it first.

The Link's search step, the memo after the first line and the two screens (SEARCHING FOR
PC, FOUND) are here too: net.py imports this module only while it searches (or FOUND
shows) and drops it once linked, so a linked board's heap does not hold it (about 5 KB).
"""

import json
import os

from micropython import const
from nocturne_fw import display as D
from nocturne_fw import font_medium, font_small, text
from nocturne_fw.clock import ticks_add, ticks_diff
from nocturne_fw.text import intern

QUERY = b"NOCTURNE?\n"
ANSWER_MAX = const(512)  # bytes read of one answer datagram; a longer one is cut and fails
QUERY_MIN_MS = const(500)  # gap after the first query; doubles per query ...
QUERY_MAX_MS = const(4000)  # ... up to this
LIMITED = "255.255.255.255"

_EAGAIN = (11, 115, 119)  # nothing to read on a non-blocking socket (lwIP, Linux)


def _quad(s):
    """The four numbers of a dotted IPv4 address, or None."""
    try:
        p = s.split(".")
        if len(p) != 4:
            return None
        q = [int(x) for x in p]
    except Exception:
        return None
    for x in q:
        if x < 0 or x > 255:
            return None
    return q


def broadcast_of(ip, mask):
    """The subnet broadcast address of ``ip``/``mask`` (dotted strings), or None when the
    address is unset (0.0.0.0) or the mask leaves no subnet (/0, /31, /32)."""
    a = _quad(ip)
    m = _quad(mask)
    if a is None or m is None or a[0] == 0 or m[0] == 0:
        return None
    b = [(a[i] & m[i]) | (255 ^ m[i]) for i in range(4)]
    if b == a or m[3] >= 254:  # /31 or /32: no broadcast of its own
        return None
    return "%d.%d.%d.%d" % (b[0], b[1], b[2], b[3])


def parse_answer(data):
    """``(name, port, proto, pairing)`` from an answer datagram, or None if it is not one."""
    try:
        a = json.loads(data)
    except Exception:  # ValueError, or a UnicodeError on a port that decodes first
        return None
    if type(a) is not dict:
        return None
    name = a.get("name")
    port = a.get("port")
    proto = a.get("proto")
    pairing = a.get("pairing")
    if type(name) is not str or not name:
        return None
    if type(port) is not int or port < 1 or port > 65535:
        return None
    if type(proto) is not int or proto < 1:
        return None
    if pairing is not True and pairing is not False:
        return None
    return (name, port, proto, pairing)


def load_memo(path):
    """``(host, port, name)`` from the memo file, or None (missing, corrupt, bad value)."""
    try:
        with open(path) as f:
            d = json.loads(f.read(256))
        host = d["host"]
        port = d["port"]
        name = d.get("name", "")
    except Exception:
        return None
    if _quad(host) is None or type(port) is not int or not 0 < port < 65536:
        return None
    return (host, port, name if type(name) is str else "")


def save_memo(path, host, port, name):
    """Write the memo atomically (temp file + rename); False on a filesystem error."""
    tmp = path + ".tmp"
    try:
        with open(tmp, "w") as f:
            f.write(json.dumps({"host": host, "port": port, "name": name}))
        os.rename(tmp, path)
    except OSError:
        return False
    return True


def _poller(sock):
    """A ``select.poll`` on ``sock`` if it has the allocation-free ``ipoll``, else None."""
    try:
        import select

        p = select.poll()
        if not hasattr(p, "ipoll"):
            return None  # CPython: the reads below find EAGAIN instead
        p.register(sock, select.POLLIN)
        return p
    except Exception:
        return None


class Finder:
    """The search: ``start(now)``, then ``poll(now)`` every tick until it returns True;
    the server is then ``host``:``port`` named ``name``. ``stop()`` closes the socket."""

    def __init__(self, socket_mod, wlan, port, name=""):
        self.sock_mod = socket_mod
        self.wlan = wlan
        self.udp_port = port  # where the query goes: the server's port number
        self.want = name.lower() if name else ""
        self.sock = None
        self.poller = None
        self.active = False
        self.t_next = 0  # next query
        self.gap = QUERY_MIN_MS
        self.target = None  # (the subnet broadcast address, port), None: unknown
        self.limited = (LIMITED, port)  # made once: a query allocates nothing
        self.queries = 0  # queries sent (all time)
        self.answers = 0  # valid answers received (all time)
        self.host = None  # the server found: address, TCP port, name, pairing required
        self.port = 0
        self.name = ""
        self.pairing = False
        self.seen = ""  # the last other server that answered (SERVER_NAME set)
        self.error = ""

    def start(self, now):
        self.stop()
        self.host = None
        self.error = ""
        s = None
        try:
            m = self.sock_mod
            s = m.socket(m.AF_INET, m.SOCK_DGRAM)
            try:
                s.setsockopt(m.SOL_SOCKET, m.SO_BROADCAST, 1)
            except Exception:
                pass  # lwIP builds without IP_SOF_BROADCAST send broadcasts anyway
            s.bind(("0.0.0.0", 0))
            s.setblocking(False)
        except Exception:
            if s is not None:
                try:
                    s.close()
                except Exception:
                    pass
            self.error = "NO UDP"
            return False
        self.sock = s
        self.poller = _poller(s)
        self.target = None
        try:
            cfg = self.wlan.ifconfig()
            b = broadcast_of(cfg[0], cfg[1])
            if b is not None:
                self.target = (b, self.udp_port)
        except Exception:
            pass
        self.active = True
        self.t_next = now
        self.gap = QUERY_MIN_MS
        return True

    def stop(self):
        self.active = False
        if self.sock is not None:
            try:
                self.sock.close()
            except Exception:
                pass
            self.sock = None
        self.poller = None

    def poll(self, now):
        """Send the query when due, take what arrived; True once a server was picked."""
        if not self.active:
            return False
        if ticks_diff(now, self.t_next) >= 0:
            self._query()
            self.t_next = ticks_add(now, self.gap)
            if self.gap < QUERY_MAX_MS:
                self.gap *= 2
        for _ in range(4):  # a few answers per tick at most: several PCs, or duplicates
            if not self._receive():
                return False
            if self.host is not None:
                self.stop()
                return True
        return False

    def _query(self):
        s = self.sock
        if s is None:
            return
        t = self.target
        if t is not None:
            try:
                s.sendto(QUERY, t)
                self.queries += 1
                return
            except Exception:
                pass  # the subnet's address did not work: the limited broadcast
        try:
            s.sendto(QUERY, self.limited)
            self.queries += 1
            self.error = ""
        except Exception:
            self.error = "NO BROADCAST"

    def _receive(self):
        """Take one datagram if one is there; False when none was."""
        s = self.sock
        if s is None:
            return False
        p = self.poller
        if p is not None:
            ready = False
            for _ in p.ipoll(0):
                ready = True
            if not ready:
                return False
        try:
            data, addr = s.recvfrom(ANSWER_MAX)
        except OSError as e:
            if e.args and e.args[0] in _EAGAIN:
                return False
            self.error = "UDP ERROR"
            return False
        a = parse_answer(data)
        if a is None:
            print("discovery: not an answer, from", addr[0])
            return True
        intern(a[0])  # the name's characters, before SEARCHING or FOUND draws it
        intern(addr[0])
        self.answers += 1
        if self.want and a[0].lower() != self.want:
            self.seen = a[0]
            return True
        self.host = addr[0]
        self.port = a[1]
        self.name = a[0]
        self.pairing = a[3]
        return True


# -- the Link's use of it (net.py imports this module only while it needs it) ---------------


def step(link, now):
    """One tick of the link's search (net.Link._search, once a search is due or running):
    start it, poll it, and take a server found: connect to it at once."""
    f = link.finder
    if f is None:
        f = link.finder = Finder(link.sock_mod, link.wlan, link.udp_port, link.want)
    if not f.active and not f.start(now):
        link.t_search = ticks_add(now, 16000)  # no UDP socket: try again later
        return
    if not f.poll(now):
        return
    if f.host == link.host and f.port == link.port:  # the host that fails: no reset
        link.t_search = ticks_add(link.t_next, 1)  # not before its next attempt
        return
    link.host = f.host
    link.port = f.port
    link.server_name = f.name
    link.pairing = f.pairing
    link.addr = None
    link.unsaved = True
    link.fails = 0
    link.t_next = now  # connect at once
    link.found_on = True
    link.found_new = True


def linked(link):
    """The first line came: remember the server if a search found it; stop the search."""
    m = (link.host, link.port, link.server_name)
    if link.unsaved and link.memo and m != link.saved and save_memo(link.memo, m[0], m[1], m[2]):
        link.saved = m
    link.unsaved = False
    if link.finder is not None:
        link.finder.stop()
        link.finder = None


# -- the screens (system_screens.py hands SEARCHING FOR PC and FOUND to these) ----------------


def draw_search(r, fb, app):
    link = app.link
    f = link.finder
    text.draw(fb, "SEARCHING FOR PC", 64, 2, font_medium, 1, text.CENTER)
    fb.hline(0, 15, 128, 1)
    text.draw(fb, "WIFI", 0, 20, font_small)
    text.draw_fit(fb, link.ssid, 26, 20, font_small, 100)
    text.draw(fb, "PC", 0, 29, font_small)
    if link.want:
        text.draw_fit(fb, link.want, 26, 29, font_small, 100)
    else:
        text.draw(fb, "ANY", 26, 29, font_small)
    x = text.draw(fb, "UDP", 0, 38, font_small) + 8
    x += D.draw_int(fb, link.udp_port, x, 38, font_small)
    if f is None:
        return
    if f.queries:
        x += 8
        x += text.draw(fb, "ASKED ", x, 38, font_small)
        D.draw_int(fb, f.queries, x, 38, font_small)
    if f.seen:
        text.draw(fb, "SEEN", 0, 47, font_small)
        text.draw_fit(fb, f.seen, 26, 47, font_small, 100)
    k = (app.now // 100) % 12
    for i in range(12):
        fb.fill_rect(28 + 6 * i, 58, 4 if (i - k) % 12 < 3 else 2, 2, 1)
    err = f.error or link.error
    if err and not f.seen:
        text.draw(fb, err, 127, 47, font_small, 1, text.RIGHT)


def draw_found(r, fb, app):
    link = app.link
    text.draw(fb, "FOUND", 64, 4, font_medium, 1, text.CENTER)
    text.draw_fit(fb, link.server_name, 64, 20, font_medium, 124, 1, text.CENTER)
    fb.hline(0, 34, 128, 1)
    x = 2 + text.draw_fit(fb, link.host, 2, 40, font_small, 90)
    x += text.draw(fb, ":", x, 40, font_small)
    D.draw_int(fb, link.port, x, 40, font_small)
    if link.pairing:
        text.draw(fb, "PAIRED" if link.paired else "NEEDS PAIRING", 2, 50, font_small)
