"""Linux: the user idle time from logind's session properties ``IdleHint`` /
``IdleSinceHint`` on the system bus (see the package's text). dbus-fast is imported when a
bus is opened, so this module imports on every platform."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from . import IdleUnavailable

if TYPE_CHECKING:
    from dbus_fast import Message
    from dbus_fast.aio import MessageBus

log = logging.getLogger(__name__)

LOGIND = "org.freedesktop.login1"
MANAGER_PATH = "/org/freedesktop/login1"
MANAGER = "org.freedesktop.login1.Manager"
SESSION = "org.freedesktop.login1.Session"
USER = "org.freedesktop.login1.User"
PROPERTIES = "org.freedesktop.DBus.Properties"
# Without a system bus or a session, looking again costs a D-Bus round trip (or a failed
# connect) for an answer that rarely changes: look again after this long, doubling to the cap.
RETRY_FIRST_S = 15.0
RETRY_MAX_S = 300.0
NO_SESSION = "/"  # logind's object path for "none" (User.Display without a graphical session)


class LogindIdle:
    """``IdleHint`` / ``IdleSinceHint`` of the user's logind session (see the module text)."""

    name = "User idle time (logind)"
    interval = 1.0

    def __init__(
        self,
        bus_address: str | None = None,
        *,
        wall_clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
        uid: int | None = None,
        pid: int | None = None,
    ) -> None:
        self.bus_address = bus_address
        self._clock = wall_clock
        self._uid = os.getuid() if uid is None and hasattr(os, "getuid") else (uid or 0)
        self._pid = os.getpid() if pid is None else pid
        self._bus: MessageBus | None = None
        self.session: str | None = None  # the session's object path, once found
        self._said: set[str] = set()  # what was logged already (once each)
        self._monotonic = monotonic
        self._look_at = 0.0  # when to look for the bus / the session again
        self._look_gap = RETRY_FIRST_S

    async def read(self) -> float | None:
        if self.session is None and self._monotonic() < self._look_at:
            return None  # no bus or no session a moment ago: not worth a round trip yet
        bus = await self._connect()
        if bus is None:
            self._look_later()
            return None  # the power watcher has said the bus is unreachable: one line is enough
        if self.session is None:
            self.session = await self._find_session(bus)
            if self.session is None:
                self._look_later()
                return None
            self._look_gap = RETRY_FIRST_S
        try:
            props = await self._call(bus, self.session, PROPERTIES, "GetAll", "s", [SESSION])
        except IdleUnavailable:
            self.session = None  # the session ended: look for the current one next time
            raise
        return self.idle_seconds(props[0])

    def idle_seconds(self, props: dict[str, Any]) -> float | None:
        """Seconds idle from a Session's properties (``Variant``s); None: not reported."""
        hint = props.get("IdleHint")
        since = props.get("IdleSinceHint")
        idle = bool(hint.value) if hint is not None else False
        since_us = int(since.value) if since is not None else 0
        if since_us == 0:
            return None  # the session never said (no desktop sets the hint)
        if not idle:
            return 0.0  # active, as far as the session's idle delay can tell
        return max(0.0, self._clock() - since_us / 1e6)

    def _look_later(self) -> None:
        self._look_at = self._monotonic() + self._look_gap
        self._look_gap = min(self._look_gap * 2, RETRY_MAX_S)

    def _once(self, level: int, text: str) -> None:
        if text not in self._said:
            self._said.add(text)
            log.log(level, "No user idle time (uid): %s", text)

    async def _connect(self) -> MessageBus | None:
        if self._bus is not None and self._bus.connected:
            return self._bus
        from ...power._linux import connect_system_bus

        self.session = None
        try:
            self._bus = await connect_system_bus(self.bus_address)
        except OSError as exc:
            self._once(logging.DEBUG, str(exc))
            return None
        return self._bus

    async def _find_session(self, bus: MessageBus) -> str | None:
        """The user's graphical session, else this process's; None when there is none."""
        try:
            (user,) = await self._call(bus, MANAGER_PATH, MANAGER, "GetUser", "u", [self._uid])
            (display,) = await self._call(bus, user, PROPERTIES, "Get", "ss", [USER, "Display"])
            path = display.value[1]
            if path and path != NO_SESSION:
                return str(path)
        except IdleUnavailable as exc:
            log.debug("No logind user session: %s", exc)
        try:
            (path,) = await self._call(
                bus, MANAGER_PATH, MANAGER, "GetSessionByPID", "u", [self._pid]
            )
        except IdleUnavailable as exc:
            self._once(logging.INFO, f"logind knows no session of this user ({exc})")
            return None
        return str(path)

    async def _call(
        self, bus: MessageBus, path: str, interface: str, member: str, signature: str, body: list
    ) -> list[Any]:
        from dbus_fast import Message, MessageType

        reply: Message | None = await bus.call(
            Message(
                destination=LOGIND,
                path=path,
                interface=interface,
                member=member,
                signature=signature,
                body=body,
            )
        )
        if reply is None or reply.message_type == MessageType.ERROR:
            from ...safe_text import printable

            why = reply.error_name if reply is not None else "no reply"
            detail = f": {reply.body[0]}" if reply is not None and reply.body else ""
            raise IdleUnavailable(printable(f"logind {member} failed ({why}{detail})"))
        return list(reply.body)

    async def close(self) -> None:
        if self._bus is not None:
            self._bus.disconnect()
            self._bus = None
