"""A board's network stack: real TCP and UDP sockets that behave like MicroPython's on the
ESP32 (lwIP), with the faults a test or the CLI injects.

The board has one interface, its WLAN, on one subnet (``LwipSocketModule.lan``: address and
netmask, what ``network.WLAN.ifconfig()`` reports): loopback by default, so that nothing a
test's board sends leaves this machine; :func:`board_lan` gives the CLI's emulated board
this PC's LAN when its server is not on loopback. A datagram to the limited broadcast
255.255.255.255 goes to that subnet's broadcast address, as it would from the board's only
interface (from a PC it would leave by the default route's).
"""

from __future__ import annotations

import contextlib
import errno
import ipaddress
import socket as _socket
import struct
import sys
from typing import Any

from .mp_board.faults import Faults

LWIP_RCV_WINDOW = 5760  # bytes: the ESP32 lwIP receive window (about 5.7 KB, see server.py)
_RESET_LINGER = b"\x01\x00\x00\x00\x00\x00\x00\x00"  # SO_LINGER on, 0 s: close sends RST
LOOPBACK_LAN = ("127.0.0.1", "255.0.0.0")
LIMITED_BROADCAST = "255.255.255.255"
_SIOCGIFFLAGS, _SIOCGIFADDR, _SIOCGIFNETMASK = 0x8913, 0x8915, 0x891B  # Linux ioctls
_IFF_UP, _IFF_LOOPBACK = 0x1, 0x8
_PROBE = ("192.0.2.1", 9)  # TEST-NET-1: a UDP connect() to it only picks the interface


class LwipSocket:
    """A real TCP socket behaving like MicroPython's on the ESP32 (lwIP)."""

    def __init__(self, faults: Faults, registry: list[LwipSocket]) -> None:
        self._s = _socket.socket(_socket.AF_INET, _socket.SOCK_STREAM)
        # lwIP's TCP receive window on the ESP32 port is about 5.7 KB: a board that stops
        # reading pushes back on the server as soon as a real one would.
        self._s.setsockopt(_socket.SOL_SOCKET, _socket.SO_RCVBUF, LWIP_RCV_WINDOW)
        self._faults = faults
        self._registry = registry
        registry.append(self)
        self.closed = False

    def settimeout(self, t: float | None) -> None:
        self._s.settimeout(t)

    def setblocking(self, flag: bool) -> None:
        self._s.setblocking(flag)

    def connect(self, addr: Any) -> None:
        if self._faults.refuse:
            raise OSError(errno.ECONNREFUSED, "refused (emulated fault)")
        self._s.connect(addr)

    def send(self, data: bytes) -> int:
        return self._s.send(data)

    def write(self, data: bytes | bytearray | memoryview, off: int = 0, n: int = -1) -> int | None:
        """MicroPython's stream ``write``: ``n`` bytes of ``data`` from ``off`` (-1: the
        rest); None when a non-blocking socket is full (its streams turn EAGAIN into None)."""
        return stream_write(self._s, data, off, n)

    def recv(self, n: int) -> bytes:
        """At most ``n`` bytes; b"" at end of stream; OSError EAGAIN when none is there."""
        if self._faults.n_inbox:
            buf = bytearray(min(n, self._faults.n_inbox))
            return bytes(buf[: self._faults.take(buf, len(buf))])
        if self._faults.stalled:
            raise OSError(errno.EAGAIN, "stalled (emulated fault)")
        return self._s.recv(n)

    def readinto(self, buf: bytearray | memoryview, nbytes: int | None = None) -> int | None:
        """MicroPython's stream ``readinto``: fill ``buf`` (at most ``nbytes``) with what has
        arrived and return the count, 0 at end of stream, None when nothing has arrived on
        a non-blocking socket (MicroPython's streams turn EAGAIN into None)."""
        view = memoryview(buf).cast("B")
        want = len(view) if nbytes is None else max(0, min(nbytes, len(view)))
        got = 0
        if self._faults.n_inbox:
            got = self._faults.take(view, want)
        while got < want:
            if self._faults.stalled:
                break
            try:
                n = self._s.recv_into(view[got:want])
            except BlockingIOError:
                break  # nothing more now: what was read so far is the answer
            except TimeoutError:
                if got:
                    break
                raise OSError(errno.ETIMEDOUT, "timed out") from None
            if n == 0:
                return got  # end of stream (0 when nothing came before it)
            got += n
        return got if got or want == 0 else None

    def reset(self) -> None:
        """Abort the connection: RST to the server, EBADF to the firmware's next call."""
        with contextlib.suppress(OSError):
            self._s.setsockopt(_socket.SOL_SOCKET, _socket.SO_LINGER, _RESET_LINGER)
        self.close()

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self._s.close()
            with contextlib.suppress(ValueError):
                self._registry.remove(self)

    def fileno(self) -> int:
        return self._s.fileno()


