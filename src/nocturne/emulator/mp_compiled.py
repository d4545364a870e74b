"""``nocturne emulate --runtime micropython --mpy``: the board's modules as .mpy, compiled
with mpy-cross for the unix port's own ``.mpy`` version, as ``nocturne flash`` compiles them
for a board (nocturne.flash.mpy)."""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path
from typing import Any

from .errors import EmulatorError
from .firmware_loader import find_firmware
from .mp_command import micropython_command

_COMPILED: list[tempfile.TemporaryDirectory[str]] = []  # kept until the process ends


def compiled_firmware(args: Any) -> Path:
    """``--mpy`` (hook, issue 20): the firmware compiled to .mpy for this unix port's own
    ``sys.implementation._mpy``, as ``nocturne flash`` compiles it for a board."""
    from ..flash import FlashError
    from ..flash.mpy import PROBE, compile_board_files, parse_probe

    probe = subprocess.run(
        [*micropython_command(), "-c", PROBE], capture_output=True, text=True, timeout=60
    )
    value = parse_probe(probe.stdout)
    if value is None:
        raise EmulatorError("--mpy: the MicroPython unix port did not say its .mpy version")
    out = tempfile.TemporaryDirectory(prefix="nocturne-mpy-")
    _COMPILED.append(out)
    try:
        compile_board_files(find_firmware(getattr(args, "firmware", None)), Path(out.name), value)
    except FlashError as exc:
        raise EmulatorError(f"--mpy: {exc}") from None
    return Path(out.name)
