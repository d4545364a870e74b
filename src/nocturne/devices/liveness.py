"""What the kernel can tell about a device's TCP connection, and the options that make it
give up on a peer that has gone (power or WiFi lost) instead of retrying for minutes.

- ``TCP_USER_TIMEOUT`` (Linux): sent data unacknowledged for this long fails the socket.
- Keepalive: an idle connection (nothing to send) is probed, so a vanished peer is noticed
  even when there is nothing to send.
- :func:`bytes_in_flight`: bytes the kernel still holds for the peer (not yet sent, or sent
  and not acknowledged). When that stops shrinking, the peer has stopped reading.
"""

from __future__ import annotations

import contextlib
import socket
import struct
import sys
from typing import Any, Protocol

try:
    import fcntl
    import termios
except ImportError:  # Windows
    fcntl = None  # type: ignore[assignment]
    termios = None  # type: ignore[assignment]

SEND_BUFFER = 16 * 1024  # SO_SNDBUF: what a stalled device can hold of ours in the kernel
USER_TIMEOUT = 10.0  # seconds sent data may stay unacknowledged
KEEPALIVE_IDLE = 4  # seconds of silence before the first probe
KEEPALIVE_INTERVAL = 2  # seconds between probes
KEEPALIVE_PROBES = 3  # unanswered probes before the connection fails

_MACOS_SO_NWRITE = 0x1024  # <sys/socket.h>: bytes in the send buffer, unsent or unacknowledged
_WINDOWS_TCP_MAXRT = 5  # <ws2ipdef.h>: seconds of retransmission before the connection fails


class _HasFileno(Protocol):
    def fileno(self) -> int: ...

    def setsockopt(self, level: int, option: int, value: int, /) -> None: ...

    def getsockopt(self, level: int, option: int, buflen: int = ..., /) -> Any: ...


def tune_device_socket(sock: _HasFileno) -> None:
    """Small send buffer, no Nagle delay, and the options above, as far as the OS has them."""
    options = [
        (socket.IPPROTO_TCP, socket.TCP_NODELAY, 1),
        (socket.SOL_SOCKET, socket.SO_SNDBUF, SEND_BUFFER),
        (socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1),
    ]
    idle = getattr(socket, "TCP_KEEPIDLE", None) or getattr(socket, "TCP_KEEPALIVE", None)
    for option, value in (
        (idle, KEEPALIVE_IDLE),
        (getattr(socket, "TCP_KEEPINTVL", None), KEEPALIVE_INTERVAL),
        (getattr(socket, "TCP_KEEPCNT", None), KEEPALIVE_PROBES),
    ):
        if option is not None:
            options.append((socket.IPPROTO_TCP, option, value))
    user_timeout = getattr(socket, "TCP_USER_TIMEOUT", None)
    if user_timeout is not None:
        options.append((socket.IPPROTO_TCP, user_timeout, int(USER_TIMEOUT * 1000)))
    elif sys.platform == "win32":
        options.append((socket.IPPROTO_TCP, _WINDOWS_TCP_MAXRT, int(USER_TIMEOUT)))
    for level, option, value in options:
        with contextlib.suppress(OSError):
            sock.setsockopt(level, option, value)


def bytes_in_flight(sock: _HasFileno) -> int | None:
    """Bytes the kernel holds for the peer, unsent or unacknowledged; None when this OS
    cannot tell (then only the bytes still in our own buffers show a stalled peer)."""
    try:
        if fcntl is not None and sys.platform.startswith("linux"):
            out = fcntl.ioctl(sock.fileno(), termios.TIOCOUTQ, b"\0\0\0\0")  # = SIOCOUTQ
            return struct.unpack("i", out)[0]
        if sys.platform == "darwin":
            return sock.getsockopt(socket.SOL_SOCKET, _MACOS_SO_NWRITE)
    except (OSError, ValueError):
        return None
    return None


_TCP_INFO_SND_WND = 228  # struct tcp_info: tcpi_snd_wnd (u32) since Linux 5.4


def peer_window(sock: _HasFileno) -> int | None:
    """The receive window the peer last advertised, in bytes; None when the OS cannot tell.
    It shrinks by every byte the peer receives but does not read, and grows when it reads."""
    tcp_info = getattr(socket, "TCP_INFO", None)
    if tcp_info is None or not sys.platform.startswith("linux"):
        return None
    try:
        info = sock.getsockopt(socket.IPPROTO_TCP, tcp_info, _TCP_INFO_SND_WND + 4)  # type: ignore[call-arg]
    except OSError:
        return None
    if not isinstance(info, bytes) or len(info) < _TCP_INFO_SND_WND + 4:
        return None  # an older kernel's shorter struct
    return struct.unpack_from("I", info, _TCP_INFO_SND_WND)[0]
