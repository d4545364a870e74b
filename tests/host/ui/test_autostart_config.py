"""Start-at-login starts the server on the config in use: its absolute path in the entry."""

from __future__ import annotations

import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from nocturne.ui.autostart import APP_NAME, RUN_KEY, WindowsRunKey, launch_command

from ..fakes.winreg import FakeRegistry


def run_cli(tmp_path: Path, *args: str) -> tuple[int, str]:
    env = {"XDG_CONFIG_HOME": str(tmp_path / "xdg"), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-m", "nocturne", "autostart", *args],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=60,
    )  # fmt: skip
    return done.returncode, done.stdout + done.stderr


def desktop_exec(tmp_path: Path) -> list[str]:
    text = (tmp_path / "xdg" / "autostart" / "nocturne-os.desktop").read_text(encoding="utf-8")
    line = next(x for x in text.splitlines() if x.startswith("Exec="))
    return shlex.split(line.removeprefix("Exec=").replace("\\\\", "\\"))


@pytest.mark.skipif(sys.platform == "win32", reason="uses the XDG backend")
def test_autostart_on_with_a_relative_config_writes_its_absolute_path(tmp_path):
    (tmp_path / "my settings").mkdir()
    assert run_cli(tmp_path, "on", "--config", "my settings/config.json")[0] == 0
    command = desktop_exec(tmp_path)
    assert command[-2:] == ["--config", str(tmp_path / "my settings" / "config.json")]
    assert command[1:3] == ["-m", "nocturne"]


@pytest.mark.skipif(sys.platform == "win32", reason="uses the XDG backend")
def test_autostart_without_config_names_the_file_the_server_would_use(tmp_path):
    (tmp_path / "config.json").write_text("{}", encoding="utf-8")  # ./config.json is found first
    assert run_cli(tmp_path, "on")[0] == 0
    assert desktop_exec(tmp_path)[-2:] == ["--config", str(tmp_path / "config.json")]


@pytest.mark.skipif(sys.platform == "win32", reason="uses the XDG backend")
def test_autostart_status_off_is_an_answer_not_an_error(tmp_path):
    code, out = run_cli(tmp_path, "status")
    assert (code, out.split(":")[0]) == (0, "off")


def test_windows_run_key_carries_the_config(tmp_path):
    python = tmp_path / "Python 3.12" / "python.exe"
    python.parent.mkdir()
    config = tmp_path / "NOCTURNE OS" / "config.json"
    command = launch_command(frozen=False, executable=str(python), platform="win32", config=config)
    reg = FakeRegistry()
    WindowsRunKey(command, registry=reg).enable()
    value, _ = reg.keys["HKEY_CURRENT_USER\\" + RUN_KEY.lower()][APP_NAME.lower()]
    assert value.endswith(f' --config "{config}"')
    frozen = launch_command(frozen=True, executable=str(python), platform="win32", config=config)
    assert frozen[1:] == ["--config", str(config)]
