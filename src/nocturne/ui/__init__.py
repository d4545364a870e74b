"""UI: how a person starts and sees the server.

``cli`` is the ``nocturne`` command; ``tray`` the system-tray app, with the server on a
``server_thread``; ``doctor`` is ``nocturne sensors`` and ``nocturne doctor``; ``autostart``
registers the server to start at log-in (a backend per platform); ``pair_cli`` is
``nocturne pair``."""

from __future__ import annotations

from ..lazy_face import lazy_face

# The public face, name -> the module that defines it, imported on first use (lazy_face.py).
_FACE = {
    "main": "cli",
    "ServerThread": "server_thread",
    "ServerStatus": "server_thread",
    "for_this_platform": "autostart",
    "Autostart": "autostart",
}
__all__ = sorted(_FACE)

__getattr__ = lazy_face(__name__, _FACE)
