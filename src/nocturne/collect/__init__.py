"""Collect: runs every source on its own schedule and keeps the latest Snapshot.

``Collector`` owns one ``Feed`` per source (its latest good value, how long it stays usable,
its back-off) and merges them into the Snapshot each tick; ``AlertRule`` raises and clears
the CRITICAL alert. The Snapshot's types live below everyone, in ``nocturne.snapshot``."""

from __future__ import annotations

import importlib

# The public face, name -> the module that defines it. Imported on first use (PEP 562), so
# importing the package costs nothing and pulls in no optional dependency.
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


def __getattr__(name: str) -> object:
    if name not in _FACE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f".{_FACE[name]}", __name__), name)
