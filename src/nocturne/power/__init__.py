"""Power events of the PC: about to sleep, awake again, about to shut down.

One small interface over the platforms: a watcher (``logind.py`` on Linux, the system bus;
``windows.py`` on Windows, a hidden window's WM_POWERBROADCAST / WM_ENDSESSION) tells a
:class:`PowerEvents` what the OS announces. The server's side (``responder.py``) pushes a
``pwr`` line to every board at once before the link goes, and re-reads LibreHardwareMonitor
on resume. A watcher that cannot start logs one line and the server runs on without it.
"""

from __future__ import annotations

import logging
import sys
from concurrent.futures import Future
from typing import Protocol

log = logging.getLogger(__name__)

SLEEP = "sleep"  # the values of the wire's `pwr`
OFF = "off"
ANNOUNCE_TIMEOUT = 1.5  # seconds a watcher holds the OS back while the boards are told


class PowerEvents(Protocol):
    """What a watcher calls, from any thread. Each returns a future that is done once the
    boards have been told (a watcher may wait on it, briefly, before it lets the OS go on)."""

    def sleeping(self, going: bool) -> Future[None]:
        """``True``: the PC is about to sleep; ``False``: it has woken up."""
        ...

    def shutting_down(self, going: bool) -> Future[None]:
        """``True``: the PC is about to shut down or restart; ``False``: that was cancelled."""
        ...


class PowerWatcher(Protocol):
    """Listens for the OS's power events and passes them to ``events``."""

    name: str

    async def start(self, events: PowerEvents) -> None:
        """Start listening. Raises OSError (or a subclass) when the OS side is unreachable."""
        ...

    async def stop(self) -> None: ...


def power_watcher() -> PowerWatcher | None:
    """This platform's watcher, or None where there is none."""
    if sys.platform == "win32":
        from ._windows import WindowsPowerWatcher

        return WindowsPowerWatcher()
    if sys.platform.startswith("linux"):
        from ._linux import LogindWatcher

        return LogindWatcher()
    log.info(
        "No power events on %s: boards learn of a sleeping PC when the link goes", sys.platform
    )
    return None


async def start_watcher(watcher: PowerWatcher | None, events: PowerEvents) -> PowerWatcher | None:
    """Start ``watcher``; on failure one log line and None (the server runs on without it)."""
    if watcher is None:
        return None
    try:
        await watcher.start(events)
    except OSError as exc:
        log.warning("No power events (%s): boards learn of a sleeping PC when the link goes", exc)
        await watcher.stop()
        return None
    return watcher
