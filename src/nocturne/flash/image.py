"""Checking that a MicroPython image is a full ESP32-S3 image to write at offset 0."""

from __future__ import annotations

from pathlib import Path

from .errors import FlashError

IMAGE_MAGIC = 0xE9
CHIP_ID_ESP32S3 = 9
# ESP image header: chip id (uint16 LE) at offset 12, in the extended header.
_CHIP_NAMES = {0: "ESP32", 2: "ESP32-S2", 5: "ESP32-C3", 9: "ESP32-S3", 12: "ESP32-C2",
               13: "ESP32-C6", 16: "ESP32-H2", 18: "ESP32-P4", 23: "ESP32-C5"}  # fmt: skip
PARTITION_TABLE_OFFSET = 0x8000
PARTITION_MAGIC = b"\xaa\x50"
MICROPYTHON_DOWNLOAD = "https://micropython.org/download/ESP32_GENERIC_S3/"


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
