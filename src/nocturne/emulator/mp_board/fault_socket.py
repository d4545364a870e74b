"""MicroPython side: the board's ``socket`` module, real TCP sockets of the unix port with
the faults the emulator injects (the counterpart of lwip_socket.py on CPython).

Runs on MicroPython only. A read with no fault pending goes straight to the real
socket's ``readinto``: nothing is allocated on the way.
"""

import socket as _socket

_SOL_SOCKET = 1  # Linux values (the unix port lacks the names of the last two)
_SO_RCVBUF = 8
_SO_LINGER = 13
_LWIP_RCV_WINDOW = 5760  # the ESP32 lwIP receive window, as lwip_socket.py
_RESET_LINGER = b"\x01\x00\x00\x00\x00\x00\x00\x00"  # linger on, 0 s: close sends RST
_ECONNREFUSED = 111
_EBADF = 9
_EAFNOSUPPORT = 97


class Faults:
    def __init__(self):
        self.stalled = False  # no data is ever readable: the board stopped reading
        self.refuse = False  # connect() fails as if no server listened
        self.inbox = None  # bytes to deliver as if the server sent them (made when needed)
        self.n_inbox = 0  # bytes waiting in inbox
        self.open = []  # sockets not closed yet

    def inject(self, data, n):
        """Queue the first ``n`` bytes of ``data`` (a fault: this may allocate)."""
        old = self.inbox[: self.n_inbox] if self.inbox is not None else b""
        self.inbox = bytearray(old) + data[:n]
        self.n_inbox += n

    def reset_all(self):
        for s in list(self.open):
            s.reset()


class FaultSocket:
    def __init__(self, faults):
        s = _socket.socket(_socket.AF_INET, _socket.SOCK_STREAM)
        try:  # noqa: SIM105  (MicroPython has no contextlib)
            s.setsockopt(_SOL_SOCKET, _SO_RCVBUF, _LWIP_RCV_WINDOW)
        except OSError:
            pass
        self._s = s
        self._f = faults
        self.closed = False
        faults.open.append(self)

    def settimeout(self, t):
        self._s.settimeout(t)

    def setblocking(self, flag):
        self._s.setblocking(flag)

    def connect(self, addr):
        if self.closed:
            raise OSError(_EBADF)
        if self._f.refuse:
            raise OSError(_ECONNREFUSED)
        self._s.connect(addr)

    def send(self, data):
        if self.closed:
            raise OSError(_EBADF)
        return self._s.send(data)

    def write(self, data):
        return self.send(data)

    def readinto(self, buf):
        if self.closed:
            raise OSError(_EBADF)
        f = self._f
        if f.n_inbox:
            n = f.n_inbox if f.n_inbox < len(buf) else len(buf)
            buf[:n] = f.inbox[:n]
            f.inbox[: f.n_inbox - n] = f.inbox[n : f.n_inbox]
            f.n_inbox -= n
            return n
        if f.stalled:
            return None
        return self._s.readinto(buf)

    def reset(self):
        """Abort the connection: RST to the server, EBADF to the firmware's next call."""
        try:  # noqa: SIM105
            self._s.setsockopt(_SOL_SOCKET, _SO_LINGER, _RESET_LINGER)
        except OSError:
            pass
        self.close()

    def close(self):
        if not self.closed:
            self.closed = True
            self._s.close()
            if self in self._f.open:
                self._f.open.remove(self)


class SocketModule:
    """What ``import socket`` gives the firmware: IPv4 only, like lwIP."""

    AF_INET = _socket.AF_INET
    SOCK_STREAM = _socket.SOCK_STREAM
    SOCK_DGRAM = _socket.SOCK_DGRAM
    SOL_SOCKET = _SOL_SOCKET
    SO_BROADCAST = 6

    def __init__(self, faults):
        self.faults = faults

    def getaddrinfo(self, host, port, *args):
        return _socket.getaddrinfo(host, port, _socket.AF_INET, _socket.SOCK_STREAM)

    def socket(self, af=_socket.AF_INET, kind=_socket.SOCK_STREAM, *args):
        if kind == _socket.SOCK_DGRAM:
            # no UDP here: a real socket's broadcast would leave this machine (the CPython
            # runtime keeps discovery on the emulated subnet); the firmware retries
            raise OSError(_EAFNOSUPPORT)
        return FaultSocket(self.faults)
