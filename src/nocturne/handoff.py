"""Work handed from another thread to an event loop: the one way the server does it.

The tray's main thread, the MQTT client's own loop, the psutil pass's worker and the
platforms' power watchers all hand work to a loop they do not run. A loop that has closed
meanwhile (the server stopping) drops the work instead of raising in the thread.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


def call_in_loop(loop: asyncio.AbstractEventLoop, fn: Callable[..., object], *args: Any) -> bool:
    """Call ``fn(*args)`` on ``loop``'s thread soon; False when the loop has closed."""
    with contextlib.suppress(RuntimeError):
        loop.call_soon_threadsafe(fn, *args)
        return True
    return False


def run_in_loop(
    loop: asyncio.AbstractEventLoop, work: Coroutine[Any, Any, T]
) -> concurrent.futures.Future[T]:
    """Run the coroutine ``work`` on ``loop``; a thread waits on (or cancels) the future."""
    return asyncio.run_coroutine_threadsafe(work, loop)
