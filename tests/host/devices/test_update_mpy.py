"""An update's modules compiled for the board (issue 23): a board that says its
``sys.implementation._mpy`` on its ``ota:ready`` line gets ``.mpy`` files compiled by
mpy-cross for that version (main.py stays source), compiled once per version; a board that
does not say (an older firmware's line, still valid), or says a version mpy-cross cannot
write, gets the source and the log says so once. A real DeviceServer on loopback, boards
on real TCP speaking the protocol's lines."""

from __future__ import annotations

import asyncio
import base64
import logging
from collections.abc import AsyncIterator

import pytest

from nocturne.devices.pairing import Pairing
from nocturne.devices.server import DeviceServer
from nocturne.flash.ota_compile import compile_bundle
from nocturne.snapshot import Snapshot
from nocturne.updates.bundle import load_bundle
from nocturne.updates.lines import parse_ota
from nocturne.updates.manager import Updates

TOKEN = "q3M0bnR5LXR3by1ieXRlcy1vZi10b2tlbg"
UNIX_X64 = 6 | 3 << 8 | 2 << 10  # 2822: .mpy 6.3, native code for x64 (the unix port)
ESP32_S3 = 6 | 3 << 8 | 10 << 10  # 6.3 for xtensawin
FUTURE = 7 | 10 << 10  # a version mpy-cross 1.27 cannot write


def test_the_ready_line_carries_the_mpy_version_and_an_older_boards_line_stays_valid():
    assert parse_ota(b"ota:ready 00112233aabbccdd 2822").mpy == 2822
    old = parse_ota(b"ota:ready 00112233aabbccdd")
    assert old is not None and (old.word, old.mpy) == ("00112233aabbccdd", None)
    odd = parse_ota(b"ota:ready 00112233aabbccdd x64")  # unreadable: as if unsaid
    assert odd is not None and odd.mpy is None


@pytest.fixture
async def server() -> AsyncIterator[DeviceServer]:
    pairing = Pairing({"desk": TOKEN, "shelf": TOKEN + "2"})
    updates = Updates(
        "auto", token_of=pairing.token_of, bundle=load_bundle(), compile_for=compile_bundle
    )
    srv = DeviceServer("127.0.0.1", 0, pairing=pairing, updates=updates)
    await srv.start()
    srv.publish(Snapshot())
    yield srv
    await srv.stop()


async def received(srv: DeviceServer, ready: str, token: str = TOKEN) -> dict[str, bytes]:
    """Connect as a board on another version saying ``ready``; the files it was sent."""
    reader, writer = await asyncio.open_connection("127.0.0.1", srv.port)
    writer.write(f"HELO {token}\nfw:0000aaaa\n{ready}\n".encode())
    paths: list[str] = []
    sizes: list[int] = []
    data = b""
    try:
        while (line := await asyncio.wait_for(reader.readline(), 20)) != b"UP z\n":
            if line.startswith(b"UP e "):
                paths.append(line.split()[2].decode())
                sizes.append(int(line.split()[3]))
            elif line.startswith(b"UP d "):
                data += base64.b64decode(line[5:])
    finally:
        writer.close()
    out, at = {}, 0
    for path, size in zip(paths, sizes, strict=True):
        out[path] = data[at : at + size]
        at += size
    assert at == len(data)
    return out


def source_messages(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if "as source" in r.getMessage()]


async def test_a_board_that_says_its_mpy_version_gets_modules_compiled_for_it(server, caplog):
    caplog.set_level(logging.INFO)
    files = await received(server, f"ota:ready 00112233aabbccdd {UNIX_X64}")
    modules = [p for p in files if p.startswith("nocturne_fw/")]
    assert modules and all(p.endswith(".mpy") for p in modules), modules
    assert "main.py" in files and files["main.py"].startswith(b'"""')
    assert "boot.py" not in files  # never replaced over the air: the recovery path
    # the .mpy header: magic, version 6 (bytecode only: no native architecture's flags)
    assert {files[p][:3] for p in modules} == {b"M\x06\x00"}
    esp32 = await received(server, f"ota:ready 00112233aabbccde {ESP32_S3}", TOKEN + "2")
    assert {esp32[p][:3] for p in modules} == {b"M\x06\x00"}
    assert source_messages(caplog) == []


async def test_the_compiled_set_is_made_once_per_version(server, monkeypatch):
    calls = []

    def counted(bundle, mpy):
        calls.append(mpy)
        return compile_bundle(bundle, mpy)

    monkeypatch.setattr(server.updates, "compile_for", counted)
    ready = f"ota:ready 00112233aabbccdd {UNIX_X64}"
    a, b = await asyncio.gather(
        received(server, ready), received(server, ready.replace("dd ", "de "), TOKEN + "2")
    )
    assert a == b and calls == [UNIX_X64]
    await received(server, ready)
    assert calls == [UNIX_X64]


@pytest.mark.parametrize(
    ("ready", "why"),
    [
        ("ota:ready 00112233aabbccdd", "it did not say its .mpy version"),
        (f"ota:ready 00112233aabbccdd {FUTURE}", "cannot write .mpy version 7"),
    ],
    ids=["unsaid", "unknown-version"],
)
async def test_otherwise_the_board_gets_the_source_and_the_log_says_why_once(
    server, caplog, ready, why
):
    caplog.set_level(logging.INFO)
    files = await received(server, ready)
    source = {f.path: f.data for f in load_bundle().files}
    assert files == source
    [said] = source_messages(caplog)
    assert said.startswith("Board desk gets the firmware as source") and why in said, said
