"""A private "system" D-Bus daemon and a stand-in for logind on it.

The daemon is the real dbus-daemon with a config of its own (type system, a socket in the
test's directory, a policy open to this user); the stand-in owns ``org.freedesktop.login1``
and exports what the server uses, with logind's real names and signatures:
``org.freedesktop.login1.Manager`` at /org/freedesktop/login1 (signals PrepareForSleep(b),
PrepareForShutdown(b); methods Inhibit(ssss) -> h, GetUser(u) -> o, GetSessionByPID(u) -> o),
a User (property Display (so)) and a Session (properties IdleHint b, IdleSinceHint t).
"""

# No `from __future__ import annotations`: dbus-fast reads the D-Bus signatures from the
# annotations as written.

import asyncio
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from dbus_fast import BusType, DBusError
from dbus_fast.aio import MessageBus
from dbus_fast.service import PropertyAccess, ServiceInterface, dbus_property, method, signal

from ..media_fixtures import dbus_daemon

LOGIND = "org.freedesktop.login1"
MANAGER_PATH = "/org/freedesktop/login1"
USER_PATH = "/org/freedesktop/login1/user/_1000"
SESSION_PATH = "/org/freedesktop/login1/session/_32"

BUS_CONFIG = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path={socket}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <allow own="*"/>
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
  </policy>
</busconfig>
"""


@pytest.fixture
def system_bus(tmp_path: Path) -> Iterator[str]:
    """A private dbus-daemon configured like a system bus; yields its address."""
    config = tmp_path / "system-bus.conf"
    config.write_text(BUS_CONFIG.format(socket=tmp_path / "system_bus_socket"), encoding="utf-8")
    yield from dbus_daemon(f"--config-file={config}")


class Manager(ServiceInterface):
    def __init__(self) -> None:
        super().__init__("org.freedesktop.login1.Manager")
        self.inhibits: list[tuple[str, str, str, str]] = []
        self.lock_ends: list[int] = []  # our read end of each lock handed out
        self.user_path: str | None = USER_PATH  # None: GetUser fails, as for a system user
        self.session_by_pid: str | None = SESSION_PATH

    @method()
    def Inhibit(self, what: "s", who: "s", why: "s", mode: "s") -> "h":  # noqa: F821
        self.inhibits.append((what, who, why, mode))
        read_end, write_end = os.pipe()
        self.lock_ends.append(read_end)
        # Sent as a copy; ours closes once the reply is out, so the caller's is the last one.
        asyncio.get_running_loop().call_later(0.5, os.close, write_end)
        return write_end

    @method()
    def GetUser(self, uid: "u") -> "o":  # noqa: F821
        if self.user_path is None:
            raise DBusError("org.freedesktop.login1.NoSuchUser", f"User ID {uid} is not logged in.")
        return self.user_path

    @method()
    def GetSessionByPID(self, pid: "u") -> "o":  # noqa: F821
        if self.session_by_pid is None:
            raise DBusError(
                "org.freedesktop.login1.NoSessionForPID",
                f"PID {pid} does not belong to any session.",
            )
        return self.session_by_pid

    @signal()
    def PrepareForSleep(self, start: bool) -> "b":  # noqa: F821
        return start

    @signal()
    def PrepareForShutdown(self, start: bool) -> "b":  # noqa: F821
        return start


class User(ServiceInterface):
    def __init__(self) -> None:
        super().__init__("org.freedesktop.login1.User")
        self.display: list = ["32", SESSION_PATH]

    @dbus_property(access=PropertyAccess.READ)
    def Display(self) -> "(so)":  # noqa: F821
        return self.display


class Session(ServiceInterface):
    def __init__(self) -> None:
        super().__init__("org.freedesktop.login1.Session")
        self.idle_hint = False
        self.idle_since_us = 0  # CLOCK_REALTIME microseconds; 0: never reported

    @dbus_property(access=PropertyAccess.READ)
    def IdleHint(self) -> "b":  # noqa: F821
        return self.idle_hint

    @dbus_property(access=PropertyAccess.READ)
    def IdleSinceHint(self) -> "t":  # noqa: F821
        return self.idle_since_us


class Logind:
    """The stand-in, connected to ``address`` and owning org.freedesktop.login1."""

    def __init__(self, address: str) -> None:
        self.address = address
        self.manager = Manager()
        self.user = User()
        self.session = Session()
        self.bus: MessageBus | None = None

    async def start(self) -> "Logind":
        self.bus = await MessageBus(
            bus_address=self.address, bus_type=BusType.SYSTEM, negotiate_unix_fd=True
        ).connect()
        self.bus.export(MANAGER_PATH, self.manager)
        self.bus.export(USER_PATH, self.user)
        self.bus.export(SESSION_PATH, self.session)
        await self.bus.request_name(LOGIND)
        return self

    def lock_released(self, index: int = -1) -> bool:
        """True once every copy of lock ``index``'s write end is closed (its pipe reads EOF)."""
        os.set_blocking(self.manager.lock_ends[index], False)
        try:
            return os.read(self.manager.lock_ends[index], 1) == b""
        except BlockingIOError:
            return False

    async def stop(self) -> None:
        if self.bus is not None:
            self.bus.disconnect()
        for fd in self.manager.lock_ends:
            os.close(fd)
