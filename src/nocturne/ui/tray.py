"""The system-tray app: the server on a background thread, the icon and its menu on the main one.

Menu: Status (live, informational), Add to / Remove from startup, Restart Server, Open log,
Open config, the paired boards (● connected, ○ not), Close. The icon is drawn in code and
shows the state. Where the tray backend has no menu (pystray's plain X11 backend), a click
runs the default item, Status, which logs the status line (and shows it as a notification
where the backend can).
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import subprocess
import sys
import threading
import webbrowser
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw

from ..devices.pairing_status import paired_summary
from ..safe_text import printable
from .autostart import Autostart, for_this_platform
from .server_thread import ServerStatus, ServerThread

log = logging.getLogger(__name__)

ICON_SIZE = 64
REFRESH_S = 2.0  # how often the icon and the Status item follow the server's state

# Status dot colours: devices served / running without devices / LHM missing / stopped.
COLOURS = {
    "serving": (64, 220, 120, 255),
    "idle": (250, 190, 40, 255),
    "no-lhm": (240, 70, 60, 255),
    "stopped": (130, 130, 130, 255),
}


def icon_state(status: ServerStatus) -> str:
    if not status.running:
        return "stopped"
    if status.lhm_online is False:
        return "no-lhm"
    return "serving" if status.devices else "idle"


def draw_icon(state: str) -> Image.Image:
    """A tiny OLED with three bars, and a status dot in the state's colour."""
    img = Image.new("RGBA", (ICON_SIZE, ICON_SIZE), (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    d.rounded_rectangle((2, 8, 61, 52), radius=8, fill=(12, 14, 20, 255), outline=(200, 210, 230))
    for i, height in enumerate((14, 24, 18)):
        x = 12 + i * 13
        d.rectangle((x, 44 - height, x + 8, 44), fill=(220, 235, 255, 255))
    d.ellipse((40, 38, 62, 60), fill=COLOURS[state], outline=(12, 14, 20, 255), width=3)
    return img


def open_path(path: Path) -> None:
    """Open a file with the desktop's default program."""
    if sys.platform == "win32":
        os.startfile(path)  # type: ignore[attr-defined]
        return
    opener = "open" if sys.platform == "darwin" else "xdg-open"
    if shutil.which(opener) is None:
        log.warning("Cannot open %s: no '%s' on this system", path, opener)
        return
    subprocess.Popen([opener, str(path)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def update_label(updatable: tuple[str, ...]) -> str:
    """The tray's update entry: which boards a newer firmware waits for (issue 23, "ask")."""
    if not updatable:
        return "Update firmware (no board waits for one)"
    return printable(f"Update firmware: {', '.join(updatable)}")


def status_line(status: ServerStatus) -> str:
    """The status as the menu and tooltip show it; an error's text may quote a remote server."""
    return printable(status.text)


class TrayApp:
    """Owns the pystray Icon; every menu action is a method, so each can be tested."""

    def __init__(
        self,
        pystray: Any,
        server: ServerThread,
        autostart: Autostart,
        *,
        log_path: Path,
        config_path: Path,
        opener: Callable[[Path], None] = open_path,
        browser: Callable[[str], object] = webbrowser.open,
    ) -> None:
        self.pystray = pystray
        self.server = server
        self.autostart = autostart
        self.log_path = log_path
        self.config_path = config_path
        self.opener = opener
        self.browser = browser
        self.before_close: Callable[[], object] = lambda: None  # nocturne: the exit deadline
        self._state = ""
        self._closing = threading.Event()
        self._wake = threading.Event()
        self._loop_done = threading.Event()
        # pystray's X11 backend runs one request at a time correctly, so only one thread, the
        # refresher, ever changes the icon; actions ask it to refresh.
        self._refresher: threading.Thread | None = None
        status = server.status()
        self.icon = pystray.Icon(
            "nocturne_os", draw_icon(icon_state(status)), self._title(status), self.menu()
        )

    @staticmethod
    def _title(status: ServerStatus) -> str:
        return f"NOCTURNE_OS · {status_line(status)}"

    def menu(self) -> Any:
        item, menu = self.pystray.MenuItem, self.pystray.Menu
        return menu(
            item(lambda _: status_line(self.server.status()), self.show_status, default=True),
            item(
                lambda _: (
                    "Remove from startup" if self.autostart.is_enabled() else "Add to startup"
                ),
                self.toggle_startup,
            ),
            item(
                "Open dashboard",
                self.open_dashboard,
                enabled=lambda _: self.server.status().dashboard is not None,
            ),
            item(
                lambda _: update_label(self.server.status().updatable),
                self.update_boards,
                enabled=lambda _: bool(self.server.status().updatable),
            ),
            item("Restart Server", self.restart),
            item("Open log", self.open_log),
            item("Open config", self.open_config),
            item(lambda _: self.paired_text(), self.show_status),
            menu.SEPARATOR,
            item("Close", self.close),
        )

    def paired_text(self) -> str:
        """The paired boards, ● connected, ○ not (names only, never a token)."""
        status = self.server.status()
        return printable(paired_summary(status.paired, set(status.connected_boards)))

    # --- actions ---

    def show_status(self, *_: object) -> None:
        text = status_line(self.server.status())
        log.info("Status: %s; %s", text, self.paired_text())
        if getattr(self.icon, "HAS_NOTIFICATION", False):
            try:
                self.icon.notify(text, "NOCTURNE_OS")
            except Exception:
                log.debug("notification failed", exc_info=True)

    def update_boards(self, *_: object) -> None:
        started = self.server.request_update()
        log.info(
            "Tray: update over the air started for %s", printable(", ".join(started) or "none")
        )
        self._wake.set()

    def toggle_startup(self, *_: object) -> None:
        if self.autostart.is_enabled():
            self.autostart.disable()
            log.info("Removed from startup (%s)", self.autostart.location())
        else:
            self.autostart.enable()
            log.info("Added to startup (%s)", self.autostart.location())
        self._wake.set()

    def restart(self, *_: object) -> None:
        # Off the tray's thread: a restart takes a moment and the menu must stay responsive.
        threading.Thread(target=self._restart, name="nocturne-restart", daemon=True).start()

    def _restart(self) -> None:
        status = self.server.restart()
        log.info("Restarted: %s", status.text)
        self._wake.set()

    def open_dashboard(self, *_: object) -> None:
        url = self.server.status().dashboard
        if url is not None:
            self.browser(url)

    def open_log(self, *_: object) -> None:
        self.opener(self.log_path)

    def open_config(self, *_: object) -> None:
        self.opener(self.config_path)

    def close(self, *_: object) -> None:
        log.info("Closing")
        self.before_close()
        self._closing.set()
        self._wake.set()
        if self._refresher is not None and self._refresher is not threading.current_thread():
            self._refresher.join(REFRESH_S * 2)
        self.server.stop()
        self.icon.stop()
        self._make_sure_the_loop_ends()

    def _make_sure_the_loop_ends(self) -> None:
        """Called from another thread, pystray's X11 stop() can leave its loop waiting.

        It destroys its window from the loop's thread, but when another thread's X request
        happens to read the DestroyNotify event, the loop blocked on the socket never sees it
        (python-xlib's threaded mode). Closing the connection wakes it; the loop then ends.
        Menu clicks and signals run on the loop's own thread and never need this.
        """
        if self._loop_done.wait(1.0) or type(self.icon).__module__ != "pystray._xorg":
            return
        log.debug("tray loop still running after stop(); closing its X connection")
        with contextlib.suppress(Exception):
            self.icon._display.close()

    # --- state shown ---

    def refresh(self) -> None:
        status = self.server.status()
        state = icon_state(status)
        if state != self._state:
            self._state = state
            self.icon.icon = draw_icon(state)
        self.icon.title = self._title(status)
        if getattr(self.icon, "HAS_MENU", False):
            self.icon.update_menu()

    def _refresh_loop(self) -> None:
        while True:
            self._wake.wait(REFRESH_S)
            self._wake.clear()
            if self._closing.is_set():
                return
            try:
                self.refresh()
            except Exception:
                log.debug("tray refresh failed", exc_info=True)

    def _setup(self, icon: Any) -> None:
        icon.visible = True
        self._refresher = threading.Thread(
            target=self._refresh_loop, name="nocturne-tray", daemon=True
        )
        self._refresher.start()

    def run(self) -> None:
        """Blocks in the tray's event loop until Close."""
        enable_xorg_clicks(self.icon)  # before the loop: X requests from one thread at a time
        try:
            self.icon.run(setup=self._setup)
        finally:
            self._loop_done.set()


def tray_for_config(pystray: Any, server: ServerThread, config_path: Path) -> TrayApp:
    """The tray of the server on ``config_path``: its log beside the config, and start-at-login
    on that same config (the entry names it; at log-in another file would be found)."""
    return TrayApp(
        pystray,
        server,
        for_this_platform(config=config_path),
        log_path=config_path.parent / "nocturne.log",
        config_path=config_path,
    )


def enable_xorg_clicks(icon: Any) -> None:
    """Make clicks reach pystray's X11 icon (pystray 0.19.5 never asks X for ButtonPress).

    Its X11 backend handles ButtonPress by running the default item, but creates its window
    without ButtonPressMask, so no click ever arrives (pystray issue #151). Adding the mask is
    all that is missing. Other backends are left alone.
    """
    window = getattr(icon, "_window", None)
    if type(icon).__module__ != "pystray._xorg" or window is None:
        return
    from Xlib import X

    window.change_attributes(event_mask=X.ExposureMask | X.StructureNotifyMask | X.ButtonPressMask)
    icon._display.flush()


def load_pystray() -> Any:
    """pystray, or an exception saying why no tray is possible here (no display, no backend)."""
    import pystray

    return pystray
