"""MQTT: the Snapshot to a broker, for Home Assistant (discovery) and anything else listening.

The collector hands every snapshot to :meth:`MqttExporter.offer`, which only keeps it; a task
of its own connects, announces the entities (retained discovery messages), sets the status
``online`` (the last will turns it ``offline`` when the server dies) and publishes the latest
snapshot's known readings as one retained JSON state message at most every ``interval``
seconds, and only when they changed. A broker that is down or slow delays nothing else: the
task retries with a growing back-off and logs once per change between up and down.

On the same connection it listens: to the display entities' command topics (commands.py,
forwarded to the boards) and, with ``show_pcs``, to every PC's state and status (pcs.py);
those are handled on the server's loop. On Windows the client itself runs on a selector
loop in a thread of its own (mqtt_loop.py: paho needs ``add_reader``).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import ssl

import aiomqtt
import orjson

from ..config.model import MqttSettings
from ..snapshot import Snapshot
from ..snapshot.readings import known_readings
from .commands import CommandRouter, command_messages
from .ha_discovery import (
    OFFLINE,
    ONLINE,
    Node,
    custom_messages,
    discovery_messages,
    value_messages,
)
from .loop import ClientLoop
from .pcs import PcsAggregator

log = logging.getLogger(__name__)

BACKOFF = (1.0, 2.0, 5.0, 10.0, 30.0, 60.0)  # seconds before retry 1, 2, 3 ...; then the last
CONNECT_TIMEOUT = 10.0  # seconds for the connection and for each publish to be acknowledged
GOODBYE_TIMEOUT = 0.5  # seconds stop() waits for "offline" to be acknowledged, then disconnects
# (TCP keeps the order: the broker reads the offline message before the DISCONNECT anyway)


def tls_context(settings: MqttSettings) -> ssl.SSLContext | None:
    """The TLS context for a broker with ``tls``: its CA file, or the system's CAs."""
    if not settings.tls:
        return None
    return ssl.create_default_context(cafile=settings.ca_file)


