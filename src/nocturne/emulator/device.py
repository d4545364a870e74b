"""Emulated NOCTURNE boards: the unchanged firmware from ``firmware/`` running in CPython.

Each :class:`Device` is one board: ``firmware/main.py``'s ``build()`` powers it up through
the ``machine`` shim, its own SSD1306 driver talks to a :class:`VirtualSSD1306` on its own
simulated I2C bus, its WiFi is its own simulated radio, and its ``socket`` is a real TCP
socket to the server (wrapped only to behave like lwIP's and to inject faults).

Several devices can live in one process. The shims are process-global modules, so every
device is built right after ``machine.reset_all()``: the Pin, I2C and PWM objects its firmware
holds then point at hardware state of its own (a second build never touches the first one's).
The WiFi radio (``network.sim``) is a module global read at call time, so the device swaps
its own in around each tick. Ticks run one device after another on one thread.

Time: the firmware reads ``nocturne_fw.clock``; the emulator leaves the real clock in place
(``Emulator.run``/``arun`` tick every ``TICK_MS`` of real time). Tests may install a
``clock.ManualClock`` and call ``tick()`` themselves.

Faults on purpose (per device): :meth:`Device.set_wifi` (the access point vanishes),
:meth:`Device.stall` (the board stops reading its socket), :meth:`Device.inject` (bytes
arrive as if the server sent them: garbage), :meth:`Device.drop_connection` (the TCP
connection is reset under the firmware). Killing the server is done to the server.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import importlib
import importlib.util
import os
import socket as _socket
import sys
import tempfile
import time
import types
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from ..firmware_files import FirmwareNotFound, find_firmware_dir

SHIMS_DIR = Path(__file__).resolve().parent / "shims"

SHORT_PRESS_MS = 120  # how long the emulated finger holds the PRG button for a short press
LONG_PRESS_MS = 1000  # ... and for a long one (the firmware's LONG_MS is 800)

BOARDS = ("v3", "v4", "v4r8")
LWIP_RCV_WINDOW = 5760  # bytes: the ESP32 lwIP receive window (about 5.7 KB, see server.py)


class EmulatorError(Exception):
    """The emulator cannot run (firmware not found, bad secrets file...)."""


def find_firmware(path: str | os.PathLike[str] | None = None) -> Path:
    """The firmware directory, through the one lookup (``nocturne.firmware_files``)."""
    try:
        return find_firmware_dir(path)
    except FirmwareNotFound as exc:
        raise EmulatorError(str(exc)) from None


def install_paths(firmware: Path | None = None) -> Path:
    """Put the firmware and the MicroPython shims on ``sys.path`` (idempotent); return the
    firmware directory."""
    fw = find_firmware(firmware)
    for p in (str(SHIMS_DIR), str(fw)):
        if p not in sys.path:
            sys.path.insert(0, p)
    return fw


def _firmware_main(fw: Path) -> types.ModuleType:
    """``firmware/main.py`` as the module ``main`` (loaded once)."""
    mod = sys.modules.get("main")
    if mod is not None and Path(getattr(mod, "__file__", "") or "").resolve() == fw / "main.py":
        return mod
    spec = importlib.util.spec_from_file_location("main", fw / "main.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules["main"] = mod
    spec.loader.exec_module(mod)
    return mod


def make_secrets(
    host: str = "127.0.0.1", port: int = 8090, board: str = "v4", ssid: str = "EMULATED"
) -> types.SimpleNamespace:
    """A ``secrets`` module for the board, as secrets.example.py describes it."""
    return types.SimpleNamespace(
        WIFI_SSID=ssid,
        WIFI_PASSWORD="emulated",
        SERVER_HOST=host,
        SERVER_PORT=port,
        BOARD=board,
    )


def load_secrets_file(path: str | os.PathLike[str]) -> types.ModuleType | None:
    """A secrets.py as the board would import it; None when it lacks a needed name (the
    firmware then shows its "no secrets" screen, as on a board with a broken file)."""
    p = Path(path)
    if not p.is_file():
        return None
    spec = importlib.util.spec_from_file_location("nocturne_emulated_secrets", p)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(mod)
    except Exception as exc:  # a syntax error on the board: the import fails the same way
        raise EmulatorError(f"{p}: {exc.__class__.__name__}: {exc}") from exc
    for name in ("WIFI_SSID", "WIFI_PASSWORD", "SERVER_HOST"):
        if not isinstance(getattr(mod, name, None), str):
            return None
    return mod


# -- the board's network stack ------------------------------------------------------------


class Faults:
    """Faults one device's network stack injects (toggled by tests, keys or the CLI)."""

    def __init__(self) -> None:
        self.stalled = False  # recv() never returns data: the board stopped reading
        self.inbox = bytearray()  # bytes delivered before the socket's own, as from the server
        self.refuse = False  # connect() fails as if no server listened


