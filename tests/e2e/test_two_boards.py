"""Two emulated boards in one process hold nothing in common: each has its own secrets (its
own server), its own filesystem (its own settings.json) and its own radio, and ticking them
interleaved never mixes them up. Nothing here touches the process's working directory."""

from __future__ import annotations

import gc
import json
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from nocturne_fw import app as A
from nocturne_fw import clock, menu, net, scene_ids

from nocturne.emulator.device import Device
from nocturne.emulator.secrets_file import make_secrets
from tests.harness.rig import free_port


class LineServer:
    """A loopback TCP server that sends every client ``line`` (again every EVERY_S) and
    keeps what it receives."""

    EVERY_S = 0.05

    def __init__(self, line: bytes) -> None:
        self.line = line
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.received = bytearray()
        self.clients = 0
        self._conns: list[socket.socket] = []
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:  # closed: the test is over
                return
            self.clients += 1
            self._conns.append(conn)
            threading.Thread(target=self._read, args=(conn,), daemon=True).start()
            threading.Thread(target=self._send, args=(conn,), daemon=True).start()

    def _send(self, conn: socket.socket) -> None:
        while True:
            try:
                conn.sendall(self.line)
            except OSError:
                return
            time.sleep(self.EVERY_S)

    def _read(self, conn: socket.socket) -> None:
        while True:
            try:
                data = conn.recv(4096)
            except OSError:
                return
            if not data:
                return
            self.received += data

    def close(self) -> None:
        self.listener.close()
        for conn in self._conns:
            conn.close()


@pytest.fixture
def manual_clock() -> Iterator[clock.ManualClock]:
    clk = clock.ManualClock(0)
    clock.set_source(clk)
    yield clk
    clock.set_source(None)


def tick_all(clk: clock.ManualClock, devices: list[Device], n: int = 1) -> None:
    """``n`` ticks of every board, one board after the other."""
    for _ in range(n):
        clk.advance(A.TICK_MS)
        for d in devices:
            d.tick()


def tick_until(
    clk: clock.ManualClock, devices: list[Device], cond: Callable[[], object], what: str
) -> None:
    deadline = time.monotonic() + 10
    while not cond():
        states = " / ".join(d.status() for d in devices)
        assert time.monotonic() < deadline, f"{what}: {states}"
        tick_all(clk, devices)
        time.sleep(0.002)  # loopback delivery happens in real time


def press(clk: clock.ManualClock, devices: list[Device], dev: Device, long: bool = False) -> None:
    dev.press(long=long)
    tick_until(clk, devices, lambda: not dev.busy, "button released")
    tick_all(clk, devices, 5)


def board_fs(root: Path) -> Path:
    root.mkdir()
    (root / "settings.json").write_text(json.dumps({"carousel": False}))
    return root


