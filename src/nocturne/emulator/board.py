"""What the emulator's tools use of a board, whichever runtime runs its firmware: ``Device``
(device.py, the firmware imported into CPython) or ``MpDevice`` (mp_runtime.py, the
MicroPython unix port in a process of its own). The CLI, the views, the window and the
real-time loop are written against this, so a runtime is chosen in one place
(``mp_runtime.device_factory``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from .ssd1306_virtual import VirtualSSD1306


class BoardFaults(Protocol):
    """The faults a board's network stack injects, as the CLI toggles them."""

    stalled: bool  # the board stopped reading its socket
    refuse: bool  # connecting fails as if no server listened


class Board(Protocol):
    """One emulated board: its panel, its button, its network faults, what it shows."""

    name: str
    panel: VirtualSSD1306  # the SSD1306 the firmware drives
    faults: Any  # a BoardFaults (a property on one runtime, plain attributes on the other)

    @property
    def screen(self) -> int: ...  # the scene or system screen shown

    def tick(self) -> None: ...

    def press(self, long: bool = False) -> None: ...

    @property
    def busy(self) -> bool: ...  # a press is still being handled

    @property
    def wifi(self) -> bool: ...  # the access point is there

    def set_wifi(self, up: bool) -> None: ...

    def stall(self, on: bool = True) -> None: ...

    def inject(self, data: bytes) -> None: ...  # bytes as if the server had sent them

    def drop_connection(self) -> None: ...

    def screen_name(self) -> str: ...

    def status(self, lines: bool = True) -> str: ...

    def picture(self) -> list[list[int]]: ...

    def find_text(self, s: str, font: Any = None) -> bool: ...

    def close(self) -> None: ...
