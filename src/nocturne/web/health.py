"""Health: each source's state (up, down, its last error, since when) and what it costs this
server: CPU ms per second over the last window (sources/cost.py) and the process's RSS.

Sources are the collector's feeds, named as their log lines name them; ``web`` is the
dashboard and /metrics themselves. A state's "since" is the wall-clock time this module
first saw it (at most one poll late).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..sources.cost import COSTS
from .server import WEB_COST

if TYPE_CHECKING:
    from .server import WebExporter

WINDOW = 5.0  # seconds the CPU rate is taken over (at least)
PROCESS = "\0process"  # the whole process's CPU time, among the sources' (no source's name)


@dataclass
class Tracker:
    """What health needs to remember between two documents."""

    states: dict[str, tuple[str, float]] = field(default_factory=dict)  # name -> (state, since)
    window_at: float = 0.0
    window_costs: dict[str, float] = field(default_factory=dict)
    rates: dict[str, float] = field(default_factory=dict)  # name -> CPU ms/s

    def rate(self, costs: dict[str, float]) -> dict[str, float]:
        now = time.monotonic()
        if not self.window_at:
            self.window_at, self.window_costs = now, costs
        elif now - self.window_at >= WINDOW:
            span = now - self.window_at
            self.rates = {
                name: 1000.0 * (spent - self.window_costs.get(name, 0.0)) / span
                for name, spent in costs.items()
            }
            self.window_at, self.window_costs = now, costs
        return self.rates

    def since(self, name: str, state: str) -> float:
        known = self.states.get(name)
        if known is None or known[0] != state:
            known = (state, time.time())
            self.states[name] = known
        return known[1]


def _rss() -> int | None:
    try:
        import psutil

        return int(psutil.Process().memory_info().rss)
    except Exception:  # psutil cannot read it here: unknown
        return None


def health_document(exporter: WebExporter) -> dict[str, Any]:
    """``{"sources": [{name, state, last_error, since, cpu_ms_per_s, cpu_seconds}],
    "server": {rss_bytes, cpu_ms_per_s}}``; state is "up", "down" or "unknown"."""
    tracker = exporter.health_tracker
    if tracker is None:
        tracker = exporter.health_tracker = Tracker()
    costs = {**COSTS.snapshot(), PROCESS: time.process_time()}
    rates = tracker.rate(costs)
    sources = []
    feeds = exporter.desk.collector.feeds.values() if exporter.desk is not None else ()
    for feed in feeds:
        state = "unknown" if feed.up is None else "up" if feed.up else "down"
        sources.append(
            {
                "name": feed.name,
                "state": state,
                "last_error": feed.last_error,
                "since": tracker.since(feed.name, state),
                "cpu_ms_per_s": rates.get(feed.name),
                "cpu_seconds": costs.get(feed.name, 0.0),
            }
        )
    sources.append(
        {
            "name": WEB_COST,
            "state": "up",
            "last_error": None,
            "since": tracker.since(WEB_COST, "up"),
            "cpu_ms_per_s": rates.get(WEB_COST),
            "cpu_seconds": costs.get(WEB_COST, 0.0),
        }
    )
    return {
        "sources": sources,
        "server": {"rss_bytes": _rss(), "cpu_ms_per_s": rates.get(PROCESS)},
    }
