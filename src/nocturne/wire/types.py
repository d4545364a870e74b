"""The plain values the protocol sends that are not readings of this PC: a board's night
schedule (``ngt``) and the other PCs on the broker (``pcs``). Config and MQTT build them;
the protocol encodes them; neither side needs the other to know their shape."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class NightSchedule:
    """From ``start`` to ``end`` (minutes of the day, local time; may span midnight)."""

    start: int
    end: int
    mode: str = "dim"


@dataclass(frozen=True, slots=True)
class PcSummary:
    """One PC as the boards see it: its node id, whether it is there, what it reads."""

    name: str
    online: bool
    readings: Mapping[str, float] = field(default_factory=dict)  # SHOWN keys; absent: unknown
