"""The firmware's 24-hour heap soak (issue 20) on both real MicroPython ports: the board's
life on an injected clock (tests/firmware/soak.py: server kills, freezes and absences,
covers, PCS lists, process names of every length, alerts, discovery, CLOCK, night, idle),
the 32-bit WebAssembly port in 128 KB, the 64-bit unix port in 256 KB on real loopback
sockets. Prints each hour's live heap and largest free block, and whether the end's is
no smaller than the first hour's (issue 20); exits 1 when not. The suite runs a few hours
of it and asserts the same (test_soak.py).

    .venv/bin/python bench/bench_firmware_soak.py [--hours 24] [--port wasm|unix|both]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
for p in (ROOT / "tests" / "firmware", ROOT / "firmware", ROOT / "src/nocturne/emulator/shims"):
    if str(p) not in sys.path:
        sys.path.insert(0, str(p))

import soak_runs  # noqa: E402


def show(name: str, block: int, hours: list[soak_runs.Hour], wall: float) -> bool:
    print(f"\n{name}: {hours[-1].seconds / 3600:.0f} simulated hours in {wall:.0f} s")
    print("  hour    ticks  lines  connects  survived  grew  live B  largest free B")
    for h in hours:
        print(
            f"  {h.label:>5} {h.ticks:8} {h.lines:6} {h.connects:9} {h.survived:9} "
            f"{h.grew:5} {h.live:7} {h.largest * block:15}"
        )
    ok = all(h.grew == 0 and h.survived == 0 for h in hours) and (
        hours[-1].largest >= hours[1].largest
    )
    print(f"  no MemoryError, largest free block at the end >= after hour 1: {ok}")
    return ok


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hours", type=int, default=24)
    ap.add_argument("--port", choices=("wasm", "unix", "both"), default="both")
    args = ap.parse_args()
    ok = True
    if args.port in ("wasm", "both"):
        t = time.monotonic()
        hours = soak_runs.wasm(args.hours)
        ok &= show("WebAssembly port (32-bit), 128 KB", 16, hours, time.monotonic() - t)
    if args.port in ("unix", "both"):
        t = time.monotonic()
        hours = soak_runs.unix(args.hours)
        ok &= show("unix port (64-bit), 256 KB, real sockets", 32, hours, time.monotonic() - t)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
