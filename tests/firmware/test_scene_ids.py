"""The host's scene ids (src/nocturne/wire/scene_ids.py) are the firmware's: the server reads
``screen:N`` from a board and decides from N whether to scan processes."""

from nocturne_fw import scene_ids as firmware

from nocturne.wire import scene_ids as host

HOST_NAMES = [n for n in vars(host) if n.isupper() and type(getattr(host, n)) is int]


def test_the_host_names_some_scenes():
    assert {"HUB", "CPU", "RAM", "PROCESSES", "COUNT"} <= set(HOST_NAMES)


def test_every_host_scene_id_is_the_firmwares():
    for name in HOST_NAMES:
        assert getattr(host, name) == getattr(firmware, name), name


def test_scenes_with_processes_are_the_firmwares():
    assert set(host.WITH_PROCESSES) == set(firmware.WITH_PROCESSES)
    assert len(firmware.WITH_PROCESSES) == len(set(firmware.WITH_PROCESSES))


def test_scene_count_and_names_agree():
    assert host.COUNT == firmware.COUNT == len(firmware.NAMES)


def test_scene_names_are_the_firmwares():
    """Home Assistant's scene select offers the host's names; the board shows the firmware's."""
    assert tuple(host.NAMES) == tuple(firmware.NAMES)
    assert host.NAMES[host.PCS] == "PCS"
