"""The running server: config → sources → collector → TCP fan-out, started and stopped as one."""

from __future__ import annotations

import asyncio
import logging

from .collector import Collector
from .config import Config
from .protocol import SCENES_WITH_PROCESSES
from .server import DeviceServer
from .sources.lhm.client import LhmSource
from .sources.local import LocalSource
from .sources.processes import ProcessSource

log = logging.getLogger(__name__)


class NocturneServer:
    """Everything the ``nocturne`` command runs, with a start/stop life cycle."""

    def __init__(self, config: Config, *, use_lhm: bool = True) -> None:
        self.config = config
        self.devices = DeviceServer(config.host, config.port, max_devices=config.max_devices)
        lhm = (
            LhmSource(
                config.lhm_url,
                user=config.lhm_user,
                password=config.lhm_password,
                overrides=config.sensor_overrides,
            )
            if use_lhm
            else None
        )
        self.collector = Collector(
            config,
            lhm=lhm,
            local=LocalSource(),
            processes=ProcessSource(),
            want_processes=self.wants_processes,
        )
        self.collector.subscribe(self.devices.publish)

    def wants_processes(self) -> bool:
        """True while a device shows a scene with process lists, or has not said what it shows."""
        return any(
            d.screen is None or d.screen in SCENES_WITH_PROCESSES for d in self.devices.devices()
        )

    async def start(self) -> None:
        await self.devices.start()
        self.collector.start()
        if self.collector.lhm_feed is not None:
            log.info("Reading LibreHardwareMonitor at %s", self.config.lhm_url)

    async def stop(self) -> None:
        await self.collector.stop()
        await self.devices.stop()

    async def run_forever(self, stop: asyncio.Event | None = None) -> None:
        await self.start()
        try:
            await (stop or asyncio.Event()).wait()
        finally:
            await self.stop()
