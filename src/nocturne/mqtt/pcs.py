"""Several PCs on one board: the other servers' states, read back from the broker.

Every server publishes its readings retained under ``<base_topic>/<node_id>/state`` (the
MQTT exporter) and ``online``/``offline`` under ``.../status`` (its last will). A server with
``show_pcs`` subscribes to ``<base_topic>/+/state`` and ``<base_topic>/+/status`` and keeps,
per PC, the few readings the PCS scene shows; :meth:`PcsAggregator.summaries` is the list
the boards get as ``pcs`` (protocol.encode_pcs): the PCs named in ``show_pcs`` in that
order (one not seen yet shows as offline), or with ``"*"`` this server's own row first and
then every other PC seen, by node id, at most ``MAX_PCS``.

The broker is not trusted: a reading outside its field's range (collect/fields.py) is
unknown, never forwarded; a node id over ``MAX_NODE_ID`` characters is ignored; a status is
kept as online or not, never as sent; at most ``MAX_ROWS`` PCs are kept. A PC appears once
it has sent one state with a valid reading, and is forgotten when its retained state and
status are both cleared. The row order is worked out when a PC comes or goes, not per
message. A bad state message is dropped with a rate-limited line; the last good one stays.
"""

from __future__ import annotations

import bisect
import logging
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import orjson

from ..rate_limited_log import RateLimitedWarning
from ..safe_text import printable
from ..snapshot.fields import BY_ATTR
from ..wire.protocol import MAX_PCS
from ..wire.protocol import PCS_ROW_KEYS as SHOWN  # the readings a row shows, by state key
from ..wire.types import PcSummary
from .ha_discovery import ONLINE

log = logging.getLogger(__name__)

ALL_PCS = "*"  # show_pcs: every PC on the broker
MAX_STATE = 16 * 1024  # bytes; a state message is under 1 KB
MAX_STATUS = 32  # bytes; "online" / "offline" with some white space
MAX_NODE_ID = 64  # characters; node_id_from_name makes a few dozen at most
MAX_ROWS = 64  # PCs kept (shown or waiting for a row); a LAN has a handful
MAX_PENDING_STATUSES = 2 * MAX_ROWS  # statuses of PCs that have sent no state yet


@dataclass(slots=True)
class _Pc:
    readings: dict[str, float] | None = None  # None: no state (or it was cleared)
    online: bool | None = None  # the retained status said "online"; None: none seen
    lost: bool = False  # the broker went away since its last message


