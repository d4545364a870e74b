"""A package's public face, imported on first use (PEP 562).

A package's ``__init__`` names what it offers and the module that defines each name; that
module is imported when the name is first read, so importing the package costs nothing and
pulls in no optional dependency::

    _FACE = {"Collector": "collector", "Feed": "feed"}
    __all__ = sorted(_FACE)
    __getattr__ = lazy_face(__name__, _FACE)
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping


def lazy_face(package: str, face: Mapping[str, str]) -> Callable[[str], object]:
    """The module-level ``__getattr__`` of ``package``: ``face`` maps a name to its module."""

    def __getattr__(name: str) -> object:
        module = face.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(importlib.import_module(f".{module}", package), name)

    return __getattr__
