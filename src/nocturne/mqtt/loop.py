"""Where the MQTT client runs: the server's event loop, or a selector loop of its own.

aiomqtt (paho-mqtt under it) watches its socket with ``loop.add_reader``, which the event
loop Python uses by default on Windows (``ProactorEventLoop``) does not have. There the
client runs on a ``SelectorEventLoop`` in a thread of its own, and everything that crosses
over goes through ``call_soon_threadsafe``: the newest snapshot one way, the messages for
the boards the other. Elsewhere it is simply a task on the server's loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable, Coroutine
from typing import Any

from ..handoff import call_in_loop, run_in_loop

STOP_TIMEOUT = 5.0  # seconds stop() waits for the thread's loop to finish


def needs_own_loop(loop: asyncio.AbstractEventLoop) -> bool:
    """True for a loop without ``add_reader`` (Windows' ProactorEventLoop)."""
    proactor = getattr(asyncio, "ProactorEventLoop", None)
    return proactor is not None and isinstance(loop, proactor)


class ClientLoop:
    """Runs one coroutine (the client's life) on the right loop; ``main`` is the server's."""

    def __init__(self, own: bool | None = None) -> None:
        self.own = own  # None: only where the server's loop lacks add_reader
        self.main: asyncio.AbstractEventLoop | None = None
        self.loop: asyncio.AbstractEventLoop | None = None  # where the client runs
        self.task: asyncio.Task[None] | None = None
        self._thread: threading.Thread | None = None

    @property
    def threaded(self) -> bool:
        return self._thread is not None

    def start(self, work: Callable[[], Coroutine[Any, Any, None]], name: str) -> None:
        """Start ``work()`` (call from the server's loop)."""
        self.main = asyncio.get_running_loop()
        own = self.own if self.own is not None else needs_own_loop(self.main)
        if not own:
            self.loop = self.main
            self.task = self.main.create_task(work(), name=name)
            return
        loop = self.loop = asyncio.SelectorEventLoop()
        started = threading.Event()

        def run() -> None:
            asyncio.set_event_loop(loop)
            self.task = loop.create_task(work(), name=name)
            started.set()
            try:
                loop.run_until_complete(asyncio.gather(self.task, return_exceptions=True))
            finally:
                loop.close()

        self._thread = threading.Thread(target=run, name=name, daemon=True)
        self._thread.start()
        started.wait()

    def to_client(self, fn: Callable[[], None]) -> None:
        """Call ``fn`` on the client's loop (from the server's)."""
        if self.loop is None or self.loop is self.main:
            fn()
        else:
            call_in_loop(self.loop, fn)

    def to_main(self, fn: Callable[..., None], *args: Any) -> None:
        """Call ``fn(*args)`` on the server's loop (from the client's)."""
        if self.main is None or self.main is self.loop:
            fn(*args)
        else:
            call_in_loop(self.main, fn, *args)

    async def finish(self, goodbye: Callable[[], Coroutine[Any, Any, None]]) -> None:
        """Run ``goodbye()`` on the client's loop, then end the client (from the server's)."""
        if self.loop is None:
            return
        if not self.threaded:
            await goodbye()
            self.task = self.loop = None
            return
        future = run_in_loop(self.loop, goodbye())
        with contextlib.suppress(Exception):
            await asyncio.wait_for(asyncio.wrap_future(future), STOP_TIMEOUT)
        thread = self._thread
        if thread is not None:
            await asyncio.to_thread(thread.join, STOP_TIMEOUT)
        self._thread = None
        self.task = self.loop = None
