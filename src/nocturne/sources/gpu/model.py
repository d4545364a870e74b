"""What the GPU sources know: each GPU found, what it reads now, what feeds each field and
why a field is empty; and the one GPU whose values go to the boards.

:func:`gpu_list` is the plain data the dashboard (and any export) can show.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ...snapshot import Hardware
from .sysfs import normal_pci

# The Hardware fields a GPU fills, in the order `nocturne sensors` lists them.
GPU_FIELDS: tuple[str, ...] = (
    "gpu_load",
    "gpu_mem_load",
    "gpu_temp",
    "gpu_hotspot",
    "gpu_fan",
    "vram_used",
    "vram_total",
)
# Readings a GPU has that are not protocol fields: shown by `nocturne sensors` and the
# dashboard only.
EXTRA_FIELDS: tuple[str, ...] = ("power_w", "clock_mhz")


@dataclass(frozen=True, slots=True)
class Gpu:
    """One GPU, one reading of it."""

    pci: str  # "0000:03:00.0": how config.json's "gpu" can name it (or by name)
    name: str
    vendor: str  # "AMD", "NVIDIA", "Intel"
    driver: str  # "amdgpu", "i915", "xe", "nvidia"
    integrated: bool
    values: Hardware = field(default_factory=Hardware)
    extra: Mapping[str, float | None] = field(default_factory=dict)  # power_w, clock_mhz
    feeds: Mapping[str, str] = field(default_factory=dict)  # field -> what feeds it
    missing: Mapping[str, str] = field(default_factory=dict)  # field -> why it is empty

    @property
    def has_load(self) -> bool:
        return self.values.gpu_load is not None

    @property
    def kind(self) -> str:
        return "integrated" if self.integrated else "discrete"

    def matches(self, selector: str) -> bool:
        """config.json's "gpu": the PCI address (either spelling) or the name (any case)."""
        wanted = selector.strip()
        if not wanted:
            return False
        return normal_pci(wanted) == self.pci or wanted.casefold() == self.name.casefold()


@dataclass(frozen=True, slots=True)
class GpuReading:
    """Every GPU read this poll and the one chosen for the boards."""

    gpus: tuple[Gpu, ...] = ()
    chosen: Gpu | None = None
    why: str = ""  # why that one: "config.json 'gpu'", "discrete with a load sensor"...
    notes: tuple[str, ...] = ()  # what a user should know (no NVML, 'gpu' names nothing)

    @property
    def hardware(self) -> Hardware:
        return self.chosen.values if self.chosen is not None else Hardware()


def gpu_list(reading: GpuReading | None) -> list[dict[str, Any]]:
    """Every GPU as plain data (JSON-ready) for the dashboard: identity, whether it is the
    one shown, each field's value (None: unknown) with what feeds it or why it is empty."""
    if reading is None:
        return []
    out = []
    for gpu in reading.gpus:
        fields = {}
        for name in GPU_FIELDS:
            fields[name] = {
                "value": getattr(gpu.values, name),
                "source": gpu.feeds.get(name),
                "missing": gpu.missing.get(name),
            }
        for name in EXTRA_FIELDS:
            fields[name] = {
                "value": gpu.extra.get(name),
                "source": gpu.feeds.get(name),
                "missing": gpu.missing.get(name),
            }
        out.append(
            {
                "pci": gpu.pci,
                "name": gpu.name,
                "vendor": gpu.vendor,
                "driver": gpu.driver,
                "kind": gpu.kind,
                "shown": reading.chosen is not None and gpu.pci == reading.chosen.pci,
                "fields": fields,
            }
        )
    return out
