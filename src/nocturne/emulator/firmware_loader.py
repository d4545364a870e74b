"""The firmware from ``firmware/`` made importable in CPython, next to the MicroPython shims.

The folder comes from the one lookup, ``nocturne.firmware_files.find_firmware_dir``.
"""

from __future__ import annotations

import gc
import importlib.util
import os
import sys
import types
from pathlib import Path

from ..firmware_files import (
    FirmwareNotFound,
    find_firmware_dir,
    firmware_version,
    write_version_file,
)
from .errors import EmulatorError

SHIMS_DIR = Path(__file__).resolve().parent / "shims"


def find_firmware(path: str | os.PathLike[str] | None = None) -> Path:
    """The firmware directory (``path``, else where the one lookup finds it)."""
    try:
        return find_firmware_dir(path)
    except FirmwareNotFound as exc:
        raise EmulatorError(str(exc)) from None


def install_paths(firmware: str | os.PathLike[str] | None = None) -> Path:
    """Put the firmware and the MicroPython shims on ``sys.path`` (idempotent); return the
    firmware directory."""
    fw = find_firmware(firmware)
    for p in (str(SHIMS_DIR), str(fw)):
        if p not in sys.path:
            sys.path.insert(0, p)
    return fw


def firmware_main(fw: Path) -> types.ModuleType:
    """``firmware/main.py`` as the module ``main`` (loaded once; its ``build()`` makes a
    board and holds no state between calls)."""
    mod = sys.modules.get("main")
    if mod is None or Path(getattr(mod, "__file__", "") or "").resolve() != fw / "main.py":
        spec = importlib.util.spec_from_file_location("main", fw / "main.py")
        assert spec is not None and spec.loader is not None
        mod = importlib.util.module_from_spec(spec)
        sys.modules["main"] = mod
        spec.loader.exec_module(mod)
    bind_micropython_gc()
    return mod


def bind_micropython_gc() -> None:
    """Give every loaded firmware module the shims' ``gc`` (``shims/_mp_gc.py`` says why)."""
    import _mp_gc  # type: ignore[import-not-found]  # from SHIMS_DIR, on sys.path

    for name, mod in list(sys.modules.items()):
        if (name == "main" or name.startswith("nocturne_fw")) and getattr(mod, "gc", None) is gc:
            mod.gc = _mp_gc  # type: ignore[attr-defined]


def stamp_version(fs_dir: Path, fw: Path) -> None:
    """Write the version of the files in ``fw`` to the board's filesystem ``fs_dir``, as
    ``nocturne flash`` does on a board: the emulated board reports what it runs."""
    write_version_file(fs_dir, firmware_version(fw))
