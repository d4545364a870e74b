"""Emulated NOCTURNE boards: the unchanged firmware from ``firmware/`` running in CPython.

Each :class:`Device` is one board: ``firmware/main.py``'s ``build()`` powers it up through
the ``machine`` shim, its own SSD1306 driver talks to a :class:`VirtualSSD1306` on its own
simulated I2C bus, its WiFi is its own simulated radio, and its ``socket`` is a real TCP
socket to the server (wrapped only to behave like lwIP's and to inject faults).

Several devices can live in one process, and none of them touches process state: each one
hands ``build()`` its own secrets, filesystem root (settings.json), WLAN (on its own
``network.Radio``) and socket module. The ``machine`` shim's hardware registry is the one
shared thing, so every device is built right after ``machine.reset_all()``: the Pin, I2C and
PWM objects its firmware holds then point at hardware state of its own (a second build
never touches the first one's). Ticks run one device after another on one thread.

Time: the firmware reads ``nocturne_fw.clock``; the emulator leaves the real clock in place
(``Emulator.run``/``arun`` tick every ``TICK_MS`` of real time). Tests may install a
``clock.ManualClock`` and call ``tick()`` themselves.

Faults on purpose (per device): :meth:`Device.set_wifi` (the access point vanishes),
:meth:`Device.stall` (the board stops reading its socket), :meth:`Device.inject` (bytes
arrive as if the server sent them: garbage), :meth:`Device.drop_connection` (the TCP
connection is reset under the firmware). Killing the server is done to the server.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from ..safe_text import printable
from .errors import EmulatorError
from .firmware_loader import (
    SHIMS_DIR,
    board_firmware,
    find_firmware,
    firmware_main,
    install_paths,
)
from .glass_text import find_text, text_patch
from .lwip_socket import LOOPBACK_LAN, LWIP_RCV_WINDOW, Faults, LwipSocket, LwipSocketModule
from .realtime import Emulator
from .secrets_file import load_secrets_file, make_secrets, no_secrets

__all__ = [
    "BOARDS",
    "LWIP_RCV_WINDOW",
    "SHIMS_DIR",
    "Device",
    "Emulator",
    "EmulatorError",
    "Faults",
    "LwipSocket",
    "LwipSocketModule",
    "find_firmware",
    "find_text",
    "install_paths",
    "link_state_name",
    "load_secrets_file",
    "make_secrets",
    "text_patch",
]

SHORT_PRESS_MS = 120  # how long the emulated finger holds the PRG button for a short press
LONG_PRESS_MS = 1000  # ... and for a long one (the firmware's LONG_MS is 800)

BOARDS = ("v3", "v4", "v4r8")

_DEFAULT: Any = object()


def link_state_name(state: int) -> str:
    """What the status line calls a ``nocturne_fw.net.Link`` state."""
    from nocturne_fw import net

    names = {net.S_IDLE: "WIFI DOWN", net.S_JOIN: "JOINING", net.S_WAIT: "WAITING", net.S_UP: "UP"}
    return names.get(state, "?")


class Device:
    """One emulated board running the firmware's ``main.build()``.

    ``secrets``: the default makes a secrets module pointing at ``host``:``port``; ``None``
    emulates a board without a usable secrets.py; any object with the secrets names is used
    as is. ``fs_dir`` is the board's filesystem (settings.json); default: a fresh temporary
    directory. ``strict``: a tick that raises propagates (tests); otherwise it is printed
    and survived the way ``App.run`` does. ``lan``: the board's address and netmask (what
    ``ifconfig()`` says, where its broadcasts go); loopback unless told.
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
        lan: tuple[str, str] = LOOPBACK_LAN,
    ) -> None:
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        if fs_dir is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="nocturne-board-")
            fs_dir = self._tmp.name
        self.fs_dir = Path(fs_dir).resolve()
        self.fs_dir.mkdir(parents=True, exist_ok=True)
        fw, self.own_firmware = board_firmware(self.fs_dir, firmware)  # boot.py run if own
        import machine
        import network
        from nocturne_fw import board as fw_board

        from .ssd1306_virtual import VirtualSSD1306

        self.name = name
        self.strict = strict
        self.errors = 0  # ticks that raised (survived as the firmware does)
        if secrets is _DEFAULT:
            secrets = make_secrets(host, port, board)
        self.secrets = secrets
        self.faults = Faults()
        self.sockets = LwipSocketModule(self.faults, lan)
        self.sim = network.Radio()
        self.sim.ip, self.sim.netmask = lan
        self.panel = VirtualSSD1306()

        machine.reset_all()  # fresh pins, buses and PWMs: what this board's firmware holds
        machine.bus(0).attach(0x3C, self.panel)
        self.app = firmware_main(fw).build(
            secrets=no_secrets() if secrets is None else secrets,
            board_rev=board,
            fs_root=str(self.fs_dir),
            wlan=network.WLAN(network.STA_IF, radio=self.sim),
            socket_mod=self.sockets,
        )
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
        """One pass of the firmware's loop (``App.tick``)."""
        from nocturne_fw import clock

        now = clock.ticks_ms()
        # The finger lets go once the hold time is over and the firmware has taken the press
        # (debounced), and presses again once it has taken the release: a tick slower than
        # the hold (load) would otherwise show it one poll of a press, a bounce to the
        # debouncer, and a release and the next press in one tick would be no release at all.
        seen = self.app.button.pressed
        if self._release_at is not None and clock.ticks_diff(now, self._release_at) >= 0 and seen:
            self.button.drive(None)
            self._release_at = None
        if self._release_at is None and self._presses and not seen:
            ms = self._presses.pop(0)
            self.button.drive(0)
            self._release_at = clock.ticks_add(now, ms)
        try:
            self.app.tick()
        except Exception as exc:
            self.errors += 1
            if self.strict:
                raise
            self.app.survive(exc)  # the firmware's own rule (App.step, survive.py)
        self.ticks += 1

    def press(self, long: bool = False) -> None:
        """Queue a press of the PRG button (held SHORT_PRESS_MS or LONG_PRESS_MS)."""
        self._presses.append(LONG_PRESS_MS if long else SHORT_PRESS_MS)

    @property
    def busy(self) -> bool:
        """A button press is still being played."""
        # until the firmware has taken the release: the SHORT comes with it
        return self._release_at is not None or bool(self._presses) or self.app.button.pressed

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
        self.sim.set_ap(up)

    @property
    def wifi(self) -> bool:
        return self.sim.ap_up

    def stall(self, on: bool = True) -> None:
        """The board stops (True) or resumes (False) reading its socket."""
        self.faults.stalled = on

    def inject(self, data: bytes) -> None:
        """Bytes the board receives as if the server had sent them (garbage, bad lines)."""
        self.faults.inject(data)

    def drop_connection(self) -> None:
        """Reset the board's TCP connection under the firmware."""
        self.faults.reset_all()

    # -- what it shows --------------------------------------------------------------------

    @property
    def screen(self) -> int:
        return self.app.screen

    def screen_name(self) -> str:
        """The shown screen: a scene name ("HUB"...) or a system screen ("SIGNAL LOST"...)."""
        from nocturne_fw import scene_ids

        s = self.app.screen
        if 0 <= s < scene_ids.COUNT:
            return scene_ids.NAMES[s]
        if s == scene_ids.SYS_FOUND and self.app.link is not None:  # "FOUND <name> (address)"
            link = self.app.link
            return f"FOUND {printable(link.server_name)} ({link.host}:{link.port})"
        return scene_ids.SYS_NAMES.get(s, str(s))

    def status(self, lines: bool = True) -> str:
        """One line for a status bar: screen, link, faults (and the line count)."""
        from nocturne_fw import net

        link = self.app.link
        parts = [self.screen_name()]
        if link is not None:
            up = link.state == net.S_UP
            parts.append(
                link_state_name(link.state) + (f" ({link.error})" if link.error and not up else "")
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
