"""What each source costs (sources/cost.py): a coroutine's own steps, a worker thread's call."""

from __future__ import annotations

import asyncio
import time

import pytest

from nocturne.sources.cost import CostMeter


def burn(seconds: float) -> None:
    """Spend ``seconds`` of this thread's CPU time."""
    start = time.thread_time()
    while time.thread_time() - start < seconds:
        pass


async def test_a_coroutine_is_charged_its_own_steps_not_what_others_do_while_it_waits():
    meter = CostMeter()

    async def source() -> int:
        burn(0.05)
        await asyncio.sleep(0.05)  # another task burns 0.2 s meanwhile
        burn(0.05)
        return 7

    async def other() -> None:
        await asyncio.sleep(0.01)
        burn(0.2)

    neighbour = asyncio.create_task(other())
    assert await meter.metered("src", source()) == 7
    await neighbour
    assert 0.1 <= meter.seconds["src"] < 0.2


async def test_a_cancelled_or_failing_read_is_charged_and_raises_as_it_was():
    meter = CostMeter()
    cleaned_up = []

    async def hangs() -> None:
        burn(0.02)
        try:
            await asyncio.sleep(60)
        finally:
            cleaned_up.append(True)  # the cancellation reached the source's own code

    async def read() -> None:
        await meter.metered("slow", hangs())

    task = asyncio.create_task(read())
    await asyncio.sleep(0.01)  # its first step ran; it waits now
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert cleaned_up == [True] and meter.seconds["slow"] >= 0.02

    async def fails() -> None:
        burn(0.02)
        raise ValueError("broken")

    with pytest.raises(ValueError, match="broken"):
        await meter.metered("bad", fails())
    assert meter.seconds["bad"] >= 0.02


async def test_work_in_a_worker_thread_is_charged_to_its_name():
    meter = CostMeter()
    assert await asyncio.to_thread(meter.call, "psutil", lambda: burn(0.03) or 5) == 5
    assert meter.snapshot()["psutil"] >= 0.03
