"""``nocturne emulate --fs DIR`` with the board's own files in DIR, as ``nocturne flash``
leaves them (staged by its own code, .py or compiled .mpy): the emulated board runs those
files, boot.py first in the filesystem's root, on both runtimes, and a file swapped by
boot.py (as an update over the air stages it) runs from the next boot on. A folder without
firmware keeps today's behaviour: the firmware folder runs, its version stamped on DIR.

The files carry markers: boot.py and the package's ``__init__`` append a line to a file
outside the board's folder, so what ran is read back, not inferred.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
from pathlib import Path, PurePosixPath

import pytest
from nocturne_fw import font_medium as FM
from nocturne_fw import scene_ids as ids

from nocturne.emulator.cli import main as emulate_main
from nocturne.emulator.device import find_text
from nocturne.emulator.errors import EmulatorError
from nocturne.emulator.firmware_loader import board_firmware, fs_firmware
from nocturne.emulator.mp_runtime import MpDevice, device_factory, micropython_command
from nocturne.emulator.secrets_file import make_secrets
from nocturne.firmware_files import VERSION_FILE, board_files, find_firmware_dir, firmware_version
from nocturne.flash.board_secrets import Secrets, render_secrets
from nocturne.flash.mpy import PROBE, compiler_for, decode_mpy, parse_probe, stage_compiled
from nocturne.flash.staging import stage_firmware

from .conftest import Rig
from .test_emulate_cli import PtyEmulator, emulator_cmd

HEAP = 256 * 1024


def firmware_source(tmp_path: Path, mark: Path, label: str) -> Path:
    """The checkout's firmware with the markers in: boot.py logs ``boot <cwd>``, the package
    logs ``fw <label>`` when imported, boot.py moves an update staged in update/ into place,
    and the app calls machine.reset() after a tick once ``<mark>.reset`` exists."""
    src = tmp_path / f"src-{label}"
    shutil.copytree(find_firmware_dir(), src, ignore=shutil.ignore_patterns("__pycache__"))
    boot = (src / "boot.py").read_text()  # the test's lines first: boot.py imports the package
    with (src / "boot.py").open("w") as f:
        f.write(
            "import os\n"
            "for _n in ('__init__.mpy', '__init__.py'):\n"
            "    try:\n"
            "        os.rename('update/nocturne_fw/' + _n, 'nocturne_fw/' + _n)\n"
            "    except OSError:\n"
            "        pass\n"
            f"with open({str(mark)!r}, 'a') as _m:\n"
            "    _m.write('boot ' + os.getcwd() + '\\n')\n" + boot
        )
    with (src / "nocturne_fw" / "__init__.py").open("a") as f:
        f.write(f"\nwith open({str(mark)!r}, 'a') as _m:\n    _m.write('fw {label}\\n')\n")
    main = (src / "main.py").read_text()
    hook = f"""

_build_plain = build


def build(*args, **kw):
    import os

    app = _build_plain(*args, **kw)
    plain_tick = app.tick

    def tick():
        plain_tick()
        try:
            os.remove({str(mark) + ".reset"!r})
        except OSError:
            return
        machine.reset()

    app.tick = tick
    return app
"""
    end = '\n\nif __name__ == "__main__":'
    assert main.count(end) == 1
    (src / "main.py").write_text(main.replace(end, hook + end))
    return src


def flashed_fs(fs: Path, src: Path, compiler: list[str] | None) -> Path:
    """``fs`` holding ``src`` as nocturne flash copies it (its own staging code)."""
    fs.mkdir()
    secrets = render_secrets(Secrets("EMULATED", "emulated", "127.0.0.1", 1))
    stage_firmware(src, board_files(src), secrets, fs, compiler)
    (fs / "settings.json").write_text(json.dumps({"carousel": False}))
    return fs


def unix_port_compiler() -> list[str]:
    """mpy-cross for the unix port's own .mpy version, as nocturne flash picks it."""
    probe = subprocess.run([*micropython_command(), "-c", PROBE], capture_output=True, text=True)
    value = parse_probe(probe.stdout)
    assert value is not None, probe
    compiler, why = compiler_for(decode_mpy(value))
    assert compiler is not None, why
    return compiler


def test_a_folder_without_firmware_runs_the_firmware_folder(tmp_path: Path) -> None:
    fs = tmp_path / "fs"
    fs.mkdir()
    (fs / "settings.json").write_text("{}")
    assert fs_firmware(fs) is None
    fw, own = board_firmware(fs)
    assert (fw, own) == (find_firmware_dir(), False)
    assert (fs / VERSION_FILE).read_text().strip() == firmware_version(fw)
    (fs / "nocturne_fw").mkdir()  # a package without main.py is no firmware either
    assert fs_firmware(fs) is None


