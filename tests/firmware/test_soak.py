"""The heap soak, short (issue 20): a few hours of a board's life on both real MicroPython
ports (soak.py, soak_runs.py): server kills, freezes and absences, covers, PCS lists, process
names of every length, alerts, discovery, CLOCK, night and idle. No MemoryError (the
WebAssembly heap never grows past 128 KB, the unix board's loop survives nothing) and no
growth of the live heap. Both runs are deterministic: an injected clock, no timer. The full
24 hours: bench/bench_firmware_soak.py.

The largest free block: on the unix port (256 KB) it is held: no smaller at the end than
after the first hour. On the WebAssembly port (128 KB, ~23 KB free) it is printed, not held:
it moves between ~4.5 and ~8.5 KB from hour to hour with where the strings of the last two
lines happen to sit (State formats each value into a new string); holding it needs values
drawn from numbers instead of strings (not done, issue 20).
"""

import soak_runs

WASM_HOURS = 3
UNIX_HOURS = 3


def check(hours, n, largest_held):
    labels = [h.label for h in hours]
    assert labels == ["start"] + [f"h{k}" for k in range(1, n + 1)], labels
    first, end = hours[1], hours[-1]
    for h in hours:
        assert h.grew == 0 and h.survived == 0, h
    assert end.lines > 1400 * n and end.connects >= 4 * n, end  # it ran, and linked again
    assert max(h.live for h in hours[1:]) - first.live < 1024, hours  # no leak
    if largest_held:
        assert end.largest >= first.largest, (first, end)
    print("\n".join(f"{h.label}: live {h.live} B, largest free {h.largest} blocks" for h in hours))


def test_a_few_hours_in_128_kb_on_the_webassembly_port():
    check(soak_runs.wasm(WASM_HOURS), WASM_HOURS, largest_held=False)


def test_a_few_hours_in_256_kb_on_the_unix_port_with_real_sockets():
    check(soak_runs.unix(UNIX_HOURS), UNIX_HOURS, largest_held=True)