def test_two_boards_own_server_settings_and_radio(
    tmp_path: Path, manual_clock: clock.ManualClock, monkeypatch: pytest.MonkeyPatch
):
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    server_a = LineServer(b'{"ct":41}\n')
    server_b = LineServer(b'{"ct":77}\n')
    fs_a, fs_b = board_fs(tmp_path / "a"), board_fs(tmp_path / "b")
    a = Device(secrets=make_secrets("127.0.0.1", server_a.port), fs_dir=fs_a, name="a")
    b = Device(secrets=make_secrets("127.0.0.1", server_b.port), fs_dir=fs_b, name="b")
    try:
        assert os.getcwd() == str(cwd)
        clk = manual_clock
        both = [a, b]
        tick_until(clk, both, lambda: a.app.state.serial and b.app.state.serial, "data")
        assert a.app.state.txt["ct"] == "41" and b.app.state.txt["ct"] == "77"
        assert a.app.link.state == b.app.link.state == net.S_UP
        assert server_a.clients == server_b.clients == 1
        tick_until(clk, both, lambda: b"HELO" in server_a.received, "HELO at A")
        tick_until(clk, both, lambda: b"HELO" in server_b.received, "HELO at B")
        tick_until(clk, both, lambda: a.screen == b.screen == scene_ids.HUB, "both on HUB")

        b.set_wifi(False)  # B's access point vanishes; A's radio is another one
        tick_until(clk, both, lambda: b.app.link.state != net.S_UP, "B loses its link")
        tick_all(clk, both, 10)
        assert a.app.link.state == net.S_UP and a.wifi and not b.wifi

        # A: carousel on. B: LED alerts off. Each through its own menu, saved on EXIT.
        press(clk, both, a, long=True)  # the menu, on CAROUSEL
        press(clk, both, a, long=True)  # carousel on
        for _ in range(menu.I_EXIT - menu.I_CAROUSEL):
            press(clk, both, a)  # ... down to EXIT
        press(clk, both, a, long=True)
        press(clk, both, b, long=True)
        for _ in range(menu.I_LED - menu.I_CAROUSEL):
            press(clk, both, b)  # LED ALERTS
        press(clk, both, b, long=True)  # off
        for _ in range(menu.I_EXIT - menu.I_LED):
            press(clk, both, b)  # ... down to EXIT
        press(clk, both, b, long=True)
        saved_a = json.loads((fs_a / "settings.json").read_text())
        saved_b = json.loads((fs_b / "settings.json").read_text())
        assert saved_a["carousel"] is True and saved_a["led"] is True
        assert saved_b["carousel"] is False and saved_b["led"] is False
        assert list(cwd.iterdir()) == []  # neither board wrote into the process's directory
        assert os.getcwd() == str(cwd)
    finally:
        a.close()
        b.close()
        server_a.close()
        server_b.close()


def test_board_without_secrets_beside_one_with_them(
    tmp_path: Path, manual_clock: clock.ManualClock
):
    server = LineServer(b'{"ct":41}\n')
    refused = free_port()  # nothing listens there
    a = Device(secrets=make_secrets("127.0.0.1", server.port), fs_dir=board_fs(tmp_path / "a"))
    lost = Device(secrets=None, fs_dir=board_fs(tmp_path / "lost"))
    c = Device(secrets=make_secrets("127.0.0.1", refused), fs_dir=board_fs(tmp_path / "c"))
    try:
        clk = manual_clock
        boards = [a, lost, c]
        tick_until(clk, boards, lambda: a.app.state.serial, "A has data")
        tick_until(clk, boards, lambda: c.app.link.error == "NO SERVER", "C is refused")
        # each board's boot splash started when it was built (built one after the other)
        tick_until(clk, boards, lambda: lost.screen == scene_ids.SYS_SECRETS, "no secrets")
        assert lost.app.link is None and not lost.app.secrets_ok
        assert lost.screen_name() == "NO SECRETS" and a.screen_name() == "HUB"
        assert a.app.link.state == net.S_UP and c.app.link.state != net.S_UP
    finally:
        for d in (a, lost, c):
            d.close()
        server.close()


def test_a_line_collects_only_the_young_generation_in_cpython(
    tmp_path: Path, manual_clock: clock.ManualClock
):
    """The firmware collects after each line (the board's heap stays in one piece). In
    CPython the same call must not walk the host's whole heap: late in a test run a full pass
    took 0.3 s a line, and two boards on a 10 s budget never left the splash."""
    server = LineServer(b'{"ct":41}\n')
    a = Device(secrets=make_secrets("127.0.0.1", server.port), fs_dir=board_fs(tmp_path / "a"))
    passes: list[int] = []

    def seen(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            passes.append(info["generation"])

    was_enabled = gc.isenabled()
    gc.disable()  # only the passes something asks for are seen
    gc.callbacks.append(seen)
    try:
        clk = manual_clock
        first = a.app.state.serial
        tick_until(clk, [a], lambda: a.app.state.serial >= first + 3, "three lines")
        tick_all(clk, [a], 2)  # the collect runs on the tick after a line
    finally:
        gc.callbacks.remove(seen)
        if was_enabled:
            gc.enable()
        a.close()
        server.close()
    assert passes, "the firmware no longer collects after a line"
    assert set(passes) == {0}, f"collections by generation: {passes}"