async def test_cpython_board_runs_the_files_on_its_fs(rig: Rig, tmp_path: Path) -> None:
    mark = tmp_path / "ran.log"
    fs = flashed_fs(tmp_path / "fs", firmware_source(tmp_path, mark, "v1"), None)
    version = (fs / VERSION_FILE).read_bytes()
    assert version.strip() != firmware_version(find_firmware_dir()).encode()  # not the checkout's
    emu = PtyEmulator(emulator_cmd(rig.port, "--fs", str(fs)), tmp_path)
    try:

        def hub() -> bool:
            pic, status = emu.screen()
            return status.startswith("HUB") and find_text(pic, "54", FM)

        await emu.until(hub, 20, "HUB with the capture's CPU temperature")
        emu.send(b"q")
        assert emu.proc.wait(10) == 0
    finally:
        emu.close()
    assert mark.read_text() == f"boot {fs}\nfw v1\n"  # boot.py first, in the board's root
    assert (fs / VERSION_FILE).read_bytes() == version  # what was flashed, left as it is
    assert b"Traceback" not in emu.out


async def test_micropython_board_runs_its_mpy_files_and_an_update_on_next_boot(
    rig: Rig, tmp_path: Path
) -> None:
    mark = tmp_path / "ran.log"
    compiler = unix_port_compiler()
    fs = flashed_fs(tmp_path / "fs", firmware_source(tmp_path, mark, "v1"), compiler)
    assert (fs / "nocturne_fw" / "__init__.mpy").is_file()
    assert not list((fs / "nocturne_fw").glob("*.py"))  # only bytecode: nothing else to run

    async def boot(n: int) -> None:
        log = tmp_path / f"board{n}.log"
        with log.open("wb") as out:
            dev = MpDevice("127.0.0.1", rig.port, secrets=make_secrets("127.0.0.1", rig.port),
                           fs_dir=fs, heap=HEAP, log=out)  # fmt: skip
            rig.emu.add(dev)
            try:
                await rig.until(lambda: dev.screen == ids.HUB and dev.lines > 0, 20, "live data")
                await rig.until(lambda: dev.find_text("54", FM), 3, "the CPU temperature")
            finally:
                dev.close()
                rig.emu.devices.remove(dev)
        text = log.read_text(errors="replace")
        assert "Traceback" not in text and "MemoryError" not in text, text[-3000:]

    await boot(1)
    assert mark.read_text() == f"boot {fs}\nfw v1\n"

    # An update staged beside the files; boot.py moves it into place at the next boot.
    v2 = firmware_source(tmp_path, mark, "v2")
    stage_compiled(v2, [PurePosixPath("nocturne_fw/__init__.py")], fs / "update", compiler)
    await boot(2)
    assert mark.read_text() == f"boot {fs}\nfw v1\nboot {fs}\nfw v2\n"
    assert not (fs / "update" / "nocturne_fw" / "__init__.mpy").exists()


def test_compiled_files_need_the_micropython_runtime(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """CPython cannot run .mpy: one line naming the fix, nothing imported from the folder."""
    fs = tmp_path / "fs"
    (fs / "nocturne_fw").mkdir(parents=True)
    (fs / "main.py").write_text("raise SystemExit('must not run')\n")
    (fs / "boot.py").write_text("raise SystemExit('must not run')\n")
    (fs / "nocturne_fw" / "app.mpy").write_bytes(b"M\x06\x00\x1f")
    assert emulate_main(["--port", "1", "--fs", str(fs), "--headless", "--seconds", "1"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("nocturne emulate: ") and err.count("\n") == 1
    assert "nocturne_fw/app.mpy" in err and "--runtime micropython" in err

    args = argparse.Namespace(runtime="micropython", mpy=True, fs=str(fs), heap=None)
    with pytest.raises(EmulatorError, match="drop --mpy"):
        device_factory(args)


@pytest.mark.parametrize("runtime", ["cpython", "micropython"])
async def test_machine_reset_boots_the_update_staged_on_the_fs(
    rig: Rig, tmp_path: Path, runtime: str
) -> None:
    """An update staged in the board's folder while it runs; the firmware calls
    machine.reset(); ``nocturne emulate`` starts the board again on the same folder, boot.py
    moves the update into place, and the new files run and reach live data."""
    mark = tmp_path / "ran.log"
    compiler = unix_port_compiler() if runtime == "micropython" else None
    fs = flashed_fs(tmp_path / "fs", firmware_source(tmp_path, mark, "v1"), compiler)
    emu = PtyEmulator(emulator_cmd(rig.port, "--fs", str(fs), "--runtime", runtime), tmp_path)
    try:

        def hub() -> bool:
            pic, status = emu.screen()
            return status.startswith("HUB") and find_text(pic, "54", FM)

        await emu.until(hub, 20, "HUB with live data")
        v2 = firmware_source(tmp_path, mark, "v2")
        init = PurePosixPath("nocturne_fw/__init__.py")
        if compiler is None:
            (fs / "update" / "nocturne_fw").mkdir(parents=True)
            shutil.copyfile(v2 / "nocturne_fw" / "__init__.py", fs / "update" / init)
        else:
            stage_compiled(v2, [init], fs / "update", compiler)
        emu.out.clear()
        Path(f"{mark}.reset").touch()
        await emu.until(lambda: "fw v2" in mark.read_text() and hub(), 20, "v2 with live data")
        emu.send(b"q")
        assert emu.proc.wait(10) == 0
    finally:
        emu.close()
    assert mark.read_text() == f"boot {fs}\nfw v1\nboot {fs}\nfw v2\n"
    assert b"machine.reset(): the board restarts" in emu.out
    assert b"Traceback" not in emu.out
