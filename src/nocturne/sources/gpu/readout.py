"""One GPU's poll being put together: each field's value, what fed it, or why it is empty."""

from __future__ import annotations

from collections.abc import Callable

from ...snapshot import Hardware
from .model import EXTRA_FIELDS, GPU_FIELDS, Gpu
from .sysfs import NO_SENSOR, Missing


class Readout:
    """Collects one poll's fields; :meth:`gpu` makes the Gpu of it."""

    def __init__(self) -> None:
        self.values: dict[str, float | None] = {}
        self.extra: dict[str, float | None] = {}
        self.feeds: dict[str, str] = {}
        self.missing: dict[str, str] = {}

    def put(self, name: str, value: float | None, feed: str) -> None:
        target = self.extra if name in EXTRA_FIELDS else self.values
        target[name] = value
        self.feeds[name] = feed

    def take(self, name: str, read: Callable[[], float | None], feed: str) -> None:
        """``read()`` into field ``name``; a Missing it raises becomes the field's reason."""
        try:
            value = read()
        except Missing as exc:
            self.missing[name] = exc.reason
            return
        if value is None:
            self.missing.setdefault(name, NO_SENSOR)
            return
        self.put(name, value, feed)

    def lack(self, name: str, reason: str) -> None:
        self.missing[name] = reason

    def lack_all(self, reason: str) -> None:
        for f in (*GPU_FIELDS, *EXTRA_FIELDS):
            self.missing[f] = reason

    def gpu(self, pci: str, name: str, vendor: str, driver: str, integrated: bool) -> Gpu:
        for f in (*GPU_FIELDS, *EXTRA_FIELDS):
            if f not in self.feeds and f not in self.missing:
                self.missing[f] = NO_SENSOR
        return Gpu(
            pci=pci,
            name=name,
            vendor=vendor,
            driver=driver,
            integrated=integrated,
            values=Hardware(**self.values),
            extra=dict(self.extra),
            feeds=dict(self.feeds),
            missing=dict(self.missing),
        )
