"""Reading config.json's text safely: no traceback and no hang for any file a user may have.

A link to nowhere, a huge file, JSON nested thousands deep, an integer too long for Python to
convert, a key given twice: each is one ConfigError naming the file and the fix.
"""

from __future__ import annotations

import json
import logging
import os
import stat
import sys
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

# config.json is a few hundred bytes; a bigger file is a mistake, not something to read whole.
MAX_CONFIG_BYTES = 1024 * 1024


class ConfigError(Exception):
    """config.json (or an environment override) cannot be used. The message says how to fix it."""


def file_is_missing(path: Path) -> bool:
    """True when nothing is at ``path``; a link to nowhere is an error, not a missing file."""
    try:
        if path.exists():
            return False
        if path.is_symlink():
            raise ConfigError(
                f"{path}: is a broken link to {os.readlink(path)}, where there is no file; "
                "point the link at your config.json, or delete it to get the defaults"
            )
    except OSError as exc:
        raise ConfigError(f"{path}: cannot look for it: {exc.strerror}") from exc
    return True


def _not_a_file(path: Path, mode: int) -> ConfigError:
    kind = (
        "a directory"
        if stat.S_ISDIR(mode)
        else "a named pipe (FIFO)"
        if stat.S_ISFIFO(mode)
        else "a device"
        if stat.S_ISCHR(mode) or stat.S_ISBLK(mode)
        else "a socket"
        if stat.S_ISSOCK(mode)
        else "not a regular file"
    )
    return ConfigError(
        f"{path}: cannot read it: it is {kind}, not a regular file; config.json must be a plain "
        "file "
        "(delete it to get the defaults)"
    )


def read_text(path: Path) -> str:
    """The file's text. Only a regular file is read: a FIFO, a device or a directory is one
    ConfigError, never a read that waits for a writer (stat first, then the opened file's
    own fstat, as the path may be swapped in between; O_NONBLOCK so even that open returns)."""
    try:
        mode = os.stat(path).st_mode
        if not stat.S_ISREG(mode):
            raise _not_a_file(path, mode)
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
        with open(fd, "rb") as f:
            mode = os.fstat(fd).st_mode
            if not stat.S_ISREG(mode):
                raise _not_a_file(path, mode)
            raw = f.read(MAX_CONFIG_BYTES + 1)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read it: {exc.strerror}") from exc
    if len(raw) > MAX_CONFIG_BYTES:
        raise ConfigError(
            f"{path}: larger than {MAX_CONFIG_BYTES // 1024 // 1024} MB, which a config.json "
            "(a few hundred bytes) never is; is it the right file? Delete it to get the defaults."
        )
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text (byte {exc.start}); save it as UTF-8") from exc


class _RepeatedKeys(dict):
    """A JSON object in which ``repeated`` was given more than once."""

    repeated = ""


def _object_noting_repeats(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj: dict[str, Any] = {}
    for key, value in pairs:
        if key in obj:
            obj = _RepeatedKeys(obj)
            obj.repeated = key
        obj[key] = value
    return obj


def _repeated_key(data: Any) -> str | None:
    """The dotted name of a key given twice in one object, at any depth (None: none is).

    Walked without recursion: the data may be nested as deep as json allows.
    """
    todo: list[tuple[str, Any]] = [("", data)]
    while todo:
        prefix, value = todo.pop()
        if isinstance(value, _RepeatedKeys):
            return prefix + value.repeated
        if isinstance(value, dict):
            todo.extend((f"{prefix}{k}.", v) for k, v in value.items())
        elif isinstance(value, list):
            todo.extend((f"{prefix.rstrip('.')}[{i}].", v) for i, v in enumerate(value))
    return None


def parse_json(path: Path, text: str) -> Any:
    redo = "Fix the file, or delete it to get the defaults back."
    try:
        data = json.loads(text, object_pairs_hook=_object_noting_repeats)
    except json.JSONDecodeError as exc:
        raise ConfigError(
            f"{path}: line {exc.lineno}, column {exc.colno}: invalid JSON ({exc.msg}). "
            "Fix that line, or delete the file to get the defaults back."
        ) from exc
    except RecursionError:
        raise ConfigError(
            f"{path}: lists or objects nested too deeply to read (config.json is one flat "
            f"object with a few small ones inside). {redo}"
        ) from None
    except ValueError as exc:  # json's only other ValueError: an integer too long to convert
        raise ConfigError(
            f"{path}: line {_line_of_long_number(text)}: a number with more than "
            f"{sys.get_int_max_str_digits()} digits, which no setting takes. {redo}"
        ) from exc
    repeated = _repeated_key(data)
    if repeated is not None:
        raise ConfigError(f"{path}: key '{repeated}' is given twice; keep only one of them")
    return data


def _line_of_long_number(text: str) -> int:
    limit = sys.get_int_max_str_digits()
    run = 0
    for index, ch in enumerate(text):
        run = run + 1 if ch.isdigit() else 0
        if run > limit:
            return text.count("\n", 0, index) + 1
    return 1


_warned_readable: set[Path] = set()


def warn_if_others_can_read(path: Path, holds: str = "lhm_password") -> None:
    """Once per file: secrets (``holds`` names them) in a file other users may read (POSIX
    modes only)."""
    if os.name != "posix" or path in _warned_readable:
        return
    try:
        mode = path.stat().st_mode
    except OSError:
        return
    if mode & (stat.S_IRGRP | stat.S_IROTH):
        _warned_readable.add(path)
        log.warning(
            "%s holds %s and other users of this computer can read it; "
            "make it yours only with: chmod 600 %s",
            path,
            holds,
            path,
        )
