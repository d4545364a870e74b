"""What each board's next line says, composed in one place.

The latest Snapshot is encoded once for every board, with what the server adds to it: the
PC's power state (``pwr``), the other PCs seen over MQTT (``pcs``), the settings a board
takes on its first line (``ngt``, ``idm``) and the custom scenes (``xs``: on its first line
and on the first after they change). Per board, the commands waiting for it (Home
Assistant's ``gs``/``so``/``cn``) ride on its next line; one that has no room next to a
cover waits for the line after. The server only decides when a board's line leaves.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from ..snapshot import Snapshot
from ..wire.protocol import EncodedSnapshot, encode_commands, encode_snapshot, with_commands

if TYPE_CHECKING:
    from ..wire.types import PcSummary


class Outbox:
    """The lines for every board: one encoding of the latest state, commands per board."""

    def __init__(self, first_fields: Mapping[str, object] | None = None) -> None:
        self.first_fields = dict(first_fields or {})  # on each board's first line (ngt, idm)
        self.power: str | None = None  # `pwr` on every line while the PC is going
        self.pcs: Sequence[PcSummary] | None = None  # `pcs` on every line (show_pcs)
        self.snapshot: Snapshot | None = None
        self._encoded: EncodedSnapshot | None = None
        self._commands: dict[int, dict[str, int]] = {}  # board id -> keys for its next line
        self._scenes_sent: dict[int, bytes] = {}  # board id -> the last xs it got

    def publish(self, snapshot: Snapshot) -> None:
        self.snapshot = snapshot
        self._encoded = None

    def set_power(self, state: str | None) -> None:
        self.power = state
        self._encoded = None

    def set_pcs(self, pcs: Sequence[PcSummary] | None) -> None:
        self.pcs = pcs
        self._encoded = None

    def add_commands(self, board: int, keys: Mapping[str, int]) -> None:
        """``keys`` on ``board``'s next line; a later value of a key wins."""
        self._commands.setdefault(board, {}).update(keys)

    def forget(self, board: int) -> None:
        self._commands.pop(board, None)
        self._scenes_sent.pop(board, None)

    def encoded(self) -> EncodedSnapshot | None:
        """The latest state encoded (once, for every board); None before any snapshot."""
        if self._encoded is None and self.snapshot is not None:
            self._encoded = encode_snapshot(
                self.snapshot, power=self.power, first_fields=self.first_fields, pcs=self.pcs
            )
        return self._encoded

    def line_for(
        self, board: int, encoded: EncodedSnapshot, last_cover: bytes | None, *, first: bool
    ) -> tuple[bytes, bool]:
        """``board``'s line and whether commands still wait for a line after it."""
        changed = self._scenes_sent.get(board) != encoded.scenes
        line = encoded.line_for(last_cover, first=first, with_scenes=changed)
        self._scenes_sent[board] = encoded.scenes
        commands = self._commands.pop(board, None)
        if not commands:
            return line, False
        with_them = with_commands(line, encode_commands(commands))
        if with_them is None:  # no room next to the cover: on the next line
            self._commands[board] = commands
            return line, True
        return with_them, False
