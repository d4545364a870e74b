"""The Snapshot: one immutable picture of the PC, the single truth for every consumer.

Sources produce parts of it (``Hardware`` readings, ``Weather``, ``Media``, process
lists); the collector merges them. Nothing here knows the wire format: units are
physical (°C, %, W, MHz, GB, KB/s, RPM, ms) and ``None`` means unknown, never 0.
"""

from __future__ import annotations

from dataclasses import dataclass, field, make_dataclass, replace

from .custom import CustomReading
from .fields import FIELDS


class _HardwareMethods:
    """What every Hardware reading can do; its fields come from the field table."""

    __slots__ = ()

    def fill_from(self, other: Hardware) -> Hardware:
        """Return a copy whose unknown fields are taken from ``other``."""
        missing = {
            name: value
            for name in HARDWARE_FIELDS
            if getattr(self, name) is None and (value := getattr(other, name)) is not None
        }
        return replace(self, **missing) if missing else self  # type: ignore[type-var]

    def known(self) -> dict[str, float]:
        """The fields that have a value, by name."""
        return {name: v for name in HARDWARE_FIELDS if (v := getattr(self, name)) is not None}


# Sensor readings, one optional float per row of the field table (its unit there); None is
# "this source does not know". Built from the table so that a new field is one row in it.
Hardware = make_dataclass(
    "Hardware",
    [(f.attr, "float | None", field(default=None)) for f in FIELDS],
    bases=(_HardwareMethods,),
    frozen=True,
    slots=True,
)
Hardware.__module__ = __name__  # make_dataclass(module=) is Python 3.12+
Hardware.__doc__ = "Sensor readings. Every field is optional; ``None`` is unknown (fields.py)."

HARDWARE_FIELDS: tuple[str, ...] = tuple(f.attr for f in FIELDS)


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
    user_idle: float | None = None  # seconds since the user's last input; None: unknown
    taken_at: float = 0.0  # time.monotonic() of the newest reading
    lhm_online: bool = False
    custom: CustomReading | None = None  # the custom scenes' slots; None: none configured
