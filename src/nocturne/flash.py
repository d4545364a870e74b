"""``nocturne flash``: put MicroPython and the NOCTURNE firmware on a Heltec board.

Steps, each one a plain command the user could type (``--dry-run`` prints them):

1. (only with ``--firmware FILE.bin``) erase the flash and write the MicroPython image
   (ESP32_GENERIC_S3, one image for V3 and V4) at offset 0 with esptool;
2. copy ``firmware/`` (main.py, boot.py, nocturne_fw/…) and a generated ``secrets.py``
   to the board's filesystem with one mpremote invocation, then hard-reset the board.

esptool and mpremote come with the ``[device]`` extra (``pip install nocturne-os[device]``);
pyserial comes with them. From a source checkout they run as ``python -m esptool`` /
``python -m mpremote``; in a frozen executable they run inside this process.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import getpass
import os
import runpy
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath
from typing import Any

BOARDS = ("v3", "v4", "v4r8")  # --board and secrets.BOARD (the firmware takes any case)
DEFAULT_BOARD = "v4"
ESPTOOL_BAUD = 460800
CHIP = "esp32s3"
IMAGE_MAGIC = 0xE9
CHIP_ID_ESP32S3 = 9
# ESP image header: chip id (uint16 LE) at offset 12, in the extended header.
_CHIP_NAMES = {0: "ESP32", 2: "ESP32-S2", 5: "ESP32-C3", 9: "ESP32-S3", 12: "ESP32-C2",
               13: "ESP32-C6", 16: "ESP32-H2", 18: "ESP32-P4", 23: "ESP32-C5"}  # fmt: skip
PARTITION_TABLE_OFFSET = 0x8000
PARTITION_MAGIC = b"\xaa\x50"
MICROPYTHON_DOWNLOAD = "https://micropython.org/download/ESP32_GENERIC_S3/"

# USB vendor:product ids of the serial ports Heltec ESP32-S3 boards show up as.
ESPRESSIF_VID = 0x303A  # ESP32-S3 native USB (USB-Serial/JTAG, or MicroPython's TinyUSB CDC)
USB_UART_BRIDGES = {
    (0x10C4, 0xEA60): "Silicon Labs CP210x",
    (0x1A86, 0x7523): "WCH CH340",
    (0x1A86, 0x55D4): "WCH CH9102",
}

# What is never copied from firmware/ to the board.
SKIP_NAMES = frozenset({"secrets.example.py", "secrets.py", "__pycache__", "README.md"})
SKIP_SUFFIXES = (".pyc", ".pyo", ".md")
SECRETS_NAME = "secrets.py"
# Where the generated secrets.py is staged for a dry run's printout (a real run uses mkdtemp).
DRY_RUN_STAGE = Path(tempfile.gettempdir()) / "nocturne-flash-XXXXXXXX"
# Placeholder for the LAN probe: a TEST-NET-1 address (RFC 5737), never routed; UDP connect()
# only picks the outgoing interface and sends nothing.
_PROBE_ADDRESS = ("192.0.2.1", 9)
PORT_RETURN_TIMEOUT = 30.0  # seconds to wait for the board's port after esptool resets it
# A real copy takes seconds to a minute; past this mpremote is stuck (e.g. a board that never
# answers on a port where reads block) and is stopped.
MPREMOTE_TIMEOUT = 900.0


class FlashError(Exception):
    """``nocturne flash`` cannot go on. The message says what to do."""


# --- finding the board ----------------------------------------------------------------------


def _comports() -> list[Any]:
    try:
        from serial.tools import list_ports
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise FlashError(_missing_extra("pyserial")) from exc
    return list(list_ports.comports())


def _missing_extra(what: str) -> str:
    return (
        f"{what} is not installed. Install the device tools with: "
        'pip install "nocturne-os[device]" (or: pip install esptool mpremote)'
    )


def describe_port(port: Any) -> str:
    """One line for a ListPortInfo: device, what it is, and its USB id."""
    vid, pid = getattr(port, "vid", None), getattr(port, "pid", None)
    what = getattr(port, "description", None) or "n/a"
    if isinstance(vid, int) and isinstance(pid, int):
        kind = "ESP32-S3 native USB" if vid == ESPRESSIF_VID else USB_UART_BRIDGES.get((vid, pid))
        usb = f"USB {vid:04X}:{pid:04X}" + (f", {kind}" if kind else "")
        return f"{port.device} ({what}; {usb})"
    return f"{port.device} ({what})"


def is_board_port(port: Any) -> bool:
    """A USB serial port a Heltec ESP32-S3 board could be: native USB or a known USB-UART."""
    vid, pid = getattr(port, "vid", None), getattr(port, "pid", None)
    if not isinstance(vid, int) or not isinstance(pid, int):
        return False  # ttyS*, Bluetooth (rfcomm, macOS Bluetooth-Incoming-Port) have no USB id
    text = f"{port.device} {getattr(port, 'description', '')}".lower()
    if "bluetooth" in text:
        return False
    return vid == ESPRESSIF_VID or (vid, pid) in USB_UART_BRIDGES


def find_board_ports(ports: Iterable[Any] | None = None) -> list[Any]:
    """The serial ports that look like an ESP32-S3 board, sorted by device name."""
    listed = _comports() if ports is None else list(ports)
    return sorted((p for p in listed if is_board_port(p)), key=lambda p: p.device)


def choose_port(explicit: str | None = None, ports: Iterable[Any] | None = None) -> str:
    """``--port`` when given, else the one board found; FlashError for none or several."""
    if explicit:
        return explicit
    listed = _comports() if ports is None else list(ports)
    boards = find_board_ports(listed)
    if len(boards) == 1:
        return str(boards[0].device)
    if len(boards) > 1:
        lines = "\n".join(f"  {describe_port(p)}" for p in boards)
        raise FlashError(
            f"Several boards found:\n{lines}\nChoose one with --port, e.g. "
            f"nocturne flash --port {boards[0].device}"
        )
    others = [p for p in listed if getattr(p, "vid", None) is not None]
    hint = (
        "Plug the board in with a USB cable that carries data (some are charge-only), "
        "then try again; or name its port with --port."
    )
    if sys.platform == "win32":
        hint += (
            " On Windows a board with a CP210x or CH340/CH9102 chip needs its driver "
            "(Silicon Labs or WCH); look for it under 'Ports (COM & LPT)' in Device Manager."
        )
    if others:
        listing = "\n".join(f"  {describe_port(p)}" for p in others)
        hint += f"\nOther USB serial ports here (not recognised as an ESP32-S3 board):\n{listing}"
    raise FlashError(f"No ESP32-S3 board found. {hint}")


def _port_group(port: str) -> str | None:
    try:
        import grp

        return grp.getgrgid(os.stat(port).st_gid).gr_name
    except (ImportError, OSError, KeyError):
        return None


def permission_message(port: str) -> str:
    """What to tell a user whose account may not open ``port``."""
    if sys.platform.startswith("linux"):
        group = _port_group(port)
        if group in (None, "root"):
            group = "dialout"
        other = "uucp" if group == "dialout" else "dialout"
        return (
            f"Permission denied on {port}: your user may not open serial ports. Add yourself "
            f"to the '{group}' group that owns it:\n"
            f"  sudo usermod -aG {group} $USER\n"
            f"then log out and back in (or reboot). Some distributions (Arch, Manjaro) use "
            f"the '{other}' group instead. Check with: ls -l {port}"
        )
    if sys.platform == "darwin":
        return (
            f"Permission denied on {port}. Close any other program using it and try again; "
            "use the /dev/cu.* name of the port, not /dev/tty.*."
        )
    return (
        f"Access denied on {port}: another program has it open (Arduino IDE's Serial "
        "Monitor, Thonny, PuTTY, a running 'nocturne flash'...). Close it and try again."
    )


def check_port_access(port: str) -> None:
    """Open and close ``port`` once, turning the usual failures into FlashError."""
    try:
        import serial
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise FlashError(_missing_extra("pyserial")) from exc
    conn = serial.Serial()
    conn.port = port
    conn.baudrate = 115200
    if os.name != "nt":
        conn.exclusive = True  # fails fast when another pyserial program holds the port
    try:
        conn.open()
    except PermissionError as exc:
        raise FlashError(permission_message(port)) from exc
    except (OSError, serial.SerialException) as exc:
        code = getattr(exc, "errno", None)
        text = str(exc)
        if code in (errno.EACCES, errno.EPERM) or "ermission" in text or "denied" in text:
            raise FlashError(permission_message(port)) from exc
        if code == errno.EBUSY or "busy" in text.lower() or "lock" in text.lower():
            raise FlashError(
                f"{port} is in use by another program (a serial monitor, Thonny, another "
                "'nocturne flash'...). Close it and try again."
            ) from exc
        if code == errno.ENOENT or "No such file" in text or "FileNotFound" in text:
            raise FlashError(f"{port} does not exist. Is the board plugged in?") from exc
        raise FlashError(f"Cannot open {port}: {text}") from exc
    else:
        conn.close()


# --- the MicroPython image ------------------------------------------------------------------


def check_firmware_image(path: Path) -> None:
    """FlashError unless ``path`` is a full ESP32-S3 image to write at offset 0."""
    if not path.is_file():
        raise FlashError(
            f"{path}: no such file. Download the MicroPython image for ESP32_GENERIC_S3 "
            f"(a .bin) from {MICROPYTHON_DOWNLOAD} and pass its path to --firmware."
        )
    with path.open("rb") as f:
        head = f.read(16)
        f.seek(PARTITION_TABLE_OFFSET)
        table = f.read(2)
    what = f"{path.name} is not an ESP32-S3 MicroPython image"
    if path.suffix.lower() in (".uf2", ".elf", ".hex", ".zip", ".dfu"):
        raise FlashError(
            f"{what}: it is a {path.suffix} file; esptool needs the .bin download from "
            f"{MICROPYTHON_DOWNLOAD}"
        )
    if len(head) < 16 or head[0] != IMAGE_MAGIC:
        found = f"0x{head[0]:02X}" if head else "an empty file"
        raise FlashError(
            f"{what}: an ESP image starts with the byte 0xE9, this one with {found}. "
            f"Download the .bin for ESP32_GENERIC_S3 from {MICROPYTHON_DOWNLOAD}"
        )
    chip_id = int.from_bytes(head[12:14], "little")
    if chip_id != CHIP_ID_ESP32S3:
        chip = _CHIP_NAMES.get(chip_id, f"chip id {chip_id}")
        raise FlashError(
            f"{what}: it is built for {chip}. The Heltec V3/V4 is an ESP32-S3: download "
            f"ESP32_GENERIC_S3 from {MICROPYTHON_DOWNLOAD}"
        )
    if table != PARTITION_MAGIC:
        raise FlashError(
            f"{path.name} is an ESP32-S3 image without a partition table at 0x8000: an "
            "application-only build, not the full image that goes at offset 0. Use the .bin "
            f"download from {MICROPYTHON_DOWNLOAD}"
        )


# --- the firmware files ---------------------------------------------------------------------


def firmware_dir_candidates() -> list[Path]:
    """Where the board's files may be, in order: in a frozen executable the bundled
    ``firmware/`` (PyInstaller's ``sys._MEIPASS``, then the executable's folder); in a
    source checkout (or an editable install) the repository's ``firmware/``, then a
    ``firmware/`` shipped inside the package (a wheel that force-includes it).
    """
    if getattr(sys, "frozen", False):
        candidates = []
        meipass = getattr(sys, "_MEIPASS", None)
        if meipass:
            candidates.append(Path(meipass) / "firmware")
        candidates.append(Path(sys.executable).resolve().parent / "firmware")
        return candidates
    here = Path(__file__).resolve()
    return [here.parents[2] / "firmware", here.parent / "firmware"]


def find_firmware_dir(override: Path | None = None) -> Path:
    """The folder whose contents go to the board: ``override`` (``--firmware-dir``) or the
    first of firmware_dir_candidates() that holds a main.py."""
    candidates = [Path(override)] if override is not None else firmware_dir_candidates()
    for candidate in candidates:
        if (candidate / "main.py").is_file():
            return candidate
    tried = ", ".join(str(c) for c in candidates)
    raise FlashError(
        f"The board's firmware files were not found (looked for main.py in: {tried}). "
        "Run from a source checkout, or pass the folder with --firmware-dir."
    )


def _skipped(name: str) -> bool:
    return name in SKIP_NAMES or name.startswith(".") or name.endswith(SKIP_SUFFIXES)


def firmware_files(firmware_dir: Path) -> list[PurePosixPath]:
    """Every file to copy, relative to ``firmware_dir``, sorted; caches and examples left out."""
    found: list[PurePosixPath] = []
    for root, dirs, files in os.walk(firmware_dir):
        dirs[:] = sorted(d for d in dirs if not _skipped(d))
        rel = Path(root).relative_to(firmware_dir)
        for name in sorted(files):
            if not _skipped(name):
                found.append(PurePosixPath(*rel.parts, name))
    return sorted(found)


def stage_entries(files: Sequence[PurePosixPath]) -> list[str]:
    """The top-level names to copy: folders first, then files, secrets.py, main.py last.

    main.py goes last so that a copy cut short never leaves a new main.py importing
    modules that are not there yet.
    """
    dirs = sorted({f.parts[0] for f in files if len(f.parts) > 1})
    plain = sorted(f.name for f in files if len(f.parts) == 1 and f.name != "main.py")
    tail = [SECRETS_NAME] + (["main.py"] if PurePosixPath("main.py") in files else [])
    return dirs + plain + tail


def stage_firmware(
    firmware_dir: Path, files: Sequence[PurePosixPath], secrets_text: str, stage_dir: Path
) -> None:
    """Copy ``files`` and the generated secrets.py into ``stage_dir`` (the tree for the board)."""
    for rel in files:
        target = stage_dir.joinpath(*rel.parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(firmware_dir.joinpath(*rel.parts), target)
    (stage_dir / SECRETS_NAME).write_bytes(secrets_text.encode("utf-8"))


# --- secrets.py -----------------------------------------------------------------------------


def lan_ip() -> str:
    """This machine's address on the network its default route uses.

    A UDP socket ``connect()`` only chooses the outgoing interface; nothing is sent.
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        sock.connect(_PROBE_ADDRESS)
        address = str(sock.getsockname()[0])
    except OSError as exc:
        raise FlashError(
            "Could not find this PC's network address (no network?). Pass the address the "
            "board should connect to with --host, e.g. --host 192.168.1.20"
        ) from exc
    finally:
        sock.close()
    if address.startswith("127.") or address == "0.0.0.0":
        raise FlashError(
            f"This PC's address looks like {address}, which the board cannot reach. "
            "Pass the PC's LAN address with --host, e.g. --host 192.168.1.20"
        )
    return address


