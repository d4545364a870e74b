"""The esptool and mpremote command lines, and running them (as processes or, frozen,
inside this one)."""

from __future__ import annotations

import contextlib
import importlib.util
import io
import os
import runpy
import shlex
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from .errors import FlashError, missing_extra_message
from .mpy import PROBE, remove_snippet

ESPTOOL_BAUD = 460800
CHIP = "esp32s3"
# A real copy takes seconds to a minute; past this mpremote is stuck (e.g. a board that never
# answers on a port where reads block) and is stopped.
MPREMOTE_TIMEOUT = 900.0
PROBE_TIMEOUT = 60.0  # seconds for the run that reads the board's .mpy version


def tool_command(module: str) -> list[str]:
    """How to start ``module`` (esptool, mpremote): ``python -m`` or, frozen, in-process."""
    if getattr(sys, "frozen", False):
        return [module]  # run by run_command inside this process: there is no python to call
    return [sys.executable, "-m", module]


def esptool_commands(port: str, image: Path, *, erase: bool = True) -> list[list[str]]:
    """esptool (v5 spelling: erase-flash, write-flash) to erase and write ``image`` at 0."""
    base = [*tool_command("esptool"), "--chip", CHIP, "--port", port]
    commands = [[*base, "erase-flash"]] if erase else []
    commands.append([*base, "--baud", str(ESPTOOL_BAUD), "write-flash", "-z", "0", str(image)])
    return commands


# Run first on the board: a running NOCTURNE app has armed the watchdog (machine.WDT, 30 s),
# which nothing feeds once mpremote has stopped the app with Ctrl-C, and an ESP32 watchdog
# cannot be switched off; a slow copy (V3 over its USB-UART at 115200 baud) would be cut by a
# reset. Re-arming it with a long timeout (and feeding it) covers the copy; the `reset` at
# the end clears it. One line with \n escapes for exec(), so the shell line stays one line,
# and inside try/except: a board without machine.WDT (or one that refuses) just goes on.
WDT_COPY_TIMEOUT_MS = 600_000
WDT_SNIPPET = (
    'exec("try:\\n import machine\\n'
    f' machine.WDT(timeout={WDT_COPY_TIMEOUT_MS}).feed()\\nexcept Exception:\\n pass")'
)


def mpremote_command(
    port: str, stage_dir: Path, entries: Sequence[str], remove: Sequence[str] = ()
) -> list[str]:
    """One mpremote run: connect, hold off the app's watchdog, copy the staged tree to the
    board's root (unchanged files are skipped by hash), hard reset.

    With ``remove`` (board paths: the stale files of the other kind, .py or .mpy), they
    are removed once everything but main.py is copied, and main.py goes after that: a
    copy cut short leaves the old main.py on the old modules, never on a mix.
    """
    head = [*tool_command("mpremote"), "connect", port, "+", "exec", WDT_SNIPPET, "+"]
    if not remove:
        sources = [str(stage_dir / name) for name in entries]
        return [*head, "fs", "cp", "-r", *sources, ":", "+", "reset"]
    first = [str(stage_dir / name) for name in entries if name != "main.py"]
    command = [*head, "fs", "cp", "-r", *first, ":", "+", "exec", remove_snippet(remove), "+"]
    if "main.py" in entries:
        command += ["fs", "cp", str(stage_dir / "main.py"), ":", "+"]
    return [*command, "reset"]


def probe_command(port: str) -> list[str]:
    """One mpremote run that prints the board's ``.mpy`` version (mpy.PROBE); the
    watchdog is held off here too, as the copy follows a few seconds later."""
    return [*tool_command("mpremote"), "connect", port, "+", "exec", WDT_SNIPPET, "+",
            "exec", PROBE]  # fmt: skip


def read_command(command: Sequence[str], timeout: float = PROBE_TIMEOUT) -> str:
    """Run ``command`` (mpremote) and return what it printed; "" when it failed."""
    if getattr(sys, "frozen", False) and command and command[0] == "mpremote":
        out = io.TextIOWrapper(io.BytesIO(), encoding="utf-8", errors="replace")
        with contextlib.redirect_stdout(out):
            status = _run_module_in_process("mpremote", list(command[1:]))
        out.flush()
        raw = out.buffer.getvalue()  # type: ignore[attr-defined]
        return raw.decode("utf-8", "replace") if status == 0 else ""
    try:
        done = subprocess.run(
            list(command), capture_output=True, text=True, errors="replace", timeout=timeout
        )
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return done.stdout if done.returncode == 0 else ""


def format_command(command: Sequence[str]) -> str:
    """A command as one line to paste into this platform's shell."""
    if os.name == "nt":
        return subprocess.list2cmdline(list(command))
    return shlex.join(command)


Runner = Callable[[Sequence[str]], int]


def run_command(command: Sequence[str]) -> int:
    """Run one esptool/mpremote command; its output goes straight to this console."""
    if getattr(sys, "frozen", False) and command and command[0] in ("esptool", "mpremote"):
        return _run_module_in_process(command[0], list(command[1:]))
    timeout = MPREMOTE_TIMEOUT if "mpremote" in command[:3] else None
    try:
        return subprocess.run(list(command), check=False, timeout=timeout).returncode
    except FileNotFoundError as exc:
        raise FlashError(f"Cannot start {command[0]}: {exc.strerror}") from exc
    except subprocess.TimeoutExpired as exc:
        raise FlashError(
            f"mpremote got no answer for {timeout:.0f} s. Unplug the board, plug it back in "
            "and try again."
        ) from exc


def _run_module_in_process(module: str, args: list[str]) -> int:
    saved = sys.argv
    sys.argv = [module, *args]
    try:
        runpy.run_module(module, run_name="__main__", alter_sys=True)
    except SystemExit as exc:
        code = exc.code
        return code if isinstance(code, int) else (0 if code is None else 1)
    finally:
        sys.argv = saved
    return 0


def check_tools_present(need_esptool: bool) -> None:
    """FlashError naming the install command when esptool (if needed) or mpremote is missing."""
    names = (["esptool"] if need_esptool else []) + ["mpremote"]
    missing = [name for name in names if importlib.util.find_spec(name) is None]
    if missing:
        raise FlashError(missing_extra_message(" and ".join(missing)))
