"""Helpers of the flash tests: port descriptions, MicroPython images and firmware trees
made up on disk, the parsed ``nocturne flash`` arguments."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import pytest
from serial.tools.list_ports_common import ListPortInfo

from nocturne import flash

PY = sys.executable
HAS_PTY = hasattr(os, "openpty") and sys.platform != "win32"
needs_pty = pytest.mark.skipif(not HAS_PTY, reason="pseudo-terminals are POSIX only")
REPO_FIRMWARE = Path(__file__).resolve().parents[3] / "firmware"
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
