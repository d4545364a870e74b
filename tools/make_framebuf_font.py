"""Generate src/nocturne/emulator/shims/_font8x8.py: the 8x8 font of ``FrameBuffer.text``.

MicroPython's ``framebuf`` has a built-in 8x8 font (MIT licence, (c) Damien P.
George and contributors). So that ``text()`` in the CPython shim draws exactly
what the board draws, this script asks the real thing: it runs MicroPython's
WebAssembly port (tests/firmware/wasm, install with ``npm ci`` there), draws
each character 32..127 into an 8x8 MONO_VLSB buffer and stores the 8 column
bytes (LSB = top row) per glyph.

    .venv/bin/python tools/make_framebuf_font.py
"""

import json
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
WASM = REPO / "tests" / "firmware" / "wasm"
OUT = REPO / "src" / "nocturne" / "emulator" / "shims" / "_font8x8.py"

SCRIPT = """
import framebuf
b = bytearray(8)
fb = framebuf.FrameBuffer(b, 8, 8, framebuf.MONO_VLSB)
for c in range(32, 128):
    fb.fill(0)
    fb.text(chr(c), 0, 0, 1)
    print(''.join('%02x' % v for v in b))
"""


def main() -> None:
    proc = subprocess.run(
        ["node", str(WASM / "run.mjs")],
        input=json.dumps({"script": SCRIPT, "files": {}}),
        capture_output=True,
        text=True,
        cwd=WASM,
        check=True,
    )
    rows = proc.stdout.split()
    assert len(rows) == 96, proc.stdout
    lines = [
        '"""8x8 glyphs of MicroPython\'s ``FrameBuffer.text`` (generated, do not edit).',
        "",
        "MicroPython's built-in framebuf font, MIT licence, (c) Damien P. George and",
        "contributors; captured from the real module by tools/make_framebuf_font.py.",
        "Characters 32..127, 8 bytes each: one byte per column, LSB = top row.",
        '"""',
        "",
        "FONT = bytes.fromhex(",
    ]
    for i, row in enumerate(rows):
        lines.append(f'    "{row}"  # {32 + i!r:>4} {chr(32 + i)!r}')
    lines.append(")")
    OUT.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {OUT.relative_to(REPO)}")


if __name__ == "__main__":
    main()
