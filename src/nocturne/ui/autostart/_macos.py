"""macOS: a LaunchAgent, ``~/Library/LaunchAgents/org.nocturne-os.server.plist``."""

from __future__ import annotations

import plistlib
from pathlib import Path

from . import LAUNCH_AGENT_LABEL


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