class LwipUdpSocket:
    """A real UDP socket behaving like MicroPython's on the ESP32: ``recvfrom`` on a
    non-blocking socket with nothing there raises OSError EAGAIN; the limited broadcast goes
    to the board's subnet (see the module's doc)."""

    def __init__(self, module: LwipSocketModule) -> None:
        self._s = _socket.socket(_socket.AF_INET, _socket.SOCK_DGRAM)
        self._module = module
        module.open.append(self)
        self.closed = False
        self.sent: list[tuple[bytes, tuple[str, int]]] = []  # what went where (tests)

    def setsockopt(self, level: int, option: int, value: int | bytes) -> None:
        self._s.setsockopt(level, option, value)

    def bind(self, addr: tuple[str, int]) -> None:
        self._s.bind(addr)

    def settimeout(self, t: float | None) -> None:
        self._s.settimeout(t)

    def setblocking(self, flag: bool) -> None:
        self._s.setblocking(flag)

    def sendto(self, data: bytes, addr: tuple[str, int]) -> int:
        """Send to ``addr`` on the board's subnet (its broadcast for 255.255.255.255); an
        address beyond it fails with ENETUNREACH: nothing an emulated board sends over UDP
        leaves its subnet, whatever its firmware computes."""
        host, port = addr[0], int(addr[1])
        if host == LIMITED_BROADCAST:
            host = self._module.broadcast
        try:
            ip = ipaddress.IPv4Address(host)
        except ValueError:
            raise OSError(errno.EINVAL, f"{host!r} is not an IPv4 address") from None
        if ip not in self._module.network:
            raise OSError(errno.ENETUNREACH, f"{host} is not on the emulated board's subnet")
        self.sent.append((bytes(data), (host, port)))
        return self._s.sendto(data, (host, port))

    def recvfrom(self, n: int) -> tuple[bytes, tuple[str, int]]:
        data, addr = self._s.recvfrom(n)
        return data, (str(addr[0]), int(addr[1]))

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self._s.close()
            with contextlib.suppress(ValueError):
                self._module.open.remove(self)

    def fileno(self) -> int:
        return self._s.fileno()


class LwipSocketModule:
    """What ``import socket`` gives the firmware on the board: IPv4 only, like lwIP."""

    AF_INET = _socket.AF_INET
    SOCK_STREAM = _socket.SOCK_STREAM
    SOCK_DGRAM = _socket.SOCK_DGRAM
    SOL_SOCKET = _socket.SOL_SOCKET
    SO_BROADCAST = _socket.SO_BROADCAST

    def __init__(self, faults: Faults, lan: tuple[str, str] = LOOPBACK_LAN) -> None:
        self.faults = faults
        self.lan = lan  # the board's address and netmask
        self.open: list[Any] = faults.open  # sockets not closed yet (leak check, resets)
        self.created = 0

    @property
    def network(self) -> ipaddress.IPv4Network:
        """The board's subnet."""
        return ipaddress.IPv4Network(f"{self.lan[0]}/{self.lan[1]}", strict=False)

    @property
    def broadcast(self) -> str:
        """The broadcast address of the board's subnet."""
        return str(self.network.broadcast_address)

    def getaddrinfo(self, host: str, port: int, *args: Any) -> list[tuple[Any, ...]]:
        return _socket.getaddrinfo(host, port, _socket.AF_INET, _socket.SOCK_STREAM)

    def socket(
        self, af: int = _socket.AF_INET, kind: int = _socket.SOCK_STREAM, *args: Any
    ) -> LwipSocket | LwipUdpSocket:
        self.created += 1
        if kind == _socket.SOCK_DGRAM:
            return LwipUdpSocket(self)
        return LwipSocket(self.faults, self.open)


def _ioctl_address(sock: _socket.socket, name: str, request: int) -> str:
    import fcntl

    packed = struct.pack("256s", name.encode()[:15])
    return _socket.inet_ntoa(fcntl.ioctl(sock.fileno(), request, packed)[20:24])


def lan_address() -> tuple[str, str] | None:
    """This network namespace's IPv4 LAN address and netmask: the first interface that is up
    and not loopback (Linux), else the default route's with a /24 netmask; None if none."""
    if sys.platform.startswith("linux"):
        import fcntl

        with _socket.socket(_socket.AF_INET, _socket.SOCK_DGRAM) as s:
            for _, name in _socket.if_nameindex():
                try:
                    req = struct.pack("16sh", name.encode()[:15], 0)
                    flags = struct.unpack("16sh", fcntl.ioctl(s.fileno(), _SIOCGIFFLAGS, req))[1]
                    if flags & _IFF_LOOPBACK or not flags & _IFF_UP:
                        continue
                    return (
                        _ioctl_address(s, name, _SIOCGIFADDR),
                        _ioctl_address(s, name, _SIOCGIFNETMASK),
                    )
                except OSError:  # no IPv4 address on it
                    continue
        return None
    with _socket.socket(_socket.AF_INET, _socket.SOCK_DGRAM) as s:
        try:
            s.connect(_PROBE)  # sends nothing: only picks the outgoing interface
            address = str(s.getsockname()[0])
        except OSError:
            return None
    return None if address.startswith(("127.", "0.")) else (address, "255.255.255.0")


def board_lan(host: str) -> tuple[str, str]:
    """The subnet an emulated board is on: loopback when its server ``host`` is a loopback
    address or name (nothing it broadcasts leaves this machine), else this PC's LAN."""
    if host == "localhost":
        return LOOPBACK_LAN
    try:
        if ipaddress.ip_address(host).is_loopback:
            return LOOPBACK_LAN
    except ValueError:
        pass  # "" (search) or a name: the LAN
    return lan_address() or LOOPBACK_LAN


def stream_write(
    sock: _socket.socket, data: bytes | bytearray | memoryview, off: int = 0, n: int = -1
) -> int | None:
    """MicroPython's stream ``write`` on a CPython socket: ``n`` bytes of ``data`` from
    ``off`` (-1: the rest), None when a non-blocking socket is full."""
    view = memoryview(data)[off:] if n < 0 else memoryview(data)[off : off + n]
    try:
        return sock.send(view)
    except BlockingIOError:
        return None
