"""NVIDIA GPUs through NVML (``nvidia-ml-py``, imported as ``pynvml``).

NVML is loaded once, at start-up, and only when its library opens (``libnvidia-ml.so.1``
on Linux, ``nvml.dll`` on Windows, both installed with the driver); without it the
backend is off for good, and no poll tries again. A call a GPU does not support
(``NVMLError_NotSupported``) is not made again for that GPU; a GPU that fell off the bus
(``NVMLError_GpuIsLost``: nvidia-ml-py builds its class names with ``capwords``, so not
"GPUIsLost") is dropped.

NVML's fan speed is a percent of the maximum; the boards show RPM, so the fan comes from
``nvmlDeviceGetFanSpeedRPM`` (drivers ≥ 550) or stays unknown. NVML has no hot spot reading.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from types import ModuleType
from typing import Any

from .model import Gpu
from .readout import Readout
from .sysfs import (
    ASLEEP,
    GONE,
    NO_DRIVER,
    NO_PERMISSION,
    NO_SENSOR,
    DrmCard,
    Missing,
    normal_pci,
)

log = logging.getLogger(__name__)

GIB = 1024**3
NO_HOTSPOT = f"{NO_SENSOR} (NVML has no hot spot reading)"


def _load_pynvml() -> ModuleType:
    # A plain import (not importlib) so that the one-file build (tools/build_exe.py) bundles it;
    # imported only here, when an NVIDIA card may be present.
    import pynvml

    return pynvml


class NvmlGpu:
    """One NVML device handle."""

    vendor = "NVIDIA"
    driver = "nvidia"
    integrated = False

    def __init__(self, nvml: ModuleType, handle: Any) -> None:
        self.nvml = nvml
        self.handle = handle
        self.name = str(nvml.nvmlDeviceGetName(handle))
        self.pci = normal_pci(str(nvml.nvmlDeviceGetPciInfo(handle).busId))
        self._unsupported: set[str] = set()
        self._denied: set[str] = set()
        self.card: DrmCard | None = None  # its sysfs card (Linux): is it asleep?

    def _call(self, field: str, fn: Callable[[], Any]) -> Any:
        """One NVML call for ``field``; raises Missing with the reason (GONE: GPU is lost)."""
        nvml = self.nvml
        if field in self._unsupported:
            raise Missing(NO_SENSOR)
        if field in self._denied:
            raise Missing(NO_PERMISSION)
        try:
            return fn()
        except nvml.NVMLError_NotSupported:
            self._unsupported.add(field)
            raise Missing(NO_SENSOR) from None
        except nvml.NVMLError_NoPermission:
            self._denied.add(field)
            raise Missing(NO_PERMISSION) from None
        except nvml.NVMLError_GpuIsLost:
            raise Missing(GONE) from None
        except nvml.NVMLError as exc:
            raise Missing(f"{NO_SENSOR} (NVML: {exc})") from None

    def read(self) -> Gpu:
        """One poll; raises Missing(GONE) when NVML says the GPU is lost."""
        nvml, h = self.nvml, self.handle
        r = Readout()
        if self.card is not None and self.card.asleep():  # NVML would wake it up
            r.lack_all(ASLEEP)
            return r.gpu(self.pci, self.name, self.vendor, self.driver, self.integrated)
        calls: list[tuple[tuple[str, ...], Callable[[], Any]]] = [
            (("gpu_load", "gpu_mem_load"), lambda: nvml.nvmlDeviceGetUtilizationRates(h)),
            (("vram_used", "vram_total"), lambda: nvml.nvmlDeviceGetMemoryInfo(h)),
        ]
        for fields, fn in calls:
            try:
                value = self._call(fields[0], fn)
            except Missing as exc:
                if exc.reason == GONE:
                    raise
                for f in fields:
                    r.lack(f, exc.reason)
                continue
            if fields[0] == "gpu_load":
                r.put("gpu_load", float(value.gpu), "nvmlDeviceGetUtilizationRates.gpu")
                r.put("gpu_mem_load", float(value.memory), "nvmlDeviceGetUtilizationRates.memory")
            else:
                r.put("vram_used", value.used / GIB, "nvmlDeviceGetMemoryInfo.used")
                r.put("vram_total", value.total / GIB, "nvmlDeviceGetMemoryInfo.total")
        singles: list[tuple[str, Callable[[], Any], float, str]] = [
            (
                "gpu_temp",
                lambda: nvml.nvmlDeviceGetTemperature(h, nvml.NVML_TEMPERATURE_GPU),
                1.0,
                "nvmlDeviceGetTemperature(GPU)",
            ),
            ("gpu_fan", lambda: nvml.nvmlDeviceGetFanSpeedRPM(h), 1.0, "nvmlDeviceGetFanSpeedRPM"),
            ("power_w", lambda: nvml.nvmlDeviceGetPowerUsage(h), 1e-3, "nvmlDeviceGetPowerUsage"),
            (
                "clock_mhz",
                lambda: nvml.nvmlDeviceGetClockInfo(h, nvml.NVML_CLOCK_GRAPHICS),
                1.0,
                "nvmlDeviceGetClockInfo(GRAPHICS)",
            ),
        ]
        for field, fn, scale, feed in singles:
            try:
                r.put(field, float(self._call(field, fn)) * scale, feed)
            except Missing as exc:
                if exc.reason == GONE:
                    raise
                r.lack(field, exc.reason)
            except AttributeError:  # an nvidia-ml-py older than the call
                r.lack(field, f"{NO_SENSOR} (this nvidia-ml-py lacks it)")
        r.lack("gpu_hotspot", NO_HOTSPOT)
        return r.gpu(self.pci, self.name, self.vendor, self.driver, self.integrated)


class Nvml:
    """NVML, opened once: ``gpus`` are its devices, ``off_reason`` why there are none."""

    def __init__(self, load: Callable[[], ModuleType] = _load_pynvml) -> None:
        self.gpus: list[NvmlGpu] = []
        self.off_reason: str | None = None
        self._nvml: ModuleType | None = None
        try:
            nvml = load()
        except ImportError:
            self.off_reason = f"{NO_DRIVER}: nvidia-ml-py is not installed"
            return
        try:
            nvml.nvmlInit()
        except nvml.NVMLError_LibraryNotFound:
            self.off_reason = f"{NO_DRIVER}: the NVIDIA driver's NVML library is not installed"
            return
        except nvml.NVMLError_DriverNotLoaded:
            self.off_reason = f"{NO_DRIVER}: the NVIDIA kernel driver is not loaded"
            return
        except nvml.NVMLError_NoPermission:
            self.off_reason = f"{NO_PERMISSION}: NVML refused to start"
            return
        except nvml.NVMLError as exc:
            self.off_reason = f"{NO_DRIVER}: NVML did not start ({exc})"
            return
        self._nvml = nvml
        try:
            for i in range(nvml.nvmlDeviceGetCount()):
                try:
                    self.gpus.append(NvmlGpu(nvml, nvml.nvmlDeviceGetHandleByIndex(i)))
                except nvml.NVMLError as exc:  # one broken GPU does not hide the others
                    log.warning("NVML: GPU %d cannot be opened: %s", i, exc)
        except nvml.NVMLError as exc:
            self.off_reason = f"{NO_DRIVER}: NVML lists no GPU ({exc})"

    def close(self) -> None:
        if self._nvml is not None:
            with contextlib.suppress(self._nvml.NVMLError):
                self._nvml.nvmlShutdown()
            self._nvml = None
