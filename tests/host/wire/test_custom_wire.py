"""Custom scenes on the wire (issue 24, PROTOCOL.md "Custom scenes"): ``xs`` on a board's
first line and on the first after the scenes change, ``xv`` on every line, every line within
MAX_LINE; the real server, on a replayed LHM capture, to a board on loopback TCP."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import replace

import pytest

from nocturne.app import NocturneServer
from nocturne.config.model import config_from_mapping, load_config
from nocturne.snapshot import Media, Processes, ProcessUsage, Snapshot
from nocturne.snapshot.custom import CustomReading, CustomScene, CustomSlot
from nocturne.wire.custom import board_text
from nocturne.wire.protocol import MAX_LINE, encode_pcs, encode_snapshot
from nocturne.wire.types import PcSummary
from tests.harness.rig import free_port, write_config

POLL = 0.3
SCENES = [
    {"name": "CORES", "layout": "grid",
     "slots": [{"sensor": f"/amdcpu/0/clock/{n}", "label": f"C{i}", "decimals": 0}
               for i, n in enumerate((6, 8, 10, 12), 1)]},
    {"name": "Thermal", "layout": "rows",
     "slots": [{"sensor": "/amdcpu/0/temperature/7", "label": "CCD1 é", "decimals": 1},
               {"sensor": "/nvme/0/temperature/0", "label": "NVMe", "warn": 50, "critical": 70},
               {"field": "gpu_temp", "label": "GPU", "unit": "C"},
               {"sensor": "/amdcpu/0/clock/99", "label": "GONE"}]},
]  # fmt: skip
XS = [
    ["CORES", "grid", [[f"C{i}", "MHz", 0, None, None] for i in range(1, 5)]],
    ["Thermal", "rows", [["CCD1 e", "°C", 1, None, None], ["NVMe", "°C", 0, 50, 70],
                         ["GPU", "C", 0, None, None], ["GONE", "", 0, None, None]]],
]  # fmt: skip
# The capture's values: "4875,0 MHz", "3900,0", "3860,0", "4825,0"; CCD1 (Tdie) "47,3 °C",
# the NVMe's composite "38,0 °C", the GPU core "44,0 °C"; no sensor /amdcpu/0/clock/99.
XV = [4875, 3900, 3860, 4825, 47.3, 38, 44, None]


def set_sensor(body: bytes, sensor_id: str, value: str) -> bytes:
    tree = json.loads(body)
    stack = [tree]
    while stack:
        node = stack.pop()
        if node.get("SensorId") == sensor_id:
            node["Value"] = value
            return json.dumps(tree).encode()
        stack.extend(node.get("Children") or ())
    raise KeyError(sensor_id)


@pytest.fixture
async def server(tmp_path, lhm_replay) -> AsyncIterator[NocturneServer]:
    path = write_config(
        tmp_path, free_port(), lhm_replay.url, poll_interval=POLL, custom_scenes=SCENES
    )
    running = NocturneServer(load_config(path, environ={}).config, media=False, power=False)
    await running.start()
    try:
        yield running
    finally:
        await running.stop()


class Board:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    async def line(self) -> dict:
        raw = await asyncio.wait_for(self.reader.readline(), 10)
        assert raw.endswith(b"\n") and len(raw) <= MAX_LINE
        return json.loads(raw)

    async def known_line(self) -> dict:
        """The next line whose slots LHM has read (the first poll may come before it)."""
        for _ in range(50):
            line = await self.line()
            if line["xv"][0] is not None:
                return line
        raise AssertionError("LHM's values never reached the board")


@pytest.fixture
async def board(server) -> AsyncIterator[Board]:
    reader, writer = await asyncio.open_connection("127.0.0.1", server.devices.port)
    writer.write(b"HELO\n")
    yield Board(reader, writer)
    writer.close()


async def test_xs_on_the_first_line_only_and_xv_on_every_line(server, board):
    first = await board.line()
    assert first["xs"] == XS
    assert len(first["xv"]) == 8
    lines = [await board.known_line()] + [await board.line() for _ in range(3)]
    for line in lines:
        assert "xs" not in line
        assert line["xv"] == XV
    assert isinstance(lines[0]["xv"][0], int) and isinstance(lines[0]["xv"][4], float)


async def test_a_changed_capture_value_is_on_the_line_after_the_next_poll(
    server, board, lhm_replay
):
    await board.line()
    await board.known_line()
    lhm_replay.body = set_sensor(lhm_replay.body, "/amdcpu/0/temperature/7", "61,26 °C")
    requests = lhm_replay.requests
    # The poll that was already under way when the body changed may still carry the old
    # value; the first poll after the change carries the new one.
    for _ in range(2):
        line = await board.line()
        if line["xv"][4] == 61.3:
            break
    assert line["xv"][4] == 61.3
    assert lhm_replay.requests - requests <= 2


async def test_a_new_definition_goes_once_to_every_board_and_none_is_an_empty_list(server, board):
    await board.line()
    await board.known_line()
    mine = config_from_mapping(
        {"custom_scenes": [{"name": "FAN", "layout": "big",
                            "slots": [{"sensor": "/lpc/nct6687d/0/fan/1", "label": "PUMP"}]}]}
    )  # fmt: skip
    server.collector.custom.scenes = mine.custom_scenes  # what PUT /api/config does
    line = await board.line()
    assert line["xs"] == [["FAN", "big", [["PUMP", "RPM", 0, None, None]]]]
    assert line["xv"] == [2734]
    assert "xs" not in await board.line()
    server.collector.custom.scenes = ()
    line = await board.line()
    assert line["xs"] == [] and "xv" not in line
    assert "xs" not in await board.line()


def test_strings_hold_only_what_the_fonts_draw():
    assert board_text("°C", 4) == "°C"
    assert board_text("Café\n😀 bar", 10) == "Cafe ? bar"
    assert board_text("ÆØÅ", 10) == "??A"  # no ASCII spelling for Æ or Ø


def test_the_largest_xs_fits_a_line_with_a_cover_and_every_other_key():
    slot = CustomSlot("field", "cpu_temp", "W" * 10, "°°°°", 2, -12345.67, 98765.43)
    scenes = tuple(CustomScene("M" * 8, "rows", (slot,) * 6) for _ in range(4))
    custom = CustomReading(scenes, (-123456.789,) * 24)
    pcs = [PcSummary(f"pc{i}" * 3, True, {"cpu_load": 99.0, "ram_used": 99.9}) for i in range(8)]
    big = Snapshot(
        processes=Processes(top_cpu=(ProcessUsage("p" * 15, 99.0),) * 3,
                            top_ram=(ProcessUsage("r" * 15, ram_mb=9e5),) * 2),
        media=Media(artist="a" * 30, track="t" * 30, playing=True, cover=bytes(512)),
        custom=custom,
    )  # fmt: skip
    encoded = encode_snapshot(big, first_fields={"ngt": {"s": "23:00"}}, pcs=pcs)
    first = encoded.line_for(None, first=True)
    assert len(first) <= MAX_LINE
    decoded = json.loads(first)
    assert len(decoded["xs"]) == 4 and decoded["cov"] and decoded["pcs"] == encode_pcs(pcs)
    assert decoded["xv"] == [-123456.79] * 24
    assert json.loads(encoded.line_for(bytes(512), first=False, with_scenes=True))["xs"]
    assert "xs" not in json.loads(encoded.line_for(bytes(512), first=False))
    none = encode_snapshot(replace(big, custom=None)).line_for(None, first=True)
    assert json.loads(none)["xs"] == [] and "xv" not in json.loads(none)
