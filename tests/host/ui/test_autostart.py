"""Autostart backends: Windows through a winreg-shaped fake, XDG and macOS on real files."""

from __future__ import annotations

import plistlib
import shlex
import subprocess
import sys

import pytest

from nocturne.ui.autostart import (
    APP_NAME,
    RUN_KEY,
    LaunchAgent,
    WindowsRunKey,
    XdgAutostart,
    launch_command,
)

from ..fakes.winreg import REG_SZ, FakeRegistry

SPACEY_EXE = r"C:\Program Files\NOCTURNE OS\NocturneServer.exe"


def test_launch_command_frozen_is_the_exe_alone():
    assert launch_command(frozen=True, executable=SPACEY_EXE, platform="win32") == [SPACEY_EXE]


def test_launch_command_installed_uses_pythonw_on_windows(tmp_path):
    python = tmp_path / "Python 3.12" / "python.exe"
    python.parent.mkdir()
    python.touch()
    (python.parent / "pythonw.exe").touch()
    cmd = launch_command(frozen=False, executable=str(python), platform="win32")
    assert cmd == [str(python.parent / "pythonw.exe"), "-m", "nocturne"]


def test_launch_command_installed_elsewhere_uses_this_python():
    cmd = launch_command(frozen=False, executable="/opt/py/bin/python3", platform="linux")
    assert cmd == ["/opt/py/bin/python3", "-m", "nocturne"]


def test_windows_run_key_round_trip_with_spaces_quoted():
    reg = FakeRegistry()
    auto = WindowsRunKey([SPACEY_EXE], registry=reg)
    assert not auto.is_enabled()
    auto.enable()
    assert auto.is_enabled()
    value, kind = reg.keys["HKEY_CURRENT_USER\\" + RUN_KEY.lower()][APP_NAME.lower()]
    assert kind == REG_SZ
    assert value == f'"{SPACEY_EXE}"'
    auto.disable()
    assert not auto.is_enabled()
    auto.disable()  # twice is fine
    assert ("SetValueEx", APP_NAME, REG_SZ, f'"{SPACEY_EXE}"') in reg.calls
    assert ("DeleteValue", APP_NAME) in reg.calls


def test_windows_command_line_parses_back_to_the_same_arguments():
    cmd = [r"C:\Users\Ana Lee\venv\Scripts\pythonw.exe", "-m", "nocturne"]
    line = WindowsRunKey(cmd, registry=FakeRegistry()).command_line()
    assert line == r'"C:\Users\Ana Lee\venv\Scripts\pythonw.exe" -m nocturne'


def test_windows_stale_value_from_another_install_is_not_enabled():
    reg = FakeRegistry()
    WindowsRunKey([r"C:\old\NocturneServer.exe"], registry=reg).enable()
    assert not WindowsRunKey([SPACEY_EXE], registry=reg).is_enabled()


def test_xdg_desktop_file(tmp_path):
    cmd = ["/home/ana/my apps/.venv/bin/python", "-m", "nocturne"]
    auto = XdgAutostart(cmd, config_home=tmp_path)
    assert not auto.is_enabled()
    auto.enable()
    assert auto.is_enabled()
    text = (tmp_path / "autostart" / "nocturne-os.desktop").read_text()
    assert "[Desktop Entry]" in text and "Type=Application" in text
    exec_line = next(line for line in text.splitlines() if line.startswith("Exec="))
    assert exec_line == 'Exec="/home/ana/my apps/.venv/bin/python" -m nocturne'
    assert shlex.split(exec_line[5:]) == cmd
    auto.disable()
    assert not auto.is_enabled()


def test_xdg_exec_escapes_reserved_characters(tmp_path):
    auto = XdgAutostart(["/o$dd/100%/py", "-m", "nocturne"], config_home=tmp_path)
    assert auto.exec_line() == '"/o\\\\$dd/100%%/py" -m nocturne'


def test_macos_launch_agent(tmp_path):
    cmd = ["/Users/ana/venv/bin/python", "-m", "nocturne"]
    auto = LaunchAgent(cmd, home=tmp_path)
    auto.enable()
    plist = plistlib.loads(auto.path.read_bytes())
    assert plist["ProgramArguments"] == cmd and plist["RunAtLoad"] is True
    assert auto.path.parent == tmp_path / "Library" / "LaunchAgents"
    assert auto.is_enabled()
    auto.disable()
    assert not auto.is_enabled()


@pytest.mark.skipif(sys.platform == "win32", reason="uses the XDG backend")
def test_cli_autostart_on_status_off(tmp_path):
    env = {"XDG_CONFIG_HOME": str(tmp_path), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}

    def run(*args):
        done = subprocess.run(
            [sys.executable, "-m", "nocturne", "autostart", *args],
            capture_output=True, text=True, env=env, timeout=60,
        )  # fmt: skip
        return done.returncode, done.stdout + done.stderr

    assert run("status") == (0, f"off: {tmp_path / 'autostart' / 'nocturne-os.desktop'}\n")
    code, out = run("on")
    assert code == 0 and out.startswith("on: ")
    assert (tmp_path / "autostart" / "nocturne-os.desktop").is_file()
    assert run("status")[0] == 0
    code, out = run("off")
    assert code == 0 and out.startswith("off: ")
    assert not (tmp_path / "autostart" / "nocturne-os.desktop").exists()
