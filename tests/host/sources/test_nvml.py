"""NVML through a stand-in shaped as nvidia-ml-py (the real module's errors and structs)."""

from __future__ import annotations

import pynvml as real
import pytest

from nocturne.sources.gpu.nvml import NO_HOTSPOT, Nvml
from nocturne.sources.gpu.sysfs import GONE, NO_DRIVER, NO_PERMISSION, NO_SENSOR, Missing

from .fake_nvml import FakeGpu, err, fake_pynvml

GIB = 1024**3


def rtx3060(**kw) -> FakeGpu:
    values = dict(
        name="NVIDIA GeForce RTX 3060 Laptop GPU",
        bus_id="00000000:01:00.0",
        util=(31, 12),
        temp=52,
        fan_rpm=2150,
        power_mw=35512,
        memory=(1288 * 1024**2, 6144 * 1024**2),
        clock_mhz=1282,
    )
    values.update(kw)
    return FakeGpu(**values)


def test_nvml_readings_in_physical_units():
    nvml = Nvml(lambda: fake_pynvml([rtx3060()]))
    gpu = nvml.gpus[0].read()
    v = gpu.values
    assert (gpu.pci, gpu.name, gpu.vendor, gpu.integrated) == (
        "0000:01:00.0",  # NVML's 8-digit domain, spelt as sysfs spells it
        "NVIDIA GeForce RTX 3060 Laptop GPU",
        "NVIDIA",
        False,
    )
    assert (v.gpu_load, v.gpu_mem_load, v.gpu_temp, v.gpu_fan) == (31.0, 12.0, 52.0, 2150.0)
    assert v.vram_used == pytest.approx(1288 / 1024) and v.vram_total == 6.0
    assert gpu.extra == {"power_w": pytest.approx(35.512), "clock_mhz": 1282.0}  # mW -> W
    assert gpu.missing["gpu_hotspot"] == NO_HOTSPOT


def test_a_call_not_supported_is_not_made_again():
    fake = rtx3060(fan_rpm=err(real.NVML_ERROR_NOT_SUPPORTED))
    nvml = Nvml(lambda: fake_pynvml([fake]))
    for _ in range(3):
        gpu = nvml.gpus[0].read()
    assert gpu.values.gpu_fan is None and gpu.missing["gpu_fan"] == NO_SENSOR
    assert fake.calls["fan_rpm"] == 1 and fake.calls["temp"] == 3


def test_no_permission_is_said_and_the_rest_still_read():
    fake = rtx3060(power_mw=err(real.NVML_ERROR_NO_PERMISSION))
    gpu = Nvml(lambda: fake_pynvml([fake])).gpus[0].read()
    assert gpu.missing["power_w"] == NO_PERMISSION and gpu.values.gpu_load == 31.0


def test_an_older_binding_without_the_rpm_call_leaves_the_fan_unknown():
    nvml = Nvml(lambda: fake_pynvml([rtx3060()], without=("nvmlDeviceGetFanSpeedRPM",)))
    gpu = nvml.gpus[0].read()
    assert gpu.values.gpu_fan is None and gpu.values.gpu_temp == 52.0


def test_a_lost_gpu_raises_gone():
    fake = rtx3060()
    nvml = Nvml(lambda: fake_pynvml([fake]))
    fake.lost = True
    with pytest.raises(Missing) as caught:
        nvml.gpus[0].read()
    assert caught.value.reason == GONE


@pytest.mark.parametrize(
    "code, words",
    [
        (real.NVML_ERROR_LIBRARY_NOT_FOUND, "NVML library is not installed"),
        (real.NVML_ERROR_DRIVER_NOT_LOADED, "kernel driver is not loaded"),
    ],
)
def test_without_the_library_nvml_is_off_with_the_reason(code, words):
    module = fake_pynvml([rtx3060()], init_error=code)
    nvml = Nvml(lambda: module)
    assert nvml.gpus == [] and nvml.off_reason.startswith(NO_DRIVER) and words in nvml.off_reason


def test_without_nvidia_ml_py_nvml_is_off():
    def missing():
        raise ImportError("No module named 'pynvml'")

    assert "nvidia-ml-py is not installed" in Nvml(missing).off_reason


def test_close_shuts_nvml_down_once():
    module = fake_pynvml([rtx3060()])
    nvml = Nvml(lambda: module)
    nvml.close()
    nvml.close()
    assert (module.inits, module.shutdowns) == (1, 1)


def test_the_fake_raises_what_the_real_module_raises():
    """The stand-in's errors are nvidia-ml-py's own classes, mapped by its own __new__."""
    module = fake_pynvml([rtx3060(temp=err(real.NVML_ERROR_GPU_IS_LOST))])
    handle = module.nvmlDeviceGetHandleByIndex(0)
    with pytest.raises(real.NVMLError_GpuIsLost):
        module.nvmlDeviceGetTemperature(handle, real.NVML_TEMPERATURE_GPU)
    assert isinstance(module.nvmlDeviceGetPciInfo(handle).busId, str)
