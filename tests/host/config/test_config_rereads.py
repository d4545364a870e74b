"""config.json re-read by a running server (and read by every command) when it is hostile:
a named pipe, a directory, a file deleted, emptied or broken, or swapped in a loop. The real
server on loopback keeps answering, keeps its paired boards, never creates the file, and
logs one line per change of state (issue 27, 1 and 2)."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from nocturne.app import NocturneServer
from nocturne.config.file import ConfigError
from nocturne.config.model import load_config
from nocturne.devices.pairing import new_token
from nocturne.snapshot import Hardware, Snapshot
from tests.harness.rig import free_port, server_env, write_config

TIMEOUT = 5.0
DESK = new_token()
KEEP = "Paired boards kept as they were"

pytestmark = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")


async def query(port: int) -> bytes | None:
    loop = asyncio.get_running_loop()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.setblocking(False)
        sock.connect(("127.0.0.1", port))
        await loop.sock_sendall(sock, b"NOCTURNE?")
        try:
            return await asyncio.wait_for(loop.sock_recv(sock, 2048), TIMEOUT)
        except TimeoutError:
            return None


async def served(server: NocturneServer, line: bytes, source: str = "127.0.0.1") -> bool:
    """True when a board saying ``line`` gets a sensor line; False when it is closed."""
    reader, writer = await asyncio.open_connection(
        "127.0.0.1", server.devices.port, local_addr=(source, 0)
    )
    try:
        writer.write(line)
        await writer.drain()
        server.devices.publish(Snapshot(hardware=Hardware(cpu_temp=61)))
        return bool(await asyncio.wait_for(reader.readline(), TIMEOUT))
    finally:
        writer.close()


@pytest.fixture
async def server(tmp_path):
    path = write_config(
        tmp_path, free_port(), "http://127.0.0.1:9/data.json", device_tokens={"desk": DESK}
    )
    server = NocturneServer(load_config(path, environ={}).config, use_lhm=False, media=False)
    await server.start()
    yield server
    await server.stop()


def keep_lines(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if KEEP in r.getMessage()]


def _swap_in_fifo(path: Path) -> None:
    path.unlink()
    os.mkfifo(path)


async def test_a_fifo_as_config_json_freezes_nothing_and_keeps_the_tokens(server, caplog):
    caplog.set_level(logging.INFO)
    path = server.config.path
    assert path is not None
    _swap_in_fifo(path)
    raw = await query(server.devices.port)  # the discovery answer re-reads the file first
    assert raw is not None and json.loads(raw)["pairing"] is True
    assert await served(server, f"HELO {DESK}\n".encode())
    assert not await served(server, b"HELO\n")
    for _ in range(20):  # more HELOs: the pipe stays one line, not one per HELO
        assert not await served(server, b"HELO\n")
    lines = keep_lines(caplog)
    assert len(lines) == 1 and "named pipe" in lines[0] and "desk" in lines[0], lines


async def test_a_directory_as_config_json_keeps_the_tokens(server, caplog):
    path = server.config.path
    assert path is not None
    path.unlink()
    path.mkdir()
    assert not await served(server, b"HELO\n")
    assert await served(server, f"HELO {DESK}\n".encode())
    assert [line for line in keep_lines(caplog) if "a directory" in line]


async def test_a_deleted_config_is_never_created_and_unpairs_nobody(server, caplog):
    path = server.config.path
    assert path is not None
    path.unlink()
    assert not await served(server, b"HELO\n")
    assert await served(server, f"HELO {DESK}\n".encode())
    assert not path.exists()  # a re-read never writes the defaults
    assert len(lines := keep_lines(caplog)) == 1 and "is missing" in lines[0], lines


@pytest.mark.parametrize("text", ["", "  \n", '{"device_tokens": {"desk": '])
async def test_an_empty_or_broken_config_keeps_the_tokens(server, caplog, text):
    path = server.config.path
    assert path is not None
    path.write_text(text)
    assert not await served(server, b"HELO\n")
    assert await served(server, f"HELO {DESK}\n".encode())
    assert len(keep_lines(caplog)) == 1


async def test_a_config_swapped_in_a_loop_costs_a_few_lines_and_never_the_tokens(server, caplog):
    """The file deleted and re-created while HELOs arrive (the outside attack): no default
    file, no unpairing, and the warnings rate-limited, not one per HELO."""
    caplog.set_level(logging.INFO)
    path = server.config.path
    assert path is not None
    good = path.read_bytes()
    for n in range(60):
        if n % 2:
            path.write_bytes(good)
        else:
            path.unlink()
        assert not await served(server, b"HELO\n")
    path.unlink()
    assert not await served(server, b"HELO\n")
    assert not path.exists()
    assert server.pairing.boards == ["desk"]
    state_lines = [
        r.getMessage()
        for r in caplog.records
        if KEEP in r.getMessage() or "re-read from" in r.getMessage()
    ]
    assert 1 <= len(state_lines) <= 2, state_lines
    assert not any("Paired boards now" in r.getMessage() for r in caplog.records)


async def test_a_good_config_after_a_broken_one_is_read_again(server, caplog):
    caplog.set_level(logging.INFO)
    path = server.config.path
    assert path is not None
    data = json.loads(path.read_text())
    path.write_text("{")
    assert not await served(server, b"HELO\n")
    shelf = new_token()
    data["device_tokens"] = {"shelf": shelf}
    path.write_text(json.dumps(data))
    assert await served(server, f"HELO {shelf}\n".encode())
    assert not await served(server, f"HELO {DESK}\n".encode())
    assert server.pairing.boards == ["shelf"]


# --- the commands that read config.json ------------------------------------------------


def test_load_config_on_a_fifo_is_one_error_at_once(tmp_path):
    fifo = tmp_path / "config.json"
    os.mkfifo(fifo)
    with pytest.raises(ConfigError, match="named pipe"):
        load_config(fifo, environ={})


def test_nocturne_config_on_a_fifo_says_so_and_does_not_hang(tmp_path):
    fifo = tmp_path / "config.json"
    os.mkfifo(fifo)
    done = subprocess.run(
        [sys.executable, "-m", "nocturne", "config", "--config", str(fifo)],
        capture_output=True,
        text=True,
        timeout=60,
        env=server_env(),
    )
    assert done.returncode == 2 and "named pipe" in done.stderr, done.stderr


def test_a_token_under_128_bits_is_refused_at_load_with_how_to_make_one(tmp_path):
    path = tmp_path / "config.json"
    for weak in ("q" * 8 + "Zx9Kp2Lm", "0123456789abcdef0123ab"):  # 16 chars; 22 hex digits
        path.write_text(json.dumps({"device_tokens": {"desk": weak}}))
        with pytest.raises(ConfigError, match="nocturne pair desk") as err:
            load_config(path, environ={})
        assert "128" in str(err.value) and weak not in str(err.value)
    path.write_text(json.dumps({"device_tokens": {"desk": new_token()}}))
    assert list(load_config(path, environ={}).config.device_tokens) == ["desk"]


def test_the_permission_warning_names_what_the_file_holds(tmp_path, caplog):
    from nocturne.config import file as config_file

    path = tmp_path / "config.json"
    path.write_text(json.dumps({"device_tokens": {"desk": new_token()}}))
    os.chmod(path, 0o644)
    config_file._warned_readable.discard(path)
    load_config(path, environ={})
    warned = [r.getMessage() for r in caplog.records if "other users" in r.getMessage()]
    assert len(warned) == 1 and "device tokens" in warned[0], warned
    assert "lhm_password" not in warned[0]
