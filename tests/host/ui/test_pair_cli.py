"""`nocturne pair`, `nocturne doctor`, GET /api/devices and the tray's paired-board line:
config.json edited in place (0600, the rest kept), names shown, tokens never."""

from __future__ import annotations

import asyncio
import io
import json
import os
import stat
import urllib.request
from pathlib import Path

import pytest

from nocturne.app import NocturneServer
from nocturne.config.model import ConfigError, load_config
from nocturne.ui import cli
from nocturne.ui.doctor import run_doctor
from nocturne.ui.server_thread import ServerStatus
from nocturne.ui.tray import TrayApp
from tests.harness.rig import free_port, write_config

TIMEOUT = 5.0


def tokens_in(path: Path) -> dict[str, str]:
    return json.loads(path.read_text())["device_tokens"]


def pair(path: Path, *argv: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = cli.main(["--config", str(path), "pair", *argv])
    return code, capsys.readouterr().out


def test_pair_round_trip_keeps_the_file_and_its_mode(tmp_path, capsys):
    path = write_config(tmp_path, free_port(), "http://127.0.0.1:9/data.json", weather_city="")
    before = json.loads(path.read_text())
    path.chmod(0o644)  # a user's file readable by others: pairing makes it theirs only

    code, out = pair(path, "desk", capsys=capsys)
    assert code == 0
    token = tokens_in(path)["desk"]
    assert len(token) == 22
    assert f'    SERVER_TOKEN = "{token}"' in out.splitlines()
    after = json.loads(path.read_text())
    assert {k: v for k, v in after.items() if k != "device_tokens"} == before
    if os.name == "posix":
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_config(path, environ={}).config.device_tokens == {"desk": token}

    code, out = pair(path, capsys=capsys)  # no name: the next free one
    assert code == 0 and list(tokens_in(path)) == ["desk", "board"]

    code, out = pair(path, "--list", capsys=capsys)
    assert code == 0
    assert "desk" in out and "board" in out
    for t in tokens_in(path).values():
        assert t not in out

    code, out = pair(path, "desk", capsys=capsys)  # again: a new token replaces the old
    assert code == 0 and "old token is refused" in out
    assert tokens_in(path)["desk"] != token

    code, out = pair(path, "--remove", "desk", capsys=capsys)
    assert code == 0 and list(tokens_in(path)) == ["board"]
    code, out = pair(path, "--remove", "desk", capsys=capsys)
    assert code == 1 and "no board named 'desk'" in out
    code, out = pair(path, "--remove", "board", capsys=capsys)
    assert code == 0 and "serves every board again" in out
    assert tokens_in(path) == {}
    if os.name == "posix":
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_pair_refuses_to_edit_a_broken_file(tmp_path, capsys):
    path = tmp_path / "config.json"
    path.write_text('{"port": 8090,')
    assert cli.main(["--config", str(path), "pair", "desk"]) == 2
    assert "invalid JSON" in capsys.readouterr().err
    assert path.read_text() == '{"port": 8090,'


def test_a_bad_token_in_the_file_names_the_board_not_the_token(tmp_path):
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"device_tokens": {"desk": "short secret"}}))
    with pytest.raises(Exception) as err:
        load_config(path, environ={})
    assert "device_tokens.desk" in str(err.value) and "short secret" not in str(err.value)


