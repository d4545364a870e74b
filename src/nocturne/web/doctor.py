"""`nocturne doctor`'s look at the dashboard: does the running server's web endpoint answer?

Standard library only (urllib): the doctor imports no web server.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request

from ..config import WebSettings

WILDCARD_HOSTS = ("", "0.0.0.0", "::")


def dashboard_url(web: WebSettings) -> str:
    """Where this machine reaches the dashboard (loopback for a wildcard bind)."""
    host = "127.0.0.1" if web.host in WILDCARD_HOSTS else web.host
    return f"http://[{host}]:{web.port}/" if ":" in host else f"http://{host}:{web.port}/"


def check_dashboard(web: WebSettings | None, server_running: bool) -> tuple[bool, str, str]:
    """(ok, what, fix) for the doctor: GET /api/csrf answers JSON while the server runs."""
    if web is None:
        return True, 'dashboard: off ("web": null in config.json)', ""
    url = dashboard_url(web)
    try:
        with urllib.request.urlopen(f"{url}api/csrf", timeout=2.0) as response:
            document = json.loads(response.read(4096))
    except (OSError, ValueError) as exc:
        if not server_running:
            return True, f"dashboard: at {url} once the server runs", ""
        reason = getattr(exc, "reason", None) or exc
        return (
            False,
            f"dashboard: {url} does not answer ({reason})",
            "Look in nocturne.log for a 'Web:' line: the port may be taken (set another "
            "'web' port in config.json) or a LAN bind may lack a password (nocturne web-password).",
        )
    if not isinstance(document, dict) or "login_required" not in document:
        return (
            False,
            f"dashboard: {url} answers, but not as NOCTURNE_OS",
            "Is another program on that port?",
        )
    return True, f"dashboard answers at {url}", ""
