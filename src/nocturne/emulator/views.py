"""How an emulated board is shown: in the terminal, as PNG frames, or in a Tk window.

Every view reads the virtual panel (``VirtualSSD1306.picture()``: what the real driver
would put on the glass, flip and invert applied) and dims lit pixels with the panel's
contrast register, the way the OLED does.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TextIO

if TYPE_CHECKING:
    from .board import Board

WIDTH = 128
HEIGHT = 64

# OLED-like colours for lit pixels (the Heltec module's panel is white; others exist).
COLOURS: dict[str, tuple[int, int, int] | None] = {
    "white": (235, 242, 255),
    "blue": (80, 170, 255),
    "yellow": (255, 220, 60),
    "green": (90, 255, 140),
    "amber": (255, 176, 0),
    "mono": None,  # no colour codes at all: the terminal's own colours
}
OFF_COLOUR = (6, 8, 12)


def lit_colour(colour: str, contrast: int) -> tuple[int, int, int] | None:
    """A lit pixel's colour at this contrast register value (0..255): dimmer when low."""
    rgb = COLOURS[colour]
    if rgb is None:
        return None
    k = 0.35 + 0.65 * (contrast / 255)
    return (int(rgb[0] * k), int(rgb[1] * k), int(rgb[2] * k))


def scaled(picture: list[list[int]], scale: int) -> list[list[int]]:
    if scale == 1:
        return picture
    out = []
    for row in picture:
        wide = [p for p in row for _ in range(scale)]
        out.extend(list(wide) for _ in range(scale))
    return out


_HALF = (" ", "\u2580", "\u2584", "\u2588")  # none, upper half, lower half, full block


def halfblock_lines(picture: list[list[int]], scale: int = 1) -> list[str]:
    """The picture as text: one character per pixel column and two pixel rows (▀ ▄ █),
    so scale 1 is 128 x 32 character cells."""
    pic = scaled(picture, scale)
    lines = []
    for y in range(0, len(pic), 2):
        top = pic[y]
        bottom = pic[y + 1] if y + 1 < len(pic) else [0] * len(top)
        lines.append(
            "".join(_HALF[(t and 1) | (b and 2)] for t, b in zip(top, bottom, strict=True))
        )
    return lines


def read_halfblocks(lines: list[str]) -> list[list[int]]:
    """The inverse of ``halfblock_lines`` at scale 1 (for tests reading a terminal)."""
    pic: list[list[int]] = []
    for line in lines:
        top, bottom = [], []
        for ch in line:
            i = _HALF.index(ch) if ch in _HALF else 0
            top.append(i & 1)
            bottom.append(1 if i & 2 else 0)
        pic.extend((top, bottom))
    return pic


# -- keyboard --------------------------------------------------------------------------


class KeyReader(Protocol):
    def read(self) -> str: ...  # the keys typed since the last call ("" if none)

    def close(self) -> None: ...


class NoKeys:
    def read(self) -> str:
        return ""

    def close(self) -> None:
        pass


class PosixKeys:
    """Keys from a terminal in cbreak mode (no echo, no line buffering; Ctrl+C still works)."""

    def __init__(self, stream: TextIO) -> None:
        import termios
        import tty

        self.fd = stream.fileno()
        self._saved = termios.tcgetattr(self.fd)
        tty.setcbreak(self.fd)

    def read(self) -> str:
        import select

        out = ""
        while select.select([self.fd], [], [], 0)[0]:
            data = os.read(self.fd, 64)
            if not data:
                break
            out += data.decode(errors="replace")
        return out

    def close(self) -> None:
        import termios

        termios.tcsetattr(self.fd, termios.TCSADRAIN, self._saved)


class WindowsKeys:
    """Keys from the Windows console (msvcrt)."""

    def __init__(self) -> None:
        import msvcrt

        self._m = msvcrt

    def read(self) -> str:
        out = ""
        while self._m.kbhit():  # type: ignore[attr-defined]
            out += self._m.getwch()  # type: ignore[attr-defined]
        return out

    def close(self) -> None:
        pass


def open_keys(stream: TextIO | None = None) -> KeyReader:
    """The keyboard of this console, or nothing when stdin is not a terminal."""
    stream = sys.stdin if stream is None else stream
    try:
        if not stream.isatty():
            return NoKeys()
    except (AttributeError, ValueError):
        return NoKeys()
    if sys.platform == "win32":
        return WindowsKeys()
    return PosixKeys(stream)


# -- views -------------------------------------------------------------------------------


class View(Protocol):
    def show(self, device: Board) -> None: ...  # the panel changed (or a status did)

    def close(self) -> None: ...


