"""GpuSource: every GPU of the PC (NVML, amdgpu, i915/xe) read each poll, one chosen.

The choice: the GPU config.json's ``gpu`` names (PCI address or name, as `nocturne
sensors` lists them); else a discrete GPU with a load sensor over an integrated one (a
laptop's Intel or Radeon iGPU never hides its RTX); else any with a load sensor; else the
first. The cards are found at start-up and again when one goes away (a card unplugged, an
eGPU, a driver unbound) or every RESCAN_S seconds. It logs once per change: the GPU shown,
a GPU gone, a GPU back.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from .. import InThread, SourceUnavailable
from .amdgpu import AmdGpu
from .intel import IntelGpu
from .model import EXTRA_FIELDS, GPU_FIELDS, Gpu, GpuReading
from .nvml import Nvml, NvmlGpu
from .pci_names import device_name
from .readout import Readout
from .sysfs import GONE, NO_DRIVER, Missing, drm_cards, sys_root

log = logging.getLogger(__name__)

RESCAN_S = 60.0
NVIDIA_PCI_VENDOR = "10de"


class Backend(Protocol):
    pci: str
    name: str

    def read(self) -> Gpu: ...


class NoGpu(SourceUnavailable):
    lasting = True


def choose(gpus: tuple[Gpu, ...], selector: str) -> tuple[Gpu | None, str]:
    """The GPU to show and why (see the module's docstring)."""
    if selector:
        for gpu in gpus:
            if gpu.matches(selector):
                return gpu, "config.json 'gpu'"
    for test, why in (
        (lambda g: g.has_load and not g.integrated, "discrete, with a load sensor"),
        (lambda g: g.has_load, "the only one with a load sensor"),
        (lambda g: not g.integrated, "discrete"),
    ):
        for gpu in gpus:
            if test(gpu):
                return gpu, why
    return (gpus[0], "the only one") if gpus else (None, "")


class _Unread:
    """A card no backend reads (NVIDIA without NVML, nouveau, radeon...): listed, empty."""

    def __init__(self, pci: str, name: str, vendor: str, driver: str, reason: str) -> None:
        self.pci, self.name, self.vendor, self.driver = pci, name, vendor, driver
        self.reason = reason

    def read(self) -> Gpu:
        r = Readout()
        for f in (*GPU_FIELDS, *EXTRA_FIELDS):
            r.lack(f, self.reason)
        return r.gpu(self.pci, self.name, self.vendor, self.driver, False)


class GpuSource:
    """A BlockingSource (run it through InThread): ``read_sync`` reads every GPU once."""

    name = "GPUs (NVML, amdgpu, i915/xe)"
    interval = 1.0

    def __init__(
        self,
        selector: str = "",
        root: str | os.PathLike[str] | None = None,
        *,
        nvml: Callable[[], Nvml] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.root: Path = sys_root(root)
        self.selector = selector.strip()
        self._clock = clock
        cards = drm_cards(self.root)
        # NVML only where an NVIDIA card may be: any on Windows (no sysfs), on Linux one
        # listed in sysfs. No NVIDIA GPU costs no import and no library load.
        want_nvml = (
            nvml is not None
            or os.name == "nt"
            or any(c.vendor_id == NVIDIA_PCI_VENDOR for c in cards)
        )
        self.nvml: Nvml | None = (nvml or Nvml)() if want_nvml else None
        self.backends: list[Backend] = []
        self._scanned_at = 0.0
        self._rescan(cards)
        self._shown: str | None = None
        self._gone: set[str] = set()
        self._warned_selector = False

    @property
    def found(self) -> bool:
        return bool(self.backends)

    def _rescan(self, cards: list | None = None) -> None:
        cards = drm_cards(self.root) if cards is None else cards
        self._scanned_at = self._clock()
        nvml_gpus = list(self.nvml.gpus) if self.nvml else []
        by_pci: dict[str, Backend] = {g.pci: g for g in nvml_gpus}
        for card in cards:
            if card.pci in by_pci:
                nvml_gpu = by_pci[card.pci]
                if isinstance(nvml_gpu, NvmlGpu):
                    nvml_gpu.card = card
                continue
            if card.driver == "amdgpu":
                by_pci[card.pci] = AmdGpu(card)
            elif card.driver in ("i915", "xe"):
                by_pci[card.pci] = IntelGpu(card, self._clock)
            elif card.vendor_id == NVIDIA_PCI_VENDOR and card.driver == "nvidia":
                reason = self.nvml.off_reason if self.nvml else None
                name = device_name(self.root, card.vendor_id, card.device_id)
                by_pci[card.pci] = _Unread(
                    card.pci, name, "NVIDIA", "nvidia", reason or f"{NO_DRIVER}: NVML"
                )
            elif card.vendor_id in ("1002", "10de", "8086"):
                driver = card.driver or "none"
                by_pci[card.pci] = _Unread(
                    card.pci,
                    device_name(self.root, card.vendor_id, card.device_id),
                    {"1002": "AMD", "10de": "NVIDIA", "8086": "Intel"}[card.vendor_id],
                    driver,
                    f"{NO_DRIVER}: the {driver} driver is not read (amdgpu, i915, xe, NVML are)",
                )
        self.backends = list(by_pci.values())

    def read_sync(self) -> GpuReading:
        if self._clock() - self._scanned_at >= RESCAN_S:
            self._rescan()
        gpus: list[Gpu] = []
        lost = False
        for backend in self.backends:
            try:
                gpu = backend.read()
            except Missing as exc:
                if exc.reason != GONE:
                    raise
                lost = True
                if backend.pci not in self._gone:
                    log.warning("GPU %s (%s) is gone", backend.name, backend.pci)
                    self._gone.add(backend.pci)
                continue
            if backend.pci in self._gone:
                log.info("GPU %s (%s) is back", backend.name, backend.pci)
                self._gone.discard(backend.pci)
            gpus.append(gpu)
        if lost:
            self._rescan()
        if not gpus:
            raise NoGpu("no GPU found (NVML, amdgpu, i915/xe)")
        found = tuple(gpus)
        chosen, why = choose(found, self.selector)
        notes: tuple[str, ...] = ()
        if self.selector and why != "config.json 'gpu'":
            names = ", ".join(f"{g.pci} ({g.name})" for g in found)
            notes = (f"config.json 'gpu' is {self.selector!r}, which names none of: {names}",)
            if not self._warned_selector:
                log.warning("%s; showing %s instead", notes[0], chosen.name if chosen else "—")
                self._warned_selector = True
        if chosen is not None and chosen.pci != self._shown:
            log.info("GPU shown: %s (%s, %s)", chosen.name, chosen.pci, why)
            self._shown = chosen.pci
        if self.nvml is not None and self.nvml.off_reason:
            notes += (f"NVML: {self.nvml.off_reason}",)
        return GpuReading(found, chosen, why, notes)

    def close(self) -> None:
        if self.nvml is not None:
            self.nvml.close()


class GpuThread(InThread[GpuReading]):
    """A GpuSource as a Source (reads in a worker thread); closing it shuts NVML down."""

    source: GpuSource

    async def close(self) -> None:
        await super().close()
        self.source.close()


def gpu_source(selector: str = "") -> GpuThread | None:
    """The GPUs of this PC as a Source, or None (logged) when none is found."""
    source = GpuSource(selector)
    if not source.found:
        source.close()
        log.info("No GPU read directly (no NVML, amdgpu or i915/xe card)")
        return None
    return GpuThread(source)
