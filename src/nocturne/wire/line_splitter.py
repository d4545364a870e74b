"""Device lines from a byte stream, with protocol v1's cap: a line over ``MAX_LINE`` bytes
(newline included) is dropped whole, up to and including its newline, however it arrives.

A ``frame:N`` line (peek, PROTOCOL.md) is followed by N raw bytes that are not lines: they
come back as one :class:`Frame`, however they arrive, and the stream is lines again after
them."""

from __future__ import annotations

from .protocol import MAX_LINE, frame_size


class Frame(bytes):
    """The raw bytes that followed a ``frame:N`` header (N of them)."""


class LineSplitter:
    """Feed it whatever ``recv`` returned; get back the complete lines (newline removed)
    and frames.

    An over-long line comes back as one ``None`` when it crosses the cap; its remaining bytes
    are skipped until its newline, so no part of it is ever read as a line of its own.
    """

    __slots__ = ("_partial", "_skipping", "_raw")

    def __init__(self) -> None:
        self._partial = bytearray()
        self._skipping = False
        self._raw = 0  # bytes of a frame still to come

    def feed(self, data: bytes) -> list[bytes | None]:
        lines: list[bytes | None] = []
        start = 0
        end = len(data)
        while start < end:
            if self._raw:
                take = min(self._raw, end - start)
                self._partial += data[start : start + take]
                self._raw -= take
                start += take
                if not self._raw:
                    lines.append(Frame(self._partial))
                    self._partial.clear()
                continue
            newline = data.find(b"\n", start)
            stop = end if newline < 0 else newline
            if not self._skipping:
                if len(self._partial) + (stop - start) + 1 > MAX_LINE:
                    self._skipping = True  # the newline would make it MAX_LINE + 1 or more
                    self._partial.clear()
                    lines.append(None)
                else:
                    self._partial += data[start:stop]
            if newline < 0:
                break
            if self._skipping:
                self._skipping = False
            else:
                line = bytes(self._partial)
                self._partial.clear()
                size = frame_size(line)
                if size is None:
                    lines.append(line)
                else:
                    self._raw = size
            start = newline + 1
        return lines
