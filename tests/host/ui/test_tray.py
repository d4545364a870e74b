"""The tray app on a real X server with a real system tray (Xvfb + trayer), pystray's X11 backend.

The X11 backend has no menu (a click runs the default item), so each menu action is run the way
pystray runs it — by calling the real MenuItem on the real Icon — while the icon's event loop
runs; the click is tested for real with xdotool.
"""

from __future__ import annotations

import asyncio
import gc
import json
import os
import shlex
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from PIL import Image

from nocturne.config.model import Config, WebSettings
from nocturne.ui.autostart import XdgAutostart
from nocturne.ui.server_thread import ServerStatus, ServerThread
from nocturne.ui.tray import COLOURS, draw_icon, icon_state
from tests.harness.rig import free_port

from ..xdisplay import start_xdisplay, stop_xdisplay

TIMEOUT = 20.0


@pytest.fixture(scope="module")
def xdisplay():
    xd = start_xdisplay()
    os.environ["DISPLAY"] = xd.name  # pystray picks its backend and display at import
    yield xd
    stop_xdisplay(xd)


def near(pixel, colour, tolerance=40) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(pixel[:3], colour[:3], strict=True))


def count_colour(image: Image.Image, colour) -> int:
    data = image.convert("RGB").tobytes()
    return sum(1 for i in range(0, len(data), 3) if near(data[i : i + 3], colour))


def wait_for_colour(xdisplay, path: Path, colour) -> None:
    """Screenshots until the tray shows ``colour`` (trayer maps and paints in its own time)."""
    deadline = time.monotonic() + TIMEOUT
    while count_colour(Image.open(xdisplay.screenshot(path)), colour) <= 10:
        assert time.monotonic() < deadline, f"the tray never showed {colour} (see {path})"
        time.sleep(0.2)


def artifacts_dir(tmp_path: Path) -> Path:
    path = Path(os.environ.get("NOCTURNE_ARTIFACTS", tmp_path))
    path.mkdir(parents=True, exist_ok=True)
    return path


TOKEN = "q3M0bnR5LXR3by1ieXRlcy1vZi10b2tlbg"


def test_status_text():
    assert ServerStatus(True, devices=2, lhm_online=True).text == "RUNNING · 2 devices"
    assert ServerStatus(True, devices=1, lhm_online=None).text == "RUNNING · 1 device"
    assert ServerStatus(True, devices=0, lhm_online=False).text == "LHM not reachable · no devices"
    assert ServerStatus(False, error="port taken").text == "STOPPED: port taken"


def test_icon_shows_each_state_in_its_colour():
    states = {
        "serving": ServerStatus(True, devices=1, lhm_online=True),
        "idle": ServerStatus(True, devices=0, lhm_online=True),
        "no-lhm": ServerStatus(True, devices=1, lhm_online=False),
        "stopped": ServerStatus(False),
    }
    images = {}
    for state, status in states.items():
        assert icon_state(status) == state
        img = draw_icon(state)
        assert img.size == (64, 64)
        assert img.getpixel((51, 49)) == COLOURS[state]  # the middle of the status dot
        images[state] = img.tobytes()
    assert len(set(images.values())) == 4


def read_line(sock: socket.socket) -> dict:
    sock.settimeout(TIMEOUT)
    data = b""
    while not data.endswith(b"\n"):
        chunk = sock.recv(1)
        assert chunk, "connection closed"
        data += chunk
    return json.loads(data)


def connect_device(port: int) -> socket.socket:
    """A device as the board is one: it says HELO at once (the server serves no one else)."""
    device = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
    device.sendall(b"HELO\n")
    return device


def connect_retrying(port: int) -> socket.socket:
    deadline = time.monotonic() + TIMEOUT
    while True:
        try:
            return connect_device(port)
        except ConnectionRefusedError:
            assert time.monotonic() < deadline, "the server never listened again"
            time.sleep(0.05)


