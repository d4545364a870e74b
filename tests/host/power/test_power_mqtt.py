"""The PC going to sleep and waking, told to Home Assistant: a real server, a private system
bus with the logind stand-in, a real Mosquitto."""

from __future__ import annotations

from ..fakes.logind import Logind, system_bus  # noqa: F401  (a fixture)
from ..mqtt.test_mqtt import HomeAssistant, broker, mqtt_keys  # noqa: F401  (a fixture)
from .test_power_logind import logind, replay, start_server, until  # noqa: F401  (fixtures)

STATUS = "nocturne/test_pc/status"


async def test_mqtt_says_offline_before_sleep_and_online_on_wake(
    tmp_path,
    logind,  # noqa: F811
    replay,  # noqa: F811
    system_bus,  # noqa: F811
    broker,  # noqa: F811
):
    server = await start_server(tmp_path, replay.url, system_bus, mqtt=mqtt_keys(broker))
    try:
        async with HomeAssistant(broker.port) as ha:
            await until(lambda: ha.last(STATUS) == b"online", "online")
            await until(lambda: logind.manager.inhibits, "Inhibit")
            logind.manager.PrepareForSleep(True)
            await until(lambda: ha.last(STATUS) == b"offline", "offline before the sleep")
            await until(lambda: logind.lock_released(0), "the delay lock released")
            assert ha.retained.get(STATUS, b"offline") == b"offline"
            logind.manager.PrepareForSleep(False)
            await until(lambda: ha.last(STATUS) == b"online", "online after the wake")
            assert ha.messages[STATUS][-2:] == [b"offline", b"online"]
    finally:
        await server.stop()
