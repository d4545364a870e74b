"""Heavy modules a server does not use are not imported (each costs RSS for nothing)."""

from __future__ import annotations

import subprocess
import sys

CHECK = r"""
import sys
from nocturne.app import NocturneServer
from nocturne.config.model import Config
server = NocturneServer(Config(ping_host="", web={web}, mdns=False), media=False)
if {scrape}:  # one GET /metrics, with http.client: the server's own HTTP client imports it
    import asyncio, http.client
    def get(port):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request("GET", "/metrics")
        assert conn.getresponse().read().startswith(b"# HELP")
    async def scrape():
        await server.web.start()
        await asyncio.to_thread(get, server.web.port)
        await server.web.stop()
    asyncio.run(scrape())
print(",".join(m for m in ("aiohttp", "prometheus_client", "wsgiref", "PIL") if m in sys.modules))
"""
WEB_ON = "__import__('nocturne.config.model').config.model.WebSettings(port=0)"


def loaded_with(web: str, *, scrape: bool = False) -> set[str]:
    check = CHECK.replace("{web}", web).replace("{scrape}", str(scrape))
    out = subprocess.run(
        [sys.executable, "-c", check],
        capture_output=True, text=True, check=True, timeout=60,
    ).stdout.strip()  # fmt: skip
    return set(out.split(",")) - {""}


def test_the_http_server_only_when_web_is_on_and_prometheus_from_the_first_scrape():
    assert loaded_with("None") == set()
    assert loaded_with(WEB_ON) == {"wsgiref"}
    assert loaded_with(WEB_ON, scrape=True) == {"wsgiref", "prometheus_client"}


def test_the_server_never_imports_aiohttp():
    # aiohttp (~15 MB RSS) is for the tests and the devtools replays only.
    assert "aiohttp" not in loaded_with("None") | loaded_with(WEB_ON)
