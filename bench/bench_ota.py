"""Updates over the air (issue 23): how long an update takes, what it sends, the heap it
needs, and (``--cuts``) a power cut at every filesystem step of the swap and the rollback.

    .venv/bin/python bench/bench_ota.py [--boards 8] [--cuts] [--every 1]

1. Time. Boards under the MicroPython unix port (real sockets, each on its own filesystem
   folder, booted through boot.py as a board boots: tests/e2e/ota_boards.py) run this
   checkout's firmware; a real DeviceServer on loopback with ``"board_updates": "ask"``
   carries a variant of it (one comment more). Once every board is connected, the update of
   all of them is asked for at once; timed until each board staged it (``ota:staged``), and
   until each runs the new version, drew live data and marked itself good. One board, then
   ``--boards`` at once (they share this machine's cores).
2. Bytes. What the server wrote per board (the UP lines), next to the firmware's size.
3. Heap. The WebAssembly port (a board's 32-bit object sizes) receives the same update
   (tests/firmware/ota_wasm.py): the live heap's peak above where it started, and the most
   one full chunk allocated; the baseline, in the same run, copies the same files through a
   384-byte buffer (what any update must do at least).
4. ``--cuts``: every filesystem step of the swap (and of a rollback) cut in turn, and the
   other points (mid-transfer, after staging, on trial, after good), each followed by a
   restart on the same folder: which version came up (it must always be a whole one that
   reaches live data; ``--every K`` tries every K-th step only).

Prints figures; asserts only that every cut came up on a whole version.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
for p in (ROOT, ROOT / "src", ROOT / "tests" / "firmware", ROOT / "firmware"):
    sys.path.insert(0, str(p))
sys.path.insert(0, str(ROOT / "src" / "nocturne" / "emulator" / "shims"))

from nocturne.firmware_files import firmware_version  # noqa: E402
from nocturne.flash.ota_compile import compile_bundle  # noqa: E402
from nocturne.updates.bundle import load_bundle  # noqa: E402
from tests.e2e.ota_boards import (  # noqa: E402
    RebootingBoard,
    board_mpy,
    checkout,
    cut_and_recover,
    cut_boot,
    install,
    installed,
    leftovers,
    ota_server,
    run_until,
    staged_board,
    variant,
)

COPY_SETUP = """
import gc
buf = bytearray(384)
peak = 0
gc.collect()
base = gc.mem_alloc()
"""
COPY_FILE = """
with open(%r, "rb") as a, open("copy.bin", "wb") as b:
    while True:
        n = a.readinto(buf)
        if not n:
            break
        b.write(buf if n == 384 else memoryview(buf)[:n])
