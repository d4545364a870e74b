"""Heavy modules a server does not use are not imported (each costs RSS for nothing)."""

from __future__ import annotations

import subprocess
import sys

CHECK = r"""
import sys
from nocturne.app import NocturneServer
from nocturne.config.model import Config
server = NocturneServer(Config(ping_host="", web={web}, mdns=False), media=False)
if {scrape}:  # one GET /metrics, with http.client (no client of the server's own)
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
loaded = ("aiohttp", "aiohttp.web", "prometheus_client", "PIL", "nocturne.flash")
print(",".join(m for m in loaded if m in sys.modules))
"""
WEB_ON = "__import__('nocturne.config.model').config.model.WebSettings(port=0)"


def loaded_with(web: str, *, scrape: bool = False) -> set[str]:
    check = CHECK.replace("{web}", web).replace("{scrape}", str(scrape))
    out = subprocess.run(
        [sys.executable, "-c", check],
        capture_output=True, text=True, check=True, timeout=60,
    ).stdout.strip()  # fmt: skip
    return set(out.split(",")) - {""}


def test_the_web_server_only_when_web_is_on_and_prometheus_from_the_first_scrape():
    # aiohttp's client is every HTTP source's (LHM, weather, covers): always there.
    assert loaded_with("None") == {"aiohttp"}
    assert loaded_with(WEB_ON) == {"aiohttp", "aiohttp.web"}
    assert loaded_with(WEB_ON, scrape=True) == {"aiohttp", "aiohttp.web", "prometheus_client"}
