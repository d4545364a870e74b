"""The original NOCTURNE firmware's view of the protocol: a client that knows only the keys
of the original (written from PROTOCOL.md, not from our code) parses every line the server
sends, for several captures, with and without an alert, on every original scene."""

from __future__ import annotations

import asyncio
import base64
import json

from nocturne_fw import scene_ids as ids

from ..conftest import LHM_CAPTURES
from .conftest import POLL, Rig

# The original's keys and what it expects of each (PROTOCOL.md, "Server → device").
INTEGER = {
    "ct",
    "gt",
    "cl",
    "gl",
    "pw",
    "cc",
    "gh",
    "gv",
    "nd",
    "nu",
    "pg",
    "dr",
    "dw",
    "su",
    "du",
    "cf",
    "s1",
    "s2",
    "gf",
    "ch",
    "wt",
    "wi",
}
DECIMAL = {"ru", "ra", "vu", "vt"}
STRINGS = {"wd": 20, "art": 30, "trk": 30}
BOOLS = {"mp", "idle"}
ORIGINAL_KEYS = (
    INTEGER
    | DECIMAL
    | set(STRINGS)
    | BOOLS
    | {
        "tp",
        "tr",
        "cov",
        "alert",
        "target_screen",
    }
)
ORIGINAL_SCENES = range(ids.HUB, ids.MEDIA + 1)


def is_number(v: object) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def original_parse(raw: bytes) -> dict:
    """What the original device does with a line; raises on anything it could not take."""
    assert raw.endswith(b"\n"), "a line ends in a newline"
    assert len(raw) <= 4096, f"line of {len(raw)} bytes"
    obj = json.loads(raw.decode("utf-8"))
    assert isinstance(obj, dict)
    known = {k: v for k, v in obj.items() if k in ORIGINAL_KEYS}  # the rest is ignored
    for k, v in known.items():
        if k in INTEGER:
            assert isinstance(v, int) and not isinstance(v, bool), (k, v)
        elif k in DECIMAL:
            assert is_number(v) and round(v, 1) == v, (k, v)
        elif k in STRINGS:
            assert isinstance(v, str) and len(v) <= STRINGS[k], (k, v)
        elif k in BOOLS:
            assert isinstance(v, bool), (k, v)
        elif k == "tp":
            assert isinstance(v, list) and len(v) <= 3, v
            for p in v:
                # `doc["c"] | 0` reads a decimal as 0: the original's integer it must stay
                assert isinstance(p["n"], str) and len(p["n"]) <= 15, p
                assert isinstance(p["c"], int) and not isinstance(p["c"], bool), p
        elif k == "tr":
            assert isinstance(v, list) and len(v) <= 2, v
            for p in v:
                assert isinstance(p["n"], str) and len(p["n"]) <= 15, p
                assert isinstance(p["r"], int), p
        elif k == "cov":
            assert v is None or v == "" or len(base64.b64decode(v, validate=True)) == 512, k
        elif k == "alert":
            assert v in ("", "CRITICAL"), v
        elif k == "target_screen":
            assert v in ("", "CPU", "GPU"), v
    # always sent, and the cover is the last key
    assert "alert" in obj and "target_screen" in obj and "cov" in obj, obj
    assert list(obj)[-1] == "cov", list(obj)
    return known


async def test_an_original_device_parses_every_line(rig: Rig):
    reader, writer = await asyncio.open_connection("127.0.0.1", rig.port)
    writer.write(b"HELO\n")
    lines = 0
    seen: set[str] = set()
    alerts = set()

    async def take(n: int) -> dict:
        nonlocal lines
        for _ in range(n):
            known = original_parse(await asyncio.wait_for(reader.readline(), 10))
            lines += 1
            seen.update(known)
            alerts.add((known["alert"], known["target_screen"]))
        return known

    writer.write(b"screen:%d\n" % ids.CPU)  # the server measures the processes
    for _ in range(int(10 / POLL)):
        if "tp" in await take(1) and "tr" in seen:
            break
    for screen in ORIGINAL_SCENES:  # the process lists come and go with the scene
        writer.write(b"screen:%d\n" % screen)
        if screen % 3 == 2:
            await take(1)
    for capture in LHM_CAPTURES[:3]:
        rig.replay.load(capture)
        await take(2)
    rig.capture.set("cpu_temp", 99)  # CRITICAL, target CPU
    rig.publish()
    for _ in range(int(6 / POLL)):
        await take(1)
        if ("CRITICAL", "CPU") in alerts:
            break
    writer.close()
    assert ("CRITICAL", "CPU") in alerts and ("", "") in alerts
    assert lines >= 12
    assert {"ct", "gt", "cl", "ru", "ra", "tp", "tr"} <= seen, seen
