"""``nocturne flash``'s pairing step: the board's token goes into config.json
``device_tokens`` (under ``--name``) just before the files are copied to the board."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..config import ConfigError
from ..devices.pairing_file import check_board_name, next_board_name, pair_board
from .board_secrets import Secrets
from .errors import FlashError
from .plan import FlashPlan


def pairing_name(args: argparse.Namespace, config_path: Path) -> str:
    """The board's name in config.json: ``--name``, else the next free ``board-N``."""
    try:
        if getattr(args, "name", None):
            return check_board_name(args.name)
        return next_board_name(config_path)
    except ConfigError as exc:
        raise FlashError(str(exc)) from exc


def record_pairing(plan: FlashPlan) -> None:
    """Add the board's token to config.json (nothing when flashed with --no-pair)."""
    if plan.pair_name is None or not plan.secrets.token or plan.config_path is None:
        return
    try:
        _, replaced = pair_board(plan.config_path, plan.pair_name, plan.secrets.token)
    except (ConfigError, OSError) as exc:
        raise FlashError(f"Cannot add the board's token to config.json: {exc}") from exc
    what = "replaced the old token of" if replaced else "paired"
    print(f"{plan.config_path}: {what} board {plan.pair_name!r}", flush=True)


def server_text(secrets: Secrets) -> str:
    """Where the board goes: ``host:port``, or the PC it will look for."""
    if secrets.host:
        return f"{secrets.host}:{secrets.port}"
    who = f"the PC named {secrets.server_name!r}" if secrets.server_name else "the PC"
    return f"{who}, found on its network (port {secrets.port})"
