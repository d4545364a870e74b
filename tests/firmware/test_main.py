"""firmware/main.py wired to the emulator: real SSD1306 driver -> virtual panel over the
machine shim, network shim, and a real TCP server on localhost. The loop is driven by a
ManualClock (``App.run`` replaced by N ticks), so nothing sleeps."""

import socket
import sys
import threading
import types

import machine
import network
import pytest
from nocturne_fw import app as A
from nocturne_fw import clock
from nocturne_fw import scene_ids as ids
from nocturne_fw import settings as S

from nocturne.emulator.lwip_socket import Faults, LwipSocketModule
from nocturne.emulator.ssd1306_virtual import VirtualSSD1306

LINE = b'{"ct":52,"cl":18,"gt":47,"gl":63,"ru":17.3,"ra":31.9,"nd":812,"nu":38}\n'


@pytest.fixture
def rig(tmp_path, monkeypatch):
    machine.reset_all()
    network.sim.reset()
    panel = VirtualSSD1306()
    machine.bus(0).attach(0x3C, panel)
    clk = clock.ManualClock(0)
    clock.set_source(clk)
    monkeypatch.chdir(tmp_path)  # settings.json lands here
    apps = []
    sys.modules.pop("main", None)
    import main

    def run(**kw):
        apps.append(main.build(**kw))

    yield types.SimpleNamespace(panel=panel, clk=clk, apps=apps, main=main, run=run)
    clock.set_source(None)


def ticks(app, clk, ms):
    for _ in range(ms // A.TICK_MS):
        app.tick()
        clk.advance(A.TICK_MS)


def test_missing_secrets_shows_the_fix(rig):
    rig.run(secrets=None)
    app = rig.apps[0]
    assert not app.secrets_ok and app.link is None
    ticks(app, rig.clk, A.BOOT_MS + 100)
    assert app.screen == ids.SYS_SECRETS
    assert rig.panel.lit and any(any(row) for row in rig.panel.picture())
    assert machine.wdt is not None and machine.wdt.feeds > 0
    assert machine.wdt.timeout == A.WDT_MS


def test_stdlib_secrets_module_is_not_mistaken_for_ours(rig, monkeypatch):
    import secrets as found

    # On CPython `import secrets` finds the standard library's module: no WIFI_SSID.
    assert not hasattr(found, "WIFI_SSID")
    assert rig.main.load_secrets() is None
    ours = types.ModuleType("secrets")
    ours.WIFI_SSID, ours.WIFI_PASSWORD, ours.SERVER_HOST = "NightNet", "pw", "10.0.0.2"
    monkeypatch.setitem(sys.modules, "secrets", ours)
    assert rig.main.load_secrets() is ours
    ours.SERVER_HOST = None  # a needed name that is not text
    assert rig.main.load_secrets() is None


def test_end_to_end_over_real_tcp(rig):
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)
    port = srv.getsockname()[1]
    got = []

    def serve():
        conn, _ = srv.accept()
        conn.settimeout(5)
        got.append(conn.recv(64))
        conn.sendall(LINE)
        got.append(conn)

    th = threading.Thread(target=serve, daemon=True)
    th.start()
    secrets = types.SimpleNamespace(
        WIFI_SSID="NightNet",
        WIFI_PASSWORD="pw",
        SERVER_HOST="127.0.0.1",
        SERVER_PORT=port,
        BOARD="v4",
    )
    # CPython's sockets have no readinto: the emulator's lwIP-like socket has, as boards do
    rig.run(secrets=secrets, socket_mod=LwipSocketModule(Faults()))
    app = rig.apps[0]
    app.settings.carousel = False
    ticks(app, rig.clk, A.BOOT_MS + 200)
    th.join(5)
    assert got and got[0].startswith(b"HELO\n")
    for _ in range(200):  # the line crosses a real socket: give it real time
        ticks(app, rig.clk, 10)
        if app.state.serial:
            break
        threading.Event().wait(0.005)
    assert app.state.txt["ct"] == "52"
    ticks(app, rig.clk, 20)
    assert app.screen == 0
    # the panel shows what the app drew
    assert rig.panel.framebuffer() == bytes(app.oled.buf[1:])
    got[1].close()
    srv.close()
    rig.panel.to_image(scale=1)


def test_settings_file_applied_at_start(rig, tmp_path):
    s = S.Settings()
    s.contrast = 16
    s.flip = True
    s.save()
    rig.run(secrets=None)
    assert rig.panel.contrast == 16