def server_port(config_path: Path | None = None) -> int:
    """The TCP port the server listens on, from config.json (never creating the file)."""
    from .config import Config, apply_environment, default_config_path, load_config

    path = Path(config_path) if config_path is not None else default_config_path()
    if path.is_file():
        return load_config(path).config.port
    return apply_environment(Config(), os.environ).port


@dataclass(frozen=True)
class Secrets:
    ssid: str
    password: str
    host: str
    port: int
    board: str = DEFAULT_BOARD


def render_secrets(secrets: Secrets, *, mask_password: bool = False) -> str:
    """secrets.py for the board: Python literals written with repr(), UTF-8."""
    password = "*" * 8 if mask_password and secrets.password else secrets.password
    return (
        "# Written by `nocturne flash`. Run it again to change these, or edit this file\n"
        "# on the board (mpremote edit :secrets.py).\n"
        f"WIFI_SSID = {secrets.ssid!r}\n"
        f"WIFI_PASSWORD = {password!r}\n"
        f"SERVER_HOST = {secrets.host!r}\n"
        f"SERVER_PORT = {int(secrets.port)!r}\n"
        f"BOARD = {secrets.board.lower()!r}\n"
    )


def check_secrets(secrets: Secrets) -> list[str]:
    """FlashError for values the board cannot use; a list of warnings for doubtful ones."""
    ssid_len = len(secrets.ssid.encode("utf-8"))
    if not 1 <= ssid_len <= 32:
        raise FlashError(
            f"WiFi name {secrets.ssid!r} is {ssid_len} bytes long; a WiFi name (SSID) has "
            "1 to 32 bytes. Pass it with --ssid."
        )
    if len(secrets.password.encode("utf-8")) > 64:
        raise FlashError("The WiFi password is longer than 64 characters; WPA allows 8 to 63.")
    if not secrets.host.strip():
        raise FlashError("--host is empty: give the PC's address, e.g. --host 192.168.1.20")
    if secrets.board.lower() not in BOARDS:
        raise FlashError(f"--board {secrets.board!r}: use one of {', '.join(BOARDS)}")
    warnings = []
    if 0 < len(secrets.password) < 8:
        warnings.append(
            "The WiFi password is shorter than 8 characters; WPA2 passwords have 8 to 63."
        )
    return warnings