class EmuSocket:
    """A real TCP socket behaving like MicroPython's on the ESP32 (lwIP)."""

    def __init__(self, faults: Faults, registry: list[EmuSocket]) -> None:
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

    def recv(self, n: int) -> bytes:
        f = self._faults
        if f.inbox:
            data = bytes(f.inbox[:n])
            del f.inbox[:n]
            return data
        if f.stalled:
            raise OSError(errno.EAGAIN, "stalled (emulated fault)")
        return self._s.recv(n)

    def reset(self) -> None:
        """Abort the connection: RST to the server, EBADF to the firmware's next call."""
        with contextlib.suppress(OSError):
            self._s.setsockopt(
                _socket.SOL_SOCKET, _socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00"
            )
        self.close()

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self._s.close()
            with contextlib.suppress(ValueError):
                self._registry.remove(self)

    def fileno(self) -> int:
        return self._s.fileno()


class EmuSocketModule:
    """What ``import socket`` gives the firmware on the board: IPv4 only, like lwIP."""

    AF_INET = _socket.AF_INET
    SOCK_STREAM = _socket.SOCK_STREAM

    def __init__(self, faults: Faults) -> None:
        self.faults = faults
        self.open: list[EmuSocket] = []  # sockets not closed yet (leak check)
        self.created = 0

    def getaddrinfo(self, host: str, port: int, *args: Any) -> list[tuple]:
        return _socket.getaddrinfo(host, port, _socket.AF_INET, _socket.SOCK_STREAM)

    def socket(self, *args: Any) -> EmuSocket:
        self.created += 1
        return EmuSocket(self.faults, self.open)


# -- one board ---------------------------------------------------------------------------


_DEFAULT = object()


