"""What the command line says to a user: --help for every sub-command, one line for an
emulator that cannot show itself (no display, a terminal too small)."""

from __future__ import annotations

import fcntl
import os
import struct
import subprocess
import sys
import termios

import pytest

from nocturne.ui.cli import build_parser
from tests.harness.rig import free_port

TIMEOUT = 60


def test_every_sub_command_has_a_description():
    parser = build_parser(on_demand=True)
    subs = next(a for a in parser._actions if a.dest == "command").choices
    assert set(subs) >= {"sensors", "doctor", "autostart", "config", "emulate", "flash", "pair"}
    for name, sub in subs.items():
        assert sub.description and len(sub.description) > 40, name


def test_the_emulator_help_lists_one_key_a_line():
    text = subprocess.run(
        [sys.executable, "-m", "nocturne", "emulate", "--help"],
        capture_output=True, text=True, timeout=TIMEOUT,
    ).stdout  # fmt: skip
    keys = text[text.index("Keys:") :].splitlines()[1:8]
    assert [line.split()[0] for line in keys] == ["space", "l/enter", "w", "x", "g", "r", "q"]
    assert "--window" in text and "--png" in text


def env_without_display() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env["PYTHONUNBUFFERED"] = "1"
    return env


def test_window_without_a_display_is_one_line():
    done = subprocess.run(
        [sys.executable, "-m", "nocturne", "emulate", "--window", "--port", str(free_port()),
         "--seconds", "1"],
        capture_output=True, text=True, env=env_without_display(), timeout=TIMEOUT,
    )  # fmt: skip
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("nocturne emulate: no display for a window here")
    assert "--png DIR" in lines[0] and "without --window" in lines[0]


def run_on_a_terminal(columns: int, rows: int, *args: str) -> tuple[int, str]:
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "nocturne", "emulate", "--port", str(free_port()), *args],
            stdin=slave, stdout=slave, stderr=subprocess.PIPE, text=True,
            env=env_without_display(),
        )  # fmt: skip
        _, err = proc.communicate(timeout=TIMEOUT)
    finally:
        os.close(slave)
        os.close(master)
    return proc.returncode, err


@pytest.mark.parametrize(("columns", "rows"), [(80, 24), (200, 30)])
def test_emulate_in_a_terminal_too_small_says_so(columns, rows):
    code, err = run_on_a_terminal(columns, rows, "--seconds", "1")
    assert code == 2
    assert err.strip() == (
        f"nocturne emulate: the terminal is {columns}x{rows} and the panel needs 128x34; make "
        "it bigger (or the font smaller), or use --window or --png DIR"
    )


def test_the_next_step_names_the_dashboard_when_it_is_served():
    from nocturne.ui.cli import next_step_hint

    with_page = next_step_hint("./run.sh", "http://127.0.0.1:8095/")
    assert "open the dashboard at http://127.0.0.1:8095/" in with_page
    assert "`./run.sh emulate`" in with_page and "`./run.sh flash`" in with_page
    assert "dashboard" not in next_step_hint("nocturne", None)
