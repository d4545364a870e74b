"""Several GPUs: which one the boards show, and how a GPU gone or back is told once."""

from __future__ import annotations

import logging
import shutil

import pytest

from nocturne.config.model import Config
from nocturne.sources.gpu.chooser import RESCAN_S, GpuSource, GpuThread, NoGpu
from nocturne.sources.gpu.nvml import Nvml
from nocturne.sources.gpu.sysfs import NO_DRIVER, ROOT_ENV
from nocturne.sources.local import LocalSource

from .conftest import APU_NVIDIA, LAPTOP_BOTH, RX7900, SYSFS, amd_device
from .fake_nvml import fake_pynvml
from .test_nvml import rtx3060


def _source(root, selector="", fakes=None, clock=None):
    nvml = None if fakes is None else (lambda: Nvml(lambda: fake_pynvml(fakes)))
    kw = {"clock": clock} if clock is not None else {}
    return GpuSource(selector, root, nvml=nvml, **kw)


def test_the_discrete_nvidia_is_shown_over_the_integrated_radeon(machine):
    reading = _source(machine(APU_NVIDIA), fakes=[rtx3060()]).read_sync()
    assert [g.pci for g in reading.gpus] == ["0000:01:00.0", "0000:05:00.0"]
    assert reading.chosen.name == "NVIDIA GeForce RTX 3060 Laptop GPU"
    assert reading.why == "discrete, with a load sensor"
    assert reading.hardware.gpu_load == 31.0


@pytest.mark.parametrize(
    "selector", ["0000:05:00.0", "05:00.0", "radeon vega series / RADEON VEGA MOBILE SERIES"]
)
def test_config_names_the_gpu_by_pci_address_or_name(machine, selector):
    reading = _source(machine(APU_NVIDIA), selector, fakes=[rtx3060()]).read_sync()
    assert reading.chosen.pci == "0000:05:00.0" and reading.why == "config.json 'gpu'"
    assert reading.hardware.gpu_temp == 45.0


def test_a_gpu_name_that_matches_nothing_is_warned_once_and_auto_applies(machine, caplog):
    source = _source(machine(APU_NVIDIA), "RTX 4090", fakes=[rtx3060()])
    with caplog.at_level(logging.INFO, logger="nocturne.sources.gpu.chooser"):
        for _ in range(3):
            reading = source.read_sync()
    assert reading.chosen.pci == "0000:01:00.0"
    assert "'RTX 4090', which names none of" in reading.notes[0]
    assert sum("names none of" in r.message for r in caplog.records) == 1
    assert sum("GPU shown" in r.message for r in caplog.records) == 1


def test_an_nvidia_card_without_nvml_is_listed_with_the_reason(machine):
    module = fake_pynvml([], init_error=12)  # NVML_ERROR_LIBRARY_NOT_FOUND
    source = GpuSource("", machine(APU_NVIDIA), nvml=lambda: Nvml(lambda: module))
    reading = source.read_sync()
    nvidia = reading.gpus[0]
    assert nvidia.vendor == "NVIDIA" and nvidia.missing["gpu_load"].startswith(NO_DRIVER)
    assert reading.chosen.pci == "0000:05:00.0"  # the only one with a load sensor


def test_nvml_is_loaded_only_where_sysfs_lists_an_nvidia_card(machine, monkeypatch):
    from nocturne.sources.gpu import chooser

    loads = []
    monkeypatch.setattr(chooser, "Nvml", lambda: loads.append(1) or Nvml(lambda: fake_pynvml([])))
    assert GpuSource("", machine(RX7900)).nvml is None and loads == []
    assert GpuSource("", machine(APU_NVIDIA)).nvml is not None and loads == [1]


def test_a_sleeping_dgpu_leaves_the_igpu_shown(machine):
    reading = _source(machine(LAPTOP_BOTH)).read_sync()
    assert reading.chosen.driver == "i915" and reading.why == "the only one with a load sensor"


