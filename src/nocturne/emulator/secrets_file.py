"""A board's ``secrets``: made from a host and port, or read from a secrets.py."""

from __future__ import annotations

import importlib.util
import os
import types
from pathlib import Path

from .errors import EmulatorError

NEEDED = ("WIFI_SSID", "WIFI_PASSWORD", "SERVER_HOST")  # main.py's _NEEDED


def make_secrets(
    host: str = "127.0.0.1",
    port: int = 8090,
    board: str = "v4",
    ssid: str = "EMULATED",
    *,
    name: str | None = None,
    token: str | None = None,
) -> types.SimpleNamespace:
    """A ``secrets`` module for the board, as secrets.example.py describes it: ``host`` ""
    makes the board search for its PC (``name``: SERVER_NAME, which one); ``token``:
    SERVER_TOKEN. Without ``name``/``token`` the module lacks those names, like a secrets.py
    of the original firmware."""
    secrets = types.SimpleNamespace(
        WIFI_SSID=ssid,
        WIFI_PASSWORD="emulated",
        SERVER_HOST=host,
        SERVER_PORT=port,
        BOARD=board,
    )
    if name is not None:
        secrets.SERVER_NAME = name
    if token is not None:
        secrets.SERVER_TOKEN = token
    return secrets


def no_secrets() -> types.SimpleNamespace:
    """What a board without a usable secrets.py holds: none of the needed names."""
    return types.SimpleNamespace()


def load_secrets_file(path: str | os.PathLike[str]) -> types.ModuleType | None:
    """A secrets.py as the board would import it; None when it lacks a needed name (the
    firmware then shows its "no secrets" screen, as on a board with a broken file)."""
    p = Path(path)
    if not p.is_file():
        return None
    spec = importlib.util.spec_from_file_location("nocturne_emulated_secrets", p)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(mod)
    except Exception as exc:  # a syntax error on the board: the import fails the same way
        raise EmulatorError(f"{p}: {exc.__class__.__name__}: {exc}") from exc
    for name in NEEDED:
        if not isinstance(getattr(mod, name, None), str):
            return None
    return mod