def _reading(attr: str, value: object) -> float | None:
    """The value as a reading of ``attr``; None (unknown) unless a finite number in range."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        number = float(value)  # a 309-digit integer is inf, or raises
    except OverflowError:
        return None
    if not math.isfinite(number) or not BY_ATTR[attr].in_range(number):
        return None
    return number


class PcsAggregator:
    """The PCs seen on the broker, for ``show_pcs``; ``handle`` takes every message."""

    def __init__(
        self,
        base_topic: str,
        show: Sequence[str],
        on_change: Callable[[list[PcSummary]], None] | None = None,
        *,
        own: str | None = None,  # this server's node id: with "*" its row always shows
    ) -> None:
        self.base_topic = base_topic
        self.show_all = ALL_PCS in show
        self.show = tuple(n for n in show if n != ALL_PCS)
        self.own = own
        self.on_change = on_change
        self._pcs: dict[str, _Pc] = {}
        self._statuses: dict[str, bool] = {}  # PCs with a status and no state yet
        self._order: list[str] = []  # with "*": the other PCs' node ids, sorted
        self._shown: frozenset[str] = frozenset(self._rows())
        self._last: list[PcSummary] | None = None
        self.messages = 0
        self.ignored = 0  # messages dropped: bad, out of bounds, or over the caps
        self._bad = RateLimitedWarning(log, "MQTT: dropped %d more bad PC message(s) in %d s")

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
        if len(node_id) > MAX_NODE_ID or not node_id.isprintable():
            self._drop(
                "MQTT: ignored a PC whose node id is %d characters long or unprintable: %s",
                len(node_id),
                printable(node_id[:MAX_NODE_ID]),
            )
            return True
        if kind == "status":
            self._status(node_id, payload)
        else:
            self._state(node_id, payload)
        return True

    def _status(self, node_id: str, payload: bytes) -> None:
        online = (
            None
            if not payload
            else len(payload) <= MAX_STATUS and payload.strip() == ONLINE.encode()
        )
        pc = self._pcs.get(node_id)
        if pc is None:  # no state yet: remembered (bounded) until one comes
            if online is None:
                self._statuses.pop(node_id, None)
            elif node_id in self._statuses or len(self._statuses) < MAX_PENDING_STATUSES:
                self._statuses[node_id] = online
            return
        pc.online, pc.lost = online, False
        if online is None and pc.readings is None:
            self._forget(node_id)
        elif node_id in self._shown:
            self._changed()

    def _state(self, node_id: str, payload: bytes) -> None:
        pc = self._pcs.get(node_id)
        if not payload:  # the retained state was cleared: the PC is gone
            if pc is None:
                return
            pc.readings, pc.lost = None, False
            if pc.online is None:
                self._forget(node_id)
            elif node_id in self._shown:
                self._changed()
            return
        if pc is None and len(self._pcs) >= MAX_ROWS:  # before parsing: a flood costs less
            self._drop("MQTT: ignored PC %s: already %d PCs kept", printable(node_id), MAX_ROWS)
            return
        readings = self._parse(node_id, payload)
        if readings is None:
            return
        if pc is None:
            pc = self._pcs[node_id] = _Pc(online=self._statuses.pop(node_id, None))
            pc.readings = readings
            self._came_or_went(node_id, came=True)
            return
        pc.readings, pc.lost = readings, False
        if node_id in self._shown:
            self._changed()

    def _forget(self, node_id: str) -> None:
        del self._pcs[node_id]
        self._came_or_went(node_id, came=False)

    def _came_or_went(self, node_id: str, *, came: bool) -> None:
        if self.show_all and node_id != self.own:
            if came:
                bisect.insort(self._order, node_id)
            else:
                self._order.remove(node_id)
            self._shown = frozenset(self._rows())
        if node_id in self._shown or not came:
            self._changed()

    def broker_lost(self) -> None:
        """Without the broker nothing is known to be online; its retained messages come
        back with the next connection."""
        for pc in self._pcs.values():
            pc.lost = True
        self._changed()

    def _rows(self) -> list[str]:
        if not self.show_all:
            return list(self.show[:MAX_PCS])
        own = [self.own] if self.own else []
        return own + self._order[: MAX_PCS - len(own)]

    def summaries(self) -> list[PcSummary]:
        out = []
        for node_id in self._rows():
            pc = self._pcs.get(node_id) or _Pc()
            online = pc.readings is not None and pc.online is not False and not pc.lost
            out.append(PcSummary(node_id, online, pc.readings if online and pc.readings else {}))
        return out

    def _parse(self, node_id: str, payload: bytes) -> dict[str, float] | None:
        try:
            data = orjson.loads(payload) if len(payload) <= MAX_STATE else None
        except orjson.JSONDecodeError:
            data = None
        if not isinstance(data, dict):
            self._drop(
                "MQTT: ignored a state of %s that is not a JSON object (%d bytes)",
                printable(node_id),
                len(payload),
            )
            return None
        readings = {}
        for key in SHOWN:
            value = _reading(key, data.get(key))
            if value is not None:
                readings[key] = value
        if not readings and node_id not in self._pcs:
            self._drop("MQTT: ignored a state of %s without one valid reading", printable(node_id))
            return None
        return readings

    def _drop(self, message: str, *args: object) -> None:
        self.ignored += 1
        self._bad.flush()
        self._bad.warn(message, *args)

    def _changed(self) -> None:
        now = self.summaries()
        if now != self._last:
            self._last = now
            if self.on_change is not None:
                self.on_change(now)
