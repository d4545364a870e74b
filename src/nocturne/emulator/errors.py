"""The one error the emulator raises for a user to read."""

from __future__ import annotations


class EmulatorError(Exception):
    """The emulator cannot run (firmware not found, bad secrets file...)."""
