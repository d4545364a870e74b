"""The running server: config → sources → collector → TCP fan-out, started and stopped as one."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from .collector import LHM, PING, WEATHER, Collector
from .config import Config
from .discovery import Discovery, DiscoverySettings, pc_name
from .exports.readings import weather_unit
from .exports.web import WebExporter
from .pairing_config import pairing_from_config
from .protocol import SCENES_WITH_PROCESSES
from .server import DeviceServer
from .sources.lhm.client import LhmSource
from .sources.local import LocalSource
from .sources.media import MediaSource, media_source
from .sources.ping import PingSource
from .sources.processes import ProcessSource
from .sources.weather import WeatherSource

if TYPE_CHECKING:
    from .exports.mqtt import MqttExporter

log = logging.getLogger(__name__)


def weather_source(config: Config) -> WeatherSource | None:
    """Open-Meteo for ``weather_city`` or ``latitude``/``longitude``; None when neither is set."""
    source = WeatherSource(
        city=config.weather_city,
        latitude=config.latitude,
        longitude=config.longitude,
        unit=config.temperature_unit,
        weather_api_url=config.weather_api_url,
        geocoding_api_url=config.geocoding_api_url,
        cache_path=config.weather_cache_path,
    )
    return source if source.configured else None


def ping_source(config: Config) -> PingSource | None:
    """TCP connect time to ``ping_host``:``ping_port``; None when ``ping_host`` is empty."""
    return PingSource(config.ping_host, config.ping_port) if config.ping_host else None


def mqtt_exporter(config: Config) -> MqttExporter | None:
    """The MQTT exporter when config.json has an ``mqtt`` section. aiomqtt (and paho under
    it) is imported only then: a server without MQTT does not carry it in memory."""
    if not config.mqtt:
        return None
    from .exports.discovery import Node
    from .exports.mqtt import MqttExporter

    return MqttExporter(config.mqtt, Node.from_settings(config.mqtt, config.temperature_unit))


class NocturneServer:
    """Everything the ``nocturne`` command runs, with a start/stop life cycle."""

    def __init__(
        self, config: Config, *, use_lhm: bool = True, media: MediaSource | bool | None = True
    ) -> None:
        self.config = config
        self.pairing = pairing_from_config(config)
        self.devices = DeviceServer(
            config.host, config.port, max_devices=config.max_devices, pairing=self.pairing
        )
        self.discovery = Discovery(
            DiscoverySettings(pc_name(config.name), mdns=config.mdns),
            lambda: self.pairing.required,
        )
        lhm = LhmSource.from_config(config) if use_lhm else None
        self.collector = Collector(
            config,
            lhm=lhm,
            local=LocalSource(),
            processes=ProcessSource(),
            want_processes=self.wants_processes,
            weather=weather_source(config),
            ping=ping_source(config),
            media=media_source() if media is True else (media or None),
        )
        self.collector.subscribe(self.devices.publish)
        # Exports: each keeps the newest snapshot and publishes on its own task.
        self.web = (
            WebExporter(config.web, weather_unit=weather_unit(config.temperature_unit))
            if config.web
            else None
        )
        self.mqtt = mqtt_exporter(config)
        for exporter in (self.web, self.mqtt):
            if exporter is not None:
                self.collector.subscribe(exporter.offer)

    def wants_processes(self) -> bool:
        """True while a device shows a scene with process lists, or has not said what it shows."""
        return any(
            d.screen is None or d.screen in SCENES_WITH_PROCESSES for d in self.devices.devices()
        )

    async def start(self) -> None:
        await self.devices.start()
        await self.discovery.start(self.devices.host, self.devices.port)
        self.collector.start()
        for exporter in (self.web, self.mqtt):
            if exporter is not None:
                await exporter.start()
        if self.collector.feed(LHM) is not None:
            log.info("Reading LibreHardwareMonitor at %s", self.config.lhm_url)
        if self.collector.feed(WEATHER) is None:
            log.info(
                "No weather: set weather_city (or latitude and longitude) in %s",
                self.config.path or "config.json",
            )
        ping = self.collector.feed(PING)
        if ping is not None:
            log.info("Ping: TCP connect time to %s every few seconds", ping.source.target)

    async def stop(self) -> None:
        for exporter in (self.mqtt, self.web):
            if exporter is not None:
                await exporter.stop()
        await self.collector.stop()
        await self.discovery.stop()
        await self.devices.stop()
