"""config.json ``device_tokens``: the server's Pairing from it, and the edits `nocturne pair`
and `nocturne flash` make to it.

An edit keeps every other key and value of the file as it was (the file is re-written as
JSON, its keys in their order) and leaves it readable by its owner only: the new text goes
to a 0600 file beside it that then replaces it, so a crash never leaves half a file.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..config.file import ConfigError, file_is_missing, parse_json, read_text
from ..config.model import Config, config_from_mapping, load_config, reread_config
from .pairing import Pairing, new_token

MAX_BOARD_NAME = 32
DEFAULT_BOARD_NAME = "board"


def _tokens_in(path: Path) -> Mapping[str, str]:
    return reread_config(path).device_tokens  # never creates the file


def pairing_from_config(config: Config) -> Pairing:
    """The server's Pairing; it re-reads the tokens when ``config.path`` changes."""
    return Pairing(
        config.device_tokens,
        allow_unpaired=config.allow_unpaired,
        config_path=config.path,
        load_tokens=_tokens_in if config.path is not None else None,
    )


def check_board_name(name: str) -> str:
    """A board name as config.json keeps it; ConfigError says what is wrong with one."""
    name = " ".join(name.split())
    if not name or len(name) > MAX_BOARD_NAME or not name.isprintable():
        raise ConfigError(
            f"board name {name!r}: give 1 to {MAX_BOARD_NAME} printable characters, e.g. desk"
        )
    return name


def _read(path: Path) -> dict[str, Any]:
    """config.json as JSON (validated first: a broken file is never edited)."""
    load_config(path, environ={})  # creates a missing file with the defaults; raises
    data = parse_json(path, read_text(path))
    assert isinstance(data, dict)  # load_config checked
    return data


def write_config_file(path: Path, data: Mapping[str, Any]) -> None:
    """Replace ``path`` with ``data`` as JSON, atomically, readable by its owner only."""
    config_from_mapping(data, source=str(path))  # never write what the server cannot read
    text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    target = path.resolve() if path.is_symlink() else path
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with open(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    if os.name == "posix":
        os.chmod(target, 0o600)


def board_names(path: Path) -> list[str]:
    """The paired boards' names in ``path`` (empty when the file does not exist)."""
    if file_is_missing(path):
        return []
    return list(load_config(path, environ={}).config.device_tokens)


def next_board_name(path: Path) -> str:
    """``board``, or ``board-2``, ``board-3``... when taken."""
    taken = set(board_names(path))
    name, n = DEFAULT_BOARD_NAME, 1
    while name in taken:
        n += 1
        name = f"{DEFAULT_BOARD_NAME}-{n}"
    return name


def pair_board(path: Path, name: str, token: str | None = None) -> tuple[str, bool]:
    """Give board ``name`` a new token (or ``token``) in ``path``, creating the file when
    missing; (the token, whether it replaced the board's old one)."""
    name = check_board_name(name)
    data = _read(path)
    tokens = data.get("device_tokens")
    tokens = dict(tokens) if isinstance(tokens, dict) else {}
    replaced = name in tokens
    token = token or new_token()
    tokens[name] = token
    data["device_tokens"] = tokens
    write_config_file(path, data)
    return token, replaced


def unpair_board(path: Path, name: str) -> bool:
    """Remove board ``name``'s token from ``path``; False when it had none."""
    if file_is_missing(path):
        return False
    data = _read(path)
    tokens = data.get("device_tokens")
    if not isinstance(tokens, dict) or name not in tokens:
        return False
    tokens = {k: v for k, v in tokens.items() if k != name}
    data["device_tokens"] = tokens
    write_config_file(path, data)
    return True


def secrets_line(token: str) -> str:
    """The line a board's secrets.py needs for ``token``."""
    return f'SERVER_TOKEN = "{token}"'
