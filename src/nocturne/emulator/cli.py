"""``nocturne emulate`` (also ``python -m nocturne.emulator``): a NOCTURNE board on this PC.

Runs the firmware from ``firmware/`` unchanged in CPython, connects over real TCP to a
running server and shows the OLED in the terminal (default), in a window (``--window``) or
as PNG frames (``--png DIR``).
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import os
import signal
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .cli_options import Fault, configure_parser

if TYPE_CHECKING:
    from .board import Board

KEYS = (  # (key, what it does): one a line in --help, one line under the terminal view
    ("space", "short press"),
    ("l/enter", "long press"),
    ("w", "WiFi on/off"),
    ("x", "stall on/off"),
    ("g", "garbage line"),
    ("r", "reset link"),
    ("q", "quit"),
)
HELP_KEYS = "  ".join(f"{key}: {what}" for key, what in KEYS)
GARBAGE = b'{"ct":\xff\xfe garbage \x00}\n{"not json\n' + b"x" * 5000 + b"\n"


def add_subparser(subparsers: Any, *, with_config: bool = False) -> argparse.ArgumentParser:
    """Register ``emulate`` on cli.py's sub-parsers; dispatch with ``run(args)``."""
    parser = subparsers.add_parser(
        "emulate",
        help="run the device firmware on this PC and show its OLED",
        description=(
            "Run the NOCTURNE firmware from firmware/ in CPython against a running server\n"
            "and show its 128x64 OLED: in this terminal (128x34 characters at least),\n"
            "in a window (--window) or as PNG frames (--png DIR).\n\nKeys:\n"
            + "\n".join(f"  {key:<9} {what}" for key, what in KEYS)
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    configure_parser(parser, with_config=with_config)
    return parser


def _secrets(args: argparse.Namespace, port: int) -> Any:
    from .secrets_file import load_secrets_file, make_secrets

    if args.secrets is None:
        return make_secrets(args.host, port, args.board, name=args.server_name, token=args.token)
    if args.secrets.lower() == "none":
        return None
    if not Path(args.secrets).is_file():
        print(
            f"nocturne emulate: {args.secrets} not found: the board starts without secrets.py",
            file=sys.stderr,
        )
    secrets = load_secrets_file(args.secrets)
    if secrets is None:
        print(
            f"nocturne emulate: {args.secrets} lacks WIFI_SSID, WIFI_PASSWORD or SERVER_HOST "
            "(strings): the board shows its no-secrets screen",
            file=sys.stderr,
        )
    return secrets


class Session:
    """One emulated device with its views, keys and scheduled faults."""

    def __init__(self, args: argparse.Namespace, out: Any = None) -> None:
        from ..config.model import configured_port
        from .lwip_socket import board_lan
        from .mp_runtime import device_factory
        from .realtime import Emulator

        self.args = args
        self.out = sys.stdout if out is None else out
        config = getattr(args, "config", None)
        port = args.port if args.port is not None else configured_port(config and Path(config))
        secrets = _secrets(args, port)
        host = getattr(secrets, "SERVER_HOST", args.host)
        # one filesystem for every boot of the board (machine.reset() starts it again)
        self._fs_tmp = None if args.fs else tempfile.TemporaryDirectory(prefix="nocturne-board-")
        self._build = functools.partial(
            device_factory(args),  # Device, or MpDevice under --runtime micropython
            args.host,
            port,
            board=args.board,
            secrets=secrets,
            lan=board_lan(host if isinstance(host, str) else args.host),
            fs_dir=args.fs or self._fs_tmp.name,  # type: ignore[union-attr]
            firmware=args.firmware,
            name="emulated",
            strict=False,
        )
        self.device = self._build()
        self.emu = Emulator([self.device])
        self.views: list[Any] = []
        self.png = None
        self.window = None
        if args.png:
            from .views import PngView

            self.png = PngView(
                args.png, scale=args.scale or 4, colour=args.colour, every_ms=args.png_every
            )
            self.views.append(self.png)
        if args.window:
            from .errors import EmulatorError
            from .window import WindowView

            try:
                self.window = WindowView(
                    title=f"NOCTURNE_OS emulator - {args.host or 'searching'}:{port}",
                    scale=args.scale or 4,
                    colour=args.colour,
                    on_key=self.key,
                )
            except EmulatorError:
                self.emu.close()
                raise
            self.views.append(self.window)
        elif not args.headless:
            from .views import TerminalView

            self.views.append(TerminalView(self.out, args.scale or 1, args.colour, HELP_KEYS))
        self.text = None
        if getattr(args, "text", False):
            from .views import TextView

            self.text = TextView(self.out)
            self.views.append(self.text)
        self.emu.observers.append(self._changed)
        self.faults = sorted(args.fault, key=lambda f: f.at)
        self.ends: list[tuple[float, Fault]] = []
        self.t0 = time.monotonic()
        self.next_press = args.press_every
        self.quit = False
        self._status = ""

    def _changed(self, device: Board) -> None:
        for v in self.views:
            v.show(device)

    def key(self, ch: str) -> None:
        d = self.device
        for c in ch:
            if c in "qQ\x03":
                self.quit = True
            elif c in " n":
                d.press(long=False)
            elif c in "lL\r\n":
                d.press(long=True)
            elif c in "wW":
                d.set_wifi(not d.wifi)
            elif c in "xX":
                d.stall(not d.faults.stalled)
            elif c in "gG":
                d.inject(GARBAGE)
            elif c in "rR":
                d.drop_connection()

    def _apply(self, f: Fault, on: bool) -> None:
        d = self.device
        if f.kind == "wifi":
            d.set_wifi(not on)
        elif f.kind == "stall":
            d.stall(on)
        elif f.kind == "refuse":
            d.faults.refuse = on
            if on:
                d.drop_connection()
        elif on and f.kind == "garbage":
            d.inject(GARBAGE)
        elif on and f.kind == "reset":
            d.drop_connection()

    def step(self) -> bool:
        """One tick of everything; False when it is time to stop."""
        t = time.monotonic() - self.t0
        while self.faults and self.faults[0].at <= t:
            f = self.faults.pop(0)
            self._apply(f, True)
            if f.duration > 0:
                self.ends.append((f.at + f.duration, f))
        for end in [e for e in self.ends if e[0] <= t]:
            self.ends.remove(end)
            self._apply(end[1], False)
        if self.next_press is not None and t >= self.next_press:
            self.device.press()
            self.next_press += self.args.press_every
        from machine import ResetCalled  # the shims' (on the path once a board is built)

        try:
            self.emu.tick_all()
        except ResetCalled:  # machine.reset() in this Python
            self.reboot()
        if getattr(self.device, "reset_called", False):  # ... in the MicroPython child
            self.reboot()
        for v in self.views:
            if v is self.png:
                self.png.poll(self.device)
            else:
                v.show(self.device)  # the status line may change without a new frame
        if not [v for v in self.views if v is not self.png and v is not self.text]:
            status = self.device.status(lines=False)
            if status != self._status:
                self._status = status
                print(f"{t:7.1f}s  {status}", file=sys.stderr, flush=True)
        if self.args.seconds is not None and t >= self.args.seconds:
            return False
        return not self.quit

    def reboot(self) -> None:
        """The board starts again on the same filesystem, boot.py first: what an update
        staged there does takes effect now."""
        print("nocturne emulate: machine.reset(): the board restarts", file=sys.stderr)
        self.device.close()
        self.device = self._build()
        self.emu.devices[:] = [self.device]

    def run(self) -> int:
        from nocturne_fw import app as A

        if self.window is not None:
            self.window.run(self.step, A.TICK_MS)
        else:
            from .views import open_keys

            keys = open_keys() if not self.args.headless else None
            period = A.TICK_MS / 1000
            nxt = time.monotonic()
            try:
                while True:
                    if keys is not None:
                        self.key(keys.read())
                    if not self.step():
                        break
                    nxt += period
                    delay = nxt - time.monotonic()
                    if delay > 0:
                        time.sleep(delay)
                    else:
                        nxt = time.monotonic()
            except KeyboardInterrupt:
                pass
            finally:
                if keys is not None:
                    keys.close()
        self.close()
        return 0

    def close(self) -> None:
        for v in self.views:
            if v is not self.window:
                v.close()
        self.emu.close()
        if self._fs_tmp is not None:
            self._fs_tmp.cleanup()


def terminal_too_small(out: Any, scale: int) -> str | None:
    """Why the terminal ``out`` cannot show the panel at ``scale``, or None when it can (or
    is no terminal: then there is no size to wrap at)."""
    from .views import HEIGHT, WIDTH

    try:
        size = os.get_terminal_size(out.fileno())
    except (AttributeError, OSError, ValueError):
        return None
    if not size.columns or not size.lines:  # a pseudo-terminal no one sized: unknown
        return None
    need_cols, need_rows = WIDTH * scale, HEIGHT * scale // 2 + 2  # half blocks + 2 status
    if size.columns >= need_cols and size.lines >= need_rows:
        return None
    return (
        f"the terminal is {size.columns}x{size.lines} and the panel needs {need_cols}x"
        f"{need_rows}; make it bigger (or the font smaller), or use --window or --png DIR"
    )


def run(args: argparse.Namespace) -> int:
    """``nocturne emulate`` with parsed options."""
    from ..config.model import ConfigError
    from .errors import EmulatorError

    if args.png_every is not None and not args.png:
        print("nocturne emulate: --png-every needs --png DIR", file=sys.stderr)
        return 2
    if not (args.window or args.headless):
        small = terminal_too_small(sys.stdout, args.scale or 1)
        if small:
            print(f"nocturne emulate: {small}", file=sys.stderr)
            return 2
    try:
        session = Session(args)
    except (EmulatorError, ConfigError) as exc:
        print(f"nocturne emulate: {exc}", file=sys.stderr)
        return 2
    except ImportError as exc:  # tkinter missing
        print(
            f"nocturne emulate: {exc}; install Python's Tk support or drop --window",
            file=sys.stderr,
        )
        return 2
    with_term = signal.getsignal(signal.SIGTERM)
    with contextlib.suppress(ValueError):  # ValueError: not the main thread
        signal.signal(signal.SIGTERM, lambda *_: setattr(session, "quit", True))
    try:
        return session.run()
    finally:
        with contextlib.suppress(ValueError):
            signal.signal(signal.SIGTERM, with_term)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m nocturne.emulator", description=__doc__)
    configure_parser(parser)
    return run(parser.parse_args(argv))
