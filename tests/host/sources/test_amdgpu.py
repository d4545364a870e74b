"""amdgpu's sysfs files, read from copies of real machines' trees."""

from __future__ import annotations

import errno
import shutil

import pytest

from nocturne.sources.gpu.amdgpu import AmdGpu
from nocturne.sources.gpu.sysfs import ASLEEP, GONE, NO_PERMISSION, NO_SENSOR, Missing, drm_cards

from .conftest import APU_NVIDIA, LAPTOP_BOTH, RX7900, amd_device


def _amd(root):
    return next(AmdGpu(c) for c in drm_cards(root) if c.driver == "amdgpu")


def test_an_rx_7900_xt_reads_in_physical_units(machine):
    gpu = _amd(machine(RX7900)).read()
    v = gpu.values
    assert (gpu.pci, gpu.name, gpu.integrated) == (
        "0000:03:00.0",
        "Radeon RX 7900 XT/7900 XTX",
        False,
    )
    assert (v.gpu_load, v.gpu_mem_load) == (2.0, 0.0)
    assert (v.gpu_temp, v.gpu_hotspot) == (37.0, 39.0)  # millidegrees; junction = hot spot
    assert v.vram_total == pytest.approx(20464 / 1024) and v.vram_used == pytest.approx(1187 / 1024)
    assert gpu.extra["power_w"] == 19.0  # power1_input, microwatts (RDNA3 has no average)
    assert gpu.extra["clock_mhz"] == 37.0  # freq1_input is in hertz
    assert gpu.feeds["gpu_hotspot"] == "hwmon temp2_input (junction)"


def test_a_fan_stopped_in_zero_rpm_mode_is_zero_not_unknown(machine):
    assert _amd(machine(RX7900)).read().values.gpu_fan == 0.0


def test_the_simpledrm_card0_without_a_pci_device_is_not_a_gpu(machine):
    assert [c.pci for c in drm_cards(machine(RX7900))] == ["0000:03:00.0"]


def test_an_apu_is_integrated_by_its_northbridge_voltage(machine):
    gpu = _amd(machine(APU_NVIDIA)).read()
    assert gpu.integrated and gpu.values.gpu_load == 7.0 and gpu.values.gpu_temp == 45.0
    assert gpu.extra["power_w"] == pytest.approx(5.123)  # power1_average
    assert gpu.missing["gpu_fan"] == NO_SENSOR and gpu.missing["gpu_hotspot"] == NO_SENSOR


def test_a_sleeping_laptop_dgpu_is_not_woken(machine, opened):
    gpu = _amd(machine(LAPTOP_BOTH))
    opened.clear()
    reading = gpu.read()
    assert reading.values.known() == {} and reading.missing["gpu_temp"] == ASLEEP
    assert opened == [str(gpu.card.device / "power" / "runtime_status")]


def test_a_hwmon_file_that_reads_enodata_empties_that_field_only(machine, failing):
    gpu = _amd(machine(RX7900))
    failing("temp2_input", errno.ENODATA)
    reading = gpu.read()
    assert reading.values.gpu_hotspot is None and reading.missing["gpu_hotspot"] == NO_SENSOR
    assert reading.values.gpu_temp == 37.0 and reading.values.gpu_load == 2.0


def test_an_unreadable_file_says_no_permission(machine, failing):
    gpu = _amd(machine(RX7900))
    failing("power1_input", errno.EACCES)
    assert gpu.read().missing["power_w"] == NO_PERMISSION


def test_a_card_that_vanishes_raises_gone(machine):
    root = machine(RX7900)
    gpu = _amd(root)
    assert gpu.read().values.gpu_load == 2.0
    shutil.rmtree(amd_device(root))
    with pytest.raises(Missing) as caught:
        gpu.read()
    assert caught.value.reason == GONE


def test_an_old_card_with_one_unlabelled_temperature_gives_it_as_edge(machine):
    root = machine(RX7900)
    hwmon = amd_device(root) / "hwmon" / "hwmon2"
    for n in (1, 2, 3):
        (hwmon / f"temp{n}_label").unlink()
    for n in (2, 3):
        (hwmon / f"temp{n}_input").unlink()
    reading = _amd(root).read()
    assert reading.values.gpu_temp == 37.0 and reading.values.gpu_hotspot is None


def test_each_value_file_is_opened_once_per_poll(machine, opened):
    gpu = _amd(machine(RX7900))
    opened.clear()
    gpu.read()
    names = [p.rsplit("/", 1)[1] for p in opened]
    assert len(names) == len(set(names)) == 10, names  # runtime_status + 9 values
    assert not any(n.endswith("_label") for n in names)  # labels were learnt once
