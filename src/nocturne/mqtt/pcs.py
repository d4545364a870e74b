"""Several PCs on one board: the other servers' states, read back from the broker.

Every server publishes its readings retained under ``<base_topic>/<node_id>/state`` (the
MQTT exporter) and ``online``/``offline`` under ``.../status`` (its last will). A server with
``show_pcs`` subscribes to ``<base_topic>/+/state`` and ``<base_topic>/+/status`` and keeps,
per PC, the few readings the PCS scene shows; :meth:`PcsAggregator.summaries` is the list
the boards get as ``pcs`` (protocol.encode_pcs): the PCs named in ``show_pcs`` in that
order (one not seen yet shows as offline), or with ``"*"`` every PC seen, by node id, at
most ``MAX_PCS``. A bad state message is dropped with one log line; the last good one stays.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import orjson

from ..rate_limited_log import RateLimitedWarning
from ..safe_text import printable
from ..wire.protocol import MAX_PCS
from ..wire.protocol import PCS_ROW_KEYS as SHOWN  # the readings a row shows, by state key
from ..wire.types import PcSummary
from .ha_discovery import ONLINE

log = logging.getLogger(__name__)

ALL_PCS = "*"  # show_pcs: every PC on the broker
MAX_STATE = 16 * 1024  # bytes; a state message is under 1 KB


@dataclass(slots=True)
class _Pc:
    readings: dict[str, float] | None = None  # None: no state seen
    status: str | None = None  # the retained status, None: none seen
    lost: bool = False  # the broker went away since its last message


def _reading(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


class PcsAggregator:
    """The PCs seen on the broker, for ``show_pcs``; ``handle`` takes every message."""

    def __init__(
        self,
        base_topic: str,
        show: Sequence[str],
        on_change: Callable[[list[PcSummary]], None] | None = None,
    ) -> None:
        self.base_topic = base_topic
        self.show_all = ALL_PCS in show
        self.show = tuple(n for n in show if n != ALL_PCS)
        self.on_change = on_change
        self._pcs: dict[str, _Pc] = {}
        self._last: list[PcSummary] | None = None
        self.messages = 0
        self._bad = RateLimitedWarning(log, "MQTT: dropped %d more bad PC state(s) in %d s")

    @property
    def subscriptions(self) -> list[str]:
        return [f"{self.base_topic}/+/state", f"{self.base_topic}/+/status"]

    def wanted(self, node_id: str) -> bool:
        return self.show_all or node_id in self.show

    def handle(self, topic: str, payload: bytes) -> bool:
        """Take one message; False when the topic is not a PC's state or status."""
        prefix = self.base_topic + "/"
        if not topic.startswith(prefix):
            return False
        node_id, _, kind = topic[len(prefix) :].partition("/")
        if kind not in ("state", "status") or not node_id or "/" in node_id:
            return False
        if not self.wanted(node_id):
            return True
        self.messages += 1
        pc = self._pcs.setdefault(node_id, _Pc())
        pc.lost = False
        if kind == "status":
            pc.status = payload.decode("utf-8", "replace").strip() or None
        elif not payload:  # the retained state was cleared: the PC is gone
            pc.readings = None
        else:
            readings = self._parse(node_id, payload)
            if readings is None:
                return True
            pc.readings = readings
        self._changed()
        return True

    def broker_lost(self) -> None:
        """Without the broker nothing is known to be online; its retained messages come
        back with the next connection."""
        for pc in self._pcs.values():
            pc.lost = True
        self._changed()

    def summaries(self) -> list[PcSummary]:
        names = self.show if not self.show_all else tuple(sorted(self._pcs))
        out = []
        for node_id in names[:MAX_PCS]:
            pc = self._pcs.get(node_id) or _Pc()
            online = pc.readings is not None and pc.status in (None, ONLINE) and not pc.lost
            out.append(PcSummary(node_id, online, pc.readings if online and pc.readings else {}))
        return out

    def _parse(self, node_id: str, payload: bytes) -> dict[str, float] | None:
        try:
            data = orjson.loads(payload) if len(payload) <= MAX_STATE else None
        except orjson.JSONDecodeError:
            data = None
        if not isinstance(data, dict):
            self._bad.warn(
                "MQTT: ignored a state of %s that is not a JSON object (%d bytes)",
                printable(node_id),
                len(payload),
            )
            return None
        readings = {}
        for key in SHOWN:
            value = _reading(data.get(key))
            if value is not None:
                readings[key] = value
        return readings

    def _changed(self) -> None:
        now = self.summaries()
        if now != self._last:
            self._last = now
            if self.on_change is not None:
                self.on_change(now)
