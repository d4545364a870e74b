"""secrets.py for the board: the LAN address, the values, their checks and the rendering.

``SERVER_HOST = ""`` (the default) makes the board find its PC by the discovery query
(PROTOCOL.md); ``SERVER_NAME`` picks one PC when several answer; ``SERVER_TOKEN`` is the
board's pairing token (config.json ``device_tokens``), sent as ``HELO <token>``.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass

from .errors import FlashError

BOARDS = ("v3", "v4", "v4r8")  # --board and secrets.BOARD (the firmware takes any case)
DEFAULT_BOARD = "v4"
# Placeholder for the LAN probe: a TEST-NET-1 address (RFC 5737), never routed; UDP connect()
# only picks the outgoing interface and sends nothing.
_PROBE_ADDRESS = ("192.0.2.1", 9)


def lan_ip() -> str:
    """This machine's address on the network its default route uses.

    A UDP socket ``connect()`` only chooses the outgoing interface; nothing is sent.
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        sock.connect(_PROBE_ADDRESS)
        address = str(sock.getsockname()[0])
    except OSError as exc:
        raise FlashError(
            "Could not find this PC's network address (no network?). Pass the address the "
            "board should connect to with --host, e.g. --host 192.168.1.20"
        ) from exc
    finally:
        sock.close()
    if address.startswith("127.") or address == "0.0.0.0":
        raise FlashError(
            f"This PC's address looks like {address}, which the board cannot reach. "
            "Pass the PC's LAN address with --host, e.g. --host 192.168.1.20"
        )
    return address


@dataclass(frozen=True)
class Secrets:
    ssid: str
    password: str
    host: str  # "" = find the PC by discovery
    port: int
    board: str = DEFAULT_BOARD
    server_name: str = ""  # which PC when several answer discovery; "" = the first
    token: str = ""  # the pairing token; "" = a bare HELO


def render_secrets(secrets: Secrets, *, mask_password: bool = False) -> str:
    """secrets.py for the board: Python literals written with repr(), UTF-8. With
    ``mask_password`` the WiFi password and the token are shown as stars."""
    password = "*" * 8 if mask_password and secrets.password else secrets.password
    token = "*" * 8 if mask_password and secrets.token else secrets.token
    return (
        "# Written by `nocturne flash`. Run it again to change these, or edit this file\n"
        "# on the board (mpremote edit :secrets.py).\n"
        f"WIFI_SSID = {secrets.ssid!r}\n"
        f"WIFI_PASSWORD = {password!r}\n"
        f"SERVER_HOST = {secrets.host!r}\n"
        f"SERVER_PORT = {int(secrets.port)!r}\n"
        f"SERVER_NAME = {secrets.server_name!r}\n"
        f"SERVER_TOKEN = {token!r}\n"
        f"BOARD = {secrets.board.lower()!r}\n"
    )


def check_secrets(secrets: Secrets) -> list[str]:
    """FlashError for values the board cannot use; a list of warnings for doubtful ones."""
    ssid_len = len(secrets.ssid.encode("utf-8"))
    if not 1 <= ssid_len <= 32:
        raise FlashError(
            f"WiFi name {secrets.ssid!r} is {ssid_len} bytes long; a WiFi name (SSID) has "
            "1 to 32 bytes. Pass it with --ssid."
        )
    if len(secrets.password.encode("utf-8")) > 64:
        raise FlashError("The WiFi password is longer than 64 characters; WPA allows 8 to 63.")
    if secrets.host != secrets.host.strip() or " " in secrets.host:
        raise FlashError(f"--host {secrets.host!r}: an address has no spaces")
    if secrets.board.lower() not in BOARDS:
        raise FlashError(f"--board {secrets.board!r}: use one of {', '.join(BOARDS)}")
    warnings = []
    if 0 < len(secrets.password) < 8:
        warnings.append(
            "The WiFi password is shorter than 8 characters; WPA2 passwords have 8 to 63."
        )
    return warnings
