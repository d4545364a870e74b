"""RaplSource: the CPU package power from RAPL's energy counters (Linux powercap).

``/sys/class/powercap/intel-rapl:N`` with ``name`` ``package-N`` (AMD's Zen parts too,
since Linux 5.8) counts microjoules in ``energy_uj``, wrapping at ``max_energy_range_uj``;
the power is the difference between two polls. Since Linux 5.10 (CVE-2020-8694, PLATYPUS)
``energy_uj`` is readable by root only: the source then says so, once, with the fix.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

from ..snapshot import Hardware
from . import InThread, SourceUnavailable
from .gpu.sysfs import NO_PERMISSION, Missing, first_line, read_int, sys_root

ROOT_ONLY_HINT = (
    "RAPL's energy_uj is readable by root only (Linux 5.10+): run the server as root, or "
    "let users read it: sudo chmod o+r /sys/class/powercap/intel-rapl:*/energy_uj (until "
    'the next boot; a udev rule SUBSYSTEM=="powercap", MODE="0444" keeps it)'
)


class RaplUnavailable(SourceUnavailable):
    lasting = True


class _Zone:
    def __init__(self, path: Path) -> None:
        self.energy = path / "energy_uj"
        self.name = first_line(path / "name") or path.name
        wrap = first_line(path / "max_energy_range_uj")
        self.wrap = int(wrap) if wrap and wrap.isdigit() else None
        self.last: int | None = None


def package_zones(root: Path) -> list[Path]:
    """The package zones (``intel-rapl:N`` named ``package-N``), not their sub-zones."""
    base = root / "sys" / "class" / "powercap"
    try:
        names = os.listdir(base)
    except OSError:
        return []
    out = []
    for name in sorted(names):
        top = name.startswith("intel-rapl:") and name.count(":") == 1
        if top and (first_line(base / name / "name") or "").startswith("package"):
            out.append(base / name)
    return out


class RaplSource:
    """A BlockingSource (run it through InThread): cpu_power from the package zones."""

    name = "CPU package power (RAPL)"
    interval = 1.0

    def __init__(
        self,
        root: str | os.PathLike[str] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.root = sys_root(root)
        self._clock = clock
        self.zones = [_Zone(p) for p in package_zones(self.root)]
        self._last_at: float | None = None

    @property
    def found(self) -> bool:
        return bool(self.zones)

    def read_sync(self) -> Hardware:
        """Watts since the last read; cpu_power None on the first read."""
        now = self._clock()
        total = 0.0
        fresh = self._last_at is not None and now > self._last_at
        for zone in self.zones:
            try:
                energy = read_int(zone.energy)
            except Missing as exc:
                if exc.reason == NO_PERMISSION:
                    raise RaplUnavailable(ROOT_ONLY_HINT) from None
                raise RaplUnavailable(f"{zone.name}: {exc.reason}") from None
            last, zone.last = zone.last, energy
            if last is None:
                fresh = False
                continue
            delta = energy - last
            if delta < 0:  # the counter wrapped
                if zone.wrap is None:
                    fresh = False
                    continue
                delta += zone.wrap
            total += delta
        if not self.zones:
            raise RaplUnavailable("no RAPL package zone in /sys/class/powercap")
        last_at, self._last_at = self._last_at, now
        if not fresh or last_at is None:
            return Hardware()
        return Hardware(cpu_power=total / 1e6 / (now - last_at))


def rapl_source() -> InThread[Hardware] | None:
    """RAPL as a Source, or None on a PC without package zones (not Linux, a VM, an ARM)."""
    source = RaplSource()
    return InThread(source) if source.found else None
