"""``nocturne scenes`` (issue 24): the custom scenes listed with the values of a capture (or
of LibreHardwareMonitor now), and one drawn to a PNG by the firmware's own code, its text
read back off the pixels with the firmware's fonts."""

from __future__ import annotations

import json

from PIL import Image

from nocturne.emulator.glass_text import read_text
from nocturne.ui.cli import main
from tests.harness.rig import free_port, write_config

from ...conftest import CAPTURE_0_9_6

SCENES = [
    {"name": "CORES", "layout": "grid",
     "slots": [{"sensor": "/amdcpu/0/clock/6", "label": "CORE 1"},
               {"sensor": "/amdcpu/0/clock/66", "label": "NO SUCH"}]},
    {"name": "NVME", "layout": "rows",
     "slots": [{"sensor": "/nvme/0/temperature/1", "label": "SENSOR 1", "decimals": 1},
               {"field": "gpu_temp", "label": "GPU"}]},
]  # fmt: skip


def config(tmp_path, lhm_url: str = "http://127.0.0.1:9/data.json", **keys) -> str:
    return str(write_config(tmp_path, free_port(), lhm_url, custom_scenes=SCENES, **keys))


def test_the_list_has_every_slot_with_the_captures_value(tmp_path, capsys, caplog):
    assert main(["scenes", "--config", config(tmp_path), "--capture", str(CAPTURE_0_9_6)]) == 0
    out, err = capsys.readouterr()
    rows = [line.split() for line in out.splitlines()]
    assert rows == [
        ["1", "CORES", "grid", "(scene", "id", "14)"],
        ["CORE", "1", "4875", "MHz", "/amdcpu/0/clock/6"],
        ["NO", "SUCH", "—", "/amdcpu/0/clock/66"],
        ["2", "NVME", "rows", "(scene", "id", "15)"],
        ["SENSOR", "1", "45.9", "°C", "/nvme/0/temperature/1"],
        ["GPU", "44", "°C", "field", "gpu_temp"],
    ]
    said = [
        r.getMessage() for r in caplog.records if "LibreHardwareMonitor's sensors" in r.getMessage()
    ]
    assert len(said) + err.count("LibreHardwareMonitor's sensors") == 1  # said once, logged
    assert "'/amdcpu/0/clock/66' is not in LibreHardwareMonitor's sensors (the closest are: " \
           "/amdcpu/0/clock/6" in said[0]  # fmt: skip


def test_no_lhm_is_said_and_every_sensor_is_unknown(tmp_path, capsys):
    assert main(["scenes", "--config", config(tmp_path)]) == 0
    out, err = capsys.readouterr()
    assert "every sensor unknown" in err
    assert out.count("—") == 4


def test_a_scene_to_png_is_the_firmwares_drawing(tmp_path, capsys):
    png = tmp_path / "nvme.png"
    args = ["scenes", "--config", config(tmp_path), "--capture", str(CAPTURE_0_9_6)]
    assert main([*args, "--png", str(png), "--scene", "2", "--scale", "2"]) == 0
    assert "Wrote" in capsys.readouterr().out
    image = Image.open(png).convert("L")
    assert image.size == (256, 128)
    glass = [[int(image.getpixel((2 * x, 2 * y)) > 127) for x in range(128)] for y in range(64)]
    text = read_text(glass)
    assert text[0] == "NVME" and {"SENSOR 1", "45.9 °C", "GPU", "44 °C"} <= set(text), text
    assert main([*args, "--png", str(png), "--scene", "3"]) == 2
    assert "--scene 3: there are 2 custom scenes" in capsys.readouterr().err


def test_without_custom_scenes_it_says_how_to_add_them(tmp_path, capsys):
    path = write_config(tmp_path, free_port(), "http://127.0.0.1:9/data.json")
    assert main(["scenes", "--config", str(path)]) == 0
    assert "No custom scenes in" in capsys.readouterr().out
    assert json.loads(path.read_text())["ping_host"] == ""
