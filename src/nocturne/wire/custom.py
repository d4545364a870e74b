"""Custom scenes on the wire (issue 24; PROTOCOL.md, "Custom scenes"): ``xs``, the scenes'
definition, on a board's first line and the first after it changes; ``xv``, every slot's
value, on every line while any is defined."""

from __future__ import annotations

import unicodedata

from ..snapshot.custom import MAX_LABEL, MAX_NAME, MAX_UNIT, CustomReading

SCENES_KEY = "xs"
VALUES_KEY = "xv"
# What the firmware's fonts draw: printable ASCII and the degree sign (the built-in scenes'
# "°C"); anything else is spelled in ASCII where it can be (é -> e), else "?".
_DRAWN = frozenset(map(chr, range(32, 127))) | {"\u00b0"}


def board_text(text: str, limit: int) -> str:
    """``text`` in characters the board's fonts draw, at most ``limit`` of them."""
    out = []
    for ch in " ".join(text.split()):
        if ch not in _DRAWN:
            plain = unicodedata.normalize("NFKD", ch).encode("ascii", "ignore").decode()
            ch = plain[:1] if plain[:1] in _DRAWN and plain[:1] else "?"
        out.append(ch)
    return "".join(out)[:limit]


def scenes_value(custom: CustomReading | None) -> list[object]:
    """``xs``: ``[[name, layout, [[label, unit, decimals, warn, critical], ...]], ...]``;
    ``[]`` when none is configured."""
    if custom is None:
        return []
    return [
        [
            board_text(scene.name, MAX_NAME),
            scene.layout,
            [
                [
                    board_text(slot.label, MAX_LABEL),
                    board_text(slot.unit or "", MAX_UNIT),
                    slot.decimals,
                    _plain(slot.warn),
                    _plain(slot.critical),
                ]
                for slot in scene.slots
            ],
        ]
        for scene in custom.scenes
    ]


def values_value(custom: CustomReading) -> list[int | float | None]:
    """``xv``: every slot's value rounded to its decimals (an integer for 0), None unknown."""
    return [
        None if value is None else _rounded(value, slot.decimals)
        for _, _, slot, value in custom.slots()
    ]


def _rounded(value: float, decimals: int) -> int | float:
    return round(value) if decimals == 0 else round(value, decimals)


def _plain(limit: float | None) -> int | float | None:
    """75.0 as 75: fewer bytes, and the board compares either."""
    return int(limit) if limit is not None and limit.is_integer() else limit
