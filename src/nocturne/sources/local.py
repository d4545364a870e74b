"""LocalSource: this machine's own counters through psutil (NIC and disk bytes: io_counters).

It gives what LibreHardwareMonitor does not (network and disk rates, exact disk usage)
and everything it can when LHM is absent: CPU load and clock, RAM, and on Linux the
temperatures and fans that the kernel's hwmon drivers expose.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, NamedTuple

import psutil

from ..snapshot import Hardware
from .io_counters import CounterReader, best_counters

GIB = 1024**3
KIB = 1024
PARTITIONS_REFRESH_S = 60.0  # mounts change rarely; listing them costs a syscall per mount

# hwmon chip names (Linux) -> which labels are the CPU package/die temperature, best first.
CPU_TEMP_CHIPS: dict[str, tuple[str, ...]] = {
    "coretemp": ("Package id 0",),  # Intel
    "k10temp": ("Tdie", "Tctl"),  # AMD; Tdie has no offset where both exist (Zen 1)
    "zenpower": ("Tdie", "Tctl"),
    "cpu_thermal": ("",),  # Raspberry Pi and other SoCs
}
GPU_TEMP_CHIPS: dict[str, tuple[str, ...]] = {
    "amdgpu": ("edge",),
    "nouveau": ("",),
    "radeon": ("",),
}
GPU_HOTSPOT_LABELS = ("junction",)


class _Counters(NamedTuple):
    at: float
    net_recv: int | None
    net_sent: int | None
    disk_read: int | None
    disk_write: int | None


def system_disk_path() -> str:
    """The mount point of the system disk: C:\\ (or wherever Windows is) or /."""
    if sys.platform == "win32":
        return os.environ.get("SYSTEMDRIVE", "C:") + "\\"
    return "/"


def pick_temperature(
    temps: Mapping[str, Sequence[Any]], chips: Mapping[str, tuple[str, ...]]
) -> float | None:
    """The first reading whose chip and label are listed in ``chips``, in their order."""
    for chip, labels in chips.items():
        entries = temps.get(chip) or ()
        for label in labels:
            for entry in entries:
                if entry.label == label and entry.current is not None and entry.current > 0:
                    return float(entry.current)
    return None


def pick_labelled(temps: Mapping[str, Sequence[Any]], chip: str, labels: Sequence[str]):
    for entry in temps.get(chip) or ():
        if entry.label in labels and entry.current is not None and entry.current > 0:
            return float(entry.current)
    return None


# Chipset temperatures the Super I/O and EC hwmon drivers label: nct6775's PCH reading
# (Intel boards), asus-ec-sensors' "Chipset" (ASUS AMD and Intel boards).
CHIPSET_LABELS = ("PCH_CHIP_TEMP", "Chipset")


def chipset_temperature(temps: Mapping[str, Sequence[Any]]) -> float | None:
    """Intel's PCH thermal sensor (hwmon chips named pch_<generation>), else a board
    driver's chipset reading (CHIPSET_LABELS)."""
    for chip, entries in temps.items():
        if chip.startswith("pch_"):
            for entry in entries:
                if entry.current is not None and entry.current > 0:
                    return float(entry.current)
    for entries in temps.values():
        for entry in entries:
            if entry.label in CHIPSET_LABELS and entry.current is not None and entry.current > 0:
                return float(entry.current)
    return None


FanTriple = tuple[float | None, float | None, float | None]


def fan_speeds(fans: Mapping[str, Sequence[Any]]) -> FanTriple:
    """(CPU fan, system fan 1, system fan 2) in RPM from hwmon fans; a stopped fan is skipped."""
    spinning = [
        (entry.label or "", float(entry.current))
        for entries in fans.values()
        for entry in entries
        if entry.current
    ]
    cpu_index = next((i for i, (label, _) in enumerate(spinning) if "cpu" in label.lower()), 0)
    cpu = spinning.pop(cpu_index)[1] if spinning else None
    rest = [rpm for _, rpm in spinning]
    return cpu, (rest[0] if rest else None), (rest[1] if len(rest) > 1 else None)


