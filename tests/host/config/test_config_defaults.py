"""The created config.json: its values come from Config(), and only its owner can read it."""

from __future__ import annotations

import functools
import json
import logging
import os
import stat

import pytest

from nocturne.config import model as config_module
from nocturne.config.model import Config, load_config

posix_only = pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")


def test_the_created_file_takes_its_values_from_config(tmp_path, monkeypatch):
    monkeypatch.setattr(config_module, "Config", functools.partial(Config, port=9123))
    path = tmp_path / "config.json"
    load_config(path, environ={})
    assert json.loads(path.read_text())["port"] == 9123
    # Whole numbers as the original server writes them: 75, not 75.0.
    assert '"limits": {\n    "cpu": 75,\n    "gpu": 80\n  }' in path.read_text()


@posix_only
def test_the_created_file_is_readable_by_its_owner_only(tmp_path):
    path = tmp_path / "config.json"
    old_umask = os.umask(0o022)
    try:
        load_config(path, environ={})
    finally:
        os.umask(old_umask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def with_password(folder, mode: int, password: str = "hunter2"):
    folder.mkdir()
    path = folder / "config.json"
    path.write_text(json.dumps({"ping_host": "", "lhm_password": password}), encoding="utf-8")
    path.chmod(mode)
    return path


def readable_warnings(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if "lhm_password" in r.getMessage()]


@posix_only
def test_a_password_others_can_read_is_warned_about_once(tmp_path, caplog):
    private = with_password(tmp_path / "private", 0o600)
    no_password = with_password(tmp_path / "none", 0o644, password="")
    shared = with_password(tmp_path / "shared", 0o644)
    with caplog.at_level(logging.WARNING):
        for path in (private, no_password, shared, shared):
            load_config(path, environ={})
    warnings = readable_warnings(caplog)
    assert len(warnings) == 1, warnings
    assert str(shared) in warnings[0] and f"chmod 600 {shared}" in warnings[0]
