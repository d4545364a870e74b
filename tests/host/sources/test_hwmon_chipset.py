"""The chipset temperature from board drivers' labels (psutil's hwmon reading)."""

from __future__ import annotations

try:  # psutil 7 moved its named tuples
    from psutil._ntuples import shwtemp
except ImportError:
    from psutil._common import shwtemp

from nocturne.sources.local import chipset_temperature


def test_nct6775s_pch_reading_is_the_chipset():
    temps = {
        "nct6798": [
            shwtemp("SYSTIN", 33.0, 0.0, 0.0),
            shwtemp("CPUTIN", 38.5, 115.0, 115.0),
            shwtemp("PCH_CHIP_TEMP", 46.0, None, None),
        ]
    }
    assert chipset_temperature(temps) == 46.0


def test_asus_ec_sensors_chipset_reading():
    temps = {
        "asusec": [shwtemp("Chipset", 52.0, None, None), shwtemp("CPU", 41.0, None, None)],
        "k10temp": [shwtemp("Tctl", 44.0, None, None)],
    }
    assert chipset_temperature(temps) == 52.0


def test_an_intel_pch_sensor_comes_first_and_zero_is_unknown():
    assert chipset_temperature({"nct6798": [shwtemp("PCH_CHIP_TEMP", 0.0, None, None)]}) is None
    temps = {
        "nct6798": [shwtemp("PCH_CHIP_TEMP", 46.0, None, None)],
        "pch_cometlake": [shwtemp("", 49.0, None, None)],
    }
    assert chipset_temperature(temps) == 49.0
