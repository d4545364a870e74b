"""The secrets.py values from the options, asking on a terminal for the missing ones."""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Callable
from pathlib import Path

from ..config import ConfigError, configured_port
from ..devices.pairing import new_token
from .board_secrets import Secrets, check_secrets, lan_ip
from .errors import FlashError

HOST_AUTO = "auto"


def _interactive() -> bool:
    try:
        return sys.stdin is not None and sys.stdin.isatty()
    except (AttributeError, ValueError):
        return False


def gather_secrets(
    args: argparse.Namespace,
    *,
    interactive: bool | None = None,
    ask: Callable[[str], str] = input,
    ask_secret: Callable[[str], str] = getpass.getpass,
) -> Secrets:
    """secrets.py values from the options, asking for the missing ones on a terminal."""
    tty = _interactive() if interactive is None else interactive
    ssid = args.ssid
    if ssid is None:
        if not tty:
            raise FlashError("No WiFi name given: pass it with --ssid NAME.")
        ssid = ask("WiFi name (SSID): ").strip()
        if not ssid:
            raise FlashError("No WiFi name given: pass it with --ssid NAME.")
    password = args.password
    if password is None:
        if not tty:
            raise FlashError(
                'No WiFi password given: pass it with --password (--password "" for an open '
                "network)."
            )
        password = ask_secret(f"WiFi password for {ssid} (empty for an open network): ")
    # No --host: the board finds the PC by discovery; --host auto: this PC's LAN address.
    host = (args.host or "").strip()
    if host.lower() == HOST_AUTO:
        host = lan_ip()
    config_path = Path(args.config) if getattr(args, "config", None) else None
    try:
        port = configured_port(config_path)
    except ConfigError as exc:
        raise FlashError(str(exc)) from exc
    secrets = Secrets(
        ssid=ssid,
        password=password,
        host=host,
        port=port,
        board=args.board,
        server_name=(getattr(args, "server_name", None) or "").strip(),
        token="" if getattr(args, "no_pair", False) else new_token(),
    )
    for warning in check_secrets(secrets):
        print(f"Warning: {warning}", file=sys.stderr)
    return secrets
