"""Wire: protocol v1 between the server and the boards, the only code that knows its format.

``protocol`` encodes a Snapshot into a board's line and parses what boards send; ``types``
owns the plain values it sends besides readings (NightSchedule, PcSummary); ``keys`` and
``scene_ids`` hold each key and scene id once (tools/make_wire_tables.py writes the
firmware's copy); ``line_splitter`` cuts a byte stream into capped lines."""

from __future__ import annotations

from ..lazy_face import lazy_face

# The public face, name -> the module that defines it, imported on first use (lazy_face.py).
_FACE = {
    "EncodedSnapshot": "protocol",
    "encode_snapshot": "protocol",
    "parse_device_line": "protocol",
    "device_settings": "protocol",
    "Hello": "protocol",
    "ShowScreen": "protocol",
    "MAX_LINE": "protocol",
    "NightSchedule": "types",
    "PcSummary": "types",
    "LineSplitter": "line_splitter",
    "plain_keys": "keys",
}
__all__ = sorted(_FACE)

__getattr__ = lazy_face(__name__, _FACE)
