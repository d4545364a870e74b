"""``nocturne flash`` for real: a run with a fake runner, and the installed ``mpremote`` copying
to a stand-in board on a pseudo-terminal (tests/host/fakes/raw_repl_board.py) that speaks
MicroPython's raw REPL and raw-paste protocol and keeps its filesystem in a temporary
directory; the CLI wiring, waiting for the port, a frozen build."""

from __future__ import annotations

import argparse
import json
import os
import stat
import subprocess
import sys
import time
from pathlib import Path, PurePosixPath
from typing import Any

import pytest
from serial.tools.list_ports_common import ListPortInfo

from nocturne import flash
from nocturne.firmware_files import firmware_version
from nocturne.flash import FlashError, FlashPlan, Secrets

from .flash_helpers import (
    EXPECTED_FILES,
    HAS_PTY,
    REPO_FIRMWARE,
    TRICKY_PASSWORD,
    esp32s3_image,
    flash_args,
    make_firmware_tree,
    needs_pty,
    port_info,
)

# --- a real run with a fake runner ---------------------------------------------------------


def test_real_run_order_and_esptool_failure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fw = make_firmware_tree(tmp_path)
    image = esp32s3_image(tmp_path / "mp.bin")
    secrets = Secrets("n", "p" * 8, "10.0.0.9", 8090)
    files = tuple(flash.firmware_files(fw))
    plan = FlashPlan("/dev/ttyACM0", fw, files, secrets, flash.DRY_RUN_STAGE, image)
    seen: list[list[str]] = []
    staged: list[set[str]] = []

    def runner(command: Any) -> int:
        seen.append(list(command))
        if "mpremote" in command:
            stage = Path(command[command.index("-r") + 1]).parent
            staged.append(
                {p.relative_to(stage).as_posix() for p in stage.rglob("*") if p.is_file()}
            )
        return 0

    flash.execute_plan(plan, runner, wait=False)
    assert [c[2] for c in seen] == ["esptool", "esptool", "mpremote"]
    assert seen[:2] == plan.esptool_commands()
    assert staged == [set(EXPECTED_FILES) | {"secrets.py", "fw_version"}]
    stage_dir = Path(seen[2][seen[2].index("-r") + 1]).parent
    assert not stage_dir.exists()  # the temporary folder is removed again

    with pytest.raises(FlashError, match="PRG"):
        flash.execute_plan(plan, lambda c: 2, wait=False)


# --- the real mpremote against a stand-in board --------------------------------------------


@pytest.fixture
def board(tmp_path: Path) -> Any:
    if not HAS_PTY:
        pytest.skip("pseudo-terminals are POSIX only")
    from tests.host.fakes.raw_repl_board import RawReplBoard

    root = tmp_path / "board"
    root.mkdir()
    with RawReplBoard(root) as fake:
        yield fake


