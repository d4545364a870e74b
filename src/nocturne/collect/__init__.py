"""Collect: runs every source on its own schedule and keeps the latest Snapshot.

``Collector`` owns one ``Feed`` per source (its latest good value, how long it stays usable,
its back-off) and merges them into the Snapshot each tick; ``AlertRule`` raises and clears
the CRITICAL alert. The Snapshot's types live below everyone, in ``nocturne.snapshot``."""

from __future__ import annotations

from ..lazy_face import lazy_face

# The public face, name -> the module that defines it, imported on first use (lazy_face.py).
_FACE = {
    "Collector": "collector",
    "merge_hardware": "collector",
    "Feed": "feed",
    "AlertRule": "alerts",
    "LHM": "collector",
    "LOCAL": "collector",
    "PROCESSES": "collector",
    "WEATHER": "collector",
    "PING": "collector",
    "MEDIA": "collector",
    "USER_IDLE": "collector",
}
__all__ = sorted(_FACE)

__getattr__ = lazy_face(__name__, _FACE)
