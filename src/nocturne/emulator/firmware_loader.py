"""The firmware from ``firmware/`` made importable in CPython, next to the MicroPython shims.

The folder comes from the one lookup, ``nocturne.firmware_files.find_firmware_dir``, unless
the board's filesystem (``--fs DIR``) holds firmware of its own, as ``nocturne flash`` or an
update over the air leaves it: then the board runs those files, boot.py first, as a board
does at every reset (``board_firmware``, ``run_boot``).

One firmware folder at a time per process: switching to another drops the firmware's
modules from ``sys.modules`` (a board built before keeps the modules it holds).
"""

from __future__ import annotations

import contextlib
import gc
import importlib.util
import os
import runpy
import sys
import traceback
import types
from pathlib import Path

from ..firmware_files import (
    FirmwareNotFound,
    find_firmware_dir,
    firmware_version,
    is_firmware_dir,
    write_version_file,
)
from .errors import EmulatorError

SHIMS_DIR = Path(__file__).resolve().parent / "shims"
_installed: list[Path] = []  # the firmware folder on sys.path now (at most one)


def find_firmware(path: str | os.PathLike[str] | None = None) -> Path:
    """The firmware directory (``path``, else where the one lookup finds it)."""
    try:
        return find_firmware_dir(path)
    except FirmwareNotFound as exc:
        raise EmulatorError(str(exc)) from None


def install_paths(firmware: str | os.PathLike[str] | None = None) -> Path:
    """Put the firmware and the MicroPython shims on ``sys.path`` (idempotent); return the
    firmware directory (``firmware`` None: the one installed already, else the lookup's)."""
    fw = _installed[0] if firmware is None and _installed else find_firmware(firmware)
    if _installed and _installed[0] != fw:
        _forget(_installed.pop())
    if not _installed:
        _installed.append(fw)
    for p in (str(SHIMS_DIR), str(fw)):
        if p not in sys.path:
            sys.path.insert(0, p)
    return fw


def _forget(old: Path) -> None:
    """Another firmware folder goes on the path: this one's modules go (else its package
    would keep answering the imports)."""
    with contextlib.suppress(ValueError):
        sys.path.remove(str(old))
    _drop_modules()


def _drop_modules() -> None:
    for name in list(sys.modules):
        if name in ("main", "boot") or name == "nocturne_fw" or name.startswith("nocturne_fw."):
            del sys.modules[name]


def fs_firmware(fs_dir: str | os.PathLike[str]) -> Path | None:
    """The board's filesystem ``fs_dir`` when it holds the firmware (main.py and
    nocturne_fw/, as ``nocturne flash`` leaves them); None when it holds none."""
    fs = Path(fs_dir).resolve()
    return fs if is_firmware_dir(fs) else None


def compiled_only(fw: Path) -> list[Path]:
    """The modules under ``fw`` present only as .mpy (CPython cannot run them)."""
    return [p for p in sorted(fw.rglob("*.mpy")) if not p.with_suffix(".py").is_file()]


def board_firmware(
    fs_dir: Path, firmware: str | os.PathLike[str] | None = None
) -> tuple[Path, bool]:
    """What a CPython board on ``fs_dir`` runs, its paths installed: the files on its
    filesystem when it holds firmware (True; its boot.py run first, its own ``fw_version``
    left as it is), else the firmware folder with its version stamped on ``fs_dir``
    (False: ``nocturne emulate`` without firmware on the board, as before)."""
    own = fs_firmware(fs_dir)
    if own is None:
        fw = install_paths(firmware)
        stamp_version(fs_dir, fw)
        return fw, False
    mpy = compiled_only(own)
    if mpy:
        raise EmulatorError(
            f"{own} holds the board's modules compiled to .mpy ({mpy[0].relative_to(own)}...), "
            "which only MicroPython runs: add --runtime micropython, or flash the board with "
            "nocturne flash --source"
        )
    install_paths(own)
    _drop_modules()  # a boot imports the files as they are now (an update may have swapped them)
    run_boot(own)
    return own, True


def run_boot(fs_dir: Path) -> None:
    """The board's boot.py, in its filesystem's root, as MicroPython runs it before
    main.py: an exception is printed and the boot goes on."""
    boot = fs_dir / "boot.py"
    if not boot.is_file():
        return
    cwd = Path.cwd()
    os.chdir(fs_dir)
    try:
        runpy.run_path(str(boot), run_name="boot")
    except Exception:
        traceback.print_exc()
    finally:
        os.chdir(cwd)


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
