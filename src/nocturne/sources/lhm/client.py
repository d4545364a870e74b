"""LhmSource: polls LibreHardwareMonitor's Remote Web Server (``data.json``) over HTTP."""

from __future__ import annotations

import asyncio
import base64
import ipaddress
import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from ..http import HttpClient, HttpUnavailable
from .model import LhmFormatError, LhmReading
from .parser import parse_data_json
from .unreadable_log import UnreadableLog

if TYPE_CHECKING:
    from nocturne.config import Config

log = logging.getLogger(__name__)

# data.json is about 150 KB on a desktop and grows with each disk, NIC and DIMM (a server
# with dozens of them stays under 2 MB); 8 MB is room for any real machine while a runaway
# or hostile answer costs at most that much memory and one parse off the event loop.
MAX_BODY = 8 * 1024 * 1024
# Parsing costs about 1 ms per 150 KB: below this it stays on the event loop (a thread hop
# costs more than the parse); above it, in a worker thread, so the fan-out to devices is
# never held up by a large body.
PARSE_IN_THREAD_ABOVE = 1024 * 1024

ENABLE_HINT = (
    "In LibreHardwareMonitor: Options → Remote Web Server → Run (port 8085), "
    "and run it as administrator so it can read every sensor"
)


def basic_auth(user: str, password: str) -> str:
    """The HTTP Basic ``Authorization`` value LHM's web server checks (RFC 7617, UTF-8)."""
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode("ascii")


def accept_encoding(url: str) -> str:
    """What to ask LHM for. It gzips whenever asked (HttpServer.cs): on this machine that
    costs its CPU and ours (~2 ms a poll for a 155 KB body, and 0.4 ms to inflate) to save
    nothing, so loopback gets the body as it is; across a network gzip pays (5-8x smaller)."""
    host = (urlsplit(url).hostname or "").lower()
    if host == "localhost":
        return "identity"
    try:
        return "identity" if ipaddress.ip_address(host).is_loopback else "gzip"
    except ValueError:  # a host name: a network we know nothing about
        return "gzip"


class LhmUnavailable(HttpUnavailable):
    """LibreHardwareMonitor did not answer with data.json; the message says why."""


class LhmSource:
    """One kept-alive HTTP connection to ``url``; ``read()`` returns a parsed LhmReading."""

    name = "LibreHardwareMonitor"

    def __init__(
        self,
        url: str,
        *,
        user: str | None = None,
        password: str | None = None,
        overrides: Mapping[str, str] | None = None,
        timeout: float = 2.0,
        interval: float = 1.0,
        max_body: int = MAX_BODY,
    ) -> None:
        self.url = url
        self.overrides = dict(overrides or {})
        self.interval = float(interval)  # seconds between reads: the config's poll_interval
        self.max_body = max_body
        self._headers = {"Authorization": basic_auth(user, password or "")} if user else {}
        self._headers["Accept-Encoding"] = accept_encoding(url)
        self._http = HttpClient(timeout=timeout, headers=self._headers)
        self._unreadable = UnreadableLog(log)

    @classmethod
    def from_config(cls, config: Config) -> LhmSource | None:
        """The source config.json describes; None when it names no LHM URL."""
        if not config.lhm_url:
            return None
        return cls(
            config.lhm_url,
            user=config.lhm_user,
            password=config.lhm_password,
            overrides=config.sensor_overrides,
            interval=config.poll_interval,
        )

    async def fetch(self) -> bytes:
        """The raw body of data.json. Raises LhmUnavailable with a reason a user can act on."""
        return await self._http.get(
            self.url,
            max_bytes=self.max_body,
            error=LhmUnavailable,
            status_hints={
                401: " (it asks for a password): set lhm_user and lhm_password in "
                "config.json to the ones set in LibreHardwareMonitor"
            },
        )

    async def read(self) -> LhmReading:
        """Fetch and map. Raises LhmUnavailable, or LhmFormatError for a body not data.json."""
        body = await self.fetch()
        try:
            if len(body) > PARSE_IN_THREAD_ABOVE:
                reading = await asyncio.to_thread(parse_data_json, body, self.overrides)
            else:
                reading = parse_data_json(body, self.overrides)
        except LhmFormatError as exc:
            raise LhmFormatError(
                f"{self.url} sent something that is not data.json: {exc.reason}; "
                "keeping the last good data",
                reason=exc.reason,
            ) from exc
        self._unreadable.update(reading)
        return reading

    async def close(self) -> None:
        await self._http.close()
