"""Rolling graph: a preallocated ring of samples drawn as columns.

One sample per good server line (≈ 1 s). Unknown samples are stored as ``GAP``
and drawn as nothing, so a dropped sensor never looks like a zero.
``Graph(fixed=100)`` is for percentages; ``fixed=0`` auto-scales to the largest
sample on screen (network), with a floor so idle noise stays flat.
"""

from array import array

from micropython import const

GAP = const(-1)


class Graph:
    def __init__(self, n, fixed=100, floor=64):
        self.n = n  # samples kept = columns drawn (one column per sample)
        self.buf = array("i", [GAP] * n)
        self.head = 0  # next slot to write
        self.fixed = fixed
        self.floor = floor  # auto-scale never goes below this (KB/s)

    def push(self, v):
        """Add a sample (a number, or None when unknown)."""
        self.buf[self.head] = GAP if v is None else (0 if v < 0 else int(v + 0.5))
        self.head = (self.head + 1) % self.n

    def clear(self):
        for i in range(self.n):
            self.buf[i] = GAP
        self.head = 0

    def last(self):
        return self.buf[(self.head - 1) % self.n]

    def peak(self):
        m = GAP
        for v in self.buf:
            if v > m:
                m = v
        return m

    def scale(self):
        """Full-scale value: fixed, or the floor doubled until it covers the peak."""
        if self.fixed:
            return self.fixed
        m = self.peak()
        s = self.floor
        while s < m:
            s <<= 1
        return s

    def draw(self, fb, x, y, w, h, scale=0, c=1, filled=True):
        """Newest sample at the right edge. ``scale`` 0 = self.scale()."""
        if not scale:
            scale = self.scale()
        n = self.n if self.n < w else w
        buf = self.buf
        i = self.head - n
        if i < 0:
            i += self.n
        bottom = y + h - 1
        px = x + w - n
        prev = -1
        for _ in range(n):
            v = buf[i]
            i += 1
            if i == self.n:
                i = 0
            if v >= 0:
                if v > scale:
                    v = scale
                t = (v * (h - 1) + scale // 2) // scale  # 0 .. h-1 pixels above the base
                if filled:
                    fb.vline(px, bottom - t, t + 1, c)
                elif prev >= 0:
                    fb.line(px - 1, bottom - prev, px, bottom - t, c)
                else:
                    fb.pixel(px, bottom - t, c)
                prev = t
            else:
                prev = -1
            px += 1
