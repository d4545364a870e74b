"""RAPL package power from powercap's microjoule counters."""

from __future__ import annotations

import errno

import pytest

from nocturne.sources import SourceUnavailable
from nocturne.sources.rapl import RaplSource, RaplUnavailable

from .conftest import INTEL_IGPU, RX7900

ENERGY = 43021884211  # the fixture's package-0 energy_uj
WRAP = 262143328850  # its max_energy_range_uj


def _set(root, energy: int) -> None:
    (root / "sys/class/powercap/intel-rapl:0/energy_uj").write_text(f"{energy}\n")


def test_package_power_is_microjoules_over_seconds(machine, clock):
    root = machine(INTEL_IGPU)
    source = RaplSource(root, clock)
    # not core, not psys, not intel-rapl-mmio:0 (the same package through MMIO)
    assert [z.energy.parent.name for z in source.zones] == ["intel-rapl:0"]
    assert source.read_sync().cpu_power is None  # one sample
    clock.now += 2.0
    _set(root, ENERGY + 30_000_000)
    assert source.read_sync().cpu_power == pytest.approx(15.0)


def test_a_counter_that_wraps_still_gives_the_power(machine, clock):
    root = machine(INTEL_IGPU)
    _set(root, WRAP - 4_000_000)
    source = RaplSource(root, clock)
    source.read_sync()
    clock.now += 1.0
    _set(root, 6_000_000)
    assert source.read_sync().cpu_power == pytest.approx(10.0)


def test_a_root_only_counter_says_so_with_the_fix(machine, failing):
    source = RaplSource(machine(INTEL_IGPU))
    failing("energy_uj", errno.EACCES)
    with pytest.raises(RaplUnavailable) as caught:
        source.read_sync()
    assert "root only" in str(caught.value) and "chmod o+r" in str(caught.value)
    assert caught.value.lasting and isinstance(caught.value, SourceUnavailable)


def test_a_pc_without_package_zones_has_no_rapl_source(machine):
    assert not RaplSource(machine(RX7900)).found