gc.collect()
live = gc.mem_alloc() - base
peak = live if live > peak else peak
"""


async def time_updates(tmp: Path, n: int) -> tuple[float, float, int]:
    """(s until every board staged, s until every board runs the new version marked good,
    bytes written per board)."""
    new = variant(tmp / f"new-{n}")
    ours = firmware_version(new)
    # every board its own token: its own HMAC key
    tokens = {f"b{k}": f"dG9rZW4tZm9yLWJvYXJkLW51bWJlci0{k:04d}" for k in range(n)}
    async with ota_server(new, mode="ask", trial_s=60, tokens=tokens) as srv:
        boards = []
        for k in range(n):
            fs = tmp / f"board-{n}-{k}"
            install(fs, checkout())
            log = tmp / f"{fs.name}.log"
            boards.append(RebootingBoard(srv.port, fs, log, token=tokens[f"b{k}"]))
        try:
            ready = await run_until(
                boards,
                lambda: sum(1 for d in srv.devices() if (d.update or {}).get("available")) == n,
                120,
            )
            assert ready, "the boards did not all connect"
            t0 = time.monotonic()
            assert len(srv.request_update(None)) == n

            def staged() -> bool:
                return all((b.fs / "ota_ready").exists() or installed(b.fs) == ours for b in boards)

            assert await run_until(boards, staged, 600)
            t_staged = time.monotonic() - t0

            def good() -> bool:
                running = {d.board: d.firmware for d in srv.devices()}
                return all(running.get(f"b{k}") == ours for k in range(n)) and not any(
                    leftovers(b.fs) for b in boards
                )

            assert await run_until(boards, good, 600)
            t_good = time.monotonic() - t0
        finally:
            for b in boards:
                b.close()
        return t_staged, t_good, srv.updates.bytes_sent // n


def heap_figures() -> tuple[int, int, int, int]:
    """(full chunks, the most one allocated, the update's peak, the copy's peak) in bytes."""
    from mp import run_micropython
    from ota_wasm import run_update

    chunks, chunk_max, peak, _ = run_update()
    bundle = load_bundle()
    files = {
        f"f{k}.bin": {"base64": base64.b64encode(f.data).decode()}
        for k, f in enumerate(bundle.files)
    }
    script = [COPY_SETUP] + [COPY_FILE % name for name in files] + ["print('PEAK', peak)"]
    out = run_micropython(script, files)
    copy_peak = int(next(x for x in out.splitlines() if x.startswith("PEAK")).split()[1])
    return chunks, chunk_max, peak, copy_peak


async def sweep(tmp: Path, every: int) -> None:
    new = variant(tmp / "new-cuts")
    async with ota_server(new, trial_s=30) as srv:
        # how many steps the swap and the rollback take (a cut past the last one cuts nothing)
        fs = tmp / "count"
        install(fs, checkout())
        board = await staged_board(tmp, srv, fs)
        board.close()
        swap_steps = 0
        probe = tmp / "probe"
        while True:
            shutil.rmtree(probe, ignore_errors=True)
            shutil.copytree(fs, probe)
            if cut_boot(probe, swap_steps):
                break
            swap_steps += 1
        roll_steps = 0
        after = tmp / "after"
        shutil.copytree(fs, after)
        assert cut_boot(after, 10_000)
        while True:
            shutil.rmtree(probe, ignore_errors=True)
            shutil.copytree(after, probe)
            if cut_boot(probe, roll_steps):
                break
            roll_steps += 1
        print(f"swap: {swap_steps} filesystem steps; rollback: {roll_steps}")
        points = [("transfer", 0), ("staged", 0), ("after-swap", 0), ("trial", 0), ("good", 0)]
        points += [("swap", k) for k in range(0, swap_steps + 1, every)]
        points += [("rollback", k) for k in range(0, roll_steps + 1, every)]
    results: dict[str, int] = {"old": 0, "new": 0}
    t0 = time.monotonic()
    for point, steps in points:
        # a server each: one that heard of a rollback never offers that version again
        async with ota_server(new, trial_s=30) as srv:
            runs = await cut_and_recover(tmp, srv, checkout(), new, point, steps)
        results[runs] += 1
        print(f"  cut {point:<10} step {steps:>3}: came up on the {runs} version, live")
    print(
        f"{len(points)} power cuts: {results['new']} came up new, {results['old']} old, "
        f"none on neither ({time.monotonic() - t0:.0f} s)"
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--boards", type=int, default=8)
    parser.add_argument("--cuts", action="store_true", help="sweep the power cuts")
    parser.add_argument("--every", type=int, default=1, help="--cuts: every K-th step")
    args = parser.parse_args()
    source = load_bundle()
    sent_as, _ = compile_bundle(source, board_mpy())  # what the unix port's boards get
    bundle = sent_as or source
    print(
        f"firmware: {len(source.files)} files, {source.size} bytes as source, {bundle.size} "
        f"as the boards get it (.mpy for the unix port: {board_mpy()}; version {source.version})"
    )
    with tempfile.TemporaryDirectory(prefix="bench-ota-") as tmp:
        for n in (1, args.boards):
            staged, good, sent = await time_updates(Path(tmp), n)
            print(
                f"{n} board(s) at once: staged in {staged:.1f} s, new version live and marked "
                f"good in {good:.1f} s; {sent} bytes sent per board "
                f"({sent / bundle.size:.2f}x the files)"
            )
        chunks, chunk_max, peak, copy_peak = heap_figures()
        print(
            f"heap (WebAssembly port, 32-bit): update peak {peak} B live above its start "
            f"(baseline, a 384-byte-buffer copy of the same files: {copy_peak} B); "
            f"{chunks} full chunks, the most one allocated: {chunk_max} B"
        )
        if args.cuts:
            await sweep(Path(tmp), args.every)


if __name__ == "__main__":
    asyncio.run(main())