class LocalSource:
    """Reads psutil counters; rates are computed between two consecutive reads."""

    name = "local sensors (psutil)"
    interval = 1.0  # rates are per second; the collector reads it on every tick

    def __init__(
        self, clock: Callable[[], float] = time.monotonic, counters: CounterReader | None = None
    ) -> None:
        self._clock = clock
        self._io = counters or best_counters()  # NIC and disk bytes (/proc on Linux)
        self._last: _Counters | None = None
        self._data_disk: str | None = None
        self._partitions_at = -PARTITIONS_REFRESH_S
        self._has_temps = hasattr(psutil, "sensors_temperatures")
        self._has_fans = hasattr(psutil, "sensors_fans")
        psutil.cpu_percent(interval=None)  # the first call only starts the measurement
        self._cpu_primed_at = clock()

    def _counters(self) -> _Counters:
        io = self._io.read()
        return _Counters(self._clock(), io.net_recv, io.net_sent, io.disk_read, io.disk_write)

    def _rates(self, now: _Counters) -> dict[str, float | None]:
        last, self._last = self._last, now
        if last is None or now.at - last.at <= 0:
            return {}
        dt = now.at - last.at

        def rate(new: int | None, old: int | None) -> float | None:
            if new is None or old is None or new < old:  # counter reset or NIC gone
                return None
            return (new - old) / dt / KIB

        return {
            "net_down": rate(now.net_recv, last.net_recv),
            "net_up": rate(now.net_sent, last.net_sent),
            "disk_read": rate(now.disk_read, last.disk_read),
            "disk_write": rate(now.disk_write, last.disk_write),
        }

    def _find_data_disk(self) -> str | None:
        system = os.path.realpath(system_disk_path())
        best: tuple[int, str] | None = None
        for part in psutil.disk_partitions(all=False):
            mount = part.mountpoint
            if (
                os.path.realpath(mount) == system
                or "cdrom" in part.opts
                or part.fstype in ("", "squashfs", "tmpfs", "overlay")
                or mount.startswith(("/boot", "/snap", "/var/snap", "/proc", "/sys", "/run"))
            ):
                continue
            try:
                total = psutil.disk_usage(mount).total
            except OSError:
                continue
            if best is None or total > best[0]:
                best = (total, mount)
        return best[1] if best else None

    def _disk_usage(self) -> dict[str, float | None]:
        now = self._clock()
        if now - self._partitions_at >= PARTITIONS_REFRESH_S:
            self._partitions_at = now
            self._data_disk = self._find_data_disk()
        out: dict[str, float | None] = {}
        disks = (("sys_disk_usage", system_disk_path()), ("data_disk_usage", self._data_disk))
        for name, path in disks:
            if path is None:
                continue
            try:
                out[name] = psutil.disk_usage(path).percent
            except OSError:
                out[name] = None
        return out

    def _sensors(self, skip: frozenset[str]) -> dict[str, float | None]:
        out: dict[str, float | None] = {}
        if self._has_temps and "cpu_temp" not in skip:
            try:
                temps = psutil.sensors_temperatures()
            except (OSError, RuntimeError):
                temps = {}
            out["cpu_temp"] = pick_temperature(temps, CPU_TEMP_CHIPS)
            out["gpu_temp"] = pick_temperature(temps, GPU_TEMP_CHIPS)
            out["gpu_hotspot"] = pick_labelled(temps, "amdgpu", GPU_HOTSPOT_LABELS)
            out["chipset_temp"] = chipset_temperature(temps)
        if self._has_fans and "cpu_fan" not in skip:
            try:
                fans = psutil.sensors_fans()
            except (OSError, RuntimeError):
                fans = {}
            out["cpu_fan"], out["sys_fan1"], out["sys_fan2"] = fan_speeds(fans)
        return out

    def read_sync(self, skip: frozenset[str] = frozenset()) -> Hardware:
        """One reading. Rates are None on the first call (they need two samples).

        ``skip`` names fields another source already has (LHM's CPU, RAM, temperatures): the
        psutil calls behind them are not made, which saves most of this source's cost.
        """
        values: dict[str, float | None] = {}
        if "cpu_load" not in skip and self._clock() - self._cpu_primed_at >= 0.1:
            values["cpu_load"] = psutil.cpu_percent(interval=None)
        if "cpu_clock" not in skip:
            try:
                freq = psutil.cpu_freq()
            except (OSError, NotImplementedError, RuntimeError):
                freq = None
            if freq is not None and freq.current > 0:
                values["cpu_clock"] = freq.current
        if "ram_total" not in skip or "ram_used" not in skip:
            mem = psutil.virtual_memory()
            values["ram_total"] = mem.total / GIB
            values["ram_used"] = (mem.total - mem.available) / GIB
        values.update(self._rates(self._counters()))
        values.update(self._disk_usage())
        values.update(self._sensors(skip))
        return Hardware(**values)
