"""Windows: keep the discovery socket alive after an answer bounces.

On Windows a UDP socket reports an ICMP "port unreachable" (an answer sent to a board that
has already closed its socket, or to a forged sender) as WSAECONNRESET on its next receive,
and asyncio's proactor loop on the Pythons we ship stops reading that socket for good
(python/cpython#91227, #127057): discovery would go deaf until a restart. Turning off
``SIO_UDP_CONNRESET`` makes Windows drop those reports. Python's ``socket.ioctl`` does not
take that code, so it goes to ``WSAIoctl`` through ctypes. Elsewhere this does nothing.
"""

from __future__ import annotations

import ctypes
import logging
import socket
import sys
from typing import Any

log = logging.getLogger(__name__)

SIO_UDP_CONNRESET = 0x9800000C  # _WSAIOW(IOC_VENDOR, 12)


def _ws2_32() -> Any:
    return ctypes.WinDLL("ws2_32")  # type: ignore[attr-defined]


def ignore_port_unreachable(
    sock: socket.socket, *, platform: str = sys.platform, ws2: Any = None
) -> bool:
    """Turn off SIO_UDP_CONNRESET on ``sock`` (Windows); True when done. Never raises."""
    if platform != "win32":
        return False
    try:
        ws2 = ws2 if ws2 is not None else _ws2_32()
        off = ctypes.c_int(0)  # BOOL FALSE
        returned = ctypes.c_ulong(0)
        rc = ws2.WSAIoctl(
            ctypes.c_size_t(sock.fileno()),  # SOCKET is UINT_PTR
            ctypes.c_ulong(SIO_UDP_CONNRESET),
            ctypes.byref(off),
            ctypes.sizeof(off),
            None,
            0,
            ctypes.byref(returned),
            None,
            None,
        )
    except (OSError, AttributeError, ValueError) as exc:
        log.debug("SIO_UDP_CONNRESET not set: %s", exc)
        return False
    if rc != 0:
        log.debug("SIO_UDP_CONNRESET not set: WSAIoctl returned %s", rc)
        return False
    return True
