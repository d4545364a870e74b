"""A loop that survives anything (issue 20): a tick that raises, MemoryError included, is
caught, counted, logged in a file that never grows, marked on the next frames and told to
the server; five failures within a minute reset the board after the log says why; the
watchdog is fed only by ticks that complete."""

import framebuf
from fakes import Rig
from mp import firmware_files, run_unix
from nocturne_fw import app as A
from nocturne_fw import scenes
from nocturne_fw import survive as S

LINE = b'{"ct":40,"cl":10}\n'


class Wdt:
    def __init__(self):
        self.feeds = 0

    def feed(self):
        self.feeds += 1


class Failing(scenes.Renderer):
    """The real renderer, raising ``fail`` (an exception) on the next ``times`` draws."""

    def __init__(self):
        super().__init__()
        self.fail = None
        self.times = 0

    def draw(self, fb, screen, app):
        if self.times:
            self.times -= 1
            raise self.fail
        super().draw(fb, screen, app)


def rig(tmp_path, **kw):
    buf = bytearray(1024)
    fb = framebuf.FrameBuffer(buf, 128, 64, framebuf.MONO_VLSB)
    resets = []
    r = Rig(
        tmp_path,
        renderer=Failing(),
        fb=fb,
        errors_log=str(tmp_path / S.LOG_PATH),
        reset=lambda: resets.append(r.now),
        wdt=Wdt(),
        **kw,
    )
    r.buf = buf
    r.fb = fb
    r.resets = resets
    r.up(LINE)
    return r


def fail_next_draw(r, exc, times=1):
    r.app.renderer.fail = exc
    r.app.renderer.times = times
    r.app.dirty = True


def steps(r, ms, feed=False):
    """``App.step`` for ``ms``; with ``feed`` the server sends a line every second."""
    for k in range(ms // A.TICK_MS):
        if feed and k % 100 == 0:
            r.server.push(LINE)
        r.app.step()
        r.clock.advance(A.TICK_MS)


def log_lines(tmp_path):
    data = (tmp_path / S.LOG_PATH).read_bytes()
    assert len(data) == S.ENTRIES * S.ENTRY  # never grows
    return [line.split() for line in data.decode().splitlines() if line.strip()]


def test_a_memory_error_in_a_tick_is_survived_logged_marked_and_told(tmp_path):
    r = rig(tmp_path)
    feeds = r.app.wdt.feeds
    fail_next_draw(r, MemoryError("memory allocation failed, allocating 1280 bytes"))
    r.app.step()  # the failing tick: no feed
    assert r.app.wdt.feeds == feeds
    assert r.app.survival.errors == 1 and r.resets == []
    assert log_lines(tmp_path) == [["0", "0", "E", "1", "MemoryError"]]  # 1 s up
    r.clock.advance(A.TICK_MS)
    r.app.step()  # the next tick draws, with the mark, and feeds the watchdog
    assert r.app.wdt.feeds == feeds + 1
    assert r.fb.pixel(0, 59) == 1 and r.fb.pixel(2, 61) == 0
    assert b"survived:1 0 MemoryError\n" in bytes(r.server.conn.sent)
    steps(r, S.MARK_MS + 1000, feed=True)  # a few seconds later: the mark is gone
    r.app.dirty = True
    steps(r, 20)
    assert r.fb.pixel(0, 59) == 0
    assert r.app.screen == 0


def test_the_survived_line_is_sent_again_on_every_connect(tmp_path):
    r = rig(tmp_path)
    fail_next_draw(r, ValueError("bug"))
    steps(r, 20)
    r.server.conn.peer_closed = True  # the server went away; the board connects again
    steps(r, 3000)
    assert len(r.server.conns) == 2
    assert bytes(r.server.conns[1].sent).endswith(b"survived:1 0 ValueError\n")


def test_five_failures_within_a_minute_reset_the_board_after_logging_why(tmp_path):
    r = rig(tmp_path)
    for _ in range(S.BURST - 1):  # four, 14 s apart: survived
        fail_next_draw(r, MemoryError())
        steps(r, 14000)
    assert r.resets == [] and r.app.survival.errors == S.BURST - 1
    fail_next_draw(r, MemoryError())  # the fifth within the minute: reset
    steps(r, 20)
    assert len(r.resets) == 1
    rows = log_lines(tmp_path)
    assert len(rows) == S.ENTRIES  # the last four of five entries: a ring
    newest = max(rows, key=lambda row: int(row[0]))
    assert newest[:3] == ["4", "1", "R"] and newest[4] == "MemoryError"


def test_failures_spread_over_more_than_a_minute_never_reset(tmp_path):
    r = rig(tmp_path)
    for _ in range(12):
        fail_next_draw(r, OSError(5))
        steps(r, 16000)  # five take 64 s
    assert r.resets == [] and r.app.survival.errors == 12
    assert sorted(int(row[0]) for row in log_lines(tmp_path)) == [8, 9, 10, 11]


def test_the_count_of_resets_survives_a_reboot_and_is_told(tmp_path):
    r = rig(tmp_path)
    for _ in range(S.BURST):
        fail_next_draw(r, MemoryError())
        steps(r, 1000)
    assert len(r.resets) == 1
    again = rig(tmp_path)  # the board after its reset: same filesystem
    assert again.app.survival.resets == 1 and again.app.survival.errors == 0
    assert b"survived:0 1 -\n" in bytes(again.server.conn.sent)
    fail_next_draw(again, KeyError("x"))
    steps(again, 20)
    rows = log_lines(tmp_path)
    assert max(rows, key=lambda row: int(row[0]))[:3] == ["5", "1", "E"]


def test_a_foreign_log_file_is_started_afresh(tmp_path):
    (tmp_path / S.LOG_PATH).write_bytes(b"hello\n")
    r = rig(tmp_path)
    assert r.app.survival.resets == 0
    fail_next_draw(r, MemoryError())
    steps(r, 20)
    assert log_lines(tmp_path)[0][:3] == ["0", "0", "E"]


# In real MicroPython: the error path makes nothing but the file object (the same open,
# write and close without the formatting is the baseline), and the log is what CPython
# writes.
ERROR_PATH = """
import gc
from nocturne_fw import survive as S, text
s = S.Survival("e.log", 0)
b = bytearray(S.ENTRIES * S.ENTRY)
e = MemoryError("memory allocation failed")
for k in range(3):
    gc.collect()
    a = gc.mem_alloc()
    with open("base.log", "wb") as f:
        f.write(b)
    base = gc.mem_alloc() - a
    gc.collect()
    a = gc.mem_alloc()
    s.failed(e, 1000 * k)
    print("ALLOC", gc.mem_alloc() - a, base)
print(open("e.log").read())
"""


def test_the_error_path_allocates_only_the_file_in_micropython(tmp_path):
    out = run_unix(ERROR_PATH, firmware_files())
    rows = [line.split() for line in out.splitlines() if line.startswith("ALLOC")]
    assert len(rows) == 3
    for _, made, base in rows[1:]:  # the first writes a new file: the port's own first use
        assert int(made) <= int(base), out
    assert "2 0 E 2 MemoryError" in out, out
