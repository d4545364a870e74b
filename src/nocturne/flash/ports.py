"""Finding the board's serial port and checking this user may open it."""

from __future__ import annotations

import errno
import os
import sys
import time
from collections.abc import Callable, Iterable
from typing import Any

from .errors import FlashError, missing_extra_message

# USB vendor:product ids of the serial ports Heltec ESP32-S3 boards show up as.
ESPRESSIF_VID = 0x303A  # ESP32-S3 native USB (USB-Serial/JTAG, or MicroPython's TinyUSB CDC)
USB_UART_BRIDGES = {
    (0x10C4, 0xEA60): "Silicon Labs CP210x",
    (0x1A86, 0x7523): "WCH CH340",
    (0x1A86, 0x55D4): "WCH CH9102",
}

PORT_RETURN_TIMEOUT = 30.0  # seconds to wait for the board's port after esptool resets it


def _comports() -> list[Any]:
    try:
        from serial.tools import list_ports
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise FlashError(missing_extra_message("pyserial")) from exc
    return list(list_ports.comports())


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
        raise FlashError(missing_extra_message("pyserial")) from exc
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