def wait_for(predicate: Any, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return predicate()


def board_tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def timed_runner(command: Any) -> int:
    """run_command, but a stuck mpremote fails the test in two minutes, not fifteen."""
    return subprocess.run(list(command), check=False, timeout=120).returncode


def port_like_usb(board: Any, tmp_path: Path) -> str:
    """A name for the board's pty that mpremote treats as a real serial port.

    mpremote (1.27+) reads a ``/dev/pts/N`` path with blocking reads; any other name gets the
    code path real USB ports get (polling inWaiting() with timeouts). A symlink gives that.
    """
    link = tmp_path / "ttyACM0"
    if not link.exists():
        link.symlink_to(board.device)
    return str(link)


def run_flash_against(
    board: Any, fw: Path, tmp_path: Path, *extra: str, port: str | None = None
) -> int:
    """``nocturne flash`` with no --firmware: its real mpremote step, against ``board``."""
    config = tmp_path / "config.json"
    config.write_text('{"port": 9091}')
    argv = ["--port", port or board.device, "--ssid", "Home 'Net'", "--password", TRICKY_PASSWORD,
            "--host", "192.168.1.20", "--firmware-dir", str(fw), "--config", str(config),
            *extra]  # fmt: skip
    return flash.run(flash_args(*argv), runner=timed_runner)


def check_board_holds(board: Any, fw: Path, config: Path | None = None) -> None:
    root = board.fs.root
    files = board_tree(root)
    expected = {rel: (fw / rel).read_bytes() for rel in EXPECTED_FILES}
    generated = ("secrets.py", "fw_version")
    assert {k: v for k, v in files.items() if k not in generated} == expected  # byte-identical
    assert files["fw_version"] == firmware_version(fw).encode() + b"\n"
    namespace: dict[str, Any] = {}
    exec(files["secrets.py"].decode("utf-8"), namespace)
    assert namespace["WIFI_SSID"] == "Home 'Net'"
    assert namespace["WIFI_PASSWORD"] == TRICKY_PASSWORD
    assert (namespace["SERVER_HOST"], namespace["SERVER_PORT"]) == ("192.168.1.20", 9091)
    assert namespace["BOARD"] == "v4"
    assert namespace["SERVER_NAME"] == ""
    if config is not None:  # the token the board got is the one config.json pairs it with
        data = json.loads(config.read_text())
        assert data["port"] == 9091  # the rest of the file as it was
        assert data["device_tokens"] == {"board": namespace["SERVER_TOKEN"]}
        assert len(namespace["SERVER_TOKEN"]) == 22
        if os.name == "posix":
            assert stat.S_IMODE(config.stat().st_mode) == 0o600


@needs_pty
def test_real_mpremote_copies_the_tree_and_resets(
    board: Any, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    fw = make_firmware_tree(tmp_path)
    port = port_like_usb(board, tmp_path)
    assert run_flash_against(board, fw, tmp_path, port=port) == 0, capfd.readouterr()
    check_board_holds(board, fw, tmp_path / "config.json")
    assert wait_for(lambda: board.hard_resets == 1)  # mpremote's `reset`: machine.reset()
    assert board.soft_resets >= 1  # mpremote entered the raw REPL with a soft reset
    assert board.watchdog == [("arm", 600_000), ("feed", 0)] * 2  # the version probe, the copy
    assert board.errors == [] or all("ENOENT" in e for e in board.errors)  # only "not there"
    assert not any("__pycache__" in p or p.endswith(".pyc") for p in board_tree(board.fs.root))
    out = capfd.readouterr().out
    assert "Done." in out

    # Again, over what is there now: folders exist, unchanged files are skipped by hash.
    (fw / "nocturne_fw" / "app.py").write_text("def run():\n    return 2\n")
    assert run_flash_against(board, fw, tmp_path) == 0  # this time by its /dev/pts/N name
    check_board_holds(board, fw)
    assert wait_for(lambda: board.hard_resets == 2)
    out = capfd.readouterr().out
    assert "Up to date: ./boot.py" in out and "Up to date: ./nocturne_fw/fonts/big.bin" in out
    assert "Up to date: ./nocturne_fw/app.py" not in out  # changed, so copied again


@needs_pty
def test_real_mpremote_without_raw_paste(tmp_path: Path) -> None:
    """Boards that answer R\\x00 get the plain raw REPL (OK + output) instead."""
    from tests.host.fakes.raw_repl_board import RawReplBoard

    root = tmp_path / "board"
    root.mkdir()
    fw = make_firmware_tree(tmp_path)
    with RawReplBoard(root, raw_paste=False) as fake:
        assert run_flash_against(fake, fw, tmp_path) == 0
        check_board_holds(fake, fw)
        assert wait_for(lambda: fake.hard_resets == 1)


@needs_pty
def test_real_mpremote_copies_the_repository_firmware(board: Any, tmp_path: Path) -> None:
    """The project's own firmware/ tree, as it is in this checkout (a snapshot of it, so that
    an editor saving a file meanwhile does not change the expected bytes)."""
    import shutil

    snapshot = tmp_path / "firmware"
    shutil.copytree(REPO_FIRMWARE, snapshot)
    files = tuple(flash.firmware_files(snapshot))
    assert PurePosixPath("nocturne_fw/app.py") in files
    secrets = Secrets("n", "p" * 8, "10.0.0.9", 8090)
    port = port_like_usb(board, tmp_path)
    plan = FlashPlan(port, snapshot, files, secrets, flash.DRY_RUN_STAGE)
    flash.execute_plan(plan, timed_runner)
    copied = board_tree(board.fs.root)
    assert set(copied) == {f.as_posix() for f in files} | {"secrets.py", "fw_version"}
    # the board's version is this checkout's, which the server compares with (board_firmware.py)
    assert copied["fw_version"] == firmware_version(REPO_FIRMWARE).encode() + b"\n"
    for rel in files:
        assert copied[rel.as_posix()] == (snapshot / rel).read_bytes()


def test_mpremote_failure_is_explained(tmp_path: Path) -> None:
    """The real mpremote cannot reach the port: the error says what to do."""
    fw = make_firmware_tree(tmp_path)
    missing = str(tmp_path / "ttyACM9") if os.name != "nt" else "COM250"
    plan = FlashPlan(missing, fw, tuple(flash.firmware_files(fw)), Secrets("n", "p" * 8, "h", 1),
                     flash.DRY_RUN_STAGE)  # fmt: skip
    with pytest.raises(FlashError, match="flash MicroPython first"):
        flash.execute_plan(plan)


# --- wiring, waiting, frozen ---------------------------------------------------------------


def test_add_subparser_fits_cli_py() -> None:
    """The way cli.py builds its parser: --config on the top level and on every sub-command."""
    parser = argparse.ArgumentParser(prog="nocturne")
    parser.add_argument("--config")
    parser.add_argument("-v", "--verbose", action="store_true")
    sub = parser.add_subparsers(dest="command")
    flash.add_subparser(sub)
    for p in sub.choices.values():
        p.add_argument("--config", default=argparse.SUPPRESS)
        p.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS)
    args = parser.parse_args(["--config", "a.json", "flash", "--dry-run", "--board", "V4R8"])
    assert (args.command, args.config, args.dry_run, args.board) == (
        "flash",
        "a.json",
        True,
        "v4r8",
    )
    args = parser.parse_args(["flash", "--config", "b.json", "--port", "COM3", "--ssid", "s"])
    assert (args.config, args.port, args.ssid, args.password, args.firmware) == (
        "b.json", "COM3", "s", None, None
    )  # fmt: skip


def test_wait_for_port(
    monkeypatch: pytest.MonkeyPatch, ports: list[ListPortInfo], tmp_path: Path
) -> None:
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        if len(slept) == 4:
            ports.append(port_info("COM7", 0x303A, 0x4001))

    monkeypatch.chdir(tmp_path)  # no file named COM7 here: only the port list counts
    assert flash.wait_for_port("COM7", timeout=10, sleep=sleep)
    assert slept == [2.0, 0.5, 0.5, 0.5, 1.5]
    slept.clear()
    assert not flash.wait_for_port("COM8", timeout=4, sleep=slept.append)
    assert sum(slept) == 4.0


def test_frozen_runs_the_tools_in_process(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    assert flash.tool_command("esptool") == ["esptool"]
    assert flash.run_command(["mpremote", "version"]) == 0
    assert flash.run_command(["esptool", "version"]) == 0
    out = capsys.readouterr().out
    assert "mpremote 1." in out and "esptool v5." in out
    assert sys.argv[0] != "mpremote"  # restored


# --- the stand-in board itself speaks the protocol byte for byte ---------------------------


def _read_until(fd: int, ending: bytes, timeout: float = 5.0) -> bytes:
    import select

    data = b""
    deadline = time.monotonic() + timeout
    while not data.endswith(ending) and time.monotonic() < deadline:
        if select.select([fd], [], [], 0.05)[0]:
            data += os.read(fd, 1)
    return data


@needs_pty
def test_stand_in_board_protocol(board: Any) -> None:
    fd = os.open(board.device, os.O_RDWR | os.O_NOCTTY)
    try:
        os.write(fd, b"\r\x03\r\x01")
        assert _read_until(fd, b"raw REPL; CTRL-B to exit\r\n>").endswith(
            b"\r\nraw REPL; CTRL-B to exit\r\n>"
        )
        os.write(fd, b"\x04")  # soft reset
        assert (
            _read_until(fd, b"\r\n>") == b"OK\r\nMPY: soft reboot\r\nraw REPL; CTRL-B to exit\r\n>"
        )
        os.write(fd, b"print(1)\nprint('a', end='')\x04")  # plain raw mode
        assert _read_until(fd, b"\x04>") == b"OK1\r\na\x04\x04>"
        os.write(fd, b"import uos\nuos.stat('nope')\x04")
        assert _read_until(fd, b"\x04>") == (
            b"OK\x04Traceback (most recent call last):\r\n"
            b'  File "<stdin>", line 2, in <module>\r\nOSError: [Errno 2] ENOENT\r\n\x04>'
        )
        os.write(fd, b"\x05A\x01")  # raw-paste: R\x01, window size, \x01 per window
        assert _read_until(fd, b"R\x01", 2) == b"R\x01"
        window = int.from_bytes(os.read(fd, 1) + os.read(fd, 1), "little")
        assert window == 128
        code = b"open('../../escape.txt','w').write('x' * 3)\n" + b"#" * (window + 10) + b"\n"
        os.write(fd, code[:window])
        assert _read_until(fd, b"\x01") == b"\x01"
        os.write(fd, code[window:] + b"\x04")
        assert _read_until(fd, b"\x04>") == b"\x04\x04\x04>"  # ack, no output, no error
        assert (board.fs.root / "escape.txt").read_text() == "xxx"  # "/" is the board's root
        assert not (board.fs.root.parent / "escape.txt").exists()
        os.write(fd, b"\r\x02")
        assert _read_until(fd, b">>> ").endswith(b"for more information.\r\n>>> ")
    finally:
        os.close(fd)


def test_secrets_and_watchdog_snippet_in_real_micropython() -> None:
    """MicroPython 1.27 itself (the WebAssembly port the firmware tests use) imports the
    generated secrets.py and runs the watchdog line mpremote sends before copying."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "nocturne_flash_mp", Path(__file__).resolve().parents[2] / "firmware" / "mp.py"
    )
    assert spec is not None and spec.loader is not None
    mp = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mp)

    secrets = Secrets("Caf\u00e9 'net\"", TRICKY_PASSWORD + "\x00\U0001f600", "192.168.1.20", 9091)
    machine_stub = (
        "LOG = []\n"
        "class WDT:\n"
        "    def __init__(self, id=0, timeout=5000):\n"
        "        LOG.append(('arm', timeout))\n"
        "    def feed(self):\n"
        "        LOG.append(('feed', 0))\n"
    )
    script = (
        "import binascii, secrets\n"
        "for v in (secrets.WIFI_SSID, secrets.WIFI_PASSWORD, secrets.SERVER_HOST):\n"
        "    print(binascii.hexlify(v.encode('utf-8')).decode())\n"
        "print(secrets.SERVER_PORT, secrets.BOARD)\n"
        f"{flash.WDT_SNIPPET}\n"
        "import machine\n"
        "print(machine.LOG)\n"
    )
    files = {"secrets.py": flash.render_secrets(secrets), "machine.py": machine_stub}
    lines = mp.run_micropython(script, files).splitlines()
    assert lines[:3] == [v.encode("utf-8").hex() for v in (secrets.ssid, secrets.password,
                                                            secrets.host)]  # fmt: skip
    assert lines[3] == "9091 v4"
    assert lines[4] == "[('arm', 600000), ('feed', 0)]"
    # And where machine.WDT is missing, the line does nothing and raises nothing.
    assert mp.run_micropython(f"{flash.WDT_SNIPPET}\nprint('ok')\n", {"machine.py": ""}) == "ok\n"
