"""User idle time: seconds since the PC's user last gave input (keyboard, mouse), the wire's
``uid``. ``read()`` returns None when the platform does not know (never 0 for unknown).

Windows: ``GetLastInputInfo`` (``_windows.py``), exact to the millisecond. Linux: logind's
session properties ``IdleHint`` / ``IdleSinceHint`` on the system bus, which the desktop sets
(GNOME, KDE and others flip ``IdleHint`` after their own idle delay, often 5 minutes): while
the session says the user is not idle ``uid`` is 0, once it says idle it counts from
``IdleSinceHint``; a session that never reports (``IdleSinceHint`` 0, a text console, no
desktop) gives None. The session is the user's graphical one (logind's ``User.Display``),
else the one this process runs in.
"""

from __future__ import annotations

import sys

from .. import Source, SourceUnavailable


class IdleUnavailable(SourceUnavailable):
    """The idle time cannot be read; the message says why."""


def user_idle_source() -> Source[float | None] | None:
    """This platform's idle-time source, or None where there is none."""
    if sys.platform == "win32":
        from ._windows import WindowsIdle

        return WindowsIdle()
    if sys.platform.startswith("linux"):
        return LogindIdle()
    return None


from ._linux import RETRY_FIRST_S, RETRY_MAX_S, LogindIdle  # noqa: E402 (it uses IdleUnavailable)

__all__ = ["RETRY_FIRST_S", "RETRY_MAX_S", "IdleUnavailable", "LogindIdle", "user_idle_source"]
