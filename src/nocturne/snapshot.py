"""The Snapshot: one immutable picture of the PC, the single truth for every consumer.

Sources produce parts of it (``Hardware`` readings, ``Weather``, ``Media``, process
lists); the collector merges them. Nothing here knows the wire format: units are
physical (°C, %, W, MHz, GB, KB/s, RPM, ms) and ``None`` means unknown, never 0.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace


@dataclass(frozen=True, slots=True)
class Hardware:
    """Sensor readings. Every field is optional; ``None`` is "this source does not know"."""

    cpu_temp: float | None = None  # °C, package/die
    cpu_load: float | None = None  # %, total
    cpu_power: float | None = None  # W, package
    cpu_clock: float | None = None  # MHz, average of the cores
    gpu_temp: float | None = None  # °C, core
    gpu_hotspot: float | None = None  # °C
    gpu_load: float | None = None  # %, core
    gpu_mem_load: float | None = None  # %, memory controller
    gpu_fan: float | None = None  # RPM
    vram_used: float | None = None  # GB
    vram_total: float | None = None  # GB
    ram_used: float | None = None  # GB
    ram_total: float | None = None  # GB
    net_down: float | None = None  # KB/s
    net_up: float | None = None  # KB/s
    disk_read: float | None = None  # KB/s
    disk_write: float | None = None  # KB/s
    sys_disk_usage: float | None = None  # %, system disk
    data_disk_usage: float | None = None  # %, another disk (psutil: the largest other mount)
    cpu_fan: float | None = None  # RPM
    sys_fan1: float | None = None  # RPM
    sys_fan2: float | None = None  # RPM
    chipset_temp: float | None = None  # °C

    def fill_from(self, other: Hardware) -> Hardware:
        """Return a copy whose unknown fields are taken from ``other``."""
        missing = {
            f.name: getattr(other, f.name)
            for f in fields(self)
            if getattr(self, f.name) is None and getattr(other, f.name) is not None
        }
        return replace(self, **missing) if missing else self

    def known(self) -> dict[str, float]:
        """The fields that have a value, by name."""
        return {f.name: v for f in fields(self) if (v := getattr(self, f.name)) is not None}


HARDWARE_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(Hardware))


@dataclass(frozen=True, slots=True)
class ProcessUsage:
    """One process in a top list: CPU percent of one core's worth, resident memory in MB."""

    name: str
    cpu_percent: float | None = None
    ram_mb: float | None = None


@dataclass(frozen=True, slots=True)
class Processes:
    top_cpu: tuple[ProcessUsage, ...] | None = None  # up to 3, busiest first; None: not measured
    top_ram: tuple[ProcessUsage, ...] | None = None  # up to 2, largest first


@dataclass(frozen=True, slots=True)
class Weather:
    temperature: float | None = None  # in the configured unit
    description: str | None = None
    code: int | None = None  # WMO weather interpretation code


@dataclass(frozen=True, slots=True)
class Media:
    artist: str | None = None
    track: str | None = None
    playing: bool = False
    cover: bytes | None = None  # 64×64 1-bit XBM, 512 bytes, MSB first


@dataclass(frozen=True, slots=True)
class Alert:
    """A temperature limit crossed: which part, and its reading."""

    target: str  # "CPU" or "GPU"
    temperature: float


@dataclass(frozen=True, slots=True)
class Snapshot:
    hardware: Hardware = field(default_factory=Hardware)
    processes: Processes | None = None
    weather: Weather | None = None
    media: Media | None = None
    ping_ms: float | None = None
    alert: Alert | None = None
    taken_at: float = 0.0  # time.monotonic() of the newest reading
    lhm_online: bool = False
