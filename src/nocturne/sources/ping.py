"""PingSource: network latency as the time a TCP connection takes to open.

No ICMP (that needs administrator rights or a ``ping`` subprocess, which flashes a console
window under pythonw on Windows): a TCP handshake to a listening port — by default DNS over
TCP on a public resolver — is one round trip, measured with ``perf_counter``. The host name is
resolved once and again only after a failure, so DNS time is never counted.
"""

from __future__ import annotations

import asyncio
import os
import socket
import time

from . import SourceUnavailable

DEFAULT_TIMEOUT = 2.0  # seconds; slower than that is "unreachable" (unknown), never 0


class PingUnreachable(SourceUnavailable):
    """No TCP connection could be opened to the target."""


class PingSource:
    """``read()`` returns the connect time in milliseconds to ``host:port``."""

    name = "Ping"
    interval = 5.0  # seconds between measurements

    def __init__(self, host: str, port: int, *, timeout: float = DEFAULT_TIMEOUT) -> None:
        self.host = host
        self.port = port
        self.timeout = timeout
        self._address: tuple[int, tuple] | None = None  # (family, sockaddr), resolved once

    @property
    def target(self) -> str:
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"

    async def _resolve(self) -> tuple[int, tuple]:
        loop = asyncio.get_running_loop()
        try:
            infos = await asyncio.wait_for(
                loop.getaddrinfo(self.host, self.port, type=socket.SOCK_STREAM), self.timeout
            )
        except (OSError, asyncio.TimeoutError) as exc:
            raise PingUnreachable(f"cannot resolve {self.host} ({exc or 'timeout'})") from None
        if not infos:
            raise PingUnreachable(f"cannot resolve {self.host}")
        family, _, _, _, sockaddr = infos[0]
        return family, sockaddr

    async def read(self) -> float:
        """One measurement in ms. Raises PingUnreachable when no connection opens in time."""
        if self._address is None:
            self._address = await self._resolve()
        family, sockaddr = self._address
        loop = asyncio.get_running_loop()
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setblocking(False)
        try:
            start = time.perf_counter()
            await asyncio.wait_for(loop.sock_connect(sock, sockaddr), self.timeout)
            elapsed = time.perf_counter() - start
        except asyncio.TimeoutError:
            self._address = None
            raise PingUnreachable(f"{self.target}: no answer within {self.timeout:g} s") from None
        except OSError as exc:
            self._address = None
            reason = os.strerror(exc.errno) if exc.errno else str(exc)
            raise PingUnreachable(f"{self.target}: {reason.lower()}") from None
        finally:
            sock.close()
        return elapsed * 1000.0

    async def close(self) -> None:
        """Nothing to release: each measurement opens and closes its own socket."""
        return None
