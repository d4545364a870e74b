"""``nocturne build``: the one-file server executable (PyInstaller), firmware beside it.

    dist/NocturneServer(.exe)   one file, no console window on Windows, icon, version info
    dist/firmware/              the board's files, for `NocturneServer flash`

Needs the ``[build]`` extra (PyInstaller). Runs from a source checkout.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path

from . import __version__
from .firmware_files import FirmwareNotFound, board_files, find_firmware_dir
from .tray import draw_icon

NAME = "NocturneServer"
ENTRY = """\
import sys

from nocturne.cli import main

sys.exit(main())
"""

# PyInstaller cannot see pystray's backend (imported by name at run time) or the flash tools'
# data files; name them.
PYSTRAY_BACKEND = {"win32": "pystray._win32", "darwin": "pystray._darwin"}

VERSION_INFO = """\
VSVersionInfo(
  ffi=FixedFileInfo(filevers={nums}, prodvers={nums}, mask=0x3f, flags=0x0, OS=0x40004,
                    fileType=0x1, subtype=0x0, date=(0, 0)),
  kids=[
    StringFileInfo([StringTable('040904B0', [
      StringStruct('CompanyName', 'NOCTURNE_OS'),
      StringStruct('FileDescription', 'NOCTURNE_OS server: PC stats for the OLED board'),
      StringStruct('FileVersion', '{dotted}'),
      StringStruct('InternalName', '{name}'),
      StringStruct('OriginalFilename', '{name}.exe'),
      StringStruct('ProductName', 'NOCTURNE_OS'),
      StringStruct('ProductVersion', '{dotted}')])]),
    VarFileInfo([VarStruct('Translation', [1033, 1200])])
  ]
)
"""


class BuildError(Exception):
    pass


def project_root() -> Path:
    root = Path(__file__).resolve().parents[2]
    if not (root / "pyproject.toml").is_file() or not (root / "firmware").is_dir():
        raise BuildError(
            f"`nocturne build` runs from a source checkout; {root} has no pyproject.toml "
            "and firmware/ folder"
        )
    return root


def version_numbers(version: str = __version__) -> tuple[int, int, int, int]:
    parts = [int("".join(c for c in p if c.isdigit()) or 0) for p in version.split(".")[:4]]
    return tuple([*parts, 0, 0, 0, 0][:4])  # type: ignore[return-value]


def pyinstaller_args(root: Path, work: Path, dist: Path, platform: str = sys.platform) -> list[str]:
    """The PyInstaller command line (without the program name)."""
    entry = work / "nocturne_entry.py"
    icon = work / "nocturne.ico"
    args = [
        str(entry),
        "--onefile",
        "--noconsole",  # Windows and macOS: the tray app opens no console window
        "--name", NAME,
        "--icon", str(icon),
        "--distpath", str(dist),
        "--workpath", str(work / "pyinstaller"),
        "--specpath", str(work),
        "--paths", str(root / "src"),
        "--hidden-import", PYSTRAY_BACKEND.get(platform, "pystray._xorg"),
        # `emulate` puts these MicroPython stand-ins on sys.path as plain files.
        "--add-data",
        f"{root / 'src' / 'nocturne' / 'emulator' / 'shims'}{os.pathsep}nocturne/emulator/shims",
        "--noconfirm",
        "--clean",
        "--log-level", "WARN",
    ]  # fmt: skip
    static = root / "src" / "nocturne" / "web" / "static"  # the dashboard's page
    if static.is_dir():
        args += ["--add-data", f"{static}{os.pathsep}nocturne/web/static"]
    if platform == "win32":
        args += ["--version-file", str(work / "version_info.txt")]
    for tool in ("esptool", "mpremote"):  # `flash` runs them in-process when frozen
        try:
            __import__(tool)
        except ImportError:
            continue
        args += ["--collect-all", tool] if tool == "esptool" else ["--collect-submodules", tool]
    # zeroconf's modules are compiled (Cython) and import each other where PyInstaller cannot
    # look; the mDNS advertisement imports it only when it starts.
    args += ["--collect-submodules", "zeroconf"]
    return args


def prepare(work: Path) -> None:
    """Write the entry script, the icon and the version resource into ``work``."""
    work.mkdir(parents=True, exist_ok=True)
    (work / "nocturne_entry.py").write_text(ENTRY, encoding="utf-8")
    draw_icon("serving").save(work / "nocturne.ico", sizes=[(16, 16), (32, 32), (48, 48), (64, 64)])
    nums = version_numbers()
    (work / "version_info.txt").write_text(
        VERSION_INFO.format(nums=nums, dotted=".".join(map(str, nums)), name=NAME),
        encoding="utf-8",
    )


def copy_firmware(root: Path, dist: Path) -> Path:
    """The board's files next to the exe (where the executable's firmware lookup finds them):
    what `flash` copies to a board, without caches, notes and local secrets."""
    try:
        source = find_firmware_dir(root / "firmware")
    except FirmwareNotFound as exc:
        raise BuildError(str(exc)) from exc
    target = dist / "firmware"
    if target.exists():
        shutil.rmtree(target)
    for rel in board_files(source):
        (target / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source / rel, target / rel)
    return target


def build(root: Path | None = None, *, clean: bool = True, out: Path | None = None) -> Path:
    """Build into ``out`` (default: the checkout's build/ and dist/); return the exe's path."""
    try:
        import PyInstaller.__main__ as pyinstaller
    except ImportError:
        raise BuildError(
            "PyInstaller is missing: pip install 'nocturne-os[build]' (or pip install pyinstaller)"
        ) from None
    root = root or project_root()
    base = out or root
    work, dist = base / "build", base / "dist"
    if clean:
        for path in (work, dist):
            if path.exists():
                shutil.rmtree(path)
    prepare(work)
    pyinstaller.run(pyinstaller_args(root, work, dist))
    exe = dist / (NAME + (".exe" if sys.platform == "win32" else ""))
    if not exe.is_file():
        raise BuildError(f"PyInstaller finished but {exe} is missing; see its messages above")
    copy_firmware(root, dist)
    return exe


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="nocturne build", description=__doc__.splitlines()[0])
    parser.add_argument("--no-clean", action="store_true", help="keep build/ and dist/")
    args = parser.parse_args(argv)
    try:
        exe = build(clean=not args.no_clean)
    except BuildError as exc:
        print(f"build failed: {exc}", file=sys.stderr)
        return 1
    size = exe.stat().st_size / 2**20
    print(f"built {exe} ({size:.1f} MB) and {exe.parent / 'firmware'}")
    return 0
