"""Parse a LibreHardwareMonitor / OpenHardwareMonitor ``data.json`` and map it to ``Hardware``.

Pure functions, no I/O. :func:`parse_data_json` takes the HTTP body, :func:`parse_tree` the
decoded JSON. Both return a :class:`LhmReading` or raise :class:`LhmFormatError`, and nothing
else, whatever the input: only a body that is not JSON, a root that is not an object, or a
root without a ``Children`` list is a format error; malformed nodes deeper down are skipped.

The work is split by reason to change: :mod:`.values` reads "54,1 °C", :mod:`.kinds` tells
what a hardware node is, :mod:`.tree` flattens the tree into sensors, :mod:`.units` converts
to the field's unit and filters implausible values, :mod:`.mapping` holds the role rules.
"""

from __future__ import annotations

import gc
import json
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

import orjson

from nocturne.json_names import json_type_name
from nocturne.snapshot import Hardware

from .mapping import map_tree
from .model import LhmFormatError, LhmReading, Sensor
from .tree import walk_tree

__all__ = ["LhmFormatError", "LhmReading", "Sensor", "parse_data_json", "parse_tree"]

_BOM = b"\xef\xbb\xbf"


def parse_tree(root: Mapping[str, Any], overrides: Mapping[str, str] | None = None) -> LhmReading:
    """Parse already-decoded ``data.json`` and map it (rules in :mod:`.mapping`).

    Raises :class:`LhmFormatError` when ``root`` is not an object with a ``Children`` list
    (``TypeError`` only for a caller bug: ``overrides`` that is not a mapping).
    """
    if not isinstance(root, Mapping):
        raise LhmFormatError(f"root is not a JSON object but {json_type_name(root)}")
    children = root.get("Children")
    if children is None:
        raise LhmFormatError("root has no Children")
    if type(children) is not list:
        raise LhmFormatError(f"root Children is not a list but {json_type_name(children)}")
    if overrides is not None and not isinstance(overrides, Mapping):
        raise TypeError("overrides must be a mapping of Hardware field -> sensor id")
    try:
        return _read(root, children, overrides)
    except LhmFormatError:
        raise
    except Exception as exc:  # a bug here must not take the collector down
        raise LhmFormatError(f"internal error while mapping: {exc!r}") from exc


def _read(
    root: Mapping[str, Any], children: list[Any], overrides: Mapping[str, str] | None
) -> LhmReading:
    tree = walk_tree(children)
    mapped, missing = map_tree(tree, overrides)
    version = root.get("Version")
    return LhmReading(
        hardware=Hardware(**mapped.values),
        sensors=tuple(tree.sensors),
        chosen=MappingProxyType(mapped.chosen),
        missing_overrides=missing,
        version=version if type(version) is str else None,
        derived=MappingProxyType(mapped.derived),
        unreadable=tuple(tree.unreadable),
    )


def _loads(raw: bytes | bytearray | str) -> Any:
    """orjson (about 3× faster than json on a 155 KB body) with json as the careful fallback.

    json takes what orjson refuses (a BOM, UTF-16, NaN literals) and words the error when
    the body is really broken.
    """
    try:
        return orjson.loads(raw[3:] if raw[:3] == _BOM else raw)
    except orjson.JSONDecodeError:
        return json.loads(raw)


def parse_data_json(
    raw: bytes | bytearray | str, overrides: Mapping[str, str] | None = None
) -> LhmReading:
    """Parse the HTTP body of LHM's ``/data.json`` (bytes or str; BOM and CRLF are fine).

    ``overrides`` maps Hardware field names to the Sensor.id that replaces the automatic
    choice. Raises :class:`LhmFormatError`, and no other exception, on any malformed body.
    """
    if isinstance(raw, str):
        if raw[:1] == "\ufeff":
            raw = raw[1:]
    elif not isinstance(raw, (bytes, bytearray)):
        raise LhmFormatError(f"body is not bytes or str but {type(raw).__name__}")
    # The decoded body is some 1 500 containers that all die when _parse returns; counted by
    # the collector, they set off a collection of the young generation nearly every poll
    # (0.2 ms a poll, measured in the server). Paused, the count falls back as they are freed.
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _parse(raw, overrides)
    finally:
        if enabled:
            gc.enable()


def _parse(raw: bytes | bytearray | str, overrides: Mapping[str, str] | None) -> LhmReading:
    try:
        root = _loads(raw)
    except json.JSONDecodeError as exc:
        raise LhmFormatError(
            f"not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from None
    except UnicodeDecodeError as exc:
        raise LhmFormatError(f"not JSON: body is not UTF-8/16/32 text ({exc.reason})") from None
    except RecursionError:
        raise LhmFormatError("not JSON: nested too deeply") from None
    except ValueError as exc:  # e.g. integer strings too long to convert
        raise LhmFormatError(f"not JSON: {exc}") from None
    return parse_tree(root, overrides)