def up_lines(sock: socket.socket) -> list[bytes]:
    """The update's lines a board received, up to its end (``UP z``)."""
    sock.settimeout(TIMEOUT)
    got: list[bytes] = []
    deadline = time.monotonic() + TIMEOUT  # the usual lines go on arriving meanwhile
    with sock.makefile("rb") as lines:
        for line in lines:
            assert time.monotonic() < deadline, "no update within the time"
            if line.startswith(b"UP "):
                got.append(line)
            if line == b"UP z\n":
                return got
    raise AssertionError(f"the update ended early: {got[-1:]}")


def eof(sock: socket.socket) -> bool:
    sock.settimeout(TIMEOUT)
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            return True


def test_every_menu_action(xdisplay, tmp_path, lhm_replay_thread):
    from nocturne.ui.tray import TrayApp, load_pystray

    pystray = load_pystray()
    assert pystray.Icon.__module__ == "pystray._xorg"
    port = free_port()
    web = WebSettings(port=free_port())
    config = Config(
        host="127.0.0.1", port=port, lhm_url=lhm_replay_thread, ping_host="", web=web,
        device_tokens={"desk": TOKEN}, allow_unpaired=True, board_updates="ask",
    )  # fmt: skip
    server = ServerThread(lambda: config)
    assert server.start().running
    server_thread = server._thread
    opened: list[Path] = []
    auto = XdgAutostart(["/usr/bin/python3", "-m", "nocturne"], config_home=tmp_path)
    browsed: list[str] = []
    app = TrayApp(
        pystray, server, auto, log_path=tmp_path / "l.log", config_path=tmp_path / "c.json",
        opener=opened.append, browser=browsed.append,
    )  # fmt: skip
    failures: list[BaseException] = []

    def use_the_menu() -> None:
        """What a user does, on another thread: the tray's loop owns the main one, as in the app."""
        device = None
        try:
            xdisplay.find_window("NOCTURNE_OS")
            items = {str(i): i for i in app.icon.menu.items}
            status_item = next(i for i in app.icon.menu.items if i.default)

            device = connect_device(port)
            assert read_line(device)["ct"] == 54
            deadline = time.monotonic() + TIMEOUT
            while status_item.text != "RUNNING · 1 device":
                assert time.monotonic() < deadline, status_item.text
                time.sleep(0.05)

            # Add to startup / Remove from startup, the label following the state.
            items["Add to startup"](app.icon)
            assert auto.is_enabled()
            assert [str(i) for i in app.icon.menu.items][1] == "Remove from startup"
            app.icon.menu.items[1](app.icon)
            assert not auto.is_enabled()
            assert [str(i) for i in app.icon.menu.items][1] == "Add to startup"

            # Update firmware ("ask"): offered once a paired board on another version said it
            # takes updates; the board then receives the update's lines
            label = "Update firmware (no board waits for one)"
            assert label in items and not items[label].enabled
            desk = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
            desk.sendall(f"HELO {TOKEN}\nfw:0000aaaa\nota:ready 00112233aabbccdd\n".encode())
            update_item = next(i for i in app.icon.menu.items if str(i).startswith("Update"))
            deadline = time.monotonic() + TIMEOUT
            while str(update_item) != "Update firmware: desk" or not update_item.enabled:
                assert time.monotonic() < deadline, str(update_item)
                time.sleep(0.05)
            update_item(app.icon)
            assert up_lines(desk)[0].startswith(b"UP m ")
            desk.close()

            items["Open log"](app.icon)
            items["Open config"](app.icon)
            assert opened == [tmp_path / "l.log", tmp_path / "c.json"]
            items["Open dashboard"](app.icon)
            assert browsed == [f"http://127.0.0.1:{web.port}/"]

            # Restart Server: same process and server thread; the link drops, the device
            # reconnects as a real one does.
            items["Restart Server"](app.icon)
            assert eof(device)
            device.close()
            device = connect_retrying(port)
            assert read_line(device)["ct"] == 54
            assert server._thread is server_thread and server_thread.is_alive()

            # Close: the device sees the link drop; the tray loop and the server thread end.
            items["Close"](app.icon)
            assert eof(device)
        except BaseException as exc:
            failures.append(exc)
            app.close()
        finally:
            if device is not None:
                device.close()

    user = threading.Thread(target=use_the_menu, daemon=True)
    user.start()
    app.run()  # returns once Close has stopped the icon
    user.join(TIMEOUT)
    if failures:
        raise failures[0]
    assert not server_thread.is_alive()
    assert not server.status().running