# --- the commands ---------------------------------------------------------------------------


def tool_command(module: str) -> list[str]:
    """How to start ``module`` (esptool, mpremote): ``python -m`` or, frozen, in-process."""
    if getattr(sys, "frozen", False):
        return [module]  # run by run_command inside this process: there is no python to call
    return [sys.executable, "-m", module]


def esptool_commands(port: str, image: Path, *, erase: bool = True) -> list[list[str]]:
    """esptool (v5 spelling: erase-flash, write-flash) to erase and write ``image`` at 0."""
    base = [*tool_command("esptool"), "--chip", CHIP, "--port", port]
    commands = [[*base, "erase-flash"]] if erase else []
    commands.append([*base, "--baud", str(ESPTOOL_BAUD), "write-flash", "-z", "0", str(image)])
    return commands


# Run first on the board: a running NOCTURNE app has armed the watchdog (machine.WDT, 30 s),
# which nothing feeds once mpremote has stopped the app with Ctrl-C, and an ESP32 watchdog
# cannot be switched off; a slow copy (V3 over its USB-UART at 115200 baud) would be cut by a
# reset. Re-arming it with a long timeout (and feeding it) covers the copy; the `reset` at
# the end clears it. One line with \n escapes for exec(), so the shell line stays one line,
# and inside try/except: a board without machine.WDT (or one that refuses) just goes on.
WDT_COPY_TIMEOUT_MS = 600_000
WDT_SNIPPET = (
    'exec("try:\\n import machine\\n'
    f' machine.WDT(timeout={WDT_COPY_TIMEOUT_MS}).feed()\\nexcept Exception:\\n pass")'
)


