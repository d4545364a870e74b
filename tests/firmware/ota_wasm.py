"""An update received on the WebAssembly port (32-bit, a board's object sizes), for
test_ota_heap.py and bench/bench_ota.py: the receiver (nocturne_fw/ota_rx.py) fed the
server's own update lines one top-level script at a time (the port collects garbage only
between them), each line in a preallocated buffer as the link holds it (net.py)."""

from __future__ import annotations

from mp import firmware_files, run_micropython
from test_heap_budget import without_docstrings

from nocturne.flash.ota_compile import compile_bundle
from nocturne.updates.bundle import Bundle, load_bundle
from nocturne.updates.lines import update_lines

TOKEN = "q3M0bnR5LXR3by1ieXRlcy1vZi10b2tlbg"
NONCE = "0123456789abcdef"

SETUP = """
import gc
class Link:
    def __init__(self):
        self.said = []
    def _send(self, data):
        self.said.append(bytes(data))
    def close(self):
        pass
link = Link()
src = open("lines.txt", "rb")
buf = bytearray(4096)
mv = memoryview(buf)
chunk_max = 0   # the most one full chunk's line allocated (bytes)
chunks = 0
peak = 0        # the most live heap after a line (bytes, after a collection)
over = False
line = view = None
a = d = n = live = 0
full = False
"""
START = "from nocturne_fw import ota_rx\nrx = ota_rx.Receiver(link, %r, '', %r, None)"
# one line: the receiver's allocation measured around take() alone
LINE = """
line = src.readline().rstrip(b"\\n")
n = len(line)
buf[:n] = line
view = mv[:n]
full = line.startswith(b"UP d ") and rx.left > ota_rx.CHUNK
line = None
a = gc.mem_alloc()
over = rx.take(view)
d = gc.mem_alloc() - a
if full:
    chunks += 1
    if d > chunk_max:
        chunk_max = d
"""
COLLECT = "gc.collect()\nlive = gc.mem_alloc()\npeak = live if live > peak else peak"
END = "print('RESULT', chunks, chunk_max, peak, over, link.said)"


def update_session(lines: list[bytes]) -> list[str]:
    s = [SETUP, "gc.collect()\nbase = gc.mem_alloc()", START % (TOKEN, NONCE.encode())]
    for _ in lines:
        s += [LINE, COLLECT]
    s.append(END.replace("peak, over", "peak - base, over"))
    return s


def run_update(heap: int = 4 * 1024 * 1024) -> tuple[int, int, int, str]:
    """Receive the checkout's firmware as an update on the WebAssembly port: (full chunks,
    the most one of them allocated, the live heap's peak above the start, what the board
    said)."""
    bundle = load_bundle()
    lines = list(update_lines(bundle, TOKEN, NONCE, 60))
    files: dict[str, str] = {
        name: without_docstrings(text)  # as a board compiles them (test_heap_budget.py)
        for name, text in firmware_files().items()
        if "ota_" in name
    }
    files["lines.txt"] = b"".join(lines).decode("ascii")
    out = run_micropython(update_session(lines), files, heapsize=heap, timeout=600)
    result = next(line for line in out.splitlines() if line.startswith("RESULT"))
    _, chunks, chunk_max, peak, over, said = result.split(" ", 5)
    return int(chunks), int(chunk_max), int(peak), said + " " + over


def compiled_for_the_port() -> Bundle:
    """The checkout's firmware as the server sends it to this port: it asks the port its
    ``sys.implementation._mpy`` (as a board says it on ``ota:ready``) and compiles for it."""
    out = run_micropython(["import sys\nprint('MPY', sys.implementation._mpy)"], {}, timeout=60)
    mpy = int(next(w for w in out.splitlines() if w.startswith("MPY")).split()[1])
    bundle, why = compile_bundle(load_bundle(), mpy)
    assert bundle is not None, why
    return bundle


def run_update_in_session(heap: int) -> tuple[str, int, str]:
    """The 128 KB session of test_heap_budget.py, then, with a 4 KB buffer standing for the
    link's (that session drops its link), an update received: (SESSION_OK or not, how much
    the heap grew, what the board said). The update is the one a board that says its
    ``.mpy`` version gets: its modules compiled, and ota_rx and ota_fs load as the previous
    update (or ``nocturne flash``) left them, ``.mpy`` from the same compiler: compiled
    from source in that session they need 136 KB."""
    import base64

    import test_heap_budget as hb

    files: dict[str, str | dict[str, str]] = dict(hb.session_files())  # as that test's
    update = compiled_for_the_port()
    sent = {f.path: f.data for f in update.files}
    for rel in ("nocturne_fw/ota_rx.py", "nocturne_fw/ota_fs.py"):
        del files[rel]
        files[rel[:-3] + ".mpy"] = {"base64": base64.b64encode(sent[rel[:-3] + ".mpy"]).decode()}
    lines = list(update_lines(update, TOKEN, NONCE, 60))
    files["lines.txt"] = b"".join(lines).decode("ascii")
    s = hb.session()[:-2]  # up to its END
    s += [SETUP, START % (TOKEN, NONCE.encode())]
    for _ in lines:
        s += [LINE, "app.clock.advance(10)\napp.tick()"]  # the app ticks between lines
    s += ["pass", "grew = gc.mem_alloc() + gc.mem_free() - T0\nprint('RESULT', grew, link.said)"]
    out = run_micropython(s, files, heapsize=heap, timeout=600)
    result = next(line for line in out.splitlines() if line.startswith("RESULT"))
    _, grew, said = result.split(" ", 2)
    return ("SESSION_OK" if int(grew) == 0 else "SESSION_FAILED"), int(grew), said
