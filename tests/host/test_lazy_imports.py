"""Heavy modules a server does not use are not imported (each costs RSS for nothing)."""

from __future__ import annotations

import subprocess
import sys

CHECK = r"""
import sys
from nocturne.app import NocturneServer
from nocturne.config import Config
server = NocturneServer(Config(ping_host="", web={web}, mdns=False), media=False)
print(",".join(m for m in ("aiohttp", "prometheus_client", "wsgiref", "PIL") if m in sys.modules))
"""
WEB_ON = "__import__('nocturne.config').config.WebSettings()"


def loaded_with(web: str) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", CHECK.replace("{web}", web)],
        capture_output=True, text=True, check=True, timeout=60,
    ).stdout.strip()  # fmt: skip
    return set(out.split(",")) - {""}


def test_prometheus_and_its_http_server_only_when_web_is_on():
    assert loaded_with("None") == set()
    on = loaded_with(WEB_ON)
    assert {"prometheus_client", "wsgiref"} <= on and "PIL" not in on


def test_the_server_never_imports_aiohttp():
    # aiohttp (~15 MB RSS) is for the tests and the devtools replays only.
    assert "aiohttp" not in loaded_with("None") | loaded_with(WEB_ON)
