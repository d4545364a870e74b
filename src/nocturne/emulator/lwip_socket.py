"""A board's network stack: real TCP sockets that behave like MicroPython's on the ESP32
(lwIP), with the faults a test or the CLI injects."""

from __future__ import annotations

import contextlib
import errno
import socket as _socket
from typing import Any

LWIP_RCV_WINDOW = 5760  # bytes: the ESP32 lwIP receive window (about 5.7 KB, see server.py)
_RESET_LINGER = b"\x01\x00\x00\x00\x00\x00\x00\x00"  # SO_LINGER on, 0 s: close sends RST


class Faults:
    """Faults one device's network stack injects (toggled by tests, keys or the CLI)."""

    def __init__(self) -> None:
        self.stalled = False  # no data is ever readable: the board stopped reading
        self.inbox = bytearray()  # bytes delivered before the socket's own, as from the server
        self.refuse = False  # connect() fails as if no server listened


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

    def write(self, data: bytes) -> int:
        return self._s.send(data)

    def _from_inbox(self, n: int) -> bytes:
        inbox = self._faults.inbox
        data = bytes(inbox[:n])
        del inbox[:n]
        return data

    def recv(self, n: int) -> bytes:
        """At most ``n`` bytes; b"" at end of stream; OSError EAGAIN when none is there."""
        if self._faults.inbox:
            return self._from_inbox(n)
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
        if self._faults.inbox:
            data = self._from_inbox(want)
            view[: len(data)] = data
            got = len(data)
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


class LwipSocketModule:
    """What ``import socket`` gives the firmware on the board: IPv4 only, like lwIP."""

    AF_INET = _socket.AF_INET
    SOCK_STREAM = _socket.SOCK_STREAM

    def __init__(self, faults: Faults) -> None:
        self.faults = faults
        self.open: list[LwipSocket] = []  # sockets not closed yet (leak check)
        self.created = 0

    def getaddrinfo(self, host: str, port: int, *args: Any) -> list[tuple[Any, ...]]:
        return _socket.getaddrinfo(host, port, _socket.AF_INET, _socket.SOCK_STREAM)

    def socket(self, *args: Any) -> LwipSocket:
        self.created += 1
        return LwipSocket(self.faults, self.open)
