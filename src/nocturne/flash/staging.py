"""The firmware files for the board: which folder, which files, and the staged tree mpremote
copies (the files and the generated secrets.py, main.py last)."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path, PurePosixPath

from .. import firmware_files as lookup
from .errors import FlashError
from .mpy import stage_compiled

SECRETS_NAME = "secrets.py"
# Where the generated secrets.py is staged for a dry run's printout (a real run uses mkdtemp).
DRY_RUN_STAGE = Path(tempfile.gettempdir()) / "nocturne-flash-XXXXXXXX"


def find_firmware_dir(override: str | os.PathLike[str] | None = None) -> Path:
    """The folder whose contents go to the board: ``override`` (``--firmware-dir``) or the
    one nocturne.firmware_files finds; FlashError naming the folders looked at."""
    try:
        return lookup.find_firmware_dir(override)
    except lookup.FirmwareNotFound as exc:
        raise FlashError(str(exc)) from exc


def firmware_files(firmware_dir: Path) -> list[PurePosixPath]:
    """Every file to copy, relative to ``firmware_dir``, sorted; caches and examples left out."""
    return lookup.board_files(firmware_dir)


def stage_entries(files: Sequence[PurePosixPath]) -> list[str]:
    """The top-level names to copy: folders first, then files, secrets.py and the version
    file, main.py last.

    main.py goes last so that a copy cut short never leaves a new main.py importing
    modules that are not there yet.
    """
    dirs = sorted({f.parts[0] for f in files if len(f.parts) > 1})
    plain = sorted(f.name for f in files if len(f.parts) == 1 and f.name != "main.py")
    tail = [SECRETS_NAME, lookup.VERSION_FILE]
    tail += ["main.py"] if PurePosixPath("main.py") in files else []
    return dirs + plain + tail


def stage_firmware(
    firmware_dir: Path,
    files: Sequence[PurePosixPath],
    secrets_text: str,
    stage_dir: Path,
    compiler: list[str] | None = None,
) -> list[PurePosixPath]:
    """Copy ``files`` (compiled to .mpy with ``compiler``, an mpy-cross command, when
    given: mpy.py), the generated secrets.py and the version file (the version of the
    source files, compiled or not) into ``stage_dir`` (the tree for the board); return the
    staged files' names."""
    if compiler is not None:
        staged = stage_compiled(firmware_dir, files, stage_dir, compiler)
    else:
        staged = list(files)
        for rel in files:
            target = stage_dir.joinpath(*rel.parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(firmware_dir.joinpath(*rel.parts), target)
    (stage_dir / SECRETS_NAME).write_bytes(secrets_text.encode("utf-8"))
    lookup.write_version_file(stage_dir, lookup.firmware_version(firmware_dir))
    return staged
