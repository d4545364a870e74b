"""Power cuts across an update on real MicroPython (issue 23): the board's process killed
at points of an update (mid-transfer, after staging, mid-swap, right after the swap, mid-
rollback, on trial before it marked itself good, after), then started again on the same
folder: it always comes up on a whole version, old or new, and reaches live data. Ten
points here; bench/bench_ota.py --cuts sweeps every filesystem step of the swap and the
rollback."""

from __future__ import annotations

from pathlib import Path

import pytest

from nocturne.emulator.mp_runtime import micropython_command

from .ota_boards import checkout, cut_and_recover, ota_server, variant


def setup_module() -> None:
    micropython_command()


@pytest.mark.parametrize(
    ("point", "steps", "runs"),
    [
        ("transfer", 0, "new"),  # killed mid-transfer: the next connect sends it again
        ("staged", 0, "new"),  # every file checked, marker written: the next boot swaps
        ("swap", 1, "new"),  # the swap's first step done: the next boot finishes it
        ("swap", 9, "new"),  # some files moved: the next boot finishes the swap
        ("swap", 40, "new"),  # most files moved
        ("rollback", 0, "old"),  # right after the swap, before main.py: never ran, rolled back
        ("rollback", 3, "old"),  # swapped, never ran: rolled back, cut mid-rollback
        ("rollback", 44, "old"),  # ... cut in the rollback's cleanup (38 files)
        ("trial", 0, "old"),  # running on trial, not yet good: rolled back
        ("good", 0, "new"),  # marked good: stays
    ],
)
async def test_a_power_cut_leaves_a_whole_version_that_reaches_live_data(
    tmp_path: Path, point: str, steps: int, runs: str
):
    new = variant(tmp_path / "new")
    async with ota_server(new, trial_s=30) as srv:
        assert await cut_and_recover(tmp_path, srv, checkout(), new, point, steps) == runs
