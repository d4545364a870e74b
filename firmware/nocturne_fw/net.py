"""WiFi join and the TCP link to the PC server, polled from the tick loop.

``Link.poll(now)`` never blocks longer than one TCP connect (``CONNECT_TIMEOUT_S``);
reads are non-blocking, with ``readinto`` into one preallocated chunk: ``recv(n)``
allocates its n-byte result before it knows whether data came, and on the ports that
raise EAGAIN an exception too (608 B per idle tick on the unix port), while
``readinto`` on an empty non-blocking socket returns None and allocates nothing.
Each complete line goes to ``on_line`` without its newline, as a memoryview of the line
buffer valid for the call (State.feed parses it in place: no copy of the line among the
line's garbage). A line longer than ``MAX_LINE`` is dropped up to the next newline, so a
hostile or broken server can never grow the buffer.

After any failure (WiFi join timeout, refused connect, peer closed, socket
error, no line for ``SILENCE_MS`` = a half-open socket) the link closes and
retries after ``BACKOFF_MIN_MS`` doubled per consecutive failure, capped at
``BACKOFF_MAX_MS``. The failure count resets when a line arrives.

Device -> server: ``HELO\\n`` (``HELO <token>\\n`` with ``SERVER_TOKEN`` set) on connect,
then ``screen:N\\n`` for the shown scene, and again whenever it changes; once the board
has survived a failure (survive.py), ``survived:<errors> <resets> <type>\\n`` after each
failure and on every connect.

Finding the PC (discovery.py): with ``host`` "" the link connects to the address a search
found last (the memo file), and searches when there is none; with any host, after
``HOST_FAILS`` failures in a row without a line it searches too, while the backoff to the
next attempt on the host runs. A server found is connected at once and remembered after
its first line; the search stops once connected and whenever WiFi is down. discovery.py is
imported only for a search or the memo, and let go of at the next line: a linked board
does not keep its code (about 5 KB of heap).
"""

import sys

from micropython import const
from nocturne_fw import scene_ids as ids
from nocturne_fw.clock import ticks_add, ticks_diff
from nocturne_fw.text import intern

MAX_LINE = const(4096)  # protocol v1 line cap (bytes, newline excluded)
RECV_CHUNK = const(512)  # bytes per readinto(); an lwIP TCP segment is at most 1460
RECV_ROUNDS = const(8)  # readinto() calls per poll at most: 4 KB, then let the UI run
CONNECT_TIMEOUT_S = 2  # the one blocking call; the watchdog allows far more
JOIN_TIMEOUT_MS = const(15000)  # a WPA2 join normally takes 2-5 s
SILENCE_MS = const(12000)  # the server sends a line every second: 12 missed = dead
BACKOFF_MIN_MS = const(1000)
BACKOFF_MAX_MS = const(16000)
RSSI_EVERY_MS = const(2000)
HOST_FAILS = const(3)  # failures in a row of the host (no line in between), then search
FOUND_MS = const(2000)  # "FOUND <name>" shows this long after a search found a server
MEMO_PATH = "server.json"  # where a search's result is kept (discovery.save_memo)

# Link states
S_IDLE = const(0)  # WiFi down; join when the backoff allows
S_JOIN = const(1)  # WiFi joining
S_WAIT = const(2)  # WiFi up, TCP not connected (waiting for the backoff)
S_UP = const(3)  # TCP connected

_EAGAIN = (11, 115, 119)  # EAGAIN (lwIP and Linux), EINPROGRESS, EINPROGRESS (lwIP)

_HELO = b"HELO\n"


