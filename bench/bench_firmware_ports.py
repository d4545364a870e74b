"""The firmware's memory on both MicroPython ports: bytes allocated per idle tick, per redraw
and per received line, the live heap after a session (next to the live heap right after
the board was built, from the same run), and the smallest heap that runs the session.

    .venv/bin/python bench/bench_firmware_ports.py                 # 0.5-minute sessions
    .venv/bin/python bench/bench_firmware_ports.py --minutes 3     # the issue's figure
    .venv/bin/python bench/bench_firmware_ports.py --no-bisect     # skip the searches

- WASM, 32-bit (object sizes as on the ESP32): tests/firmware/mp.py under Node. No sockets
  there: the App runs on the test fakes with a manual clock, a typical line every 1.5 s of
  board time fed to its State (the link's part of a line is not in the line figure). The
  session is test_heap_budget's (every scene and system screen, a cover, an alert) then the
  minutes of ticks; the port collects only between scripts, so a session is one script per
  1.5 s. Smallest heap: the port grows a full heap instead of failing, so "runs" means it
  never grew past the size it was given (as test_heap_budget checks).
- unix, 64-bit (objects up to twice as large): ``MpDevice`` (nocturne emulate --runtime
  micropython) against a real ``nocturne --console`` with the LHM replay, on loopback,
  real time; figures measured by the board (mp_board/board_main.py). Smallest heap: the
  board comes up, walks every scene and gets lines for 10 s without a MemoryError.

Prints figures, asserts nothing; searches run at 4 KB (unix) and 1 KB (WASM) resolution.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TESTS = ROOT / "tests" / "firmware"
for p in (TESTS, ROOT / "firmware", ROOT / "src" / "nocturne" / "emulator" / "shims"):
    if str(p) not in sys.path:
        sys.path.insert(0, str(p))
sys.path.append(str(ROOT))  # tests.harness

LINE_EVERY = 150  # ticks (1.5 s): lines further apart than FRAME_MS, so redraws happen

# -- WASM ------------------------------------------------------------------------------

MEASURE = r"""
def _measure(n_ticks):
    h = {"idle": [0, 0, 0], "redraw": [0, 0, 0], "line": [0, 0, 0]}
    app.settings.carousel = False
    for k in range(n_ticks):
        line = k %% %(every)d == 0
        f = app.frames
        app.clock.advance(screens.A.TICK_MS)
        a = gc.mem_alloc()
        if line:
            app.state.feed(typical)
        app.tick()
        d = gc.mem_alloc() - a
        kind = "line" if line else ("redraw" if app.frames != f else "idle")
        r = h[kind]
        r[0] += 1
        r[1] += 1 if d else 0
        r[2] = d if d > r[2] else r[2]
    for kind in ("idle", "redraw", "line"):
        print("FIG", kind, *h[kind])