def mpremote_command(port: str, stage_dir: Path, entries: Sequence[str]) -> list[str]:
    """One mpremote run: connect, hold off the app's watchdog, copy the staged tree to the
    board's root (unchanged files are skipped by hash), hard reset."""
    sources = [str(stage_dir / name) for name in entries]
    return [*tool_command("mpremote"), "connect", port, "+", "exec", WDT_SNIPPET, "+",
            "fs", "cp", "-r", *sources, ":", "+", "reset"]  # fmt: skip


def format_command(command: Sequence[str]) -> str:
    """A command as one line to paste into this platform's shell."""
    if os.name == "nt":
        return subprocess.list2cmdline(list(command))
    return shlex.join(command)


# --- plan and run ---------------------------------------------------------------------------


@dataclass(frozen=True)
class FlashPlan:
    port: str
    firmware_dir: Path
    files: tuple[PurePosixPath, ...]
    secrets: Secrets
    stage_dir: Path
    image: Path | None = None
    erase: bool = True

    @property
    def entries(self) -> list[str]:
        return stage_entries(self.files)

    def esptool_commands(self) -> list[list[str]]:
        return (
            [] if self.image is None else esptool_commands(self.port, self.image, erase=self.erase)
        )

    def mpremote_command(self) -> list[str]:
        return mpremote_command(self.port, self.stage_dir, self.entries)

    def commands(self) -> list[list[str]]:
        return [*self.esptool_commands(), self.mpremote_command()]


