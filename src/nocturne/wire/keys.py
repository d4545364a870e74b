"""The plain keys of a line and the kind of value a board accepts for each.

A board checks every plain key of a line by its kind (a wrong type drops the whole line) and
formats it by kind too; ``tools/make_wire_tables.py`` writes this table into the firmware
(``nocturne_fw/wire_tables.py``, the ``KEYS`` that ``state.py`` parses by). The readings'
keys come from the field table; the others (weather, media, alert) are written here. Keys
with a structure of their own (``tp``/``tr``, ``cov``, ``pcs``, the settings) are not plain.
"""

from __future__ import annotations

from ..snapshot.fields import FIELDS, KB_PER_S, PING, Field

# Kinds, in the firmware's order (its K_INT, K_DEC, ...).
INT = "int"  # a number shown rounded to an integer (°C, %, W, MHz, RPM, ms)
DEC = "dec"  # a number shown with one decimal (GB)
RATE = "rate"  # a number in KB/s shown compact with a unit (K, M, G)
TEXT = "str"  # text
FLAG = "bool"  # true/false (also 0/1, as some servers send)
KINDS: tuple[str, ...] = (INT, DEC, RATE, TEXT, FLAG)

OTHER_KEYS: tuple[tuple[str, str], ...] = (
    ("wt", INT),  # weather: temperature in the configured unit
    ("wd", TEXT),  # weather: description
    ("wi", INT),  # weather: WMO code
    ("art", TEXT),  # media: artist
    ("trk", TEXT),  # media: track
    ("mp", FLAG),  # media: playing
    ("idle", FLAG),  # media: not playing (the original's key)
    ("alert", TEXT),  # "CRITICAL" or ""
    ("target_screen", TEXT),  # where an alert jumps: "CPU" / "GPU" / ""
)


def field_kind(field: Field) -> str:
    if field.unit == KB_PER_S:
        return RATE
    return DEC if field.decimals else INT


def plain_keys() -> tuple[tuple[str, str], ...]:
    """Every plain key with its kind, in the order a line carries them."""
    readings = tuple((f.key, field_kind(f)) for f in (*FIELDS, PING))
    return readings + OTHER_KEYS
