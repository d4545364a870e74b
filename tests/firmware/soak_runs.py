"""Run soak.py on both real MicroPython ports and read its figures (test_soak.py, and
bench/bench_firmware_soak.py for the full 24 hours).

- The 32-bit WebAssembly port, 128 KB: the board searches its PC on the fake LAN. The port
  collects only between top-level scripts and grows its heap instead of raising
  MemoryError, so the soak is two scripts per ``LINE_S`` of board time (the server's line,
  the board's ticks) and the heap's size
  is checked after every hour: it must never have grown. discovery.py, which the Link
  imports for each search and lets go of once linked, is loaded as a .mpy (mpy-cross, as
  ``nocturne flash`` copies it): compiling it inside one script, where this port cannot
  collect, would count ~20 KB of the compiler's garbage a board collects as it goes.
- The 64-bit unix port, 256 KB: real loopback sockets (soak.RealLan), the collector runs
  when the heap is full as on a board, and a MemoryError would be survived by the App and
  counted: the count must stay 0.

Each hour's report: board seconds, ticks, lines the board took, connects, failures
survived, live bytes, free bytes, and the largest free block (``mem_info``'s "max free
sz", in GC blocks: 16 bytes on the 32-bit port, 32 on the 64-bit one).
"""

from __future__ import annotations

import socket
from dataclasses import dataclass
from pathlib import Path

import screens
import test_heap_budget as H
from mp import FIRMWARE, as_mpy, firmware_files, run_micropython, run_unix

HERE = Path(__file__).resolve().parent
WASM_HEAP = 128 * 1024
UNIX_HEAP = 256 * 1024


@dataclass(frozen=True)
class Hour:
    label: str
    seconds: int
    ticks: int
    lines: int
    connects: int
    survived: int
    live: int
    largest: int  # GC blocks
    grew: int = 0  # bytes the WebAssembly heap grew by (0: it fitted)


def _cover() -> str:
    return screens.b64(screens.moon_cover())


def _parse(out: str) -> list[Hour]:
    hours = []
    lines = out.splitlines()
    for i, row in enumerate(lines):
        if not row.startswith("SOAK "):
            continue
        f = row.split()
        largest = next(
            int(r.rsplit("max free sz:", 1)[1]) for r in lines[i + 1 :] if "max free sz:" in r
        )
        grew = next((int(r.split()[1]) for r in lines[i + 1 : i + 5] if r.startswith("GREW")), 0)
        hours.append(Hour(f[1], *(int(x) for x in f[2:8]), largest, grew))
    return hours


def wasm(hours: int) -> list[Hour]:
    """``hours`` of board time on the WebAssembly port in 128 KB."""
    files: dict = {n: H.without_docstrings(t) for n, t in firmware_files().items()}
    del files["nocturne_fw/discovery.py"]
    files["nocturne_fw/discovery.mpy"] = as_mpy(
        "nocturne_fw/discovery.py", (FIRMWARE / "nocturne_fw/discovery.py").read_text()
    )
    files["soak.py"] = H.without_docstrings((HERE / "soak.py").read_text(encoding="utf-8"))
    files["cover.txt"] = _cover()
    modules = (*H.MODULES, "timekeeping", "desk", "clock_screen", "survive")
    steps = ["import gc\nT0 = gc.mem_alloc() + gc.mem_free()"]
    steps += [f"from nocturne_fw import {m}" for m in modules]  # one compile per script
    steps += ["import soak", "s = soak.Soak(open('cover.txt').read())"]
    report = "s.report('{}')\nprint('GREW', gc.mem_alloc() + gc.mem_free() - T0)"
    steps += ["gc.collect()", report.format("start")]
    per_hour = 3600 // 2
    for h in range(1, hours + 1):
        # soak.LINE_S: the server's line made in a script, the board taking it in the next
        steps += ["s.serve()", "s.run(2)"] * per_hour
        steps += ["gc.collect()", report.format(f"h{h}")]
    return _parse(run_micropython(steps, files, heapsize=WASM_HEAP, timeout=3600))


def unix(hours: int) -> list[Hour]:
    """``hours`` of board time on the unix port in 256 KB, on real loopback sockets."""
    files = firmware_files()
    for name in ("soak.py", "soak_real.py"):
        files[name] = (HERE / name).read_text(encoding="utf-8")
    files["cover.txt"] = _cover()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    script = (
        "import gc, soak\n"
        f"s = soak.Soak(open('cover.txt').read(), {port})\n"
        "gc.collect()\n"
        "s.report('start')\n"
        f"for h in range({hours}):\n"
        "    s.run(3600)\n"
        "    gc.collect()\n"
        "    s.report('h%d' % (h + 1))\n"
    )
    return _parse(run_unix(script, files, heapsize=UNIX_HEAP, timeout=3600))
