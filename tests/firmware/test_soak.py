"""The heap soak, short (issue 20): a few hours of a board's life on both real MicroPython
ports (soak.py, soak_runs.py): server kills, freezes and absences, covers, PCS lists, process
names of every length, alerts, discovery, CLOCK, night and idle. No MemoryError (the
WebAssembly heap never grows past 128 KB, the unix board's loop survives nothing) and no
growth of the live heap (a leak of one small object a line would show). The board's clock
is injected: no assertion depends on a timer. The full 24 hours: bench/bench_firmware_soak.py.

The largest free block the board can still allocate, measured after a collect at the end
of each hour, is held over these hours: at the end no smaller than after the first hour,
on both ports. It moved with where the last lines' strings sat until a line's objects
stopped outliving it in two places: the Link hands State its line buffer (no copy), State
and Pcs let go of the previous line's strings as a line is shown, and the App collects at
the tick after a line, so that the next line's garbage fills the holes low in the heap
instead of spreading the strings that outlive it over the largest free block (on the unix
port that block is then the one left at build, which no line reaches). Not held over 24
hours on the WebAssembly port (which collects only between scripts): 6976 B after hour 1,
4992 to 6976 B after, 6912 B at the end (bench/bench_firmware_soak.py --hours 24; the unix
port: 11360 B every hour): a line's strings (State.txt, process and PC names) are still
made after its garbage.
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
    assert end.largest >= first.largest, hours  # fragmentation held
    print("\n".join(f"{h.label}: live {h.live} B, largest free {h.largest} blocks" for h in hours))


def test_a_few_hours_in_128_kb_on_the_webassembly_port():
    check(soak_runs.wasm(WASM_HOURS), WASM_HOURS)


def test_a_few_hours_in_256_kb_on_the_unix_port_with_real_sockets():
    check(soak_runs.unix(UNIX_HOURS), UNIX_HOURS)