class MqttExporter:
    """Publishes snapshots to one broker; ``offer`` is the collector's (sync) callback."""

    def __init__(
        self,
        settings: MqttSettings,
        node: Node,
        *,
        backoff: tuple[float, ...] = BACKOFF,
        commands: CommandRouter | None = None,
        pcs: PcsAggregator | None = None,
        own_loop: bool | None = None,
    ) -> None:
        self.settings = settings
        self.node = node
        self.backoff = backoff
        self.commands = commands  # Home Assistant -> the boards
        self.pcs = pcs  # the other PCs' states, for show_pcs
        self._latest: Snapshot | None = None
        self._fresh = asyncio.Event()
        self._client: aiomqtt.Client | None = None  # while connected
        self._where = ClientLoop(own_loop)  # None: a loop of its own only where needed
        self._last_state: bytes | None = None
        self._was_up: bool | None = None  # None: not tried yet
        self._late = value_messages(node)  # state key -> the entity it announces
        self._announced: set[str] = set()  # of those, the ones sent this session
        self._custom_shown: object = None  # the custom scenes announced this session
        self._custom_topics: set[str] = set()  # their slots' discovery topics
        self._echoes: set[asyncio.Future[None]] = set()
        self.states_published = 0
        if commands is not None:
            commands.echo = self._echo  # the display entities' state, after each command

    @property
    def broker(self) -> str:
        return f"{self.settings.host}:{self.settings.port}"

    @property
    def connected(self) -> bool:
        return self._client is not None

    def offer(self, snapshot: Snapshot) -> None:
        """Keep the newest snapshot for the next state message; never blocks."""
        self._latest = snapshot
        if self.commands is not None:  # the scene select takes the custom scenes' names
            custom = snapshot.custom
            self.commands.custom_names = tuple(s.name for s in custom.scenes) if custom else ()
        self._where.to_client(self._fresh.set)

    def state_payload(self, snapshot: Snapshot) -> bytes:
        """The state message: the known readings, compact JSON."""
        return orjson.dumps(known_readings(snapshot))

    @property
    def threaded(self) -> bool:
        """True when the client runs on a loop of its own (Windows)."""
        return self._where.threaded

    async def start(self) -> None:
        if self._where.loop is None:
            self._where.start(self._run, "mqtt")

    async def stop(self) -> None:
        """Say ``offline`` (a clean disconnect sends no last will), then disconnect."""
        await self._where.finish(self._goodbye)

    async def set_status(self, online: bool) -> None:
        """Say ``online`` or ``offline`` now, retained (the PC wakes or is about to sleep, and
        Home Assistant should not show the last readings as current meanwhile); nothing
        while the broker is out of reach. Call from the server's loop."""
        loop = self._where.loop
        if loop is None:
            return
        say = self._say(ONLINE if online else OFFLINE)
        if loop is asyncio.get_running_loop():
            await say
        else:
            with contextlib.suppress(RuntimeError):  # the client's loop has closed
                await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(say, loop))

    async def _say(self, status: str) -> None:
        client = self._client
        if client is None:
            return
        with contextlib.suppress(aiomqtt.MqttError, asyncio.TimeoutError):
            await asyncio.wait_for(
                client.publish(self.node.status_topic, status, qos=1, retain=True),
                GOODBYE_TIMEOUT,
            )

    async def _goodbye(self) -> None:
        client = self._client
        if client is not None:
            with contextlib.suppress(aiomqtt.MqttError, asyncio.TimeoutError):
                await asyncio.wait_for(
                    client.publish(self.node.status_topic, OFFLINE, qos=1, retain=True),
                    GOODBYE_TIMEOUT,
                )
        task = self._where.task
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, asyncio.TimeoutError):
                await asyncio.wait_for(task, GOODBYE_TIMEOUT)

    def _new_client(self) -> aiomqtt.Client:
        return aiomqtt.Client(
            self.settings.host,
            self.settings.port,
            username=self.settings.username,
            password=self.settings.password,
            identifier=f"nocturne-{self.node.node_id}",
            will=aiomqtt.Will(self.node.status_topic, OFFLINE, qos=1, retain=True),
            tls_context=tls_context(self.settings),
            timeout=CONNECT_TIMEOUT,
        )

    async def _run(self) -> None:
        failures = 0
        while True:
            try:
                async with self._new_client() as client:
                    self._client = client  # from here on stop() says "offline" itself
                    await self._announce(client)
                    failures = 0
                    self._log_up()
                    await self._serve(client)
            except (aiomqtt.MqttError, OSError) as exc:
                self._log_down(exc)
            finally:
                if self._client is not None and self.pcs is not None:
                    self._where.to_main(self.pcs.broker_lost)
                self._client = None
            await asyncio.sleep(self.backoff[min(failures, len(self.backoff) - 1)])
            failures += 1

    async def _announce(self, client: aiomqtt.Client) -> None:
        for topic, payload in discovery_messages(self.node):
            await client.publish(topic, orjson.dumps(payload), qos=1, retain=True)
        if self.commands is not None:
            for topic, payload in command_messages(self.node, self.commands.custom_names):
                await client.publish(topic, orjson.dumps(payload), qos=1, retain=True)
        await client.publish(self.node.status_topic, ONLINE, qos=1, retain=True)
        self._last_state = None  # a new session: send the state even if unchanged
        self._announced = set()
        self._custom_shown = None
        topics = [*self.commands.topics] if self.commands is not None else []
        if self.pcs is not None:
            topics += self.pcs.subscriptions
        for topic in topics:
            await client.subscribe(topic, qos=1)

    async def _serve(self, client: aiomqtt.Client) -> None:
        """Publish states and take messages until the connection fails (either raises)."""
        if self.commands is None and self.pcs is None:
            await self._publish_states(client)
            return
        both = (
            asyncio.create_task(self._publish_states(client), name="mqtt-publish"),
            asyncio.create_task(self._receive(client), name="mqtt-receive"),
        )
        try:
            done, _ = await asyncio.wait(both, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in both:
                task.cancel()
            await asyncio.gather(*both, return_exceptions=True)
        for task in done:
            task.result()  # the connection's error, for _run's back-off
        raise aiomqtt.MqttError("the broker ended the subscription")

    async def _receive(self, client: aiomqtt.Client) -> None:
        async for message in client.messages:
            payload = message.payload
            if not isinstance(payload, bytes | bytearray):
                continue
            self._where.to_main(self._handle, str(message.topic), bytes(payload))

    def _handle(self, topic: str, payload: bytes) -> None:
        """One message for the boards, on the server's loop."""
        if self.commands is not None and self.commands.handle(topic, payload):
            return
        if self.pcs is not None:
            self.pcs.handle(topic, payload)

    async def _publish_states(self, client: aiomqtt.Client) -> None:
        while True:
            await self._fresh.wait()
            self._fresh.clear()
            assert self._latest is not None
            values = known_readings(self._latest)
            for key in values.keys() & self._late.keys() - self._announced:
                topic, config = self._late[key]
                await client.publish(topic, orjson.dumps(config), qos=1, retain=True)
                self._announced.add(key)
            await self._announce_custom(client, self._latest)
            payload = orjson.dumps(values)
            if payload != self._last_state:
                await client.publish(self.node.state_topic, payload, qos=1, retain=True)
                self._last_state = payload
                self.states_published += 1
            await asyncio.sleep(self.settings.interval)

    async def _announce_custom(self, client: aiomqtt.Client, snapshot: Snapshot) -> None:
        """The custom scenes' slots as sensors, and the scene select with their names, each
        time the scenes change; a slot no longer there is removed (an empty retained config).
        """
        scenes = snapshot.custom.scenes if snapshot.custom is not None else ()
        if scenes == self._custom_shown:
            return
        messages = custom_messages(self.node, snapshot.custom)
        for topic in self._custom_topics - messages.keys():
            await client.publish(topic, b"", qos=1, retain=True)
        for topic, config in messages.items():
            await client.publish(topic, orjson.dumps(config), qos=1, retain=True)
        if self.commands is not None and (scenes or self._custom_shown):
            names = [scene.name for scene in scenes]
            for topic, config in command_messages(self.node, names)[:1]:  # ENTITIES[0]: SCENE
                await client.publish(topic, orjson.dumps(config), qos=1, retain=True)
        self._custom_topics = set(messages)
        self._custom_shown = scenes

    def _echo(self, topic: str, state: str) -> None:
        """A display entity's new state (from the main loop), retained on the broker."""
        self._where.to_client(functools.partial(self._publish_echo, topic, state))

    def _publish_echo(self, topic: str, state: str) -> None:
        client = self._client
        if client is None:
            return  # no broker now: Home Assistant keeps what it last read
        echo = asyncio.ensure_future(client.publish(topic, state, qos=1, retain=True))
        self._echoes.add(echo)
        echo.add_done_callback(self._echo_done)

    def _echo_done(self, echo: asyncio.Future[None]) -> None:
        self._echoes.discard(echo)
        if not echo.cancelled() and echo.exception() is not None:
            log.debug("MQTT: a display state was not published: %s", echo.exception())

    def _log_up(self) -> None:
        if self._was_up is not True:
            log.info(
                "MQTT: publishing to %s as %s (Home Assistant discovery under %s/)",
                self.broker,
                self.node.node_id,
                self.node.discovery_prefix,
            )
        self._was_up = True

    def _log_down(self, exc: BaseException) -> None:
        if self._was_up is not False:
            what = "lost the broker" if self._was_up else "cannot reach the broker"
            log.warning(
                "MQTT: %s at %s (%s); retrying, up to every %g s",
                what,
                self.broker,
                exc,
                self.backoff[-1],
            )
        self._was_up = False