class Device:
    """One emulated board running the firmware's ``main.build()``.

    ``secrets``: the default makes a secrets module pointing at ``host``:``port``; ``None``
    emulates a board without a usable secrets.py; any object with the secrets names is used
    as is. ``fs_dir`` is the board's filesystem (settings.json); default: a fresh temporary
    directory. ``strict``: a tick that raises propagates (tests); otherwise it is printed
    and survived the way ``App.run`` does.
    """

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
    ) -> None:
        fw = install_paths(Path(firmware) if firmware else None)
        import machine
        import network

        from .ssd1306_virtual import VirtualSSD1306

        self.name = name
        self.strict = strict
        self.errors = 0
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        if fs_dir is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="nocturne-board-")
            fs_dir = self._tmp.name
        self.fs_dir = Path(fs_dir).resolve()
        self.fs_dir.mkdir(parents=True, exist_ok=True)
        if secrets is _DEFAULT:
            secrets = make_secrets(host, port, board)
        self.secrets = secrets
        self.faults = Faults()
        self.sockets = EmuSocketModule(self.faults)
        self.sim = network._Sim()
        self.panel = VirtualSSD1306()

        machine.reset_all()  # fresh pins, buses and PWMs: what this board's firmware holds
        machine.bus(0).attach(0x3C, self.panel)
        main = _firmware_main(fw)
        cwd = os.getcwd()
        saved_sim = network.sim
        network.sim = self.sim
        os.chdir(self.fs_dir)  # Settings() reads ./settings.json, as on the board's flash
        # No secrets: main.build() then imports `secrets` itself. Give it an empty module, so
        # neither the standard library's nor a developer's firmware/secrets.py is found.
        saved_secrets = sys.modules.get("secrets")
        if secrets is None:
            sys.modules["secrets"] = types.ModuleType("secrets")
        try:
            self.app = main.build(secrets=secrets, board_rev=board)
        finally:
            os.chdir(cwd)
            network.sim = saved_sim
            if secrets is None:
                if saved_secrets is None:
                    sys.modules.pop("secrets", None)
                else:
                    sys.modules["secrets"] = saved_secrets
        self.app.settings.path = str(self.fs_dir / self.app.settings.path)
        if self.app.link is not None:
            self.app.link.sock_mod = self.sockets
        from nocturne_fw import board as fw_board

        try:
            self.board = fw_board.Board(board)  # pins only (not powered again)
        except ValueError:  # main.build falls back to the default revision too
            self.board = fw_board.Board()
        self.button = machine.pin(self.board.button)  # PRG, active low
        self.bus = machine.bus(0)
        self.wdt = machine.wdt
        self.led = machine.pwm_of(self.board.led)
        self._release_at: int | None = None
        self._presses: list[int] = []
        self.ticks = 0

    # -- running --------------------------------------------------------------------------

    def tick(self) -> None:
        """One pass of the firmware's loop (``App.tick``), with this board's radio."""
        import network
        from nocturne_fw import clock

        now = clock.ticks_ms()
        if self._release_at is not None and clock.ticks_diff(now, self._release_at) >= 0:
            self.button.drive(None)
            self._release_at = None
        if self._release_at is None and self._presses:
            ms = self._presses.pop(0)
            self.button.drive(0)
            self._release_at = clock.ticks_add(now, ms)
        saved = network.sim
        network.sim = self.sim
        try:
            self.app.tick()
            self.errors = 0
        except Exception as exc:
            self.errors += 1
            if self.strict:
                raise
            import traceback

            traceback.print_exception(exc)
            if self.errors > 100:  # the firmware's MAX_ERRORS: the watchdog would reset
                raise
        finally:
            network.sim = saved
        self.ticks += 1

    def press(self, long: bool = False) -> None:
        """Queue a press of the PRG button (held SHORT_PRESS_MS or LONG_PRESS_MS)."""
        self._presses.append(LONG_PRESS_MS if long else SHORT_PRESS_MS)

    @property
    def busy(self) -> bool:
        """A button press is still being played."""
        return self._release_at is not None or bool(self._presses)

    def close(self) -> None:
        """Close the board's socket (the board is switched off)."""
        if self.app.link is not None:
            self.app.link.close()
        for s in list(self.sockets.open):
            s.close()
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    # -- faults ---------------------------------------------------------------------------

    def set_wifi(self, up: bool) -> None:
        """The access point is there (True) or gone (False).

        When it comes back, a station that lost it (or never found it) and was not told to
        disconnect joins again by itself, as MicroPython's ESP32 port does (it retries the
        connection in the background after every disconnect)."""
        import network

        self.sim.ap_up = up
        lost = (network.STAT_BEACON_TIMEOUT, network.STAT_NO_AP_FOUND)
        if up and self.sim.target is not None and self.sim.status in lost:
            self.sim.status = network.STAT_CONNECTING
            self.sim.pending = 2

    @property
    def wifi(self) -> bool:
        return self.sim.ap_up

    def stall(self, on: bool = True) -> None:
        """The board stops (True) or resumes (False) reading its socket."""
        self.faults.stalled = on

    def inject(self, data: bytes) -> None:
        """Bytes the board receives as if the server had sent them (garbage, bad lines)."""
        self.faults.inbox += data

    def drop_connection(self) -> None:
        """Reset the board's TCP connection under the firmware."""
        for s in list(self.sockets.open):
            s.reset()

    # -- what it shows --------------------------------------------------------------------

    @property
    def screen(self) -> int:
        return self.app.screen

    def screen_name(self) -> str:
        """The shown screen: a scene name ("HUB", "CPU"...) or a system screen ("LOST"...)."""
        from nocturne_fw import scenes

        s = self.app.screen
        if s < len(scenes.NAMES):
            return scenes.NAMES[s]
        return SYSTEM_NAMES.get(s, str(s))

    def status(self, lines: bool = True) -> str:
        """One line for a status bar: screen, link, faults (and the line count)."""
        link = self.app.link
        parts = [self.screen_name()]
        if link is not None:
            parts.append(
                ("UP" if link.state == 3 else LINK_STATES.get(link.state, "?"))
                + (f" ({link.error})" if link.error and link.state != 3 else "")
            )
            if lines:
                parts.append(f"lines {link.lines}")
        if self.app.inverted:
            parts.append("ALERT")
        if not self.sim.ap_up:
            parts.append("WIFI OFF")
        if self.faults.stalled:
            parts.append("STALLED")
        return "  ".join(parts)

    def picture(self) -> list[list[int]]:
        """What the glass shows, ``[y][x]`` (contrast aside: see ``panel.contrast``)."""
        return self.panel.picture()

    def find_text(self, s: str, font: Any = None) -> bool:
        """``s`` is on the glass, drawn in ``font`` (default: any of the firmware's fonts)."""
        return find_text(self.picture(), s, font)


