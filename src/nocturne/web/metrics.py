"""Prometheus metrics: one gauge per field of the table, in base units, from the latest Snapshot.

Names follow Prometheus' conventions: ``nocturne_<what>_<base unit>`` (celsius, ratio for
percentages, bytes, bytes_per_second, hertz, watts, seconds; rpm, which has no base unit).
Fans and disks share one metric with a label each. A field missing from ``METRICS`` is still
exported, as ``nocturne_<attribute>_<base unit>``. Unknown readings have no sample.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    InfoMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector, CollectorRegistry

from .. import __version__
from ..snapshot import Snapshot
from ..snapshot.custom import CustomReading
from ..snapshot.fields import CELSIUS, Field
from ..snapshot.readings import NUMERIC_FIELDS, UNITS

PREFIX = "nocturne_"


@dataclass(frozen=True, slots=True)
class MetricName:
    """How one field appears in /metrics: its name without prefix and unit, its labels."""

    stem: str
    labels: tuple[tuple[str, str], ...] = ()
    help: str | None = None  # for a metric several fields share; else the field's label


METRICS: dict[str, MetricName] = {
    "cpu_temp": MetricName("cpu_temperature"),
    "gpu_temp": MetricName("gpu_temperature"),
    "gpu_hotspot": MetricName("gpu_hotspot_temperature"),
    "chipset_temp": MetricName("chipset_temperature"),
    "cpu_load": MetricName("cpu_load"),
    "gpu_load": MetricName("gpu_load"),
    "gpu_mem_load": MetricName("gpu_memory_controller_load"),
    "cpu_power": MetricName("cpu_package_power"),
    "cpu_clock": MetricName("cpu_clock"),
    "ram_used": MetricName("memory_used"),
    "ram_total": MetricName("memory_total"),
    "vram_used": MetricName("gpu_memory_used"),
    "vram_total": MetricName("gpu_memory_total"),
    "net_down": MetricName("network_receive"),
    "net_up": MetricName("network_transmit"),
    "disk_read": MetricName("disk_read"),
    "disk_write": MetricName("disk_write"),
    "sys_disk_usage": MetricName("disk_used", (("disk", "system"),), "Disk space used"),
    "data_disk_usage": MetricName("disk_used", (("disk", "data"),), "Disk space used"),
    "cpu_fan": MetricName("fan_speed", (("fan", "cpu"),), "Fan speed"),
    "sys_fan1": MetricName("fan_speed", (("fan", "system1"),), "Fan speed"),
    "sys_fan2": MetricName("fan_speed", (("fan", "system2"),), "Fan speed"),
    "gpu_fan": MetricName("fan_speed", (("fan", "gpu"),), "Fan speed"),
    "ping_ms": MetricName("ping", help="TCP connect time to ping_host"),
}


def metric_name(field: Field) -> str:
    """The full metric name of a field, e.g. ``nocturne_cpu_temperature_celsius``."""
    stem = METRICS[field.attr].stem if field.attr in METRICS else field.attr
    return f"{PREFIX}{stem}_{UNITS[field.unit].base_unit}"


def in_base_unit(field: Field, value: float) -> float:
    return value * UNITS[field.unit].to_base


def fahrenheit_to_celsius(value: float) -> float:
    return (value - 32.0) * 5.0 / 9.0


# The gauges that are no field of fields.py (one name each, for collect and describe).
WEATHER_STEM = "weather_temperature_celsius"
MEDIA_STEM = "media_playing"
LHM_UP_STEM = "lhm_up"
CUSTOM_STEM = "custom_slot_value"  # in the slot's own unit, named by a label
WITHOUT_FIELD = (WEATHER_STEM, MEDIA_STEM, LHM_UP_STEM, CUSTOM_STEM)


class SnapshotCollector(Collector):
    """A prometheus_client collector reading the latest Snapshot on every scrape."""

    def __init__(self, latest: Callable[[], Snapshot], *, weather_unit: str = CELSIUS) -> None:
        self._latest = latest
        self._weather_unit = weather_unit

    def describe(self) -> Iterator[Metric]:
        """Every family this collector can yield, without samples: the registry learns the
        names from it, so a scrape's ``?name[]=`` filter finds them (known or not yet)."""
        fields = dict.fromkeys(metric_name(field) for field in NUMERIC_FIELDS)
        for name in [*fields, *(f"{PREFIX}{stem}" for stem in WITHOUT_FIELD)]:
            yield GaugeMetricFamily(name, "")
        yield InfoMetricFamily(f"{PREFIX}build", "")

    def collect(self) -> Iterator[Metric]:
        snapshot = self._latest()
        families: dict[str, GaugeMetricFamily] = {}
        for field in NUMERIC_FIELDS:
            value = (
                snapshot.ping_ms
                if field.attr == "ping_ms"
                else getattr(snapshot.hardware, field.attr)
            )
            if value is None:
                continue
            spec = METRICS.get(field.attr, MetricName(field.attr))
            name = metric_name(field)
            family = families.get(name)
            if family is None:
                family = GaugeMetricFamily(
                    name, spec.help or field.label, labels=[k for k, _ in spec.labels]
                )
                families[name] = family
            family.add_metric([v for _, v in spec.labels], in_base_unit(field, value))
        yield from families.values()
        weather = snapshot.weather
        if weather is not None and weather.temperature is not None:
            celsius = weather.temperature
            if self._weather_unit != CELSIUS:
                celsius = fahrenheit_to_celsius(celsius)
            yield GaugeMetricFamily(f"{PREFIX}{WEATHER_STEM}", "Outdoor temperature", value=celsius)
        if snapshot.media is not None:
            yield GaugeMetricFamily(
                f"{PREFIX}{MEDIA_STEM}",
                "1 while the media player plays",
                value=1.0 if snapshot.media.playing else 0.0,
            )
        if snapshot.custom is not None:
            yield custom_family(snapshot.custom)
        yield GaugeMetricFamily(
            f"{PREFIX}{LHM_UP_STEM}",
            "1 while LibreHardwareMonitor answers",
            value=1.0 if snapshot.lhm_online else 0.0,
        )
        yield InfoMetricFamily(
            f"{PREFIX}build", "NOCTURNE_OS version", value={"version": __version__}
        )


