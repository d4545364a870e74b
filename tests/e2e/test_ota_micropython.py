"""Updates over the air on real MicroPython (issue 23): boards under the unix port, each on
its own filesystem folder booted through boot.py, a real DeviceServer on loopback sending
the update over the board's link (tests/e2e/ota_boards.py)."""

from __future__ import annotations

from pathlib import Path

from nocturne.emulator.mp_runtime import micropython_command
from nocturne.firmware_files import firmware_version

from .ota_boards import (
    RebootingBoard,
    board_entry,
    checkout,
    files_match,
    install,
    installed,
    leftovers,
    ota_server,
    run_until,
    variant,
)

TIMEOUT = 60.0


def setup_module() -> None:
    micropython_command()  # a missing unix port is a failure naming the fix, not a skip


async def test_an_old_board_is_updated_reconnects_and_reports_the_new_version(tmp_path: Path):
    new = variant(tmp_path / "new")
    fs = tmp_path / "board"
    old = install(fs, checkout())
    ours = firmware_version(new)
    assert old != ours
    async with ota_server(new) as srv:
        board = RebootingBoard(srv.port, fs, tmp_path / "board.log")
        try:

            def updated_and_live() -> bool:
                d = board_entry(srv)
                return d is not None and d.firmware == ours and not leftovers(fs)

            assert await run_until([board], updated_and_live, TIMEOUT), board.log_text()[-3000:]
            lines = board.lines
            assert await run_until([board], lambda: board.lines > lines + 2, 10)
        finally:
            board.close()
    assert installed(fs) == ours
    assert files_match(fs, new)
    assert board.boots == 2  # the update's reset, once
    assert "Traceback" not in board.log_text()
