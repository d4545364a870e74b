"""What the web section's access keys may hold: the dashboard's password hash (the format
`nocturne web-password` writes; web/security.py makes and checks it) and which bind
addresses only this PC reaches (any other needs a password). Here, below web/, because
config.json is checked against them."""

from __future__ import annotations

import base64
import binascii
import ipaddress

SCHEME = "scrypt"


def parse_hash(text: str) -> tuple[int, int, int, bytes, bytes] | None:
    """(n, r, p, salt, key) of a stored hash; None when it is not one of ours."""
    parts = text.split("$")
    if len(parts) != 6 or parts[0] != SCHEME:
        return None
    try:
        n, r, p = (int(x) for x in parts[1:4])
        salt, key = base64.b64decode(parts[4], validate=True), base64.b64decode(parts[5])
    except (ValueError, binascii.Error):
        return None
    if not (2 <= n <= 2**20 and n & (n - 1) == 0 and 1 <= r <= 32 and 1 <= p <= 16):
        return None
    if len(salt) < 8 or len(key) < 16:
        return None
    return n, r, p, salt, key


def is_loopback(host: str) -> bool:
    """``127.0.0.1``, ``::1``, ``localhost``: an address only this machine reaches."""
    host = host.strip().strip("[]").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
