"""An update's heap on real MicroPython (the WebAssembly port, a board's 32-bit object
sizes; issue 23): every full chunk of every file is decoded, written and hashed without
allocating a byte (the receiver's one buffer), and the whole update's live heap stays
within a few KB of where it started; an update received during the full 128 KB session of
test_heap_budget.py never grows its heap."""

from ota_wasm import run_update, run_update_in_session

PEAK_MAX = 16 * 1024  # measured 13.3 KB: ota_rx and ota_fs compiled (~11 KB), the receiver


def test_an_update_allocates_nothing_per_chunk():
    chunks, chunk_max, peak, said = run_update()
    print(f"\nupdate on the WebAssembly port: {chunks} full chunks, {peak} B live at peak")
    assert "ota:staged" in said, said
    assert chunks > 300  # the firmware's ~230 KB: most of its lines are full chunks
    assert chunk_max == 0
    assert 0 < peak < PEAK_MAX


def test_an_update_runs_inside_the_128_kb_session():
    verdict, grew, said = run_update_in_session(128 * 1024)
    assert "ota:staged" in said, said
    assert (verdict, grew) == ("SESSION_OK", 0)
