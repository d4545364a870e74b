"""LHM's displayed sensor values ("54,1 °C") and raw numbers → a float and a unit.

``Value`` is the displayed string: number, one space, unit. Both decimal commas and dots are
read ("54,1 °C", "54.1 °C"); LHM never groups thousands (its formats are ``F1`` and the like),
so a lone comma or dot is always the decimal separator ("389,000" is 389.0); when both appear
the last one is the decimal separator ("1.234,5" and "1,234.5" are 1234.5). ``"-"``, ``"NaN"``,
``""``, ``null``, infinities, numbers too large for a float and anything else unparsable read
as ``None``: unknown, never 0.
"""

from __future__ import annotations

__all__ = ["STRIP", "is_no_value", "parse_value"]

#: Stripped from texts: whitespace, NUL (the 11800H battery is "standard\u0000"), BOM.
STRIP = " \t\r\n\x00\u00a0\ufeff"
_STRIP_SET = frozenset(STRIP)
_NUM_CHARS = frozenset("0123456789+-.,")
_DIGITS = frozenset("0123456789")
_GROUP_CHARS = " '\u00a0\u202f\u2019"
_GROUP_MARKS = str.maketrans("", "", _GROUP_CHARS)
# What LHM shows for a sensor that has no value (SensorNode.cs: "-"), and what OHM leaves.
_NO_VALUE = frozenset({"", "-"})


def parse_value(value: object) -> tuple[float | None, str]:
    """``"54,1 °C"`` → ``(54.1, "°C")``; ``"-"`` → ``(None, "")``; numbers pass through."""
    if type(value) is str:
        num, _, unit = value.partition(" ")
        try:
            f = float(num.replace(",", "."))
        except ValueError:
            return _parse_unusual(value)
        if f - f != 0.0 or unit[:1] in _DIGITS or unit[-1:] in _STRIP_SET:
            return _parse_unusual(value)
        return f, unit
    if type(value) is float or type(value) is int:
        try:
            f = float(value)
        except OverflowError:  # a JSON integer with hundreds of digits
            return None, ""
        return (f if f - f == 0.0 else None), ""
    return None, ""


def is_no_value(value: object) -> bool:
    """True when LHM says "no reading" on purpose (``"-"``, ``""``, ``null``, absent)."""
    return value is None or (type(value) is str and value.strip(STRIP) in _NO_VALUE)


def _normalize(text: str) -> str:
    """Decimal separator → ".", thousands marks removed (see the module docstring)."""
    if "," in text:
        if "." in text:
            if text.rfind(",") > text.rfind("."):  # 1.234,5
                return text.replace(".", "").replace(",", ".")
            return text.replace(",", "")  # 1,234.5
        if text.count(",") > 1:  # 1,234,567
            return text.replace(",", "")
        return text.replace(",", ".")
    if text.count(".") > 1:  # 1.234.567
        return text.replace(".", "")
    return text


def _try_float(text: str) -> tuple[bool, float | None]:
    """(is a float literal, its value if finite)."""
    try:
        f = float(_normalize(text))
    except ValueError:
        return False, None
    return True, (f if f - f == 0.0 else None)


def _parse_unusual(value: str) -> tuple[float | None, str]:
    """What the common shape refuses: no space, grouped digits, stray whitespace, junk."""
    s = value.strip(STRIP)
    head, _, tail = s.partition(" ")
    if tail[:1] not in _DIGITS:
        ok, f = _try_float(head)  # also "NaN", "Infinity", "1e400": not finite, so None
        if ok:
            return f, tail.strip(STRIP)
    n = len(s)
    i = 0
    while i < n:
        c = s[i]
        if c in _NUM_CHARS:
            i += 1
        elif c in _GROUP_CHARS and 0 < i < n - 1 and s[i - 1].isdigit() and s[i + 1].isdigit():
            i += 1  # a thousands mark between digits ("1 234,5")
        else:
            break
    num = s[:i].translate(_GROUP_MARKS)
    unit = s[i:].strip(STRIP)
    return (_try_float(num)[1] if num else None), unit
