"""``nocturne emulate``'s command line: its options and the faults it can inject."""

from __future__ import annotations

import argparse
from dataclasses import dataclass

from .views import COLOURS

FAULT_KINDS = ("wifi", "stall", "garbage", "reset", "refuse")


@dataclass
class Fault:
    kind: str
    at: float  # seconds after start
    duration: float = 0.0  # for wifi / stall / refuse: how long it lasts (0 = for good)


def parse_fault(spec: str) -> Fault:
    """``KIND@SECONDS[:DURATION]``, e.g. ``wifi@10:5`` = WiFi gone from 10 s to 15 s."""
    try:
        kind, _, when = spec.partition("@")
        at, _, dur = when.partition(":")
        fault = Fault(kind.strip().lower(), float(at), float(dur) if dur else 0.0)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{spec!r}: expected KIND@SECONDS[:DURATION], e.g. wifi@10:5"
        ) from None
    if fault.kind not in FAULT_KINDS:
        raise argparse.ArgumentTypeError(
            f"{spec!r}: unknown fault {fault.kind!r} (known: {', '.join(FAULT_KINDS)})"
        )
    return fault


def configure_parser(p: argparse.ArgumentParser, *, with_config: bool = True) -> None:
    p.add_argument(
        "--host",
        default="127.0.0.1",
        help='server to connect to (default: this PC); "" = find it on the LAN (discovery)',
    )
    p.add_argument(
        "--server-name",
        metavar="NAME",
        default=None,
        help="SERVER_NAME: the PC to pick when several answer the search",
    )
    p.add_argument("--token", default=None, help="SERVER_TOKEN: the board's pairing token")
    p.add_argument(
        "--port", type=int, default=None, help="server port (default: the config's port)"
    )
    p.add_argument(
        "--secrets",
        metavar="PATH|none",
        default=None,
        help="use this secrets.py (as on the board); 'none' emulates a board without one",
    )
    p.add_argument("--board", choices=("v3", "v4", "v4r8"), default="v4", help="board revision")
    p.add_argument("--window", action="store_true", help="show the panel in a window (Tkinter)")
    p.add_argument("--png", metavar="DIR", help="write the panel as PNG frames into DIR")
    p.add_argument(
        "--png-every",
        metavar="MS",
        type=int,
        default=None,
        help="with --png: one frame every MS ms instead of one per change",
    )
    p.add_argument("--headless", action="store_true", help="no terminal view (status lines only)")
    p.add_argument(
        "--text",
        action="store_true",
        help="print a line 'text [strings]' for every new frame: the text on the glass, in "
        "reading order, read off the pixels with the firmware's fonts (with --headless)",
    )
    p.add_argument("--scale", type=int, default=None, help="pixel scale (terminal 1, else 4)")
    p.add_argument(
        "--colour", "--color", choices=tuple(COLOURS), default="white", help="lit pixels' colour"
    )
    p.add_argument("--seconds", type=float, default=None, help="quit after this many seconds")
    p.add_argument(
        "--press-every",
        metavar="S",
        type=float,
        default=None,
        help="press the button (short) every S seconds: walks the carousel",
    )
    p.add_argument(
        "--fault",
        action="append",
        type=parse_fault,
        default=[],
        metavar="KIND@S[:D]",
        help=f"inject a fault at S seconds for D seconds; KIND: {', '.join(FAULT_KINDS)}",
    )
    p.add_argument(
        "--fs",
        metavar="DIR",
        help="the board's filesystem (settings.json); default: a fresh temporary one. When it "
        "holds firmware (main.py and nocturne_fw/, as nocturne flash or an update leaves "
        "them) the board runs those files, boot.py first",
    )
    p.add_argument(
        "--firmware",
        "--firmware-dir",
        dest="firmware",
        metavar="DIR",
        help="firmware directory when --fs holds none (default: $NOCTURNE_FIRMWARE, the "
        "installed copy, the checkout)",
    )
    p.add_argument(
        "--runtime",
        choices=("cpython", "micropython"),
        default="cpython",
        help="cpython (the default): the firmware runs in this Python; micropython: under "
        "the MicroPython unix port, as on the board",
    )
    p.add_argument(
        "--mpy",
        action="store_true",
        help="with --runtime micropython: run the modules as .mpy, compiled with mpy-cross "
        "as nocturne flash copies them to a board",
    )
    p.add_argument(
        "--heap",
        metavar="SIZE",
        type=_heap_size,
        default=None,
        help="with --runtime micropython: MicroPython's heap, e.g. 192k (default 256k)",
    )
    if with_config:
        p.add_argument("--config", metavar="PATH", help="config.json whose port to use")


def _heap_size(spec: str) -> int:
    from .mp_command import parse_heap

    return parse_heap(spec)
