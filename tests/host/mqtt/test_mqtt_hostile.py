"""A hostile neighbour on the broker, against a real Mosquitto and the real server on
loopback (issue 27, 3-5): readings out of their field's range, huge node ids and statuses,
junk PCs, a flood of PCs and a flood of commands. The board is a plain TCP client reading
every line (tests/e2e/test_pcs_e2e.py runs the firmware on such lines)."""

from __future__ import annotations

import asyncio
import logging

import aiomqtt
import pytest

from nocturne.mqtt.pcs import MAX_NODE_ID, MAX_ROWS
from nocturne.wire.protocol import MAX_PCS

from .test_mqtt import NODE, broker
from .test_mqtt_boards import CONTRAST_SET, OFFICE, SCREEN_SET, Board, publish, running_server

__all__ = ["broker"]  # fixtures


@pytest.fixture
async def show_all(tmp_path, lhm_replay, broker):
    from .test_mqtt import mqtt_keys

    server = await running_server(tmp_path, lhm_replay.url, mqtt=mqtt_keys(broker), show_pcs="*")
    assert server.mqtt is not None and server.mqtt.pcs is not None
    yield server
    await server.stop()


async def publish_many(port: int, messages: list[tuple[str, bytes]], retain: bool = True) -> None:
    async with aiomqtt.Client("127.0.0.1", port) as client:
        for topic, payload in messages:
            await client.publish(topic, payload, qos=1, retain=retain)


def names(line: dict) -> list[str]:
    return [pc["n"] for pc in line.get("pcs", ())]


async def test_readings_out_of_their_range_are_unknown_never_forwarded(show_all, broker):
    hostile = (
        b'{"cpu_load": 1e10, "cpu_temp": 55, "gpu_load": 1e300, "gpu_temp": -400, "ram_used": 17.5}'
    )
    await publish(broker.port, "nocturne/evil/state", hostile, retain=True)
    await publish(broker.port, "nocturne/huge/state", b'{"cpu_load": 1' + b"0" * 308 + b"}")
    async with Board(show_all.devices.port) as board:
        line = await board.until(lambda line: "evil" in names(line), "the PC evil")
        (row,) = [pc for pc in line["pcs"] if pc["n"] == "evil"]
        assert row == {"n": "evil", "on": True, "ct": 55, "ru": 17.5}  # cl, gl, gt unknown
        assert "huge" not in names(line)
        assert all(len(str(v)) < 12 for pc in line["pcs"] for v in pc.values())


async def test_a_pc_appears_with_one_valid_state_and_is_forgotten_when_cleared(show_all, broker):
    await publish_many(
        broker.port,
        [
            ("nocturne/junk1/status", b"online"),  # a status alone is no PC
            ("nocturne/junk2/state", b'{"x": 1}'),  # nor a state without a reading
            ("nocturne/junk3/state", b'"text"'),
            ("nocturne/office/status", b"online"),
            ("nocturne/office/state", OFFICE),
        ],
    )
    async with Board(show_all.devices.port) as board:
        line = await board.until(lambda line: "office" in names(line), "office")
        assert names(line) == [NODE, "office"]
        await publish_many(
            broker.port, [("nocturne/office/state", b""), ("nocturne/office/status", b"")]
        )
        line = await board.until(lambda line: "office" not in names(line), "office forgotten")
        assert names(line) == [NODE]
    assert "office" not in show_all.mqtt.pcs._pcs


async def test_huge_node_ids_and_statuses_are_not_kept(show_all, broker):
    pcs = show_all.mqtt.pcs
    long_id = "n" * (MAX_NODE_ID + 1)
    status = b"online" + b"x" * 1_000_000  # 1 MB
    await publish_many(
        broker.port,
        [(f"nocturne/{long_id}{i}/state", OFFICE) for i in range(20)]
        + [(f"nocturne/big{i}/status", status) for i in range(3)]
        + [("nocturne/big0/state", OFFICE)],
    )
    async with Board(show_all.devices.port) as board:
        line = await board.until(lambda line: "big0" in names(line), "big0")
        (row,) = [pc for pc in line["pcs"] if pc["n"] == "big0"]
        assert row["on"] is False  # its status was not "online": not online
    assert all(len(n) <= MAX_NODE_ID for n in pcs._pcs)
    assert all(isinstance(s, bool) for s in pcs._statuses.values())
    assert pcs._pcs["big0"].online is False
    assert pcs.ignored >= 20


async def test_the_rows_are_capped_and_this_servers_own_row_always_shows(show_all, broker):
    junk = [(f"nocturne/aaa{i:03d}/state", OFFICE) for i in range(MAX_ROWS + 20)]
    await publish_many(broker.port, junk)
    async with Board(show_all.devices.port) as board:
        line = await board.until(lambda line: len(names(line)) == MAX_PCS, "8 rows")
        assert names(line)[0] == NODE  # junk ids sorting first push nothing off
    pcs = show_all.mqtt.pcs
    await asyncio.sleep(0)
    assert len(pcs._pcs) <= MAX_ROWS


async def test_messages_about_pcs_off_the_board_cost_no_summary(show_all, broker):
    """The order is kept when a PC comes or goes: a flood of states from PCs past the 8
    rows builds no summary (the old code sorted every PC on every message)."""
    pcs = show_all.mqtt.pcs
    await publish_many(broker.port, [(f"nocturne/pc{i:02d}/state", OFFICE) for i in range(20)])
    async with Board(show_all.devices.port) as board:
        await board.until(lambda line: len(names(line)) == MAX_PCS, "8 rows")
        built = []
        real = pcs.summaries

        def counting() -> list:
            built.append(1)
            return real()

        pcs.summaries = counting
        before = pcs.messages
        await publish_many(
            broker.port, [(f"nocturne/pc{i:02d}/state", OFFICE) for i in range(10, 20)] * 20
        )
        while pcs.messages < before + 200:
            await asyncio.sleep(0.02)
        assert len(built) == 0


async def test_a_command_flood_is_paced_per_board_and_logged_once_per_burst(
    show_all, broker, caplog
):
    caplog.set_level(logging.INFO, logger="nocturne.mqtt.commands")
    async with Board(show_all.devices.port) as board:
        await board.until(lambda line: "ct" in line, "a first line")
        mark = board.mark()
        loop = asyncio.get_running_loop()
        began = loop.time()
        async with aiomqtt.Client("127.0.0.1", broker.port) as client:
            for i in range(2000):
                await client.publish(SCREEN_SET, "ON" if i % 2 else "OFF", qos=0)
            await client.publish(SCREEN_SET, "ON", qos=1)  # the last value
            # The end of the flood, in order behind it: a broker under load may drop QoS 0
            # messages (they are never retried), so waiting for all 2001 could wait forever.
            await client.publish(CONTRAST_SET, "77", qos=1)
        await board.until(lambda line: line.get("cn") == 77, "the flood's end", mark)
        await asyncio.sleep(0.5)  # the pacer's last slot (a bound below, never asserted)
        elapsed = loop.time() - began
        with_so = [line for line in board.lines[mark:] if "so" in line]
        assert with_so[-1]["so"] == 1
        lines = board.lines[mark:]
        assert len(lines) <= 4 * elapsed + 2 + elapsed / 0.5 + 2, (len(lines), elapsed)
    logged = [r for r in caplog.records if "MQTT:" in r.getMessage()]
    assert 1 <= len(logged) <= 2, [r.getMessage() for r in logged]