def describe_plan(plan: FlashPlan) -> str:
    """What a dry run prints: the commands, with comments on what they act on."""
    lines = ["# nocturne flash --dry-run: nothing is run, written or opened."]
    steps = plan.esptool_commands()
    if steps:
        what = "erase the board and write" if plan.erase else "write"
        lines.append(f"# 1. {what} MicroPython ({plan.image}) on {plan.port}:")
        lines += [format_command(c) for c in steps]
    lines.append(
        f"# {2 if steps else 1}. stage {len(plan.files)} files from {plan.firmware_dir} and a "
        f"generated {SECRETS_NAME} in a new temporary folder (shown as {plan.stage_dir}), copy "
        "them to the board and reset it:"
    )
    lines.append(format_command(plan.mpremote_command()))
    lines.append("# files: " + ", ".join(f.as_posix() for f in plan.files))
    lines.append(f"# {SECRETS_NAME} (password hidden):")
    lines += [
        f"#   {line}" for line in render_secrets(plan.secrets, mask_password=True).splitlines()
    ]
    return "\n".join(lines) + "\n"


Runner = Callable[[Sequence[str]], int]


def run_command(command: Sequence[str]) -> int:
    """Run one esptool/mpremote command; its output goes straight to this console."""
    if getattr(sys, "frozen", False) and command and command[0] in ("esptool", "mpremote"):
        return _run_module_in_process(command[0], list(command[1:]))
    timeout = MPREMOTE_TIMEOUT if "mpremote" in command[:3] else None
    try:
        return subprocess.run(list(command), check=False, timeout=timeout).returncode
    except FileNotFoundError as exc:
        raise FlashError(f"Cannot start {command[0]}: {exc.strerror}") from exc
    except subprocess.TimeoutExpired as exc:
        raise FlashError(
            f"mpremote got no answer for {timeout:.0f} s. Unplug the board, plug it back in "
            "and try again."
        ) from exc


