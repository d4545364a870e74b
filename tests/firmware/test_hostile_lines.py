"""Hostile lines on real MicroPython, the WebAssembly and the unix ports (issue 27): a bad
row in ``pcs``, ``tp`` or ``tr`` is skipped, not the whole line (the readings, the clock
and the alerts stay live), and the link hands each line to the parser in place, never as a
copy (a 4 KB copy per line ran a 256 KB board out of heap)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from mp import FIRMWARE, firmware_files, run_micropython

HOSTILE = (
    b'{"pv":2,"ct":55,'
    b'"pcs":[{"n":"ok","on":true,"cl":5},{"n":7},[1],"x",{"n":"b","cl":"x","ct":1e10}],'
    b'"tp":[{"n":"p","c":"bad"},5,{"n":"q","c":12.5}],'
    b'"tr":[{"n":1},{"n":"r","r":100}]}'
)
LONG = b'{"pv":2,"ct":56,"cov":"","pad":"' + b"x" * 3000 + b'"}'

SCRIPT = f"""
import gc
from nocturne_fw import net as N
from nocturne_fw.pcs import Pcs, UNKNOWN
from nocturne_fw.state import State

st = State()
pcs = Pcs()
st.parts.append(pcs)
got = 0

def count(line):
    global got
    got += len(line)

def chunks(data):
    return [data[i:i + N.RECV_CHUNK] for i in range(0, len(data), N.RECV_CHUNK)]

def push(link, parts):  # as readinto() would: each part into rx, then _take
    for part in parts:
        link.rx[:len(part)] = part
        link._take(len(part), 0)

link = N.Link(None, None, "s", "p", "h", 8090, st.feed)
push(link, chunks({HOSTILE!r} + b"\\n"))
print("applied", st.bad, st.v["ct"])
print("pcs", pcs.n, pcs.name[0], pcs.name[1], pcs.val[0], pcs.val[5] == UNKNOWN,
      pcs.val[6] == UNKNOWN)
print("top", st.tp_n, st.tp_name[0], st.tr_n, st.tr_name[0])

counted = N.Link(None, None, "s", "p", "h", 8090, count)
parts = chunks({LONG!r} + b"\\n")
push(counted, parts)  # the first call's allocations out of the way
gc.collect()
before = gc.mem_alloc()
push(counted, parts)
print("alloc", gc.mem_alloc() - before, got)
"""


def check(out: str) -> None:
    lines = dict(line.split(" ", 1) for line in out.strip().splitlines())
    assert lines["applied"] == "0 55", out  # the line was taken, its reading shown
    assert lines["pcs"] == "2 OK B 5 True True", out  # rows 2-4 skipped, bad readings unknown
    assert lines["top"] == "1 q 1 r", out
    alloc, got = (int(x) for x in lines["alloc"].split())
    assert got == 2 * len(LONG)
    assert alloc < len(LONG) // 4, f"{alloc} bytes allocated taking a {len(LONG)}-byte line"


def test_on_the_webassembly_port():
    check(run_micropython(SCRIPT, firmware_files(), heapsize=256 * 1024))


def test_on_the_unix_port(tmp_path: Path):
    script = tmp_path / "hostile.py"
    script.write_text(f"import sys\nsys.path.insert(0, {str(FIRMWARE)!r})\n" + SCRIPT)
    run = "import sys, micropython_unix as m; sys.exit(m.run_main(sys.argv))"
    out = subprocess.run(
        [sys.executable, "-c", run, "-X", "heapsize=256k", str(script)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    check(out.stdout)


@pytest.mark.parametrize("bad", [b'"pcs":{"n":"x"}', b'"tp":7'])
def test_a_list_key_that_is_no_list_still_refuses_the_line(bad):
    """Not a row but the key's type: refused like any other key of the wrong type."""
    from nocturne_fw.pcs import Pcs
    from nocturne_fw.state import State

    st = State()
    st.parts.append(Pcs())
    assert not st.feed(b'{"pv":2,"ct":55,' + bad + b"}")
