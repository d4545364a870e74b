"""NOCTURNE_OS entry point: MicroPython runs this after boot.py.

Board power-up and pins come from nocturne_fw.board (revision from
secrets.BOARD), then the app's tick loop runs forever. Without a usable
secrets.py the screen says so (and how to fix it) instead of crashing.

The emulator builds several boards in one process: it passes each one's secrets,
filesystem root (where settings.json lives), WLAN and socket module to ``build()``
and ticks the returned App itself (``app.tick()``). On a board every one defaults:
``import secrets``, the current directory, the station interface, ``import socket``.
"""

import gc

import machine
from nocturne_fw import app as A
from nocturne_fw import board
from nocturne_fw.net import MEMO_PATH, Link
from nocturne_fw.settings import PATH as SETTINGS_FILE
from nocturne_fw.settings import Settings
from nocturne_fw.survive import LOG_PATH

# The compiler's garbage from the imports above goes before the largest module is compiled:
# left for the collector to find when an allocation fails, it splits the heap so that the
# 64-bit unix port could not boot in 256 KB (a 4.7 KB block missing).
gc.collect()
from nocturne_fw.scenes import Renderer  # noqa: E402

# The firmware's version (issue 23), hex digits written by `nocturne flash` (and the
# emulator) beside main.py; sent as an "fw:<version>" line after HELO on every connect
# (PROTOCOL.md). Without the file (older firmware, a hand copy) nothing is sent.
VERSION_PATH = "fw_version"
_VERSION_MAX = 64

_NEEDED = ("WIFI_SSID", "WIFI_PASSWORD", "SERVER_HOST")  # in the order Link takes them


def usable_secrets(secrets):
    """``secrets``, or None if it lacks a needed name."""
    for name in _NEEDED:
        if not isinstance(getattr(secrets, name, None), str):
            return None
    return secrets


def load_secrets():
    """The secrets module, or None if it is missing or lacks a needed name."""
    try:
        import secrets
    except ImportError:
        return None
    return usable_secrets(secrets)  # on CPython this finds the stdlib module of that name


def on_fs(fs_root, name):
    """``name`` inside the directory ``fs_root`` ("" or None: the current directory)."""
    if not fs_root:
        return name
    return fs_root + name if fs_root.endswith("/") else fs_root + "/" + name


def version_line(path):
    # b"fw:<version>\n" from the version file, b"" when there is none (read once, at boot).
    try:
        with open(path, "rb") as f:
            version = f.read(_VERSION_MAX + 1).strip()
    except OSError:
        return b""
    if not version or len(version) > _VERSION_MAX:
        return b""
    return b"fw:" + version + b"\n"


def build(secrets=None, board_rev=None, fs_root=None, wlan=None, socket_mod=None):
    """Power the board up and wire the app; return it without starting the loop.

    ``secrets`` None: ``import secrets``; an object lacking a needed name: no secrets."""
    if secrets is None:
        secrets = load_secrets()
    else:
        secrets = usable_secrets(secrets)
    rev = board_rev or getattr(secrets, "BOARD", board.DEFAULT_REVISION)
    try:
        b = board.Board(rev)
    except ValueError:
        b = board.Board()
    settings = Settings(on_fs(fs_root, SETTINGS_FILE))
    settings.load()
    oled = b.oled(contrast=settings.contrast, flip=settings.flip)
    pwm = b.led_pwm()

    def led(level):  # 0..255 -> 16-bit duty
        pwm.duty_u16(level * 257)

    link = None
    if secrets is not None:
        if socket_mod is None:
            import socket as socket_mod
        if wlan is None:
            import network

            wlan = network.WLAN(network.STA_IF)
        ssid, password, host = [getattr(secrets, name) for name in _NEEDED]
        port = getattr(secrets, "SERVER_PORT", 8090)
        name = getattr(secrets, "SERVER_NAME", "")  # the PC to pick when several answer
        token = getattr(secrets, "SERVER_TOKEN", "")  # HELO <token>: this board is paired
        memo = on_fs(fs_root, MEMO_PATH)  # the address a search found, for the next boot
        link = Link(wlan, socket_mod, ssid, password, host, port, None, name, token, memo)
        link.helo += version_line(on_fs(fs_root, VERSION_PATH))  # one send on connect
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
        errors_log=on_fs(fs_root, LOG_PATH),
        reset=machine.reset,
    )
    if link is not None:
        updates(app, link, getattr(secrets, "SERVER_TOKEN", "") or "", fs_root)
    ntp_host = getattr(secrets, "NTP_HOST", "") if secrets is not None else ""
    if ntp_host and link is not None:  # NTP while the server stays away (desk.py)
        app.desk.use_ntp(ntp_host, socket_mod)
    app.desk.wall.use_rtc(machine.RTC())  # set from the server's tm (UTC, as ntptime would)
    return app


def updates(app, link, token, fs_root):
    """Updates over the air (issue 23; PROTOCOL.md): what the server hears of them on
    connect and a new version's trial (nocturne_fw/ota_trial.py); on a paired board, the
    ``UP`` lines go to the receiver (ota_rx.py), imported when an update starts and let go
    of when it ends, every other line to the app as before."""
    from nocturne_fw import ota_trial

    token = token.strip()
    nonce = ota_trial.setup(app, link, token, fs_root)
    if nonce is None:
        return
    feed = link.on_line
    rx = {}  # 0: the receiver while an update runs

    def on_line(line):
        if len(line) > 3 and line[0] == 85 and line[1] == 80 and line[2] == 32:  # "UP "
            r = rx.get(0)
            if r is None:
                if line[3] != 109:  # only "UP m" starts one
                    return
                try:
                    from nocturne_fw import ota_rx

                    r = rx[0] = ota_rx.Receiver(link, token, fs_root, nonce, app.reset)
                except MemoryError:  # no room to load it now: the server hears so
                    try:
                        link._send(b"ota:refused no memory\n")
                    except OSError:
                        pass
                    return
            if r.take(line):
                rx.clear()
        else:
            feed(line)

    link.on_line = on_line


def run(secrets=None, board_rev=None):
    build(secrets, board_rev).run()


if __name__ == "__main__":
    run()
