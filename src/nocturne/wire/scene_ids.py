"""The board's scene ids as the server needs them (``screen:N`` from a device).

The firmware's ``nocturne_fw/scene_ids.py`` is where the numbers are written; a test holds
these to it, so the host never disagrees with the board about which scene is which.
"""

from __future__ import annotations

HUB = 0
CPU = 1
RAM = 5
PROCESSES = 10
PCS = 13
COUNT = 14

# Index = scene id, as the board's header shows them (firmware: scene_ids.NAMES); Home
# Assistant's scene select offers these.
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
    "PCS",
)

# Scenes that draw the process lists tp/tr (firmware: scene_ids.WITH_PROCESSES).
WITH_PROCESSES: frozenset[int] = frozenset({CPU, RAM, PROCESSES})
