"""A private X server (Xvfb) with a real system tray (trayer), for tray tests."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

NEEDED = ("Xvfb", "trayer", "xdotool")


class XDisplay:
    def __init__(self, name: str, procs: list[subprocess.Popen]) -> None:
        self.name = name
        self.procs = procs

    def env(self) -> dict[str, str]:
        return {**os.environ, "DISPLAY": self.name}

    def xdotool(self, *args: str) -> str:
        done = subprocess.run(
            ["xdotool", *args], capture_output=True, text=True, env=self.env(), timeout=10
        )
        return done.stdout.strip()

    def find_window(self, name: str, timeout: float = 15.0) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.xdotool("search", "--name", name)
            if found:
                return found.splitlines()[0]
            time.sleep(0.1)
        raise AssertionError(f"no window named {name!r} on {self.name}")

    def screenshot(self, path: Path) -> Path:
        """The whole screen as a PNG, read through python-xlib (what pystray uses)."""
        from PIL import Image
        from Xlib import X, display

        d = display.Display(self.name)
        try:
            root = d.screen().root
            g = root.get_geometry()
            raw = root.get_image(0, 0, g.width, g.height, X.ZPixmap, 0xFFFFFFFF)
            Image.frombytes("RGB", (g.width, g.height), raw.data, "raw", "BGRX").save(path)
        finally:
            d.close()
        return path


def start_xdisplay() -> XDisplay:
    missing = [tool for tool in NEEDED if shutil.which(tool) is None]
    if missing:
        pytest.fail(
            f"{', '.join(missing)} missing: ./test.sh installs them "
            "(apt-get install xvfb trayer xdotool)"
        )
    read_fd, write_fd = os.pipe()
    xvfb = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write_fd), "-screen", "0", "640x200x24", "-nolisten", "tcp"],
        pass_fds=(write_fd,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write_fd)
    with os.fdopen(read_fd) as r:
        number = r.readline().strip()
    if not number:
        xvfb.kill()
        pytest.fail("Xvfb did not start")
    name = f":{number}"
    trayer = subprocess.Popen(
        ["trayer", "--edge", "top", "--align", "right", "--widthtype", "pixel", "--width", "240",
         "--height", "40", "--transparent", "false", "--tint", "0x202020", "--SetDockType", "true"],
        env={**os.environ, "DISPLAY": name},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    xd = XDisplay(name, [trayer, xvfb])
    xd.find_window("panel")
    return xd


def stop_xdisplay(xd: XDisplay) -> None:
    for proc in xd.procs:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
