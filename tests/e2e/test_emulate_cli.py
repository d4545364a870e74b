"""`python -m nocturne.emulator` (= `nocturne emulate`) as a user runs it, next to a real
`nocturne --console`: the terminal view read back from a pseudo-terminal, PNG frames, the
Tk window on a private X server, keys, faults, and a clean exit."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import select
import shutil
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest
from nocturne_fw import font_medium as FM
from nocturne_fw import font_small as FS
from PIL import Image

from nocturne.emulator.cli import add_subparser
from nocturne.emulator.cli_options import parse_fault
from nocturne.emulator.device import find_text
from nocturne.emulator.views import read_halfblocks
from tests.harness.rig import server_env

from .conftest import Rig

ANSI = re.compile(rb"\x1b\[[0-9;?]*[A-Za-z]")


def emulator_cmd(port: int, *args: str) -> list[str]:
    return [sys.executable, "-m", "nocturne.emulator", "--port", str(port), *args]


class PtyEmulator:
    """The emulator on a pseudo-terminal; ``screen()`` is the last frame it drew."""

    def __init__(self, cmd: list[str], cwd: Path) -> None:
        self.master, slave = os.openpty()
        self.slave_attrs = termios.tcgetattr(slave)
        self.proc = subprocess.Popen(
            cmd,
            stdin=slave,
            stdout=slave,
            stderr=slave,
            cwd=cwd,
            env=server_env(),
            start_new_session=True,
        )
        self.slave = slave
        self.out = bytearray()

    def pump(self) -> None:
        while select.select([self.master], [], [], 0)[0]:
            try:
                data = os.read(self.master, 65536)
            except OSError:  # EIO: the other side is gone
                return
            if not data:
                return
            self.out += data

    def frames(self) -> list[bytes]:
        return bytes(self.out).split(b"\x1b[H")[1:]

    def screen(self) -> tuple[list[list[int]], str]:
        """The picture and the status line of the last complete frame."""
        frames = [f for f in self.frames() if f.count(b"\r\n") >= 33]
        assert frames, bytes(self.out[-2000:])
        text = ANSI.sub(b"", frames[-1]).decode()
        lines = [line.rstrip("\r") for line in text.split("\n")]  # the tty adds CRs
        return read_halfblocks(lines[:32]), lines[32]

    async def until(self, cond, timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.pump()
            try:
                if cond():
                    return
            except AssertionError:
                pass
            await asyncio.sleep(0.05)
        tail = ANSI.sub(b"", bytes(self.out[-3000:])).decode(errors="replace")
        raise AssertionError(f"emulator: not within {timeout} s: {what}\n{tail}")

    def send(self, keys: bytes) -> None:
        os.write(self.master, keys)

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        os.close(self.master)
        os.close(self.slave)


async def test_terminal_view_live_data_keys_and_quit(rig: Rig, tmp_path: Path):
    emu = PtyEmulator(emulator_cmd(rig.port, "--fs", str(tmp_path / "fs")), tmp_path)
    try:

        def hub() -> bool:
            pic, status = emu.screen()
            return status.startswith("HUB") and find_text(pic, "54", FM)

        await emu.until(hub, 15, "HUB with the capture's CPU temperature")
        pic, status = emu.screen()
        assert len(pic) == 64 and all(len(row) == 128 for row in pic)
        assert find_text(pic, "HUB", FS) and "UP" in status
        assert b"\x1b[38;2;" in emu.out  # coloured (white OLED by default)
        emu.send(b" ")  # short press: next scene
        await emu.until(lambda: emu.screen()[1].startswith("CPU "), 5, "CPU after a press")
        assert find_text(emu.screen()[0], "CPU", FS)
        emu.send(b"w")  # WiFi gone
        await emu.until(lambda: "WIFI OFF" in emu.screen()[1], 5, "WiFi off")
        emu.send(b"w")
        emu.send(b"q")
        code = await asyncio.wait_for(asyncio.to_thread(emu.proc.wait), 10)
        emu.pump()
        assert code == 0
        assert emu.out.rstrip().endswith(b"\x1b[?25h")  # cursor shown again
        assert b"Traceback" not in emu.out
        assert termios.tcgetattr(emu.slave) == emu.slave_attrs  # the terminal restored
    finally:
        emu.close()


async def test_png_frames_and_scheduled_faults(rig: Rig, tmp_path: Path):
    out = tmp_path / "frames"
    cmd = emulator_cmd(
        rig.port, "--headless", "--png", str(out), "--seconds", "4.5", "--press-every", "2.5",
        "--fault", "garbage@2", "--fs", str(tmp_path / "fs"),
    )  # fmt: skip
    proc = await asyncio.create_subprocess_exec(
        *cmd, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=server_env()
    )
    _, stderr = await asyncio.wait_for(proc.communicate(), 20)
    assert proc.returncode == 0, stderr.decode()
    assert b"Traceback" not in stderr, stderr.decode()
    index = (out / "frames.txt").read_text().splitlines()
    names = [line.split(" ", 2)[2] for line in index]
    assert names[0] == "BOOT" and "HUB" in names and names[-1] == "CPU", names
    frames = sorted(out.glob("frame_*.png"))
    assert len(frames) == len(index)
    hub = frames[names.index("HUB")]
    img = Image.open(hub)
    assert img.size == (512, 256)  # scale 4
    small = img.convert("L").resize((128, 64), Image.NEAREST)
    pic = [[1 if small.getpixel((x, y)) > 60 else 0 for x in range(128)] for y in range(64)]
    assert find_text(pic, "HUB", FS) and find_text(pic, "54", FM)
    assert "HUB" in stderr.decode() and "CPU" in stderr.decode()  # headless status lines


def test_cli_options():
    parser = argparse.ArgumentParser(prog="nocturne")
    sub = parser.add_subparsers(dest="command")
    add_subparser(sub)
    args = parser.parse_args(["emulate", "--board", "v4r8", "--window", "--fault", "wifi@3:2"])
    assert args.board == "v4r8" and args.window and args.port is None
    assert args.fault[0].kind == "wifi" and args.fault[0].duration == 2
    with pytest.raises(argparse.ArgumentTypeError):
        parse_fault("lightning@3")
    with pytest.raises(SystemExit):
        parser.parse_args(["emulate", "--board", "v5"])


async def test_missing_secrets_screen(tmp_path: Path):
    cmd = [sys.executable, "-m", "nocturne.emulator", "--secrets", "none", "--headless",
           "--png", str(tmp_path / "f"), "--seconds", "2.5"]  # fmt: skip
    done = await asyncio.to_thread(subprocess.run, cmd, capture_output=True, timeout=20)
    assert done.returncode == 0, done.stderr.decode()
    names = [line.split(" ", 2)[2] for line in (tmp_path / "f/frames.txt").read_text().splitlines()]
    assert names[-1] == "NO SECRETS"


def window_picture(display: str, wid: int, scale: int = 4, border: int = 12) -> list[list[int]]:
    """The panel as the window shows it, read back from the X server (python-xlib)."""
    from Xlib import X
    from Xlib import display as xdisplay

    d = xdisplay.Display(display)
    try:
        win = d.create_resource_object("window", wid)
        w, h = 128 * scale, 64 * scale
        raw = win.get_image(border, border, w, h, X.ZPixmap, 0xFFFFFFFF)
        img = Image.frombytes("RGB", (w, h), raw.data, "raw", "BGRX").convert("L")
    finally:
        d.close()
    c = scale // 2
    return [
        [1 if img.getpixel((x * scale + c, y * scale + c)) > 60 else 0 for x in range(128)]
        for y in range(64)
    ]


async def test_window_view_on_a_private_x_server(rig: Rig, tmp_path: Path):
    missing = [t for t in ("Xvfb", "xdotool") if shutil.which(t) is None]
    if missing:
        pytest.fail(f"{', '.join(missing)} missing: apt-get install xvfb xdotool")
    display = f":{40 + os.getpid() % 200}"
    xvfb = subprocess.Popen(
        ["Xvfb", display, "-screen", "0", "800x600x24", "-nolisten", "tcp"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    env = {**server_env(), "DISPLAY": display}
    out = tmp_path / "frames"
    emu = subprocess.Popen(
        emulator_cmd(rig.port, "--window", "--png", str(out), "--seconds", "20",
                     "--fs", str(tmp_path / "fs")),
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:

        def xdotool(*args: str) -> str:
            return subprocess.run(
                ["xdotool", *args], capture_output=True, text=True, env=env, timeout=10
            ).stdout.strip()

        def shown() -> list[str]:
            try:
                lines = (out / "frames.txt").read_text().splitlines()
            except OSError:
                return []
            return [line.split(" ", 2)[2] for line in lines]

        deadline = time.monotonic() + 15
        win = ""
        while time.monotonic() < deadline and not (win and "HUB" in shown()):
            win = xdotool("search", "--name", "NOCTURNE_OS emulator")
            await asyncio.sleep(0.1)
        assert win and "HUB" in shown(), (win, shown(), emu.poll())
        wid = win.splitlines()[0]
        geometry = xdotool("getwindowgeometry", wid)
        assert "Geometry: 536x" in geometry, geometry  # 128 px x 4, plus a 12 px border
        deadline = time.monotonic() + 5  # Tk paints when idle: give it a moment
        while True:
            pic = window_picture(display, int(wid))
            if find_text(pic, "HUB", FS) and find_text(pic, "54", FM):
                break
            assert time.monotonic() < deadline, "the window does not show the HUB scene"
            await asyncio.sleep(0.1)
        xdotool("windowfocus", "--sync", wid)
        xdotool("key", "--window", wid, "space")
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and shown()[-1] != "CPU":
            await asyncio.sleep(0.1)
        assert shown()[-1] == "CPU", shown()
        xdotool("key", "--window", wid, "q")
        code = await asyncio.wait_for(asyncio.to_thread(emu.wait), 10)
        assert code == 0, emu.stderr.read().decode()
    finally:
        if emu.poll() is None:
            emu.kill()
            emu.wait()
        xvfb.kill()
        xvfb.wait()


def test_broken_config_is_one_clear_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    from nocturne.emulator.cli import main

    config = tmp_path / "config.json"
    config.write_text('{"port": "eighty"}', encoding="utf-8")
    assert main(["--config", str(config), "--headless", "--seconds", "0"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("nocturne emulate: ") and str(config) in err and "port" in err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_firmware_not_found_names_the_way_out(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    from nocturne.emulator.cli import main

    missing = tmp_path / "no-firmware"
    assert main(["--port", "1", "--firmware-dir", str(missing), "--headless"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("nocturne emulate: ") and str(missing) in err
    assert "--firmware-dir" in err and "NOCTURNE_FIRMWARE" in err and err.count("\n") == 1


async def test_text_lines_carry_the_strings_on_the_glass(rig: Rig, tmp_path: Path):
    cmd = emulator_cmd(
        rig.port, "--headless", "--text", "--seconds", "3.5", "--press-every", "1.5",
        "--fs", str(tmp_path / "fs"),
    )  # fmt: skip
    proc = await asyncio.create_subprocess_exec(
        *cmd, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=server_env()
    )
    stdout, stderr = await asyncio.wait_for(proc.communicate(), 20)
    assert proc.returncode == 0, stderr.decode()
    lines = stdout.decode().splitlines()
    assert lines and all(line.startswith("text [") for line in lines), lines[:3]
    frames = [json.loads(line.removeprefix("text ")) for line in lines]
    assert ["NOCTURNE", "_OS", "FW 0.1", "PROTOCOL V1"] in frames  # the boot screen
    # The CPU scene, on the capture: "54,1 °C", CPU package "41,9 W", "4474,0 MHz" average.
    cpu = next(f for f in frames if f[:2] == ["CPU", "LOAD"])
    assert {"54°", "42 W", "4474 MHz"} <= set(cpu), cpu
    assert "CPU" in stderr.decode()  # the status lines stay on stderr