def custom_family(custom: CustomReading) -> GaugeMetricFamily:
    """Every known slot of the custom scenes, in its own unit (its ``unit`` label): scene and
    slot by number (1-based) and by name, as the board shows them."""
    family = GaugeMetricFamily(
        f"{PREFIX}{CUSTOM_STEM}",
        "A slot of a custom scene (config.json custom_scenes), in the unit its label names",
        labels=["scene", "slot", "scene_name", "label", "unit"],
    )
    for s, i, slot, value in custom.slots():
        if value is not None:
            labels = [str(s + 1), str(i + 1), custom.scenes[s].name, slot.label, slot.unit or ""]
            family.add_metric(labels, value)
    return family


def metrics_registry(
    latest: Callable[[], Snapshot],
    *,
    weather_unit: str = CELSIUS,
    health: Callable[[], dict[str, Any]] | None = None,
) -> CollectorRegistry:
    """A registry of its own (not the process-wide default) holding the snapshot's gauges
    and, with ``health`` (health.py's document), the server's own cost per source."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(SnapshotCollector(latest, weather_unit=weather_unit))
    if health is not None:
        registry.register(HealthCollector(health))
    return registry


class HealthCollector(Collector):
    """The server's own cost per source (health.py): CPU seconds, up or down, and its RSS."""

    def __init__(self, health: Callable[[], dict[str, Any]]) -> None:
        self._health = health

    def describe(self) -> Iterator[Metric]:
        yield CounterMetricFamily(f"{PREFIX}source_cpu_seconds", "", labels=["source"])
        yield GaugeMetricFamily(f"{PREFIX}source_up", "", labels=["source"])
        yield GaugeMetricFamily(f"{PREFIX}resident_memory_bytes", "")

    def collect(self) -> Iterator[Metric]:
        document = self._health()
        cpu = CounterMetricFamily(
            f"{PREFIX}source_cpu_seconds",
            "CPU time this server spent on each source (and on its own web endpoint)",
            labels=["source"],
        )
        up = GaugeMetricFamily(
            f"{PREFIX}source_up",
            "1 while the source answers, 0 while it is down",
            labels=["source"],
        )
        for source in document["sources"]:
            cpu.add_metric([source["name"]], source["cpu_seconds"])
            if source["state"] != "unknown":
                up.add_metric([source["name"]], 1.0 if source["state"] == "up" else 0.0)
        yield cpu
        yield up
        rss = document["server"]["rss_bytes"]
        if rss is not None:
            yield GaugeMetricFamily(
                f"{PREFIX}resident_memory_bytes", "This server's resident memory", value=rss
            )
