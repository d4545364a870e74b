"""How the direct readings (the chosen GPU, RAPL) join psutil's before LHM's are laid over.

LHM, when it answers, still wins for every field it has (collector.merge_hardware); these
fill the rest. The chosen GPU's fields replace psutil's GPU fields outright: psutil's
amdgpu temperature may be another card's (an APU's iGPU next to the GPU shown).
"""

from __future__ import annotations

from dataclasses import replace

from ...snapshot import Hardware
from .model import GPU_FIELDS, GpuReading

_NO_GPU = dict.fromkeys(GPU_FIELDS)


def with_direct_sensors(
    local: Hardware | None, gpus: GpuReading | None, rapl: Hardware | None
) -> Hardware | None:
    """psutil's reading with the chosen GPU's fields and RAPL's power put first."""
    if (gpus is None or gpus.chosen is None) and rapl is None:
        return local
    base = local if local is not None else Hardware()
    if gpus is not None and gpus.chosen is not None:
        base = gpus.hardware.fill_from(replace(base, **_NO_GPU))
    if rapl is not None:
        base = rapl.fill_from(base)
    return base
