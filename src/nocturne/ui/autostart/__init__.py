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

import sys
from pathlib import Path
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


def for_this_platform(platform: str = sys.platform, config: Path | None = None) -> Autostart:
    """The backend for ``platform`` with the command that starts this installation on
    ``config`` (the config file in use)."""
    command = launch_command(platform=platform, config=config)
    if platform == "win32":
        return WindowsRunKey(command)
    if platform == "darwin":
        return LaunchAgent(command)
    return XdgAutostart(command)


# The backends, after the names they use (each imports on every platform).
from ._linux import XdgAutostart  # noqa: E402
from ._macos import LaunchAgent  # noqa: E402
from ._windows import WindowsRunKey  # noqa: E402

__all__ = [
    "APP_NAME",
    "Autostart",
    "LaunchAgent",
    "WindowsRunKey",
    "XdgAutostart",
    "for_this_platform",
    "launch_command",
]
