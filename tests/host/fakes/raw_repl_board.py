"""A stand-in MicroPython board on a pseudo-terminal, for driving the real ``mpremote``.

``RawReplBoard(root)`` opens a pty pair and serves the master side as a MicroPython
REPL would over USB: the friendly REPL, the raw REPL (Ctrl-A), soft reset (Ctrl-D on an
empty raw REPL line), raw-paste mode (``\\x05A\\x01`` → ``R\\x01`` + window size, with
``\\x01`` flow control) and the plain raw mode fallback (``OK`` + output). The Python that
mpremote sends is executed in CPython against a sandbox whose ``os``/``uos`` and ``open``
work inside ``root`` (the board's "/"), with MicroPython's ``os`` subset (stat, listdir,
ilistdir, mkdir, rmdir, remove, rename, getcwd, chdir, statvfs) and its error style
(``OSError: [Errno 2] ENOENT``). Replies are byte-for-byte what a board sends:
stdout + ``\\x04`` + traceback + ``\\x04`` + ``>``.

Protocol as implemented by MicroPython's shared/runtime/pyexec.c and mpremote's
transport_serial.py (mpremote 1.2x).

POSIX only (os.openpty); ``board.device`` is the ``/dev/pts/N`` path to give mpremote.
"""

from __future__ import annotations

import builtins
import contextlib
import errno
import hashlib
import io
import os
import select
import stat
import threading
import time
import traceback
import tty
import types
from pathlib import Path
from typing import Any

BANNER = (
    b"MicroPython v1.27.0 on 2025-12-09; Generic ESP32S3 module with ESP32S3\r\n"
    b'Type "help()" for more information.\r\n'
)
RAW_PROMPT = b"raw REPL; CTRL-B to exit\r\n"
PASTE_WINDOW = 128  # bytes the host may send before waiting for \x01: small, to exercise it

CTRL_A, CTRL_B, CTRL_C, CTRL_D, CTRL_E = 0x01, 0x02, 0x03, 0x04, 0x05


class _Reset(BaseException):
    """machine.reset() was called: the board reboots, nothing more is printed."""


