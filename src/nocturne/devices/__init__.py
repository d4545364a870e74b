"""Devices: the boards' side of the server.

``server`` owns the TCP sockets (accept, HELO and pairing, one writer per board, the
watchdog); ``outbox`` composes each board's line (the snapshot, power, other PCs, first-line
settings, commands); ``connection`` and ``liveness`` are one socket's state and what the
kernel says of it; ``pairing``, ``pairing_file`` and ``pairing_status`` are the tokens, their
edits in config.json and who is connected; ``discovery`` lets a board find its PC (UDP and
mDNS)."""

from __future__ import annotations

import importlib

# The public face, name -> the module that defines it. Imported on first use (PEP 562), so
# importing the package costs nothing and pulls in no optional dependency.
_FACE = {
    "DeviceServer": "server",
    "DeviceInfo": "server",
    "Outbox": "outbox",
    "Pairing": "pairing",
    "new_token": "pairing",
    "pairing_from_config": "pairing_file",
    "pair_board": "pairing_file",
    "unpair_board": "pairing_file",
    "devices_document": "pairing_status",
    "Discovery": "discovery",
    "DiscoverySettings": "discovery",
    "pc_name": "discovery",
}
__all__ = sorted(_FACE)


def __getattr__(name: str) -> object:
    if name not in _FACE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f".{_FACE[name]}", __name__), name)
