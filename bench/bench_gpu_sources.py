"""Benchmark: one poll of the direct GPU and RAPL sources on each sysfs fixture machine.

Run standalone: ``.venv/bin/python bench/bench_gpu_sources.py [--rounds N]``. Per machine it
prints the files one poll opens (counted by an audit hook on ``open``) and whether each was
opened once, and the median and p95 CPU time of a poll (this thread's ``thread_time``),
next to the median CPU time of parsing the LHM 0.9.6 capture (what the server does per poll
with LHM). The NVIDIA GPU of the APU laptop is tests/host/sources' stand-in for NVML: its
cost here is the Python side only. ``fdinfo scan of this PC's /proc`` is the Intel busy
scan over the real /proc (every process's fds), the part that grows with the process count.
Nothing here asserts on time.
"""

from __future__ import annotations

import argparse
import collections
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

from nocturne.sources.gpu.chooser import GpuSource  # noqa: E402
from nocturne.sources.gpu.intel import FdinfoBusy  # noqa: E402
from nocturne.sources.gpu.nvml import Nvml  # noqa: E402
from nocturne.sources.lhm.parser import parse_data_json  # noqa: E402
from nocturne.sources.rapl import RaplSource  # noqa: E402
from tests.host.sources.fake_nvml import fake_pynvml  # noqa: E402
from tests.host.sources.test_nvml import rtx3060  # noqa: E402

SYSFS = ROOT / "tests" / "fixtures" / "sysfs"
CAPTURE = (
    ROOT
    / "tests"
    / "fixtures"
    / "lhm"
    / "amd-r7-7800x3d_rtx4080super_nct6687d_lhm-0.9.6_comma.json"
)

_opens: list[str] | None = None


def _audit(event: str, args: tuple) -> None:
    if event == "open" and _opens is not None and isinstance(args[0], (str, Path)):
        _opens.append(str(args[0]))


def _cpu(fn, rounds: int) -> list[float]:
    for _ in range(min(20, rounds)):
        fn()
    out = []
    clock = time.thread_time
    for _ in range(rounds):
        t0 = clock()
        fn()
        out.append(clock() - t0)
    return out


def _p95(xs: list[float]) -> float:
    return statistics.quantiles(xs, n=20)[-1]


def main() -> None:
    global _opens
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=2000)
    args = ap.parse_args()
    sys.addaudithook(_audit)
    raw = CAPTURE.read_bytes()
    lhm = statistics.median(_cpu(lambda: parse_data_json(raw), max(50, args.rounds // 10))) * 1e6
    print(f"Python {sys.version.split()[0]}, {args.rounds} polls per machine")
    head = f"{'machine':<34} {'opens':>5} {'once':>4} {'poll med':>8} {'p95':>6} {'LHM parse':>9}"
    print(head)
    print("-" * len(head))
    with tempfile.TemporaryDirectory() as tmp:
        for machine in sorted(p.name for p in SYSFS.iterdir() if p.is_dir()):
            root = Path(tmp) / machine
            shutil.copytree(SYSFS / machine, root, symlinks=True)
            nvml = (lambda: Nvml(lambda: fake_pynvml([rtx3060()]))) if "rtx" in machine else None
            gpus = GpuSource("", root, nvml=nvml)
            rapl = RaplSource(root)

            def poll(gpus=gpus, rapl=rapl) -> None:
                gpus.read_sync()
                if rapl.found:
                    rapl.read_sync()

            poll()
            _opens = []
            poll()
            counts = collections.Counter(_opens)
            _opens = None
            once = "yes" if counts and max(counts.values()) == 1 else "NO"
            xs = _cpu(poll, args.rounds)
            med, p95 = statistics.median(xs) * 1e6, _p95(xs) * 1e6
            print(
                f"{machine:<34} {sum(counts.values()):>5} {once:>4} {med:8.1f} {p95:6.1f}"
                f" {lhm:9.1f}"
            )
            gpus.close()
    scan = FdinfoBusy(Path("/"), "0000:00:02.0")
    for what, fn in (
        ("/proc walk for DRM fds (every 10 s)", scan._find_fds),
        ("fdinfo poll between walks", lambda: scan._clients(scan._scanned_at or 0.0)),
    ):
        xs = _cpu(fn, max(20, args.rounds // 20))
        med, p95 = statistics.median(xs) * 1e6, _p95(xs) * 1e6
        print(f"{what:<34} {'':>5} {'':>4} {med:8.1f} {p95:6.1f} {lhm:9.1f}")
    print(
        "CPU times in µs per poll (thread_time); LHM parse = parse_data_json of the 0.9.6 capture"
    )


if __name__ == "__main__":
    main()
