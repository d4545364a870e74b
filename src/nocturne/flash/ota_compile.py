"""An update's modules compiled for the board that gets it (issue 23): the firmware boards
are updated to (updates/bundle.py) through ``nocturne flash``'s mpy-cross (mpy.py). Here,
not in updates/, so the server's packages do not import the flasher's (the app hands this
to updates.manager.Updates)."""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path, PurePosixPath

from ..firmware_files import VERSION_FILE
from ..updates.bundle import BoardFile, Bundle
from .errors import FlashError
from .mpy import compiler_for, decode_mpy, stage_compiled


def compile_bundle(bundle: Bundle, mpy_value: int) -> tuple[Bundle | None, str]:
    """``bundle`` with its modules compiled by mpy-cross for a board whose
    ``sys.implementation._mpy`` is ``mpy_value`` (flash/mpy.py: ``x.mpy`` for ``x.py``,
    main.py source), the same version; (None, why in a few words) when mpy-cross cannot
    write that version or a module does not compile. Compiles the bundle's own bytes, so
    the files are the version's even when ``firmware_dir`` changed since."""
    compiler, why = compiler_for(decode_mpy(mpy_value))
    if compiler is None:
        return None, why
    version_file = [f for f in bundle.files if f.path == VERSION_FILE]
    sources = [f for f in bundle.files if f.path != VERSION_FILE]
    with tempfile.TemporaryDirectory(prefix="nocturne-ota-") as tmp:
        src, out = Path(tmp, "src"), Path(tmp, "out")
        for f in sources:
            dest = src.joinpath(*f.path.split("/"))
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_bytes(f.data)
        rels = [PurePosixPath(f.path) for f in sources]
        try:
            staged = stage_compiled(src, rels, out, compiler)
            files = [BoardFile(r.as_posix(), out.joinpath(*r.parts).read_bytes()) for r in staged]
        except (FlashError, OSError, subprocess.SubprocessError) as exc:
            return None, str(exc)
    return Bundle(bundle.version, (*files, *version_file), bundle.source), ""
