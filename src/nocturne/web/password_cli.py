"""``nocturne web-password``: set (or clear) the dashboard's password in config.json.

Stored as ``web.password_hash`` (scrypt, security.py), never the password. It reads the
file as JSON without validating it first: the file may be refused right now precisely
because ``web.host`` is beyond this PC and has no password yet.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path
from typing import Any

from ..config import ConfigError, default_config_path
from ..config_file import file_is_missing, parse_json, read_text
from ..pairing_config import write_config_file
from ..safe_text import printable
from .security import hash_password, is_loopback

MIN_LENGTH = 8


def add_subparser(subparsers: Any) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "web-password",
        help="set the dashboard's password (needed to serve it beyond this PC)",
        description="Asks for a password twice and stores its scrypt hash in config.json.",
    )
    parser.add_argument("--clear", action="store_true", help="remove the password")
    parser.add_argument(
        "--stdin", action="store_true", help="read the password from one line of stdin"
    )
    return parser


def _ask(stdin: bool) -> str | None:
    if stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("Dashboard password: ")
    if getpass.getpass("Again: ") != first:
        print("nocturne web-password: the two did not match; nothing changed", file=sys.stderr)
        return None
    return first


def run(args: argparse.Namespace) -> int:
    path = Path(args.config) if getattr(args, "config", None) else default_config_path()
    try:
        data = {} if file_is_missing(path) else parse_json(path, read_text(path))
        if not isinstance(data, dict):
            raise ConfigError(f"{path}: expected a JSON object at the top")
        web = data.get("web")
        web = dict(web) if isinstance(web, dict) else {}
        if args.clear:
            web.pop("password_hash", None)
        else:
            password = _ask(args.stdin)
            if password is None:
                return 1
            if len(password) < MIN_LENGTH:
                print(f"nocturne web-password: use {MIN_LENGTH} characters or more",
                      file=sys.stderr)  # fmt: skip
                return 1
            web["password_hash"] = hash_password(password)
        if data.get("web") is not None or web:
            data["web"] = web
        write_config_file(path, data)
    except ConfigError as exc:
        print(f"nocturne web-password: {printable(exc)}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"nocturne web-password: cannot write {path}: {exc.strerror or exc}",
              file=sys.stderr)  # fmt: skip
        return 2
    host = web.get("host", "127.0.0.1")
    if args.clear:
        print(f"Removed the dashboard's password from {path}.")
    else:
        print(f"Set the dashboard's password in {path}; restart the server to use it.")
        if is_loopback(str(host)):
            print('To open the dashboard to the network, set "web": {"host": "0.0.0.0"}.')
    return 0
