"""Where the board's files (``firmware/``: main.py, boot.py, nocturne_fw/) are found, and
which of them go to the board.

One lookup for every command that needs them (``flash``, ``emulate``, ``build``): an explicit
folder, then ``$NOCTURNE_FIRMWARE``, then the copy inside an installed wheel
(``nocturne/_firmware``, found through importlib.resources), then a source checkout's
``firmware/``, then the folder bundled into or beside the one-file executable.
"""

from __future__ import annotations

import hashlib
import os
import sys
from functools import cache
from importlib import resources
from pathlib import Path, PurePosixPath

ENV_VAR = "NOCTURNE_FIRMWARE"
PACKAGED_NAME = "_firmware"  # the folder name inside the installed package
_CHECKOUT = Path(__file__).resolve().parents[2] / "firmware"
# What never goes to the board (nor into the wheel, nor beside the one-file executable): a
# developer's own secrets.py, the example, caches, notes and hidden files.
# VERSION_FILE is written beside them (flash, emulate), never taken from the folder.
VERSION_FILE = "fw_version"  # on the board's root: the version as hex digits (main.py reads it)
VERSION_CHARS = 16  # hex digits of the manifest's SHA-256 kept as the version
SKIP_NAMES = frozenset(
    {"secrets.example.py", "secrets.py", "__pycache__", "README.md", VERSION_FILE}
)
SKIP_SUFFIXES = (".pyc", ".pyo", ".md")


class FirmwareNotFound(Exception):
    """No folder holding the board's main.py and nocturne_fw/ was found."""


def _packaged() -> Path | None:
    try:
        root = resources.files("nocturne").joinpath(PACKAGED_NAME)
    except (ModuleNotFoundError, TypeError):
        return None
    # A wheel installs as plain files, so the traversable is a real path.
    return Path(str(root)) if root.is_dir() else None


def firmware_dir_candidates() -> list[Path]:
    """Where the firmware may be, in the order it is looked for (explicit folder aside)."""
    candidates: list[Path] = []
    env = os.environ.get(ENV_VAR)
    if env:
        candidates.append(Path(env))
    if getattr(sys, "frozen", False):
        meipass = getattr(sys, "_MEIPASS", None)
        if meipass:
            candidates.append(Path(meipass) / "firmware")
        candidates.append(Path(sys.executable).resolve().parent / "firmware")
    packaged = _packaged()
    if packaged is not None:
        candidates.append(packaged)
    candidates.append(_CHECKOUT)
    return candidates


def is_firmware_dir(path: Path) -> bool:
    """True when ``path`` holds the board's entry point and its package."""
    return (path / "main.py").is_file() and (path / "nocturne_fw").is_dir()


def find_firmware_dir(override: str | os.PathLike[str] | None = None) -> Path:
    """The firmware folder: ``override`` if given, else the first candidate that holds it.

    Raises FirmwareNotFound naming every folder looked at and how to point at one.
    """
    candidates = [Path(override)] if override is not None else firmware_dir_candidates()
    for candidate in candidates:
        if is_firmware_dir(candidate):
            return candidate.resolve()
    tried = ", ".join(str(c) for c in candidates) or "nowhere"
    raise FirmwareNotFound(
        f"The board's firmware files were not found (looked for main.py and nocturne_fw/ in: "
        f"{tried}). Reinstall nocturne-os, run from a source checkout, or pass the folder "
        f"with --firmware-dir (or set {ENV_VAR})."
    )


def _skipped(name: str) -> bool:
    return name in SKIP_NAMES or name.startswith(".") or name.endswith(SKIP_SUFFIXES)


def board_files(firmware_dir: Path) -> list[PurePosixPath]:
    """Every file that goes to the board, relative to ``firmware_dir``, sorted; caches,
    examples, notes and secrets.py left out."""
    found: list[PurePosixPath] = []
    for root, dirs, files in os.walk(firmware_dir):
        dirs[:] = sorted(d for d in dirs if not _skipped(d))
        rel = Path(root).relative_to(firmware_dir)
        for name in sorted(files):
            if not _skipped(name):
                found.append(PurePosixPath(*rel.parts, name))
    return sorted(found)


def manifest(firmware_dir: Path) -> str:
    """One line per board file, sorted: its relative path and the SHA-256 of its bytes."""
    lines = []
    for rel in board_files(firmware_dir):
        digest = hashlib.sha256(firmware_dir.joinpath(*rel.parts).read_bytes()).hexdigest()
        lines.append(f"{rel.as_posix()} {digest}\n")
    return "".join(lines)


def firmware_version(firmware_dir: Path) -> str:
    """The firmware's version (issue 23): the first VERSION_CHARS hex digits of the SHA-256
    of its manifest; the same for the same files, whatever compiles or copies them."""
    return hashlib.sha256(manifest(firmware_dir).encode("utf-8")).hexdigest()[:VERSION_CHARS]


def write_version_file(board_root: Path, version: str) -> Path:
    """The VERSION_FILE a board reads at boot, in ``board_root`` (its filesystem's root)."""
    path = board_root / VERSION_FILE
    path.write_bytes(version.encode("ascii") + b"\n")
    return path


@cache
def server_firmware_version(firmware_dir: str = "") -> str | None:
    """The version of the firmware this server would flash and update boards to: the one in
    ``firmware_dir`` (config.json's; "": the lookup's folder); None when no firmware folder
    is found there. Computed once per process and folder."""
    try:
        return firmware_version(find_firmware_dir(firmware_dir or None))
    except (FirmwareNotFound, OSError):
        return None
