"""Nothing allocated late (issue 20): on a fresh board, the first draw of every scene and
system screen allocates 0 bytes, whichever screen comes first, on both real MicroPython
ports: the 32-bit WebAssembly port (object sizes of the ESP32) and the 64-bit unix port.

A font's face was made on its first use: the first SIGNAL LOST after the PC went away
needed 1280 bytes that a fragmented heap did not have, and the board died. The orders:
each screen first (then all the others), and all of them in reverse. first_draw.py does
the drawing; it runs on MicroPython, and here on CPython for its own sanity.
"""

import json
from pathlib import Path

import custom_screens
import first_draw
import pytest
import screens
from mp import firmware_files, run_micropython, run_unix

HERE = Path(__file__).resolve().parent
N = len(first_draw.SETUPS)
ORDERS = [[k] + [j for j in range(N) if j != k] for k in range(N)] + [list(range(N))[::-1]]
HEAP = 4 * 1024 * 1024  # roomy: no collection mid-draw (it would show as a negative figure)


def _line():
    """One line with everything a screen shows: FULL (cover, processes, weather, media),
    8 PCs (two pages), the clock and 4 custom scenes (rows, grid, two, graph)."""
    obj = json.loads(screens.FULL % screens.b64(screens.moon_cover()))
    obj.update(json.loads(screens.pcs_line(8)))
    obj.update(json.loads(screens.clock_line()))
    obj["xs"] = json.loads(custom_screens.XS4)
    return json.dumps(obj)


# the custom scenes' values: the line after the one with their xs (custom_scene.py)
THEN = custom_screens.with_custom('{"pv":2,"ct":52}', xs=False)


def _files():
    files = firmware_files()
    for name in ("screens.py", "first_draw.py"):
        files[name] = (HERE / name).read_text(encoding="utf-8")
    files["line.txt"] = _line()
    files["then.txt"] = THEN
    return files


# A fresh board for each order: the firmware's modules imported anew (their module-level
# tables are part of the board), as after a reset.
BOARD = (
    "import gc, sys\n"
    "for m in list(sys.modules):\n"
    "    if m.startswith('nocturne_fw') or m in ('screens', 'first_draw'):\n"
    "        del sys.modules[m]\n"
    "{collect}"
    "import first_draw\n"
    "first_draw.run(open('line.txt').read(), {order!r}, open('then.txt').read())\n"
)
# the WebAssembly port collects between top-level scripts only (it cannot scan its stack)
WASM = [BOARD.format(collect="", order=order) for order in ORDERS]
UNIX = "".join(BOARD.format(collect="gc.collect()\n", order=order) for order in ORDERS)


def _check(out):
    allocs = [line for line in out.splitlines() if line.startswith("ALLOC")]
    drawn = [line for line in out.splitlines() if line.startswith("DRAWN")]
    assert drawn == [f"DRAWN {N}"] * len(ORDERS), out[-2000:]
    assert allocs == [], "first draws that allocated (first screen, screen, bytes):\n" + (
        "\n".join(allocs)
    )


def test_first_draws_allocate_nothing_on_the_unix_port():
    _check(run_unix(UNIX, _files(), heapsize=HEAP))


def test_first_draws_allocate_nothing_on_the_webassembly_port():
    _check(run_micropython(WASM, _files(), heapsize=HEAP))


@pytest.mark.parametrize("setup", first_draw.SETUPS, ids=[s[0] for s in first_draw.SETUPS])
def test_every_screen_draws_in_cpython(setup, capsys):
    first_draw.run(_line(), [first_draw.SETUPS.index(setup)], THEN)
    assert capsys.readouterr().out.splitlines()[-1] == "DRAWN 1"