def _run_module_in_process(module: str, args: list[str]) -> int:
    saved = sys.argv
    sys.argv = [module, *args]
    try:
        runpy.run_module(module, run_name="__main__", alter_sys=True)
    except SystemExit as exc:
        code = exc.code
        return code if isinstance(code, int) else (0 if code is None else 1)
    finally:
        sys.argv = saved
    return 0


def _tools_present(need_esptool: bool) -> None:
    import importlib.util

    names = (["esptool"] if need_esptool else []) + ["mpremote"]
    missing = [name for name in names if importlib.util.find_spec(name) is None]
    if missing:
        raise FlashError(_missing_extra(" and ".join(missing)))


def port_present(port: str) -> bool:
    """Whether the serial port is listed (or, on POSIX, its device file exists)."""
    if os.name != "nt" and os.path.exists(port):
        return True
    return any(p.device == port for p in _comports())


def wait_for_port(
    port: str, timeout: float = PORT_RETURN_TIMEOUT, sleep: Callable[[float], None] = time.sleep
) -> bool:
    """After esptool's reset, wait for the board's serial port to come back.

    The native-USB port disappears while the chip resets and MicroPython formats its
    filesystem on the first boot. The port is only looked for, never opened: opening it
    toggles DTR/RTS, which can reset the board again.
    """
    sleep(2.0)
    waited = 2.0
    while waited < timeout:
        if port_present(port):
            sleep(1.5)  # let MicroPython reach its REPL
            return True
        sleep(0.5)
        waited += 0.5
    return port_present(port)


