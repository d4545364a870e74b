"""``nocturne flash``: the exact commands of a dry run, finding and opening the port, the
MicroPython image."""

from __future__ import annotations

import errno
import importlib.metadata
import os
import shlex
import subprocess
from pathlib import Path
from typing import Any

import pytest
import serial
import serial.tools.list_ports
from serial.tools.list_ports_common import ListPortInfo

from nocturne import flash
from nocturne.flash import FlashError, prompts
from nocturne.flash import ports as flash_ports
from nocturne.flash.release import PINNED

from .flash_helpers import (
    CH340,
    CH9102,
    EXPECTED_FILES,
    FTDI,
    MAC_BT,
    PY,
    RFCOMM,
    TRICKY_PASSWORD,
    TTYS0,
    V3_CP210X,
    V4_NATIVE,
    esp32s3_image,
    flash_args,
    make_firmware_tree,
    port_info,
)

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
         f"{stage}/nocturne_fw", f"{stage}/boot.py", f"{stage}/secrets.py", f"{stage}/fw_version",
         f"{stage}/main.py", ":", "+", "reset"],
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
            f"{stage}/boot.py {stage}/secrets.py {stage}/fw_version {stage}/main.py : + reset",
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


def test_dry_run_without_firmware_asks_the_board_then_copies(
    tmp_path: Path,
    ports: list[ListPortInfo],
    no_serial_open: None,
    capsys: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """No --firmware: the probe, the pinned release written only if the board does not
    answer as MicroPython (from the cache path; nothing downloaded in a dry run), the copy."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("NOCTURNE_MICROPYTHON_BASE_URL")  # micropython.org's, as a user sees
    ports.append(V3_CP210X)
    fw = make_firmware_tree(tmp_path)
    argv = ["--ssid", "x", "--password", "", "--host", "10.0.0.2", "--board", "V3"]
    argv += ["--firmware-dir", str(fw), "--config", str(tmp_path / "none.json"), "--dry-run"]
    argv += ["--source"]
    assert flash.main(argv) == 0
    out = capsys.readouterr().out
    commands = [ln for ln in out.splitlines() if not ln.startswith("#")]
    assert len(commands) == 4
    assert commands[0].endswith(" + exec " + shlex.quote(flash.mpy.PROBE))
    image = tmp_path / "cache" / "nocturne" / PINNED.file_name
    assert commands[1].endswith(" --port /dev/ttyUSB0 erase-flash")
    assert commands[2].endswith(f" write-flash -z 0 {shlex.quote(str(image))}")
    assert commands[3].startswith(f"{shlex.quote(PY)} -m mpremote connect /dev/ttyUSB0 + exec ")
    assert commands[3].endswith(" : + reset")
    assert f"https://micropython.org/resources/firmware/{PINNED.file_name}" in out
    assert f"SHA-256 {PINNED.sha256}" in out
    assert not (tmp_path / "cache").exists()  # a dry run downloads nothing


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