_measure(%(ticks)d)
"""

CHUNK = (
    "app.state.feed(typical)\n"
    f"for _ in range({LINE_EVERY}):\n"
    "    app.clock.advance(screens.A.TICK_MS)\n"
    "    app.tick()\n"
)

END = (
    "grew = gc.mem_alloc() + gc.mem_free() - T0\n"
    "print('END', 'OK' if grew == 0 else 'GREW', grew, gc.mem_alloc())"
)


def _wasm_files() -> dict[str, str]:
    import screens
    import test_heap_budget as hb
    from mp import firmware_files

    strip = getattr(hb, "without_docstrings", lambda text: text)
    files = {name: strip(text) for name, text in firmware_files().items()}
    files["screens.py"] = Path(screens.__file__).read_text(encoding="utf-8")
    files["line.txt"] = screens.FULL % screens.b64(screens.moon_cover())
    return files


def _wasm_session(chunks: int, measure_ticks: int = 0) -> list[str]:
    import test_heap_budget as hb

    s = hb.session()[:-2]  # test_heap_budget's session without its end check
    # the port's collector runs now and then between scripts and is conservative (a stale
    # pointer keeps a line's garbage): the least of four readings is the live heap
    s += ["pass", "print('BASE', gc.mem_alloc())"] * 4
    if measure_ticks:
        s.append(MEASURE % {"every": LINE_EVERY, "ticks": measure_ticks})
    s += [CHUNK] * chunks
    s += ["pass", "print('LIVE', gc.mem_alloc())"] * 4
    s += ["pass", END]
    return s


def _wasm_run(heap: int, chunks: int, measure_ticks: int = 0) -> dict[str, object]:
    from mp import MicroPythonError, run_micropython

    try:
        out = run_micropython(_wasm_session(chunks, measure_ticks), _wasm_files(), heap)
    except MicroPythonError as exc:
        return {"ok": False, "error": str(exc).splitlines()[-1]}
    res: dict[str, object] = {"figs": {}}
    for line in out.splitlines():
        w = line.split()
        if w[:1] == ["FIG"]:
            res["figs"][w[1]] = tuple(int(x) for x in w[2:])  # type: ignore[index]
        elif w[:1] in (["BASE"], ["LIVE"]):
            key = w[0].lower()
            res[key] = min(int(w[1]), res.get(key, 1 << 40))  # type: ignore[call-overload]
        elif w[:1] == ["END"]:
            res["ok"] = w[1] == "OK"
    return res


def _bisect(fits, lo: int, hi: int, step: int) -> int | None:
    """The smallest heap in (lo, hi] (a multiple of step) for which fits() is true."""
    if not fits(hi):
        return None
    while hi - lo > step:
        mid = (lo + hi) // 2 // step * step
        if fits(mid):
            hi = mid
        else:
            lo = mid
    return hi


def bench_wasm(minutes: float, bisect: bool) -> None:
    chunks = max(1, round(minutes * 60 * 100 / LINE_EVERY))
    print(f"=== MicroPython WebAssembly port (32-bit), a {minutes:g}-minute session")
    t0 = time.monotonic()
    r = _wasm_run(4 * 1024 * 1024, 0, measure_ticks=20 * LINE_EVERY)
    _print_figs(r.get("figs", {}))
    r = _wasm_run(4 * 1024 * 1024, chunks)
    print(f"  live heap: {r.get('base')} B after the build and the walk over every screen, ")
    print(f"             {r.get('live')} B after {chunks} lines ({minutes:g} min of ticks)")
    if bisect:
        least = _bisect(lambda h: bool(_wasm_run(h, 10).get("ok")), 64 * 1024, 256 * 1024, 1024)
        print(f"  smallest heap for the session: {least // 1024 if least else '>256'} KB")
    print(f"  ({time.monotonic() - t0:.0f} s)")


def _print_figs(figs: dict) -> None:
    for kind in ("idle", "redraw", "line"):
        if kind in figs:
            n, nz, mx = figs[kind]
            print(f"  per {kind + ' tick:':13} max {mx:6d} B   ({nz} of {n} ticks allocated)")


# -- unix ------------------------------------------------------------------------------


async def _unix_session(heap: int, seconds: float, walk_every: float, log) -> dict:
    from nocturne_fw import scene_ids as ids

    from nocturne.devtools.lhm_replay import LhmReplay
    from nocturne.emulator.errors import EmulatorError
    from nocturne.emulator.mp_runtime import MpDevice
    from nocturne.emulator.realtime import Emulator
    from nocturne.emulator.secrets_file import make_secrets
    from tests.harness.rig import ServerProcess, free_port, write_config

    capture = ROOT / "tests" / "fixtures" / "lhm"
    body = next(iter(sorted(capture.glob("*lhm-0.9.6_comma.json")))).read_bytes()
    tmp = Path(tempfile.mkdtemp(prefix="bench-ports-"))
    replay = LhmReplay(body)
    await replay.start()
    port = free_port()
    server = ServerProcess(write_config(tmp, port, replay.url, poll_interval=LINE_EVERY / 100))
    await server.start()
    (tmp / "fs").mkdir()
    (tmp / "fs" / "settings.json").write_text(json.dumps({"carousel": False}))
    res: dict = {"ok": False}
    emu = Emulator()
    try:
        dev = MpDevice(
            "127.0.0.1", port, secrets=make_secrets("127.0.0.1", port), fs_dir=tmp / "fs",
            heap=heap, strict=False, log=log,
        )  # fmt: skip
        emu.add(dev)
        if not await emu.arun(20, until=lambda: dev.screen == 0 and dev.lines >= 2):
            return res
        for _ in range(ids.COUNT):  # every scene once (with its data), back to HUB
            dev.press()
            await emu.arun(5, until=lambda: not dev.busy)
            # the server scans processes only while a board shows one of these
            await emu.arun(4.0 if dev.screen in ids.WITH_PROCESSES else 0.3)
        dev.reset_heap_figures()
        res["start"] = dev.heap_report()
        end = time.monotonic() + seconds
        while time.monotonic() < end and dev.alive:
            await emu.arun(min(walk_every, max(0.0, end - time.monotonic())))
            dev.press()
        for _ in range(ids.COUNT):  # back to HUB for the last figure
            if dev.screen == ids.HUB or not dev.alive:
                break
            dev.press()
            await emu.arun(5, until=lambda: not dev.busy)
            await emu.arun(0.1)
        res["screen"] = dev.screen_name()
        await emu.arun(2 * LINE_EVERY / 100)
        res["end"] = dev.heap_report()
        res["ok"] = dev.alive
    except EmulatorError as exc:
        res["error"] = str(exc)
    finally:
        emu.close()
        await server.stop()
        await replay.stop()
    return res


def _unix_fits(heap: int) -> bool:
    with tempfile.TemporaryFile() as log:
        r = asyncio.run(_unix_session(heap, 10.0, 60.0, log))
        log.seek(0)
        text = log.read().decode(errors="replace")
    ok = bool(r.get("ok")) and "MemoryError" not in text
    print(f"    {heap // 1024} KB: {'runs' if ok else 'fails'}", flush=True)
    return ok


def bench_unix(minutes: float, bisect: bool, heap: int) -> None:
    from nocturne.emulator.mp_runtime import micropython_command

    micropython_command()
    print(f"=== MicroPython unix port (64-bit), heap {heap // 1024} KB, {minutes:g}-minute session")
    t0 = time.monotonic()
    r = asyncio.run(_unix_session(heap, minutes * 60, 15.0, None))
    if not r.get("ok"):
        print(f"  the session failed: {r.get('error', 'see the board log above')}")
        return
    a, b = r["start"], r["end"]
    _print_figs(
        {
            "idle": (b.idle_ticks, b.idle_allocating, b.idle_max),
            "redraw": (b.redraw_ticks, b.redraw_allocating, b.redraw_max),
            "line": (b.line_ticks, b.line_ticks, b.line_max),
        }
    )
    print(f"  live heap: {a.live} B after the build and the walk over every scene,")
    print(
        f"             {b.live} B after {minutes:g} min ({b.line_ticks} lines counted, "
        f"on {r['screen']})"
    )
    if bisect:
        print("  smallest heap (a 10 s session with the walk, no MemoryError):")
        least = _bisect(_unix_fits, 128 * 1024, 384 * 1024, 4 * 1024)
        print(f"  smallest heap for the session: {least // 1024 if least else '>384'} KB")
    print(f"  ({time.monotonic() - t0:.0f} s)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--minutes", type=float, default=0.5, help="session length (default 0.5)")
    ap.add_argument("--no-bisect", action="store_true", help="skip the smallest-heap searches")
    ap.add_argument("--heap", type=int, default=256, help="unix port heap in KB for the session")
    ap.add_argument("--only", choices=("wasm", "unix"), help="one port only")
    args = ap.parse_args()
    if args.only != "unix":
        bench_wasm(args.minutes, not args.no_bisect)
    if args.only != "wasm":
        bench_unix(args.minutes, not args.no_bisect, args.heap * 1024)


if __name__ == "__main__":
    main()
