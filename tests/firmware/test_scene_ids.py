"""The host's scene ids (src/nocturne/wire/scene_ids.py) are the firmware's: the server reads
``screen:N`` from a board and decides from N whether to scan processes."""

from nocturne_fw import scene_ids as firmware
from nocturne_fw import wire_tables

from nocturne.wire import scene_ids as host

HOST_NAMES = [n for n in vars(host) if n.isupper() and type(getattr(host, n)) is int]


def test_the_host_names_some_scenes():
    assert {"HUB", "CPU", "RAM", "PROCESSES", "COUNT"} <= set(HOST_NAMES)


def test_every_host_scene_id_is_the_firmwares():
    """scene_ids.py re-exports the ids the firmware's code names (CUSTOM_1, not the other
    custom ones: every name a module keeps costs the board's heap); wire_tables.py has all."""
    for name in HOST_NAMES:
        assert getattr(host, name) == getattr(wire_tables, name), name
        assert getattr(firmware, name, getattr(host, name)) == getattr(host, name), name


def test_scenes_with_processes_are_the_firmwares():
    assert set(host.WITH_PROCESSES) == set(firmware.WITH_PROCESSES)
    assert len(firmware.WITH_PROCESSES) == len(set(firmware.WITH_PROCESSES))


def test_scene_count_and_names_agree():
    assert host.COUNT == firmware.COUNT == len(firmware.NAMES)


def test_scene_names_are_the_firmwares():
    """Home Assistant's scene select offers the host's names; the board shows the firmware's."""
    assert tuple(host.NAMES) == tuple(firmware.NAMES)
    assert host.NAMES[host.PCS] == "PCS"
    assert host.NAMES[host.CUSTOM_1 :] == ("CUSTOM 1", "CUSTOM 2", "CUSTOM 3", "CUSTOM 4")
