"""Work handed from a thread to an event loop: it runs on the loop's thread, and a closed
loop drops it instead of raising in the thread."""

from __future__ import annotations

import asyncio
import threading

from nocturne.handoff import call_in_loop, run_in_loop


async def test_work_from_a_thread_runs_on_the_loops_thread():
    loop = asyncio.get_running_loop()
    ran_on: list[int] = []
    done = asyncio.Event()

    def note(value: int) -> None:
        ran_on.append(threading.get_ident())
        ran_on.append(value)
        done.set()

    async def double(x: int) -> int:
        return 2 * x

    results: list[object] = []

    def worker() -> None:
        results.append(call_in_loop(loop, note, 7))
        results.append(run_in_loop(loop, double(21)).result(5))

    thread = threading.Thread(target=worker)
    thread.start()
    await asyncio.wait_for(done.wait(), 5)
    await asyncio.to_thread(thread.join, 5)
    assert ran_on == [threading.get_ident(), 7]
    assert results == [True, 42]


def test_a_closed_loop_drops_the_work():
    loop = asyncio.new_event_loop()
    loop.close()
    called: list[int] = []
    assert call_in_loop(loop, called.append, 1) is False
    assert called == []
