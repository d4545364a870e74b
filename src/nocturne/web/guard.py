"""The listening socket's doorman: how many connections, from whom, and how long a request's
head may take.

aiohttp's server times out nothing before a request's head is complete (its keep-alive
timer starts after a response): a client sending a byte every few seconds holds its
connection for ever. Each connection here is aiohttp's own protocol wrapped in a
:class:`GuardedProtocol`, which

- refuses a connection beyond ``max_total`` or beyond ``max_per_address`` from one address
  (closed at once; one rate-limited log line while full);
- gives the request line and headers one total deadline, from the connection (or the end of
  the previous response) to the moment the handler starts, then closes the connection.

No timer runs while no connection is open: an idle server never wakes.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Callable
from typing import Any

from ..rate_limited_log import RateLimitedWarning

log = logging.getLogger("nocturne.web")

HEAD_DEADLINE = 5.0  # seconds for a request line and its headers, in all
MAX_TOTAL = 64  # connections at once
MAX_PER_ADDRESS = 16  # from one client address (a dashboard holds a WebSocket and a few GETs)


class Guard:
    """The counts behind every GuardedProtocol of one listening socket."""

    def __init__(self, inner_factory: Callable[[], asyncio.Protocol]) -> None:
        self.inner_factory = inner_factory
        self.by_address: Counter[str] = Counter()
        self.protocols: dict[asyncio.BaseTransport, GuardedProtocol] = {}
        self.refused = RateLimitedWarning(
            log, "Web: refused %d more connection(s) in the last %d s (full)"
        )

    def __call__(self) -> GuardedProtocol:
        return GuardedProtocol(self)

    @property
    def open_connections(self) -> int:
        return len(self.protocols)

    def request_started(self, transport: asyncio.BaseTransport | None) -> None:
        """A request's head is complete: its handler runs from now on, untimed."""
        protocol = self.protocols.get(transport) if transport is not None else None
        if protocol is not None:
            protocol.disarm()

    def request_done(self, transport: asyncio.BaseTransport | None) -> None:
        """A response is out: the next request's head has HEAD_DEADLINE from now."""
        protocol = self.protocols.get(transport) if transport is not None else None
        if protocol is not None:
            protocol.arm()


class GuardedProtocol(asyncio.Protocol):
    """aiohttp's RequestHandler behind the guard's checks (every event passed on as it is)."""

    def __init__(self, guard: Guard) -> None:
        self.guard = guard
        self.inner: Any = None
        self.transport: asyncio.Transport | None = None
        self.address = ""
        self.timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        peer = transport.get_extra_info("peername")
        self.address = str(peer[0]) if peer else ""
        guard = self.guard
        if len(guard.protocols) >= MAX_TOTAL or guard.by_address[self.address] >= MAX_PER_ADDRESS:
            guard.refused.warn(
                "Web: refused a connection from %s: %d open, %d of them from it",
                self.address,
                len(guard.protocols),
                guard.by_address[self.address],
            )
            transport.abort()
            return
        guard.refused.flush()
        self.transport = transport
        guard.protocols[transport] = self
        guard.by_address[self.address] += 1
        self.arm()
        self.inner = guard.inner_factory()
        self.inner.connection_made(transport)

    def arm(self) -> None:
        self.disarm()
        if self.transport is not None:
            loop = asyncio.get_running_loop()
            self.timer = loop.call_later(HEAD_DEADLINE, self._late)

    def disarm(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None

    def _late(self) -> None:
        self.timer = None
        log.debug("Web: closed a connection from %s: no request within %g s", self.address,
                  HEAD_DEADLINE)  # fmt: skip
        if self.transport is not None:
            self.transport.abort()

    def data_received(self, data: bytes) -> None:
        if self.inner is not None:
            self.inner.data_received(data)

    def eof_received(self) -> bool | None:
        return self.inner.eof_received() if self.inner is not None else None

    def pause_writing(self) -> None:
        if self.inner is not None:
            self.inner.pause_writing()

    def resume_writing(self) -> None:
        if self.inner is not None:
            self.inner.resume_writing()

    def connection_lost(self, exc: Exception | None) -> None:
        self.disarm()
        transport, self.transport = self.transport, None
        if transport is not None:
            self.guard.protocols.pop(transport, None)
            self.guard.by_address[self.address] -= 1
            if self.guard.by_address[self.address] <= 0:
                del self.guard.by_address[self.address]
        if self.inner is not None:
            self.inner.connection_lost(exc)
