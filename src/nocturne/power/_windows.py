"""Windows: WM_POWERBROADCAST and WM_ENDSESSION, from a hidden window (ctypes, user32).

Windows sends these to top-level windows only: a message-only window (parent HWND_MESSAGE)
gets no broadcasts, so this is an ordinary top-level window that is never shown. It lives on
a thread of its own, which pumps its messages (the server's thread runs asyncio, which pumps
none; the console mode has no tray). What the window procedure does:

- ``PBT_APMSUSPEND`` (0x4): the PC is about to sleep; the boards are told before the window
  procedure returns (Windows allows about 2 s; we hold it at most ANNOUNCE_TIMEOUT).
- ``PBT_APMRESUMEAUTOMATIC`` (0x12), then ``PBT_APMRESUMESUSPEND`` (0x7) when a user is there:
  awake again; reported once per wake.
- ``WM_QUERYENDSESSION``: answered TRUE (we never hold up a shutdown); ``WM_ENDSESSION`` with
  wParam TRUE: the session ends (shutdown, restart or log-off, after which this process ends
  too): the boards are told before it returns.

``ctypes.windll`` is touched only in ``start()``: the module imports on every platform, and
tests pass fakes shaped like user32/kernel32 (tests/host/fakes/win32.py).
"""

from __future__ import annotations

import asyncio
import ctypes
import itertools
import logging
import threading
from concurrent.futures import Future
from ctypes import wintypes
from typing import Any

from . import ANNOUNCE_TIMEOUT, PowerEvents

log = logging.getLogger(__name__)

WM_DESTROY = 0x0002
WM_CLOSE = 0x0010
WM_QUERYENDSESSION = 0x0011
WM_ENDSESSION = 0x0016
WM_POWERBROADCAST = 0x0218
PBT_APMSUSPEND = 0x0004
PBT_APMRESUMESUSPEND = 0x0007
PBT_APMRESUMEAUTOMATIC = 0x0012
RESUMES = (PBT_APMRESUMEAUTOMATIC, PBT_APMRESUMESUSPEND)
CLASS_NAME = "NocturnePowerEvents"  # + a number per watcher: a restart never collides

_WATCHERS = itertools.count(1)
LRESULT = ctypes.c_ssize_t
_FUNCTYPE = getattr(ctypes, "WINFUNCTYPE", ctypes.CFUNCTYPE)  # stdcall on Windows
WNDPROC = _FUNCTYPE(LRESULT, wintypes.HWND, wintypes.UINT, wintypes.WPARAM, wintypes.LPARAM)


class WNDCLASSW(ctypes.Structure):
    _fields_ = [
        ("style", wintypes.UINT),
        ("lpfnWndProc", WNDPROC),
        ("cbClsExtra", ctypes.c_int),
        ("cbWndExtra", ctypes.c_int),
        ("hInstance", wintypes.HINSTANCE),
        ("hIcon", wintypes.HICON),
        ("hCursor", wintypes.HANDLE),
        ("hbrBackground", wintypes.HBRUSH),
        ("lpszMenuName", wintypes.LPCWSTR),
        ("lpszClassName", wintypes.LPCWSTR),
    ]


def _declare(user32: Any, kernel32: Any) -> None:
    """Argument and result types, so handles keep their 64 bits (ctypes' default is int)."""
    w = wintypes
    msg_p = ctypes.POINTER(w.MSG)
    for name, args, result in (
        ("RegisterClassW", [ctypes.POINTER(WNDCLASSW)], w.ATOM),
        ("UnregisterClassW", [w.LPCWSTR, w.HINSTANCE], w.BOOL),
        (
            "CreateWindowExW",
            [w.DWORD, w.LPCWSTR, w.LPCWSTR, w.DWORD]
            + [ctypes.c_int] * 4
            + [w.HWND, w.HMENU, w.HINSTANCE, w.LPVOID],
            w.HWND,
        ),
        ("DestroyWindow", [w.HWND], w.BOOL),
        ("DefWindowProcW", [w.HWND, w.UINT, w.WPARAM, w.LPARAM], LRESULT),
        ("PostMessageW", [w.HWND, w.UINT, w.WPARAM, w.LPARAM], w.BOOL),
        ("PostQuitMessage", [ctypes.c_int], None),
        ("GetMessageW", [msg_p, w.HWND, w.UINT, w.UINT], w.BOOL),
        ("TranslateMessage", [msg_p], w.BOOL),
        ("DispatchMessageW", [msg_p], LRESULT),
    ):
        function = getattr(user32, name)
        function.argtypes, function.restype = args, result
    kernel32.GetModuleHandleW.argtypes = [w.LPCWSTR]
    kernel32.GetModuleHandleW.restype = w.HMODULE


def _wait(done: Future[None], what: str) -> None:
    try:
        done.result(ANNOUNCE_TIMEOUT)
    except Exception as exc:  # a timeout or the server's failure: let Windows go on
        log.warning("The boards were not told of %s in time (%s)", what, exc.__class__.__name__)


