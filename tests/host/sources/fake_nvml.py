"""A stand-in for nvidia-ml-py's ``pynvml`` module whose edge is the C library.

Everything a caller sees is the real module's: its constants, its error classes (raised as
``pynvml.NVMLError(code)``, which the real ``__new__`` turns into ``NVMLError_NotSupported``
and the rest) and its ctypes structures (``c_nvmlUtilization_t``, ``c_nvmlMemory_t``,
``nvmlPciInfo_t`` whose ``busId`` comes back as ``str``). Only what libnvidia-ml.so.1 would
answer is made up here, per GPU, from plain numbers in NVML's units (mW, bytes, °C, MHz).
"""

from __future__ import annotations

import types
from dataclasses import dataclass, field
from typing import Any

import pynvml as real


@dataclass
class FakeGpu:
    """One GPU's answers; any of them may be ``err(code)`` instead (the call fails)."""

    name: str
    bus_id: str  # as NVML spells it: "00000000:01:00.0"
    util: Any = (0, 0)  # (gpu %, memory %)
    temp: Any = 40  # °C
    fan_rpm: Any = 0
    power_mw: Any = 0  # milliwatts, as NVML counts
    memory: Any = (0, 0)  # (used, total) bytes
    clock_mhz: Any = 0
    lost: bool = False  # every call raises NVMLError_GpuIsLost
    calls: dict[str, int] = field(default_factory=dict)


def err(code: int) -> tuple[str, int]:
    """A value that makes the call fail with NVML_ERROR_<code>."""
    return ("err", code)


def fake_pynvml(
    gpus: list[FakeGpu], *, init_error: int | None = None, without: tuple[str, ...] = ()
) -> types.ModuleType:
    """A module shaped as ``pynvml``: the real names, fake library answers.
    ``without``: function names this (older) binding lacks."""
    mod = types.ModuleType("pynvml")
    for name in dir(real):
        if name.startswith(("NVML_", "NVMLError", "c_nvml", "nvmlPciInfo_t")):
            setattr(mod, name, getattr(real, name))
    mod.inits = 0  # type: ignore[attr-defined]
    mod.shutdowns = 0  # type: ignore[attr-defined]

    def check(gpu: FakeGpu, call: str, value: Any) -> Any:
        gpu.calls[call] = gpu.calls.get(call, 0) + 1
        if gpu.lost:
            raise real.NVMLError(real.NVML_ERROR_GPU_IS_LOST)
        if isinstance(value, tuple) and value and value[0] == "err":
            raise real.NVMLError(value[1])
        return value

    def nvmlInit() -> None:
        if init_error is not None:
            raise real.NVMLError(init_error)
        mod.inits += 1  # type: ignore[attr-defined]

    def nvmlShutdown() -> None:
        mod.shutdowns += 1  # type: ignore[attr-defined]

    def nvmlDeviceGetCount() -> int:
        return len(gpus)

    def nvmlDeviceGetHandleByIndex(index: int) -> FakeGpu:
        if not 0 <= index < len(gpus):
            raise real.NVMLError(real.NVML_ERROR_INVALID_ARGUMENT)
        return gpus[index]

    def nvmlDeviceGetName(h: FakeGpu) -> str:
        return h.name

    def nvmlDeviceGetPciInfo(h: FakeGpu) -> Any:
        info = real.nvmlPciInfo_t()
        info.busId = h.bus_id.encode()
        info.busIdLegacy = h.bus_id.encode()
        return info

    def nvmlDeviceGetUtilizationRates(h: FakeGpu) -> Any:
        value = check(h, "util", h.util)
        util = real.c_nvmlUtilization_t()
        util.gpu, util.memory = value
        return util

    def nvmlDeviceGetMemoryInfo(h: FakeGpu, version: Any = None) -> Any:
        used, total = check(h, "memory", h.memory)
        mem = real.c_nvmlMemory_t()
        mem.used, mem.total, mem.free = used, total, total - used
        return mem

    def nvmlDeviceGetTemperature(h: FakeGpu, sensor: int) -> int:
        assert sensor == real.NVML_TEMPERATURE_GPU
        return check(h, "temp", h.temp)

    def nvmlDeviceGetFanSpeedRPM(h: FakeGpu) -> int:
        return check(h, "fan_rpm", h.fan_rpm)

    def nvmlDeviceGetPowerUsage(h: FakeGpu) -> int:
        return check(h, "power", h.power_mw)

    def nvmlDeviceGetClockInfo(h: FakeGpu, kind: int) -> int:
        assert kind == real.NVML_CLOCK_GRAPHICS
        return check(h, "clock", h.clock_mhz)

    for fn in (
        nvmlInit,
        nvmlShutdown,
        nvmlDeviceGetCount,
        nvmlDeviceGetHandleByIndex,
        nvmlDeviceGetName,
        nvmlDeviceGetPciInfo,
        nvmlDeviceGetUtilizationRates,
        nvmlDeviceGetMemoryInfo,
        nvmlDeviceGetTemperature,
        nvmlDeviceGetFanSpeedRPM,
        nvmlDeviceGetPowerUsage,
        nvmlDeviceGetClockInfo,
    ):
        if fn.__name__ not in without:
            setattr(mod, fn.__name__, fn)
    return mod
