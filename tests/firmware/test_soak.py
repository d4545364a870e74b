"""The heap soak, short (issue 20): a few hours of a board's life on both real MicroPython
ports (soak.py, soak_runs.py): server kills, freezes and absences, covers, PCS lists, process
names of every length, alerts, discovery, CLOCK, night and idle. No MemoryError (the
WebAssembly heap never grows past 128 KB, the unix board's loop survives nothing) and no
growth of the live heap (a leak of one small object a line would show). The board's clock
is injected: no assertion depends on a timer. The full 24 hours: bench/bench_firmware_soak.py.

The largest free block is printed, not held (issue 20 asks for it to be held: not done). It
moves from hour to hour with where the strings of the last two lines happen to sit (State
formats each value into a new string): 24 hours on the WebAssembly port, 128 KB: 3.9 to
8.4 KB, 8.4 after hour 1, 5.8 at the end; on the unix port, 256 KB, whose loopback timing
varies with the machine's load: 3.6 to 13.8 KB in one run, a steady 13.8 KB in another.
Holding it needs values drawn from numbers instead of strings made per line.
"""

import soak_runs

WASM_HOURS = 3
UNIX_HOURS = 3


def check(hours, n):
    labels = [h.label for h in hours]
    assert labels == ["start"] + [f"h{k}" for k in range(1, n + 1)], labels
    first, end = hours[1], hours[-1]
    for h in hours:
        assert h.grew == 0 and h.survived == 0, h
    assert end.lines > 1000 * n and end.connects >= 4 * n, end  # it ran, and linked again
    assert max(h.live for h in hours[1:]) - first.live < 2048, hours  # no leak
    print("\n".join(f"{h.label}: live {h.live} B, largest free {h.largest} blocks" for h in hours))


def test_a_few_hours_in_128_kb_on_the_webassembly_port():
    check(soak_runs.wasm(WASM_HOURS), WASM_HOURS)


def test_a_few_hours_in_256_kb_on_the_unix_port_with_real_sockets():
    check(soak_runs.unix(UNIX_HOURS), UNIX_HOURS)
