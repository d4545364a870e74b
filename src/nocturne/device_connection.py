"""One TCP connection from a device: its state, and how far its reading has got."""

from __future__ import annotations

import asyncio

from .line_splitter import LineSplitter
from .protocol import EncodedSnapshot
from .tcp_liveness import bytes_in_flight


class DeviceConnection:
    """A connection, from accept (waiting for ``HELO``) until it is closed.

    Progress is measured in bytes the device has taken: bytes written minus the bytes still
    in our transport buffer and in the kernel (unsent or unacknowledged). A device that
    stops reading first fills its receive window; from then on that figure stops growing.
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
        "closed",
        "screen",
        "pending",
        "wake",
        "last_cover",
        "bad_lines",
        "written",
        "taken",
        "progress_at",
        "task",
        "write_task",
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
        self.closed = False
        self.screen: int | None = None
        self.pending: EncodedSnapshot | None = None
        self.wake = asyncio.Event()
        self.last_cover: bytes | None = None
        self.bad_lines = 0
        self.written = 0  # bytes handed to the transport
        self.taken = 0  # bytes the device had taken at the last check
        self.progress_at = now  # when it last took bytes, or had nothing outstanding
        self.task: asyncio.Task[None] | None = None
        self.write_task: asyncio.Task[None] | None = None

    def write(self, data: bytes) -> None:
        self.writer.write(data)
        self.written += len(data)

    def outstanding(self) -> int:
        """Bytes written that the device has not acknowledged (or, where the OS cannot tell,
        that have not left our own buffer)."""
        in_kernel = bytes_in_flight(self.sock) if self.sock is not None else None
        return self.writer.transport.get_write_buffer_size() + (in_kernel or 0)

    def stalled_for(self, now: float) -> float:
        """Seconds since the device last took a byte while bytes were waiting for it."""
        outstanding = self.outstanding()
        taken = self.written - outstanding
        if outstanding == 0 or taken != self.taken:
            self.taken = taken
            self.progress_at = now
        return now - self.progress_at

    def close(self) -> None:
        """Close now; unsent bytes are thrown away (a close that waits for a device that does
        not read would wait forever)."""
        self.closed = True
        transport = self.writer.transport
        if transport.get_write_buffer_size():
            transport.abort()
        else:
            transport.close()
