"""AMD GPUs through amdgpu's sysfs files (no root needed).

Per card, under ``/sys/class/drm/cardN/device/`` (kernel Documentation/gpu/amdgpu):
``gpu_busy_percent``, ``mem_busy_percent``, ``mem_info_vram_used``/``_total`` (bytes), and
its hwmon folder (Documentation/hwmon/sysfs-interface, amdgpu's thermal docs):
``temp*_input`` in millidegrees with ``temp*_label`` edge / junction (the hot spot) / mem,
``fan1_input`` in RPM, ``power1_average`` (or ``power1_input`` on newer parts, "PPT") in
microwatts, ``freq1_input`` (sclk) in hertz. The layout is learnt once; each poll opens
each value file once. A card asleep (runtime-suspended laptop dGPU) is not read: reading
its hwmon would wake it.
"""

from __future__ import annotations

import os
from pathlib import Path

from .model import Gpu
from .pci_names import device_name
from .readout import Readout
from .sysfs import ASLEEP, GONE, NO_SENSOR, DrmCard, Missing, first_line, read_int

GIB = 1024**3
TEMP_LABELS = {"edge": "gpu_temp", "junction": "gpu_hotspot"}


def _hwmon_dir(device: Path) -> Path | None:
    try:
        names = sorted(n for n in os.listdir(device / "hwmon") if n.startswith("hwmon"))
    except OSError:
        return None
    return device / "hwmon" / names[0] if names else None


def _channels(hwmon: Path, kind: str) -> dict[str, Path]:
    """{label: value file} for ``kind`` (temp, in, freq); an unlabelled channel is "",
    the first unlabelled one only."""
    out: dict[str, Path] = {}
    try:
        names = sorted(os.listdir(hwmon))
    except OSError:
        return out
    for name in names:
        if name.startswith(kind) and name.endswith("_input") and name[len(kind) : -6].isdigit():
            label = first_line(hwmon / f"{name[:-6]}_label") or ""
            out.setdefault(label, hwmon / name)
    return out


class AmdGpu:
    """One amdgpu card; :meth:`read` is one poll."""

    vendor = "AMD"

    def __init__(self, card: DrmCard) -> None:
        self.card = card
        self.pci = card.pci
        self.name = device_name(card.root, card.vendor_id, card.device_id)
        dev = card.device
        self._busy = dev / "gpu_busy_percent"
        self._mem_busy = dev / "mem_busy_percent"
        self._vram_used = dev / "mem_info_vram_used"
        self._vram_total = dev / "mem_info_vram_total"
        self.hwmon = _hwmon_dir(dev)
        temps = _channels(self.hwmon, "temp") if self.hwmon else {}
        if "edge" not in temps and "" in temps:  # older cards: one unlabelled temp1
            temps["edge"] = temps.pop("")
        self._temps = {TEMP_LABELS[k]: (k, p) for k, p in temps.items() if k in TEMP_LABELS}
        volts = _channels(self.hwmon, "in") if self.hwmon else {}
        freqs = _channels(self.hwmon, "freq") if self.hwmon else {}
        self._sclk = freqs.get("sclk")
        self._fan = self._file("fan1_input")
        self._power = self._file("power1_average") or self._file("power1_input")
        # Kernel docs: the northbridge voltage (vddnb) is for APUs only, mclk for dGPUs only.
        self.integrated = "vddnb" in volts
        self.driver = "amdgpu"

    def _file(self, name: str) -> Path | None:
        if self.hwmon is None:
            return None
        path = self.hwmon / name
        return path if path.exists() else None

    def read(self) -> Gpu:
        """One poll. Raises Missing(GONE) when the card went away."""
        r = Readout()
        if self.card.asleep():
            r.lack_all(ASLEEP)
            return self._gpu(r)
        try:
            r.put("gpu_load", float(read_int(self._busy)), "gpu_busy_percent")
        except Missing as exc:
            if exc.reason == GONE and not self.card.exists():
                raise
            r.lack("gpu_load", exc.reason)
        r.take("gpu_mem_load", lambda: float(read_int(self._mem_busy)), "mem_busy_percent")
        r.take("vram_used", lambda: read_int(self._vram_used) / GIB, "mem_info_vram_used")
        r.take("vram_total", lambda: read_int(self._vram_total) / GIB, "mem_info_vram_total")
        for field in ("gpu_temp", "gpu_hotspot"):
            if field not in self._temps:
                r.lack(field, NO_SENSOR)
                continue
            label, path = self._temps[field]
            r.take(field, lambda p=path: read_int(p) / 1000.0, f"hwmon {path.name} ({label})")
        self._optional(r, "gpu_fan", self._fan, 1.0)
        self._optional(r, "power_w", self._power, 1e-6)  # microwatts
        self._optional(r, "clock_mhz", self._sclk, 1e-6)  # hertz
        return self._gpu(r)

    @staticmethod
    def _optional(r: Readout, field: str, path: Path | None, scale: float) -> None:
        if path is None:
            r.lack(field, NO_SENSOR)
        else:
            r.take(field, lambda: read_int(path) * scale, f"hwmon {path.name}")

    def _gpu(self, r: Readout) -> Gpu:
        return r.gpu(self.pci, self.name, self.vendor, self.driver, self.integrated)
