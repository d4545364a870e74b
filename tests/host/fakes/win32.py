"""user32/kernel32 stand-ins shaped like the Win32 calls the power window and the idle
source make (through ctypes, with the same structures and pointers).

What it keeps of Windows' behaviour: a window class holds its WNDPROC; ``CreateWindowExW``
with ``hWndParent`` HWND_MESSAGE (-3) makes a message-only window, which broadcasts do not
reach; ``broadcast()`` is the OS sending a message to every top-level window (as
WM_POWERBROADCAST and WM_ENDSESSION are sent): the message is delivered on the window's own
thread, inside its ``GetMessageW``, and the sender waits for the window procedure's result.
Posted messages (``PostMessageW``, ``PostQuitMessage``) go through the queue of the window's
thread (one per thread, as in Windows) and ``DispatchMessageW``.
"""

from __future__ import annotations

import itertools
import queue
import threading
from dataclasses import dataclass, field
from typing import Any

HWND_MESSAGE = -3
WM_QUIT = 0x0012
WM_DESTROY = 0x0002


@dataclass
class _Sent:
    hwnd: int
    msg: int
    wparam: int
    lparam: int
    done: threading.Event = field(default_factory=threading.Event)
    result: int = 0


class FakeUser32:
    def __init__(self) -> None:
        self.classes: dict[str, Any] = {}  # class name -> WNDPROC
        self.windows: dict[int, dict[str, Any]] = {}  # hwnd -> {"proc", "parent", "thread"}
        self._queues: dict[int, queue.Queue[Any]] = {}  # one message queue per thread
        self._hwnds = itertools.count(0x10010)
        self.last_input_tick = 0  # LASTINPUTINFO.dwTime to report
        self.last_input_ok = True

    # --- classes and windows ---

    def RegisterClassW(self, wndclass: Any) -> int:
        wc = wndclass.contents
        if not wc.lpszClassName or wc.lpszClassName in self.classes or not wc.lpfnWndProc:
            return 0
        self.classes[wc.lpszClassName] = wc.lpfnWndProc
        return 0xC000 + len(self.classes)

    def UnregisterClassW(self, name: str, instance: Any) -> int:
        return 1 if self.classes.pop(name, None) is not None else 0

    def CreateWindowExW(
        self, ex_style, class_name, title, style, x, y, w, h, parent, menu, instance, param
    ) -> int:
        proc = self.classes.get(class_name)
        if proc is None:
            return 0
        hwnd = next(self._hwnds)
        self.windows[hwnd] = {
            "proc": proc,
            "parent": parent,
            "style": style,
            "thread": threading.get_ident(),
        }
        return hwnd

    def DestroyWindow(self, hwnd: int) -> int:
        window = self.windows.get(hwnd)
        if window is None:
            return 0
        window["proc"](hwnd, WM_DESTROY, 0, 0)
        del self.windows[hwnd]
        return 1

    def DefWindowProcW(self, hwnd: int, msg: int, wparam: int, lparam: int) -> int:
        return 0

    # --- messages ---

    def _queue(self, thread: int | None = None) -> queue.Queue[Any]:
        return self._queues.setdefault(thread or threading.get_ident(), queue.Queue())

    def PostMessageW(self, hwnd: int, msg: int, wparam: int, lparam: int) -> int:
        if hwnd not in self.windows:
            return 0
        self._queue(self.windows[hwnd]["thread"]).put(("post", hwnd, msg, wparam, lparam))
        return 1

    def PostQuitMessage(self, code: int) -> None:
        self._queue().put(("post", None, WM_QUIT, code, 0))

    def GetMessageW(self, msg_ptr: Any, hwnd: Any, lo: int, hi: int) -> int:
        while True:
            item = self._queue().get()
            if isinstance(item, _Sent):  # sent messages run inside GetMessage, never returned
                window = self.windows.get(item.hwnd)
                item.result = (
                    window["proc"](item.hwnd, item.msg, item.wparam, item.lparam) if window else 0
                )
                item.done.set()
                continue
            _, target, message, wparam, lparam = item
            m = msg_ptr.contents
            m.hWnd, m.message, m.wParam, m.lParam = target, message, wparam, lparam
            return 0 if message == WM_QUIT else 1

    def TranslateMessage(self, msg_ptr: Any) -> int:
        return 0

    def DispatchMessageW(self, msg_ptr: Any) -> int:
        m = msg_ptr.contents
        window = self.windows.get(m.hWnd)
        return window["proc"](m.hWnd, m.message, m.wParam, m.lParam) if window else 0

    def broadcast(
        self, msg: int, wparam: int = 0, lparam: int = 0, timeout: float = 10.0
    ) -> list[int]:
        """The OS sends ``msg`` to every top-level window and waits for each one's answer."""
        sent = []
        for hwnd, window in list(self.windows.items()):
            if window["parent"] in (None, 0):  # not a child, not message-only
                item = _Sent(hwnd, msg, wparam, lparam)
                self._queue(window["thread"]).put(item)
                sent.append(item)
        for item in sent:
            if not item.done.wait(timeout):
                raise TimeoutError(f"window 0x{item.hwnd:x} did not answer message 0x{msg:04x}")
        return [item.result for item in sent]

    # --- input ---

    def GetLastInputInfo(self, info_ptr: Any) -> int:
        info = info_ptr.contents
        if info.cbSize != 8 or not self.last_input_ok:  # sizeof(LASTINPUTINFO)
            return 0
        info.dwTime = self.last_input_tick
        return 1


class FakeKernel32:
    def __init__(self) -> None:
        self.tick = 0  # GetTickCount: milliseconds since boot, a DWORD

    def GetModuleHandleW(self, name: Any) -> int:
        return 0x400000

    def GetTickCount(self) -> int:
        return self.tick % 2**32
