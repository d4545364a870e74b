"""What a board survived (issue 20): its ``survived:`` line, logged once, listed by the doctor.

A board whose tick loop caught an exception (firmware survive.py) says so on the device ->
server line ``survived:<errors> <resets> <type>`` (PROTOCOL.md): exceptions caught since it
booted, resets it made itself (five failures within a minute) over its life, and the last
exception's type, ``-`` for none. It sends the line after each failure and on every
connect. The server logs it once per change (escaped: the text comes from the network) and
GET /api/devices carries it as ``survived``, which ``nocturne doctor`` lists per board.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from ..safe_text import printable

log = logging.getLogger(__name__)

PREFIX = b"survived:"
MAX_KIND = 40  # characters of the exception's type name kept
MAX_COUNT = 10**9


@dataclass(frozen=True, slots=True)
class Survived:
    """One board's ``survived:`` line."""

    errors: int  # exceptions its loop caught since it booted
    resets: int  # resets it made itself, all time
    last: str  # the last exception's type name, "" for none

    def describe(self) -> str:
        last = f" (last: {printable(self.last)})" if self.last else ""
        since = f"survived {self.errors} error(s) since boot{last}"
        return f"{since}, reset itself {self.resets} time(s)"


def parse_survived(raw: bytes) -> Survived | None:
    """The line's figures, or None when ``raw`` is not a well-formed ``survived:`` line."""
    if not raw.startswith(PREFIX):
        return None
    parts = raw[len(PREFIX) :].decode("utf-8", "replace").split()
    if len(parts) != 3 or not all(p.isascii() and p.isdigit() for p in parts[:2]):
        return None
    errors, resets = int(parts[0]), int(parts[1])
    if errors >= MAX_COUNT or resets >= MAX_COUNT:
        return None
    last = "" if parts[2] == "-" else parts[2][:MAX_KIND]
    return Survived(errors, resets, last)


def note_survived(conn: Any, survived: Survived) -> None:
    """Keep ``survived`` on the connection (``conn.survived``) and log it when it changed."""
    if survived == conn.survived:
        return
    conn.survived = survived
    log.warning("Device %d (%s) %s", conn.id, printable(conn.peer), survived.describe())


def doctor_lines(document: dict[str, Any] | None) -> list[str]:
    """One line per connected board that survived something, from GET /api/devices."""
    if document is None:
        return []
    lines = []
    for d in document.get("devices") or []:
        if not isinstance(d, dict) or not isinstance(d.get("survived"), str):
            continue
        who = d.get("board") or d.get("peer")
        lines.append(f"board {printable(who)}: {printable(d['survived'])}")
    return lines
