"""``nocturne flash``'s options, checking them into a FlashPlan, and running it."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..config import default_config_path
from .board_secrets import BOARDS, DEFAULT_BOARD
from .commands import Runner, check_tools_present, run_command
from .errors import FlashError
from .image import check_firmware_image
from .pair import pairing_name, record_pairing, server_text
from .plan import FlashPlan, describe_plan, execute_plan
from .ports import check_port_access, choose_port
from .prompts import gather_secrets
from .release import PINNED
from .staging import DRY_RUN_STAGE, find_firmware_dir, firmware_files


def build_plan(args: argparse.Namespace, **secrets_kw: Any) -> FlashPlan:
    """Check every option and work out what to run; touches nothing."""
    image = Path(args.firmware).expanduser() if args.firmware else None
    if image is not None:
        check_firmware_image(image)
    firmware_dir = find_firmware_dir(Path(args.firmware_dir) if args.firmware_dir else None)
    files = tuple(firmware_files(firmware_dir))
    port = choose_port(args.port)
    secrets = gather_secrets(args, **secrets_kw)
    config_path = Path(args.config) if getattr(args, "config", None) else default_config_path()
    return FlashPlan(
        port=port,
        firmware_dir=firmware_dir,
        files=files,
        secrets=secrets,
        stage_dir=DRY_RUN_STAGE,
        image=image.resolve() if image is not None else None,
        erase=not args.no_erase,
        pair_name=pairing_name(args, config_path) if secrets.token else None,
        config_path=config_path,
        compile=not getattr(args, "source", False),
        release=PINNED if image is None else None,
    )


def configure_parser(
    parser: argparse.ArgumentParser, *, with_config: bool = True
) -> argparse.ArgumentParser:
    """Add ``nocturne flash``'s options to ``parser`` (``--config`` too unless told not to:
    cli.py adds ``--config`` to every sub-command itself)."""
    parser.add_argument("--port", help="the board's serial port (default: find it)")
    parser.add_argument(
        "--firmware",
        metavar="FILE.bin",
        help="MicroPython image for ESP32_GENERIC_S3 to write first (erases the board); "
        "default: when the board does not answer as MicroPython, the release NOCTURNE_OS is "
        f"tested against ({PINNED.version}), downloaded once and its SHA-256 checked",
    )
    parser.add_argument(
        "--no-erase",
        action="store_true",
        help="with --firmware: write without erasing first (keeps the board's files)",
    )
    parser.add_argument("--ssid", help="WiFi name for the board")
    parser.add_argument("--password", help='WiFi password ("" for an open network)')
    parser.add_argument(
        "--host",
        help="address the board connects to (default: none, the board finds the PC on its "
        "network; 'auto': this PC's LAN address now)",
    )
    parser.add_argument(
        "--server-name",
        metavar="PC",
        help="with no --host: the PC to pick when several answer (its name; default: any)",
    )
    parser.add_argument(
        "--name",
        metavar="BOARD",
        help="this board's name in config.json device_tokens (default: board, board-2, ...)",
    )
    parser.add_argument(
        "--no-pair",
        action="store_true",
        help="no token: the board is served only while no board is paired (or allow_unpaired)",
    )
    parser.add_argument(
        "--board",
        type=str.lower,
        choices=BOARDS,
        default=DEFAULT_BOARD,
        help="Heltec board: v3, v4, or v4r8 for the V4 rev 4.3 'R8' (default: v4)",
    )
    parser.add_argument(
        "--firmware-dir", metavar="DIR", help="folder to copy to the board (default: firmware/)"
    )
    parser.add_argument(
        "--source",
        action="store_true",
        help="copy the modules as .py (default: compiled to .mpy with mpy-cross for the "
        "board's MicroPython: less RAM, a faster start)",
    )
    parser.add_argument(
        "--dry-run", action="store_true", help="print the esptool/mpremote commands; run nothing"
    )
    if with_config:
        parser.add_argument("--config", metavar="PATH", help="config.json (for the port)")
    return parser


def add_subparser(subparsers: Any, *, with_config: bool = False) -> argparse.ArgumentParser:
    """Register ``flash`` on cli.py's sub-parsers; dispatch with ``run(args)``.

    ``--config`` is left to cli.py, which adds it (default SUPPRESS) to every sub-command.
    """
    parser = subparsers.add_parser(
        "flash",
        help="put MicroPython and the NOCTURNE firmware on a Heltec board",
        description=(
            "Find the board, write MicroPython when it has none (or --firmware), copy the firmware "
            "and a secrets.py with the WiFi and server settings, and reset the board."
        ),
    )
    configure_parser(parser, with_config=with_config)
    return parser


def run(args: argparse.Namespace, runner: Runner = run_command) -> int:
    """``nocturne flash`` with parsed options; 0 on success, 1 (with a message) on failure."""
    try:
        plan = build_plan(args)
        if args.dry_run:
            sys.stdout.write(describe_plan(plan))
            return 0
        check_tools_present(plan.image is not None or plan.release is not None)
        check_port_access(plan.port)
        sec = plan.secrets
        print(
            f"Board {sec.board.upper()} on {plan.port}: WiFi {sec.ssid!r}, server "
            f"{server_text(sec)}; {len(plan.files)} files from {plan.firmware_dir}",
            flush=True,
        )
        # before the copy: a board that runs has a token the server knows
        execute_plan(plan, runner, before_copy=lambda: record_pairing(plan))
    except FlashError as exc:
        print(f"nocturne flash: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nnocturne flash: stopped", file=sys.stderr)
        return 130
    print(
        f"Done. The board restarts and connects to {plan.secrets.ssid!r}, then to "
        f"{server_text(plan.secrets)}."
    )
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """``nocturne flash`` as a stand-alone command line (argv without the program name)."""
    parser = configure_parser(argparse.ArgumentParser(prog="nocturne flash"))
    return run(parser.parse_args(None if argv is None else list(argv)))