class TerminalView:
    """The panel in the terminal, redrawn in place with ANSI codes, plus a status line."""

    def __init__(
        self, out: TextIO | None = None, scale: int = 1, colour: str = "white", help: str = ""
    ) -> None:
        self.out = sys.stdout if out is None else out
        self.scale = scale
        self.colour = colour
        self.help = help
        self._last: tuple[Any, ...] | None = None
        self.frames = 0
        self.out.write("\x1b[?25l\x1b[2J")  # hide the cursor, clear
        self.out.flush()

    def render(self, picture: list[list[int]], contrast: int, status: str) -> str:
        lines = halfblock_lines(picture, self.scale)
        fg = lit_colour(self.colour, contrast)
        if fg is None:
            pre, post = "", ""
        else:
            r, g, b = fg
            br, bg, bb = OFF_COLOUR
            pre = f"\x1b[38;2;{r};{g};{b}m\x1b[48;2;{br};{bg};{bb}m"
            post = "\x1b[0m"
        body = "".join(f"{pre}{line}{post}\x1b[K\r\n" for line in lines)
        return f"\x1b[H{body}\x1b[K{status}\x1b[K\r\n\x1b[K{self.help}\x1b[K"

    def show(self, device: Board) -> None:
        panel = device.panel
        key = (panel.framebuffer(), panel.contrast, panel.inverse, panel.lit, device.status())
        if key == self._last:
            return
        self._last = key
        self.out.write(self.render(device.picture(), panel.contrast, device.status()))
        self.out.flush()
        self.frames += 1

    def close(self) -> None:
        self.out.write("\x1b[0m\x1b[?25h\r\n")
        self.out.flush()


class TextView:
    """``--text``: for every new frame one line ``text [...]``, the strings on the glass in
    reading order as a JSON list, read off the pixels with the firmware's fonts."""

    def __init__(self, out: TextIO | None = None) -> None:
        self.out = sys.stdout if out is None else out
        self._last: bytes | None = None
        self.frames = 0

    def show(self, device: Board) -> None:
        from .glass_text import read_text

        panel = device.panel
        key = bytes(panel.framebuffer()) + bytes((panel.inverse, panel.lit))
        if key == self._last:
            return
        self._last = key
        strings = read_text(device.picture())
        self.out.write("text " + json.dumps(strings, ensure_ascii=False) + "\n")
        self.out.flush()
        self.frames += 1

    def close(self) -> None:
        pass


def panel_image(device: Board, scale: int = 4, colour: str = "white") -> Any:
    """The panel as a Pillow RGB image, pixels scaled, OLED-like colours."""
    from PIL import Image

    fg = lit_colour(colour, device.panel.contrast) or (255, 255, 255)
    img = Image.new("1", (WIDTH, HEIGHT), 0)
    img.putdata([p for row in device.picture() for p in row])
    rgb = Image.new("RGB", (WIDTH, HEIGHT), OFF_COLOUR)
    rgb.paste(fg, mask=img)
    if scale != 1:
        rgb = rgb.resize((WIDTH * scale, HEIGHT * scale), Image.NEAREST)
    return rgb


class PngView:
    """One PNG per change of the glass (``every_ms`` None), or one every ``every_ms``.

    Files: ``DIR/frame_NNNNN.png`` in order, and ``DIR/frames.txt`` listing each with the
    ms since the start and what the device showed.
    """

    def __init__(
        self,
        directory: str | os.PathLike[str],
        scale: int = 4,
        colour: str = "white",
        every_ms: int | None = None,
    ) -> None:
        self.dir = Path(directory)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.scale = scale
        self.colour = colour
        self.every_ms = every_ms
        self.t0 = time.monotonic()
        self._next = 0.0
        self._last: tuple[Any, ...] | None = None
        self.frames: list[Path] = []
        self._index = open(self.dir / "frames.txt", "w", encoding="utf-8")  # noqa: SIM115

    def show(self, device: Board) -> None:
        if self.every_ms is not None:
            return  # timed frames: ``poll`` saves them
        panel = device.panel
        key = (panel.framebuffer(), panel.contrast, panel.inverse, panel.lit, panel.seg_remap)
        if key == self._last:
            return
        self._last = key
        self.save(device)

    def poll(self, device: Board) -> None:
        """Call every tick when ``every_ms`` is set: saves a frame when one is due."""
        if self.every_ms is None:
            return
        now = time.monotonic() - self.t0
        if now >= self._next:
            self._next = now + self.every_ms / 1000
            self.save(device)

    def save(self, device: Board) -> Path:
        path = self.dir / f"frame_{len(self.frames):05d}.png"
        panel_image(device, self.scale, self.colour).save(path)
        self.frames.append(path)
        ms = int((time.monotonic() - self.t0) * 1000)
        self._index.write(f"{path.name} {ms} {device.screen_name()}\n")
        self._index.flush()
        return path

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self._index.close()
