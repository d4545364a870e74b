"""The firmware a board is updated to: its files, their manifest and its version.

The files are what ``nocturne flash`` copies (nocturne.firmware_files.board_files) but
boot.py (never replaced over the air: NOT_SENT), plus
the version file with the new version in it, so the version a board reports after the
swap is the one it runs; the version is the one ``nocturne flash`` writes for the same
files (firmware_files.firmware_version).

A board that says which ``.mpy`` version it loads gets the modules compiled for it
(flash/ota_compile.py), as ``nocturne flash`` leaves them: main.py stays source.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from ..firmware_files import VERSION_FILE, board_files, find_firmware_dir, firmware_version

# boot.py is what puts an update in place and rolls a failed one back: a broken new one
# could not take itself back out, so the one flashed stays (the recovery path)
NOT_SENT = frozenset({"boot.py"})


@dataclass(frozen=True, slots=True)
class BoardFile:
    path: str  # relative, "/"-separated, as on the board
    data: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


@dataclass(frozen=True, slots=True)
class Bundle:
    version: str
    files: tuple[BoardFile, ...]
    source: Path

    @property
    def size(self) -> int:
        return sum(len(f.data) for f in self.files)


def load_bundle(firmware_dir: str | Path | None = None) -> Bundle:
    """The firmware in ``firmware_dir`` ("" or None: the one lookup's, the wheel's copy by
    default). Raises FirmwareNotFound or OSError."""
    root = find_firmware_dir(firmware_dir or None)
    version = firmware_version(root)
    files = [
        BoardFile(rel.as_posix(), root.joinpath(*rel.parts).read_bytes())
        for rel in board_files(root)
        if rel.as_posix() not in NOT_SENT
    ]
    files.append(BoardFile(VERSION_FILE, version.encode("ascii") + b"\n"))
    return Bundle(version, tuple(files), root)
