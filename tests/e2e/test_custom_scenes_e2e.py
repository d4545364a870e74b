"""Custom scenes end to end (issue 24): a real LHM capture replayed over HTTP, a real server
(its own process) with four custom scenes of sensors no built-in scene shows (per-core
clocks, a CCD's temperature, a drive's temperatures, fans and the pump), and an emulated
board run by ``nocturne emulate --headless --text``, walked through them with button presses:
its text lines carry every slot's label and the capture's value rounded to its decimals."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from nocturne.devtools.lhm_replay import LhmReplay
from nocturne.sources.lhm.parser import parse_data_json
from tests.harness.rig import ServerProcess, free_port, server_env, write_config

from ..conftest import CAPTURE_0_9_6
from .test_emulate_cli import emulator_cmd

DISKS = 12  # the board starts there (settings.json); presses walk PCS, then the custom scenes
SCENES = [
    {"name": "CORES", "layout": "grid",
     "slots": [{"sensor": f"/amdcpu/0/clock/{n}", "label": f"CORE {i}"}
               for i, n in enumerate((6, 8, 10, 12), 1)]},
    {"name": "CCD", "layout": "graph",
     "slots": [{"sensor": "/amdcpu/0/temperature/7", "label": "CCD1 TDIE", "decimals": 1}]},
    {"name": "NVME", "layout": "two",
     "slots": [{"sensor": "/nvme/0/temperature/0", "label": "COMPOSITE"},
               {"sensor": "/nvme/0/temperature/1", "label": "SENSOR 1", "decimals": 1}]},
    {"name": "COOLING", "layout": "rows",
     "slots": [{"sensor": "/lpc/nct6687d/0/fan/1", "label": "PUMP"},
               {"sensor": "/lpc/nct6687d/0/fan/4", "label": "SYS FAN 3"},
               {"sensor": "/usbhid/0C70/F00D/26386-20527/fan/3", "label": "QUADRO 4"},
               {"sensor": "/gpu-nvidia/0/fan/2", "label": "GPU FAN 2"}]},
]  # fmt: skip


def expected() -> dict[str, list[tuple[str, str]]]:
    """Scene name -> (label, value as the capture has it, rounded to the slot's decimals)."""
    reading = parse_data_json(CAPTURE_0_9_6.read_bytes())
    by_id = {s.id: s for s in reading.sensors}
    shown = [*reading.chosen.values()]
    out = {}
    for scene in SCENES:
        slots = []
        for slot in scene["slots"]:
            assert slot["sensor"] not in shown  # no built-in scene shows it
            value = by_id[slot["sensor"]].value
            assert value is not None
            slots.append((slot["label"], f"{value:.{slot.get('decimals', 0)}f}"))
        out[scene["name"]] = slots
    return out


def shows(strings: list[str], value: str) -> bool:
    """``value`` is drawn as a string of its own, or with its unit after it."""
    return any(s in (value, value + "°C") or s.startswith(value + " ") for s in strings)


async def test_four_custom_scenes_walked_with_the_button_read_as_text(tmp_path: Path):
    want = expected()
    assert want["CCD"] == [("CCD1 TDIE", "47.3")] and want["COOLING"][0] == ("PUMP", "2734")
    replay = LhmReplay(CAPTURE_0_9_6.read_bytes())
    await replay.start()
    port = free_port()
    server = ServerProcess(write_config(tmp_path, port, replay.url, custom_scenes=SCENES))
    try:
        await server.start()
        fs = tmp_path / "board"
        fs.mkdir()
        (fs / "settings.json").write_text(json.dumps({"carousel": False, "scene": DISKS}))
        cmd = emulator_cmd(port, "--headless", "--text", "--fs", str(fs),
                           "--press-every", "1.5", "--seconds", "11")  # fmt: skip
        proc = await asyncio.create_subprocess_exec(
            *cmd, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=server_env()
        )
        stdout, stderr = await asyncio.wait_for(proc.communicate(), 40)
    finally:
        await server.stop()
        await replay.stop()
    assert proc.returncode == 0, stderr.decode()
    lines = stdout.decode().splitlines()
    assert lines and all(line.startswith("text [") for line in lines), lines[:3]
    frames = [json.loads(line.removeprefix("text ")) for line in lines]
    walked = [f[0] for f in frames if f]
    for name, slots in want.items():
        seen = [f for f in frames if f and f[0] == name]
        assert seen, (name, sorted(set(walked)))
        strings = seen[-1]
        for label, value in slots:
            assert label in strings, (name, label, strings)
            assert shows(strings, value), (name, label, value, strings)
    order = [n for i, n in enumerate(walked) if n in want and (i == 0 or walked[i - 1] != n)]
    assert order == list(want), order  # one press after another, in scene id order
    assert "Traceback" not in server.log() + stderr.decode()
