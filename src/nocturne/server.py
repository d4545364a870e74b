"""TCP fan-out to devices. Owns sockets only: accepts devices, sends lines, reads commands.

Each device has its own one-slot outbox (the latest line wins) and its own writer task,
so a slow or dead device never delays the others: it is dropped when a write has not
drained within ``stall_timeout`` seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import socket
from dataclasses import dataclass

from .protocol import (
    MAX_LINE,
    EncodedSnapshot,
    Hello,
    ShowScreen,
    encode_snapshot,
    parse_device_line,
)
from .snapshot import Snapshot

log = logging.getLogger(__name__)

# A device that stops reading fills its own receive window (about 5.7 KB in the ESP32's lwIP),
# then our kernel send buffer, then the transport buffer; only then does drain() wait and the
# stall timer run. Small buffers keep that chain short.
SEND_BUFFER = 16 * 1024  # SO_SNDBUF, bytes
WRITE_BUFFER_HIGH = 4 * 1024  # transport bytes queued before drain() waits


@dataclass(frozen=True, slots=True)
class DeviceInfo:
    """What the server knows about one connected device."""

    id: int
    peer: str
    screen: int | None  # last scene index it reported, None before it said any


class _Device:
    __slots__ = (
        "id",
        "peer",
        "reader",
        "writer",
        "screen",
        "pending",
        "wake",
        "last_cover",
        "bad_lines",
        "tasks",
    )

    def __init__(
        self, dev_id: int, peer: str, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ):
        self.id = dev_id
        self.peer = peer
        self.reader = reader
        self.writer = writer
        self.screen: int | None = None
        self.pending: EncodedSnapshot | None = None
        self.wake = asyncio.Event()
        self.last_cover: bytes | None = None
        self.bad_lines = 0
        self.tasks: list[asyncio.Task[None]] = []


class DeviceServer:
    """Serves protocol v1 lines to up to ``max_devices`` devices."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        max_devices: int = 16,
        stall_timeout: float = 10.0,
    ) -> None:
        self.host = host
        self.port = port
        self.max_devices = max_devices
        self.stall_timeout = stall_timeout
        self._server: asyncio.Server | None = None
        self._devices: dict[int, _Device] = {}
        self._ids = itertools.count(1)
        self._latest: EncodedSnapshot | None = None
        self._latest_snapshot: Snapshot | None = None

    # --- life cycle ---

    async def start(self) -> None:
        """Bind and listen. Raises OSError (e.g. the port is taken) with the address in it."""
        try:
            self._server = await asyncio.start_server(
                self._accept, self.host, self.port, limit=MAX_LINE, reuse_address=True
            )
        except OSError as exc:
            raise OSError(
                exc.errno, f"cannot listen on {self.host}:{self.port}: {exc.strerror}"
            ) from exc
        sock = self._server.sockets[0]
        self.port = sock.getsockname()[1]
        log.info("Listening for devices on %s:%d", self.host, self.port)

    async def stop(self) -> None:
        """Stop listening and disconnect every device."""
        if self._server is not None:
            self._server.close()
        devices = list(self._devices.values())
        tasks = [t for dev in devices for t in dev.tasks]
        for dev in devices:
            self._drop(dev, None)
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        if self._server is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 2)
            self._server = None

    # --- what others read ---

    def devices(self) -> list[DeviceInfo]:
        return [DeviceInfo(d.id, d.peer, d.screen) for d in self._devices.values()]

    @property
    def device_count(self) -> int:
        return len(self._devices)

    # --- fan-out ---

    def publish(self, snapshot: Snapshot) -> None:
        """Hand the newest snapshot to every device; never waits on any of them.

        With no device connected nothing is encoded until one connects.
        """
        self._latest_snapshot = snapshot
        self._latest = None
        if self._devices:
            encoded = self._encoded()
            for dev in self._devices.values():
                dev.pending = encoded
                dev.wake.set()

    def _encoded(self) -> EncodedSnapshot | None:
        if self._latest is None and self._latest_snapshot is not None:
            self._latest = encode_snapshot(self._latest_snapshot)
        return self._latest

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peername = writer.get_extra_info("peername")
        peer = f"{peername[0]}:{peername[1]}" if peername else "?"
        if len(self._devices) >= self.max_devices:
            log.warning(
                "Refused device %s: %d devices already connected (max_devices in config.json)",
                peer,
                self.max_devices,
            )
            writer.close()
            return
        sock = writer.get_extra_info("socket")
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SEND_BUFFER)
        writer.transport.set_write_buffer_limits(high=WRITE_BUFFER_HIGH)
        dev = _Device(next(self._ids), peer, reader, writer)
        self._devices[dev.id] = dev
        log.info("Device %d connected from %s (%d connected)", dev.id, peer, len(self._devices))
        encoded = self._encoded()
        if encoded is not None:
            dev.pending = encoded
            dev.wake.set()
        dev.tasks = [
            asyncio.create_task(self._write_loop(dev)),
            asyncio.create_task(self._read_loop(dev)),
        ]
        # The accept callback returns at once; the two tasks own the device from here.

    def _drop(self, dev: _Device, reason: str | None, *, stalled: bool = False) -> None:
        if self._devices.pop(dev.id, None) is None:
            return
        if reason:
            log.info("Device %d (%s) disconnected: %s", dev.id, dev.peer, reason)
        if stalled:
            dev.writer.transport.abort()  # close() would wait for the unread bytes to drain
        else:
            dev.writer.close()
        for task in dev.tasks:
            if task is not asyncio.current_task():
                task.cancel()

    async def _write_loop(self, dev: _Device) -> None:
        try:
            while True:
                await dev.wake.wait()
                dev.wake.clear()
                encoded = dev.pending
                if encoded is None:
                    continue
                with_cover = encoded.cover is not None and encoded.cover != dev.last_cover
                dev.writer.write(encoded.line(with_cover=with_cover))
                if with_cover:
                    dev.last_cover = encoded.cover
                try:
                    await asyncio.wait_for(dev.writer.drain(), self.stall_timeout)
                except asyncio.TimeoutError:
                    self._drop(
                        dev, f"stalled, not reading for {self.stall_timeout:g} s", stalled=True
                    )
                    return
        except (ConnectionError, OSError) as exc:
            self._drop(dev, f"write failed ({exc.__class__.__name__})")
        except asyncio.CancelledError:
            raise

    async def _read_loop(self, dev: _Device) -> None:
        try:
            while True:
                try:
                    raw = await dev.reader.readline()
                except ValueError:
                    # Longer than MAX_LINE: asyncio has discarded it (up to its newline).
                    self._bad_line(dev, "line over 4096 bytes")
                    continue
                if not raw:
                    self._drop(dev, "closed by the device")
                    return
                command = parse_device_line(raw)
                if isinstance(command, ShowScreen):
                    if command.index != dev.screen:
                        log.debug("Device %d shows screen %d", dev.id, command.index)
                    dev.screen = command.index
                elif isinstance(command, Hello):
                    log.debug("Device %d said HELO", dev.id)
                elif raw.strip():
                    self._bad_line(dev, "not a command")
        except (ConnectionError, OSError) as exc:
            self._drop(dev, f"read failed ({exc.__class__.__name__})")
        except asyncio.CancelledError:
            raise

    def _bad_line(self, dev: _Device, why: str) -> None:
        dev.bad_lines += 1
        # 1, 10, 100, ...: a flood of garbage costs a handful of log lines, not one per line.
        if dev.bad_lines in (1, 10, 100, 1000) or dev.bad_lines % 10000 == 0:
            log.warning(
                "Device %d (%s): ignored %d unrecognised line(s), latest: %s",
                dev.id,
                dev.peer,
                dev.bad_lines,
                why,
            )
