"""Start the server when the user logs in: one interface, a backend per platform.

- Windows: a value ``NOCTURNE_OS`` under
  ``HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Run``.
- Linux and other XDG desktops: ``~/.config/autostart/nocturne-os.desktop``.
- macOS: a LaunchAgent, ``~/Library/LaunchAgents/org.nocturne-os.server.plist``.

The command started is the frozen exe itself, or ``pythonw -m nocturne`` (no console window
on Windows) for an installed package, with ``--config`` and the absolute path of the config
in use: at log-in the working directory is the home folder, where a relative path or the
default search finds another file (or none, and a fresh default config replaces the user's).
"""

from __future__ import annotations

import os
import plistlib
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Protocol

APP_NAME = "NOCTURNE_OS"
RUN_KEY = r"Software\Microsoft\Windows\CurrentVersion\Run"
DESKTOP_FILE = "nocturne-os.desktop"
LAUNCH_AGENT_LABEL = "org.nocturne-os.server"


class Autostart(Protocol):
    """Where and how the server is registered to start at log-in."""

    def is_enabled(self) -> bool: ...

    def enable(self) -> None: ...

    def disable(self) -> None: ...

    def location(self) -> str: ...


def launch_command(
    *,
    frozen: bool | None = None,
    executable: str | None = None,
    platform: str = sys.platform,
    config: Path | None = None,
) -> list[str]:
    """The command that starts the server (tray mode) at log-in, on ``config`` if given."""
    frozen = getattr(sys, "frozen", False) if frozen is None else frozen
    exe = Path(executable or sys.executable)
    with_config = ["--config", str(Path(config).absolute())] if config is not None else []
    if frozen:
        return [str(exe), *with_config]
    if platform == "win32":
        pythonw = exe.with_name("pythonw.exe")
        if pythonw.exists() or exe.name.lower() == "python.exe":
            exe = pythonw
    return [str(exe), "-m", "nocturne", *with_config]


# --- Windows ------------------------------------------------------------------------------


class WindowsRunKey:
    """HKCU Run key. ``registry`` is the ``winreg`` module (a fake of its shape in tests)."""

    def __init__(self, command: list[str], registry: ModuleType | None = None) -> None:
        if registry is None:
            import winreg as registry  # Windows only; imported here so Linux never needs it
        self.reg = registry
        self.command = command

    def command_line(self) -> str:
        # Windows' own quoting rules (what CreateProcess parses): paths with spaces are quoted.
        return subprocess.list2cmdline(self.command)

    def is_enabled(self) -> bool:
        try:
            with self.reg.OpenKey(self.reg.HKEY_CURRENT_USER, RUN_KEY, 0, self.reg.KEY_READ) as k:
                value, _ = self.reg.QueryValueEx(k, APP_NAME)
        except FileNotFoundError:
            return False
        return value == self.command_line()

    def enable(self) -> None:
        with self.reg.CreateKeyEx(
            self.reg.HKEY_CURRENT_USER, RUN_KEY, 0, self.reg.KEY_SET_VALUE
        ) as key:
            self.reg.SetValueEx(key, APP_NAME, 0, self.reg.REG_SZ, self.command_line())

    def disable(self) -> None:
        try:
            with self.reg.OpenKey(
                self.reg.HKEY_CURRENT_USER, RUN_KEY, 0, self.reg.KEY_SET_VALUE
            ) as key:
                self.reg.DeleteValue(key, APP_NAME)
        except FileNotFoundError:
            pass  # not registered: nothing to remove

    def location(self) -> str:
        return f"HKEY_CURRENT_USER\\{RUN_KEY}\\{APP_NAME}"


# --- XDG (Linux, BSD desktops) ------------------------------------------------------------


def _desktop_quote(arg: str) -> str:
    """Quote one argument for a .desktop Exec= line (Desktop Entry Specification)."""
    if arg and not any(c in arg for c in " \t\n\"'\\><~|&;$*?#()`"):
        return arg
    escaped = "".join("\\" + c if c in '"`$\\' else c for c in arg)
    return f'"{escaped}"'


class XdgAutostart:
    def __init__(self, command: list[str], config_home: Path | None = None) -> None:
        base = config_home or Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
        self.path = base / "autostart" / DESKTOP_FILE
        self.command = command

    def exec_line(self) -> str:
        # In Exec= values a literal % must be doubled; the spec then unescapes \\ once more.
        return " ".join(_desktop_quote(a).replace("\\", "\\\\").replace("%", "%%")
                        for a in self.command)  # fmt: skip

    def is_enabled(self) -> bool:
        return self.path.is_file()

    def enable(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        text = (
            "[Desktop Entry]\n"
            "Type=Application\n"
            f"Name={APP_NAME}\n"
            "Comment=PC hardware monitor server for NOCTURNE devices\n"
            f"Exec={self.exec_line()}\n"
            "Terminal=false\n"
            "X-GNOME-Autostart-enabled=true\n"
        )
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(self.path)

    def disable(self) -> None:
        self.path.unlink(missing_ok=True)

    def location(self) -> str:
        return str(self.path)


# --- macOS ---------------------------------------------------------------------------------


class LaunchAgent:
    def __init__(self, command: list[str], home: Path | None = None) -> None:
        self.path = (
            (home or Path.home()) / "Library" / "LaunchAgents" / (LAUNCH_AGENT_LABEL + ".plist")
        )
        self.command = command

    def is_enabled(self) -> bool:
        return self.path.is_file()

    def enable(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        plist = {
            "Label": LAUNCH_AGENT_LABEL,
            "ProgramArguments": self.command,
            "RunAtLoad": True,
            "ProcessType": "Interactive",
        }
        tmp = self.path.with_suffix(".tmp")
        tmp.write_bytes(plistlib.dumps(plist))
        tmp.replace(self.path)

    def disable(self) -> None:
        self.path.unlink(missing_ok=True)

    def location(self) -> str:
        return str(self.path)


def for_this_platform(platform: str = sys.platform, config: Path | None = None) -> Autostart:
    """The backend for ``platform`` with the command that starts this installation on
    ``config`` (the config file in use)."""
    command = launch_command(platform=platform, config=config)
    if platform == "win32":
        return WindowsRunKey(command)
    if platform == "darwin":
        return LaunchAgent(command)
    return XdgAutostart(command)
