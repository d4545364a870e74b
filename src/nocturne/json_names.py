"""How error messages name a JSON value's type ("a number", "a list"...), in one place."""

from __future__ import annotations


def json_type_name(value: object) -> str:
    """The JSON type of a decoded value, worded for a message to a person."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__
