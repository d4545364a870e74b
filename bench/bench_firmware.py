"""Firmware benchmark: time to render each scene and to parse a typical line, in CPython
(through the emulator shims) and in real MicroPython (WebAssembly port under Node), and
the MicroPython heap allocated per frame and per tick (gc.mem_alloc before/after, GC off).

    .venv/bin/python bench/bench_firmware.py            # both
    .venv/bin/python bench/bench_firmware.py --cpython  # CPython only

Prints figures; asserts nothing about time. WASM timings are a proxy: the board's
ESP32-S3 at 240 MHz is several times slower than MicroPython-WASM on a PC, but the
allocation figures are the board's (same VM, same code).
"""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TESTS = ROOT / "tests" / "firmware"
for p in (TESTS, ROOT / "firmware", ROOT / "src" / "nocturne" / "emulator" / "shims"):
    if str(p) not in sys.path:
        sys.path.insert(0, str(p))

# Runs unchanged in CPython and MicroPython: keep it conservative.
BODY = r"""
import gc
import time
import screens
from nocturne_fw import scene_ids as ids
from nocturne_fw.state import State

try:
    _us = time.ticks_us
    def _dt(a, b):
        return time.ticks_diff(b, a)
except AttributeError:
    def _us():
        return int(time.perf_counter() * 1000000)
    def _dt(a, b):
        return b - a

try:
    _mem = gc.mem_alloc
except AttributeError:
    _mem = None

SYS = (ids.SYS_BOOT, ids.SYS_CONNECT, ids.SYS_NO_WIFI, ids.SYS_LOST, ids.SYS_SECRETS,
       ids.SYS_MENU)


def frame_cost(app, screen, n):
    r = app.renderer
    app.screen = screen
    r.draw(app.fb, screen, app)  # warm-up: glyph and label caches
    gc.collect()
    t0 = _us()
    for _ in range(n):
        r.draw(app.fb, screen, app)
    us = _dt(t0, _us()) // n
    alloc = -1
    if _mem is not None:
        gc.collect()
        gc.disable()
        a = _mem()
        for _ in range(n):
            r.draw(app.fb, screen, app)
        alloc = (_mem() - a) // n
        gc.enable()
    return us, alloc


def row(label, us, alloc):
    print("%-22s %8d us %8s" % (label, us, ("%d B" % alloc) if alloc >= 0 else "n/a"))


def main(n):
    cover = screens.b64(screens.moon_cover())
    app = screens.make(screens.FULL % cover)
    screens.fill_graphs(app)
    print("%-22s %11s %8s" % ("screen", "render", "alloc/frame"))
    total = 0
    for i in range(ids.COUNT):
        us, alloc = frame_cost(app, i, n)
        total += us
        row("%2d %s" % (i, ids.NAMES[i]), us, alloc)
    app.menu.show()
    for s in SYS:
        us, alloc = frame_cost(app, s, n)
        row("   " + ids.SYS_NAMES[s].lower(), us, alloc)
    app.menu.close()
    long_app = screens.make(screens.FULL % cover)
    long_app.state.feed(screens.LONG_MEDIA)
    long_app.now += 5000
    us, alloc = frame_cost(long_app, ids.MEDIA, n)
    row(" 9 MEDIA scrolling", us, alloc)
    app.glitch = True
    app.t_glitch = 777
    us, alloc = frame_cost(app, 1, n)
    row(" 1 CPU + glitch", us, alloc)
    app.glitch = False
    if hasattr(ids, "SYS_CLOCK"):  # CLOCK (issue 12), and with the pixel shift applied
        capp = screens.make(screens.clock_line(True, ',"pwr":"sleep"'))
        us, alloc = frame_cost(capp, ids.SYS_CLOCK, n)
        row("   clock", us, alloc)
        capp.desk.dx = 1
        capp.desk.dy = -1
        t0 = _us()
        for _ in range(n):
            capp.desk.shift(capp.fb)
        row("   pixel shift (1,-1)", _dt(t0, _us()) // n, -1)
    print("%-22s %8d us" % ("mean scene", total // 13))

    typical = (screens.FULL % "x").replace(',"cov":"x"', ',"cov":null').encode()
    first = (screens.FULL % cover).encode()
    s = State()
    for label, line in (("parse typical line", typical), ("parse line with cover", first)):
        s.feed(line)
        gc.collect()
        t0 = _us()
        for _ in range(n):
            s.feed(line)
        us = _dt(t0, _us()) // n
        alloc = -1
        if _mem is not None:
            gc.collect()
            gc.disable()
            a = _mem()
            s.feed(line)
            alloc = _mem() - a
            gc.enable()
        a = ("%d B" % alloc) if alloc >= 0 else "n/a"
        print("%-22s %8d us %8s   (%d bytes)" % (label, us, a, len(line)))

    # a whole tick of the app (button, link, alerts, carousel, LED) with nothing new: the
    # steady state between lines; and the frame pushed to the (fake) OLED
    app = screens.make(screens.FULL % cover)
    app.link = None
    app.settings.carousel = False
    app.tick()
    app.tick()
    if _mem is not None:
        gc.collect()
        gc.disable()
        a = _mem()
        for _ in range(100):
            app.tick()
        print("%-22s %17s" % ("idle tick", "%d B" % ((_mem() - a) // 100)))
        gc.enable()
    t0 = _us()
    for _ in range(n * 10):
        app.tick()
    print("%-22s %8d us" % ("idle tick time", _dt(t0, _us()) // (n * 10)))
    if hasattr(app, "desk"):  # issue 12: its share of a tick, steady and while a fade runs
        d = app.desk
        t0 = _us()
        for _ in range(n * 10):
            d.tick(app)
        print("%-22s %8d us" % ("  of it desk.tick", _dt(t0, _us()) // (n * 10)))
        d.f_to = -1  # a fade to start: every tick looks at the rules and steps the contrast
        t0 = _us()
        for _ in range(n * 10):
            d.tick(app)
            d.f_to = -1
        print("%-22s %8d us" % ("  desk.tick, fading", _dt(t0, _us()) // (n * 10)))
        d.set_level(app.oled, app.settings.contrast)
    if _mem is not None:
        gc.disable()
        a = _mem()
        for _ in range(20):
            app.draw()
        print("%-22s %17s" % ("app.draw() + show", "%d B" % ((_mem() - a) // 20)))
        gc.enable()


main(N)
"""


def run_cpython(n):
    version = sys.version.split()[0]
    print(f"=== CPython {version} (framebuf shim: pure Python, not the board's speed)")
    exec(compile(BODY.replace("main(N)", f"main({n})"), "bench_body", "exec"), {"__name__": "b"})


def run_micropython(n):
    from mp import firmware_files
    from mp import run_micropython as run

    files = firmware_files()
    for name in ("screens.py",):
        files[name] = (TESTS / name).read_text(encoding="utf-8")
    print(f"=== MicroPython 1.27 WebAssembly (Node {_node_version()})")
    print(run(BODY.replace("main(N)", f"main({n})"), files), end="")


def _node_version():
    import subprocess

    try:
        return subprocess.run(["node", "--version"], capture_output=True, text=True).stdout.strip()
    except OSError:
        return "?"


if __name__ == "__main__":
    run_cpython(20)
    if "--cpython" not in sys.argv:
        print()
        run_micropython(50)
