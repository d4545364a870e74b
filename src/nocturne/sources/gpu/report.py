"""What `nocturne sensors` and `nocturne doctor` say about the directly read sensors: every
GPU, what feeds each field or why it is empty (no driver, no permission, no such sensor),
and RAPL's package power."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import TextIO, TypeVar

from ...safe_text import printable
from ...snapshot import Hardware
from ...snapshot.fields import unit_of
from .. import SourceUnavailable
from ..rapl import RaplSource
from .chooser import GpuSource
from .model import EXTRA_FIELDS, GPU_FIELDS, GpuReading
from .sysfs import NO_DRIVER, NO_PERMISSION

T = TypeVar("T")

EXTRA_UNITS = {"power_w": "W", "clock_mhz": "MHz"}
FIXES = {
    NO_DRIVER: "Install the GPU's driver (NVIDIA: the proprietary driver, which brings "
    "NVML's libnvidia-ml.so.1 or nvml.dll; AMD: amdgpu; Intel: i915 or xe).",
    NO_PERMISSION: "Run the server as a user who may read it (root, or the video/render "
    "group), or give users read access to that file.",
}


@dataclass(frozen=True, slots=True)
class DirectReport:
    gpus: GpuReading | None
    gpu_error: str | None
    rapl: Hardware | None
    rapl_error: str | None

    def origin(self, attr: str, value: float) -> str | None:
        """What fed a merged value, when it came from a direct source."""
        chosen = self.gpus.chosen if self.gpus is not None else None
        if chosen is not None and attr in GPU_FIELDS and getattr(chosen.values, attr) == value:
            return f"GPU {printable(chosen.name)}: {chosen.feeds.get(attr, '?')}"
        if self.rapl is not None and attr == "cpu_power" and self.rapl.cpu_power == value:
            return "RAPL energy_uj"
        return None


async def read_direct(selector: str = "", sample_s: float = 0.5) -> DirectReport:
    """Two readings ``sample_s`` apart (fdinfo busy and RAPL power need two)."""

    def take(read: Callable[[], T]) -> tuple[T | None, str | None]:
        try:
            return read(), None
        except SourceUnavailable as exc:
            return None, str(exc)

    gpu_source = await asyncio.to_thread(GpuSource, selector)
    rapl_source = RaplSource()
    try:
        await asyncio.to_thread(take, gpu_source.read_sync)
        await asyncio.to_thread(take, rapl_source.read_sync)
        await asyncio.sleep(sample_s)
        gpus, gpu_error = await asyncio.to_thread(take, gpu_source.read_sync)
        rapl, rapl_error = await asyncio.to_thread(take, rapl_source.read_sync)
    finally:
        gpu_source.close()
    if not rapl_source.found:
        rapl_error = "no RAPL package zone (/sys/class/powercap)"
    return DirectReport(gpus, gpu_error, rapl, rapl_error)


def _fmt(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


def print_direct(report: DirectReport, out: TextIO) -> None:
    """Every GPU with each field's value and its feed (or why it is empty); RAPL."""
    reading = report.gpus
    if reading is None:
        print(f"\nGPUs read directly: none ({printable(report.gpu_error or '')})", file=out)
    else:
        print(
            "\nGPUs read directly (config.json 'gpu' picks one by PCI address or name):", file=out
        )
        for gpu in reading.gpus:
            shown = reading.chosen is not None and gpu.pci == reading.chosen.pci
            mark = f"→ shown ({reading.why})" if shown else ""
            print(
                f"\n  {gpu.pci}  {printable(gpu.name)}  [{gpu.vendor} {gpu.driver}, {gpu.kind}]"
                f"  {mark}",
                file=out,
            )
            for name in (*GPU_FIELDS, *EXTRA_FIELDS):
                value = gpu.extra.get(name) if name in EXTRA_FIELDS else getattr(gpu.values, name)
                unit = EXTRA_UNITS.get(name) or unit_of(name)
                how = gpu.feeds.get(name) if value is not None else gpu.missing.get(name, "")
                print(f"    {name:<14} {_fmt(value):>8} {unit:<4} {printable(how or '')}", file=out)
        for note in reading.notes:
            print(f"  note: {printable(note)}", file=out)
    if report.rapl is not None and report.rapl.cpu_power is not None:
        print(f"\nCPU package power (RAPL): {report.rapl.cpu_power:.1f} W", file=out)
    else:
        print(f"\nCPU package power (RAPL): — ({printable(report.rapl_error or '')})", file=out)


def direct_findings(report: DirectReport) -> list[tuple[bool, str, str]]:
    """(ok, what, fix) for `nocturne doctor`: each GPU field left empty, and why."""
    out: list[tuple[bool, str, str]] = []
    reading = report.gpus
    if reading is None:
        out.append((True, f"GPUs read directly: none ({report.gpu_error})", ""))
    else:
        for gpu in reading.gpus:
            shown = reading.chosen is not None and gpu.pci == reading.chosen.pci
            by_reason: dict[str, list[str]] = {}
            for name in GPU_FIELDS:
                if name in gpu.missing:
                    by_reason.setdefault(gpu.missing[name], []).append(name)
            head = f"GPU {gpu.pci} {gpu.name}{' (shown)' if shown else ''}"
            if not by_reason:
                out.append((True, f"{head}: every GPU field has a value", ""))
            for reason, names in by_reason.items():
                fix = FIXES.get(reason.split(":")[0], "")
                verb = "is" if len(names) == 1 else "are"
                out.append((not fix, f"{head}: {', '.join(names)} {verb} empty: {reason}", fix))
        nvidia_listed = any(g.vendor == "NVIDIA" for g in reading.gpus)
        for note in reading.notes:
            if note.startswith("NVML:") and nvidia_listed:  # said with the card above
                continue
            fix = "Copy a PCI address or name from `nocturne sensors`." if "'gpu'" in note else ""
            out.append((not fix, note, fix))
    if report.rapl_error and "root" in report.rapl_error:
        out.append((False, "CPU package power (RAPL) is readable by root only", report.rapl_error))
    elif report.rapl is not None:
        out.append((True, f"CPU package power (RAPL): {_fmt(report.rapl.cpu_power)} W", ""))
    return out
