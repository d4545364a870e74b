"""A warning that a flood cannot turn into a flood of log lines."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable


class RateLimitedWarning:
    """Logs the first occurrence at once, then at most one line per ``interval`` seconds:
    the later occurrences are counted, and :meth:`flush` (call it now and then) logs how many
    there were once the interval is over."""

    def __init__(
        self,
        logger: logging.Logger,
        summary: str,
        *,
        interval: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._log = logger
        self._summary = summary  # "%d more <what> in the last %d s"
        self.interval = interval
        self._clock = clock
        self._last_logged: float | None = None
        self._unlogged = 0
        self.total = 0

    def warn(self, message: str, *args: object) -> None:
        self.total += 1
        now = self._clock()
        if self._last_logged is None or now - self._last_logged >= self.interval:
            if self._unlogged:
                self.flush(force=True)
            self._log.warning(message, *args)
            self._last_logged = now
        else:
            self._unlogged += 1

    def flush(self, *, force: bool = False) -> None:
        if not self._unlogged or self._last_logged is None:
            return
        now = self._clock()
        if force or now - self._last_logged >= self.interval:
            self._log.warning(self._summary, self._unlogged, round(now - self._last_logged))
            self._unlogged = 0
            self._last_logged = now
