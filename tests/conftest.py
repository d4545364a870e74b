"""Shared test helpers: fixture paths and a LibreHardwareMonitor replay server."""

from __future__ import annotations

from pathlib import Path

import pytest

from nocturne.devtools.lhm_replay import LhmReplay

FIXTURES = Path(__file__).parent / "fixtures"
LHM_CAPTURES = sorted((FIXTURES / "lhm").glob("*.json"))
CAPTURE_0_9_6 = FIXTURES / "lhm" / "amd-r7-7800x3d_rtx4080super_nct6687d_lhm-0.9.6_comma.json"
CAPTURE_OHM_5900X = FIXTURES / "lhm" / "amd-r9-5900x_rtx3080_x570-nct6797d_ohm_dot.json"


@pytest.fixture
async def lhm_replay():
    """A running replay of the LHM 0.9.6 capture on a free loopback port."""
    replay = LhmReplay(CAPTURE_0_9_6.read_bytes())
    await replay.start()
    yield replay
    await replay.stop()