@pytest.fixture
def lhm_replay_thread():
    """The LHM 0.9.6 replay on its own thread and loop (the tray test itself is synchronous)."""
    from nocturne.devtools.lhm_replay import LhmReplay

    from ...conftest import CAPTURE_0_9_6

    loop = asyncio.new_event_loop()
    replay = LhmReplay(CAPTURE_0_9_6.read_bytes())
    ready = threading.Event()

    def run():
        asyncio.set_event_loop(loop)
        loop.run_until_complete(replay.start())
        ready.set()
        loop.run_forever()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    ready.wait(TIMEOUT)
    yield replay.url
    asyncio.run_coroutine_threadsafe(replay.stop(), loop).result(TIMEOUT)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(TIMEOUT)


def test_tray_icon_appears_click_shows_status_and_sigterm_closes(
    xdisplay, tmp_path, lhm_replay_thread
):
    port = free_port()
    config = tmp_path / "config.json"
    config.write_text(
        json.dumps(
            {"host": "127.0.0.1", "port": port, "lhm_url": lhm_replay_thread, "ping_host": ""}
        )
    )
    env = xdisplay.env()
    for key in ("LHM_URL", "TCP_HOST", "TCP_PORT"):
        env.pop(key, None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "nocturne", "--config", str(config)],
        env=env, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    log = tmp_path / "nocturne.log"
    try:
        window = xdisplay.find_window("NOCTURNE_OS")
        shots = artifacts_dir(tmp_path)
        wait_for_colour(xdisplay, shots / "tray-idle.png", COLOURS["idle"])  # amber: no device

        xdisplay.xdotool("mousemove", "--window", window, "8", "8", "click", "1")
        deadline = time.monotonic() + TIMEOUT
        while "Status: RUNNING · no devices" not in log.read_text(encoding="utf-8"):
            assert time.monotonic() < deadline, log.read_text(encoding="utf-8")
            time.sleep(0.1)

        device = connect_device(port)
        assert read_line(device)["ct"] == 54
        # The icon turns green within a refresh or two.
        wait_for_colour(xdisplay, shots / "tray-serving.png", COLOURS["serving"])

        proc.send_signal(signal.SIGTERM)
        assert proc.wait(TIMEOUT) == 0
        assert eof(device)
    finally:
        if proc.poll() is None:
            proc.kill()
    text = log.read_text(encoding="utf-8")
    assert "in the tray: RUNNING" in text and "Closing" in text


@pytest.mark.skipif(sys.platform == "win32", reason="uses the XDG backend")
def test_add_to_startup_starts_the_server_on_the_config_in_use(xdisplay, tmp_path, monkeypatch):
    """The menu item writes an entry that names the config the tray runs on, by its absolute
    path: at log-in the working directory is the home folder, where another file is found."""
    from nocturne.ui.tray import load_pystray, tray_for_config

    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    monkeypatch.chdir(tmp_path)
    (tmp_path / "my settings").mkdir()
    config = Path("my settings") / "config.json"  # relative, as typed after --config
    server = ServerThread(lambda: Config(host="127.0.0.1", port=free_port(), ping_host=""))
    app = tray_for_config(load_pystray(), server, config)  # not started: the menu needs no server
    try:
        next(i for i in app.icon.menu.items if str(i) == "Add to startup")(app.icon)
    finally:
        del app
        gc.collect()  # the icon closes its X connection when collected: while X is still up
    entry = tmp_path / "xdg" / "autostart" / "nocturne-os.desktop"
    exec_line = next(x for x in entry.read_text("utf-8").splitlines() if x.startswith("Exec="))
    command = shlex.split(exec_line.removeprefix("Exec=").replace("\\\\", "\\"))
    assert command[1:3] == ["-m", "nocturne"]
    assert command[-2:] == ["--config", str(tmp_path / "my settings" / "config.json")]
