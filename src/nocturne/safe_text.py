"""Strings from elsewhere (LHM sensor names, place names, track titles, process names),
made safe to print: a control character can neither fake a log line nor drive the terminal.
"""

from __future__ import annotations

import unicodedata


def printable(text: object) -> str:
    """``text`` with every control, format or unassigned character shown as an escape
    (``\\n``, ``\\x1b``, ``\\u202e``, ``\\U000e0001``...), so it is shown as written and
    does nothing."""
    s = str(text)
    if s.isprintable():
        return s
    out: list[str] = []
    for ch in s:
        if ch.isprintable():
            out.append(ch)
        elif ch in "\n\r\t":
            out.append({"\n": "\\n", "\r": "\\r", "\t": "\\t"}[ch])
        elif unicodedata.category(ch) == "Zs":  # no-break and other spaces: harmless
            out.append(ch)
        else:
            code = ord(ch)
            if code < 0x100:
                out.append(f"\\x{code:02x}")
            elif code < 0x10000:
                out.append(f"\\u{code:04x}")
            else:  # as Python writes it: \u takes exactly four digits
                out.append(f"\\U{code:08x}")
    return "".join(out)
