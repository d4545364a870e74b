"""Heavy modules a server does not use are not imported (each costs RSS for nothing)."""

from __future__ import annotations

import subprocess
import sys

CHECK = r"""
import sys
from nocturne.app import NocturneServer
from nocturne.config import Config
server = NocturneServer(Config(ping_host="", web={web}, mdns=False), media=False)
print(",".join(m for m in ("aiohttp.web", "prometheus_client", "PIL") if m in sys.modules))
"""


def loaded_with(web: str) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", CHECK.replace("{web}", web)],
        capture_output=True, text=True, check=True, timeout=60,
    ).stdout.strip()  # fmt: skip
    return set(out.split(",")) - {""}


def test_the_web_server_and_prometheus_only_when_web_is_on():
    assert loaded_with("None") == set()
    on = loaded_with("__import__('nocturne.config').config.WebSettings()")
    assert {"aiohttp.web", "prometheus_client"} <= on and "PIL" not in on
