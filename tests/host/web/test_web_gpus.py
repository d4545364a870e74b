"""The GPUs read without LHM on the dashboard's sensor list (issue 25): each reading of
each GPU as a sensor, the shown GPU's feeding its field unless LHM has that field."""

from __future__ import annotations

import shutil
from pathlib import Path

from nocturne.snapshot import Hardware
from nocturne.sources.gpu import GpuSource, gpu_list
from nocturne.sources.lhm.model import LhmReading
from nocturne.web.api import gpu_sensors

SYSFS = Path(__file__).resolve().parents[2] / "fixtures" / "sysfs"


def rx7900_gpus(tmp_path: Path) -> list[dict]:
    root = tmp_path / "rx7900"
    shutil.copytree(SYSFS / "amd-rx7900xt_desktop", root, symlinks=True)
    source = GpuSource(root=root)
    try:
        return gpu_list(source.read_sync())
    finally:
        source.close()


def test_every_direct_gpu_reading_is_a_sensor_and_the_shown_gpu_feeds_its_fields(tmp_path):
    sensors = {s["id"]: s for s in gpu_sensors(rx7900_gpus(tmp_path), None)}
    temp = next(s for i, s in sensors.items() if i.endswith("/gpu_temp"))
    assert temp["field"] == "gt" and temp["unit"] == "°C" and temp["value"] == 37
    assert "temp1_input" in temp["name"]  # what feeds it
    load = next(s for i, s in sensors.items() if i.endswith("/gpu_load"))
    assert load["field"] == "gl"
    power = next(s for i, s in sensors.items() if i.endswith("/power_w"))
    assert power["field"] is None and power["unit"] == "W"  # not a protocol field
    assert all(s["value"] is not None for s in sensors.values())  # unknown: left out


def test_lhm_wins_the_fields_it_has(tmp_path):
    lhm = LhmReading(hardware=Hardware(gpu_temp=60.0), sensors=())
    sensors = {s["id"]: s for s in gpu_sensors(rx7900_gpus(tmp_path), lhm)}
    temp = next(s for i, s in sensors.items() if i.endswith("/gpu_temp"))
    load = next(s for i, s in sensors.items() if i.endswith("/gpu_load"))
    assert temp["field"] is None and load["field"] == "gl"