def execute_plan(plan: FlashPlan, runner: Runner = run_command, *, wait: bool = True) -> None:
    """Flash (when an image is given), then stage and copy the files and reset the board."""
    for i, command in enumerate(plan.esptool_commands()):
        if i and wait:
            wait_for_port(plan.port)  # after erase-flash's reset, before write-flash
        print(f"$ {format_command(command)}", flush=True)
        if runner(command) != 0:
            raise FlashError(
                "esptool failed (see above). If it could not connect: hold the PRG (BOOT) "
                "button, press and release RST, release PRG, and run the same command again."
            )
    if plan.image is not None and wait and not wait_for_port(plan.port):
        raise FlashError(
            f"MicroPython is written, but {plan.port} did not come back after the reset. "
            f"Press RST on the board, then copy the files with: nocturne flash --port "
            f"{plan.port} (without --firmware)"
        )
    with tempfile.TemporaryDirectory(prefix="nocturne-flash-") as tmp:
        stage_dir = Path(tmp)
        staged = replace(plan, stage_dir=stage_dir)
        stage_firmware(plan.firmware_dir, plan.files, render_secrets(plan.secrets), stage_dir)
        command = staged.mpremote_command()
        print(f"$ {format_command(command)}", flush=True)
        if runner(command) != 0:
            raise FlashError(
                "Copying the files failed (see mpremote's message above). If the board did "
                "not answer as MicroPython, flash MicroPython first: nocturne flash --firmware "
                f"ESP32_GENERIC_S3-....bin (download: {MICROPYTHON_DOWNLOAD}). The program "
                "on the board must let Ctrl-C stop it."
            )


# --- options, prompts and the command line --------------------------------------------------


def _interactive() -> bool:
    try:
        return sys.stdin is not None and sys.stdin.isatty()
    except (AttributeError, ValueError):
        return False


def gather_secrets(
    args: argparse.Namespace,
    *,
    interactive: bool | None = None,
    ask: Callable[[str], str] = input,
    ask_secret: Callable[[str], str] = getpass.getpass,
) -> Secrets:
    """secrets.py values from the options, asking for the missing ones on a terminal."""
    tty = _interactive() if interactive is None else interactive
    ssid = args.ssid
    if ssid is None:
        if not tty:
            raise FlashError("No WiFi name given: pass it with --ssid NAME.")
        ssid = ask("WiFi name (SSID): ").strip()
        if not ssid:
            raise FlashError("No WiFi name given: pass it with --ssid NAME.")
    password = args.password
    if password is None:
        if not tty:
            raise FlashError(
                'No WiFi password given: pass it with --password (--password "" for an open '
                "network)."
            )
        password = ask_secret(f"WiFi password for {ssid} (empty for an open network): ")
    host = args.host
    if host is None:
        try:
            default_host = lan_ip()
        except FlashError:
            if not tty:
                raise
            default_host = ""
        if tty:
            shown = f"[{default_host}]" if default_host else "(e.g. 192.168.1.20)"
            host = ask(f"This PC's address for the board {shown}: ").strip() or default_host
        else:
            host = default_host
    config_path = Path(args.config) if getattr(args, "config", None) else None
    from .config import ConfigError

    try:
        port = server_port(config_path)
    except ConfigError as exc:
        raise FlashError(str(exc)) from exc
    secrets = Secrets(ssid=ssid, password=password, host=host, port=port, board=args.board)
    for warning in check_secrets(secrets):
        print(f"Warning: {warning}", file=sys.stderr)
    return secrets


