"""TCP fan-out to devices. Owns sockets only: accepts devices, sends lines, reads commands.
What a line says is the outbox's (outbox.py); the server decides when it leaves.

A connection becomes a device when it says ``HELO``; one that says nothing for
``hello_timeout`` seconds is closed, so silent sockets never hold a device's slot. Each
device has a one-slot outbox (the latest line wins) and its own writer task, so a slow or
dead device never delays the others. A watchdog drops a device that has taken no byte for
``stall_timeout`` seconds while bytes wait for it; the kernel fails a vanished one (see
``tcp_liveness``). Every connection is one task that awaits its writer before it ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import socket
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..rate_limited_log import RateLimitedWarning
from ..safe_text import printable
from ..snapshot import Snapshot
from ..updates.lines import parse_ota
from ..updates.manager import Updates
from ..wire.line_splitter import Frame
from ..wire.protocol import FRAME_BYTES, MAX_LINE, PEEK_KEY, Hello, ShowScreen, parse_device_line
from .board_firmware import firmware_current, note_firmware, parse_firmware
from .board_health import note_survived, parse_survived
from .command_pacer import CommandPacer
from .connection import DeviceConnection
from .liveness import USER_TIMEOUT, tune_device_socket
from .outbox import Outbox
from .pairing import Pairing

if TYPE_CHECKING:
    from ..wire.types import PcSummary

log = logging.getLogger(__name__)

WRITE_BUFFER_HIGH = 4 * 1024  # transport bytes queued before the writer waits
READ_CHUNK = 16 * 1024
HELLO_TIMEOUT = 5.0  # seconds a new connection has to say HELO (boards say it at once)
STALL_TIMEOUT = 10.0  # seconds without a byte taken, while bytes wait, before a drop
MAX_WAITING = 64  # connections not yet past HELO; beyond that the oldest is closed


@dataclass(frozen=True, slots=True)
class DeviceInfo:
    """What the server knows about one connected device."""

    id: int
    peer: str
    screen: int | None  # last scene index it reported, None before it said any
    board: str | None = None  # the paired board's name, from the token it sent
    firmware: str | None = None  # the version the board reported after HELO, if it did
    survived: str | None = None  # what its loop survived (board_health.py), None: nothing
    update: dict[str, object] | None = None  # its updates (updates/manager.py), None: none
    firmware_current: bool | None = None  # it runs the server's (firmware_dir's) version


class DeviceServer:
    """Serves protocol v1 lines to up to ``max_devices`` devices."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        max_devices: int = 16,
        stall_timeout: float = STALL_TIMEOUT,
        hello_timeout: float = HELLO_TIMEOUT,
        listen_socket: socket.socket | None = None,
        pairing: Pairing | None = None,
        first_fields: Mapping[str, object] | None = None,
        updates: Updates | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self.max_devices = max_devices
        self.stall_timeout = stall_timeout
        self.hello_timeout = hello_timeout
        self._listen_socket = listen_socket  # already bound (a test's network namespace)
        self.pairing = pairing or Pairing({})  # no tokens: every board is served
        self._server: asyncio.Server | None = None
        self._waiting: dict[int, DeviceConnection] = {}  # accepted, no HELO yet
        self._devices: dict[int, DeviceConnection] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._watchdog: asyncio.Task[None] | None = None
        self._ids = itertools.count(1)
        self.outbox = Outbox(first_fields)
        self.updates = updates or Updates("off")  # over the air (issue 23)
        self.updates.spawn = self._spawn
        # peek: (device id, its newest frame), and (device id, None) when it is gone
        self.on_frame: Callable[[int, bytes | None], None] | None = None
        self._pacer = CommandPacer()  # a few command lines a second per device, at most
        self._refusals = RateLimitedWarning(log, "Refused %d more device(s) in the last %d s")
        self._silent = RateLimitedWarning(
            log, "Closed %d more connection(s) that sent no HELO in the last %d s"
        )

    # --- life cycle ---

    async def start(self) -> None:
        """Bind and listen. Raises OSError (e.g. the port is taken) with the address in it."""
        try:
            if self._listen_socket is not None:
                self._server = await asyncio.start_server(
                    self._accept, sock=self._listen_socket, limit=MAX_LINE
                )
            else:
                self._server = await asyncio.start_server(
                    self._accept, self.host, self.port, limit=MAX_LINE, reuse_address=True
                )
        except OSError as exc:
            raise OSError(
                exc.errno, f"cannot listen on {self.host}:{self.port}: {exc.strerror}"
            ) from exc
        sock = self._server.sockets[0]
        self.host, self.port = sock.getsockname()[:2]
        self._watchdog = asyncio.create_task(self._watch())
        log.info("Listening for devices on %s:%d", self.host, self.port)

    async def stop(self) -> None:
        """Stop listening and disconnect every device."""
        if self._server is not None:
            self._server.close()
        if self._watchdog is not None:
            self._watchdog.cancel()
        for conn in [*self._waiting.values(), *self._devices.values()]:
            self._drop(conn, None)
        waits: list[Awaitable[object]] = [*self._tasks]
        if self._watchdog is not None:
            waits.append(self._watchdog)
        await asyncio.gather(*waits, return_exceptions=True)
        self._watchdog = None
        if self._server is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 2)
            self._server = None

    # --- what others read ---

    def devices(self) -> list[DeviceInfo]:
        return [
            DeviceInfo(
                d.id,
                d.peer,
                d.screen,
                d.board,
                d.firmware,
                d.survived and d.survived.describe(),
                self.updates.describe(d),
                firmware_current(d.firmware, self.updates.version()),
            )
            for d in self._devices.values()
        ]

    @property
    def device_count(self) -> int:
        return len(self._devices)

    @property
    def power(self) -> str | None:
        """``pwr`` on every line while the PC is going ("sleep", "off"), else None."""
        return self.outbox.power

    @property
    def refused_count(self) -> int:
        """Devices refused since start because ``max_devices`` were connected."""
        return self._refusals.total

    # --- fan-out ---

    def publish(self, snapshot: Snapshot) -> None:
        """Hand the newest snapshot to every device; never waits on any of them.

        With no device connected nothing is encoded until one connects.
        """
        self.outbox.publish(snapshot)
        if self._devices:
            encoded = self.outbox.encoded()
            for dev in self._devices.values():
                dev.pending = encoded
                dev.wake.set()

    def set_power(self, state: str | None, *, push: bool = True) -> None:
        """``pwr`` on every line from now on ("sleep", "off"; None: none); with ``push``, a
        line goes to every device at once, the latest snapshot's (see power/responder.py)."""
        self.outbox.set_power(state)
        if push:
            self.publish(self.outbox.snapshot or Snapshot())

    async def drained(self, timeout: float) -> bool:
        """Wait until every device has been handed its latest line and our buffers are empty
        (at most ``timeout`` seconds); False when some device still holds bytes back."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while any(
            d.wake.is_set() or d.writer.transport.get_write_buffer_size()
            for d in self._devices.values()
        ):
            if loop.time() >= deadline:
                return False
            await asyncio.sleep(0.01)
        return True

    def send_commands(self, keys: Mapping[str, int], only: int | None = None) -> None:
        """Put ``keys`` (gs, so, cn) on every connected device's next line (or device
        ``only``'s), sent at once with the latest snapshot (Home Assistant's commands, the
        dashboard's; a later value wins)."""
        encoded = self.outbox.encoded()
        for dev in self._devices.values():
            if only is not None and dev.id != only:
                continue
            self.outbox.add_commands(dev.id, keys)
            if encoded is not None:
                dev.pending = encoded
                self._pacer.wake(dev.id, dev.wake.set)

    def peek(self, device_id: int, period_ms: int) -> bool:
        """Ask one device for its frames, ``period_ms`` apart at least (0: stop), on a line
        sent at once; False when no such device is connected (PROTOCOL.md, "Peek")."""
        if device_id not in self._devices:
            return False
        self.send_commands({PEEK_KEY: period_ms}, only=device_id)
        return True

    def request_update(self, target: str | None) -> list[str]:
        """Update the board named (or numbered) ``target``, or all that can take one."""
        return self.updates.request(self._devices.values(), target)

    def _alert(self) -> bool:
        snapshot = self.outbox.snapshot
        return snapshot is not None and snapshot.alert is not None

    def set_pcs(self, pcs: Sequence[PcSummary] | None) -> None:
        """The PCs seen over MQTT, on every line from the next snapshot on."""
        self.outbox.set_pcs(pcs)

    # --- connections ---

    def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peername = writer.get_extra_info("peername")
        peer = f"{peername[0]}:{peername[1]}" if peername else "?"
        sock = writer.get_extra_info("socket")
        if sock is not None:
            tune_device_socket(sock)
        writer.transport.set_write_buffer_limits(high=WRITE_BUFFER_HIGH)
        loop = asyncio.get_running_loop()
        conn = DeviceConnection(next(self._ids), peer, reader, writer, loop.time())
        if len(self._waiting) >= MAX_WAITING:
            oldest = next(iter(self._waiting.values()))
            self._silent.warn(
                "Closed connection from %s: %d connections had not said HELO yet",
                oldest.peer,
                MAX_WAITING,
            )
            self._drop(oldest, None)
        self._waiting[conn.id] = conn
        log.debug("Connection %d from %s, waiting for HELO", conn.id, peer)
        conn.task = self._spawn(self._serve(conn))

    def _spawn(self, work: Awaitable[None]) -> asyncio.Task[None]:
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def _serve(self, conn: DeviceConnection) -> None:
        """The whole life of one connection; its writer task never outlives it."""
        reason = "closed by the server"
        try:
            reason = await self._read_loop(conn)
        except TimeoutError:
            reason = f"no acknowledgement for {USER_TIMEOUT:g} s (power or network gone?)"
        except (ConnectionError, OSError) as exc:
            reason = f"read failed ({exc.__class__.__name__})"
        finally:
            self._drop(conn, reason)
            write_task = conn.write_task
            if write_task is not None:
                write_task.cancel()
                await asyncio.gather(write_task, return_exceptions=True)

    def _admit(self, conn: DeviceConnection) -> None:
        conn.said_hello = True
        self._waiting.pop(conn.id, None)
        for dev in [d for d in self._devices.values() if d.writer.transport.is_closing()]:
            self._drop(dev, "connection lost")
        if len(self._devices) >= self.max_devices:
            self._refusals.warn(
                "Refused device %s: %d devices already connected (max_devices in config.json)",
                conn.peer,
                self.max_devices,
            )
            self._drop(conn, None)
            return
        self._devices[conn.id] = conn
        conn.progress_at = asyncio.get_running_loop().time()
        log.info(
            "Device %d%s connected from %s (%d connected)",
            conn.id,
            f" ({printable(conn.board)})" if conn.board else "",
            conn.peer,
            len(self._devices),
        )
        conn.pending = self.outbox.encoded()
        if conn.pending is not None:
            conn.wake.set()
        conn.write_task = self._spawn(self._write_loop(conn))

    def _drop(self, conn: DeviceConnection, reason: str | None) -> None:
        """Forget ``conn`` and close it; its slot is free from here on. Idempotent."""
        was_device = self._devices.pop(conn.id, None) is not None
        if was_device and self.on_frame is not None:
            self.on_frame(conn.id, None)
        self.outbox.forget(conn.id)
        self._pacer.forget(conn.id)
        self.updates.forget(conn.id)
        self._waiting.pop(conn.id, None)
        if conn.closed:
            return
        if reason and was_device:
            log.info("Device %d (%s) disconnected: %s", conn.id, conn.peer, reason)
        conn.close()  # its reader sees the end of the stream: _serve finishes the rest

    async def _write_loop(self, dev: DeviceConnection) -> None:
        try:
            while True:
                await dev.wake.wait()
                dev.wake.clear()
                encoded = dev.pending
                if encoded is None or dev.closed:
                    continue
                line, more = self.outbox.line_for(
                    dev.id, encoded, dev.last_cover, first=dev.written == 0
                )
                if more:
                    dev.wake.set()
                dev.write(line)
                dev.last_cover = encoded.cover
                # No timeout here: the watchdog decides when a device has stalled.
                await dev.writer.drain()
        except (ConnectionError, OSError) as exc:
            self._drop(dev, f"write failed ({exc.__class__.__name__})")

    async def _read_loop(self, conn: DeviceConnection) -> str:
        """Read until the connection ends; returns why it ended."""
        while not conn.closed:
            data = await conn.reader.read(READ_CHUNK)
            if not data:
                return "closed by the device"
            for line in conn.lines.feed(data):
                if conn.closed:
                    break
                if not conn.said_hello:  # its HELO is checked against config.json as it is now
                    await self.pairing.refresh()
                self._on_line(conn, line)
        return "closed by the server"

    def _on_line(self, conn: DeviceConnection, line: bytes | None) -> None:
        if line is None:
            self._bad_line(conn, f"a line over {MAX_LINE} bytes")
            return
        if isinstance(line, Frame):
            if not conn.said_hello or len(line) != FRAME_BYTES:
                self._bad_line(conn, f"a frame of {len(line)} bytes")
            elif conn.id in self._devices:
                conn.frames += 1
                if self.on_frame is not None:
                    self.on_frame(conn.id, line)
            return
        command = parse_device_line(line)
        if isinstance(command, Hello):
            if conn.said_hello:
                log.debug("Device %d said HELO again", conn.id)
                return
            verdict = self.pairing.check(command.token, conn.peer)
            if verdict.admitted:
                conn.board = verdict.board
                self._admit(conn)
            else:
                self._drop(conn, None)  # not paired: closed at once, nothing sent
        elif isinstance(command, ShowScreen):
            if command.index != conn.screen:
                log.debug("Device %d shows screen %d", conn.id, command.index)
            conn.screen = command.index
        elif (survived := parse_survived(line)) is not None:
            note_survived(conn, survived)
        elif (firmware := parse_firmware(line)) is not None:
            note_firmware(conn, line, firmware)
        elif (ota := parse_ota(line)) is not None and conn.said_hello:
            self.updates.on_line(conn, ota, self._alert())
        elif line.strip():
            self._bad_line(conn, "not a command")

    def _bad_line(self, conn: DeviceConnection, why: str) -> None:
        conn.bad_lines += 1
        # 1, 10, 100, ...: a flood of garbage costs a handful of log lines, not one per line.
        if conn.bad_lines in (1, 10, 100, 1000) or conn.bad_lines % 10000 == 0:
            log.warning(
                "Device %d (%s): ignored %d unrecognised line(s), latest: %s",
                conn.id,
                printable(conn.peer),
                conn.bad_lines,
                why,
            )

    # --- watchdog ---

    async def _watch(self) -> None:
        """Closes silent connections and drops stalled devices, a few times a second."""
        tick = max(0.05, min(1.0, self.stall_timeout / 4, self.hello_timeout / 4))
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(tick)
            now = loop.time()
            for conn in [c for c in self._waiting.values()]:
                if now - conn.accepted_at >= self.hello_timeout:
                    self._silent.warn(
                        "Closed connection from %s: no HELO within %g s",
                        conn.peer,
                        self.hello_timeout,
                    )
                    self._drop(conn, None)
            for dev in list(self._devices.values()):
                try:
                    why = dev.stalled(now, self.stall_timeout)
                except OSError:
                    continue
                if why is not None:
                    self._drop(dev, f"stalled: {why}")
            self.updates.tick(self._devices.values(), self._alert())
            self._refusals.flush()
            self._silent.flush()
            self.pairing.flush()
