"""Which paired boards are connected: the server's device list as JSON (GET /api/devices on
the web endpoint), read back by `nocturne pair --list` and `nocturne doctor`, and the
lines the tray, the list and the doctor show. Names only: never a token."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from ..config.model import WebSettings
from .server import DeviceInfo

DEVICES_PATH = "/api/devices"
WILDCARD_HOSTS = ("", "0.0.0.0", "::")


def devices_document(devices: Iterable[DeviceInfo], paired: Sequence[str]) -> dict[str, Any]:
    """``{"paired": [names], "devices": [{"id", "peer", "screen", "board", "firmware",
    "firmware_current", "survived", "update"}]}``."""
    return {
        "paired": list(paired),
        "devices": [
            {
                "id": d.id,
                "peer": d.peer,
                "screen": d.screen,
                "board": d.board,
                "firmware": d.firmware,
                "firmware_current": d.firmware_current,
                "survived": d.survived,
                "update": d.update,
            }
            for d in devices
        ],
    }


def fetch_connected(web: WebSettings | None, timeout: float = 1.0) -> set[str] | None:
    """The paired boards connected to the running server, from its web endpoint on this
    machine; None when no server answers there (not running, or ``"web": null``)."""
    document = fetch_devices(web, timeout)
    if document is None:
        return None
    return {
        d["board"]
        for d in document["devices"]
        if isinstance(d, dict) and isinstance(d.get("board"), str)
    }


def fetch_devices(web: WebSettings | None, timeout: float = 1.0) -> dict[str, Any] | None:
    """GET /api/devices of the running server on this machine; None when none answers."""
    if web is None:
        return None
    host = "127.0.0.1" if web.host in WILDCARD_HOSTS else web.host
    if ":" in host:
        host = f"[{host}]"
    url = f"http://{host}:{web.port}{DEVICES_PATH}"
    import urllib.request  # here: the running server (which imports this module) never asks

    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            document = json.loads(response.read(256 * 1024))
    except (OSError, ValueError):
        return None
    if not isinstance(document, dict) or not isinstance(document.get("devices"), list):
        return None
    return document


def paired_lines(paired: Sequence[str], connected: set[str] | None) -> list[str]:
    """One line per paired board: ``desk: connected``; without ``connected`` (server not
    reachable) the names alone."""
    if connected is None:
        return list(paired)
    return [f"{name}: {'connected' if name in connected else 'not connected'}" for name in paired]


def paired_summary(paired: Sequence[str], connected: set[str]) -> str:
    """One short line for the tray: ``Paired: desk ●, shelf ○`` (● connected)."""
    if not paired:
        return "Paired boards: none (every board is served)"
    marks = ", ".join(f"{name} {'●' if name in connected else '○'}" for name in paired)
    return f"Paired: {marks}"


def pairing_report(paired: Sequence[str], allow_unpaired: bool, connected: set[str] | None) -> str:
    """The doctor's line: which boards are paired, which connected, who else is served."""
    if not paired:
        return "pairing: no board paired, every board is served (pair one: nocturne pair NAME)"
    boards = ", ".join(paired_lines(paired, connected))
    others = "boards without a token are served too" if allow_unpaired else "only they are served"
    server = "" if connected is not None else " (server not reachable: connections unknown)"
    return f"pairing: {len(paired)} paired board(s): {boards}; {others}{server}"
