"""The board's scene ids as the server needs them (``screen:N`` from a device).

The firmware's ``nocturne_fw/scene_ids.py`` is where the numbers are written; a test holds
these to it, so the host never disagrees with the board about which scene is which.
"""

from __future__ import annotations

HUB = 0
CPU = 1
RAM = 5
PROCESSES = 10
COUNT = 13

# Scenes that draw the process lists tp/tr (firmware: scene_ids.WITH_PROCESSES).
WITH_PROCESSES: frozenset[int] = frozenset({CPU, RAM, PROCESSES})
