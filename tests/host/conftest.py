"""Fixtures for the host tests: a private D-Bus session bus and real mpv players."""

from .media_fixtures import players, session_bus

__all__ = ["players", "session_bus"]
