"""``nocturne pair``: pair a board that is already flashed, list and remove paired boards.

``nocturne pair desk`` makes a token, adds it to config.json ``device_tokens`` and prints
the line to put in the board's secrets.py; the running server reads it at the board's next
``HELO``. The token is printed there and nowhere else (``--list`` shows names only).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from ..config.file import ConfigError, file_is_missing
from ..config.model import default_config_path, load_config
from ..devices.pairing_file import (
    board_names,
    next_board_name,
    pair_board,
    secrets_line,
    unpair_board,
)
from ..devices.pairing_status import fetch_connected, paired_lines
from ..safe_text import printable


def add_subparser(subparsers: Any) -> argparse.ArgumentParser:
    """Register ``pair`` on cli.py's sub-parsers; dispatch with ``run(args)``."""
    parser = subparsers.add_parser(
        "pair",
        help="pair a board: make its token (for its secrets.py); list or remove paired boards",
        description=(
            "Once a board is paired, the server serves only boards that send a paired token "
            "(HELO <token>), unless allow_unpaired is true in config.json."
        ),
    )
    parser.add_argument("name", nargs="?", help="the board's name (default: board, board-2, ...)")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--list", action="store_true", help="list the paired boards (no tokens)")
    group.add_argument("--remove", metavar="NAME", help="forget board NAME's token")
    return parser


def _config_path(args: argparse.Namespace) -> Path:
    config = getattr(args, "config", None)
    return Path(config) if config else default_config_path()


def run(args: argparse.Namespace) -> int:
    path = _config_path(args)
    try:
        if args.list:
            return _list(path)
        if args.remove is not None:
            if unpair_board(path, args.remove):
                print(f"Removed board {printable(args.remove)!r} from {path}")
                if not board_names(path):
                    print("No board is paired now: the server serves every board again.")
                return 0
            print(f"nocturne pair: no board named {printable(args.remove)!r} in {path}")
            return 1
        name = args.name if args.name is not None else next_board_name(path)
        token, replaced = pair_board(path, name)
    except ConfigError as exc:
        print(f"nocturne pair: {printable(exc)}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"nocturne pair: cannot write {path}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    what = "New token for" if replaced else "Paired"
    print(f"{what} board {printable(name)!r} in {path}.")
    if replaced:
        print("Its old token is refused from now on.")
    print("Put this line in the board's secrets.py (mpremote edit :secrets.py), then reset it:")
    print()
    print(f"    {secrets_line(token)}")
    print()
    print("Boards that send no paired token are refused from now on (see allow_unpaired).")
    return 0


def _list(path: Path) -> int:
    names = board_names(path)
    if not names:
        print(f"No paired boards in {path}: the server serves every board.")
        return 0
    web = None if file_is_missing(path) else load_config(path, environ={}).config.web
    connected = fetch_connected(web)
    for line in paired_lines(names, connected):
        print(printable(line))
    if connected is None:
        print("(the server does not answer on its web endpoint: connections unknown)")
    return 0
