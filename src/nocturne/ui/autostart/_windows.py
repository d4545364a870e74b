"""Windows: a value ``NOCTURNE_OS`` under HKCU\\...\\CurrentVersion\\Run. ``winreg`` is imported
when a backend is made, so this module imports on every platform."""

from __future__ import annotations

import subprocess
from types import ModuleType

from . import APP_NAME, RUN_KEY


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
