"""One TCP connection from a device: its state, and how far its reading has got."""

from __future__ import annotations

import asyncio

from ..wire.line_splitter import LineSplitter
from ..wire.protocol import EncodedSnapshot
from .board_health import Survived
from .liveness import bytes_in_flight, peer_window

# Bytes a device may hold received but unread (its window that many below the widest it
# announced) before it counts as not reading. A board that reads lags at most about one
# segment (lwIP re-announces its window per MSS, 1436 bytes) plus one line.
UNREAD_LIMIT = 2 * 1024


class DeviceConnection:
    """A connection, from accept (waiting for ``HELO``) until it is closed.

    Two measures of a device's reading, as far as the OS gives them:

    - taken: bytes written minus those still in our transport buffer and in the kernel
      (unsent or unacknowledged). It stops growing once the device's receive window is full.
    - its window (Linux): it shrinks by every byte the device receives and does not read,
      and grows again when it reads, so a device that stops reading is seen long before
      its buffer is full, whatever that buffer's size.
    """

    __slots__ = (
        "id",
        "peer",
        "reader",
        "writer",
        "sock",
        "lines",
        "accepted_at",
        "said_hello",
        "board",
        "firmware",
        "bad_firmware",
        "closed",
        "screen",
        "survived",
        "pending",
        "wake",
        "last_cover",
        "bad_lines",
        "written",
        "taken",
        "progress_at",
        "task",
        "write_task",
        "widest_window",
        "last_window",
        "window_grew_at",
        "frames",
    )

    def __init__(
        self,
        conn_id: int,
        peer: str,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        now: float,
    ) -> None:
        self.id = conn_id
        self.peer = peer
        self.reader = reader
        self.writer = writer
        self.sock = writer.get_extra_info("socket")
        self.lines = LineSplitter()
        self.accepted_at = now
        self.said_hello = False
        self.board: str | None = None  # the paired board's name, once its token matched
        self.firmware: str | None = None  # its firmware version, when it says (after HELO)
        self.bad_firmware = False  # a malformed fw: line was logged (board_firmware.py)
        self.closed = False
        self.screen: int | None = None
        self.pending: EncodedSnapshot | None = None
        self.wake = asyncio.Event()
        self.last_cover: bytes | None = None
        self.bad_lines = 0
        self.survived: Survived | None = None  # its last survived: line (board_health.py)
        self.written = 0  # bytes handed to the transport
        self.taken = 0  # bytes the device had taken at the last check
        self.progress_at = now  # when it last took bytes, or had nothing outstanding
        self.task: asyncio.Task[None] | None = None
        self.write_task: asyncio.Task[None] | None = None
        self.widest_window = 0
        self.last_window = 0
        self.window_grew_at = now
        self.frames = 0  # peeked frames received (PROTOCOL.md, "Peek")

    def write(self, data: bytes) -> None:
        self.writer.write(data)
        self.written += len(data)

    def outstanding(self) -> int:
        """Bytes written that the device has not acknowledged (or, where the OS cannot tell,
        that have not left our own buffer)."""
        in_kernel = bytes_in_flight(self.sock) if self.sock is not None else None
        return self.writer.transport.get_write_buffer_size() + (in_kernel or 0)

    def stalled(self, now: float, timeout: float) -> str | None:
        """Why the device counts as no longer reading, or None while it reads."""
        outstanding = self.outstanding()
        taken = self.written - outstanding
        took_more = taken != self.taken
        if outstanding == 0 or took_more:
            self.taken = taken
            self.progress_at = now
        if now - self.progress_at >= timeout:
            return f"took no data for {now - self.progress_at:.0f} s"
        window = peer_window(self.sock) if self.sock is not None else None
        if window is None:
            return None
        # A board still taking bytes is alive however full its window looks: flooded, it
        # reads flat out and the window never reopens (its received total is what grows).
        if window > self.last_window or window >= self.widest_window or took_more:
            self.window_grew_at = now
        self.widest_window = max(self.widest_window, window)
        self.last_window = window
        unread = self.widest_window - window
        if unread >= UNREAD_LIMIT and now - self.window_grew_at >= timeout:
            return f"read nothing for {now - self.window_grew_at:.0f} s ({unread} bytes unread)"
        return None

    def close(self) -> None:
        """Close now; unsent bytes are thrown away (a close that waits for a device that does
        not read would wait forever)."""
        self.closed = True
        transport = self.writer.transport
        if transport.get_write_buffer_size():
            transport.abort()
        else:
            transport.close()
