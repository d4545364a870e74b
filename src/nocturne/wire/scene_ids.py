"""The board's scene ids: the one place their numbers are written.

A scene id is what a board reports as ``screen:N`` and stores in its settings.json, so the
numbers are part of the wire (the original firmware uses the same order) and never change.
``tools/make_wire_tables.py`` writes them into the firmware (``nocturne_fw/wire_tables.py``);
a test fails when that file is stale.
"""

from __future__ import annotations

# Index = scene id, as the board's header shows them; Home Assistant's scene select offers
# these. The constants below name the same ids for code.
NAMES: tuple[str, ...] = (
    "HUB",
    "CPU",
    "CPU LOAD",
    "GPU",
    "GPU LOAD",
    "RAM",
    "NET",
    "NET GRAPH",
    "ATMOS",
    "MEDIA",
    "PROCESSES",
    "FANS",
    "DISKS",
    "PCS",  # the PCs seen over MQTT (issue 14)
    # The user's own scenes (issue 24): config custom_scenes, on the wire as xs/xv. These
    # names stand in where a scene's own name is not known; the board's header shows its own.
    "CUSTOM 1",
    "CUSTOM 2",
    "CUSTOM 3",
    "CUSTOM 4",
)
COUNT = len(NAMES)

HUB = 0
CPU = 1
CPU_LOAD = 2
GPU = 3
GPU_LOAD = 4
RAM = 5
NET = 6
NET_GRAPH = 7
ATMOS = 8
MEDIA = 9
PROCESSES = 10
FANS = 11
DISKS = 12
PCS = 13
CUSTOM_1 = 14  # custom_scenes[0]; the carousel visits a custom scene only while it is defined
CUSTOM_2 = 15
CUSTOM_3 = 16
CUSTOM_4 = 17

# Scenes that draw the process lists tp/tr: the server scans processes only while a board
# shows one of these.
WITH_PROCESSES: frozenset[int] = frozenset({CPU, RAM, PROCESSES})


def constant_name(scene: int) -> str:
    """The code name of a scene id: 7 -> "NET_GRAPH"."""
    return NAMES[scene].replace(" ", "_")
