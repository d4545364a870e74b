"""Fixture machines: copies of tests/fixtures/sysfs/<machine> a test may change."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

SYSFS = Path(__file__).resolve().parents[2] / "fixtures" / "sysfs"
RX7900 = "amd-rx7900xt_desktop"
APU_NVIDIA = "amd-cezanne-apu_rtx3060-laptop"
INTEL_IGPU = "intel-tgl-h-uhd_igpu"
LAPTOP_BOTH = "intel-cml-h-uhd_rx5500m-laptop"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def machine(tmp_path: Path):
    """``machine(name)``: a copy of that fixture tree (symlinks kept), its root."""

    def copy(name: str) -> Path:
        root = tmp_path / name
        shutil.copytree(SYSFS / name, root, symlinks=True)
        return root

    return copy


@pytest.fixture
def clock() -> Clock:
    return Clock()


def amd_device(root: Path, card: str = "card1") -> Path:
    """The real folder behind /sys/class/drm/<card>/device."""
    return (root / "sys" / "class" / "drm" / card / "device").resolve()


@pytest.fixture
def opened(monkeypatch) -> list[str]:
    """Every file the sysfs readers open, in order."""
    from nocturne.sources.gpu import sysfs

    paths: list[str] = []
    real_open = open

    def counting(path, *a, **k):
        paths.append(str(path))
        return real_open(path, *a, **k)

    monkeypatch.setattr(sysfs, "open", counting, raising=False)
    return paths


@pytest.fixture
def failing(monkeypatch):
    """``failing(suffix, errno)``: opening a file whose path ends so raises that OSError,
    as the kernel's read of that attribute would."""
    import os

    from nocturne.sources.gpu import sysfs

    real_open = open
    rules: dict[str, int] = {}

    def opening(path, *a, **k):
        for suffix, code in rules.items():
            if str(path).endswith(suffix):
                raise OSError(code, os.strerror(code), str(path))
        return real_open(path, *a, **k)

    monkeypatch.setattr(sysfs, "open", opening, raising=False)
    return rules.__setitem__
