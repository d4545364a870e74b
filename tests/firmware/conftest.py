"""Firmware tests run the code from firmware/ in CPython through the emulator shims.

Puts ``src/nocturne/emulator/shims`` (framebuf, machine, network, micropython)
and ``firmware/`` on ``sys.path``, so ``import framebuf`` and
``import nocturne_fw.text`` work exactly as on the board.
"""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
for p in (ROOT / "firmware", ROOT / "src" / "nocturne" / "emulator" / "shims", ROOT / "src"):
    if str(p) not in sys.path:
        sys.path.insert(0, str(p))
