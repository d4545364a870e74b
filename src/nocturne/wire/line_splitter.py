"""Device lines from a byte stream, with protocol v1's cap: a line over ``MAX_LINE`` bytes
(newline included) is dropped whole, up to and including its newline, however it arrives."""

from __future__ import annotations

from .protocol import MAX_LINE


class LineSplitter:
    """Feed it whatever ``recv`` returned; get back the complete lines (newline removed).

    An over-long line comes back as one ``None`` when it crosses the cap; its remaining bytes
    are skipped until its newline, so no part of it is ever read as a line of its own.
    """

    __slots__ = ("_partial", "_skipping")

    def __init__(self) -> None:
        self._partial = bytearray()
        self._skipping = False

    def feed(self, data: bytes) -> list[bytes | None]:
        lines: list[bytes | None] = []
        start = 0
        end = len(data)
        while start < end:
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
                lines.append(bytes(self._partial))
                self._partial.clear()
            start = newline + 1
        return lines