def build_plan(args: argparse.Namespace, **secrets_kw: Any) -> FlashPlan:
    """Check every option and work out what to run; touches nothing."""
    image = Path(args.firmware).expanduser() if args.firmware else None
    if image is not None:
        check_firmware_image(image)
    firmware_dir = find_firmware_dir(Path(args.firmware_dir) if args.firmware_dir else None)
    files = tuple(firmware_files(firmware_dir))
    port = choose_port(args.port)
    secrets = gather_secrets(args, **secrets_kw)
    return FlashPlan(
        port=port,
        firmware_dir=firmware_dir,
        files=files,
        secrets=secrets,
        stage_dir=DRY_RUN_STAGE,
        image=image.resolve() if image is not None else None,
        erase=not args.no_erase,
    )


def configure_parser(
    parser: argparse.ArgumentParser, *, with_config: bool = True
) -> argparse.ArgumentParser:
    """Add ``nocturne flash``'s options to ``parser`` (``--config`` too unless told not to:
    cli.py adds ``--config`` to every sub-command itself)."""
    parser.add_argument("--port", help="the board's serial port (default: find it)")
    parser.add_argument(
        "--firmware",
        metavar="FILE.bin",
        help="MicroPython image for ESP32_GENERIC_S3 to write first (erases the board)",
    )
    parser.add_argument(
        "--no-erase",
        action="store_true",
        help="with --firmware: write without erasing first (keeps the board's files)",
    )
    parser.add_argument("--ssid", help="WiFi name for the board")
    parser.add_argument("--password", help='WiFi password ("" for an open network)')
    parser.add_argument(
        "--host", help="address the board connects to (default: this PC's LAN address)"
    )
    parser.add_argument(
        "--board",
        type=str.lower,
        choices=BOARDS,
        default=DEFAULT_BOARD,
        help="Heltec board: v3, v4, or v4r8 for the V4 rev 4.3 'R8' (default: v4)",
    )
    parser.add_argument(
        "--firmware-dir", metavar="DIR", help="folder to copy to the board (default: firmware/)"
    )
    parser.add_argument(
        "--dry-run", action="store_true", help="print the esptool/mpremote commands; run nothing"
    )
    if with_config:
        parser.add_argument("--config", metavar="PATH", help="config.json (for the port)")
    return parser


def add_subparser(subparsers: Any, *, with_config: bool = False) -> argparse.ArgumentParser:
    """Register ``flash`` on cli.py's sub-parsers; dispatch with ``run(args)``.

    ``--config`` is left to cli.py, which adds it (default SUPPRESS) to every sub-command.
    """
    parser = subparsers.add_parser(
        "flash",
        help="put MicroPython and the NOCTURNE firmware on a Heltec board",
        description=(
            "Find the board, optionally write MicroPython (--firmware), copy the firmware "
            "and a secrets.py with the WiFi and server settings, and reset the board."
        ),
    )
    configure_parser(parser, with_config=with_config)
    parser.set_defaults(func=run)
    return parser


def run(args: argparse.Namespace, runner: Runner = run_command) -> int:
    """``nocturne flash`` with parsed options; 0 on success, 1 (with a message) on failure."""
    try:
        plan = build_plan(args)
        if args.dry_run:
            sys.stdout.write(describe_plan(plan))
            return 0
        _tools_present(plan.image is not None)
        check_port_access(plan.port)
        sec = plan.secrets
        print(
            f"Board {sec.board.upper()} on {plan.port}: WiFi {sec.ssid!r}, server "
            f"{sec.host}:{sec.port}; {len(plan.files)} files from {plan.firmware_dir}",
            flush=True,
        )
        execute_plan(plan, runner)
    except FlashError as exc:
        print(f"nocturne flash: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nnocturne flash: stopped", file=sys.stderr)
        return 130
    print(
        f"Done. The board restarts and connects to {plan.secrets.ssid!r}, then to "
        f"{plan.secrets.host}:{plan.secrets.port}."
    )
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """``nocturne flash`` as a stand-alone command line (argv without the program name)."""
    parser = configure_parser(argparse.ArgumentParser(prog="nocturne flash"))
    return run(parser.parse_args(None if argv is None else list(argv)))


if __name__ == "__main__":  # pragma: no cover
    with contextlib.suppress(KeyboardInterrupt):
        sys.exit(main())
