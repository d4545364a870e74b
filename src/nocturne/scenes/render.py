"""A custom scene drawn by the firmware's own code: an emulated board (never connected: it is
never ticked) is handed the line a server would send (``xs`` and ``xv``, wire/custom.py) and
draws the scene; ``png`` is the glass as a 1-bit PNG."""

from __future__ import annotations

import io
import json
from typing import TYPE_CHECKING

from ..wire.custom import SCENES_KEY, VALUES_KEY, scenes_value, values_value
from ..wire.protocol import REVISION, REVISION_KEY
from ..wire.scene_ids import CUSTOM_1

if TYPE_CHECKING:
    from ..emulator.device import Device
    from ..snapshot.custom import CustomReading

FIRST_SCENE_ID = CUSTOM_1  # custom scene i is scene id CUSTOM_1 + i
GRAPH_SAMPLES = 128  # a graph scene's history: the value, once per column


def scene_line(custom: CustomReading, *, with_scenes: bool = True) -> bytes:
    """The line a board gets with these values (``xv``), and with ``with_scenes`` the scenes
    (``xs``): as a server sends them, the definition only on the first."""
    fields: dict[str, object] = {REVISION_KEY: REVISION}
    if with_scenes:
        fields[SCENES_KEY] = scenes_value(custom)
    fields[VALUES_KEY] = values_value(custom)
    return json.dumps(fields, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


class SceneRenderer:
    """One emulated board kept for drawing custom scenes; not thread-safe (one at a time)."""

    def __init__(self, firmware: str | None = None) -> None:
        self._firmware = firmware
        self._device: Device | None = None

    def _board(self) -> Device:
        if self._device is None:
            from ..emulator.device import Device

            # Port 1 of loopback: a board that is never ticked never dials it.
            self._device = Device("127.0.0.1", 1, firmware=self._firmware, name="scenes")
        return self._device

    def png(self, custom: CustomReading, index: int, scale: int = 4) -> bytes:
        """Scene ``index`` as the glass shows it: a 1-bit PNG, each pixel ``scale`` x
        ``scale``."""
        from PIL import Image

        picture = self.draw(custom, index)
        image = Image.new("1", (len(picture[0]), len(picture)))
        image.putdata([p for row in picture for p in row])
        if scale != 1:
            image = image.resize((image.width * scale, image.height * scale), Image.NEAREST)
        out = io.BytesIO()
        image.save(out, "PNG")
        return out.getvalue()

    def draw(self, custom: CustomReading, index: int) -> list[list[int]]:
        """Scene ``index`` (0 = the first custom scene) as the board draws it: the glass,
        ``[y][x]`` of 0/1."""
        if not 0 <= index < len(custom.scenes):
            raise IndexError(f"there is no custom scene {index + 1}")
        board = self._board()
        app = board.app
        # The definition first; a board applies it as the next line comes, with that
        # line's values. A graph keeps one sample per line: enough lines to fill it.
        values = scene_line(custom, with_scenes=False)
        lines = GRAPH_SAMPLES if custom.scenes[index].layout == "graph" else 1
        for line in (scene_line(custom), *(values,) * lines):
            if not app.state.feed(line):
                raise ValueError("the firmware refused the scenes' line")
            app._new_data()
        scene = FIRST_SCENE_ID + index
        app.screen = scene
        app.renderer.draw(app.fb, scene, app)
        app.oled.show()
        return board.picture()

    def close(self) -> None:
        if self._device is not None:
            self._device.close()
            self._device = None
