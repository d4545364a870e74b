"""Linux and other XDG desktops: ``~/.config/autostart/nocturne-os.desktop``."""

from __future__ import annotations

import os
from pathlib import Path

from . import APP_NAME, DESKTOP_FILE


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
