"""The running server: config → sources → collector → TCP fan-out, started and stopped as one."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from .collect.collector import LHM, PING, WEATHER, Collector
from .config.board import idle_thresholds
from .config.model import Config
from .devices.discovery import Discovery, DiscoverySettings, pc_name
from .devices.pairing_file import pairing_from_config
from .devices.pairing_status import devices_document
from .devices.server import DeviceServer
from .power import PowerWatcher, power_watcher, start_watcher
from .power.responder import PowerResponder
from .shutdown import STOP_BUDGET, stop_all
from .snapshot.readings import weather_unit
from .sources import Source
from .sources.gpu.chooser import gpu_source
from .sources.idle import user_idle_source
from .sources.lhm.client import LhmSource
from .sources.local import LocalSource
from .sources.media import MediaSource, media_source
from .sources.ping import PingSource
from .sources.processes import ProcessSource
from .sources.rapl import rapl_source
from .sources.weather import WeatherSource
from .updates.manager import Updates
from .wire.protocol import SCENES_WITH_PROCESSES, device_settings

if TYPE_CHECKING:
    from .mqtt.client import MqttExporter
    from .updates.bundle import Bundle
    from .web.server import WebExporter

log = logging.getLogger(__name__)


def web_exporter(config: Config) -> WebExporter | None:
    """The dashboard, /api/* and GET /metrics when config.json's ``web`` is on (the default).
    aiohttp.web is imported only then."""
    if not config.web:
        return None
    from .web.server import WebExporter

    unit = weather_unit(config.temperature_unit)
    return WebExporter(config.web, weather_unit=unit, name=config.name)


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


def mqtt_exporter(config: Config, devices: DeviceServer | None = None) -> MqttExporter | None:
    """The MQTT exporter when config.json has an ``mqtt`` section. aiomqtt (and paho under
    it) is imported only then: a server without MQTT does not carry it in memory. With
    ``devices`` it forwards Home Assistant's display commands to them and, with
    ``show_pcs``, sends them the PCs it sees on the broker."""
    if not config.mqtt:
        return None
    from .mqtt.client import MqttExporter
    from .mqtt.commands import CommandRouter
    from .mqtt.ha_discovery import Node
    from .mqtt.pcs import PcsAggregator

    node = Node.from_settings(config.mqtt, config.temperature_unit, config.name)
    if devices is None:
        return MqttExporter(config.mqtt, node)
    pcs = None
    if config.show_pcs:
        pcs = PcsAggregator(
            config.mqtt.base_topic, config.show_pcs, devices.set_pcs, own=node.node_id
        )
    return MqttExporter(
        config.mqtt, node, commands=CommandRouter(node, devices.send_commands), pcs=pcs
    )


def compile_bundle(bundle: Bundle, mpy_value: int) -> tuple[Bundle | None, str]:
    """flash/ota_compile.py's, imported when a board first asks for .mpy: the flash tools
    cost a server that never updates a board ~1 MB of RSS."""
    from .flash.ota_compile import compile_bundle as compile_now

    return compile_now(bundle, mpy_value)


class NocturneServer:
    """Everything the ``nocturne`` command runs, with a start/stop life cycle."""

    def __init__(
        self,
        config: Config,
        *,
        use_lhm: bool = True,
        media: MediaSource | bool | None = True,
        power: PowerWatcher | bool | None = True,
        user_idle: Source[float | None] | bool | None = True,
    ) -> None:
        self.config = config
        self.pairing = pairing_from_config(config)
        self.devices = DeviceServer(
            config.host,
            config.port,
            max_devices=config.max_devices,
            pairing=self.pairing,
            first_fields=device_settings(config.night, idle_thresholds(config)),
            updates=Updates(
                config.board_updates,
                firmware_dir=config.firmware_dir,
                token_of=self.pairing.token_of,
                compile_for=compile_bundle,  # flash/ loads with the first compile
            ),
        )
        self.discovery = Discovery(
            DiscoverySettings(pc_name(config.name), mdns=config.mdns),
            lambda: self.pairing.required,
            before_answer=self.pairing.refresh,  # off the event loop, with a deadline
        )
        self.pairing.on_change = self.discovery.pairing_changed  # mDNS TXT follows
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
            user_idle=user_idle_source() if user_idle is True else (user_idle or None),
            gpu=gpu_source(config.gpu),
            rapl=rapl_source(),
        )
        self.power_watcher = power_watcher() if power is True else (power or None)
        self.collector.subscribe(self.devices.publish)
        # Exports: each keeps the newest snapshot and publishes on its own task.
        self.web = web_exporter(config)
        if self.web is not None:
            from .web.api import Desk

            self.web.devices_document = lambda: devices_document(
                self.devices.devices(), self.pairing.boards
            )
            self.web.desk = Desk(self.devices, self.pairing, self.collector, config)
        self.mqtt = mqtt_exporter(config, self.devices)
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
        responder = PowerResponder(
            self.devices,
            self.collector,
            asyncio.get_running_loop(),
            online=self.mqtt.set_status if self.mqtt is not None else None,
            reopen=LHM,
        )
        self.power_watcher = await start_watcher(self.power_watcher, responder)
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

    async def stop(self, budget: float = STOP_BUDGET) -> None:
        """Stop every part side by side, for at most ``budget`` seconds (shutdown.py)."""
        parts = {
            "power events": self.power_watcher.stop if self.power_watcher is not None else None,
            "MQTT": self.mqtt.stop if self.mqtt is not None else None,
            "web": self.web.stop if self.web is not None else None,
            "sources": self.collector.stop,
            "discovery": self.discovery.stop,
            "devices": self.devices.stop,
        }
        await stop_all({name: stop for name, stop in parts.items() if stop is not None}, budget)
