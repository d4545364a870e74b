"""The custom scenes' slots on GET /metrics (issue 24): checked by Prometheus' own promtool,
each known slot's value the capture's, in its own unit; an unknown slot has no sample."""

from __future__ import annotations

import subprocess
from collections.abc import AsyncIterator

import pytest

from nocturne.app import NocturneServer
from nocturne.config.model import load_config
from tests.harness.rig import free_port, write_config

from .test_metrics import get, samples, until

SCENES = [
    {"name": "CORES", "layout": "two",
     "slots": [{"sensor": "/amdcpu/0/clock/6", "label": "CORE 1"},
               {"sensor": "/amdcpu/0/clock/99", "label": "NONE"}]},
    {"name": "DRIVE", "layout": "big",
     "slots": [{"sensor": "/nvme/0/temperature/1", "label": "NVMe #1", "decimals": 1}]},
]  # fmt: skip


@pytest.fixture
async def server(tmp_path, lhm_replay) -> AsyncIterator[NocturneServer]:
    path = write_config(
        tmp_path,
        free_port(),
        lhm_replay.url,
        poll_interval=0.5,
        web={"host": "127.0.0.1", "port": free_port()},
        custom_scenes=SCENES,
    )
    running = NocturneServer(load_config(path, environ={}).config, media=False, power=False)
    await running.start()
    try:
        await until(lambda: running.collector.snapshot.lhm_online)
        yield running
    finally:
        await running.stop()


async def test_custom_slots_pass_promtool_with_the_capture_values(server):
    status, _, text = await get(f"{server.web.url}/metrics")
    assert status == 200
    check = subprocess.run(
        ["promtool", "check", "metrics"], input=text, capture_output=True, text=True, timeout=30
    )
    assert check.returncode == 0, check.stdout + check.stderr
    custom = {
        labels: value for (name, labels), value in samples(text).items()
        if name == "nocturne_custom_slot_value"
    }  # fmt: skip
    # "4875,0 MHz" (Core #1) and "45,9 °C" (the NVMe's Temperature #1) in the capture.
    labels = ("label", "scene", "scene_name", "slot", "unit")
    assert custom == {
        tuple(zip(labels, ("CORE 1", "1", "CORES", "1", "MHz"), strict=True)): 4875.0,
        tuple(zip(labels, ("NVMe #1", "2", "DRIVE", "1", "°C"), strict=True)): 45.9,
    }
