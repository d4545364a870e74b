"""Peek: the board's own frame to the PC while someone watches it (PROTOCOL.md, "Peek").

The server turns it on with ``pk`` (the least ms between two frames; 0 = off). From then
on, after a redraw whose frame differs from the last one sent, and no sooner than ``pk``
ms after it, the board sends ``frame:1024\\n`` and then the 1024 bytes of the SSD1306
driver's own buffer (``buf[1:]``: 8 pages of 128 columns, each byte a column of 8
pixels, LSB on top): what is on the glass, pixel shift included. The first frame goes at
once when peek turns on: it is the board's answer (a board that never answers cannot
peek). Peek ends with ``pk`` 0 or with the connection: a new connection starts it off.

Nothing is allocated per frame: the header is a constant, the frame goes out through a
memoryview made once, and "differs" is one ``==`` of that view with a copy of the last
frame sent, refreshed by a slice assignment (both run in C; the copy's 1 KB is taken the
first time a server asks). The socket is non-blocking;
when the server has not taken enough of the last bytes for a whole frame to fit (a WiFi
hiccup), the rest of the frame is written blocking for at most ``REST_S`` seconds, and if
it still does not go, the link is failed: a frame is never cut, so the bytes after it
are always a line again.

A State part (``State.parts``): ``pk`` is taken only from a line State applies; a bad
value is ignored and never refuses the line.
"""

import errno

from micropython import const
from nocturne_fw import net
from nocturne_fw.clock import ticks_diff

HEADER = b"frame:1024\n"
MIN_MS = const(100)  # the fastest a server may ask for: 10 frames a second
MAX_MS = const(60000)
REST_S = 1  # seconds the rest of a frame may take to leave when the socket is full


class Peek:
    def __init__(self, oled):
        """``oled``: the SSD1306 driver (its ``buf``: control byte + frame). Only built for a
        driver that has that buffer. The link is the app's, read at each poll (held here,
        it would outlive an app that let go of it)."""
        self.view = memoryview(oled.buf)[1:]  # the frame, no copy
        self.last = None  # a copy of the frame last sent, made when first asked
        self.period = 0  # ms between frames asked on connection ``conn``, 0 = off
        self.conn = -1  # link.connects when asked; -1: asked on the connection polled next
        self.drawn = -1  # app.frames when the last frame was sent; -1: send at once
        self.t_sent = 0
        self.sent = 0  # frames sent (all time)

    # -- State part --

    def valid(self, obj):
        return True  # a bad pk is ignored, never a reason to refuse the line

    def prepare(self, obj):
        pass

    def swap(self, obj):
        x = obj.get("pk")
        if type(x) is int and 0 <= x <= MAX_MS:  # bool is not an int here
            self.period = x if x == 0 or x >= MIN_MS else MIN_MS
            self.conn = -1  # the line came in on the link's current connection
            self.drawn = -1  # the current frame at once: the answer
            if x and self.last is None:
                self.last = bytearray(len(self.view))

    # -- the app, once per tick --

    def poll(self, app):
        if not self.period:
            return
        link = app.link
        if link is None:
            return
        if self.conn < 0:
            self.conn = link.connects
        sock = link.sock
        if link.connects != self.conn or sock is None or link.state != net.S_UP:
            self.period = 0  # the connection that asked is gone
            return
        if app.frames == self.drawn or ticks_diff(app.now, self.t_sent) < self.period:
            return
        last = self.last
        if last is None:
            return
        if self.drawn >= 0 and last == self.view:
            self.drawn = app.frames  # redrawn, but the same picture
            return
        try:
            _send_all(sock, HEADER)
            _send_all(sock, self.view)
        except Exception:
            link._fail(app.now, "LINK ERROR", net.S_WAIT)
            self.period = 0
            return
        last[:] = self.view
        self.drawn = app.frames
        self.t_sent = app.now
        self.sent += 1


def _send_all(sock, data):
    """``data`` whole: non-blocking first; what did not fit, blocking for at most REST_S.

    Through the stream ``write(buf, off, n)``, which takes an offset and answers None when
    the socket is full: ``send`` raises an OSError there (96 bytes of heap on the unix
    port) and the rest of a frame sent by slicing takes a memoryview per try (32 bytes):
    a tick that sent into a full socket allocated."""
    size = len(data)
    n = sock.write(data, 0, size) or 0
    if n >= size:
        return
    sock.settimeout(REST_S)
    try:
        while n < size:
            sent = sock.write(data, n, size - n)
            if not sent:  # a port that answers a timeout with None rather than raising
                raise OSError(errno.ETIMEDOUT)
            n += sent
    finally:
        sock.setblocking(False)
