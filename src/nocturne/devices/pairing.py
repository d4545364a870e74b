"""Which boards the server serves: the tokens of config.json ``device_tokens``.

A paired board says ``HELO <token>``. While no token is configured every board is served
(the original firmware, a first start). Once one is, a connection whose ``HELO`` carries no
token of a paired board is refused (closed at once, nothing sent) unless ``allow_unpaired``.

Tokens are compared in constant time: each configured token's SHA-256 against the offered
one's, every one of them, with :func:`hmac.compare_digest`, so neither the time taken nor
an early exit tells which token (or how much of one) matched. A token never goes into a log
line: refusals name the address, acceptances the board.

The server re-reads ``device_tokens`` when config.json changes (``nocturne pair`` while it
runs), at the next ``HELO``: a new board is served and a removed one refused from then on.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import secrets
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from ..safe_text import printable

log = logging.getLogger(__name__)

TOKEN_BYTES = 16  # secrets.token_urlsafe(16): 22 URL-safe characters
REFUSAL_LOG_INTERVAL = 600.0  # seconds before a refused address is logged again
MAX_REMEMBERED = 256  # addresses whose refusal was logged (the oldest forgotten first)


def new_token() -> str:
    """A fresh device token: 22 URL-safe characters (128 random bits)."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).digest()


@dataclass(frozen=True, slots=True)
class Verdict:
    admitted: bool
    board: str | None  # the paired board's name when its token matched


class Pairing:
    """The server's paired boards and its decision for each ``HELO``."""

    def __init__(
        self,
        tokens: Mapping[str, str],
        *,
        allow_unpaired: bool = False,
        config_path: Path | None = None,
        load_tokens: Callable[[Path], Mapping[str, str]] | None = None,
        clock: Callable[[], float] | None = None,
    ) -> None:
        self.allow_unpaired = allow_unpaired
        self._digests: list[tuple[str, bytes]] = []
        self._set(tokens)
        self._path = config_path
        self._load = load_tokens
        self._stamp = self._file_stamp()
        self._clock = clock or time.monotonic
        self._logged: OrderedDict[str, float] = OrderedDict()  # address -> when refused
        self.refused = 0
        self.on_change: Callable[[], None] | None = None  # after the tokens were re-read

    def _set(self, tokens: Mapping[str, str]) -> None:
        self._digests = [(board, _digest(token)) for board, token in tokens.items()]

    @property
    def boards(self) -> list[str]:
        """The paired boards' names, as in config.json."""
        return [board for board, _ in self._digests]

    @property
    def required(self) -> bool:
        """True when a board must send a valid token to be served (the discovery answer)."""
        return bool(self._digests) and not self.allow_unpaired

    def required_now(self) -> bool:
        """``required`` after re-reading a changed config.json (for the discovery answer)."""
        self.reload_if_changed()
        return self.required

    def board_for(self, token: str | None) -> str | None:
        """The board whose token ``token`` is; None for none (or no token). Constant time in
        the token's content: every configured token is compared, to the end."""
        offered = _digest(token if token is not None else "")
        found: str | None = None
        for board, digest in self._digests:
            if hmac.compare_digest(offered, digest) and token:
                found = board
        return found

    def check(self, token: str | None, peer: str) -> Verdict:
        """Serve or refuse the connection from ``peer`` ("address:port") that said HELO."""
        self.reload_if_changed()
        board = self.board_for(token)
        if board is not None:
            return Verdict(True, board)
        if not self._digests or self.allow_unpaired:
            return Verdict(True, None)
        self.refused += 1
        self._log_refusal(peer, token)
        return Verdict(False, None)

    def _log_refusal(self, peer: str, token: str | None) -> None:
        address = peer.rsplit(":", 1)[0]
        now = self._clock()
        last = self._logged.get(address)
        if last is not None and now - last < REFUSAL_LOG_INTERVAL:
            return
        self._logged[address] = now
        self._logged.move_to_end(address)
        while len(self._logged) > MAX_REMEMBERED:
            self._logged.popitem(last=False)
        why = "sent no token" if not token else "sent a token of no paired board"
        log.warning(
            "Refused a board from %s: it %s (pair it with: nocturne pair NAME, or set "
            '"allow_unpaired": true in config.json for the original firmware)',
            printable(address),
            why,
        )

    # --- config.json changes -------------------------------------------------------

    def _file_stamp(self) -> tuple[int, int, int] | None:
        if self._path is None:
            return None
        try:
            st = os.stat(self._path)
        except OSError:
            return None
        return (st.st_ino, st.st_mtime_ns, st.st_size)  # a replaced file is a new inode

    def reload_if_changed(self) -> None:
        """Re-read the tokens when config.json is a new file or has changed (a stat)."""
        if self._path is None or self._load is None:
            return
        stamp = self._file_stamp()
        if stamp is None or stamp == self._stamp:
            return
        self._stamp = stamp
        try:
            tokens = self._load(self._path)
        except Exception as exc:  # a half-edited file: keep the tokens we have
            log.warning("Paired boards not re-read from %s: %s", self._path, exc)
            return
        before = set(self.boards)
        self._set(tokens)
        if set(self.boards) != before:
            log.info("Paired boards now: %s", ", ".join(self.boards) or "none")
        if self.on_change is not None:
            self.on_change()
