"""When a board gets an update, and what came of it (``board_updates`` in config.json).

Only a paired board (its token matched) that said ``ota:ready <nonce>`` on this connection
is ever offered one, and only when the version it reported is not the server's. With
``"auto"`` it starts at once, unless the latest snapshot carries an alert (then at the
first poll without one), and not for a version this board rolled back or refused three
times; with ``"ask"`` it starts when asked (``request``: ``nocturne update``, the
dashboard's POST); ``"off"``: never. The board's answers are logged once each, escaped (they
come from the network), and kept per board for GET /api/boards, GET /api/devices and the
doctor.

A board that says which ``.mpy`` version it loads (``ota:ready <nonce> <mpy>``) gets the
modules compiled for it, once per version and ``.mpy`` version (in a thread: the link goes
on); one that does not say, or whose version mpy-cross cannot write, gets the source, with
one line in the log.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

from ..firmware_files import server_firmware_version
from ..safe_text import printable
from .bundle import Bundle, load_bundle
from .lines import OtaLine, update_lines

log = logging.getLogger(__name__)

MODES = ("auto", "ask", "off")
TRIAL_S = 90  # s a new version has to draw live data before its board rolls it back
MAX_REFUSALS = 3  # "auto" stops offering a version a board refused this often


# flash/ota_compile.compile_bundle: the bundle compiled for a board's _mpy, or None and why
Compiler = Callable[[Bundle, int], tuple[Bundle | None, str]]


class Link(Protocol):
    """What an update needs of a device's connection (devices/connection.py)."""

    id: int
    board: str | None
    firmware: str | None
    closed: bool

    def write(self, data: bytes) -> None: ...

    @property
    def writer(self) -> asyncio.StreamWriter: ...


@dataclass
class _Session:
    nonce: str
    mpy: int | None = None  # the .mpy version the board loads (None: it did not say)
    state: str = "offered"  # offered, sending, staged, refused, failed
    sent: int = 0  # bytes of update lines written
    answered: bool = False  # the board said staged or refused: stop sending


@dataclass
class _Board:
    rolled_back: tuple[str, str] | None = None  # (version, why) the board reported
    refusals: dict[str, int] = field(default_factory=dict)  # version -> refusals
    last: str | None = None  # the last update's outcome, as shown


