"""Shared test helpers: fixture paths and a LibreHardwareMonitor replay server."""

from __future__ import annotations

import ipaddress
import socket
from pathlib import Path

import pytest

from nocturne.devtools.lhm_replay import LhmReplay

FIXTURES = Path(__file__).parent / "fixtures"
LHM_CAPTURES = sorted((FIXTURES / "lhm").glob("*.json"))
CAPTURE_0_9_6 = FIXTURES / "lhm" / "amd-r7-7800x3d_rtx4080super_nct6687d_lhm-0.9.6_comma.json"
CAPTURE_OHM_5900X = FIXTURES / "lhm" / "amd-r9-5900x_rtx3080_x570-nct6797d_ohm_dot.json"


@pytest.fixture
async def lhm_replay():
    """A running replay of the LHM 0.9.6 capture on a free loopback port."""
    replay = LhmReplay(CAPTURE_0_9_6.read_bytes())
    await replay.start()
    yield replay
    await replay.stop()


def _loopback_only(address: object) -> None:
    host = address[0] if isinstance(address, tuple) else None
    if host is None:
        return  # AF_UNIX path (D-Bus) or similar: stays on this machine
    try:
        ip = ipaddress.ip_address(str(host).split("%")[0])
    except ValueError:
        if host != "localhost":
            raise AssertionError(
                f"a test tried to reach {host!r}: tests stay on loopback"
            ) from None
        return
    if not ip.is_loopback:
        raise AssertionError(f"a test tried to reach {ip}: tests stay on loopback")


@pytest.fixture(autouse=True, scope="session")
def stay_on_loopback():
    """No test in this process opens a TCP connection beyond 127.0.0.0/8 and ::1.

    (A UDP connect() sends nothing, so it is allowed: it is how the LAN address is found.)
    Servers started as subprocesses get configs that keep them on loopback too.
    """
    real_connect, real_connect_ex = socket.socket.connect, socket.socket.connect_ex

    def connect(self, address):
        if self.type == socket.SOCK_STREAM:
            _loopback_only(address)
        return real_connect(self, address)

    def connect_ex(self, address):
        if self.type == socket.SOCK_STREAM:
            _loopback_only(address)
        return real_connect_ex(self, address)

    socket.socket.connect, socket.socket.connect_ex = connect, connect_ex
    yield
    socket.socket.connect, socket.socket.connect_ex = real_connect, real_connect_ex


@pytest.fixture(autouse=True)
def firmware_folder_left_as_found():
    """A test leaves this process's CPython firmware where it found it: the checkout's
    folder (or none). Another folder's modules left in ``sys.modules`` would answer every
    later test's imports, and modules imported again are new objects that the test modules
    imported at collection do not hold (a ``clock.set_source`` on one copy, a board ticking
    on the other)."""
    yield
    import sys

    from nocturne.emulator import firmware_loader
    from nocturne.firmware_files import find_firmware_dir

    default = find_firmware_dir()
    installed = list(firmware_loader._installed)
    assert installed in ([], [default]), f"left the firmware folder {installed[0]} installed"
    package = sys.modules.get("nocturne_fw")
    where = getattr(package, "__path__", [str(default / "nocturne_fw")])
    assert Path(next(iter(where))).resolve() == default / "nocturne_fw", (
        f"left nocturne_fw imported from {list(where)}"
    )
