"""The heap soak, short (issue 20): a few hours of a board's life on both real MicroPython
ports (soak.py, soak_runs.py): server kills, freezes and absences, covers, PCS lists, process
names of every length, alerts, discovery, CLOCK, night and idle. No MemoryError (the
WebAssembly heap never grows past 128 KB, the unix board's loop survives nothing), and the
largest free block at the end is no smaller than after the first hour. Both runs are
deterministic: an injected clock, no timer. The full 24 hours: bench/bench_firmware_soak.py.
"""

import soak_runs

WASM_HOURS = 4
UNIX_HOURS = 3


def check(hours, n):
    labels = [h.label for h in hours]
    assert labels == ["start"] + [f"h{k}" for k in range(1, n + 1)], labels
    first, end = hours[1], hours[-1]
    for h in hours:
        assert h.grew == 0 and h.survived == 0, h
    assert end.lines > 1400 * n and end.connects >= 4 * n, end  # it ran, and linked again
    assert end.largest >= first.largest, (first, end)
    print("\n".join(f"{h.label}: live {h.live} B, largest free {h.largest} blocks" for h in hours))


def test_a_few_hours_in_128_kb_on_the_webassembly_port():
    check(soak_runs.wasm(WASM_HOURS), WASM_HOURS)


def test_a_few_hours_in_256_kb_on_the_unix_port_with_real_sockets():
    check(soak_runs.unix(UNIX_HOURS), UNIX_HOURS)
