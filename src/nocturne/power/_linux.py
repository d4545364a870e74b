"""Linux: logind's PrepareForSleep(b) and PrepareForShutdown(b) on the system bus.

logind sends ``PrepareForSleep(true)`` just before suspending and ``PrepareForSleep(false)``
after the wake; ``PrepareForShutdown(true)`` before a power-off or reboot. It waits for
nobody unless asked: the watcher holds a *delay* inhibitor lock (``Inhibit("sleep:shutdown",
..., "delay")``), so the PC waits until the boards have been told (at most ANNOUNCE_TIMEOUT,
and never beyond logind's InhibitDelayMaxSec, 5 s by default), then lets it go, and takes a
new lock after the wake. The bus address can be given (tests run a private bus); the
default is the system bus (``DBUS_SYSTEM_BUS_ADDRESS`` or /run/dbus/system_bus_socket).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os

from dbus_fast import BusType, Message, MessageType
from dbus_fast.aio import MessageBus

from ..safe_text import printable
from . import ANNOUNCE_TIMEOUT, PowerEvents

log = logging.getLogger(__name__)

LOGIND = "org.freedesktop.login1"
MANAGER_PATH = "/org/freedesktop/login1"
MANAGER = "org.freedesktop.login1.Manager"
SIGNALS = ("PrepareForSleep", "PrepareForShutdown")
MATCH = f"type='signal',sender='{LOGIND}',path='{MANAGER_PATH}',interface='{MANAGER}'"
INHIBIT_WHAT = "sleep:shutdown"
INHIBIT_WHY = "Tell the desk displays that the PC is going"


async def connect_system_bus(address: str | None, *, unix_fds: bool = False) -> MessageBus:
    """The system bus (or the bus at ``address``). Raises OSError saying why not."""
    try:
        bus = MessageBus(bus_address=address, bus_type=BusType.SYSTEM, negotiate_unix_fd=unix_fds)
        return await bus.connect()
    except OSError as exc:
        raise OSError(f"cannot reach the system bus: {exc.strerror or exc}") from exc
    except Exception as exc:  # dbus-fast's own errors: a bad address, authentication
        raise OSError(f"cannot reach the system bus: {exc.__class__.__name__}: {exc}") from exc


class LogindWatcher:
    """Passes logind's sleep and shutdown signals to a PowerEvents."""

    name = "logind"

    def __init__(self, bus_address: str | None = None, *, inhibit: bool = True) -> None:
        self.bus_address = bus_address
        self.inhibit = inhibit
        self.inhibitor: int | None = None  # the delay lock's file descriptor while held
        self._bus: MessageBus | None = None
        self._events: PowerEvents | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self, events: PowerEvents) -> None:
        self._events = events
        bus = await connect_system_bus(self.bus_address, unix_fds=self.inhibit)
        self._bus = bus
        bus.add_message_handler(self._on_message)
        reply = await bus.call(
            Message(
                destination="org.freedesktop.DBus",
                path="/org/freedesktop/DBus",
                interface="org.freedesktop.DBus",
                member="AddMatch",
                signature="s",
                body=[MATCH],
            )
        )
        if reply is None or reply.message_type == MessageType.ERROR:
            await self.stop()
            raise OSError(f"the system bus refused to pass logind's signals: {_error(reply)}")
        await self._take_inhibitor()
        log.info("Power events: logind on the system bus (sleep and shutdown)")

    async def stop(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._release_inhibitor()
        if self._bus is not None:
            self._bus.disconnect()
            self._bus = None

    # --- signals ---

    def _on_message(self, msg: Message) -> None:
        if (
            msg.message_type != MessageType.SIGNAL
            or msg.interface != MANAGER
            or msg.path != MANAGER_PATH
            or msg.member not in SIGNALS
        ):
            return
        if msg.signature != "b" or not isinstance(msg.body[0], bool):
            log.warning(
                "logind sent %s with signature %r, not 'b': ignored", msg.member, msg.signature
            )
            return
        task = asyncio.ensure_future(self._handle(msg.member, msg.body[0]))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _handle(self, member: str, going: bool) -> None:
        events = self._events
        if events is None:
            return
        log.info("logind: %s(%s)", member, "true" if going else "false")
        if member == "PrepareForSleep":
            done = events.sleeping(going)
        else:
            done = events.shutting_down(going)
        if not going:
            await self._take_inhibitor()  # awake again (or the shutdown was called off)
            return
        try:
            await asyncio.wait_for(asyncio.wrap_future(done), ANNOUNCE_TIMEOUT)
        except asyncio.TimeoutError:
            log.warning("The boards were not told within %g s; letting the PC go", ANNOUNCE_TIMEOUT)
        except Exception:
            log.exception("Telling the boards about %s failed", member)
        finally:
            self._release_inhibitor()

    # --- the delay lock ---

    async def _take_inhibitor(self) -> None:
        if not self.inhibit or self.inhibitor is not None or self._bus is None:
            return
        reply = await self._bus.call(
            Message(
                destination=LOGIND,
                path=MANAGER_PATH,
                interface=MANAGER,
                member="Inhibit",
                signature="ssss",
                body=[INHIBIT_WHAT, "NOCTURNE_OS", INHIBIT_WHY, "delay"],
            )
        )
        if reply is None or reply.message_type == MessageType.ERROR or not reply.unix_fds:
            # Not fatal: the signals still come, the PC just does not wait for the boards.
            log.info(
                "logind gave no delay lock (%s): boards are told as the PC goes", _error(reply)
            )
            return
        index = reply.body[0] if reply.body and isinstance(reply.body[0], int) else 0
        fds = list(reply.unix_fds)
        self.inhibitor = fds.pop(index if 0 <= index < len(fds) else 0)
        for extra in fds:
            os.close(extra)

    def _release_inhibitor(self) -> None:
        fd, self.inhibitor = self.inhibitor, None
        if fd is not None:
            with contextlib.suppress(OSError):
                os.close(fd)


def _error(reply: Message | None) -> str:
    if reply is None:
        return "no reply"
    if reply.message_type != MessageType.ERROR:
        return "no file descriptor in the reply"
    text = str(reply.body[0]) if reply.body else ""
    return printable(f"{reply.error_name}: {text}" if text else str(reply.error_name))