def test_a_card_that_vanishes_between_polls_is_told_once_and_found_again(machine, clock, caplog):
    root = machine(RX7900)
    source = _source(root, clock=clock)
    assert source.read_sync().hardware.gpu_load == 2.0
    saved, device = root.parent / "saved-device", amd_device(root)
    shutil.copytree(device, saved, symlinks=True)
    shutil.rmtree(device)
    with caplog.at_level(logging.INFO, logger="nocturne.sources.gpu.chooser"):
        for _ in range(3):
            with pytest.raises(NoGpu):
                source.read_sync()
        shutil.copytree(saved, device, symlinks=True)
        clock.now += RESCAN_S
        assert source.read_sync().hardware.gpu_load == 2.0
    messages = [r.message for r in caplog.records]
    assert sum("is gone" in m for m in messages) == 1, messages
    assert sum("is back" in m for m in messages) == 1, messages


def test_a_lost_nvidia_gpu_hands_the_scene_to_the_other(machine, caplog):
    fake = rtx3060()
    source = _source(machine(APU_NVIDIA), fakes=[fake])
    assert source.read_sync().chosen.vendor == "NVIDIA"
    fake.lost = True
    with caplog.at_level(logging.INFO, logger="nocturne.sources.gpu.chooser"):
        assert source.read_sync().chosen.pci == "0000:05:00.0"
        assert source.read_sync().chosen.pci == "0000:05:00.0"
    assert sum("is gone" in r.message for r in caplog.records) == 1


def test_the_root_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv(ROOT_ENV, str(SYSFS / RX7900))
    assert GpuSource().read_sync().chosen.pci == "0000:03:00.0"


async def test_the_collector_shows_the_chosen_gpu_and_lhm_still_wins(machine):
    from nocturne.collect.collector import GPU, Collector
    from nocturne.snapshot import Hardware
    from nocturne.sources.lhm.model import LhmReading

    class Lhm:
        name, interval = "LHM", 1.0

        def __init__(self, reading):
            self.reading = reading

        async def read(self):
            return self.reading

        async def close(self):
            return None

    lhm_hw = Hardware(gpu_temp=61.0, cpu_load=12.0)
    lhm = Lhm(LhmReading(hardware=lhm_hw, sensors=(), chosen={}, missing_overrides=()))
    gpu = GpuThread(GpuSource("", machine(RX7900)))
    collector = Collector(Config(ping_host=""), lhm=lhm, local=LocalSource(), gpu=gpu)
    try:
        hw = (await collector.tick()).hardware
        assert collector.feed(GPU).up is True
        assert hw.gpu_temp == 61.0  # LHM's
        assert (hw.gpu_load, hw.gpu_hotspot, hw.gpu_fan) == (2.0, 39.0, 0.0)  # the GPU's
    finally:
        await collector.stop()


def test_psutils_gpu_fields_never_mix_with_the_chosen_gpus(machine):
    from nocturne.snapshot import Hardware
    from nocturne.sources.gpu.merge import with_direct_sensors

    reading = _source(machine(LAPTOP_BOTH)).read_sync()  # the Intel iGPU: no temperature
    psutil_hw = Hardware(gpu_temp=50.0, cpu_load=3.0)  # psutil's amdgpu edge: another card
    merged = with_direct_sensors(psutil_hw, reading, Hardware(cpu_power=12.5))
    assert merged.gpu_temp is None and merged.gpu_load == pytest.approx(100 * 350 / 1150)
    assert (merged.cpu_load, merged.cpu_power) == (3.0, 12.5)
    assert with_direct_sensors(psutil_hw, None, None) is psutil_hw


def test_config_gpu_is_a_string_trimmed():
    from nocturne.config.model import ConfigError, config_from_mapping

    assert config_from_mapping({"gpu": " 0000:03:00.0 "}).gpu == "0000:03:00.0"
    assert config_from_mapping({}).gpu == ""
    with pytest.raises(ConfigError, match="key 'gpu': expected a string"):
        config_from_mapping({"gpu": 3})


def test_a_sleeping_nvidia_dgpu_is_not_woken_by_nvml(machine):
    from nocturne.sources.gpu.sysfs import ASLEEP

    root = machine(APU_NVIDIA)
    fake = rtx3060()
    source = _source(root, fakes=[fake])
    source.read_sync()
    calls = dict(fake.calls)
    status = (root / "sys/class/drm/card0/device/power/runtime_status").resolve()
    status.write_text("suspended\n")
    reading = source.read_sync()
    assert fake.calls == calls  # not one NVML call while it sleeps
    assert reading.gpus[0].missing["gpu_load"] == ASLEEP
    assert reading.chosen.pci == "0000:05:00.0"
    status.write_text("active\n")
    assert source.read_sync().chosen.pci == "0000:01:00.0"
