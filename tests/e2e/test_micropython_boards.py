"""Three boards that never die (issue 20): the board's files under the MicroPython unix port
at 256 KB each, started a second apart, on one real server fed by a real LHM capture; the
server killed and restarted, and frozen (SIGSTOP) and thawed, six times each. No board
prints a traceback or a MemoryError, none survives a failure (its loop caught nothing),
and every board ends on live data.

Before issue 20 all three died within 20 s of the first kill: the first SIGNAL LOST made a
font's face on a fragmented heap (MemoryError, allocating 1280 bytes).
"""

from __future__ import annotations

import signal

from nocturne_fw import font_medium as FM
from nocturne_fw import scene_ids as ids

from nocturne.emulator.mp_runtime import MpDevice

from .conftest import Rig, read_server_lines
from .test_micropython_runtime import board, hub_texts

ROUNDS = 6
HEAP = 256 * 1024
LOST_S = 15  # SIGNAL LOST shows 5 s after the last line; the boards tick in real time
BACK_S = 30  # a board's backoff reaches 16 s after five failures in a row


def live(boards: list[MpDevice], since: list[int]) -> bool:
    """Every board on a scene with lines since ``since``."""
    return all(d.screen == ids.HUB and d.lines > n for d, n in zip(boards, since, strict=True))


async def test_three_boards_survive_kills_and_freezes_of_the_server(rig: Rig):
    t = hub_texts((await read_server_lines(rig.port, 1))[0])
    boards = []
    for _ in range(3):
        boards.append(board(rig))
        assert boards[-1].heap == HEAP
        await rig.run(1.0)
    await rig.until(lambda: live(boards, [0, 0, 0]), 20, "live data on every board")
    for _ in range(ROUNDS):
        await rig.server.kill()
        await rig.until(
            lambda: all(d.screen_name() == "SIGNAL LOST" for d in boards), LOST_S, "signal lost"
        )
        since = [d.lines for d in boards]
        await rig.server.start()
        restarted = "live data after a restart"
        await rig.until(lambda since=since: live(boards, since), BACK_S, restarted)

        proc = rig.server.proc
        assert proc is not None
        proc.send_signal(signal.SIGSTOP)
        try:
            await rig.until(
                lambda: all(d.screen_name() == "SIGNAL LOST" for d in boards),
                LOST_S,
                "signal lost while frozen",
            )
        finally:
            proc.send_signal(signal.SIGCONT)
        since = [d.lines for d in boards]
        await rig.until(lambda since=since: live(boards, since), BACK_S, "live data after a thaw")
    for d in boards:
        assert d.alive and d.find_text(t["ct"], FM), d.status()
        assert not d.find_text("SIGNAL LOST", FM)
        assert d.heap_report().live < HEAP
    for log in rig.tmp_path.glob("mpboard*.log"):  # what each board printed
        text = log.read_text(errors="replace")
        assert "Traceback" not in text and "MemoryError" not in text, text[-3000:]
    survived = [p for p in rig.tmp_path.glob("mpboard*/errors.log")]
    assert survived == [], "a board's loop caught a failure: " + "; ".join(
        p.read_text() for p in survived
    )
