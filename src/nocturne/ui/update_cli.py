"""``nocturne update [BOARD|--all]``: update boards over the air now (issue 23), for
``"board_updates": "ask"`` (with ``"auto"`` the server does it on connect by itself).

It asks the running server on this machine through its dashboard API, as the dashboard's
page does: GET /api/csrf, then POST /api/boards/update with the page's Origin and the CSRF
token; with a dashboard password, HTTP Basic with the password asked on the terminal. The
server answers with the boards it started; each board's progress is then on the dashboard,
GET /api/devices and in ``nocturne doctor``.
"""

from __future__ import annotations

import argparse
import base64
import getpass
import json
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from ..config.model import ConfigError, default_config_path, load_config
from ..devices.pairing_status import WILDCARD_HOSTS
from ..safe_text import printable

TIMEOUT = 5.0


def add_subparser(subparsers: Any) -> argparse.ArgumentParser:
    """Register ``update`` on cli.py's sub-parsers; dispatch with ``run(args)``."""
    parser = subparsers.add_parser(
        "update",
        help="update a paired board's firmware over the air (or every board: --all)",
        description=(
            "Send the server's firmware to a connected paired board over its own link; the "
            "board checks it, restarts into it and goes back to the old version by itself if "
            "the new one does not come up. The server must be running."
        ),
    )
    parser.add_argument("board", nargs="?", help="the board's name (as in nocturne pair)")
    parser.add_argument("--all", action="store_true", help="every board that can take one")
    return parser


def run(args: argparse.Namespace) -> int:
    if bool(args.board) == bool(args.all):
        print("Name one board (nocturne update desk) or give --all.")
        return 2
    config_arg = getattr(args, "config", None)
    path = Path(config_arg) if config_arg else default_config_path()
    try:
        config = load_config(path).config
    except ConfigError as exc:
        print(exc)
        return 1
    if config.web is None:
        print(
            'The server has no dashboard ("web": null in config.json), which this command '
            'talks to: set "web", or let boards update on connect ("board_updates": "auto").'
        )
        return 1
    host = "127.0.0.1" if config.web.host in WILDCARD_HOSTS else config.web.host
    base = (
        f"http://[{host}]:{config.web.port}" if ":" in host else f"http://{host}:{config.web.port}"
    )
    body = {"all": True} if args.all else {"board": args.board}
    try:
        started = request_update(base, body)
    except (OSError, ValueError) as exc:
        print(f"No server answered at {base} ({exc}): start it (nocturne), then try again.")
        return 1
    if started is None:
        print("The dashboard password was refused.")
        return 1
    if not started:
        who = "No board" if args.all else f"Board {printable(args.board)}"
        print(
            f"{who} can take an update now: it is up to date, not connected, not paired, "
            "busy with one, its firmware predates updates (flash it once with nocturne "
            'flash), or "board_updates" is "off".'
        )
        return 1
    names = ", ".join(printable(name) for name in started)
    print(f"Updating {names}: each restarts into the new firmware once it checked out.")
    print("Follow it on the dashboard or with: nocturne doctor")
    return 0


def request_update(base: str, body: dict[str, Any]) -> list[str] | None:
    """POST /api/boards/update as the dashboard's page; the boards started, None when the
    password was wrong."""
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor())
    auth: dict[str, str] = {}
    csrf = _get_json(opener, base + "/api/csrf", auth)
    if csrf.get("login_required"):
        password = getpass.getpass("Dashboard password: ")
        token = base64.b64encode(f"nocturne:{password}".encode()).decode()
        auth = {"Authorization": f"Basic {token}"}
        csrf = _get_json(opener, base + "/api/csrf", auth)
        if csrf.get("login_required"):
            return None
    request = urllib.request.Request(
        base + "/api/boards/update",
        data=json.dumps(body).encode(),
        headers={
            "Content-Type": "application/json",
            "Origin": base,
            "X-CSRF-Token": str(csrf.get("token") or ""),
            **auth,
        },
        method="POST",
    )
    try:
        with opener.open(request, timeout=TIMEOUT) as response:
            answer = json.loads(response.read(64 * 1024))
    except urllib.error.HTTPError as exc:
        if exc.code in (401, 403):
            return None
        raise
    started = answer.get("started") if isinstance(answer, dict) else None
    return [str(s) for s in started] if isinstance(started, list) else []


def _get_json(opener: urllib.request.OpenerDirector, url: str, headers: dict[str, str]) -> Any:
    with opener.open(urllib.request.Request(url, headers=headers), timeout=TIMEOUT) as response:
        document = json.loads(response.read(64 * 1024))
    if not isinstance(document, dict):
        raise ValueError("not a JSON object")
    return document
