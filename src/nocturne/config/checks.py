"""The checks every config.json key goes through: one error per problem, naming the file,
the key, what it expected and what it found."""

from __future__ import annotations

import difflib
import json
import re
from typing import Any
from urllib.parse import urlsplit

from ..json_names import json_type_name
from .file import ConfigError


class Checker:
    """Checks one value of config.json each call; its errors name the file, the key and
    what was found."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, key: str, expected: str, found: Any) -> ConfigError:
        shown = json.dumps(found, ensure_ascii=False) if found is not None else "null"
        if len(shown) > 60:
            shown = shown[:57] + "..."
        return ConfigError(
            f"{self.source}: key '{key}': expected {expected}, "
            f"found {shown} ({json_type_name(found)})"
        )

    def string(self, key: str, value: Any, *, allow_empty: bool = True) -> str:
        if not isinstance(value, str) or (not allow_empty and not value.strip()):
            raise self.fail(key, "a non-empty string" if not allow_empty else "a string", value)
        return value

    def number(self, key: str, value: Any, lo: float, hi: float) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not lo <= value <= hi:
            raise self.fail(key, f"a number from {lo:g} to {hi:g}", value)
        return float(value)

    def integer(self, key: str, value: Any, lo: int, hi: int) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
            raise self.fail(key, f"a whole number from {lo} to {hi}", value)
        return value

    def url(self, key: str, value: Any, example: str = "http://localhost:8085/data.json") -> str:
        text = self.string(key, value, allow_empty=False)
        parts = urlsplit(text)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise self.fail(key, f"an http:// URL such as {example}", value)
        return text

    def boolean(self, key: str, value: Any) -> bool:
        if not isinstance(value, bool):
            raise self.fail(key, "true or false", value)
        return value

    def topic(self, key: str, value: Any, pattern: re.Pattern[str], example: str) -> str:
        text = self.string(key, value).strip()
        if not pattern.fullmatch(text):
            raise self.fail(key, f"letters, digits, _ and - (like {example})", value)
        return text

    def unknown(self, key: str, known: list[str]) -> ConfigError:
        close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
        guess = f" (did you mean '{close[0]}'?)" if close else ""
        return ConfigError(
            f"{self.source}: unknown key '{key}'{guess}; the known keys are: {', '.join(known)}"
        )


def check_object(check: Checker, key: str, value: Any, known: list[str], example: str) -> None:
    """``value`` must be an object whose keys are all in ``known``."""
    if not isinstance(value, dict):
        raise check.fail(key, f"an object like {example}", value)
    for name in value:
        if name not in known:
            raise check.unknown(f"{key}.{name}", [f"{key}.{k}" for k in known])
