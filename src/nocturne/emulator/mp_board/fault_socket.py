"""MicroPython side: the board's ``socket`` module, real TCP sockets of the unix port with
the faults the emulator injects (the counterpart of lwip_socket.py on CPython).

Runs on MicroPython only. A read with no fault pending goes straight to the real
socket's ``readinto``: nothing is allocated on the way.

UDP (the search for the PC) only when the board's subnet is known (``lan``, as the CLI
passes it): kept to that subnet as lwip_socket.py keeps it, so nothing the board sends
over UDP leaves it; without ``lan`` a UDP socket fails with EAFNOSUPPORT.
"""

import io
import select
import socket as _socket

from faults import Faults  # noqa: F401 (board_main makes one; CPython's stack shares it)

_SOL_SOCKET = 1  # Linux values (the unix port lacks the names of the last two)
_SO_RCVBUF = 8
_SO_LINGER = 13
_LWIP_RCV_WINDOW = 5760  # the ESP32 lwIP receive window, as lwip_socket.py
_RESET_LINGER = b"\x01\x00\x00\x00\x00\x00\x00\x00"  # linger on, 0 s: close sends RST
_ECONNREFUSED = 111
_EBADF = 9
_EAFNOSUPPORT = 97
_ENETUNREACH = 101
_STREAM_POLL = 3  # MP_STREAM_POLL: what select.poll asks a Python stream ...
_STREAM_GET_FILENO = 10  # ... after this, on the unix port: then it polls the fd itself


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

    def write(self, data, off=0, n=-1):
        """The stream ``write``: ``n`` bytes of ``data`` from ``off``; None when full."""
        if self.closed:
            raise OSError(_EBADF)
        return self._s.write(data, off, n)

    def readinto(self, buf):
        if self.closed:
            raise OSError(_EBADF)
        f = self._f
        if f.n_inbox:
            return f.take(buf, len(buf))
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


def _quad(s):
    try:
        q = [int(x) for x in s.split(".")]
    except ValueError:
        return None
    return q if len(q) == 4 else None


class FaultUdp(io.IOBase):
    """A real UDP socket of the unix port behaving like lwIP's: addresses as (ip, port)
    tuples, the limited broadcast sent to the subnet's broadcast address (the board's only
    interface), any address beyond the subnet refused with ENETUNREACH. A stream that
    select.poll can watch (the firmware's Finder polls it with ipoll)."""

    def __init__(self, lan):
        a = _quad(lan[0])
        m = _quad(lan[1])
        self._mask = m
        self._net = [a[i] & m[i] for i in range(4)]
        b = [(a[i] & m[i]) | (255 ^ m[i]) for i in range(4)]
        self._bcast = f"{b[0]}.{b[1]}.{b[2]}.{b[3]}"
        self._s = _socket.socket(_socket.AF_INET, _socket.SOCK_DGRAM)
        self._p = select.poll()
        self._p.register(self._s, select.POLLIN)

    def ioctl(self, req, arg):
        if req == _STREAM_GET_FILENO:
            return self._s.fileno()
        if req == _STREAM_POLL:
            for _ in self._p.ipoll(0):
                return arg & select.POLLIN
        return 0

    def setsockopt(self, level, opt, value):
        self._s.setsockopt(level, opt, value)

    def bind(self, addr):
        self._s.bind(_socket.getaddrinfo(addr[0], addr[1])[0][-1])

    def setblocking(self, flag):
        self._s.setblocking(flag)

    def sendto(self, data, addr):
        host = self._bcast if addr[0] == "255.255.255.255" else addr[0]
        q = _quad(host)
        if q is None or [q[i] & self._mask[i] for i in range(4)] != self._net:
            raise OSError(_ENETUNREACH)
        return self._s.sendto(data, _socket.getaddrinfo(host, addr[1])[0][-1])

    def recvfrom(self, n):
        data, raw = self._s.recvfrom(n)  # the unix port: a raw sockaddr_in
        ip = f"{raw[4]}.{raw[5]}.{raw[6]}.{raw[7]}"
        return data, (ip, (raw[2] << 8) | raw[3])

    def close(self):
        if self._p is not None:
            self._p = None
            self._s.close()


class SocketModule:
    """What ``import socket`` gives the firmware: IPv4 only, like lwIP."""

    AF_INET = _socket.AF_INET
    SOCK_STREAM = _socket.SOCK_STREAM
    SOCK_DGRAM = _socket.SOCK_DGRAM
    SOL_SOCKET = _SOL_SOCKET
    SO_BROADCAST = 6

    def __init__(self, faults, lan=None):
        self.faults = faults
        self.lan = lan  # the board's (address, netmask); None: no UDP

    def getaddrinfo(self, host, port, *args):
        return _socket.getaddrinfo(host, port, _socket.AF_INET, _socket.SOCK_STREAM)

    def socket(self, af=_socket.AF_INET, kind=_socket.SOCK_STREAM, *args):
        if kind == _socket.SOCK_DGRAM:
            if self.lan is None:  # the subnet unknown: no datagram may go anywhere
                raise OSError(_EAFNOSUPPORT)
            return FaultUdp(self.lan)
        return FaultSocket(self.faults)
