"""UI: how a person starts and sees the server.

``cli`` is the ``nocturne`` command; ``tray`` the system-tray app, with the server on a
``server_thread``; ``doctor`` is ``nocturne sensors`` and ``nocturne doctor``; ``autostart``
registers the server to start at log-in (a backend per platform); ``pair_cli`` is
``nocturne pair``."""

from __future__ import annotations

import importlib

# The public face, name -> the module that defines it. Imported on first use (PEP 562), so
# importing the package costs nothing and pulls in no optional dependency.
_FACE = {
    "main": "cli",
    "ServerThread": "server_thread",
    "ServerStatus": "server_thread",
    "for_this_platform": "autostart",
    "Autostart": "autostart",
}
__all__ = sorted(_FACE)


def __getattr__(name: str) -> object:
    if name not in _FACE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f".{_FACE[name]}", __name__), name)
