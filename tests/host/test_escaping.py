"""Remote strings on a terminal or in the log: control characters are shown, never obeyed."""

from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path
from types import SimpleNamespace

import pytest

from nocturne.devtools.lhm_replay import LhmReplay
from nocturne.safe_text import printable
from nocturne.ui.autostart import XdgAutostart
from nocturne.ui.cli import setup_logging
from nocturne.ui.server_thread import ServerThread
from nocturne.ui.tray import TrayApp

from ..conftest import CAPTURE_0_9_6
from .ui.test_cli import run_cli, start_console, write_config

FAKE_LOG_LINE = "\n\x1b[31mERROR fake"
SHOWN_FAKE_LOG_LINE = "\\n\\x1b[31mERROR fake"


def assert_nothing_raw(output: str) -> None:
    assert "\x1b" not in output and "\x9b" not in output
    assert not any(line.startswith("ERROR fake") for line in output.splitlines())


def test_characters_beyond_the_basic_plane_are_escaped_as_python_writes_them():
    assert printable("tag\U000e0001") == "tag\\U000e0001"  # not \ue0001: \ue000 then "1"
    assert printable("\x1b\u202e") == "\\x1b\\u202e"


def capture_with_remote_names() -> bytes:
    """The LHM 0.9.6 capture with a hardware and a sensor name that try to fake a log line."""
    root = json.loads(CAPTURE_0_9_6.read_bytes())
    computer = root["Children"][0]
    cpu = next(hw for hw in computer["Children"] if hw.get("HardwareId") == "/amdcpu/0")
    cpu["Text"] = "CPU\x1b]0;pwned\x07"
    temperatures = next(group for group in cpu["Children"] if group["Text"] == "Temperatures")
    temperatures["Children"][0]["Text"] = "T" + FAKE_LOG_LINE
    return json.dumps(root).encode()


async def test_sensors_shows_remote_names_escaped(tmp_path):
    replay = LhmReplay(capture_with_remote_names())
    await replay.start()
    try:
        config = write_config(tmp_path, lhm_url=replay.url)
        code, out = await asyncio.to_thread(
            run_cli, "sensors", "--config", str(config), cwd=tmp_path
        )
    finally:
        await replay.stop()
    assert code == 0, out
    assert "T" + SHOWN_FAKE_LOG_LINE in out
    assert "CPU\\x1b]0;pwned\\x07" in out
    assert_nothing_raw(out)


@pytest.mark.parametrize("command", [["--console"], ["doctor"], ["config"]])
async def test_a_config_value_quoted_in_an_error_is_escaped(tmp_path, command):
    # \x9b is the one-byte CSI: json.dumps, which shows the value, leaves it raw.
    config = write_config(tmp_path, host=["\x9b31m" + FAKE_LOG_LINE])
    if command == ["--console"]:
        running = await start_console(config)
        await running.stop(signal_it=False)
        out = "".join(running.log)
    else:
        _, out = await asyncio.to_thread(run_cli, *command, "--config", str(config), cwd=tmp_path)
    assert "key 'host'" in out, out
    assert_nothing_raw(out)


def test_the_log_file_shows_a_remote_string_escaped(tmp_path):
    log_path = tmp_path / "nocturne.log"
    setup_logging(log_path, console=False)
    try:
        logging.getLogger("nocturne.test").warning("Weather for %s", "Paris" + FAKE_LOG_LINE)
        try:
            raise ValueError("sent by a server" + FAKE_LOG_LINE)
        except ValueError:
            logging.getLogger("nocturne.test").exception("read failed")
    finally:
        setup_logging(None, console=False)
    text = log_path.read_text(encoding="utf-8")
    assert "Weather for Paris" + SHOWN_FAKE_LOG_LINE in text
    assert "ValueError: sent by a server" + SHOWN_FAKE_LOG_LINE in text
    assert "Traceback (most recent call last):\n" in text  # a traceback keeps its lines
    assert_nothing_raw(text)


class StandInMenu(list):
    SEPARATOR = None

    def __init__(self, *items: object) -> None:
        super().__init__(items)


class StandInIcon:
    """pystray.Icon without a display: keeps what the tray would show."""

    def __init__(self, name: str, icon: object, title: str, menu: object) -> None:
        self.title, self.menu = title, menu


def test_the_tray_shows_a_remote_error_escaped(tmp_path: Path):
    def load():
        raise OSError("LHM said" + FAKE_LOG_LINE)

    server = ServerThread(load)
    server.start()
    server.stop()
    pystray = SimpleNamespace(
        Icon=StandInIcon, MenuItem=lambda text, action, **_: text, Menu=StandInMenu
    )
    app = TrayApp(
        pystray,
        server,
        XdgAutostart(["nocturne"], tmp_path),
        log_path=tmp_path / "nocturne.log",
        config_path=tmp_path / "config.json",
    )
    assert "LHM said" + SHOWN_FAKE_LOG_LINE in app.icon.title
    status_item = app.icon.menu[0]
    assert status_item(None) == app.icon.title.removeprefix("NOCTURNE_OS · ")
    assert_nothing_raw(app.icon.title + status_item(None))
