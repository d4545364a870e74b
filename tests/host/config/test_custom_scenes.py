"""config.json "custom_scenes" (issue 24): what a good one gives, one clear line per mistake,
and an unknown sensor id named with the closest ones once LibreHardwareMonitor's tree is read."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from nocturne.collect.custom import CustomValues
from nocturne.config.model import ConfigError, config_from_mapping, load_config
from nocturne.snapshot import Hardware
from nocturne.snapshot.custom import CustomScene, CustomSlot
from nocturne.sources.lhm.parser import parse_data_json

LHM_FIXTURES = Path(__file__).parents[2] / "fixtures/lhm"
CAPTURE = LHM_FIXTURES / "amd-r7-7800x3d_rtx4080super_nct6687d_lhm-0.9.6_comma.json"
ISSUE_EXAMPLE = [
    {"name": "MINE", "layout": "rows",
     "slots": [{"sensor": "/intelcpu/0/clock/9", "label": "E-CORE", "unit": "MHz", "decimals": 0},
               {"field": "gpu_temp", "label": "GPU", "critical": 90}]},
]  # fmt: skip


def scenes(*slots: dict, layout: str = "rows", name: str = "MINE") -> dict:
    return {"custom_scenes": [{"name": name, "layout": layout, "slots": list(slots)}]}


def test_the_issue_example_is_read_with_its_defaults(tmp_path):
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"custom_scenes": ISSUE_EXAMPLE}), encoding="utf-8")
    config = load_config(path, environ={}).config
    assert config.custom_scenes == (
        CustomScene(
            "MINE",
            "rows",
            (
                CustomSlot("sensor", "/intelcpu/0/clock/9", "E-CORE", "MHz", 0),
                CustomSlot("field", "gpu_temp", "GPU", None, 0, None, 90.0),
            ),
        ),
    )
    assert config_from_mapping({}).custom_scenes == ()
    assert config_from_mapping({"custom_scenes": None}).custom_scenes == ()


GPU = {"field": "gpu_temp", "label": "GPU"}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"custom_scenes": {"name": "A"}}, "key 'custom_scenes': expected a list of up to 4"),
        ({"custom_scenes": [scenes(GPU)["custom_scenes"][0]] * 5},
         "key 'custom_scenes': 5 scenes, the board has room for 4; remove 1"),
        (scenes(GPU, name="NINECHARS"), "key 'custom_scenes[0].name': expected a string of 1 to 8"),
        (scenes(GPU, name="Fans"), "'Fans' is the name of another scene"),
        ({"custom_scenes": [scenes(GPU)["custom_scenes"][0]] * 2},
         "key 'custom_scenes[1].name': 'MINE' is the name of another scene"),
        (scenes(GPU, layout="circle"), "'custom_scenes[0].layout': expected \"big\" or \"two\""),
        (scenes(GPU, GPU, layout="big"), 'layout "big" shows 1 slot, found 2; remove 1'),
        (scenes(layout="grid"), "key 'custom_scenes[0].slots': expected a list of 1 to 4 slots"),
        (scenes({"label": "X"}), 'give either "sensor" (an LHM SensorId'),
        (scenes({**GPU, "sensor": "/a/b"}), "not both"),
        (scenes({"field": "gpu_tmp", "label": "X"}),
         "'gpu_tmp' is not a field (did you mean 'gpu_temp'"),
        (scenes({"field": "gpu_temp"}), "key 'custom_scenes[0].slots[0].label' is missing"),
        (scenes({**GPU, "label": "ELEVENCHARS"}), "expected a string of 1 to 10 characters"),
        (scenes({**GPU, "unit": "units"}), "'custom_scenes[0].slots[0].unit': expected a string"),
        (scenes({**GPU, "decimals": 3}), "'custom_scenes[0].slots[0].decimals': expected a whole"),
        (scenes({**GPU, "critical": "hot"}), "'custom_scenes[0].slots[0].critical': expected a nu"),
        (scenes({**GPU, "warn": 90, "critical": 80}), "(90) is above"),
        (scenes({**GPU, "colour": 1}), "unknown key 'custom_scenes[0].slots[0].colour'"),
    ],
)  # fmt: skip
def test_each_mistake_is_one_line_naming_the_key(data, message):
    with pytest.raises(ConfigError) as caught:
        config_from_mapping(data)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_an_unknown_sensor_id_is_named_with_the_closest_once_the_tree_is_read(caplog):
    config = config_from_mapping(
        scenes({"sensor": "/amdcpu/0/clock/66", "label": "CORE"}, {"sensor": "/amdcpu/0/clock/6",
               "label": "CORE 1"}, {"sensor": "local/cpu_load", "label": "LOAD"})
    )  # fmt: skip
    values = CustomValues(config.custom_scenes)
    reading = parse_data_json(CAPTURE.read_bytes())
    local = Hardware(cpu_load=12.5)
    with caplog.at_level(logging.WARNING):
        first = values.read(None, Hardware(), local)  # no tree yet: nothing to say
        assert caplog.messages == []
        second = values.read(reading, reading.hardware, local)
        values.read(parse_data_json(CAPTURE.read_bytes()), reading.hardware, local)
    assert first is not None and first.values == (None, None, 12.5)
    assert second is not None and second.values == (None, 4875.0, 12.5)
    assert [s.unit for s in second.scenes[0].slots] == ["", "MHz", "%"]
    [warning] = caplog.messages  # once, not once per poll
    assert warning.startswith(
        "config.json: key 'custom_scenes[0].slots[0].sensor': '/amdcpu/0/clock/66' is not in "
        "LibreHardwareMonitor's sensors (the closest are: /amdcpu/0/clock/6"
    )
    assert warning.endswith("the slot shows unknown until it appears")
    values.scenes = ()  # a new definition is checked again, and none reads as None
    assert values.read(reading, reading.hardware, local) is None
