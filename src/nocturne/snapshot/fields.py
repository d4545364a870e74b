"""The sensor fields: one table of every fact about each reading of the PC's hardware.

Each row names a ``Hardware`` attribute, its protocol v1 wire key, its physical unit, how
many decimals go on the wire (0: a JSON integer, as the original server sends it), whether
config.json's ``sensors`` map may pin it to an LHM sensor id, and its label for people.
The protocol encoder, config validation, the LHM parser's unit handling, ``nocturne
sensors`` and every export derive from this table: adding a field is one row here plus the
source that reads it (and the ``Hardware`` attribute it fills).
"""

from __future__ import annotations

from dataclasses import dataclass

# Physical units. The LHM parser converts every reading into these.
CELSIUS = "°C"
PERCENT = "%"
WATT = "W"
MEGAHERTZ = "MHz"
RPM = "RPM"
GIGABYTE = "GB"
KB_PER_S = "KB/s"
MILLISECOND = "ms"

# What a reading in each unit can be on a real PC; anything outside is a broken sensor or a
# hostile message, and counts as unknown (a reading from another PC over MQTT, pcs.py).
RANGES: dict[str, tuple[float, float]] = {
    CELSIUS: (-60.0, 250.0),
    PERCENT: (0.0, 100.0),
    WATT: (0.0, 5000.0),
    MEGAHERTZ: (0.0, 20000.0),
    RPM: (0.0, 50000.0),
    GIGABYTE: (0.0, 65536.0),
    KB_PER_S: (0.0, 1e8),  # 800 Gbit/s
    MILLISECOND: (0.0, 60000.0),
}


@dataclass(frozen=True, slots=True)
class Field:
    """One sensor reading's facts."""

    attr: str  # the Hardware attribute
    key: str  # the wire key (protocol v1)
    unit: str  # the physical unit of the value
    decimals: int  # decimals on the wire; 0 = a JSON integer
    label: str  # for people: `nocturne sensors`, exports
    overridable: bool = True  # config.json "sensors" may pin it to an LHM sensor id

    def in_range(self, value: float) -> bool:
        """True when ``value`` is a reading this field can have (RANGES by its unit)."""
        low, high = RANGES[self.unit]
        return low <= value <= high


FIELDS: tuple[Field, ...] = (  # in the order the keys go on the wire
    Field("cpu_temp", "ct", CELSIUS, 0, "CPU temperature"),
    Field("gpu_temp", "gt", CELSIUS, 0, "GPU temperature"),
    Field("cpu_load", "cl", PERCENT, 0, "CPU load"),
    Field("gpu_load", "gl", PERCENT, 0, "GPU load"),
    Field("cpu_power", "pw", WATT, 0, "CPU package power"),
    Field("cpu_clock", "cc", MEGAHERTZ, 0, "CPU clock"),
    Field("gpu_hotspot", "gh", CELSIUS, 0, "GPU hot spot temperature"),
    Field("gpu_mem_load", "gv", PERCENT, 0, "GPU memory controller load"),
    Field("ram_used", "ru", GIGABYTE, 1, "RAM used"),
    Field("ram_total", "ra", GIGABYTE, 1, "RAM total"),
    Field("vram_used", "vu", GIGABYTE, 1, "VRAM used"),
    Field("vram_total", "vt", GIGABYTE, 1, "VRAM total"),
    # psutil measures these exactly (every NIC, every disk), so they are not pinned by id.
    Field("net_down", "nd", KB_PER_S, 0, "Network download", overridable=False),
    Field("net_up", "nu", KB_PER_S, 0, "Network upload", overridable=False),
    Field("disk_read", "dr", KB_PER_S, 0, "Disk read", overridable=False),
    Field("disk_write", "dw", KB_PER_S, 0, "Disk write", overridable=False),
    Field("sys_disk_usage", "su", PERCENT, 0, "System disk used"),
    Field("data_disk_usage", "du", PERCENT, 0, "Data disk used"),
    Field("cpu_fan", "cf", RPM, 0, "CPU fan"),
    Field("sys_fan1", "s1", RPM, 0, "System fan 1"),
    Field("sys_fan2", "s2", RPM, 0, "System fan 2"),
    Field("gpu_fan", "gf", RPM, 0, "GPU fan"),
    Field("chipset_temp", "ch", CELSIUS, 0, "Chipset temperature"),
)

BY_ATTR: dict[str, Field] = {f.attr: f for f in FIELDS}
BY_KEY: dict[str, Field] = {f.key: f for f in FIELDS}
# config.json "sensors": wire key -> Hardware attribute.
OVERRIDE_KEYS: dict[str, str] = {f.key: f.attr for f in FIELDS if f.overridable}

# Readings that are not Hardware fields but go on the wire next to them.
PING = Field("ping_ms", "pg", MILLISECOND, 0, "Ping", overridable=False)


def unit_of(attr: str) -> str:
    """The unit of a Hardware attribute ("" for a name that is not a field)."""
    field = BY_ATTR.get(attr)
    return field.unit if field is not None else ""
