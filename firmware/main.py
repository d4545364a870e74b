"""NOCTURNE_OS entry point: MicroPython runs this after boot.py.

Board power-up and pins come from nocturne_fw.board (revision from
secrets.BOARD), then the app's tick loop runs forever. Without a usable
secrets.py the screen says so (and how to fix it) instead of crashing.

The emulator calls ``build(secrets=..., board_rev=...)`` with its own values
and ticks the returned App itself (``app.tick()``), or ``run(...)`` to loop.
"""

import machine
from nocturne_fw import app as A
from nocturne_fw import board
from nocturne_fw.net import Link
from nocturne_fw.scenes import Renderer
from nocturne_fw.settings import Settings

_NEEDED = ("WIFI_SSID", "WIFI_PASSWORD", "SERVER_HOST")


def load_secrets():
    """The secrets module, or None if it is missing or lacks a needed name."""
    try:
        import secrets
    except ImportError:
        return None
    for name in _NEEDED:
        if not isinstance(getattr(secrets, name, None), str):
            return None  # on CPython this is the stdlib module of that name
    return secrets


def build(secrets=None, board_rev=None):
    """Power the board up and wire the app; return it without starting the loop."""
    if secrets is None:
        secrets = load_secrets()
    rev = board_rev or getattr(secrets, "BOARD", board.DEFAULT_REVISION)
    try:
        b = board.Board(rev)
    except ValueError:
        b = board.Board()
    settings = Settings()
    settings.load()
    oled = b.oled(contrast=settings.contrast, flip=settings.flip)
    pwm = b.led_pwm()

    def led(level):  # 0..255 -> 16-bit duty
        pwm.duty_u16(level * 257)

    link = None
    if secrets is not None:
        import socket

        import network

        wlan = network.WLAN(network.STA_IF)
        port = getattr(secrets, "SERVER_PORT", 8090)
        link = Link(
            wlan, socket, secrets.WIFI_SSID, secrets.WIFI_PASSWORD, secrets.SERVER_HOST, port, None
        )
    wdt = machine.WDT(timeout=A.WDT_MS)
    app = A.App(
        oled,
        b.button_pin().value,
        settings,
        link=link,
        renderer=Renderer(),
        led=led,
        wdt=wdt,
        secrets_ok=secrets is not None,
    )
    return app


def run(secrets=None, board_rev=None):
    build(secrets, board_rev).run()


if __name__ == "__main__":
    run()
