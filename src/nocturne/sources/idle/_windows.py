"""Windows: seconds since the user's last input, from ``GetLastInputInfo`` (user32).

``LASTINPUTINFO.dwTime`` is the tick count (``GetTickCount``, milliseconds since boot,
wrapping every 49.7 days) of the last keyboard or mouse input in this session; the idle time
is the difference, taken modulo 2**32 so a wrap between the two does no harm. Both calls
are cheap system calls, made on the event loop. ``ctypes.windll`` is imported only when the
source is first read, so the module imports everywhere (tests pass a fake user32/kernel32).
"""

from __future__ import annotations

import ctypes
from typing import Any

from .. import SourceUnavailable

TICK_WRAP = 2**32


class LASTINPUTINFO(ctypes.Structure):
    # UINT and DWORD are 32 bits on Windows (wintypes.DWORD is a C long: 64 bits elsewhere).
    _fields_ = [("cbSize", ctypes.c_uint32), ("dwTime", ctypes.c_uint32)]


class WindowsIdle:
    """``read()`` → seconds since the last input in this session."""

    name = "User idle time (GetLastInputInfo)"
    interval = 1.0

    def __init__(self, user32: Any = None, kernel32: Any = None) -> None:
        self._user32 = user32
        self._kernel32 = kernel32

    def _dlls(self) -> tuple[Any, Any]:
        if self._user32 is None or self._kernel32 is None:
            windll = ctypes.windll  # type: ignore[attr-defined]  # Windows only
            self._user32 = self._user32 or windll.user32
            self._kernel32 = self._kernel32 or windll.kernel32
            self._kernel32.GetTickCount.restype = ctypes.c_uint32
        return self._user32, self._kernel32

    async def read(self) -> float | None:
        user32, kernel32 = self._dlls()
        info = LASTINPUTINFO(cbSize=ctypes.sizeof(LASTINPUTINFO))
        if not user32.GetLastInputInfo(ctypes.pointer(info)):
            raise SourceUnavailable("GetLastInputInfo failed (no interactive session?)")
        now = int(kernel32.GetTickCount()) % TICK_WRAP
        return ((now - int(info.dwTime)) % TICK_WRAP) / 1000.0

    async def close(self) -> None:
        return None
