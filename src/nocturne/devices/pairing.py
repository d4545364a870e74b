"""Which boards the server serves: the tokens of config.json ``device_tokens``.

A paired board says ``HELO <token>``. While no token is configured every board is served
(the original firmware, a first start). Once one is, a connection whose ``HELO`` carries no
token of a paired board is refused (closed at once, nothing sent) unless ``allow_unpaired``.

Tokens are compared exactly, in constant time: the offered token's bytes against every
configured token's with :func:`hmac.compare_digest`, so neither the time taken nor an early
exit tells which token (or how much of one) matched. A token never goes into a log line:
refusals name the address (counted per burst, pairing_tries.py), acceptances the board.

The server re-reads ``device_tokens`` when config.json changes (``nocturne pair`` while it
runs), before the next ``HELO`` or discovery answer: in a worker thread, waited for at most
READ_DEADLINE, never creating the file; a missing, empty or broken file (or a FIFO, a
directory) keeps the tokens in force, with one log line per change of its state.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import os
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from ..config.file import ConfigError
from .pairing_tries import RefusedTries

log = logging.getLogger(__name__)

TOKEN_BYTES = 16  # secrets.token_urlsafe(16): 22 URL-safe characters
READ_DEADLINE = 2.0  # seconds a re-read of config.json may take before HELOs go on without it
TROUBLE_LOG_INTERVAL = 10.0  # seconds between lines about config.json's state


def new_token() -> str:
    """A fresh device token: 22 URL-safe characters (128 random bits)."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def _exact(token: str) -> bytes:
    return token.encode("utf-8", "surrogatepass")


_Stamp = tuple[int, int, int]
# What a re-read found: the file's stamp and its tokens, or why they could not be read.
_Outcome = tuple[_Stamp | None, Mapping[str, str] | ConfigError]


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
        self._tokens: list[tuple[str, bytes]] = []
        self._set(tokens)
        self._path = config_path
        self._load = load_tokens
        self._stamp = self._file_stamp()
        self._clock = clock or time.monotonic
        self._tries = RefusedTries(self._clock)
        self._reading: asyncio.Task[None] | None = None
        self._trouble: str | None = None  # what is wrong with config.json now; None: nothing
        self._reported: str | None = None  # the state last logged
        self._reported_at: float | None = None
        self.refused = 0
        self.on_change: Callable[[], None] | None = None  # after the tokens were re-read

    def _set(self, tokens: Mapping[str, str]) -> None:
        self._tokens = [(board, _exact(token)) for board, token in tokens.items()]

    @property
    def boards(self) -> list[str]:
        """The paired boards' names, as in config.json."""
        return [board for board, _ in self._tokens]

    @property
    def required(self) -> bool:
        """True when a board must send a valid token to be served (the discovery answer)."""
        return bool(self._tokens) and not self.allow_unpaired

    def board_for(self, token: str | None) -> str | None:
        """The board whose token is exactly ``token``; None for none (or no token). Every
        configured token is compared with hmac.compare_digest, whose time does not depend
        on where the bytes differ."""
        offered = _exact(token) if token else b""
        found: str | None = None
        for board, exact in self._tokens:
            if hmac.compare_digest(offered, exact) and token:
                found = board
        return found

    def token_of(self, board: str) -> str | None:
        """The paired board ``board``'s token (its updates' HMAC key), None for none."""
        for name, exact in self._tokens:
            if name == board:
                return exact.decode("utf-8", "surrogatepass")
        return None

    def check(self, token: str | None, peer: str) -> Verdict:
        """Serve or refuse the connection from ``peer`` ("address:port") that said HELO.
        An address refused many times in a row waits a little before its next token counts."""
        if not self._tokens or self.allow_unpaired:
            return Verdict(True, self.board_for(token))
        address = peer.rsplit(":", 1)[0]
        if self._tries.must_wait(address):
            self.refused += 1
            self._tries.refused(address, "tried again before its wait was over")
            return Verdict(False, None)
        board = self.board_for(token)
        if board is not None:
            self._tries.admitted(address)
            return Verdict(True, board)
        self.refused += 1
        self._tries.refused(
            address, "sent no token" if not token else "sent a token of no paired board"
        )
        return Verdict(False, None)

    def flush(self) -> None:
        """Log the refusal bursts that have ended (the server's watchdog calls this)."""
        self._tries.flush()

    # --- config.json changes -------------------------------------------------------

    def _file_stamp(self) -> _Stamp | None:
        if self._path is None:
            return None
        try:
            st = os.stat(self._path)
        except OSError:
            return None
        return (st.st_ino, st.st_mtime_ns, st.st_size)  # a replaced file is a new inode

    def _read_if_changed(self) -> _Outcome | None:
        """In a worker thread: the stat, and the read when the file changed (None: it did
        not). Never creates the file: a missing one is a ConfigError like a broken one."""
        assert self._path is not None and self._load is not None
        stamp = self._file_stamp()
        if stamp == self._stamp and (stamp is not None or self._trouble is not None):
            return None
        try:
            return stamp, self._load(self._path)
        except ConfigError as exc:
            return stamp, exc
        except Exception as exc:  # whatever a strange file system raises: keep the tokens
            return stamp, ConfigError(f"{self._path}: cannot read it: {exc}")

    def refresh_soon(self) -> asyncio.Task[None] | None:
        """Start re-reading config.json in a worker thread unless a re-read is under way."""
        if self._path is None or self._load is None:
            return None
        if self._reading is None or self._reading.done():
            try:
                self._reading = asyncio.get_running_loop().create_task(self._reread())
            except RuntimeError:  # no loop (a synchronous caller): nothing to re-read with
                return None
        return self._reading

    async def refresh(self) -> None:
        """Re-read the tokens if config.json changed, waiting at most READ_DEADLINE: a file
        that does not answer (a network drive) leaves the tokens as they are."""
        task = self.refresh_soon()
        if task is None:
            return
        try:
            await asyncio.wait_for(asyncio.shield(task), READ_DEADLINE)
        except TimeoutError:
            self._report(f"{self._path}: took over {READ_DEADLINE:g} s to read")

    async def _reread(self) -> None:
        outcome = await asyncio.to_thread(self._read_if_changed)
        if outcome is None:
            self._report(self._trouble)
            return
        self._stamp, found = outcome
        if isinstance(found, ConfigError):
            self._trouble = str(found)
            self._report(self._trouble)
            return
        self._trouble = None
        self._report(None)
        before = self.boards
        self._set(found)
        if self.boards != before:
            log.info("Paired boards now: %s", ", ".join(self.boards) or "none")
        if self.on_change is not None:
            self.on_change()

    def _report(self, trouble: str | None) -> None:
        """One line per change of config.json's state, at most one per TROUBLE_LOG_INTERVAL
        (a file deleted and re-created in a loop costs a line every few seconds)."""
        if trouble == self._reported:
            return
        now = self._clock()
        if self._reported_at is not None and now - self._reported_at < TROUBLE_LOG_INTERVAL:
            return  # logged by a later call once the interval is over, if still so
        self._reported, self._reported_at = trouble, now
        if trouble is None:
            log.info("Paired boards re-read from %s again", self._path)
        else:
            log.warning(
                "Paired boards kept as they were (%s): %s",
                ", ".join(self.boards) or "none",
                trouble,
            )
