"""Refused HELOs counted per address: one log line when a burst begins and one with its
count when it ends, and, after ``TRIES_BEFORE_WAIT`` refusals, a short growing wait during
which that address is refused without its token being looked at (a guesser gets a few
tries a minute instead of thousands a second)."""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from ..safe_text import printable

log = logging.getLogger(__name__)

TRIES_BEFORE_WAIT = 10  # refusals in one burst before the address has to wait
FIRST_WAIT = 0.5  # seconds; doubles with every further refusal
LONGEST_WAIT = 30.0
BURST_GAP = 10.0  # seconds without a refusal that end a burst
REPORT_INTERVAL = 600.0  # a burst that goes on is summed up this often
MAX_REMEMBERED = 256  # addresses tracked (the one refused longest ago forgotten first)


@dataclass(slots=True)
class _Burst:
    began: float
    last: float
    reported_at: float
    why: str
    count: int = 1  # refusals in this burst
    unreported: int = 0  # refusals not yet in a log line
    wait_until: float = 0.0


class RefusedTries:
    """Per address: the burst of refusals under way and the wait it has earned."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._bursts: OrderedDict[str, _Burst] = OrderedDict()

    def must_wait(self, address: str) -> bool:
        """True while ``address`` is in its wait (refuse it without checking its token)."""
        burst = self._bursts.get(address)
        return burst is not None and self._clock() < burst.wait_until

    def refused(self, address: str, why: str) -> None:
        now = self._clock()
        burst = self._bursts.get(address)
        if burst is None or now - burst.last >= BURST_GAP:
            if burst is not None:
                self._report(address, burst, now)
            self._bursts[address] = _Burst(began=now, last=now, reported_at=now, why=why)
            self._bursts.move_to_end(address)
            while len(self._bursts) > MAX_REMEMBERED:
                self._bursts.popitem(last=False)
            log.warning(
                "Refused a board from %s: it %s (pair it with: nocturne pair NAME, or set "
                '"allow_unpaired": true in config.json for the original firmware)',
                printable(address),
                why,
            )
            return
        burst.count += 1
        burst.unreported += 1
        burst.last = now
        burst.why = why
        self._bursts.move_to_end(address)
        if burst.count >= TRIES_BEFORE_WAIT:
            step = min(burst.count - TRIES_BEFORE_WAIT, 16)
            burst.wait_until = now + min(LONGEST_WAIT, FIRST_WAIT * 2**step)
        if now - burst.reported_at >= REPORT_INTERVAL:
            self._report(address, burst, now)

    def admitted(self, address: str) -> None:
        burst = self._bursts.pop(address, None)
        if burst is not None:
            self._report(address, burst, self._clock())

    def flush(self) -> None:
        """Sum up the bursts that have ended (call it now and then)."""
        now = self._clock()
        for address, burst in list(self._bursts.items()):
            if now - burst.last >= BURST_GAP and now >= burst.wait_until:
                self._report(address, burst, now)
                del self._bursts[address]

    def _report(self, address: str, burst: _Burst, now: float) -> None:
        if not burst.unreported:
            return
        waited = " (it had to wait between tries)" if burst.count >= TRIES_BEFORE_WAIT else ""
        log.warning(
            "Refused %d more HELO(s) from %s in %.0f s, %d in this burst; latest: it %s%s",
            burst.unreported,
            printable(address),
            now - burst.reported_at,
            burst.count,
            burst.why,
            waited,
        )
        burst.unreported = 0
        burst.reported_at = now