async def test_list_doctor_api_and_tray_show_which_boards_are_connected(tmp_path, capsys):
    web_port = free_port()
    path = write_config(
        tmp_path,
        free_port(),
        "http://127.0.0.1:9/data.json",
        web={"host": "127.0.0.1", "port": web_port},
    )
    assert cli.main(["--config", str(path), "pair", "desk"]) == 0
    assert cli.main(["--config", str(path), "pair", "shelf"]) == 0
    capsys.readouterr()
    tokens = tokens_in(path)
    server = NocturneServer(load_config(path, environ={}).config, use_lhm=False, media=False)
    await server.start()
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.devices.port)
        writer.write(f"HELO {tokens['desk']}\n".encode())
        await asyncio.wait_for(reader.readline(), TIMEOUT)  # served: a first line
        writer.write(b"survived:3 1 MemoryError\n")  # what its loop survived (issue 20)
        for _ in range(500):
            if server.devices.devices()[0].survived:
                break
            await asyncio.sleep(0.01)

        code = await asyncio.to_thread(cli.main, ["--config", str(path), "pair", "--list"])
        out = capsys.readouterr().out
        assert code == 0
        assert "desk: connected" in out and "shelf: not connected" in out

        doctor = io.StringIO()
        await run_doctor(path, out=doctor)
        report = doctor.getvalue()
        assert "pairing: 2 paired board(s): desk: connected, shelf: not connected" in report
        assert "[ok] a NOCTURNE server is running on port" in report  # its own, by discovery
        assert "(paired boards only)" in report
        assert f"[ok] dashboard answers at http://127.0.0.1:{web_port}/" in report
        assert (
            "[PROBLEM] board desk: survived 3 error(s) since boot (last: MemoryError), "
            "reset itself 1 time(s)"
        ) in report

        url = f"http://127.0.0.1:{web_port}/api/devices"
        body = await asyncio.to_thread(lambda: urllib.request.urlopen(url, timeout=5).read())
        document = json.loads(body)
        assert document["paired"] == ["desk", "shelf"]
        assert [d["board"] for d in document["devices"]] == ["desk"]
        assert document["devices"][0]["survived"].startswith("survived 3 error(s)")

        for text in (out, report, body.decode()):
            for token in tokens.values():
                assert token not in text
        writer.close()
    finally:
        await server.stop()

    # After the server stopped: names only, and it says connections are unknown.
    code = await asyncio.to_thread(cli.main, ["--config", str(path), "pair", "--list"])
    out = capsys.readouterr().out
    assert code == 0 and "desk\nshelf\n" in out and "connections unknown" in out


class _Server:
    def __init__(self, status: ServerStatus) -> None:
        self._status = status

    def status(self) -> ServerStatus:
        return self._status


def test_tray_item_names_the_paired_boards():
    status = ServerStatus(True, devices=1, paired=("desk", "shelf"), connected_boards={"desk"})
    app = TrayApp.__new__(TrayApp)  # only the text: no icon, no display
    app.server = _Server(status)  # type: ignore[assignment]
    assert app.paired_text() == "Paired: desk ●, shelf ○"
    app.server = _Server(ServerStatus(True))  # type: ignore[assignment]
    assert app.paired_text() == "Paired boards: none (every board is served)"


@pytest.mark.parametrize(
    ("keys", "message"),
    [
        ({"mdns": "yes"}, "key 'mdns': expected true or false"),
        ({"allow_unpaired": 1}, "key 'allow_unpaired': expected true or false"),
        ({"name": 5}, "key 'name': expected a string"),
        ({"device_tokens": ["x"]}, "key 'device_tokens': expected an object"),
        ({"device_tokens": {" ": "A" * 22}}, "a board name is empty"),
        ({"device_tokens": {"desk": 5}}, "'device_tokens.desk': not a token"),
        ({"device_tokens": {"desk": "A" * 10 + " " + "B" * 11}}, "without spaces"),
    ],
)
def test_bad_discovery_and_pairing_settings_are_named(tmp_path, keys, message):
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"ping_host": "", **keys}))
    with pytest.raises(ConfigError, match=message) as err:
        load_config(path, environ={})
    assert "A" * 10 not in str(err.value)


def test_discovery_and_pairing_defaults(tmp_path):
    path = tmp_path / "config.json"
    path.write_text('{"ping_host": ""}')
    config = load_config(path, environ={}).config
    assert (config.name, config.mdns, dict(config.device_tokens), config.allow_unpaired) == (
        "",
        True,
        {},
        False,
    )


def test_doctor_says_whether_discovery_can_answer(tmp_path):
    import socket

    from nocturne.devices.discovery import probe

    port = free_port()
    ok, what, _ = probe("127.0.0.1", port)
    assert ok and "is free" in what
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as squatter:
        squatter.bind(("127.0.0.1", port))
        ok, what, fix = probe("127.0.0.1", port, timeout=0.2)
    assert not ok and "taken by another program" in what and "SERVER_HOST" in fix