class Link:
    def __init__(
        self, wlan, socket_mod, ssid, password, host, port, on_line, name="", token="", memo=None
    ):
        """``host`` "": search (``name``: the PC to pick, "" any); ``token``: sent with HELO;
        ``memo``: the file that keeps the address a search found (None: not kept)."""
        self.wlan = wlan
        self.sock_mod = socket_mod
        self.ssid = ssid
        intern(ssid)  # drawn by CONNECTING, NO WIFI: their characters interned now
        intern(host)
        self.password = password
        self.host = host  # where the next connect goes; "" = nowhere known yet
        self.configured = host  # SERVER_HOST: "" = this board finds its PC
        self.port = port
        self.on_line = on_line
        token = token.strip() if token else ""
        self.helo = ("HELO %s\n" % token).encode() if token else _HELO
        self.paired = bool(token)
        self.want = name or ""  # SERVER_NAME
        self.udp_port = port  # where queries go: SERVER_PORT
        self.finder = None  # a discovery.Finder while one is needed
        self.disc = None  # the discovery module while it is loaded (see discovery())
        self.pairing = False  # the PC found said it needs paired boards
        self.memo = memo
        self.saved = None  # what the memo file holds: (host, port, name)
        self.server_name = ""  # the PC's name, once a search (or the memo) told it
        self.recall = not host and bool(memo)  # read the memo at the first connect
        self.unsaved = False  # host came from a search: remember it after its first line
        self.fresh = False  # connected, no line yet on this connection
        self.t_found = 0  # when FOUND was first asked for (after the boot splash, if then)
        self.found_on = False  # "FOUND" is showing (FOUND_MS from t_found)
        self.found_new = False  # ... and has not been asked for yet
        self.t_search = 0  # no search before this
        self.sock = None
        self.addr = None  # resolved once: getaddrinfo on a name can block for seconds
        self.state = S_IDLE
        self.buf = bytearray(MAX_LINE)
        self.mv = memoryview(self.buf)
        self.rx = bytearray(RECV_CHUNK)  # what one readinto() brought
        self.rxmv = memoryview(self.rx)
        self.n = 0  # bytes of the current line in buf
        self.skip = False  # dropping an oversize line up to its newline
        self.t_state = 0  # when the state was entered
        self.t_line = 0  # when the last line arrived ("no data for" counts from here)
        self.t_alive = 0  # when the server last proved alive: the connect or a line since
        self.t_next = 0  # earliest next attempt
        self.t_rssi = 0
        self.fails = 0  # consecutive failures
        self.lines = 0  # lines received (all time)
        self.connects = 0  # TCP connects (all time)
        self.ever_up = False  # a line has been received since boot
        self.rssi = None  # dBm, None when unknown
        self.scene = -1  # the shown scene, reported as screen:N
        self.sent_scene = -1
        self.survived = None  # the survived: line (App.survive), sent on every connect
        self.error = ""  # short reason of the last failure, for the screen; "" once a step works

    # -- public ----------------------------------------------------------------

    def report_scene(self, n):
        """The shown scene; sent now if linked, else right after the next HELO."""
        self.scene = n
        if self.state == S_UP and n != self.sent_scene:
            self._send_scene()

    def report_survived(self, line):
        """What the board survived (bytes, a whole line): sent now if linked, and again
        after every connect."""
        self.survived = line
        if self.state == S_UP:
            self._send_survived()

    def wifi_up(self):
        try:
            return bool(self.wlan.isconnected())
        except Exception:
            return False

    def retry_in(self, now):
        """ms until the next attempt (0 if due)."""
        d = ticks_diff(self.t_next, now)
        return d if d > 0 else 0

    def since_line(self, now):
        """ms since the last line, or -1 if none has ever arrived."""
        return ticks_diff(now, self.t_line) if self.ever_up else -1

    def screen(self, now, other):
        """What the panel shows instead of ``other`` (what the app would show once the boot
        splash is over): FOUND for FOUND_MS after a search found the PC, SEARCHING in place
        of CONNECTING or SIGNAL LOST while a search runs (not of a scene, or CLOCK) on a
        board without SERVER_HOST (one with it shows how its host fares), else ``other``."""
        if self.found_on:
            if self.found_new:
                self.found_new = False
                self.t_found = now
            if ticks_diff(now, self.t_found) < FOUND_MS:
                return ids.SYS_FOUND
            self.found_on = False
            self._unload()
        f = self.finder
        if f is None or not f.active or self.configured:
            return other
        if other == ids.SYS_CONNECT or other == ids.SYS_LOST:
            return ids.SYS_SEARCH
        return other

    def poll(self, now):
        st = self.state
        if st == S_UP:
            if not self.wifi_up():
                self._fail(now, "WIFI LOST", S_IDLE)
                return
            self._read(now)
            if self.state == S_UP and ticks_diff(now, self.t_alive) > SILENCE_MS:
                self._fail(now, "SILENT", S_WAIT)
        elif st == S_IDLE:
            if ticks_diff(now, self.t_next) >= 0:
                self._join(now)
        elif st == S_JOIN:
            if self.wifi_up():
                self.error = ""
                self._enter(S_WAIT, now)
            elif ticks_diff(now, self.t_state) > JOIN_TIMEOUT_MS:
                try:
                    self.wlan.disconnect()
                except Exception:
                    pass
                self._fail(now, "NO WIFI", S_IDLE)
        elif st == S_WAIT:
            if not self.wifi_up():
                if self.finder is not None:
                    self.finder.stop()
                self._enter(S_IDLE, now)
            else:
                if self.recall:
                    self._recall()
                self._search(now)
                if self.host and ticks_diff(now, self.t_next) >= 0:
                    self._connect(now)
        if ticks_diff(now, self.t_rssi) >= RSSI_EVERY_MS:
            self.t_rssi = now
            self._read_rssi()

    def close(self):
        """Close the TCP connection (the search, if one runs, goes on)."""
        if self.sock is not None:
            try:
                self.sock.close()
            except Exception:
                pass
            self.sock = None
        self.n = 0
        self.skip = False

    # -- internals ---------------------------------------------------------------

    def _search(self, now):
        f = self.finder
        if f is None or not f.active:
            if self.host and self.fails < HOST_FAILS:
                return
            if ticks_diff(now, self.t_search) < 0:
                return
        try:
            d = self.discovery()
        except MemoryError:  # compiling it needs room: try again later, not every tick
            self._forget()
            self.error = "NO MEMORY"
            self.t_search = ticks_add(now, BACKOFF_MAX_MS)
            return
        d.step(self, now)

    def _recall(self):
        """The memo, read once the app is built (compiling discovery.py during the build,
        among every other import, can find the heap too fragmented)."""
        self.recall = False
        try:
            self.saved = self.discovery().load_memo(self.memo)
        except MemoryError:
            self._forget()
            return
        if self.saved is not None:
            self.host, self.port, self.server_name = self.saved

    def _linked(self):
        """The first line on a connection: remember a server a search found, stop the
        search, let go of its code."""
        self.fresh = False
        if self.unsaved or self.finder is not None:
            self.discovery().linked(self)
        self._unload()

    def discovery(self):
        """discovery.py, imported when first needed (an import statement in a function
        allocates each time it runs: the module is kept here instead)."""
        d = self.disc
        if d is None:
            from nocturne_fw import discovery

            d = self.disc = discovery
        return d

    def _unload(self):
        """Drop discovery.py from the heap, unless a search or FOUND still needs it."""
        if self.finder is None and not self.found_on:
            self._forget()

    def _forget(self):
        self.disc = None
        mods = sys.modules
        if "nocturne_fw.discovery" not in mods:
            return
        del mods["nocturne_fw.discovery"]
        pkg = mods.get("nocturne_fw")
        if pkg is not None and "discovery" in pkg.__dict__:
            del pkg.__dict__["discovery"]

    def _enter(self, st, now):
        self.state = st
        self.t_state = now

    def _fail(self, now, why, st):
        self.close()
        self.error = why
        self.fails += 1
        d = BACKOFF_MIN_MS << (self.fails - 1 if self.fails < 6 else 5)
        if d > BACKOFF_MAX_MS:
            d = BACKOFF_MAX_MS
        self.t_next = ticks_add(now, d)
        self._enter(st, now)

    def _read_rssi(self):
        if not self.wifi_up():
            self.rssi = None
            return
        try:
            self.rssi = self.wlan.status("rssi")
        except Exception:
            self.rssi = None

    def _join(self, now):
        try:
            self.wlan.active(True)
            if not self.wlan.isconnected():
                self.wlan.connect(self.ssid, self.password)
        except Exception:
            self._fail(now, "WIFI ERROR", S_IDLE)
            return
        self._enter(S_JOIN, now)

    def _connect(self, now):
        s = None
        try:
            if self.addr is None:
                self.addr = self.sock_mod.getaddrinfo(self.host, self.port)[0][-1]
            s = self.sock_mod.socket()
            s.settimeout(CONNECT_TIMEOUT_S)
            s.connect(self.addr)
            s.setblocking(False)
            self.sock = s
            self._send(self.helo)
            self.sent_scene = -1
            if self.scene >= 0:
                self._send_scene()
            if self.survived is not None:
                self._send_survived()
        except Exception:
            if s is not None and self.sock is None:
                try:
                    s.close()
                except Exception:
                    pass
            self._fail(now, "NO SERVER", S_WAIT)
            return
        self.connects += 1
        self.error = ""
        self.fresh = True
        if self.finder is not None:
            self.finder.stop()
        self.t_alive = now  # the silence clock starts at connect; t_line stays the last line
        self._enter(S_UP, now)

    def _send(self, data):
        # Non-blocking, few bytes: the socket's send buffer always has room.
        sock = self.sock
        if sock is None:
            raise OSError(9)  # EBADF: the link closed under the caller
        sock.send(data)

    def _send_scene(self):
        try:
            self._send(("screen:%d\n" % self.scene).encode())
            self.sent_scene = self.scene
        except Exception:
            pass  # a dead socket shows up on the next read

    def _send_survived(self):
        try:
            self._send(self.survived)
        except Exception:
            pass  # a dead socket shows up on the next read

    def _read(self, now):
        rx = self.rx
        for _ in range(RECV_ROUNDS):
            sock = self.sock
            if sock is None:
                return
            try:
                # MicroPython streams: the byte count, 0 = peer closed, None = nothing yet
                k = sock.readinto(rx)
            except OSError as e:
                if e.args and e.args[0] in _EAGAIN:  # ports that raise instead of None
                    return
                self._fail(now, "LINK ERROR", S_WAIT)
                return
            if k is None:
                return
            if not k:
                why = "CLOSED"
                if self.fresh:  # closed before any line: the server refused this board
                    why = "NOT PAIRED" if self.pairing and not self.paired else "REFUSED"
                self._fail(now, why, S_WAIT)
                return
            self._take(k, now)
            if self.state != S_UP:
                return
            if k < RECV_CHUNK:
                return

    def _take(self, end, now):
        """Split the first ``end`` bytes of ``rx`` into lines, with the MAX_LINE cap.

        The newline is found by a byte loop: MicroPython's bytearray and memoryview
        have no ``find``, and a bytes copy of the chunk would cost RECV_CHUNK bytes."""
        rx = self.rx
        start = 0
        while start < end:
            nl = start
            while nl < end and rx[nl] != 10:
                nl += 1
            if not self.skip:
                k = nl - start
                if self.n + k > MAX_LINE:
                    self.skip = True  # too long: drop it, up to its newline
                    self.n = 0
                elif k:
                    self.buf[self.n : self.n + k] = self.rxmv[start:nl]
                    self.n += k
            if nl == end:
                return
            start = nl + 1
            if self.skip:
                self.skip = False
                self.t_alive = now  # a line did arrive (dropped): the server is alive
                continue
            n = self.n
            self.n = 0
            if n and self.buf[n - 1] == 13:  # CR LF
                n -= 1
            self.t_alive = now
            if n:
                self.t_line = now
                if self.fresh:
                    self._linked()
                self.error = ""
                self.lines += 1
                self.fails = 0
                self.ever_up = True
                self.on_line(self.mv[:n])  # valid for the call: json reads it in place
