"""Where the board's files (``firmware/``: main.py, boot.py, nocturne_fw/) are found, and
which of them go to the board.

One lookup for every command that needs them (``flash``, ``emulate``, ``build``): an explicit
folder, then ``$NOCTURNE_FIRMWARE``, then the copy inside an installed wheel
(``nocturne/_firmware``, found through importlib.resources), then a source checkout's
``firmware/``, then the folder bundled into or beside the one-file executable.
"""

from __future__ import annotations

import os
import sys
from importlib import resources
from pathlib import Path, PurePosixPath

ENV_VAR = "NOCTURNE_FIRMWARE"
PACKAGED_NAME = "_firmware"  # the folder name inside the installed package
_CHECKOUT = Path(__file__).resolve().parents[2] / "firmware"
# What never goes to the board (nor into the wheel, nor beside the one-file executable): a
# developer's own secrets.py, the example, caches, notes and hidden files.
SKIP_NAMES = frozenset({"secrets.example.py", "secrets.py", "__pycache__", "README.md"})
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
