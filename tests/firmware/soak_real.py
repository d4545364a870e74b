"""The soak's server on real loopback sockets (soak.py, on the unix port): the board's
Link talks to it through MicroPython's own ``socket``."""


class RealLan:
    """The server's end on real loopback sockets, in the board's own process (the unix
    port): a listener on ``port`` that a kill closes (connects refused) and a start opens
    again; frozen, it neither accepts nor sends (the kernel still completes a handshake)."""

    def __init__(self, port):
        import socket

        self.socket_mod = socket
        self.addr = socket.getaddrinfo("127.0.0.1", port)[0][-1]
        self.srv = None
        self.peer = None
        self.up = False
        self.frozen = False
        self.connects = 0
        self.sink = bytearray(256)
        self.start()

    def start(self):
        sm = self.socket_mod
        s = sm.socket()
        s.setsockopt(sm.SOL_SOCKET, sm.SO_REUSEADDR, 1)
        s.bind(self.addr)
        s.listen(4)
        s.setblocking(False)
        self.srv = s
        self.up = True

    def _drop(self):
        if self.peer is not None:
            self.peer.close()
            self.peer = None

    def kill(self):
        self._drop()
        if self.srv is not None:
            self.srv.close()
            self.srv = None
        self.up = False

    def poll(self):
        if self.srv is None or self.frozen:
            return
        while True:  # the newest connection is the board's
            try:
                c = self.srv.accept()[0]
            except OSError:
                break
            self._drop()
            c.setblocking(False)
            self.peer = c
            self.connects += 1
        if self.peer is not None:
            try:  # what the board says (HELO, screen:N, survived:): read and let go
                n = self.peer.readinto(self.sink)
            except OSError:
                n = None
            if n == 0:
                self._drop()

    def push(self, data):
        if self.peer is None or self.frozen:
            return False
        try:
            self.peer.send(data)
        except OSError:
            self._drop()
            return False
        return True
