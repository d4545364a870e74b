"""The server on a background thread with its own event loop, for the tray's main thread."""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

from .. import shutdown
from ..collect.collector import LHM
from ..config.model import Config
from ..handoff import call_in_loop, run_in_loop
from ..shutdown import EXIT_DEADLINE

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ServerStatus:
    running: bool
    devices: int = 0
    lhm_online: bool | None = None  # None: not polled yet
    error: str | None = None
    paired: tuple[str, ...] = ()  # the paired boards' names (config.json device_tokens)
    connected_boards: frozenset[str] = frozenset()  # those of them connected now
    dashboard: str | None = None  # the dashboard's URL while the web endpoint listens
    updatable: tuple[str, ...] = ()  # paired boards that can take an update over the air now

    @property
    def text(self) -> str:
        """One line for the tray's Status item, e.g. ``RUNNING · 2 devices``."""
        if not self.running:
            return f"STOPPED: {self.error}" if self.error else "STOPPED"
        devices = {0: "no devices", 1: "1 device"}.get(self.devices, f"{self.devices} devices")
        if self.lhm_online is False:
            return f"LHM not reachable · {devices}"
        return f"RUNNING · {devices}"


class ServerThread:
    """Starts, restarts and stops a NocturneServer running on a daemon thread."""

    def __init__(self, load_config: Callable[[], Config]) -> None:
        self._load_config = load_config
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._stop: asyncio.Event | None = None
        self._server = None  # NocturneServer, touched only on the loop's thread
        self._error: str | None = None
        self._ready = threading.Event()

    # --- life cycle (called from the main thread) ---

    def start(self, timeout: float = 15.0) -> ServerStatus:
        """Start the thread and the server; return once it listens or has failed."""
        self._ready.clear()
        self._thread = threading.Thread(target=self._run, name="nocturne-server", daemon=True)
        self._thread.start()
        self._ready.wait(timeout)
        return self.status()

    def restart(self, timeout: float = 15.0) -> ServerStatus:
        """Stop the sources and the TCP server, re-read the config, start again.

        The process and this thread stay; devices see the link drop and reconnect.
        """
        if self._loop is None:
            return self.start(timeout)
        future = run_in_loop(self._loop, self._restart())
        try:
            future.result(timeout)
        except concurrent.futures.TimeoutError:
            log.error("Restart did not finish within %g s", timeout)
        return self.status()

    def stop(self, timeout: float = EXIT_DEADLINE) -> None:
        """Stop the server (devices see the link drop) and end the thread (waiting at most
        ``timeout`` seconds: the server's stop has a budget of its own, shutdown.py)."""
        if self._loop is not None and self._stop is not None:
            call_in_loop(self._loop, self._stop.set)
        if self._thread is not None:
            self._thread.join(timeout)

    def stop_for_exit(self) -> None:
        """The process is ending (the tray closed): stop within the exit deadline, and let
        no worker thread still inside a blocking call hold the process up (shutdown.py)."""
        deadline = shutdown.arm_backstop()
        self.stop(deadline.left())
        shutdown.end_process(deadline)

    def status(self) -> ServerStatus:
        server = self._server
        if server is None:
            return ServerStatus(False, error=self._error)
        feed = server.collector.feed(LHM)
        return ServerStatus(
            True,
            devices=server.devices.device_count,
            lhm_online=None if feed is None or feed.up is None else feed.up,
            paired=tuple(server.pairing.boards),
            connected_boards=frozenset(d.board for d in server.devices.devices() if d.board),
            dashboard=f"{server.web.url}/" if server.web is not None and server.web.port else None,
            updatable=tuple(
                sorted(
                    d.board
                    for d in server.devices.devices()
                    if d.board and d.update and d.update.get("available")
                )
            ),
        )

    def request_update(self, timeout: float = 5.0) -> list[str]:
        """Start the update over the air of every board that can take one (the tray's
        "Update firmware" for ``"board_updates": "ask"``); the names of those started."""
        loop = self._loop
        if loop is None:
            return []

        async def request() -> list[str]:
            server = self._server
            return server.devices.request_update(None) if server is not None else []

        try:
            return run_in_loop(loop, request()).result(timeout)
        except concurrent.futures.TimeoutError:
            return []

    # --- on the server thread ---

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            loop.run_until_complete(self._main())
        finally:
            loop.close()
            self._loop = None

    async def _main(self) -> None:
        self._stop = asyncio.Event()
        await self._start_server()
        self._ready.set()
        await self._stop.wait()
        await self._stop_server()

    async def _start_server(self) -> None:
        from ..app import NocturneServer  # the import costs; the tray shows up first
        from ..gc_tuning import freeze_startup_objects

        try:
            config = self._load_config()
            server = NocturneServer(config)
            await server.start()
        except Exception as exc:  # a config error or a taken port: shown as the status
            self._error = str(getattr(exc, "strerror", None) or exc)
            log.error("Server not started: %s", self._error)
            self._server = None
            return
        self._error = None
        self._server = server
        freeze_startup_objects()  # full collections skip the start-up objects (gc_tuning)

    async def _stop_server(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            await server.stop()

    async def _restart(self) -> None:
        log.info("Restarting the server")
        await self._stop_server()
        await self._start_server()
