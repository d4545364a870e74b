"""Benchmark: parse + map every LHM/OHM capture in tests/fixtures/lhm.

Run standalone: ``.venv/bin/python bench/bench_lhm_parse.py [--rounds N]``. Prints, per
capture, its size, the median and p95 of a bare ``json.loads`` and of ``parse_data_json``
(decode + walk + map), and their ratio; and the median of a bare ``orjson.loads``, the decode
bench_system's floor does (the parse's own decode, so parse minus it is the walk and the map).
The budget (DESIGN.md) is 1.5 ms for a 155 KB body; nothing here asserts on time.
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import sys
import time
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from nocturne.sources.lhm.parser import parse_data_json  # noqa: E402

FIXTURES = ROOT / "tests" / "fixtures" / "lhm"


def _times(fn, arg, rounds: int) -> list[float]:
    for _ in range(min(50, rounds)):  # warm-up
        fn(arg)
    out = []
    clock = time.perf_counter
    for _ in range(rounds):
        t0 = clock()
        fn(arg)
        out.append(clock() - t0)
    return out


def _p95(xs: list[float]) -> float:
    return statistics.quantiles(xs, n=20)[-1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=1000)
    ap.add_argument("--no-gc", action="store_true", help="disable the cyclic GC while timing")
    args = ap.parse_args()
    gc_note = "gc disabled" if args.no_gc else "gc enabled (as in the server)"
    print(f"Python {sys.version.split()[0]}, {args.rounds} rounds, {gc_note}")
    paths = sorted(FIXTURES.glob("*.json"))
    width = max(len(p.name) for p in paths)
    head = (
        f"{'capture':<{width}} {'KB':>6} {'loads med':>9} {'p95':>6}"
        f" {'parse med':>9} {'p95':>6} {'ratio':>5} {'orjson med':>10}"
    )
    print(head)
    print("-" * len(head))
    for path in paths:
        raw = path.read_bytes()
        gc.collect()
        if args.no_gc:
            gc.disable()
        try:
            loads = _times(json.loads, raw, args.rounds)
            parse = _times(parse_data_json, raw, args.rounds)
            fast = _times(orjson.loads, raw, args.rounds)
        finally:
            gc.enable()
        lm, pm = statistics.median(loads) * 1e3, statistics.median(parse) * 1e3
        print(
            f"{path.name:<{width}} {len(raw) / 1024:6.1f} {lm:9.3f} {_p95(loads) * 1e3:6.3f}"
            f" {pm:9.3f} {_p95(parse) * 1e3:6.3f} {pm / lm:5.2f}"
            f" {statistics.median(fast) * 1e3:10.3f}"
        )
    print("times in ms; ratio = parse median / json.loads median; budget 1.5 ms at 155 KB")


if __name__ == "__main__":
    main()
