"""The panel in a Tk window (standard library): scaled pixels, OLED-like colour, same keys."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .views import HEIGHT, OFF_COLOUR, WIDTH, lit_colour

if TYPE_CHECKING:
    from .board import Board


def _hex(rgb: tuple[int, int, int]) -> str:
    return "#{:02x}{:02x}{:02x}".format(*rgb)


class WindowView:
    """A Tk window showing one device. ``on_key(ch)`` gets every key typed in it.

    Tk owns the loop: ``run(tick, period_ms)`` calls ``tick()`` every ``period_ms``.
    """

    def __init__(
        self,
        title: str = "NOCTURNE_OS emulator",
        scale: int = 4,
        colour: str = "white",
        on_key: Callable[[str], None] | None = None,
    ) -> None:
        import tkinter as tk

        self.tk = tk
        self.scale = scale
        self.colour = colour if colour != "mono" else "white"
        try:
            self.root = tk.Tk()
        except tk.TclError as exc:  # no X server / $DISPLAY unset: one line, not a traceback
            from .errors import EmulatorError

            reason = str(exc).splitlines()[0] if str(exc) else "no display"
            raise EmulatorError(
                f"no display for a window here ({reason}); use the terminal view "
                "(without --window) or --png DIR"
            ) from None
        self.root.title(title)
        self.root.configure(background=_hex(OFF_COLOUR))
        self.image = tk.PhotoImage(width=WIDTH * scale, height=HEIGHT * scale)
        self.label = tk.Label(self.root, image=self.image, borderwidth=12, bg="#15181d")
        self.label.pack()
        self.status = tk.Label(
            self.root, text="", anchor="w", fg="#9aa4b2", bg="#15181d", font=("TkFixedFont", 9)
        )
        self.status.pack(fill="x")
        self.closed = False
        self._on_key = on_key
        self._last: tuple[Any, ...] | None = None
        self.frames = 0
        self.root.bind("<Key>", self._key)
        self.root.protocol("WM_DELETE_WINDOW", self.close)

    def _key(self, event: Any) -> None:
        ch = event.char or ""
        if event.keysym == "space":
            ch = " "
        elif event.keysym == "Return":
            ch = "\r"
        if ch and self._on_key is not None:
            self._on_key(ch)

    def show(self, device: Board) -> None:
        if self.closed:
            return
        panel = device.panel
        status = device.status()
        key = (panel.framebuffer(), panel.contrast, panel.inverse, panel.lit, status)
        if key == self._last:
            return
        self._last = key
        on = _hex(lit_colour(self.colour, panel.contrast) or (255, 255, 255))
        off = _hex(OFF_COLOUR)
        s = self.scale
        rows = []
        for row in device.picture():
            line = "{" + " ".join(on if p else off for p in row for _ in range(s)) + "}"
            rows.extend([line] * s)
        self.image.put(" ".join(rows), to=(0, 0))
        self.status.configure(text=status)
        self.frames += 1

    def run(self, tick: Callable[[], bool], period_ms: int) -> None:
        """Call ``tick()`` every ``period_ms`` until it returns False or the window closes."""

        def step() -> None:
            if self.closed:
                return
            if not tick():
                self.close()
                return
            self.root.after(period_ms, step)

        self.root.after(0, step)
        self.root.mainloop()

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self.root.destroy()