class BoardFS:
    """MicroPython's ``os`` and ``open`` for a filesystem kept in a host directory."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root).resolve()
        self.cwd = "/"

    def host_path(self, path: Any) -> Path:
        if isinstance(path, bytes):
            path = path.decode()
        if not isinstance(path, str):
            raise TypeError("can't convert to str implicitly")
        board = path if path.startswith("/") else self.cwd.rstrip("/") + "/" + path
        parts: list[str] = []
        for part in board.split("/"):
            if part in ("", "."):
                continue
            if part == "..":
                if parts:
                    parts.pop()
                continue
            parts.append(part)
        return self.root.joinpath(*parts)

    @staticmethod
    def _oserror(code: int) -> OSError:
        return OSError(code, errno.errorcode.get(code, str(code)))

    def _wrap(self, func: Any, *args: Any) -> Any:
        try:
            return func(*args)
        except OSError as exc:
            code = exc.errno
            if code == errno.ENOTEMPTY:
                code = errno.EACCES  # littlefs on MicroPython says EACCES for a full folder
            raise self._oserror(code or errno.EIO) from None

    # --- the os module ------------------------------------------------------------------

    def stat(self, path: Any) -> tuple[int, ...]:
        st = self._wrap(os.stat, self.host_path(path))
        mode = 0x4000 if stat.S_ISDIR(st.st_mode) else 0x8000
        size = 0 if mode == 0x4000 else st.st_size
        mtime = int(st.st_mtime)
        return (mode, 0, 0, 0, 0, 0, size, mtime, mtime, mtime)

    def ilistdir(self, path: Any = "") -> Any:
        host = self.host_path(path)
        names = self._wrap(os.listdir, host)
        for name in names:
            full = host / name
            if full.is_dir():
                yield (name, 0x4000, 0, 0)
            else:
                yield (name, 0x8000, 0, full.stat().st_size)

    def listdir(self, path: Any = "") -> list[str]:
        return [entry[0] for entry in self.ilistdir(path)]

    def mkdir(self, path: Any) -> None:
        self._wrap(os.mkdir, self.host_path(path))

    def rmdir(self, path: Any) -> None:
        self._wrap(os.rmdir, self.host_path(path))

    def remove(self, path: Any) -> None:
        host = self.host_path(path)
        if host.is_dir():
            raise self._oserror(errno.EISDIR)
        self._wrap(os.remove, host)

    def rename(self, old: Any, new: Any) -> None:
        self._wrap(os.rename, self.host_path(old), self.host_path(new))

    def getcwd(self) -> str:
        return self.cwd

    def chdir(self, path: Any) -> None:
        host = self.host_path(path)
        if not host.is_dir():
            raise self._oserror(errno.ENOENT)
        rel = host.relative_to(self.root).as_posix()
        self.cwd = "/" if rel == "." else "/" + rel

    def statvfs(self, path: Any = "/") -> tuple[int, ...]:
        return (4096, 4096, 3584, 3000, 3000, 0, 0, 0, 0, 255)

    def open(self, path: Any, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        host = self.host_path(path)
        if host.is_dir():
            raise self._oserror(errno.EISDIR)
        return self._wrap(lambda: open(host, mode, *args, **kwargs))

    def module(self, name: str) -> types.ModuleType:
        mod = types.ModuleType(name)
        for attr in (
            "stat",
            "ilistdir",
            "listdir",
            "mkdir",
            "rmdir",
            "remove",
            "rename",
            "getcwd",
            "chdir",
            "statvfs",
        ):
            setattr(mod, attr, getattr(self, attr))
        mod.sep = "/"  # type: ignore[attr-defined]
        mod.uname = lambda: ("esp32", "esp32", "1.27.0", "v1.27.0", "ESP32S3")  # type: ignore[attr-defined]
        return mod


class RawReplBoard:
    """A pty that answers like a MicroPython board; see the module docstring."""

    def __init__(self, root: Path, *, raw_paste: bool = True, mpy: int | None = None) -> None:
        self.fs = BoardFS(root)
        self.raw_paste = raw_paste
        self.mpy = mpy  # sys.implementation._mpy (None: absent, as on a build without .mpy)
        self.master, self.slave = os.openpty()
        tty.setraw(self.slave)
        self.device = os.ttyname(self.slave)
        self.soft_resets = 0
        self.hard_resets = 0
        self.executed: list[str] = []  # every snippet run, for tests to look at
        self.errors: list[str] = []  # tracebacks sent back
        self.watchdog: list[tuple[str, int]] = []  # machine.WDT calls, kept across resets
        self._mode = "friendly"
        self._line = bytearray()
        self._rx = bytearray()
        self._rx_ready = threading.Condition()
        self._stop = threading.Event()
        self._globals: dict[str, Any] = {}
        self._reset_namespace()
        self._reader = threading.Thread(target=self._read_loop, daemon=True)
        self._worker = threading.Thread(target=self._serve, daemon=True)

    # --- life cycle ---------------------------------------------------------------------

    def start(self) -> RawReplBoard:
        self._reader.start()
        self._worker.start()
        return self

    def close(self) -> None:
        self._stop.set()
        with self._rx_ready:
            self._rx_ready.notify_all()
        self._worker.join(timeout=2)
        self._reader.join(timeout=2)
        for fd in (self.master, self.slave):
            with contextlib.suppress(OSError):
                os.close(fd)

    def __enter__(self) -> RawReplBoard:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- bytes in and out ---------------------------------------------------------------

    def _read_loop(self) -> None:
        while not self._stop.is_set():
            ready, _, _ = select.select([self.master], [], [], 0.05)
            if not ready:
                continue
            try:
                data = os.read(self.master, 4096)
            except OSError:
                data = b""
            if not data:
                time.sleep(0.01)
                continue
            with self._rx_ready:
                self._rx.extend(data)
                self._rx_ready.notify_all()

    def _getc(self) -> int | None:
        with self._rx_ready:
            while not self._rx:
                if self._stop.is_set():
                    return None
                self._rx_ready.wait(0.1)
            c = self._rx[0]
            del self._rx[0]
            return c

    def _write(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            try:
                n = os.write(self.master, view)
            except BlockingIOError:
                time.sleep(0.001)
                continue
            view = view[n:]

    # --- the REPL state machine (pyexec.c) ----------------------------------------------

    def _serve(self) -> None:
        while not self._stop.is_set():
            c = self._getc()
            if c is None:
                return
            if self._mode == "friendly":
                self._friendly(c)
            else:
                self._raw(c)

    def _friendly(self, c: int) -> None:
        if c == CTRL_A:
            self._mode = "raw"
            self._line.clear()
            self._write(b"\r\n" + RAW_PROMPT + b">")
        elif c == CTRL_B:
            self._write(b"\r\n" + BANNER + b">>> ")
        elif c == CTRL_C:
            self._line.clear()
            self._write(b"\r\n>>> ")
        elif c == CTRL_D:
            self._soft_reset()
            self._write(BANNER + b">>> ")
        elif c in (0x0D, 0x0A):
            self._line.clear()
            self._write(b"\r\n>>> ")
        else:
            self._line.append(c)
            self._write(bytes([c]))  # echo; the friendly REPL does not run code here

    def _raw(self, c: int) -> None:
        line = self._line
        if c == CTRL_A:
            if len(line) == 2 and line[0] == CTRL_E:
                kind = line[1]
                line.clear()
                if kind == ord("A") and self.raw_paste:
                    if self._raw_paste():
                        self._write(b">")
                else:
                    self._write(b"R\x00")
                return
            line.clear()
            self._write(RAW_PROMPT + b">")
        elif c == CTRL_B:
            line.clear()
            self._mode = "friendly"
            self._write(b"\r\n" + BANNER + b">>> ")
        elif c == CTRL_C:
            line.clear()
        elif c == CTRL_D:
            self._write(b"OK")
            if not line:
                self._write(b"\r\n")
                self._soft_reset()
                self._write(RAW_PROMPT + b">")
                return
            source = bytes(line)
            line.clear()
            if self._execute(source):
                self._write(b">")
        else:
            line.append(c)

    def _raw_paste(self) -> bool:
        """Receive with flow control, then run; False when the board reset."""
        self._write(b"R\x01" + PASTE_WINDOW.to_bytes(2, "little"))
        source = bytearray()
        remain = PASTE_WINDOW
        while True:
            c = self._getc()
            if c is None:
                return False
            if c in (CTRL_C, CTRL_D):
                self._write(b"\x04")  # confirm the end of the data
                if c == CTRL_C:  # aborted: nothing runs
                    source.clear()
                break
            source.append(c)
            remain -= 1
            if remain == 0:
                self._write(b"\x01")  # the host may send another window
                remain = PASTE_WINDOW
        return self._execute(bytes(source))

    def _soft_reset(self) -> None:
        self.soft_resets += 1
        self.fs.cwd = "/"
        self._reset_namespace()
        self._write(b"MPY: soft reboot\r\n")

    # --- running the snippets -----------------------------------------------------------

    def _reset_namespace(self) -> None:
        out = self._out = io.StringIO()
        fs = self.fs
        os_module = fs.module("os")
        board = self

        def mp_print(*args: Any, sep: str = " ", end: str = "\n", **_: Any) -> None:
            out.write(sep.join(str(a) for a in args) + end)

        time_module = types.ModuleType("time")
        time_module.sleep_ms = lambda ms: time.sleep(ms / 1000)  # type: ignore[attr-defined]
        time_module.sleep = time.sleep  # type: ignore[attr-defined]
        time_module.ticks_ms = lambda: int(time.monotonic() * 1000) & 0x3FFFFFFF  # type: ignore[attr-defined]

        def machine_reset() -> None:
            board.hard_resets += 1
            raise _Reset

        class WDT:
            """machine.WDT: records each arming (timeout in ms) and each feed."""

            def __init__(self, id: int = 0, timeout: int = 5000) -> None:
                board.watchdog.append(("arm", timeout))

            def feed(self) -> None:
                board.watchdog.append(("feed", 0))

        machine = types.ModuleType("machine")
        machine.reset = machine_reset  # type: ignore[attr-defined]
        machine.WDT = WDT  # type: ignore[attr-defined]
        machine.soft_reset = lambda: None  # type: ignore[attr-defined]
        sys_module = types.ModuleType("sys")
        implementation = types.SimpleNamespace(name="micropython")
        if self.mpy is not None:
            implementation._mpy = self.mpy
        sys_module.implementation = implementation  # type: ignore[attr-defined]
        sys_module.platform = "esp32"  # type: ignore[attr-defined]
        gc = types.ModuleType("gc")
        gc.collect = lambda: None  # type: ignore[attr-defined]
        modules = {
            "os": os_module,
            "uos": os_module,
            "time": time_module,
            "utime": time_module,
            "machine": machine,
            "sys": sys_module,
            "gc": gc,
            "hashlib": hashlib,
            "uhashlib": hashlib,
        }
        for name in ("binascii", "errno", "struct", "json"):
            modules[name] = __import__(name)
            modules["u" + name] = modules[name]

        def mp_import(name: str, globals: Any = None, locals: Any = None, fromlist: Any = (),
                      level: int = 0) -> Any:  # fmt: skip
            try:
                return modules[name]
            except KeyError:
                raise ImportError(f"no module named '{name}'") from None

        mp_builtins = dict(vars(builtins))
        mp_builtins.update(print=mp_print, open=fs.open, __import__=mp_import)
        self._globals = {"__builtins__": mp_builtins, "__name__": "__main__"}

    def _execute(self, source: bytes) -> bool:
        """Run one snippet; False when it reset the board (no output follows then)."""
        text = source.decode("utf-8", errors="replace")
        self.executed.append(text)
        self._out.seek(0)
        self._out.truncate()
        err = ""
        try:
            code = compile(text, "<stdin>", "exec")
            exec(code, self._globals)
        except _Reset:
            self._mode = "friendly"
            self._reset_namespace()
            self._write(b"\r\n" + BANNER + b">>> ")
            return False
        except SyntaxError:
            err = (
                "Traceback (most recent call last):\n"
                '  File "<stdin>", line 1\n'
                "SyntaxError: invalid syntax\n"
            )
        except BaseException as exc:
            err = self._traceback(exc)
        if err:
            self.errors.append(err)
        out = self._out.getvalue()
        self._write(_cooked(out) + b"\x04" + _cooked(err) + b"\x04")
        return True

    @staticmethod
    def _traceback(exc: BaseException) -> str:
        line = 1
        for frame in traceback.extract_tb(exc.__traceback__):
            if frame.filename == "<stdin>":
                line = frame.lineno or 1
        if isinstance(exc, OSError) and exc.errno is not None:
            message = f"OSError: [Errno {exc.errno}] {errno.errorcode.get(exc.errno, '')}"
        else:
            text = str(exc)
            message = f"{type(exc).__name__}: {text}" if text else type(exc).__name__
        return (
            "Traceback (most recent call last):\n"
            f'  File "<stdin>", line {line}, in <module>\n'
            f"{message}\n"
        )


def _cooked(text: str) -> bytes:
    """MicroPython's stdout turns \\n into \\r\\n."""
    return text.replace("\n", "\r\n").encode("utf-8")
