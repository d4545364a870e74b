"""Which firmware a board runs (issue 23): its ``fw:<version>`` line, kept per connection,
compared with the version this server would flash, listed by the doctor.

A board with the version file (``nocturne flash`` and the emulator write it:
nocturne.firmware_files) sends ``fw:<hex>`` right after ``HELO`` (PROTOCOL.md). The
version is hex digits of bounded length; anything else after ``fw:`` is logged once per
connection (escaped: it comes from the network) and ignored. A board that says nothing
has no known version: None, never a guess.
"""

from __future__ import annotations

import logging
from typing import Any

from ..safe_text import printable

log = logging.getLogger(__name__)

PREFIX = b"fw:"
MIN_CHARS = 4
MAX_CHARS = 64
_HEX = frozenset("0123456789abcdef")
INVALID = ""  # parse_firmware's answer for a fw: line whose version cannot be one


def parse_firmware(raw: bytes) -> str | None:
    """The version on a ``fw:`` line, INVALID ("") when the line is one but its version is
    malformed, None when ``raw`` is not a ``fw:`` line."""
    if not raw.startswith(PREFIX):
        return None
    text = raw[len(PREFIX) :].strip()
    if not MIN_CHARS <= len(text) <= MAX_CHARS:
        return INVALID
    version = text.decode("ascii", "replace")
    return version if set(version) <= _HEX else INVALID


def note_firmware(conn: Any, raw: bytes, version: str) -> None:
    """Keep a valid ``version`` on the connection (``conn.firmware``); log a malformed one
    once per connection and keep what was known."""
    if version != INVALID:
        if version != conn.firmware:
            log.info("Device %d (%s) runs firmware %s", conn.id, printable(conn.peer), version)
        conn.firmware = version
    elif not getattr(conn, "bad_firmware", False):
        conn.bad_firmware = True
        log.warning(
            "Device %d (%s) sent a malformed firmware version, ignored: %s",
            conn.id,
            printable(conn.peer),
            printable(raw[: MAX_CHARS + len(PREFIX)].decode("utf-8", "replace")),
        )


def firmware_current(version: str | None, ours: str | None) -> bool | None:
    """Whether ``version`` is ``ours``, the one this server would flash and update boards to
    (Updates.version: the firmware in config.json's ``firmware_dir``); None when either is
    unknown."""
    if version is None or ours is None:
        return None
    return version == ours


def doctor_lines(document: dict[str, Any] | None) -> list[str]:
    """One line per connected board from GET /api/devices: the firmware it runs."""
    if document is None:
        return []
    lines = []
    for d in document.get("devices") or []:
        if not isinstance(d, dict):
            continue
        who = printable(d.get("board") or d.get("peer"))
        version = d.get("firmware")
        if not isinstance(version, str):
            lines.append(f"board {who}: firmware version unknown (it does not report one)")
            continue
        state = {
            True: " (the server's own)",
            False: " (not the server's: nocturne flash updates it)",
        }
        lines.append(
            f"board {who}: firmware {printable(version)}" + state.get(d.get("firmware_current"), "")
        )
        update = d.get("update")
        rolled = update.get("rolled_back") if isinstance(update, dict) else None
        if isinstance(rolled, dict):  # issue 23: it took an update back
            lines.append(
                f"board {who}: rolled back firmware {printable(rolled.get('version'))} "
                f"({printable(rolled.get('why'))}); it runs {printable(version)}"
            )
    return lines