SYSTEM_NAMES = {
    100: "BOOT",
    101: "CONNECTING",
    102: "NO WIFI",
    103: "SIGNAL LOST",
    104: "NO SECRETS",
    105: "MENU",
    106: "SCREEN OFF",
}
LINK_STATES = {0: "WIFI DOWN", 1: "JOINING", 2: "WAITING", 3: "UP"}


# -- reading text off the glass ------------------------------------------------------------


def _rows_as_ints(picture: list[list[int]]) -> list[int]:
    out = []
    for row in picture:
        v = 0
        for x, p in enumerate(row):
            if p:
                v |= 1 << x
        out.append(v)
    return out


def text_patch(s: str, font: Any) -> tuple[int, list[int]]:
    """``s`` drawn by the firmware's own text writer: (width, row bitmasks, bit x = column x)."""
    import framebuf
    from nocturne_fw import text

    w = max(1, text.text_width(s, font))
    h = font.HEIGHT
    buf = bytearray(((h + 7) // 8) * w)
    fb = framebuf.FrameBuffer(buf, w, h, framebuf.MONO_VLSB)
    text.draw(fb, s, 0, 0, font)
    rows = []
    for y in range(h):
        v = 0
        for x in range(w):
            if fb.pixel(x, y):
                v |= 1 << x
        rows.append(v)
    return w, rows


def find_text(picture: list[list[int]], s: str, font: Any = None) -> bool:
    """``s`` appears in ``picture`` exactly as the firmware draws it (lit on dark, or dark on
    lit: an inverted panel or a name tag), glyph cells and the paper between them included."""
    from nocturne_fw import font_big, font_medium, font_small

    fonts: Iterable[Any] = (font_small, font_medium, font_big) if font is None else (font,)
    rows = _rows_as_ints(picture)
    height = len(rows)
    width = len(picture[0]) if picture else 0
    for f in fonts:
        w, patch = text_patch(s, f)
        h = len(patch)
        mask = (1 << w) - 1
        inv = [p ^ mask for p in patch]
        for y in range(height - h + 1):
            first = rows[y]
            for x in range(width - w + 1):
                v = (first >> x) & mask
                if v == patch[0]:
                    cand = patch
                elif v == inv[0]:
                    cand = inv
                else:
                    continue
                if all(((rows[y + i] >> x) & mask) == cand[i] for i in range(1, h)):
                    return True
    return False


# -- many boards, real time ---------------------------------------------------------------


class Emulator:
    """Boards ticked together every ``TICK_MS`` of real time, with frame observers."""

    def __init__(self, devices: Iterable[Device] = ()) -> None:
        self.devices: list[Device] = list(devices)
        self.observers: list[Callable[[Device], None]] = []
        self._seen: dict[int, int] = {}
        self.stopped = False

    def add(self, device: Device) -> Device:
        self.devices.append(device)
        return device

    def tick_all(self) -> None:
        for d in self.devices:
            d.tick()
            if self.observers:
                t = d.panel.transactions
                if self._seen.get(id(d)) != t:
                    self._seen[id(d)] = t
                    for obs in self.observers:
                        obs(d)

    def _tick_ms(self) -> int:
        install_paths()
        from nocturne_fw import app as A

        return A.TICK_MS

    def run(self, seconds: float | None = None, until: Callable[[], bool] | None = None) -> bool:
        """Tick in real time until ``until()`` is true (returns True), ``seconds`` pass
        (returns False) or ``stop()``."""
        period = self._tick_ms() / 1000
        end = None if seconds is None else time.monotonic() + seconds
        nxt = time.monotonic()
        while not self.stopped:
            self.tick_all()
            if until is not None and until():
                return True
            if end is not None and time.monotonic() >= end:
                return False
            nxt += period
            delay = nxt - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            else:
                nxt = time.monotonic()  # behind (a slow frame): do not try to catch up
        return False

    async def arun(
        self, seconds: float | None = None, until: Callable[[], bool] | None = None
    ) -> bool:
        """``run`` for an asyncio program: other tasks (a replay server...) run between ticks."""
        period = self._tick_ms() / 1000
        loop = asyncio.get_running_loop()
        end = None if seconds is None else loop.time() + seconds
        nxt = loop.time()
        while not self.stopped:
            self.tick_all()
            if until is not None and until():
                return True
            if end is not None and loop.time() >= end:
                return False
            nxt += period
            delay = nxt - loop.time()
            if delay <= 0:
                nxt = loop.time()
            await asyncio.sleep(max(delay, 0))
        return False

    def stop(self) -> None:
        self.stopped = True

    def close(self) -> None:
        for d in self.devices:
            d.close()
