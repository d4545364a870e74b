"""Wire: protocol v1 between the server and the boards, the only code that knows its format.

``protocol`` encodes a Snapshot into a board's line and parses what boards send; ``types``
owns the plain values it sends besides readings (NightSchedule, PcSummary); ``keys`` and
``scene_ids`` hold each key and scene id once (tools/make_wire_tables.py writes the
firmware's copy); ``line_splitter`` cuts a byte stream into capped lines."""

from __future__ import annotations

import importlib

# The public face, name -> the module that defines it. Imported on first use (PEP 562), so
# importing the package costs nothing and pulls in no optional dependency.
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


def __getattr__(name: str) -> object:
    if name not in _FACE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f".{_FACE[name]}", __name__), name)
