"""LhmSource: polls LibreHardwareMonitor's Remote Web Server (``data.json``) over HTTP."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Mapping

import aiohttp

from .model import LhmReading
from .parser import parse_data_json

MAX_BODY = 16 * 1024 * 1024  # bytes; real captures are 25-160 KB

ENABLE_HINT = (
    "In LibreHardwareMonitor: Options → Remote Web Server → Run (port 8085), "
    "and run it as administrator so it can read every sensor"
)


def basic_auth(user: str, password: str) -> str:
    """The HTTP Basic ``Authorization`` value LHM's web server checks (RFC 7617, UTF-8)."""
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode("ascii")


class LhmUnavailable(Exception):
    """LibreHardwareMonitor did not answer with data.json; the message says why."""


class LhmSource:
    """One reused HTTP session to ``url``; ``read()`` returns a parsed LhmReading."""

    name = "LibreHardwareMonitor"

    def __init__(
        self,
        url: str,
        *,
        user: str | None = None,
        password: str | None = None,
        overrides: Mapping[str, str] | None = None,
        timeout: float = 2.0,
    ) -> None:
        self.url = url
        self.overrides = dict(overrides or {})
        self._headers = {"Authorization": basic_auth(user, password or "")} if user else {}
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._session: aiohttp.ClientSession | None = None

    async def fetch(self) -> bytes:
        """The raw body of data.json. Raises LhmUnavailable with a reason a user can act on."""
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=self._timeout, headers=self._headers)
        try:
            async with self._session.get(self.url) as resp:
                if resp.status == 401:
                    raise LhmUnavailable(
                        f"{self.url} asks for a password (HTTP 401): set lhm_user and "
                        "lhm_password in config.json to the ones set in LibreHardwareMonitor"
                    )
                if resp.status != 200:
                    raise LhmUnavailable(f"{self.url} answered HTTP {resp.status}")
                if resp.content_length is not None and resp.content_length > MAX_BODY:
                    raise LhmUnavailable(f"{self.url} sent {resp.content_length} bytes")
                return await resp.read()
        except aiohttp.ClientConnectorError as exc:
            raise LhmUnavailable(f"nothing answers at {self.url} ({exc.os_error})") from exc
        except asyncio.TimeoutError as exc:
            raise LhmUnavailable(
                f"{self.url} did not answer within {self._timeout.total:g} s"
            ) from exc
        except aiohttp.ClientError as exc:
            raise LhmUnavailable(f"{self.url}: {exc.__class__.__name__}: {exc}") from exc

    async def read(self) -> LhmReading:
        """Fetch and map. Raises LhmUnavailable, or LhmFormatError for a body not data.json."""
        return parse_data_json(await self.fetch(), self.overrides)

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
