"""Stopping on time: a server asked to stop (SIGTERM, Ctrl+C, the tray's Close) is gone
within ``EXIT_DEADLINE`` seconds, whatever it was doing.

Three rules make that hold:

- ``NocturneServer.stop`` gets ``STOP_BUDGET`` seconds in all. Its parts stop side by side
  and whatever has not finished then is cancelled and left (``stop_all``): a silent MQTT
  broker, a slow mDNS goodbye or a stuck source cannot hold the others back.
- The process then waits for its remaining threads (a worker thread still inside a
  blocking call: an HTTP read, a DNS lookup, a process scan) only until the deadline
  (``end_process``). Python itself would join them without a limit at exit.
- A backstop (``arm_backstop``), armed when the stop is asked for, ends the process at
  the deadline should anything else still hang; it says so in the log first.
"""

from __future__ import annotations

import asyncio
import concurrent.futures.thread
import contextlib
import logging
import os
import sys
import threading
import time
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from typing import Any, TypeVar

log = logging.getLogger(__name__)

EXIT_DEADLINE = 2.0  # seconds from the request to stop to the end of the process
STOP_BUDGET = 1.2  # seconds the server's parts get to stop (the rest: threads, exit)
TASKS_BUDGET = 0.2  # seconds left-over tasks get to end once cancelled
EXIT_MARGIN = 0.3  # seconds before the deadline the process stops waiting for threads
FORCED_EXIT = 3  # the exit status when the backstop ended the process

T = TypeVar("T")


class Deadline:
    """A point in time (``time.monotonic``) and how much of it is left."""

    def __init__(self, seconds: float) -> None:
        self.at = time.monotonic() + seconds

    def left(self) -> float:
        return max(0.0, self.at - time.monotonic())


async def stop_all(
    parts: Mapping[str, Callable[[], Awaitable[object]]], budget: float = STOP_BUDGET
) -> list[str]:
    """Stop every part at once; after ``budget`` seconds cancel the ones still stopping
    (without waiting for them to end: a part that ignores cancelling cannot hold this up).
    Returns the names of those cut short; each is logged."""
    tasks = {asyncio.ensure_future(stop()): name for name, stop in parts.items()}
    if not tasks:
        return []
    done, late = await asyncio.wait(tasks, timeout=budget)
    for task in done:
        if not task.cancelled() and task.exception() is not None:
            log.warning("Stopping %s failed: %s", tasks[task], task.exception())
    for task in late:
        task.cancel()
    names = sorted(tasks[task] for task in late)
    if names:
        log.warning("Stopping: %s did not stop within %g s; left behind", ", ".join(names), budget)
    return names


def run(main: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run`` without its two unbounded waits at the end: tasks still running
    get ``TASKS_BUDGET`` seconds once cancelled, and the default executor's threads are
    not waited for here (``end_process`` waits for them, up to the deadline).

    A KeyboardInterrupt out of the loop (Ctrl+C where signals cannot be handled on the
    loop, as on Windows) is a request to stop: ``main`` is cancelled and gets the stop
    budget for its ``finally``, then the interrupt goes on."""
    loop = asyncio.new_event_loop()
    task: asyncio.Task[T] | None = None
    try:
        asyncio.set_event_loop(loop)
        task = loop.create_task(main)
        return loop.run_until_complete(task)
    finally:
        try:
            if task is not None and not task.done():
                arm_backstop()
                task.cancel()
                loop.run_until_complete(asyncio.wait([task], timeout=STOP_BUDGET + TASKS_BUDGET))
            rest = [t for t in asyncio.all_tasks(loop) if not t.done()]
            for other in rest:
                other.cancel()
            if rest:
                loop.run_until_complete(asyncio.wait(rest, timeout=TASKS_BUDGET))
        finally:
            asyncio.set_event_loop(None)
            loop.close()  # shuts the default executor down without waiting for it


def end_process(deadline: Deadline, status: int = 0) -> None:
    """Wait for this process's other (non-daemon) threads until ``deadline``; when one is
    still running then (stuck in a blocking call), say which and end the process now
    rather than let Python's exit wait for it without a limit."""
    waited = _joined_at_exit()
    for thread in waited:
        thread.join(max(0.0, deadline.left() - EXIT_MARGIN))
    stuck = [t.name for t in waited if t.is_alive()]
    if stuck:
        log.warning("Stopping: not waiting for threads still busy: %s", ", ".join(stuck))
        _exit_now(status)


def _joined_at_exit() -> list[threading.Thread]:
    """The threads Python's exit waits for: the non-daemon ones, and every executor worker
    (concurrent.futures joins its workers at exit even when they are daemon threads, as
    those started from the tray's server thread are)."""
    current = threading.current_thread()
    workers = getattr(concurrent.futures.thread, "_threads_queues", {})
    return [
        t
        for t in threading.enumerate()
        if t is not current and t.is_alive() and (not t.daemon or t in workers)
    ]


_requested: Deadline | None = None


def arm_backstop(seconds: float = EXIT_DEADLINE) -> Deadline:
    """From now on the process ends within ``seconds``: a daemon timer ends it then if it
    has not ended by itself (status ``FORCED_EXIT``). Arming again keeps the first one."""
    global _requested
    if _requested is None:
        _requested = Deadline(seconds)
        backstop = threading.Timer(seconds, _force_exit)
        backstop.name = "nocturne-exit-backstop"
        backstop.daemon = True
        backstop.start()
    return _requested


def exit_deadline() -> Deadline:
    """The deadline armed by the request to stop, or one from now when none was made."""
    return _requested or Deadline(EXIT_DEADLINE)


def _force_exit() -> None:
    busy = [t.name for t in threading.enumerate() if t is not threading.current_thread()]
    log.error(
        "Did not stop within %g s (still running: %s); ending the process",
        EXIT_DEADLINE,
        ", ".join(busy) or "-",
    )
    _exit_now(FORCED_EXIT)


def _exit_now(status: int) -> None:
    logging.shutdown()  # flush the log files and the console first
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError, AttributeError):
            stream.flush()
    os._exit(status)
