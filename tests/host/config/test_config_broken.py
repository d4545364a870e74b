"""Every broken config.json gets one clear line naming the file, never a traceback."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from nocturne.config.file import MAX_CONFIG_BYTES
from nocturne.config.model import ConfigError, configured_port, load_config

from ..ui.test_cli import run_cli, start_console


def nested_too_deep(path: Path) -> None:
    path.write_text('{"host": ' + "[" * 100_000 + "]" * 100_000 + "}", encoding="utf-8")


def number_too_long(path: Path) -> None:
    path.write_text('{"ping_host": "",\n "port": ' + "9" * 5000 + "}", encoding="utf-8")


def key_twice(path: Path) -> None:
    path.write_text('{"ping_host": "", "limits": {"cpu": 70, "cpu": 90}}', encoding="utf-8")


def link_to_nowhere(path: Path) -> None:
    path.symlink_to(path.parent / "moved-away" / "config.json")


# Each broken file, and the words of its one line.
BROKEN: dict[str, tuple[Callable[[Path], None], str]] = {
    "nested": (nested_too_deep, "nested too deeply"),
    "long-number": (number_too_long, "line 2: a number with more than"),
    "key-twice": (key_twice, "key 'limits.cpu' is given twice"),
    "dangling-link": (link_to_nowhere, "is a broken link to "),
}


def broken_config(tmp_path: Path, kind: str) -> tuple[Path, str]:
    make, words = BROKEN[kind]
    path = tmp_path / "config.json"
    make(path)
    return path, words


def assert_one_clear_line(output: str, path: Path, words: str) -> None:
    assert "Traceback" not in output, output
    lines = [line for line in output.splitlines() if words in line]
    assert len(lines) == 1, output
    assert str(path) in lines[0]


@pytest.mark.parametrize("kind", BROKEN)
async def test_console_says_what_is_wrong_with_the_file(tmp_path, kind):
    path, words = broken_config(tmp_path, kind)
    running = await start_console(path)
    code = await running.stop(signal_it=False)
    assert code == 2
    assert_one_clear_line("".join(running.log), path, words)


@pytest.mark.parametrize("kind", BROKEN)
async def test_doctor_says_what_is_wrong_with_the_file(tmp_path, kind):
    path, words = broken_config(tmp_path, kind)
    code, out = await asyncio.to_thread(run_cli, "doctor", "--config", str(path), cwd=tmp_path)
    assert code == 1
    assert_one_clear_line(out, path, words)
    assert "[PROBLEM] config:" in out


@pytest.mark.parametrize("command", ["sensors", "config"])
@pytest.mark.parametrize("kind", ["nested", "long-number"])
async def test_sensors_and_config_say_what_is_wrong(tmp_path, kind, command):
    path, words = broken_config(tmp_path, kind)
    code, out = await asyncio.to_thread(run_cli, command, "--config", str(path), cwd=tmp_path)
    assert code == 2
    assert_one_clear_line(out, path, words)


@pytest.mark.parametrize("kind", BROKEN)
def test_configured_port_raises_only_config_error(tmp_path, kind):
    path, words = broken_config(tmp_path, kind)
    with pytest.raises(ConfigError, match=words):
        configured_port(path, environ={})


def test_a_link_to_nowhere_is_never_replaced_by_defaults(tmp_path):
    path, _ = broken_config(tmp_path, "dangling-link")
    with pytest.raises(ConfigError) as caught:
        load_config(path, environ={})
    assert str(path.parent / "moved-away" / "config.json") in str(caught.value)
    assert not (tmp_path / "moved-away").exists()


def test_a_key_twice_at_the_top_is_named(tmp_path):
    path = tmp_path / "config.json"
    path.write_text('{"port": 9000, "host": "127.0.0.1", "port": 9001}', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"key 'port' is given twice; keep only one"):
        load_config(path, environ={})


def test_a_key_twice_in_the_sensors_map_is_named(tmp_path):
    path = tmp_path / "config.json"
    text = json.dumps({"sensors": {"ct": "/a/0"}})[:-2] + ', "ct": "/b/0"}}'
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=r"key 'sensors.ct' is given twice"):
        load_config(path, environ={})


def test_a_huge_file_is_refused_without_reading_it_whole(tmp_path):
    path = tmp_path / "config.json"
    path.write_text("{}" + " " * MAX_CONFIG_BYTES, encoding="utf-8")
    with pytest.raises(ConfigError, match=r"config.json: larger than 1 MB"):
        load_config(path, environ={})


def test_a_directory_at_the_path_is_a_clear_error(tmp_path):
    path = tmp_path / "config.json"
    path.mkdir()
    with pytest.raises(ConfigError, match=r"cannot read it"):
        configured_port(path, environ={})
