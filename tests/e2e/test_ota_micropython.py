"""Updates over the air on real MicroPython (issue 23): boards under the unix port, each on
its own filesystem folder booted through boot.py, a real DeviceServer on loopback sending
the update over the board's link (tests/e2e/ota_boards.py)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from nocturne.emulator.mp_runtime import micropython_command
from nocturne.firmware_files import firmware_version
from nocturne.updates import lines as update_lines_module
from nocturne.updates import manager

from .ota_boards import (
    RebootingBoard,
    board_entry,
    board_mpy,
    checkout,
    files_match,
    install,
    installed,
    leftovers,
    live,
    ota_server,
    run_until,
    variant,
)

TIMEOUT = 60.0


def setup_module() -> None:
    micropython_command()  # a missing unix port is a failure naming the fix, not a skip


async def test_an_old_board_is_updated_reconnects_and_reports_the_new_version(
    tmp_path: Path, caplog
):
    caplog.set_level(logging.INFO)
    new = variant(tmp_path / "new", {"boot.py": lambda s: s + "raise SystemExit  # new\n"})
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
    # the board said its .mpy version (the unix port's x64, not an ESP32's): its modules came
    # compiled for it and replaced the sources it was installed with, which would shadow them
    assert files_match(fs, new, board_mpy())
    modules = sorted(p.name for p in (fs / "nocturne_fw").iterdir())
    assert "app.mpy" in modules and not [m for m in modules if m.endswith(".py")], modules
    assert (fs / "main.py").read_bytes() == (new / "main.py").read_bytes()
    # boot.py is never sent: the flashed one, which rolls a failed update back, stays
    assert (fs / "boot.py").read_bytes() == (checkout() / "boot.py").read_bytes()
    assert board.boots == 2  # the update's reset, once
    assert "Traceback" not in board.log_text()
    assert not [r for r in caplog.records if "as source" in r.getMessage()]


def _rolled_back(srv, old: str) -> Callable[[], bool]:
    def check() -> bool:
        d = board_entry(srv)
        return bool(d is not None and d.update and d.update["rolled_back"] and d.firmware == old)

    return check


def _rollback_log(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if "rolled back firmware" in r.getMessage()]


@pytest.mark.parametrize(
    ("edits", "why"),
    [
        (
            {
                "main.py": lambda s: s.replace(
                    "import gc\n", 'import gc\nraise RuntimeError("on purpose")\n', 1
                )
            },
            "did not start (raised or hung at import)",
        ),
        (
            {
                "main.py": lambda s: s.replace(
                    "import gc\n", "import gc\nwhile True:\n    pass\n", 1
                )
            },
            "did not start (raised or hung at import)",
        ),
        (
            {
                "nocturne_fw/net.py": lambda s: s.replace(
                    "s.connect(self.addr)", "raise OSError(111)"
                )
            },
            "no live data before the deadline",
        ),
    ],
    ids=["raises-at-import", "hangs-at-import", "never-connects"],
)
async def test_a_new_version_that_fails_is_rolled_back_and_reported(
    tmp_path: Path, caplog, edits, why
):
    caplog.set_level(logging.INFO)
    new = variant(tmp_path / "new", edits)
    fs = tmp_path / "board"
    old = install(fs, checkout())
    async with ota_server(new, trial_s=3) as srv:
        # a boot that does not finish in 6 s counts as hung: the watchdog resets it
        board = RebootingBoard(srv.port, fs, tmp_path / "board.log", watchdog=6.0)
        try:
            assert await run_until([board], _rolled_back(srv, old), TIMEOUT), board.log_text()[
                -3000:
            ]
            assert board_entry(srv).update["rolled_back"] == {
                "version": firmware_version(new),
                "why": why,
            }
            assert await live(board)
            assert board_entry(srv).update["state"] == "offered"  # not sent the same again
        finally:
            board.close()
    assert installed(fs) == old and files_match(fs, checkout()) and not leftovers(fs)
    assert board.boots >= 3  # the update's reset, the failed version's, the rollback's boot
    assert _rollback_log(caplog) == [
        f"Board desk rolled back firmware {firmware_version(new)}: {why}"
    ]


def _tamper(kind: str) -> Callable[..., Iterator[bytes]]:
    real = update_lines_module.update_lines

    def lines(bundle, token, nonce, trial_s):
        out = list(real(bundle, token, nonce, trial_s))
        data = [i for i, line in enumerate(out) if line.startswith(b"UP d ")]
        if kind == "hmac":
            other = update_lines_module.manifest_lines(bundle, trial_s)
            sig = update_lines_module.signature(token + "x", nonce, other)
            out = [f"UP s {sig}\n".encode() if x.startswith(b"UP s ") else x for x in out]
        elif kind == "chunk":
            i = data[len(data) // 2]
            line = bytearray(out[i])
            line[20] = ord("B") if line[20] != ord("B") else ord("C")
            out[i] = bytes(line)
        elif kind == "truncated":
            out = [*out[: data[len(data) // 2]], b"UP z\n"]
        yield from out

    return lines


@pytest.mark.parametrize(
    ("kind", "why"),
    [
        ("hmac", "bad signature"),
        ("chunk", "sha256 mismatch nocturne_fw/"),
        ("truncated", "truncated nocturne_fw/"),
    ],
)
async def test_a_tampered_update_is_refused_and_nothing_staged_survives(
    tmp_path: Path, caplog, monkeypatch, kind, why
):
    monkeypatch.setattr(manager, "update_lines", _tamper(kind))
    new = variant(tmp_path / "new")
    fs = tmp_path / "board"
    old = install(fs, checkout())
    async with ota_server(new) as srv:
        board = RebootingBoard(srv.port, fs, tmp_path / "board.log")
        try:

            def refused() -> bool:
                d = board_entry(srv)
                return d is not None and d.update is not None and d.update["state"] == "refused"

            assert await run_until([board], refused, TIMEOUT), board.log_text()[-3000:]
            assert board_entry(srv).update["last"].startswith(f"refused: {why}")
            assert not leftovers(fs)
            assert await live(board)
        finally:
            board.close()
    assert board.boots == 1 and installed(fs) == old and files_match(fs, checkout())
    refusals = [r.getMessage() for r in caplog.records if "refused the update" in r.getMessage()]
    assert len(refusals) == 1 and why in refusals[0]


@pytest.mark.parametrize(
    "token",
    [None, "bm90LWEtcGFpcmVkLWJvYXJkcy10b2tlbg"],  # no token; a token of no paired board
    ids=["no-token", "unknown-token"],
)
async def test_an_unpaired_board_is_never_offered_an_update(tmp_path: Path, token):
    new = variant(tmp_path / "new")
    fs = tmp_path / "board"
    old = install(fs, checkout())
    async with ota_server(new, allow_unpaired=True) as srv:
        board = RebootingBoard(srv.port, fs, tmp_path / "board.log", token=token)
        try:
            assert await live(board, more=8)
            [device] = srv.devices()
            assert (device.board, device.firmware, device.update) == (None, old, None)
            assert srv.request_update(None) == []  # nor when asked
        finally:
            board.close()
    assert srv.updates.bytes_sent == 0
    assert installed(fs) == old and not leftovers(fs)