class PowerMessages:
    """The window procedure's decisions, apart from ctypes: ``handle`` returns the result
    for a message, or None when DefWindowProc should answer it."""

    def __init__(self, events: PowerEvents) -> None:
        self.events = events
        self._resume_reported = False
        self._ending = False

    def handle(self, msg: int, wparam: int) -> int | None:
        if msg == WM_POWERBROADCAST:
            if wparam == PBT_APMSUSPEND:
                self._resume_reported = False
                _wait(self.events.sleeping(True), "the sleep")
            elif wparam in RESUMES and not self._resume_reported:
                self._resume_reported = True
                self.events.sleeping(False)
            return 1  # TRUE: every power broadcast is acknowledged
        if msg == WM_QUERYENDSESSION:
            return 1  # TRUE: the session may end
        if msg == WM_ENDSESSION:
            if wparam:
                self._ending = True
                _wait(self.events.shutting_down(True), "the shutdown")
            elif self._ending:
                self._ending = False
                self.events.shutting_down(False)
            return 0
        return None


class WindowsPowerWatcher:
    """The hidden window and its message pump on a thread of their own."""

    name = "Windows power broadcasts"

    def __init__(self, user32: Any = None, kernel32: Any = None) -> None:
        self._user32 = user32
        self._kernel32 = kernel32
        self.class_name = f"{CLASS_NAME}{next(_WATCHERS)}"
        self.hwnd: int | None = None
        self.messages: PowerMessages | None = None
        self._thread: threading.Thread | None = None
        self._proc = WNDPROC(self._window_proc)  # kept alive as long as the window
        self._ready = threading.Event()
        self._error: str | None = None

    def _dlls(self) -> tuple[Any, Any]:
        if self._user32 is None or self._kernel32 is None:
            windll = ctypes.windll  # type: ignore[attr-defined]  # Windows only
            user32, kernel32 = windll.user32, windll.kernel32
            _declare(user32, kernel32)
            self._user32, self._kernel32 = user32, kernel32
        return self._user32, self._kernel32

    async def start(self, events: PowerEvents) -> None:
        self.messages = PowerMessages(events)
        self._ready.clear()
        self._thread = threading.Thread(target=self._pump, name="nocturne-power", daemon=True)
        self._thread.start()
        await asyncio.to_thread(self._ready.wait, 5.0)
        if self.hwnd is None:
            raise OSError(f"cannot create the power-events window: {self._error or 'timed out'}")
        log.info("Power events: Windows power broadcasts (sleep, resume, session end)")

    async def stop(self) -> None:
        if self.hwnd is not None:
            user32, _ = self._dlls()
            user32.PostMessageW(self.hwnd, WM_CLOSE, 0, 0)
        if self._thread is not None:
            await asyncio.to_thread(self._thread.join, 5.0)
            self._thread = None

    # --- on the window's thread ---

    def _pump(self) -> None:
        try:
            user32, kernel32 = self._dlls()
            instance = kernel32.GetModuleHandleW(None)
            wc = WNDCLASSW(
                lpfnWndProc=self._proc, hInstance=instance, lpszClassName=self.class_name
            )
            if not user32.RegisterClassW(ctypes.pointer(wc)):
                raise OSError("RegisterClassW failed")
            hwnd = user32.CreateWindowExW(
                0, self.class_name, "NOCTURNE_OS power", 0, 0, 0, 0, 0, None, None, instance, None
            )  # no parent: top-level (broadcasts reach it), never shown (no WS_VISIBLE)
            if not hwnd:
                raise OSError("CreateWindowExW failed")
        except Exception as exc:
            self._error = f"{exc.__class__.__name__}: {exc}"
            self._ready.set()
            return
        self.hwnd = hwnd
        self._ready.set()
        msg = wintypes.MSG()
        while user32.GetMessageW(ctypes.pointer(msg), None, 0, 0) > 0:
            user32.TranslateMessage(ctypes.pointer(msg))
            user32.DispatchMessageW(ctypes.pointer(msg))
        user32.UnregisterClassW(self.class_name, instance)
        self.hwnd = None

    def _window_proc(self, hwnd: int, msg: int, wparam: int, lparam: int) -> int:
        user32, _ = self._dlls()
        try:
            if msg == WM_CLOSE:
                user32.DestroyWindow(hwnd)
                return 0
            if msg == WM_DESTROY:
                user32.PostQuitMessage(0)
                return 0
            result = self.messages.handle(msg, wparam) if self.messages is not None else None
        except Exception:  # an exception must never cross back into user32
            log.exception("The power-events window failed on message 0x%04x", msg)
            result = None
        if result is not None:
            return result
        return int(user32.DefWindowProcW(hwnd, msg, wparam, lparam) or 0)