class Updates:
    def __init__(
        self,
        mode: str = "auto",
        *,
        firmware_dir: str = "",
        trial_s: int = TRIAL_S,
        token_of: Callable[[str], str | None] = lambda board: None,
        bundle: Bundle | None = None,
        compile_for: Compiler | None = None,
    ) -> None:
        self.mode = mode if mode in MODES else "auto"
        self.firmware_dir = firmware_dir
        self.trial_s = trial_s
        self.token_of = token_of
        self._bundle = bundle
        self._bundle_failed = False
        self.compile_for = compile_for  # None: every board gets the source
        # (version, mpy) -> the compiled bundle, or None and why mpy-cross could not
        self._compiled: dict[tuple[str, int], asyncio.Future[tuple[Bundle | None, str]]] = {}
        self._sessions: dict[int, _Session] = {}
        self._boards: dict[str, _Board] = {}
        self.spawn: Callable[[Awaitable[None]], object] = asyncio.ensure_future
        self.bytes_sent = 0  # all updates' lines, since start

    # --- the firmware ---

    def bundle(self) -> Bundle | None:
        """The firmware boards are updated to; None (logged once) when it cannot be read."""
        if self._bundle is None and not self._bundle_failed:
            try:
                self._bundle = load_bundle(self.firmware_dir)
            except Exception as exc:  # FirmwareNotFound, OSError: updates stay off
                self._bundle_failed = True
                log.warning("Board updates are off: the firmware cannot be read (%s)", exc)
        return self._bundle

    def version(self) -> str | None:
        """The version boards are compared with: the firmware's boards are updated to, read
        without loading it while none is (no warning while updates are off); None when
        there is none."""
        if self._bundle is not None:
            return self._bundle.version
        return server_firmware_version(self.firmware_dir)

    async def bundle_for(self, mpy: int | None, who: str) -> Bundle | None:
        """The firmware as a board that loads ``.mpy`` version ``mpy`` gets it: compiled
        for it, or the source (logged) when it did not say or mpy-cross cannot."""
        bundle = self.bundle()
        if bundle is None:
            return None
        if mpy is None or self.compile_for is None:
            why = "it did not say its .mpy version" if mpy is None else "no compiler given"
            log.info("Board %s gets the firmware as source: %s", who, why)
            return bundle
        key = (bundle.version, mpy)
        job = self._compiled.get(key)
        if job is None:
            job = asyncio.ensure_future(asyncio.to_thread(self.compile_for, bundle, mpy))
            self._compiled[key] = job
        compiled, why = await job
        if compiled is None:
            log.warning("Board %s gets the firmware as source: %s", who, printable(why))
            return bundle
        return compiled

    # --- lines from boards ---

    def on_line(self, conn: Link, line: OtaLine, alert: bool) -> None:
        board = conn.board
        if line.kind == "ready":
            if board is None:
                return  # not paired: never offered
            self._sessions[conn.id] = _Session(line.word, line.mpy)
            if self.mode == "auto":
                self.maybe_start(conn, alert)
            return
        who = printable(board or f"device {conn.id}")
        session = self._sessions.get(conn.id)
        record = self._boards.setdefault(board, _Board()) if board else _Board()
        if line.kind == "staged":
            record.last = f"staged {line.word}: restarting into it"
            log.info("Board %s staged firmware %s and restarts into it", who, line.word)
        elif line.kind == "refused":
            bundle = self._bundle
            if bundle is not None:
                n = record.refusals.get(bundle.version, 0) + 1
                record.refusals[bundle.version] = n
            record.last = f"refused: {line.why}"
            log.warning("Board %s refused the update: %s", who, printable(line.why))
        elif line.kind == "rolledback":
            got = (line.word, line.why)
            if record.rolled_back != got:
                record.rolled_back = got
                record.last = f"rolled back {line.word}: {line.why}"
                log.warning(
                    "Board %s rolled back firmware %s: %s",
                    who,
                    printable(line.word),
                    printable(line.why),
                )
        if session is not None and line.kind in ("staged", "refused"):
            session.answered = True
            session.state = line.kind

    def forget(self, conn_id: int) -> None:
        """The connection is gone (its update, if one ran, stops)."""
        session = self._sessions.pop(conn_id, None)
        if session is not None:
            session.answered = True

    # --- starting ---

    def offer(self, conn: Link) -> bool:
        """Whether ``conn`` can be updated now: paired, said ready, runs another version."""
        session = self._sessions.get(conn.id)
        bundle = self.bundle() if session is not None else None
        return (
            self.mode != "off"
            and conn.board is not None
            and session is not None
            and session.state not in ("sending", "staged")
            and bundle is not None
            and conn.firmware != bundle.version
            and self.token_of(conn.board) is not None
        )

    def maybe_start(self, conn: Link, alert: bool) -> bool:
        """ "auto": start ``conn``'s update unless an alert shows or the board already
        rolled back (or kept refusing) this version."""
        if self.mode != "auto" or alert or not self.offer(conn):
            return False
        bundle = self._bundle
        record = self._boards.get(conn.board or "")
        session = self._sessions[conn.id]
        if bundle is None or session.state != "offered":
            return False
        if record is not None and (
            (record.rolled_back and record.rolled_back[0] == bundle.version)
            or record.refusals.get(bundle.version, 0) >= MAX_REFUSALS
        ):
            return False
        self.start(conn)
        return True

    def tick(self, conns: Iterable[Link], alert: bool) -> None:
        """A poll: "auto" updates held back by an alert start once it is gone."""
        if self.mode == "auto" and not alert:
            for conn in conns:
                self.maybe_start(conn, alert)

    def request(self, conns: Iterable[Link], target: str | None) -> list[str]:
        """Start the update of the board named (or numbered) ``target``, or of every board
        that can take one (None); the names of those started."""
        started = []
        for conn in conns:
            if target is not None and target not in (conn.board, str(conn.id)):
                continue
            if self.offer(conn):
                self.start(conn)
                started.append(conn.board or str(conn.id))
        return started

    def start(self, conn: Link) -> None:
        session = self._sessions[conn.id]
        session.state = "sending"
        session.answered = False
        self.spawn(self._send(conn, session))

    async def _send(self, conn: Link, session: _Session) -> None:
        who = printable(conn.board)
        bundle = await self.bundle_for(session.mpy, who)
        token = self.token_of(conn.board or "")
        if bundle is None or token is None:
            session.state = "failed"
            return
        log.info(
            "Updating board %s from firmware %s to %s (%d files, %d bytes)",
            who,
            printable(conn.firmware),
            bundle.version,
            len(bundle.files),
            bundle.size,
        )
        try:
            for line in update_lines(bundle, token, session.nonce, self.trial_s):
                if conn.closed or session.answered:
                    break
                conn.write(line)
                session.sent += len(line)
                self.bytes_sent += len(line)
                await conn.writer.drain()
        except (ConnectionError, OSError):
            session.state = "failed"

    # --- what others show ---

    def describe(self, conn: Link) -> dict[str, Any] | None:
        """``{"available", "state", "rolled_back"}`` for GET /api/boards; None for a board
        that cannot take updates (not paired, or its firmware predates them)."""
        session = self._sessions.get(conn.id)
        record = self._boards.get(conn.board or "")
        if session is None and record is None:
            return None
        rolled = record.rolled_back if record is not None else None
        return {
            "available": self.offer(conn),
            "state": session.state if session is not None else None,
            "sent": session.sent if session is not None else 0,
            "last": record.last if record is not None else None,
            "rolled_back": {"version": rolled[0], "why": rolled[1]} if rolled else None,
        }
