"""The faults one board's network stack injects (a stalled reader, refused connects, bytes
as if from the server), toggled by a test, a key or the CLI.

Written once for both runtimes: CPython's ``lwip_socket.py`` and the MicroPython board's
``fault_socket.py`` use this class, so plain Python a MicroPython port runs. On the board
``take`` allocates nothing (only ``inject``, itself a fault, does).
"""


class Faults:
    def __init__(self):
        self.stalled = False  # no data is ever readable: the board stopped reading
        self.refuse = False  # connect() fails as if no server listened
        self.inbox = None  # bytes to deliver as if the server sent them (made when needed)
        self.n_inbox = 0  # bytes waiting in inbox
        self.open = []  # sockets not closed yet

    def inject(self, data, n=-1):
        """Queue the first ``n`` bytes of ``data`` (all of it by default)."""
        if n < 0:
            n = len(data)
        old = self.inbox[: self.n_inbox] if self.inbox is not None else b""
        self.inbox = bytearray(old) + data[:n]
        self.n_inbox += n

    def take(self, buf, want):
        """Move up to ``want`` queued bytes to the start of ``buf``; how many (0: none)."""
        n = self.n_inbox if self.n_inbox < want else want
        if n:
            buf[:n] = self.inbox[:n]
            self.inbox[: self.n_inbox - n] = self.inbox[n : self.n_inbox]
            self.n_inbox -= n
        return n

    def reset_all(self):
        """Abort every open socket (the server sees a reset)."""
        for s in list(self.open):
            s.reset()
