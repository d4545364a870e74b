"""Devices: the boards' side of the server.

``server`` owns the TCP sockets (accept, HELO and pairing, one writer per board, the
watchdog); ``outbox`` composes each board's line (the snapshot, power, other PCs, first-line
settings, commands); ``connection`` and ``liveness`` are one socket's state and what the
kernel says of it; ``pairing``, ``pairing_file`` and ``pairing_status`` are the tokens, their
edits in config.json and who is connected; ``discovery`` lets a board find its PC (UDP and
mDNS)."""

from __future__ import annotations

from ..lazy_face import lazy_face

# The public face, name -> the module that defines it, imported on first use (lazy_face.py).
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

__getattr__ = lazy_face(__name__, _FACE)
