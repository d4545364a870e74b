"""The GPU and RAPL sources have the source shape and fail the one way."""

from __future__ import annotations

import inspect

from nocturne.sources import InThread, SourceUnavailable
from nocturne.sources.gpu.chooser import GpuSource, GpuThread, NoGpu
from nocturne.sources.gpu.nvml import Nvml
from nocturne.sources.rapl import RaplSource, RaplUnavailable

from .conftest import INTEL_IGPU, SYSFS
from .fake_nvml import fake_pynvml
from .test_nvml import rtx3060


async def test_the_direct_sources_have_the_source_shape():
    module = fake_pynvml([rtx3060()])
    gpus = GpuThread(GpuSource("", SYSFS / INTEL_IGPU, nvml=lambda: Nvml(lambda: module)))
    for source in (gpus, InThread(RaplSource(SYSFS / INTEL_IGPU))):
        assert isinstance(source.name, str) and source.name
        assert isinstance(source.interval, float) and source.interval > 0
        assert inspect.iscoroutinefunction(source.read)
        assert inspect.iscoroutinefunction(source.close)
        assert await source.read() is not None
        await source.close()
    assert module.shutdowns == 1  # closing the GPU source shuts NVML down


def test_their_failures_are_source_unavailable():
    assert issubclass(NoGpu, SourceUnavailable) and issubclass(RaplUnavailable, SourceUnavailable)
