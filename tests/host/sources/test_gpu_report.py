"""What `nocturne sensors` and `nocturne doctor` say about the GPUs and RAPL."""

from __future__ import annotations

import errno
import io

import pytest

from nocturne.sources.gpu import chooser
from nocturne.sources.gpu.nvml import Nvml
from nocturne.sources.gpu.report import direct_findings, print_direct, read_direct
from nocturne.sources.gpu.sysfs import ROOT_ENV

from .conftest import APU_NVIDIA, INTEL_IGPU, RX7900
from .fake_nvml import fake_pynvml
from .test_nvml import rtx3060


@pytest.fixture
def no_nvidia_driver(monkeypatch):
    module = fake_pynvml([], init_error=12)  # NVML_ERROR_LIBRARY_NOT_FOUND
    monkeypatch.setattr(chooser, "Nvml", lambda: Nvml(lambda: module))


async def _report(monkeypatch, root, selector=""):
    monkeypatch.setenv(ROOT_ENV, str(root))
    return await read_direct(selector, sample_s=0.0)


async def test_sensors_lists_every_gpu_and_what_feeds_each_field(machine, monkeypatch):
    monkeypatch.setattr(chooser, "Nvml", lambda: Nvml(lambda: fake_pynvml([rtx3060()])))
    report = await _report(monkeypatch, machine(APU_NVIDIA))
    out = io.StringIO()
    print_direct(report, out)
    text = out.getvalue()
    assert "0000:01:00.0  NVIDIA GeForce RTX 3060 Laptop GPU  [NVIDIA nvidia, discrete]" in text
    assert "→ shown (discrete, with a load sensor)" in text
    assert "0000:05:00.0  Radeon Vega Series / Radeon Vega Mobile Series" in text
    assert "hwmon temp1_input (edge)" in text and "nvmlDeviceGetUtilizationRates.gpu" in text
    assert "CPU package power (RAPL): — (no RAPL package zone" in text
    assert report.origin("gpu_load", 31.0) == (
        "GPU NVIDIA GeForce RTX 3060 Laptop GPU: nvmlDeviceGetUtilizationRates.gpu"
    )


async def test_doctor_says_no_driver_for_an_nvidia_card_without_nvml(
    machine, monkeypatch, no_nvidia_driver
):
    findings = direct_findings(await _report(monkeypatch, machine(APU_NVIDIA)))
    nvidia = [f for f in findings if f[1].startswith("GPU 0000:01:00.0")]
    assert len(nvidia) == 1 and not nvidia[0][0]  # one finding for the seven fields
    assert nvidia[0][1] == (
        "GPU 0000:01:00.0 GeForce RTX 3060 Mobile / Max-Q: gpu_load, gpu_mem_load, gpu_temp, "
        "gpu_hotspot, gpu_fan, vram_used, vram_total are empty: no driver: the NVIDIA "
        "driver's NVML library is not installed"
    )
    assert "libnvidia-ml.so.1" in nvidia[0][2]
    assert not any(what.startswith("NVML:") for _, what, _ in findings)  # said once, above
    radeon = [f for f in findings if f[1].startswith("GPU 0000:05:00.0")]
    assert radeon and all(ok for ok, _, _ in radeon)  # no such sensor: nothing to fix
    assert any("gpu_hotspot, gpu_fan are empty: no such sensor" in what for _, what, _ in radeon)


async def test_doctor_says_no_permission_and_root_only_rapl(machine, monkeypatch, failing):
    failing("gpu_busy_percent", errno.EACCES)
    failing("energy_uj", errno.EACCES)
    root = machine(RX7900)
    findings = direct_findings(await _report(monkeypatch, root))
    assert (
        False,
        "GPU 0000:03:00.0 Radeon RX 7900 XT/7900 XTX (shown): gpu_load is empty: no permission",
    ) in [f[:2] for f in findings]
    findings = direct_findings(await _report(monkeypatch, machine(INTEL_IGPU)))
    assert any(not ok and "root only" in what for ok, what, _ in findings)


async def test_doctor_flags_a_gpu_name_that_matches_nothing(machine, monkeypatch):
    findings = direct_findings(await _report(monkeypatch, machine(RX7900), "RTX 4090"))
    bad = [f for f in findings if "'RTX 4090'" in f[1]]
    assert bad and not bad[0][0] and "nocturne sensors" in bad[0][2]


def test_gpu_list_is_plain_data_for_the_dashboard(machine):
    import json

    from nocturne.sources.gpu import GpuSource, gpu_list

    module = fake_pynvml([rtx3060()])
    source = GpuSource("", machine(APU_NVIDIA), nvml=lambda: Nvml(lambda: module))
    gpus = gpu_list(source.read_sync())
    json.dumps(gpus)  # JSON-ready as it is
    assert [(g["pci"], g["kind"], g["shown"]) for g in gpus] == [
        ("0000:01:00.0", "discrete", True),
        ("0000:05:00.0", "integrated", False),
    ]
    radeon = gpus[1]["fields"]
    assert radeon["gpu_temp"] == {
        "value": 45.0,
        "source": "hwmon temp1_input (edge)",
        "missing": None,
    }
    assert radeon["gpu_fan"] == {"value": None, "source": None, "missing": "no such sensor"}
    assert gpus[0]["fields"]["power_w"]["value"] == pytest.approx(35.512)
    assert gpu_list(None) == []
