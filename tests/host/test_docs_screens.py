"""docs/screens/README.md shows every screen rendered there, and only those."""

from __future__ import annotations

import re
from pathlib import Path

SCREENS = Path(__file__).resolve().parents[2] / "docs" / "screens"


def test_the_screens_table_has_a_row_for_every_picture():
    table = (SCREENS / "README.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| !\[(\w+)\]\((\w+)\.png\) \| `(\w+)`: .+ \|$", table, re.MULTILINE)
    assert all(alt == file == name for alt, file, name in rows), rows
    assert sorted(file for _, file, _ in rows) == sorted(p.stem for p in SCREENS.glob("*.png"))
