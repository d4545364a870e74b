"""Fixtures of the flash tests: the serial ports listed, and no port ever opened."""

from __future__ import annotations

from typing import Any

import pytest
import serial
import serial.tools.list_ports
from serial.tools.list_ports_common import ListPortInfo


@pytest.fixture
def ports(monkeypatch: pytest.MonkeyPatch) -> list[ListPortInfo]:
    """What serial.tools.list_ports.comports() returns; tests fill it."""
    listed: list[ListPortInfo] = []
    monkeypatch.setattr(serial.tools.list_ports, "comports", lambda *a, **k: list(listed))
    return listed


@pytest.fixture
def no_serial_open(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail the test if anything opens a serial port."""

    def refuse(self: Any) -> None:
        raise AssertionError(f"serial port {self.port} opened")

    monkeypatch.setattr(serial.Serial, "open", refuse)


@pytest.fixture(autouse=True)
def no_release_download(tmp_path_factory: pytest.TempPathFactory, monkeypatch: Any) -> None:
    """A flash that decides to fetch MicroPython asks loopback (port 9, discard: refused),
    never micropython.org, and caches into a temporary folder, never the user's."""
    monkeypatch.setenv("NOCTURNE_MICROPYTHON_BASE_URL", "http://127.0.0.1:9/firmware/")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("cache")))
