"""Home Assistant → boards (gs, so, cn) and several PCs (pcs), against a real Mosquitto.

A real aiomqtt client stands in for Home Assistant and for the other PCs; the server is the
real NocturneServer on loopback; the board is a plain TCP client that says HELO and reads
the lines (tests/e2e/test_pcs_e2e.py runs the firmware on them).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from typing import Any

import aiomqtt
import pytest

from nocturne.app import NocturneServer
from nocturne.config.model import ConfigError, load_config
from nocturne.mqtt.commands import CONTRAST, SCENE, SCREEN, parse_command
from nocturne.mqtt.pcs import PcsAggregator
from nocturne.wire import scene_ids
from nocturne.wire.protocol import MAX_LINE, encode_pcs, with_commands
from nocturne.wire.types import PcSummary
from tests.harness.rig import free_port, write_config

from .test_mqtt import NODE, TIMEOUT, HomeAssistant, broker, home_assistant, mqtt_keys

__all__ = ["broker", "home_assistant"]  # fixtures

SCENE_SET = f"nocturne/{NODE}/display/scene/set"
SCREEN_SET = f"nocturne/{NODE}/display/screen/set"
CONTRAST_SET = f"nocturne/{NODE}/display/contrast/set"


class Board:
    """A device on the server's TCP port, keeping every line it read."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.lines: list[dict[str, Any]] = []
        self._task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> Board:
        self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        self.writer.write(b"HELO\nscreen:0\n")
        self._task = asyncio.create_task(self._read())
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._task is not None
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)
        self.writer.close()

    async def _read(self) -> None:
        while raw := await self.reader.readline():
            assert raw.endswith(b"\n") and len(raw) <= MAX_LINE
            self.lines.append(json.loads(raw))

    def mark(self) -> int:
        return len(self.lines)

    async def until(self, condition, what: str, since: int | None = None) -> dict[str, Any]:
        """The first line from now on (or from line ``since``) for which ``condition(line)``
        holds."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + TIMEOUT
        seen = len(self.lines) if since is None else since
        while True:
            for line in self.lines[seen:]:
                if condition(line):
                    return line
            seen = len(self.lines)
            assert loop.time() < deadline, f"no line with {what} in {TIMEOUT} s: {self.lines[-3:]}"
            await asyncio.sleep(0.02)


async def running_server(tmp_path, lhm_url: str, **keys: Any) -> NocturneServer:
    path = write_config(tmp_path, free_port(), lhm_url, poll_interval=0.5, web=None, **keys)
    server = NocturneServer(load_config(path, environ={}).config, media=False)
    await server.start()
    return server


@pytest.fixture
async def server(tmp_path, lhm_replay, broker) -> AsyncIterator[NocturneServer]:
    running = await running_server(tmp_path, lhm_replay.url, mqtt=mqtt_keys(broker))
    yield running
    await running.stop()


async def publish(port: int, topic: str, payload: bytes | str, retain: bool = False) -> None:
    async with aiomqtt.Client("127.0.0.1", port) as client:
        await client.publish(topic, payload, qos=1, retain=retain)


# --- Home Assistant -> boards ------------------------------------------------------------


def entity_config(ha: HomeAssistant, component: str, word: str) -> dict[str, Any] | None:
    raw = ha.last(f"homeassistant/{component}/{NODE}/display_{word}/config")
    return json.loads(raw) if raw else None


async def test_the_display_entities_are_announced(server, home_assistant):
    ha = home_assistant
    await ha.until(lambda: entity_config(ha, "number", "contrast"), "the display entities")
    sensor = json.loads(ha.last(f"homeassistant/sensor/{NODE}/cpu_temp/config"))
    select = entity_config(ha, "select", "scene")
    switch = entity_config(ha, "switch", "screen")
    number = entity_config(ha, "number", "contrast")
    for config, topic in ((select, SCENE_SET), (switch, SCREEN_SET), (number, CONTRAST_SET)):
        assert config is not None
        assert config["command_topic"] == topic
        assert config["device"] == sensor["device"]  # on this PC's device
        assert config["availability_topic"] == f"nocturne/{NODE}/status"
        assert config["unique_id"].startswith(f"nocturne_{NODE}_display_")
        assert config["state_topic"] == topic.removesuffix("/set") + "/state"
        assert "optimistic" not in config  # Home Assistant shows the retained state
    # The built-in scenes; the custom ones by their names once defined (test_custom_entities)
    assert select["options"] == list(scene_ids.NAMES[: scene_ids.CUSTOM_1])
    assert "PCS" in select["options"]
    assert (switch["payload_on"], switch["payload_off"]) == ("ON", "OFF")
    assert (number["min"], number["max"], number["step"]) == (0, 255, 1)


async def test_commands_reach_the_board_once_each(server, broker, home_assistant):
    await home_assistant.until(lambda: entity_config(home_assistant, "select", "scene"), "select")
    async with Board(server.devices.port) as board:
        await board.until(lambda line: "ct" in line, "a first line")
        mark = board.mark()
        await publish(broker.port, SCENE_SET, "DISKS")
        line = await board.until(lambda line: "gs" in line, "gs", mark)
        assert line["gs"] == scene_ids.NAMES.index("DISKS") == 12
        assert line["ct"] == 54  # an ordinary line, carrying the command
        after = await board.until(lambda line: True, "the next line", board.lines.index(line) + 1)
        assert "gs" not in after  # one shot
        for topic, payload, key, value in (
            (SCREEN_SET, "OFF", "so", 0),
            (SCREEN_SET, "ON", "so", 1),
            (CONTRAST_SET, "128.0", "cn", 128),  # a number entity's payload
        ):
            mark = board.mark()
            await publish(broker.port, topic, payload)
            line = await board.until(lambda line, key=key: key in line, key, mark)
            assert line[key] == value
    assert server.mqtt is not None and server.mqtt.commands is not None
    assert server.mqtt.commands.forwarded == 4


async def test_bad_commands_are_dropped_with_a_log_line(server, broker, home_assistant, caplog):
    caplog.set_level(logging.INFO)
    await home_assistant.until(lambda: entity_config(home_assistant, "select", "scene"), "select")
    async with Board(server.devices.port) as board:
        await board.until(lambda line: "ct" in line, "a first line")
        mark = board.mark()
        for topic, payload in (
            (SCENE_SET, "NOPE\x1b[2J"),
            (CONTRAST_SET, "300"),
            (SCREEN_SET, "MAYBE"),
        ):
            await publish(broker.port, topic, payload)
        await publish(broker.port, CONTRAST_SET, "7")  # a good one after the bad ones
        line = await board.until(lambda line: "cn" in line, "cn", mark)
        assert line["cn"] == 7 and "gs" not in line and "so" not in line
        assert not any("gs" in seen or "so" in seen for seen in board.lines)
    warnings = [r.getMessage() for r in caplog.records if "ignored a" in r.getMessage()]
    assert warnings and "\x1b" not in "".join(warnings)  # escaped
    assert len(warnings) <= 2  # rate-limited: the first, then a summary at most


def test_command_payloads():
    assert parse_command(SCENE, b"pcs") == {"gs": scene_ids.PCS}
    assert parse_command(SCENE, b"CPU LOAD") == {"gs": 2}
    assert parse_command(SCENE, b"CLOCK") is None
    assert parse_command(SCREEN, b"off") == {"so": 0}
    assert parse_command(CONTRAST, b"0") == {"cn": 0}
    for bad in (b"-1", b"256", b"nan", b"inf", b"1e3", b"\xff", b"9" * 100):
        assert parse_command(CONTRAST, bad) is None, bad


def test_commands_wait_for_a_line_with_room():
    line = b'{"pv":2}\n'
    assert with_commands(line, b',"gs":1') == b'{"pv":2,"gs":1}\n'
    track = 'a","cov":1'  # the key's text inside a string: there its quotes are escaped
    tricky = json.dumps({"trk": track, "cov": None}, separators=(",", ":")).encode() + b"\n"
    got = json.loads(with_commands(tricky, b',"so":0'))
    assert got == {"trk": track, "so": 0, "cov": None} and list(got)[-1] == "cov"
    assert with_commands(b"{" + b" " * (MAX_LINE - 10) + b"}\n", b',"gs":1,"so":0') is None


# --- several PCs -------------------------------------------------------------------------


def pc_state(**readings: Any) -> bytes:
    return json.dumps(readings).encode()


OFFICE = pc_state(cpu_load=18.4, cpu_temp=52.25, gpu_load=63.0, gpu_temp=47.0, ram_used=17.34)
LAPTOP = pc_state(cpu_load=5, cpu_temp=61, ram_used=7.96, net_down=1200)


async def test_the_boards_get_the_pcs_named_in_show_pcs(tmp_path, lhm_replay, broker):
    await publish(broker.port, "nocturne/office/state", OFFICE, retain=True)
    await publish(broker.port, "nocturne/office/status", "online", retain=True)
    await publish(broker.port, "nocturne/laptop/state", LAPTOP, retain=True)
    await publish(broker.port, "nocturne/other/state", LAPTOP, retain=True)  # not listed
    server = await running_server(
        tmp_path,
        lhm_replay.url,
        mqtt=mqtt_keys(broker),
        show_pcs=["laptop", "office", "nas", NODE],
    )
    try:
        async with Board(server.devices.port) as board:
            line = await board.until(
                lambda line: len(line.get("pcs", ())) == 4 and line["pcs"][3]["on"], "4 PCs"
            )
            laptop, office, nas, own = line["pcs"]
            assert laptop == {"n": "laptop", "on": True, "cl": 5, "ct": 61, "ru": 8.0}
            assert office == {
                "n": "office",
                "on": True,
                **{"cl": 18, "ct": 52, "gl": 63, "gt": 47, "ru": 17.3},
            }
            assert nas == {"n": "nas", "on": False}  # named, never seen
            assert own["n"] == NODE and own["ct"] == 54  # itself, from the broker, like the rest
            mark = board.mark()
            await publish(broker.port, "nocturne/office/status", "offline", retain=True)
            line = await board.until(lambda line: not line["pcs"][1]["on"], "offline", mark)
            assert line["pcs"][1] == {"n": "office", "on": False}
            mark = board.mark()
            await publish(broker.port, "nocturne/laptop/state", b"{not json")
            await publish(broker.port, "nocturne/laptop/state", pc_state(cpu_load=[1]))
            await publish(broker.port, "nocturne/laptop/state", pc_state(cpu_load=77))
            line = await board.until(lambda line: line["pcs"][0].get("cl") == 77, "77", mark)
            assert line["pcs"][0] == {"n": "laptop", "on": True, "cl": 77}
    finally:
        await server.stop()


async def test_show_all_pcs_and_the_broker_going_away(tmp_path, lhm_replay, broker):
    for name in ("zeta", "alpha"):
        await publish(broker.port, f"nocturne/{name}/state", OFFICE, retain=True)
    server = await running_server(tmp_path, lhm_replay.url, mqtt=mqtt_keys(broker), show_pcs="*")
    assert server.mqtt is not None
    server.mqtt.backoff = (0.2,)
    try:
        async with Board(server.devices.port) as board:
            line = await board.until(lambda line: len(line.get("pcs", ())) == 3, "3 PCs")
            assert [pc["n"] for pc in line["pcs"]] == [NODE, "alpha", "zeta"]  # own row, then by id
            broker.stop()
            line = await board.until(
                lambda line: not any(pc["on"] for pc in line.get("pcs", [{"on": 1}])),
                "every PC offline without the broker",
            )
            assert line["ct"] == 54  # the board is served as before
            broker.start()  # without persistence: the retained states are gone with it
            await publish(broker.port, "nocturne/alpha/state", OFFICE, retain=True)
            line = await board.until(lambda line: line["pcs"][0]["on"], "alpha back")
            assert [pc["on"] for pc in line["pcs"]] == [True, True, False]  # zeta: not yet
    finally:
        await server.stop()


def test_at_most_eight_pcs_and_names_cut():
    seen = []
    pcs = PcsAggregator("nocturne", ["*"], seen.append)
    for i in range(12):
        assert pcs.handle(f"nocturne/pc{i:02d}-with-a-long-name/state", OFFICE)
    assert not pcs.handle("nocturne/a/b/state", OFFICE)
    assert not pcs.handle("elsewhere/pc/state", OFFICE)
    rows = encode_pcs(pcs.summaries())
    assert len(rows) == 8 and rows[0]["n"] == "pc00-with-a…" and len(rows[0]["n"]) == 12
    assert rows[0]["ru"] == 17.3 and rows[0]["ct"] == 52
    assert seen[-1] == pcs.summaries()
    pcs.handle("nocturne/pc00-with-a-long-name/status", b"offline")
    assert pcs.summaries()[0] == PcSummary("pc00-with-a-long-name", False, {})
    pcs.handle("nocturne/pc00-with-a-long-name/state", b"")  # retained state cleared
    assert pcs.summaries()[0] == PcSummary("pc00-with-a-long-name", False, {})
    pcs.handle("nocturne/pc00-with-a-long-name/status", b"")  # and its status: forgotten
    assert pcs.summaries()[0].name == "pc01-with-a-long-name"


@pytest.mark.parametrize(
    ("keys", "message"),
    [
        ({"show_pcs": "*"}, "key 'show_pcs' is set but 'mqtt' is not"),
        ({"show_pcs": [], "mqtt": {"host": "b"}}, "key 'show_pcs': expected \"\\*\""),
        ({"show_pcs": ["a b"], "mqtt": {"host": "b"}}, "key 'show_pcs\\[0\\]'"),
        ({"show_pcs": ["x"] * 9, "mqtt": {"host": "b"}}, "at most 8"),
    ],
)
def test_bad_show_pcs_is_named(tmp_path, keys, message):
    path = write_config(tmp_path, 8090, "http://127.0.0.1:1/data.json", **keys)
    with pytest.raises(ConfigError, match=message):
        load_config(path, environ={})


def test_show_pcs_values(tmp_path):
    path = write_config(
        tmp_path, 8090, "http://127.0.0.1:1/data.json", show_pcs=["a", "b"], mqtt={"host": "b"}
    )
    assert load_config(path, environ={}).config.show_pcs == ("a", "b")
    path = write_config(tmp_path, 8090, "http://127.0.0.1:1/data.json", mqtt={"host": "b"})
    assert load_config(path, environ={}).config.show_pcs is None


# --- Windows: the client on a selector loop of its own ------------------------------------


async def test_without_add_reader_the_client_runs_on_a_loop_of_its_own(
    tmp_path, lhm_replay, broker, home_assistant, monkeypatch
):
    """Windows' default ProactorEventLoop has no add_reader (paho needs it): there the client
    runs on a SelectorEventLoop in its own thread. Here the running loop is made to look
    like a proactor; states, commands and PCs must cross between the two loops."""
    import threading

    monkeypatch.setattr(
        asyncio, "ProactorEventLoop", type(asyncio.get_running_loop()), raising=False
    )
    await publish(broker.port, "nocturne/office/state", OFFICE, retain=True)
    server = await running_server(
        tmp_path, lhm_replay.url, mqtt=mqtt_keys(broker), show_pcs=["office"]
    )
    assert server.mqtt is not None and server.mqtt.threaded
    assert server.mqtt.commands is not None and server.mqtt.pcs is not None
    threads: set[str] = set()  # where the boards' side is called: the server's loop only

    def on(thread_of):
        def called(*args):
            threads.add(threading.current_thread().name)
            thread_of(*args)

        return called

    server.mqtt.commands.send = on(server.mqtt.commands.send)
    server.mqtt.pcs.on_change = on(server.mqtt.pcs.on_change)
    try:
        await home_assistant.until(
            lambda: home_assistant.last(f"nocturne/{NODE}/state"), "a state from the thread"
        )
        async with Board(server.devices.port) as board:
            line = await board.until(lambda line: line.get("pcs"), "pcs")
            assert line["pcs"][0]["ct"] == 52
            mark = board.mark()
            await publish(broker.port, SCENE_SET, "RAM")
            line = await board.until(lambda line: "gs" in line, "gs", mark)
            assert line["gs"] == scene_ids.NAMES.index("RAM")
    finally:
        await server.stop()
    assert threads == {threading.current_thread().name}
    assert not any(t.name == "mqtt" for t in threading.enumerate())  # the thread ended
    assert home_assistant.last(f"nocturne/{NODE}/status") == b"offline"  # its goodbye
